"""Specification of how each way of failing is reported: one message, its title, the exit code."""

from __future__ import annotations

import pytest
import requests

from release_action.asset_sync import AssetError
from release_action.budget import BudgetExhausted
from release_action.engine import ConvergeError, release_exists, tag_missing
from release_action.failures import BUG, EXPLAINED, FAILED, INVALID_INPUT, RERUN, failure_of, origin
from release_action.runner_io import Cancelled, RunnerFileError
from release_action.transport import GitHubError, OutcomeUnknown
from release_action.wording import InputError, Mode, words


def raised(exc: BaseException) -> BaseException:
    """`exc` with a traceback, as the run's guard catches it."""
    try:
        raise exc
    except BaseException as caught:
        return caught


GHES_REQUEST = requests.Request("GET", "https://user:pw@ghes.example:8443/api/v3/repos/o/r/releases").prepare()

# exception → (exit code, title, words the message must hold)
TABLE = [
    (InputError("Input `tag`: refs/heads/x is a branch"), 2, INVALID_INPUT, "Input `tag`"),
    (ConvergeError("The release for v1 kept changing"), 1, FAILED, "kept changing"),
    (AssetError("app.zip differs; overwrite_files is false"), 1, FAILED, "overwrite_files"),
    (GitHubError(401, "Bad credentials", method="GET", url="https://api.github.com/x", hint="check `token`"), 1, FAILED,
     "Bad credentials"),
    (BudgetExhausted("timeout_seconds (5) would run out"), 1, FAILED, "timeout_seconds (5)"),
    (OutcomeUnknown("POST https://api.github.com/x: ReadTimeout after sending"), 1, FAILED, "after sending"),
    (RunnerFileError("Could not write the step's outputs to GITHUB_OUTPUT"), 1, FAILED, "GITHUB_OUTPUT"),
    (Cancelled("SIGTERM"), 1, FAILED, "stopped (SIGTERM)"),
    (KeyboardInterrupt(), 1, FAILED, "stopped (SIGINT)"),
    (requests.ConnectionError("refused", request=GHES_REQUEST), 1, FAILED,
     "Could not reach https://ghes.example:8443: ConnectionError"),
    (requests.TooManyRedirects("30 redirects"), 1, FAILED, "Could not reach GitHub's API: TooManyRedirects"),
    (requests.JSONDecodeError("Expecting value", "<html>captive portal</html>", 0), 1, FAILED, "not JSON"),
    (FileNotFoundError(2, "No such file or directory", "dist/app.zip"), 1, FAILED, "dist/app.zip"),
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
        if isinstance(exc, (*EXPLAINED, InputError)):
            assert message == str(exc)  # worded where the cause is known, with its fix
        else:
            assert message.endswith(RERUN), message


def test_bad_input_is_one_message_per_problem_worded_for_how_the_run_was_started():
    exc = raised(InputError(words("Input `draft` is {value!r}.", value="`tag`"), "Set `notes` or `notes_file`."))
    assert failure_of(exc).messages == ("Input `draft` is '`tag`'.", "Set `notes` or `notes_file`.")
    command = failure_of(exc, mode=Mode.COMMAND)
    assert (command.code, command.title) == (2, INVALID_INPUT)
    assert command.messages == ("--draft is '`tag`'.", "Set --notes or --notes-file.")


def test_every_other_failure_is_one_message_whatever_the_mode():
    for exc, *_ in TABLE:
        if not isinstance(exc, InputError):
            assert failure_of(raised(exc), mode=Mode.COMMAND).messages == (failure_of(raised(exc)).message,)


RELEASE = {"id": 7, "html_url": "https://github.com/o/r/releases/tag/v1"}


@pytest.mark.parametrize(
    ("exc", "action", "command"),
    [
        (
            ConvergeError(release_exists("v1", RELEASE)),
            "The release for v1 is already published (release 7: https://github.com/o/r/releases/tag/v1) and "
            "`if_exists: fail` is set: nothing was written to it. Release a new tag, or set `if_exists: update` to "
            "update it or `if_exists: skip` to leave it as it is.",
            "The release for v1 is already published (release 7: https://github.com/o/r/releases/tag/v1) and "
            "--if-exists fail is set: nothing was written to it. Release a new tag, or set --if-exists update to "
            "update it or --if-exists skip to leave it as it is.",
        ),
        (
            ConvergeError(tag_missing("v1", "o/r")),
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
    assert failure_of(raised(exc), mode=Mode.COMMAND).title == FAILED


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
