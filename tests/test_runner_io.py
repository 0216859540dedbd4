"""Specification of the runner channel: outputs, annotations, masks, groups, and no token leaks.

Outputs are checked twice: with the project's parse_outputs, and with an independent
transcription of the runner's own reader (actions/runner FileCommandManager on Linux, where
Docker actions run: lines end at "\\n"; a heredoc value is the text between the header line
and the first line equal to the delimiter).
"""

from __future__ import annotations

import io
import itertools
import json
import secrets
import signal
import sys

import pytest
import requests_mock

from release_action import main as main_module
from release_action import runner_io
from release_action.budget import Deadline
from release_action.inputs import INPUTS
from release_action.runner_io import (
    Cancelled,
    Runner,
    RunnerFileError,
    SafeLines,
    cancellable,
    escape_data,
    escape_property,
    format_outputs,
    neutralise,
)
from release_bench.harness import FakeClock, parse_outputs
from release_bench.runner_reader import commands_in


def runner_reads(text: str) -> dict[str, str]:
    """The runner's reader, transcribed: NAME=VALUE lines and NAME<<DELIM heredocs.

    Deliberately a second parser beside release_bench.harness.parse_outputs (which every other
    test uses): the action's writer is checked against two readers written apart.
    """
    outputs: dict[str, str] = {}
    index = 0

    def read_line() -> tuple[str | None, int]:
        nonlocal index
        if index >= len(text):
            return None, 0
        start, lf = index, text.find("\n", index)
        if lf < 0:
            index = len(text)
            return text[start:], 0
        index = lf + 1
        return text[start:lf], 1

    line, _ = read_line()
    while line is not None:
        if line:
            eq, hd = line.find("="), line.find("<<")
            if eq >= 0 and (hd < 0 or eq < hd):
                key, value = line.split("=", 1)
            elif hd >= 0:
                key, delimiter = line.split("<<", 1)
                start = end = index
                temp, newline = read_line()
                while temp != delimiter:
                    assert temp is not None, "delimiter never closes"
                    end = index - newline
                    temp, newline = read_line()
                value = text[start:end] if end > start else ""
            else:
                raise AssertionError(f"invalid line {line!r}")
            outputs[key] = value
        line, _ = read_line()
    return outputs


TRICKY_VALUES = [
    "plain",
    "",
    "EOF",
    "line one\nEOF\nline three",
    "100% sure %0A %25",
    "windows\r\nline endings\r\n",
    "ends with a newline\n",
    "\n",
    "\n\nblank lines\n\n",
    "::error::not a command\n::add-mask::x",
    "name=value",
    "a<<b",
    "ghadelimiter_",
    "ghadelimiter_0123456789abcdef0123456789abcdef",
    "trailing cr\r",
    "ünïcödé ✓",
]


@pytest.mark.parametrize("value", TRICKY_VALUES)
def test_an_output_value_reads_back_unchanged_by_the_runners_rules(value):
    text = format_outputs({"notes": value})
    assert runner_reads(text) == {"notes": value}
    assert parse_outputs(text) == {"notes": value}


def test_a_value_containing_the_chosen_delimiter_gets_a_fresh_delimiter(monkeypatch):
    hexes = iter(["aaaa", "bbbb"])
    monkeypatch.setattr(secrets, "token_hex", lambda _n: next(hexes))
    value = "before\nghadelimiter_aaaa\nafter"
    text = format_outputs({"notes": value})
    assert text.startswith("notes<<ghadelimiter_bbbb\n")
    assert runner_reads(text) == {"notes": value}


def test_a_value_with_the_delimiter_and_a_carriage_return_still_gets_a_fresh_delimiter(monkeypatch):
    hexes = iter(["aaaa", "cccc"])
    monkeypatch.setattr(secrets, "token_hex", lambda _n: next(hexes))
    value = "ghadelimiter_aaaa\r\nrest"
    text = format_outputs({"notes": value})
    assert "ghadelimiter_cccc" in text
    assert parse_outputs(text) == {"notes": value}


def test_every_output_gets_its_own_random_delimiter():
    text = format_outputs({"a": "1", "b": "2"})
    headers = [line for line in text.split("\n") if "<<" in line]
    assert len(headers) == 2
    assert len({h.split("<<")[1] for h in headers}) == 2


def test_outputs_written_in_a_row_read_back_in_order():
    outputs = {"id": "42", "notes": "EOF\n%\r\n::x", "status": "created", "empty": ""}
    text = format_outputs(outputs)
    assert runner_reads(text) == outputs
    assert list(parse_outputs(text)) == list(outputs)


