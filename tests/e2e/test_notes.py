"""Release notes from a file, and notes that GitHub generates, end to end."""

from __future__ import annotations

from tests.e2e.conftest import TAG, Action, assert_converged, writes


def test_notes_file_is_read_from_the_workspace_as_utf8(sb, action: Action) -> None:
    (action.workdir / "CHANGES.md").write_text("## Fixed\n* café ☕ bug\n", encoding="utf-8")
    run = action.run({"notes_file": "CHANGES.md"})
    release = assert_converged(sb, [run])
    assert release["body"] == "## Fixed\n* café ☕ bug\n"


def test_generated_notes_start_with_the_given_notes_and_compare_with_previous_tag(sb, action: Action) -> None:
    sb.push_tag("octo/demo", "v0.9.0")
    run = action.run({"notes": "Highlights first.", "generate_notes": "true", "previous_tag": "v0.9.0"})
    release = assert_converged(sb, [run])
    assert release["body"].startswith("Highlights first.\n\n")
    assert "compare/v0.9.0...v1.0.0" in release["body"]
    assert run.outputs["status"] == "created"


def test_generated_notes_are_kept_on_a_re_run(sb, action: Action) -> None:
    inputs = {"notes": "Intro", "generate_notes": "true"}
    first = action.run(inputs)
    body = assert_converged(sb, [first])["body"]
    assert "What's Changed" in body
    sb.clear_log()
    again = action.run(inputs)
    assert_converged(sb, [again])
    assert again.outputs["status"] == "unchanged"
    assert writes(sb) == []
    assert sb.releases("octo/demo")[0]["body"] == body
    assert TAG in body
