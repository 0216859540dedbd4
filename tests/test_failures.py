"""Specification of how each way of failing is reported: one message, its title, the exit code."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
import requests

import release_action
from release_action.asset_sync import AssetError, ReleaseGone
from release_action.budget import BudgetExhausted
from release_action.engine import ConvergeError, ReleaseExists, TagMissing, release_exists, tag_missing
from release_action.errors import ActionError
from release_action.failures import BUG, LOCAL_FILE, RERUN, STOPPED, failure_of, origin, titles
from release_action.reach import Unreachable
from release_action.report import anchor
from release_action.runner_io import Cancelled, RunnerFileError
from release_action.token_guard import TokenFound
from release_action.transport import (
    BadCredentials,
    Conflict,
    GitHubError,
    NotPermitted,
    OutcomeUnknown,
    RateLimited,
    Refused,
    UnexpectedAnswer,
)
from release_action.wording import InputError, Mode, words

ROOT = Path(__file__).resolve().parents[1]
INVALID_INPUT = InputError.title


def raised(exc: BaseException) -> BaseException:
    """`exc` with a traceback, as the run's guard catches it."""
    try:
        raise exc
    except BaseException as caught:
        return caught


GHES_REQUEST = requests.Request("GET", "https://user:pw@ghes.example:8443/api/v3/repos/o/r/releases").prepare()


class NewModulesError(ActionError):
    """An error of a module failures.py has never heard of: its own title, and never "a bug"."""

    title = "safe-release-action: a test's own failure"


GITHUB = {"method": "GET", "url": "https://api.github.com/x"}
# exception → (exit code, title, words the message must hold)
TABLE = [
    (InputError("Input `tag`: refs/heads/x is a branch"), 2, INVALID_INPUT, "Input `tag`"),
    (ConvergeError("The release for v1 kept changing"), 1, ConvergeError.title, "kept changing"),
    (AssetError("app.zip differs; overwrite_files is false"), 1, AssetError.title, "overwrite_files"),
    (ReleaseGone("release 7 was deleted"), 1, AssetError.title, "release 7"),
    (BadCredentials(401, "Bad credentials", **GITHUB, hint="check `token`"), 1, BadCredentials.title,
     "Bad credentials"),
    (NotPermitted(403, "Resource not accessible by integration", **GITHUB), 1, NotPermitted.title, "403"),
    (GitHubError(400, "Bad Request", **GITHUB), 1, GitHubError.title, "400 Bad Request"),
    (Conflict(422, "Validation Failed", **GITHUB), 1, GitHubError.title, "422 Validation Failed"),
    (RateLimited(403, "API rate limit exceeded", **GITHUB), 1, RateLimited.title, "rate limit"),
    (UnexpectedAnswer(200, "a list where a release was due", **GITHUB), 1, UnexpectedAnswer.title, "a list"),
    (Refused(0, "refusing to send the token", **GITHUB), 1, Refused.title, "refusing"),
    (Unreachable(words("http://127.0.0.1:1 refused the connection"), None, "127.0.0.1"), 1, Unreachable.title,
     "refused the connection"),
    (BudgetExhausted("timeout_seconds (5) would run out"), 1, BudgetExhausted.title, "timeout_seconds (5)"),
    (OutcomeUnknown("POST https://api.github.com/x: ReadTimeout after sending"), 1, OutcomeUnknown.title,
     "after sending"),
    (RunnerFileError("Could not write the step's outputs to GITHUB_OUTPUT"), 1, RunnerFileError.title,
     "GITHUB_OUTPUT"),
    (NewModulesError("something of its own"), 1, NewModulesError.title, "something of its own"),
    (TokenFound("The release notes GitHub generated for v1 hold the job's token"), 1, TokenFound.title, "generated"),
    (Cancelled("SIGTERM"), 1, STOPPED, "stopped (SIGTERM)"),
    (KeyboardInterrupt(), 1, STOPPED, "stopped (SIGINT)"),
    (requests.ConnectionError("refused", request=GHES_REQUEST), 1, Unreachable.title,
     "Could not reach https://ghes.example:8443: ConnectionError"),
    (requests.TooManyRedirects("30 redirects"), 1, Unreachable.title, "Could not reach GitHub's API: TooManyRedirects"),
    (requests.JSONDecodeError("Expecting value", "<html>captive portal</html>", 0), 1, UnexpectedAnswer.title,
     "not JSON"),
    (FileNotFoundError(2, "No such file or directory", "dist/app.zip"), 1, LOCAL_FILE, "dist/app.zip"),
    (ValueError("unexpected ghs_secret\n::stop-commands::x"), 1, BUG, "unexpected ValueError"),
    (KeyError("id"), 1, BUG, "unexpected KeyError"),
]  # fmt: skip