def test_two_writes_to_the_output_file_append(tmp_path):
    path = tmp_path / "output"
    path.write_text("earlier=step\n", encoding="utf-8")
    runner = Runner({"GITHUB_OUTPUT": str(path)}, out=io.StringIO())
    runner.set_outputs({"id": "1"})
    runner.set_outputs({"tag": "v1\r\n"})
    text = path.read_bytes().decode("utf-8")
    assert runner_reads(text) == {"earlier": "step", "id": "1", "tag": "v1\r\n"}


def test_parse_outputs_reads_name_equals_value_lines_and_heredocs():
    text = "a=1\nb<<X\nline\nX\n\nc=x=y\nd<<Y\nY\n"
    assert parse_outputs(text) == {"a": "1", "b": "line", "c": "x=y", "d": ""}


def test_parse_outputs_refuses_a_heredoc_that_never_closes():
    with pytest.raises(ValueError, match="never closes"):
        parse_outputs("a<<X\nvalue\n")


# -- workflow commands -------------------------------------------------------------------------


def test_escape_data_escapes_percent_cr_and_lf_as_the_runner_unescapes_them():
    assert escape_data("100%\r\n::x") == "100%25%0D%0A::x"
    assert escape_data("%0A") == "%250A"  # a literal %0A is not turned into a newline


def test_escape_property_also_escapes_colon_and_comma():
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_an_error_annotation_is_one_line_whatever_the_message_holds():
    out = io.StringIO()
    Runner({}, out=out).error("50% done\r\n::add-mask::oops", title="step: one, two")
    assert out.getvalue() == "::error title=step%3A one%2C two::50%25 done%0D%0A::add-mask::oops\n"


def test_a_warning_without_a_title_has_no_properties():
    out = io.StringIO()
    Runner({}, out=out).warning("careful\nnow")
    assert out.getvalue() == "::warning::careful%0Anow\n"


@pytest.mark.parametrize(("actions", "masked"), [("true", True), ("false", False), (None, False)])
def test_the_token_is_masked_only_when_running_in_github_actions(actions, masked):
    out = io.StringIO()
    env = {} if actions is None else {"GITHUB_ACTIONS": actions}
    Runner(env, out=out).mask("s3cret")
    assert out.getvalue() == ("::add-mask::s3cret\n" if masked else "")


def test_an_empty_secret_is_not_masked():
    out = io.StringIO()
    Runner({"GITHUB_ACTIONS": "true"}, out=out).mask("")
    assert out.getvalue() == ""


def test_a_group_wraps_its_lines_and_closes_even_on_error():
    out = io.StringIO()
    runner = Runner({}, out=out)
    with pytest.raises(RuntimeError), runner.group("Phase\n1"):
        runner.echo("inside")
        raise RuntimeError
    assert out.getvalue().splitlines() == ["::group::Phase%0A1", "inside", "::endgroup::"]


def test_a_group_in_which_nothing_was_logged_is_not_printed():
    out = io.StringIO()
    runner = Runner({}, out=out)
    with runner.group("Converge"):
        pass
    runner.echo("after")
    assert out.getvalue().splitlines() == ["after"]


def test_a_group_is_printed_before_its_first_line_or_command_and_closed_after():
    out = io.StringIO()
    runner = Runner({}, out=out)
    with runner.group("Assets"):
        runner.warning("slow")
        runner.echo("upload a.zip")
    with runner.group("Check"):
        runner.echo("publish")
    assert out.getvalue().splitlines() == [
        "::group::Assets",
        "::warning::slow",
        "upload a.zip",
        "::endgroup::",
        "::group::Check",
        "publish",
        "::endgroup::",
    ]


def test_without_github_output_outputs_are_printed_for_a_local_run():
    out = io.StringIO()
    Runner({}, out=out).set_outputs({"id": "1", "status": "created"})
    assert out.getvalue().splitlines() == ["output id=1", "output status=created"]


def test_the_summary_is_appended_to_github_step_summary(tmp_path):
    path = tmp_path / "summary.md"
    path.write_text("# before\n", encoding="utf-8")
    Runner({"GITHUB_STEP_SUMMARY": str(path)}, out=io.StringIO()).summary("### Release\n")
    assert path.read_text(encoding="utf-8") == "# before\n### Release\n"


def test_an_output_file_the_step_cannot_write_is_a_clear_error(tmp_path):
    runner = Runner({"GITHUB_OUTPUT": str(tmp_path / "gone" / "output")}, out=io.StringIO())
    with pytest.raises(RunnerFileError, match=r"Could not write the step's outputs to GITHUB_OUTPUT .*gone"):
        runner.set_outputs({"id": "1"})


