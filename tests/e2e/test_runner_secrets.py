"""The runner's secrets stay unread: issue 14's symlink attacks against the real entrypoint.

`actions/checkout` (with its default `persist-credentials: true`) keeps the job token in the
workspace's `.git/config`, or in a `git-credentials-<uuid>.config` file in RUNNER_TEMP beside
the runner's own files. A symlink that any merged pull request can carry once published those
files as the release body or as an asset. Each attack here plants that token where checkout
puts it and must end before the first request: exit 2, one `::error::` that names the file
and the rule, and the token in no form anywhere in the log, the summary or the sandbox.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest

from .conftest import REPO, Action, Run, assert_converged


def extraheader(token: str) -> str:
    """What actions/checkout writes: basic auth of `x-access-token:<token>`, base64."""
    return base64.b64encode(f"x-access-token:{token}".encode()).decode()


def git_config(token: str) -> str:
    return (
        "[core]\n\trepositoryformatversion = 0\n"
        '[http "https://github.com/"]\n'
        f"\textraheader = AUTHORIZATION: basic {extraheader(token)}\n"
    )


def run_with_runner_temp(action: Action, inputs: dict[str, str], runner_temp: Path) -> Run:
    env = action.env(inputs)
    env["RUNNER_TEMP"] = str(runner_temp)
    return action._finish(action._start(env), env)


@pytest.fixture
def runner_temp(tmp_path: Path) -> Path:
    """RUNNER_TEMP beside the workspace, as on a hosted runner (_work/_temp next to _work/repo/repo)."""
    temp = tmp_path / "_temp"
    temp.mkdir()
    return temp


@pytest.fixture
def checkout(sb, action: Action, runner_temp: Path) -> Path:
    """A workspace after actions/checkout: the token in .git/config and in RUNNER_TEMP, a build in dist/."""
    (action.workdir / ".git").mkdir()
    (action.workdir / ".git" / "config").write_text(git_config(sb.token))
    (action.workdir / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (runner_temp / f"git-credentials-{uuid.uuid4()}.config").write_text(git_config(sb.token))
    (action.workdir / "dist").mkdir()
    (action.workdir / "dist" / "app.bin").write_bytes(b"the build\n")
    return action.workdir


def assert_refused_unread(sb, run: Run, name: str, *phrases: str) -> None:
    """Exit 2 before any request; one error naming the input and every phrase; the token nowhere."""
    assert run.code == 2, run
    assert len(run.errors) == 1, run
    assert f"`{name}`" in run.errors[0], run.errors[0]
    for phrase in phrases:
        assert phrase in run.errors[0], (phrase, run.errors[0])
    assert sb.log == [], "a refused run sent a request"
    assert sb.releases(REPO) == []
    log = "\n".join(line for line in (run.stdout + run.stderr).splitlines() if not line.startswith("::add-mask::"))
    for secret in (sb.token, extraheader(sb.token)):
        assert secret not in log and secret not in run.summary, run


def test_a_notes_symlink_to_git_config_is_refused(sb, action: Action, checkout: Path, runner_temp: Path):
    (checkout / "notes.md").symlink_to(".git/config")

    run = run_with_runner_temp(action, {"notes_file": "notes.md"}, runner_temp)

    assert_refused_unread(sb, run, "notes_file", "'notes.md'", ".git")


def test_a_symlinked_folder_into_runner_temp_is_refused(sb, action: Action, checkout: Path, runner_temp: Path):
    (checkout / "dist" / "rt").symlink_to(runner_temp, target_is_directory=True)

    run = run_with_runner_temp(action, {"files": "dist/**"}, runner_temp)

    # The folder itself is the first match refused: the credentials file beneath it is never opened.
    assert_refused_unread(sb, run, "files", "'dist/rt'", "symlink", "into RUNNER_TEMP")


def test_a_symlink_to_the_git_directory_is_refused(sb, action: Action, checkout: Path, runner_temp: Path):
    (checkout / "d").mkdir()
    (checkout / "d" / "g").symlink_to("../.git", target_is_directory=True)

    run = run_with_runner_temp(action, {"files": "d/**"}, runner_temp)

    assert_refused_unread(sb, run, "files", "d/g", ".git")


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("notes_file", "git-credentials"),  # actions/checkout's credentials file
        ("notes_file", "_github_workflow/event.json"),  # the runner's event payload
        ("files", "_runner_file_commands/set_output_*"),  # the runner's file commands
    ],
)
def test_the_runners_own_files_in_runner_temp_are_refused_even_when_named_outright(
    sb, action: Action, checkout: Path, runner_temp: Path, name: str, where: str
):
    (runner_temp / "_github_workflow").mkdir()
    (runner_temp / "_github_workflow" / "event.json").write_text(json.dumps({"secret": sb.token}))
    (runner_temp / "_runner_file_commands").mkdir()
    (runner_temp / "_runner_file_commands" / f"set_output_{uuid.uuid4()}").write_text(f"t={sb.token}\n")
    if where == "git-credentials":
        (where_path,) = runner_temp.glob("git-credentials-*.config")
        where = str(where_path)
    else:
        where = str(runner_temp / where)

    run = run_with_runner_temp(action, {name: where}, runner_temp)

    assert_refused_unread(sb, run, name, "RUNNER_TEMP", "runner")


def test_files_a_step_made_in_runner_temp_and_symlinks_within_the_workspace_are_still_read(
    sb, action: Action, checkout: Path, runner_temp: Path
):
    (runner_temp / "notes.md").write_text("Made by an earlier step.\n")
    (checkout / "dist" / "latest.bin").symlink_to("app.bin")

    run = run_with_runner_temp(
        action, {"notes_file": str(runner_temp / "notes.md"), "files": "dist/latest.bin"}, runner_temp
    )

    release = assert_converged(sb, [run], bodies=("Made by an earlier step.\n",))
    assert [asset["name"] for asset in release["assets"]] == ["latest.bin"]
