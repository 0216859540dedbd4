"""release_bench.pin_image: the release commit's action.yml names the prebuilt image by digest,
and differs from main's in that one line only."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from release_bench.pin_image import PinError, check_digest, check_image, main, pin

ROOT = Path(__file__).resolve().parent.parent
ACTION_YML = (ROOT / "action.yml").read_text(encoding="utf-8")
IMAGE = "ghcr.io/octo/safe-release-action"
DIGEST = "sha256:" + "0123456789abcdef" * 4
PINNED = f"docker://{IMAGE}@{DIGEST}"

DIGESTS = [
    # (digest, accepted)
    (DIGEST, True),
    ("sha256:" + "f" * 64, True),
    ("sha256:" + "F" * 64, False),  # uppercase hex: not how registries write digests
    ("sha256:" + "0" * 63, False),
    ("sha256:" + "0" * 65, False),
    ("sha512:" + "0" * 128, False),
    ("0123456789abcdef" * 4, False),  # no algorithm
    (" " + DIGEST, False),
    (DIGEST + "\n", False),
    ("sha256:" + "g" * 64, False),
    ("", False),
]


@pytest.mark.parametrize(("digest", "accepted"), DIGESTS)
def test_only_a_sha256_digest_is_accepted(digest: str, accepted: bool) -> None:
    if accepted:
        assert check_digest(digest) == digest
    else:
        with pytest.raises(PinError, match="sha256"):
            check_digest(digest)


IMAGES = [
    # (image, allow_loopback, accepted)
    (IMAGE, False, True),
    ("ghcr.io/octo-org/safe-release-action", False, True),
    ("ghcr.io/octo/tools/safe-release-action", False, True),  # nested repository
    ("ghcr.io/octo/safe.release__action", False, True),
    ("ghcr.io/Octo/safe-release-action", False, False),  # GitHub owners may have capitals, images may not
    ("ghcr.io/octo", False, False),  # no image name
    ("ghcr.io/octo/safe-release-action:v1", False, False),  # a tag
    (f"ghcr.io/octo/safe-release-action@{DIGEST}", False, False),  # the digest goes in --digest
    ("ghcr.io/octo/-safe", False, False),
    ("ghcr.io/octo//safe", False, False),
    ("ghcr.io/octo/safe-release-action/", False, False),
    ("ghcr.io/octo/safe release", False, False),
    ("https://ghcr.io/octo/safe-release-action", False, False),
    (f"docker://{IMAGE}", False, False),
    ("docker.io/octo/safe-release-action", False, False),
    ("octo/safe-release-action", False, False),  # Docker Hub by default
    ("ghcr.io.example.com/octo/safe-release-action", False, False),
    ("GHCR.IO/octo/safe-release-action", False, False),
    ("ghcr.io:443/octo/safe-release-action", False, False),
    ("ghcr.io/octo/" + "a" * 250, False, True),  # 255 characters: the limit
    ("ghcr.io/octo/" + "a" * 251, False, False),
    ("127.0.0.1:5000/octo/safe-release-action", False, False),  # loopback only when asked for
    ("127.0.0.1:5000/octo/safe-release-action", True, True),
    ("localhost:5000/octo/safe-release-action", True, True),
    ("[::1]:5000/octo/safe-release-action", True, True),
    (IMAGE, True, True),
    ("127.0.0.1/octo/safe-release-action", True, False),  # no port: not a registry docker treats as local
    ("127.0.0.1:0/octo/safe-release-action", True, False),
    ("127.0.0.1:99999/octo/safe-release-action", True, False),
    ("10.0.0.1:5000/octo/safe-release-action", True, False),
    ("example.com:5000/octo/safe-release-action", True, False),
]


@pytest.mark.parametrize(("image", "allow_loopback", "accepted"), IMAGES)
def test_only_a_ghcr_io_repository_is_accepted(image: str, allow_loopback: bool, accepted: bool) -> None:
    if accepted:
        assert check_image(image, allow_loopback=allow_loopback) == image
    else:
        with pytest.raises(PinError, match="--image"):
            check_image(image, allow_loopback=allow_loopback)


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new), "the rewrite added or removed lines"
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


REWRITES = [
    # (case, action.yml, the one line expected after the rewrite)
    ("the repository's own action.yml", ACTION_YML, f"  image: {PINNED}\n"),
    (
        "CRLF line endings are kept",
        "name: x\r\ndescription: y\r\nruns:\r\n  using: docker\r\n  image: Dockerfile\r\n",
        f"  image: {PINNED}\r\n",
    ),
    (
        "a comment after the value is kept",
        "name: x\ndescription: y\nruns:\n  using: docker\n  image: Dockerfile   # built on the runner\n",
        f"  image: {PINNED}   # built on the runner\n",
    ),
    (
        "a quoted value",
        "name: x\ndescription: y\nruns:\n    using: 'docker'\n    image: 'Dockerfile'\n",
        f"    image: {PINNED}\n",
    ),
    (
        "re-pinning a pinned file",
        f"name: x\ndescription: y\nruns:\n  using: docker\n  image: docker://{IMAGE}@sha256:{'a' * 64}\n",
        f"  image: {PINNED}\n",
    ),
    (
        "an input named image and keys after runs are not touched",
        "name: x\ndescription: y\ninputs:\n  image:\n    description: an input\n    default: image\n"
        "runs:\n  # the container\n  using: docker\n\n  image: Dockerfile\n  args: [image]\noutputs: {}\n",
        f"  image: {PINNED}\n",
    ),
    (
        "an image key nested deeper in runs is not the image",
        "name: x\ndescription: y\nruns:\n  using: docker\n  env:\n    image: keep\n  image: Dockerfile\n",
        f"  image: {PINNED}\n",
    ),
    ("no final newline", "name: x\ndescription: y\nruns:\n  using: docker\n  image: Dockerfile", f"  image: {PINNED}"),
]


@pytest.mark.parametrize(("case", "text", "line"), REWRITES, ids=[r[0] for r in REWRITES])
def test_the_rewrite_changes_the_image_line_and_nothing_else(case: str, text: str, line: str) -> None:
    pinned = pin(text, IMAGE, DIGEST)
    [(_, new)] = changed_lines(text, pinned)
    assert new == line
    assert yaml.safe_load(pinned)["runs"]["image"] == PINNED


REFUSED = [
    # (case, action.yml, what the error says)
    ("no runs", "name: x\ndescription: y\n", "top-level `runs:`"),
    ("flow-style runs", "name: x\nruns: {using: docker, image: Dockerfile}\n", "top-level `runs:`"),
    ("not a container action", "name: x\nruns:\n  using: node20\n  main: index.js\n", "`runs.using` is not `docker`"),
    ("composite", "name: x\nruns:\n  using: composite\n  steps: []\n", "`runs.using` is not `docker`"),
    ("no image line", "name: x\nruns:\n  using: docker\n", "exactly one `image:`"),
    ("two image lines", "name: x\nruns:\n  using: docker\n  image: a\n  image: b\n", "exactly one `image:`"),
    ("a block scalar", "name: x\nruns:\n  using: docker\n  image: >-\n    Dockerfile\n", "exactly one `image:`"),
    ("an anchor", "name: x\nruns:\n  using: docker\n  image: &img Dockerfile\n", "exactly one `image:`"),
    (
        "a value folded onto the next line",
        "name: x\nruns:\n  using: docker\n  image: Docker\n    file\n",
        "changed more than `runs.image`",
    ),
]


@pytest.mark.parametrize(("case", "text", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_an_action_yml_it_cannot_pin_exactly_is_refused(case: str, text: str, message: str) -> None:
    with pytest.raises(PinError, match=re.escape(message)):
        pin(text, IMAGE, DIGEST)


def test_bad_digest_or_image_is_refused_before_action_yml_is_read() -> None:
    with pytest.raises(PinError, match="--digest"):
        pin("not yaml: [", IMAGE, "sha256:short")
    with pytest.raises(PinError, match="--image"):
        pin("not yaml: [", "docker.io/octo/x", DIGEST)


def test_the_pinned_action_yml_validates_against_the_action_metadata_schema(tmp_path: Path) -> None:
    exe = shutil.which("check-jsonschema")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("check-jsonschema (a test dependency) is missing in CI")
        pytest.skip("check-jsonschema is not installed")
    target = tmp_path / "action.yml"
    target.write_text(pin(ACTION_YML, IMAGE, DIGEST), encoding="utf-8")
    result = subprocess.run(
        [exe, "--builtin-schema", "vendor.github-actions", str(target)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_command_rewrites_the_file_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "action.yml"
    target.write_bytes((ROOT / "action.yml").read_bytes())
    assert main(["--image", IMAGE, "--digest", DIGEST, str(target)]) == 0
    assert target.read_bytes() == pin(ACTION_YML, IMAGE, DIGEST).encode("utf-8")
    assert PINNED in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["--image", IMAGE, "--digest", "sha256:" + "A" * 64],
        ["--image", "ghcr.io/Octo/safe-release-action", "--digest", DIGEST],
        ["--image", "127.0.0.1:5000/octo/safe-release-action", "--digest", DIGEST],
    ],
)
def test_the_command_refuses_bad_input_with_exit_2_and_leaves_the_file_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    target = tmp_path / "action.yml"
    target.write_bytes((ROOT / "action.yml").read_bytes())
    assert main([*argv, str(target)]) == 2
    assert target.read_bytes() == (ROOT / "action.yml").read_bytes()
    err = capsys.readouterr().err
    assert err.startswith("pin_image: error: ") and "Traceback" not in err