def test_a_summary_file_the_step_cannot_write_is_a_clear_error(tmp_path):
    runner = Runner({"GITHUB_STEP_SUMMARY": str(tmp_path)}, out=io.StringIO())  # a directory
    with pytest.raises(RunnerFileError, match="Could not write the job summary to GITHUB_STEP_SUMMARY"):
        runner.summary("### Release\n")


def test_a_value_that_is_not_valid_unicode_is_written_escaped_not_refused(tmp_path):
    path = tmp_path / "output"
    Runner({"GITHUB_OUTPUT": str(path)}, out=io.StringIO()).set_outputs({"name": "a\udcffb"})
    assert parse_outputs(path.read_text(encoding="utf-8")) == {"name": "a\\udcffb"}


# -- the log: no outside text becomes a command ----------------------------------------------------

# Each is one text as it could reach a log line (a server's message, a file name, notes).
HOSTILE_LOG_TEXT = [
    "::error::x",
    "::ERROR::x",
    "::stop-commands::token",
    "::add-mask::v1.0.0",
    "::warning title=t,file=f::x",
    ":::error::x",
    "   ::error::after spaces",
    "\t::error::after a tab",
    "\xa0::error::after a no-break space",
    "\u3000::error::after an ideographic space",
    "\u2003\u205f::error::after unicode spaces",
    "line one\n::error::x",
    "line one\r::error::x",
    "line one\r\n::error::x",
    "line one\x85::error::x",
    "line one\u2028::error::x",
    "\n\n::group::x\n::endgroup::",
    "##[error]x",
    "text, then ##[warning]x",
    "###[error]x",
    "##[##[error]x]",
    "#\n##[error]x",
    "a file name\udcff\n::error::x",
]
# Text that reads as no command stays exactly as it is.
HARMLESS_LOG_TEXT = [
    "",
    "plain",
    "a :: b",
    "x::y::z",
    "## a heading",
    "#[x] and ##(y)",
    "100% %0A %25",
    "two\nlines",
    "  indented",
    "https://[::1]:8080/api",
    "ünïcödé ✓",
]


def echoed(text: str) -> str:
    out = io.StringIO()
    Runner({}, out=out).echo(text)
    return out.getvalue()


@pytest.mark.parametrize("text", HOSTILE_LOG_TEXT)
def test_no_line_of_echoed_text_is_a_command_to_the_runner(text):
    out = echoed(text)
    assert commands_in(out) == []
    assert out.replace("\\", "") == text.replace("\udcff", "udcff") + "\n"  # only backslashes were added


@pytest.mark.parametrize("text", HARMLESS_LOG_TEXT)
def test_echoed_text_that_reads_as_no_command_is_printed_as_it_is(text):
    assert echoed(text) == text + "\n"


def test_a_command_line_is_defused_with_a_visible_backslash():
    assert (
        neutralise("::warning::x\n  ::error::y\nsee ##[error]z") == "\\::warning::x\n  \\::error::y\nsee ##\\[error]z"
    )


def test_the_runners_own_commands_stay_commands():
    out = io.StringIO()
    runner = Runner({"GITHUB_ACTIONS": "true"}, out=out)
    runner.mask("s3cret")
    with runner.group("Phase ::error::x"):
        runner.notice("note\n::stop-commands::x")
    assert [name for name, _line in commands_in(out.getvalue())] == ["add-mask", "group", "notice", "endgroup"]


def test_text_written_to_stderr_in_pieces_is_neutralised_line_by_line():
    target = io.StringIO()
    safe = SafeLines(target)
    for piece in ["warning from a library: ", "x\n  :", ":stop-commands::", "t\r##", "[error]y\n::er", "ror::z"]:
        safe.write(piece)
    assert target.getvalue() == "warning from a library: x\n  \\::stop-commands::t\r##\\[error]y\n"
    safe.finish()
    assert commands_in(target.getvalue()) == []
    assert target.getvalue().endswith("\\::error::z")


def test_while_the_action_runs_stderr_is_neutralised_and_restored_after(capsys):
    runner = Runner({}, out=io.StringIO())
    with runner.safe_stderr():
        print("oops\n::add-mask::v1", file=sys.stderr)
    print("::after", file=sys.stderr)
    assert capsys.readouterr().err == "oops\n\\::add-mask::v1\n::after\n"


