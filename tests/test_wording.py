"""Specification of how a message names inputs: as a workflow sets them, or as the command's flags and variables."""

from __future__ import annotations

import pytest

from release_action.contract import INPUTS
from release_action.wording import FLAGS_VARIABLE, InputError, Mode, counted, joined, mode_of, words

# template, values → (under Actions, with flags)
RENDERED = [
    ("Input `notes_file`: {path!r} is missing.", {"path": "N.md"},
     "Input `notes_file`: 'N.md' is missing.", "--notes-file: 'N.md' is missing."),
    ("Set either `notes` or `notes_file`.", {}, "Set either `notes` or `notes_file`.",
     "Set either --notes or --notes-file."),
    ("or set `fail_on_unmatched_files: false`.", {}, "or set `fail_on_unmatched_files: false`.",
     "or set --no-fail-on-unmatched-files."),
    ("only with `generate_notes: true`.", {}, "only with `generate_notes: true`.", "only with --generate-notes."),
    ("Pass `tag: ${{ github.ref_name }}`.", {}, "Pass `tag: ${{ github.ref_name }}`.", "Pass --tag v1.2.3."),
    ("Pass `tag: {short}`.", {"short": "v9"}, "Pass `tag: v9`.", "Pass --tag v9."),
    ("Give `repository: ${{ github.repository }}`.", {}, "Give `repository: ${{ github.repository }}`.",
     "Give --repository OWNER/NAME."),
    ("check the `token` input", {}, "check the `token` input", "check the GH_TOKEN input"),
    ("Input `token` is wrong", {}, "Input `token` is wrong", "GH_TOKEN is wrong"),
    ("Input `{input}` is {value!r}.", {"input": INPUTS["dry_run"], "value": "yes"},
     "Input `dry_run` is 'yes'.", "--dry-run is 'yes'."),
    # code that names no input stays code, in both modes
    ("give the job `permissions: contents: write`", {}, "give the job `permissions: contents: write`",
     "give the job `permissions: contents: write`"),
    ("`true`, `false` or `legacy`; `**` recursive", {}, "`true`, `false` or `legacy`; `**` recursive",
     "`true`, `false` or `legacy`; `**` recursive"),
    ("Input `{path}` is no input", {"path": "tag"}, "Input `tag` is no input", "Input `tag` is no input"),
    # outside text is a value: inserted as it is, never read as markup
    ("the file {name!r}", {"name": "`draft` {path} Input `tag`"}, "the file '`draft` {path} Input `tag`'",
     "the file '`draft` {path} Input `tag`'"),
    # braces that name no value are text
    ("`${{ github.sha }}` and {unknown}", {}, "`${{ github.sha }}` and {unknown}", "`${{ github.sha }}` and {unknown}"),
]  # fmt: skip


@pytest.mark.parametrize(("template", "values", "action", "command"), RENDERED, ids=[row[0] for row in RENDERED])
def test_a_message_names_inputs_as_the_user_set_them(template, values, action, command):
    message = words(template, **values)
    assert message.render(Mode.ACTION) == action == str(message)
    assert message.render(Mode.COMMAND) == command


def test_where_the_fix_differs_the_command_has_its_own_words():
    message = words("Add `token: {x}`.", command="export GH_TOKEN={x}", x="T")
    assert (message.render(Mode.ACTION), message.render(Mode.COMMAND)) == ("Add `token: T`.", "export GH_TOKEN=T")


def test_every_input_is_named_by_its_flag_or_its_variable_at_a_terminal():
    for name, spec in INPUTS.items():
        shown = words(f"`{name}`").render(Mode.COMMAND)
        assert shown == (spec.env[0] if spec.env else "--" + name.replace("_", "-"))


@pytest.mark.parametrize(
    ("env", "mode"),
    [({}, Mode.ACTION), ({FLAGS_VARIABLE: "1"}, Mode.COMMAND), ({FLAGS_VARIABLE: ""}, Mode.ACTION)],
)
def test_the_mode_is_the_command_only_when_cli_marked_the_run(env, mode):
    assert mode_of({"GITHUB_ACTIONS": "true", **env}) is mode


def test_an_input_error_holds_every_problem_and_reads_as_a_workflows_words():
    error = InputError("Set `notes`.", words("Input `tag` {t!r}.", t="x"))
    assert [p.render(Mode.COMMAND) for p in error.problems] == ["Set --notes.", "--tag 'x'."]
    assert str(error) == "Set `notes`.\nInput `tag` 'x'."


@pytest.mark.parametrize(
    ("count", "noun", "plural", "said"),
    [
        (1, "API request", None, "1 API request"),
        (2, "API request", None, "2 API requests"),
        (0, "write", None, "0 writes"),
        (1, "write", None, "1 write"),
        (1000, "file", None, "1000 files"),
        (1, "byte", None, "1 byte"),
        (3, "copy", "copies", "3 copies"),
    ],
)
def test_counted_takes_the_singular_for_one_and_the_plural_otherwise(count, noun, plural, said):
    assert counted(count, noun, plural) == said


def test_a_message_within_a_message_is_worded_for_the_same_reader_and_outside_text_stays_text():
    """Asset errors list several reasons in one message (locked_problem): each reason that names an
    input is worded for the reader; a str part (a file name, a server's message) is never markup."""
    reasons = [words("{name} is not in `files`", name="a.zip"), "b.zip: `token` {x} from the server"]
    message = words("Cannot change the assets ({problems}).", problems=joined(reasons))

    assert (
        message.render(Mode.ACTION)
        == "Cannot change the assets (a.zip is not in `files`; b.zip: `token` {x} from the server)."
    )
    assert (
        message.render(Mode.COMMAND)
        == "Cannot change the assets (a.zip is not in --files; b.zip: `token` {x} from the server)."
    )
