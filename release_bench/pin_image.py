"""Pin a release's action.yml to the prebuilt image: `image: Dockerfile` becomes
`image: docker://ghcr.io/OWNER/NAME@sha256:<digest>`, and nothing else in the file changes.

    python -m release_bench.pin_image --image ghcr.io/OWNER/NAME --digest sha256:<64 hex> [action.yml]

release.yml runs it on the release commit only; `main` keeps `image: Dockerfile`, so forks,
`uses: ./` and act on a checkout still build the image. It is a text edit, not a YAML round
trip, so comments, quoting and line endings survive byte for byte; the result is then parsed
and must equal the original with only `runs.image` replaced. Exit 2 on bad input, file untouched.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

REGISTRY = "ghcr.io"
# OCI distribution's path component; a repository name is at most 255 characters.
COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
REPOSITORY = re.compile(rf"{COMPONENT}(?:/{COMPONENT})+")
LOOPBACK = re.compile(r"(?:127\.0\.0\.1|localhost|\[::1\]):(?P<port>[0-9]{1,5})")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
RUNS = re.compile(r"runs:[ ]*(?:#.*)?")
# `  image: VALUE  # comment`: VALUE quoted, or a plain scalar that is not a YAML indicator.
IMAGE = re.compile(
    r"(?P<lead>[ ]+image:[ ]+)"
    r"(?P<value>'[^']*'|\"[^\"]*\"|[^\s#'\"|>&*!%@`\[{]\S*)"
    r"(?P<tail>[ ]*(?:#.*)?)"
)
USING_DOCKER = re.compile(r"[ ]+using:[ ]*(?:docker|'docker'|\"docker\")[ ]*(?:#.*)?")


class PinError(ValueError):
    """The digest, the image name or action.yml is not what a release can pin; says what to fix."""


def check_digest(digest: str) -> str:
    if not DIGEST.fullmatch(digest):
        raise PinError(
            f"--digest {digest!r} is not a sha256 digest: want 'sha256:' and 64 lowercase hex digits "
            "(build-push-action's `digest` output)"
        )
    return digest


def check_image(image: str, *, allow_loopback: bool = False) -> str:
    """The image's repository, `ghcr.io/OWNER/NAME`: no scheme, no tag, no digest, lowercase."""
    host, _, path = image.partition("/")
    loopback = LOOPBACK.fullmatch(host)
    if host != REGISTRY and not (allow_loopback and loopback and 0 < int(loopback["port"]) < 65536):
        where = f"{REGISTRY} or a loopback registry (127.0.0.1:PORT)" if allow_loopback else REGISTRY
        raise PinError(f"--image {image!r} is not on {where}: want {REGISTRY}/OWNER/NAME")
    if "@" in path or ":" in path:
        raise PinError(f"--image {image!r} carries a tag or digest: give the repository only, and --digest")
    if path != path.lower():
        raise PinError(f"--image {image!r} has capitals, which image names cannot: use {host}/{path.lower()}")
    if not REPOSITORY.fullmatch(path) or len(path) > 255:
        raise PinError(
            f"--image {image!r} is not a valid image name: want {REGISTRY}/OWNER/NAME, lowercase letters, "
            "digits and single separators (. _ -) between them"
        )
    return image


def pin(action_yml: str, image: str, digest: str, *, allow_loopback: bool = False) -> str:
    """action.yml's text with `runs.image` set to `docker://IMAGE@DIGEST`; every other byte kept."""
    reference = f"docker://{check_image(image, allow_loopback=allow_loopback)}@{check_digest(digest)}"
    lines = action_yml.splitlines(keepends=True)
    body = [line.rstrip("\r\n") for line in lines]
    runs = [i for i, text in enumerate(body) if RUNS.fullmatch(text)]
    if len(runs) != 1:
        raise PinError(f"action.yml needs exactly one top-level `runs:` line (block style); found {len(runs)}")
    end = runs[0] + 1
    while end < len(body) and (not body[end].strip() or body[end][0] in " #"):
        end += 1
    block = range(runs[0] + 1, end)
    keys = [i for i in block if body[i].strip() and not body[i].lstrip().startswith("#")]
    indent = len(body[keys[0]]) - len(body[keys[0]].lstrip(" ")) if keys else 0
    own = [i for i in keys if len(body[i]) - len(body[i].lstrip(" ")) == indent]
    if not any(USING_DOCKER.fullmatch(body[i]) for i in own):
        raise PinError("action.yml's `runs.using` is not `docker`: only a container action runs an image")
    images = [i for i in own if body[i].lstrip().startswith("image:")]
    if len(images) != 1 or not (match := IMAGE.fullmatch(body[images[0]])):
        raise PinError("action.yml's `runs` block needs exactly one `image:` line with a plain value to replace")
    i = images[0]
    eol = lines[i][len(body[i]) :]
    lines[i] = f"{match['lead']}{reference}{match['tail']}{eol}"
    pinned = "".join(lines)
    _same_but_the_image(action_yml, pinned, reference)
    return pinned


def _same_but_the_image(before: str, after: str, reference: str) -> None:
    """Parsed, the two files differ in `runs.image` alone, and it reads back as the reference."""
    want, got = yaml.safe_load(before), yaml.safe_load(after)
    if not isinstance(want, dict) or not isinstance(want.get("runs"), dict):
        raise PinError("action.yml does not parse to a mapping with a `runs` mapping")
    want["runs"]["image"] = reference
    if got != want:
        raise PinError("the rewrite changed more than `runs.image`; action.yml's layout is not one this script knows")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release_bench.pin_image", description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", required=True, help=f"{REGISTRY}/OWNER/NAME, lowercase, without tag or digest")
    parser.add_argument("--digest", required=True, help="sha256:<64 hex>, the manifest list's digest")
    parser.add_argument(
        "--allow-loopback-registry",
        action="store_true",
        help="also accept 127.0.0.1:PORT/… (a rehearsal against a local registry, as tests/container does)",
    )
    parser.add_argument("action_yml", nargs="?", default="action.yml", type=Path)
    args = parser.parse_args(argv)
    try:
        text = args.action_yml.read_bytes().decode("utf-8")
        pinned = pin(text, args.image, args.digest, allow_loopback=args.allow_loopback_registry)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, PinError) as exc:
        print(f"pin_image: error: {exc}", file=sys.stderr)
        return 2
    args.action_yml.write_bytes(pinned.encode("utf-8"))
    print(f"{args.action_yml}: image: docker://{args.image}@{args.digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
