"""`safe-release` as a user gets it: built into a wheel, installed into a fresh venv, run against the sandbox.

The wheel is built once per session from a copy of the checkout (`pip wheel`, as a user or
a publisher would) and installed with the hash-pinned runtime requirements into a new
virtual environment. Every run here starts that venv's `safe-release` console script, with
no PYTHONPATH: it imports the wheel's code, never this checkout's. Both ways in are
specified: flags (a terminal), and INPUT_* variables (a runner; the portable action).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from release_action import __version__
from release_bench import harness
from release_bench.harness import REPO, ROOT, StepFiles, parse_outputs

from .conftest import ENTRYPOINT, releases_for, writes

PROCESS_TIMEOUT = 120
BIN = "Scripts" if os.name == "nt" else "bin"
COPY_IGNORE = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", ".*_cache", ".venv", "venv", "build", "dist")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    command: Path  # the venv's safe-release


def _run(argv: list[str | Path], **kwargs) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False, **kwargs)
    assert proc.returncode == 0, f"{argv} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Wheel → fresh venv → `pip install` the hash-pinned requirements and the wheel (once a session)."""
    base = tmp_path_factory.mktemp("safe-release-wheel")
    source = base / "source"  # a setuptools build writes build/ and *.egg-info beside its sources
    shutil.copytree(ROOT, source, ignore=COPY_IGNORE)
    _run([sys.executable, "-m", "pip", "wheel", source, "-w", base / "dist", "--no-deps", "-q"])
    (wheel,) = (base / "dist").glob("*.whl")
    venv.create(base / "venv", with_pip=True)
    python = base / "venv" / BIN / "python"
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run([*pip, "--require-hashes", "--no-deps", "-r", ROOT / "requirements" / "runtime.txt"])
    _run([*pip, "--no-deps", wheel])
    where = _run([python, "-c", "import release_action; print(release_action.__file__)"], env=clean_env(), cwd=base)
    assert Path(where.stdout.strip()).is_relative_to(base / "venv"), where.stdout
    return Installed(wheel, base / "venv" / BIN / "safe-release")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything a runner or this checkout put there, plus `extra`."""
    keep = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("INPUT_", "GITHUB_", "RUNNER_"))
        and key not in ("PYTHONPATH", "CI")
        and not key.startswith("GH_")
    }
    return {**keep, **extra}


def run(command: Path, *args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [command, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=PROCESS_TIMEOUT, check=False
    )


def shown(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.tar.gz").write_bytes(b"built once\n")
    return tmp_path


# -- the package -------------------------------------------------------------------------------


def test_the_wheel_holds_only_release_action_and_needs_only_requests_and_backoff(installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
        dist_info = f"safe_release_action-{__version__}.dist-info/"
        assert {name.split("/")[0] + "/" for name in names} == {"release_action/", dist_info}
        assert "release_action/cli.py" in names and not [n for n in names if "sandbox" in n or "test" in n]
        metadata = wheel.read(dist_info + "METADATA").decode()
        entry_points = wheel.read(dist_info + "entry_points.txt").decode()
    requires = sorted(
        line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist")
    )
    assert requires == ["backoff", "requests"]
    assert f"Version: {__version__}" in metadata.splitlines()
    assert "safe-release = release_action.cli:main" in entry_points


# -- from a terminal: flags --------------------------------------------------------------------


def test_flags_create_then_a_rerun_writes_nothing_then_an_update(installed, sb, workdir):
    env = clean_env(GH_ENTERPRISE_TOKEN=sb.token)  # the simulator is not github.com: gh's variable for it
    flags = ["--tag", "v1.0.0", "--repository", REPO, "--api-url", sb.api_url, "--files", "dist/*.tar.gz", "--json"]

    created = run(installed.command, *flags, "--notes", "First.", env=env, cwd=workdir)
    assert created.returncode == 0, shown(created)
    first = json.loads(created.stdout)  # stdout is the JSON object alone; the log went to stderr
    (release,) = releases_for(sb, "v1.0.0")
    assert (first["status"], first["id"], release["body"], release["draft"]) == (
        "created",
        str(release["id"]),
        "First.",
        False,
    )
    assert [a["name"] for a in json.loads(first["assets"])] == ["app.tar.gz"]

    sb.clear_log()
    again = run(installed.command, *flags, "--notes", "First.", env=env, cwd=workdir)
    assert again.returncode == 0, shown(again)
    assert json.loads(again.stdout)["status"] == "unchanged"
    assert writes(sb) == [], "a re-run with the same flags wrote to the API"

    updated = run(installed.command, *flags, "--notes", "Second.", "--prerelease", env=env, cwd=workdir)
    assert updated.returncode == 0, shown(updated)
    outputs = json.loads(updated.stdout)
    (release,) = releases_for(sb, "v1.0.0")
    assert (outputs["status"], outputs["id"], outputs["prerelease"]) == ("updated", first["id"], "true")
    assert (release["body"], release["prerelease"]) == ("Second.", True)


def test_in_a_terminal_the_log_is_plain_text_and_the_outputs_are_printed(installed, sb, workdir):
    flags = ["--tag", "v2.0.0", "--repository", REPO, "--api-url", sb.api_url, "--draft"]
    proc = run(installed.command, *flags, env=clean_env(GH_ENTERPRISE_TOKEN=sb.token), cwd=workdir)
    assert proc.returncode == 0, shown(proc)
    assert "::" not in proc.stdout, "a workflow command reached the terminal"
    assert "== Converge the release of octo/demo tag v2.0.0" in proc.stdout
    outputs = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["outputs"]
    lines = proc.stdout.splitlines()[-len(outputs) :]
    printed = {name: value.strip() for name, _, value in (line.partition(" ") for line in lines)}
    assert list(printed) == list(outputs), "every output printed last, one a line, in action.yml's order"
    (release,) = releases_for(sb, "v2.0.0")
    assert (printed["status"], printed["id"], printed["draft"]) == ("created", str(release["id"]), "true")


def test_the_repository_comes_from_the_git_remote_and_the_token_from_github_enterprise_token(installed, sb, workdir):
    git = ["git", "-c", "init.defaultBranch=main"]
    _run([*git, "init", "-q"], cwd=workdir)
    _run([*git, "remote", "add", "origin", f"git@github.com:{REPO}.git"], cwd=workdir)
    proc = run(
        installed.command,
        "--tag",
        "v3.0.0",
        "--api-url",
        sb.api_url,
        env=clean_env(GITHUB_ENTERPRISE_TOKEN=sb.token, GITHUB_TOKEN="ghp_never_sent_to_the_simulator"),
        cwd=workdir,
    )
    assert proc.returncode == 0, shown(proc)
    assert f"repository {REPO} at {sb.api_url} (from git remote origin)" in proc.stdout
    assert len(releases_for(sb, "v3.0.0")) == 1


def test_without_a_token_it_says_where_the_token_goes_and_sends_nothing(installed, sb, workdir):
    proc = run(
        installed.command,
        "--tag",
        "v1.0.0",
        "--repository",
        REPO,
        "--api-url",
        sb.api_url,
        env=clean_env(),
        cwd=workdir,
    )
    assert proc.returncode == 2, shown(proc)
    assert f"No token for {sb.api_url}" in proc.stderr and "GH_ENTERPRISE_TOKEN" in proc.stderr
    assert sb.log == []


def test_with_json_a_failure_prints_no_object_and_a_plain_error(installed, sb, workdir):
    flags = ["--tag", "v1.0.0", "--repository", "octo/missing", "--api-url", sb.api_url, "--json"]
    proc = run(installed.command, *flags, env=clean_env(GH_ENTERPRISE_TOKEN=sb.token), cwd=workdir)
    assert proc.returncode == 1, shown(proc)
    assert proc.stdout == ""
    assert "error: Repository octo/missing was not found" in proc.stderr


# -- under a runner: INPUT_* variables ---------------------------------------------------------


def runner_env(sb, workdir: Path, n: int, **inputs: str) -> dict[str, str]:
    """What a runner gives a step (the portable action's last one): INPUT_*, GITHUB_*, file commands.

    Built by the harness, on a clean environment without PYTHONPATH: the command must run the
    package installed from the wheel, never this checkout.
    """
    files = StepFiles.on_host(workdir, n)
    given = {"token": sb.token, "timeout_seconds": "60", **inputs}
    return clean_env() | harness.runner_env(sb.api_url, sb.token, files, given)


def outputs_of(env: dict[str, str]) -> dict[str, str]:
    return parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))


def test_input_variables_create_then_a_rerun_writes_nothing_then_an_update(installed, sb, workdir):
    inputs = {"files": "dist/*.tar.gz", "notes": "First."}
    env = runner_env(sb, workdir, 1, **inputs)
    created = run(installed.command, env=env, cwd=workdir)
    assert created.returncode == 0, shown(created)
    first = outputs_of(env)
    (release,) = releases_for(sb, "v1.0.0")
    assert (first["status"], first["id"], first["tag"], release["body"]) == (
        "created",
        str(release["id"]),
        "v1.0.0",
        "First.",
    )

    sb.clear_log()
    env = runner_env(sb, workdir, 2, **inputs)
    again = run(installed.command, env=env, cwd=workdir)
    assert again.returncode == 0, shown(again)
    assert outputs_of(env)["status"] == "unchanged"
    assert writes(sb) == [], "a re-run with the same inputs wrote to the API"

    env = runner_env(sb, workdir, 3, **{**inputs, "notes": "Second."})
    updated = run(installed.command, env=env, cwd=workdir)
    assert updated.returncode == 0, shown(updated)
    assert (outputs_of(env)["status"], outputs_of(env)["id"]) == ("updated", first["id"])
    assert releases_for(sb, "v1.0.0")[0]["body"] == "Second."


@pytest.mark.parametrize(
    "inputs",
    [
        pytest.param({"notes": "Same."}, id="a run that creates"),
        pytest.param({"make_latest": "maybe"}, id="bad input"),
    ],
)
def test_under_a_runner_the_command_is_the_entrypoint(installed, sb, workdir, inputs):
    """The same environment through `safe-release` and `python entrypoint.py`: same exit, outputs, errors."""
    by_command = runner_env(sb, workdir, 1, **inputs, tag="v4.0.0-command")
    by_entrypoint = runner_env(sb, workdir, 2, **inputs, tag="v4.0.0-entrypoint")
    command = run(installed.command, env=by_command, cwd=workdir)
    entrypoint = subprocess.run(
        [sys.executable, ENTRYPOINT],
        env={**by_entrypoint, "PYTHONPATH": str(ROOT)},
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert command.returncode == entrypoint.returncode, shown(command) + shown(entrypoint)
    assert normalised(sb, command.stdout, "v4.0.0-command") == normalised(sb, entrypoint.stdout, "v4.0.0-entrypoint")
    assert normalised(sb, json.dumps(outputs_of(by_command)), "v4.0.0-command") == normalised(
        sb, json.dumps(outputs_of(by_entrypoint)), "v4.0.0-entrypoint"
    )


def normalised(sb, text: str, tag: str) -> str:
    """`text` with the run's own tag and release id (the only things two runs differ in) replaced."""
    for release in releases_for(sb, tag):
        text = text.replace(str(release["id"]), "ID")
    return text.replace(tag, "TAG")


def test_with_flags_inside_a_run_step_workflow_commands_pass_through_and_outputs_reach_the_step(installed, sb, workdir):
    env = runner_env(sb, workdir, 1) | {"GH_ENTERPRISE_TOKEN": sb.token}  # with flags, INPUT_* are not read
    flags = ["--tag", "v5.0.0", "--repository", REPO, "--api-url", sb.api_url, "--dry-run"]
    proc = run(installed.command, *flags, env=env, cwd=workdir)
    assert proc.returncode == 0, shown(proc)
    assert "::group::Plan for octo/demo tag v5.0.0" in proc.stdout  # the runner folds it
    assert outputs_of(env)["status"] == "created"  # what would happen; the step's outputs have it
    assert writes(sb) == []


# -- failing fast and clearly, in the command's words --------------------------------------------


def test_an_api_url_nothing_listens_on_fails_in_seconds_naming_the_host_and_the_flag(installed, workdir):
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    start = time.monotonic()
    proc = run(installed.command, "--tag", "v1.0.0", "--repository", REPO, "--api-url", url,
               env=clean_env(GH_ENTERPRISE_TOKEN="t0ken"), cwd=workdir)  # fmt: skip
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, shown(proc)
    assert elapsed < 20, f"{elapsed:.1f}s\n{shown(proc)}"  # it was 4 min 59 s: the whole budget, retrying
    (error,) = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert error.startswith(f"error: {url} refused the connection (3 tries in "), shown(proc)
    assert f"Check --api-url ({url})" in error and "`api_url`" not in error and "timeout" not in error
    assert "error:" not in proc.stdout


def test_bad_and_unknown_flags_are_each_an_error_on_stderr_and_nothing_is_sent(installed, sb, workdir):
    flags = ["--repository", REPO, "--api-url", sb.api_url, "--tag", "a..b", "--make-latest", "ture"]
    env = clean_env(GH_ENTERPRISE_TOKEN=sb.token)
    bad = run(installed.command, *flags, "--timeout-seconds", "0", env=env, cwd=workdir)
    assert bad.returncode == 2, shown(bad)
    errors = [line for line in bad.stderr.splitlines() if line.startswith("error: ")]
    assert [line.split()[1] for line in errors] == ["--tag", "--make-latest", "--timeout-seconds"], shown(bad)
    assert "(did you mean true?)" in errors[1] and "error" not in bad.stdout
    unknown = run(installed.command, *flags, "--dry-rn", "--notes-fil", "N.md", env=env, cwd=workdir)
    assert unknown.returncode == 2, shown(unknown)
    assert "safe-release: error: unknown flag '--dry-rn'; did you mean --dry-run?" in unknown.stderr
    assert "safe-release: error: unknown flag '--notes-fil'; did you mean --notes-file?" in unknown.stderr
    assert unknown.stdout == "" and sb.log == []


def test_from_a_subfolder_of_a_checkout_paths_may_lead_anywhere_in_the_checkout(installed, sb, workdir):
    git = ["git", "-c", "init.defaultBranch=main"]
    _run([*git, "init", "-q"], cwd=workdir)
    (workdir / "NOTES.md").write_text("From the top of the checkout.\n", encoding="utf-8")
    sub = workdir / "docs" / "site"
    sub.mkdir(parents=True)
    flags = ["--tag", "v6.0.0", "--repository", REPO, "--api-url", sb.api_url, "--notes-file", "../../NOTES.md",
             "--files", "../../dist/*.tar.gz"]  # fmt: skip
    proc = run(installed.command, *flags, env=clean_env(GH_ENTERPRISE_TOKEN=sb.token), cwd=sub)
    assert proc.returncode == 0, shown(proc)
    (release,) = releases_for(sb, "v6.0.0")
    assert release["body"] == "From the top of the checkout.\n"
    assert [a["name"] for a in release["assets"]] == ["app.tar.gz"]