@pytest.mark.parametrize(("exc", "code", "title", "words"), TABLE, ids=[type(row[0]).__name__ for row in TABLE])
def test_each_failure_has_its_exit_code_title_and_a_message_that_names_the_cause(exc, code, title, words):
    failure = failure_of(raised(exc))
    assert (failure.code, failure.title) == (code, title)
    assert words in failure.message
    assert failure.bug is (title == BUG)


def test_a_bug_names_where_it_happened_and_where_to_report_it_but_not_its_text():
    failure = failure_of(raised(ValueError("ghs_secret\n::stop-commands::x")), report_to="octo/safe-release-action")
    assert "tests/test_failures.py" not in failure.message  # not in the action: the file's name only
    assert "test_failures.py:" in failure.message
    assert "https://github.com/octo/safe-release-action/issues" in failure.message
    assert "RUNNER_DEBUG=1" in failure.message
    assert "ghs_secret" not in failure.message and "stop-commands" not in failure.message


def test_a_bug_inside_the_action_is_located_by_its_module():
    from release_action.report import Outcome, Requests, summary_of  # any function of the action that can fail

    try:
        summary_of(Outcome({}, "no-such-status"), "v1", "o/r", Requests(0, 0))
    except KeyError as exc:
        failure = failure_of(exc)
    assert "release_action/report.py:" in failure.message and "in summary_of" in failure.message


def test_the_action_s_own_errors_pass_their_message_through_and_the_rest_say_a_re_run_is_safe():
    for exc, *_ in TABLE:
        message = failure_of(raised(exc)).message
        if isinstance(exc, ActionError):
            assert message == str(exc)  # worded where the cause is known, with its fix
        else:
            assert message.endswith(RERUN.render(Mode.ACTION)), message
            assert failure_of(raised(exc), mode=Mode.COMMAND).message.endswith(RERUN.render(Mode.COMMAND))


def test_bad_input_is_one_message_per_problem_worded_for_how_the_run_was_started():
    exc = raised(InputError(words("Input `draft` is {value!r}.", value="`tag`"), "Set `notes` or `notes_file`."))
    assert failure_of(exc).messages == ("Input `draft` is '`tag`'.", "Set `notes` or `notes_file`.")
    command = failure_of(exc, mode=Mode.COMMAND)
    assert (command.code, command.title) == (2, INVALID_INPUT)
    assert command.messages == ("--draft is '`tag`'.", "Set --notes or --notes-file.")


def test_every_other_failure_is_one_message_in_either_mode():
    for exc, *_ in TABLE:
        if not isinstance(exc, InputError):
            assert len(failure_of(raised(exc), mode=Mode.COMMAND).messages) == 1
            assert len(failure_of(raised(exc)).messages) == 1


# exception → its message under Actions and with flags: a runtime fix names what the user typed
RUNTIME_HINTS = [
    (GitHubError(401, "Bad credentials", **GITHUB, hint=words("check the `token` input", command="check GH_TOKEN")),
     "check the `token` input", "check GH_TOKEN"),
    (BudgetExhausted(words("`timeout_seconds` ({n}) ran out", n=5)), "`timeout_seconds` (5) ran out",
     "--timeout-seconds (5) ran out"),
    (AssetError(words("Set `overwrite_files: true`."), "Or delete it."),
     "Set `overwrite_files: true`. Or delete it.", "Set --overwrite-files. Or delete it."),
    (Cancelled("SIGTERM"), "`timeout-minutes`", "Running the command again is safe"),
    (requests.JSONDecodeError("Expecting value", "<html>", 0), "Check `api_url`", "Check --api-url"),
    (KeyError("id"), "re-run the job with debug logging (RUNNER_DEBUG=1)",
     "run the command again with RUNNER_DEBUG=1 set"),
]  # fmt: skip


