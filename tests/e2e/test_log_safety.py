r"""Specification: nothing from outside the action becomes a workflow command in its log.

A server's error message, a file name in the workspace, notes and names read from GitHub or
given as inputs all reach the log. The runner reads a container step's stdout *and* stderr
line by line and runs every line that looks like a command (release_bench/runner_reader.py
transcribes that reader, independently of the action's rule: `::name ...::` after leading
blanks, or `##[name ...]` anywhere in a line). Each hostile text carries the word PWNED;
every scenario checks that the text did reach the log, and that no line of it is a command.
"""

from __future__ import annotations

from release_bench.runner_reader import commands_in

from .conftest import REPO, TAG, Action, Run

# What an attacker would write: stop the runner's command processing (after which the
# action's own ::error:: is ignored), post annotations, mask the tag, the legacy form.
HOSTILE = (
    "\n::stop-commands::PWNED"
    "\n::warning title=PWNED::from outside"
    "\r::add-mask::v1.0.0"
    "\r\n\t ::error::PWNED after blanks"
    "\n\u2003::notice::PWNED after an em space"
    "\nsee ##[error]PWNED legacy"
)
# The commands the action itself prints; every other name is an injection.
OWN = {"add-mask", "group", "endgroup", "error", "warning", "notice"}


def assert_only_own_commands(run: Run, *, errors: int = 0) -> None:
    """No injected command on stdout or stderr; the action's own are as many as expected."""
    assert "Traceback" not in run.stdout + run.stderr, run
    assert "PWNED" in run.stdout, f"the hostile text never reached the log, so this test proves nothing: {run}"
    commands = commands_in(run.stdout) + commands_in(run.stderr)
    names = [name for name, _line in commands]
    assert set(names) <= OWN, [c for c in commands if c[0] not in OWN]
    assert names.count("error") == errors, commands
    assert names.count("warning") == 0, commands
    carried = [line for name, line in commands if "PWNED" in line and name != "error"]
    assert carried == [], carried  # only the ::error:: may quote outside text, escaped onto its one line


def test_a_servers_message_in_a_retried_answer_stays_log_text(sb, action: Action):
    sb.add_fault("get_release_by_tag", "secondary_limit", retry_after=0, message=f"slow down{HOSTILE}")

    run = action.run({"tag": TAG, "notes": "notes"})

    assert run.code == 0, run
    assert "slow down" in run.stdout  # logged: "<message>: waiting 0s as GitHub asks"
    assert_only_own_commands(run)
    assert [r["tag_name"] for r in sb.releases(REPO)] == [TAG]


def test_a_servers_message_in_the_final_error_stays_on_the_errors_one_line(sb, action: Action):
    sb.add_fault("get_release_by_tag", "primary_limit", reset_in=3600, message=f"rate limited{HOSTILE}")

    run = action.run({"tag": TAG, "notes": "notes"})

    assert run.code == 1, run
    assert_only_own_commands(run, errors=1)
    assert "rate limited%0A::stop-commands::PWNED" in run.errors[0]  # quoted, escaped as the runner unescapes
    assert sb.releases(REPO) == []


def test_file_names_that_read_as_commands_stay_log_text(sb, action: Action):
    dist = action.workdir / "dist"
    dist.mkdir()
    names = ["evil\n::error::PWNED from a file name.txt", "::warning::PWNED.txt", "##[error]PWNED.txt"]
    for name in names:
        (dist / name).write_text(name, encoding="utf-8")

    run = action.run({"tag": TAG, "notes": "notes", "files": "dist/*"})

    assert run.code == 0, run
    assert_only_own_commands(run)
    (release,) = sb.releases(REPO)
    assert len(release["assets"]) == len(names)


def test_notes_and_names_from_github_and_from_inputs_stay_log_text(sb, action: Action):
    sb.seed_release(REPO, TAG, name="::error::PWNED seeded name", body=f"seeded notes{HOSTILE}")
    inputs = {"tag": TAG, "name": f"::notice::PWNED name{HOSTILE}", "notes": f"##[error]PWNED notes{HOSTILE}"}

    plan = action.run({**inputs, "dry_run": "true"})
    update = action.run(inputs)

    for run in (plan, update):
        assert run.code == 0, run
        assert_only_own_commands(run)
    assert "seeded name" in plan.stdout  # the plan shows the field it would change, as GitHub has it
    (release,) = sb.releases(REPO)
    assert release["body"] == inputs["notes"]
