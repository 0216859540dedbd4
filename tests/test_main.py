"""Specification of how a run ends, as main() wires it: the errors, and the job summary whichever way it ends."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests_mock

from release_action import main as main_module
from release_action.display import md_text
from release_action.transport import NotPermitted
from release_action.wording import FLAGS_VARIABLE, InputError

API = "https://api.github.com"
RELEASES = f"{API}/repos/octo/repo/releases"


def env_for(tmp_path: Path, **more: str) -> dict[str, str]:
    summary = tmp_path / "summary.md"
    summary.touch()
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "INPUT_TOKEN": "t0ken",
        "INPUT_REPOSITORY": "octo/repo",
        "INPUT_TAG": "v1",
        "INPUT_TIMEOUT_SECONDS": "30",
        **more,
    }


def refused_create(m: requests_mock.Mocker) -> None:
    m.get(f"{RELEASES}/tags/v1", status_code=404, json={"message": "Not Found"})
    m.get(f"{RELEASES}?per_page=100", json=[])
    m.post(RELEASES, status_code=403, json={"message": "Resource not accessible by integration"})


@pytest.mark.parametrize("flags", [False, True], ids=["workflow", "command"])
def test_a_failed_run_writes_a_summary_with_the_error_the_writes_and_the_troubleshooting_link(tmp_path, capsys, flags):
    env = env_for(tmp_path, GITHUB_ACTION_REPOSITORY="octo/safe-release-action", GITHUB_ACTION_REF="v1")
    if flags:
        env[FLAGS_VARIABLE] = "1"
    with requests_mock.Mocker() as m:
        refused_create(m)
        assert main_module.main(env) == 1
    out = capsys.readouterr().out
    (error,) = [line for line in out.splitlines() if line.startswith("::error")]
    assert error.startswith("::error title=safe-release-action%3A the token may not write releases::")
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "**Failed:** safe\\-release\\-action\\: the token may not write releases" in summary
    fix = "use a token with \\`contents\\: write\\`" if flags else "give the job \\`permissions\\: contents\\: write\\`"
    assert fix in summary, summary
    assert "Nothing was written." in summary and "GitHub API requests: 3 (1 write)." in summary
    link = "https://github.com/octo/safe-release-action/blob/v1/README.md#safe-release-action-the-token-may-not-write"
    assert f"]({link}-releases) in the README's Troubleshooting." in summary
    assert NotPermitted.title in (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_bad_input_writes_a_summary_too_saying_nothing_was_written(tmp_path, capsys):
    env = env_for(tmp_path, INPUT_TAG="a..b", INPUT_TIMEOUT_SECONDS="0")
    with requests_mock.Mocker() as m:
        assert main_module.main(env) == 2
    assert m.call_count == 0
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.count("> [!CAUTION]") == 2 and "Nothing was written." in summary
    assert "GitHub API requests" not in summary
    assert f"see {md_text(InputError.title)} under Troubleshooting" in summary


def test_a_summary_that_cannot_be_written_leaves_the_error_and_the_exit_code_alone(tmp_path, capsys):
    env = env_for(tmp_path, GITHUB_STEP_SUMMARY=str(tmp_path))  # a directory: the summary cannot be appended
    with requests_mock.Mocker() as m:
        refused_create(m)
        assert main_module.main(env) == 1
    out = capsys.readouterr().out
    assert next(line for line in out.splitlines() if line.startswith("::error")).startswith(
        "::error title=safe-release-action%3A the token may not write releases::"
    )
    assert "Traceback" not in out