@pytest.mark.parametrize(("exc", "in_a_workflow", "at_a_terminal"), RUNTIME_HINTS)
def test_a_runtime_fix_is_worded_for_how_the_run_was_started(exc, in_a_workflow, at_a_terminal):
    assert in_a_workflow in failure_of(raised(exc)).message
    command = failure_of(raised(exc), mode=Mode.COMMAND).message
    assert at_a_terminal in command
    assert "Input `" not in command and "`api_url`" not in command and "re-run the job" not in command


def test_every_error_of_the_action_derives_from_the_one_base_and_carries_a_title_and_an_exit_code():
    for module in pkgutil.iter_modules(release_action.__path__):
        importlib.import_module(f"release_action.{module.name}")
    raised_on_purpose = [
        InputError, ConvergeError, AssetError, ReleaseGone, GitHubError, BadCredentials, NotPermitted, RateLimited,
        UnexpectedAnswer, Refused, Conflict, OutcomeUnknown, BudgetExhausted, RunnerFileError, Unreachable,
    ]  # fmt: skip
    for cls in raised_on_purpose:
        assert issubclass(cls, ActionError), cls
        assert cls.title.startswith("safe-release-action") and cls.exit_code in (1, 2)
    assert InputError.exit_code == 2


def readme_troubleshooting() -> list[str]:
    """The entries (### headings) of the README's Troubleshooting section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Troubleshooting\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^### (.+)$", section, re.M)


def test_the_readme_has_one_troubleshooting_entry_per_title_a_run_can_end_with():
    for module in pkgutil.iter_modules(release_action.__path__):  # every module's errors, this test's own aside
        importlib.import_module(f"release_action.{module.name}")
    entries = readme_troubleshooting()
    assert len(entries) == len(set(entries)), "an entry twice"
    assert set(entries) == titles() - {NewModulesError.title}
    assert len({anchor(entry) for entry in entries}) == len(entries), "two entries with one link"


RELEASE = {"id": 7, "html_url": "https://github.com/o/r/releases/tag/v1"}


@pytest.mark.parametrize(
    ("exc", "action", "command"),
    [
        (
            ReleaseExists(release_exists("v1", RELEASE)),
            "The release for v1 is already published (release 7: https://github.com/o/r/releases/tag/v1) and "
            "`if_exists: fail` is set: nothing was written to it. Release a new tag, or set `if_exists: update` to "
            "update it or `if_exists: skip` to leave it as it is.",
            "The release for v1 is already published (release 7: https://github.com/o/r/releases/tag/v1) and "
            "--if-exists fail is set: nothing was written to it. Release a new tag, or set --if-exists update to "
            "update it or --if-exists skip to leave it as it is.",
        ),
        (
            TagMissing(tag_missing("v1", "o/r")),
            "The tag v1 does not exist in o/r and `verify_tag: true` is set: nothing was written. Push the tag before "
            "this step (or run the workflow on the tag's push), or drop `verify_tag` to have GitHub create the tag "
            "at `target_commitish` when the release is published.",
            "The tag v1 does not exist in o/r and --verify-tag is set: nothing was written. Push it first (`git push "
            "origin v1`), or leave out --verify-tag to have GitHub create it at --target-commitish when the release "
            "is published.",
        ),
    ],
    ids=["if_exists: fail", "verify_tag"],
)
def test_the_actions_own_errors_name_inputs_as_the_run_was_started(exc, action, command):
    assert failure_of(raised(exc)).messages == (action,)
    assert failure_of(raised(exc), mode=Mode.COMMAND).messages == (command,)
    assert failure_of(raised(exc), mode=Mode.COMMAND).title == type(exc).title


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://api.github.com/repos/o/r", "https://api.github.com"),
        ("https://user:token@ghes.example:8443/api/v3?x=1", "https://ghes.example:8443"),
        ("http://[::1]:9/api", "http://[::1]:9"),
        ("http://[::1", "GitHub's API"),
        ("", "GitHub's API"),
    ],
)
def test_a_url_in_an_error_shows_only_its_origin_never_credentials(url, shown):
    assert origin(url) == shown