# -- cancellation -------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_from_the_runner_ends_the_run_as_cancelled_and_a_second_one_is_ignored(sig):
    before = signal.getsignal(sig)
    with pytest.raises(Cancelled, match=sig.name), cancellable():
        signal.raise_signal(sig)
        for _ in range(1000):  # the handler runs between bytecodes
            pass
    assert signal.getsignal(sig) == before
    with cancellable():
        with pytest.raises(Cancelled):
            signal.raise_signal(sig)
            for _ in range(1000):
                pass
        signal.raise_signal(signal.SIGTERM)  # the runner's second signal: ignored
        signal.raise_signal(signal.SIGINT)


# -- the token appears in no output --------------------------------------------------------------

TOKEN = "ghs_NeverPrintMe0123456789abcdef"
API = "https://api.github.com"
RELEASE = {
    "id": 17,
    "tag_name": "v1",
    "name": "v1",
    "body": "",
    "draft": False,
    "prerelease": False,
    "target_commitish": "main",
    "html_url": "https://github.com/octo/repo/releases/tag/v1",
    "upload_url": "https://uploads.github.com/repos/octo/repo/releases/17/assets{?name,label}",
    "updated_at": "2024-05-01T00:00:00Z",
    "assets": [],
}


@pytest.fixture
def fake_deadline(monkeypatch):
    """main builds its own Deadline: give it a fake clock so nothing can really sleep."""
    fake = FakeClock()
    monkeypatch.setattr(main_module, "Deadline", lambda seconds: Deadline(seconds, clock=fake.clock, sleep=fake.sleep))
    return fake


def action_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {f"INPUT_{name.upper()}": spec.default for name, spec in INPUTS.items()}
    env.update(
        {
            "INPUT_TAG": "v1",
            "INPUT_TOKEN": TOKEN,
            "INPUT_REPOSITORY": "octo/repo",
            "INPUT_API_URL": API,
            "INPUT_TARGET_COMMITISH": "main",
            "GITHUB_WORKSPACE": str(tmp_path),
            "GITHUB_OUTPUT": str(tmp_path / "output"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        }
    )
    env.update(extra)
    return env


def run_action(env, capsys, answer: dict) -> tuple[int, str, str, requests_mock.Mocker]:
    with requests_mock.Mocker(real_http=False) as m:
        m.get(f"{API}/repos/octo/repo/releases/tags/v1", **answer)
        code = main_module.main(env)
    captured = capsys.readouterr()
    return code, captured.out, captured.err, m


def test_the_token_appears_in_no_output_of_a_successful_run(tmp_path, capsys, fake_deadline):
    env = action_env(tmp_path)
    code, out, err, m = run_action(env, capsys, {"json": RELEASE})
    assert code == 0
    assert m.call_count == 1
    assert m.last_request.headers["Authorization"] == f"Bearer {TOKEN}"  # it was used
    outputs_text = (tmp_path / "output").read_text(encoding="utf-8")
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert parse_outputs(outputs_text)["status"] == "unchanged"
    assert "v1" in summary
    for text in (out, err, outputs_text, summary):
        assert TOKEN not in text


def test_in_github_actions_the_token_is_printed_only_inside_the_add_mask_command(tmp_path, capsys, fake_deadline):
    env = action_env(tmp_path, GITHUB_ACTIONS="true")
    code, out, err, _ = run_action(env, capsys, {"json": RELEASE})
    assert code == 0
    assert [line for line in out.splitlines() if TOKEN in line] == [f"::add-mask::{TOKEN}"]
    assert out.splitlines().index(f"::add-mask::{TOKEN}") == 0  # masked before anything else is printed
    assert TOKEN not in err


@pytest.mark.parametrize(
    "answer",
    [
        {"status_code": 401, "json": {"message": "Bad credentials"}},
        {"status_code": 403, "json": {"message": "Resource not accessible by integration"}},
        {"status_code": 400, "json": {"message": f"token {TOKEN[:4]}… refused"}},
    ],
    ids=["401", "403", "400"],
)
def test_the_token_appears_in_no_output_of_a_failed_run(tmp_path, capsys, fake_deadline, answer):
    env = action_env(tmp_path)
    code, out, err, _ = run_action(env, capsys, answer)
    assert code != 0
    assert any(line.startswith("::error") for line in out.splitlines())
    assert TOKEN not in out and TOKEN not in err
    output_file = tmp_path / "output"
    assert not output_file.exists() or TOKEN not in output_file.read_text(encoding="utf-8")


def test_main_outputs_parse_back_to_the_release_it_found(tmp_path, capsys, fake_deadline):
    env = action_env(tmp_path)
    run_action(env, capsys, {"json": RELEASE})
    outputs = parse_outputs((tmp_path / "output").read_text(encoding="utf-8"))
    assert outputs["id"] == "17"
    assert outputs["html_url"] == RELEASE["html_url"]
    assert outputs["upload_url"] == RELEASE["upload_url"]
    assert (outputs["tag"], outputs["draft"], outputs["prerelease"]) == ("v1", "false", "false")
    assert fake_deadline.sleeps == []


def test_the_module_draws_delimiters_from_the_secrets_module():
    # A delimiter an attacker could predict could be planted in release notes.
    seen = {format_outputs({"x": "1"}).split("\n")[0] for _ in itertools.repeat(None, 20)}
    assert len(seen) == 20
    assert runner_io.secrets is secrets


# -- never a traceback: every failure ends in one ::error:: ----------------------------------------


def hostile_bug(*_args, **_kwargs):
    raise ValueError("a bug\n::stop-commands::x")


def test_a_bug_ends_in_one_error_that_says_so_and_asks_for_a_report(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(main_module, "converge", hostile_bug)
    env = action_env(tmp_path, GITHUB_ACTION_REPOSITORY="octo/safe-release-action")

    code = main_module.main(env)

    out, err = capsys.readouterr()
    assert code == 1
    assert err == ""
    assert "Traceback" not in out
    assert [name for name, _line in commands_in(out)] == ["error"]
    (error,) = [line for line in out.splitlines() if line.startswith("::error")]
    assert "unexpected ValueError" in error and "a bug in the action" in error
    assert "https://github.com/octo/safe-release-action/issues" in error
    assert "stop-commands" not in error  # the exception's text (outside data, perhaps) stays out


def test_with_runner_debug_a_bugs_traceback_is_shown_in_a_group_as_log_text(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(main_module, "converge", hostile_bug)

    code = main_module.main(action_env(tmp_path, RUNNER_DEBUG="1"))

    out = capsys.readouterr().out
    assert code == 1
    assert [name for name, _line in commands_in(out)] == ["group", "endgroup", "error"]
    group = out[out.index("::group::") : out.index("::endgroup::")]
    assert "Traceback (most recent call last)" in group
    assert "ValueError: a bug\n\\::stop-commands::x" in group


def test_a_library_writing_outside_text_to_stderr_cannot_issue_a_command(tmp_path, capsys, monkeypatch):
    def logs_then_fails(*_args, **_kwargs):
        sys.stderr.write("Failed to parse headers: \n::add-mask::v1\n")  # as logging's last resort writes
        raise OSError(5, "Input/output error", "dist/app.zip")

    monkeypatch.setattr(main_module, "converge", logs_then_fails)

    code = main_module.main(action_env(tmp_path))

    out, err = capsys.readouterr()
    assert code == 1
    assert "Failed to parse headers" in err
    assert commands_in(err) == []
    (error,) = [line for line in out.splitlines() if line.startswith("::error")]
    assert "dist/app.zip" in error and "Input/output error" in error


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_run_the_runner_cancels_ends_in_one_error_not_a_traceback(tmp_path, capsys, monkeypatch, sig):
    def cancelled(*_args, **_kwargs):
        signal.raise_signal(sig)
        for _ in range(1000):  # the handler runs between bytecodes
            pass

    monkeypatch.setattr(main_module, "converge", cancelled)

    code = main_module.main(action_env(tmp_path))

    out, err = capsys.readouterr()
    assert code == 1
    assert err == ""
    (error,) = [line for line in out.splitlines() if line.startswith("::error")]
    assert f"stopped ({sig.name})" in error and "timeout-minutes" in error


def test_an_output_file_the_step_cannot_write_ends_the_run_in_one_error(tmp_path, capsys, fake_deadline):
    env = action_env(tmp_path, GITHUB_OUTPUT=str(tmp_path / "gone" / "output"))

    code, out, err, _ = run_action(env, capsys, {"json": RELEASE})

    assert code == 1
    assert err == ""
    (error,) = [line for line in out.splitlines() if line.startswith("::error")]
    assert "GITHUB_OUTPUT" in error


def test_the_requests_output_counts_the_requests_the_run_sent(tmp_path, capsys, fake_deadline):
    code, _out, _err, m = run_action(action_env(tmp_path), capsys, {"json": RELEASE})

    outputs = parse_outputs((tmp_path / "output").read_text(encoding="utf-8"))
    assert code == 0
    assert json.loads(outputs["requests"]) == {"total": m.call_count, "writes": 0}
