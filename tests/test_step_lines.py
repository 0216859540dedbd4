"""Specification of how a step reads in the log and in a dry run's plan: the runner's words, no Python reprs."""

from __future__ import annotations

from pathlib import Path

import pytest

from release_action.asset_decide import Keep, Leave, Replace, Upload, WaitFor
from release_action.asset_files import LocalFile
from release_action.decide import NEW_ID, Create, Delete, Desired, Done, Update, Wait, create_payload
from release_action.display import md_text
from release_action.step_lines import Name, Plain, Said, Scene, kept, line, quoted, said, value_for_log
from release_action.wording import words

SCENE = Scene("v1.0.0")
NOTES = "## What's changed\n\n* The release survives a race."


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (True, "true"),
        (False, "false"),
        (None, "none"),
        (3, "3"),
        ("", "empty"),
        ("Version 1", '"Version 1"'),
        (NOTES, '"## What\'s changed" … (3 lines)'),  # the first line, and how much more there is
        ("x" * 100, '"' + "x" * 59 + '…" (100 characters)'),
        ("\n\nsecond", '"second" … (3 lines)'),  # the first line that says something
        ("evil\x1b[2J\u202e", '"evil\\u202e"'),  # no escape sequence, nothing hidden
        (Name("app.zip"), "app.zip"),  # a name is not quoted
        (Plain("upload a (1 byte)"), "upload a (1 byte)"),
    ],
)
def test_values_read_in_the_runners_words_on_one_line(value, shown):
    assert value_for_log(value) == shown


def test_quoted_text_says_what_was_left_out_only_when_something_was():
    assert quoted("short") == ("short", "")
    assert quoted("a\nb") == ("a", " … (2 lines)")


def test_a_create_lists_its_fields_by_their_input_names_with_no_python_repr():
    desired = Desired("v1.0.0", name="Planned", body=NOTES, target_commitish="main", generate_notes=True)
    lines = said(Create(create_payload(desired)), SCENE).log_lines(would=True)
    assert lines == [
        "would create a new release for tag v1.0.0:",
        '  name: "Planned"',
        "  draft: false",
        "  prerelease: false",
        "  make_latest: legacy",
        '  notes: "## What\'s changed" … (3 lines)',
        "  target_commitish: main",
        "  generate_notes: true",
    ]
    assert not any("True" in text or "False" in text or "'" in text.replace("What's", "") for text in lines)


def test_a_create_of_a_draft_says_so_in_its_head():
    payload = create_payload(Desired("v1.0.0", draft=True))
    assert said(Create(payload), SCENE).log_lines()[0] == "create a new release for tag v1.0.0 as a draft:"


def test_an_update_shows_each_field_old_and_new_and_notes_only_as_changed():
    changes = {"name": ("Old", "New"), "body": ("old notes", NOTES), "prerelease": (False, True)}
    step = Update(7, {"name": "New", "body": NOTES, "prerelease": True}, changes)
    assert said(step, SCENE).log_lines() == [
        "update release 7:",
        '  name: "Old" → "New"',
        "  notes: changed",
        "  prerelease: false → true",
    ]


def test_an_update_that_publishes_a_draft_is_a_publish_and_a_created_release_is_the_new_release():
    step = Update(NEW_ID, {"draft": False, "tag_name": "v1.0.0"}, {"draft": (True, False)})
    assert said(step, SCENE).log_lines(would=True) == ["would publish the new release"]
    tagged = Update(7, {"draft": False}, {"draft": (True, False), "tag_name": ("untagged-1a2b", "v1.0.0")})
    assert said(tagged, SCENE).log_lines() == ["publish release 7:", "  tag: untagged-1a2b → v1.0.0"]


def test_delete_wait_and_done_read_as_a_person_would_say_them():
    assert said(Delete(9, "leftover draft 9 of tag v1.0.0"), SCENE).log_lines(would=True) == [
        "would delete leftover draft 9 of tag v1.0.0"
    ]
    assert said(Wait("read lag"), SCENE).log_lines(would=True) == ["would wait: read lag"]
    done = said(Done(7), SCENE)
    assert done.log_lines(would=True) == ["release 7 is as asked: nothing to write"]  # no "would": it acts not
    assert (done.writes, done.acts) == (0, False)


FILE = LocalFile(Path("a.zip"), "a.zip", 1, "ab" * 32, "application/zip")


def test_asset_steps_are_said_by_their_reason_and_count_their_writes():
    upload = said(Upload("upload a.zip (1 byte)"), SCENE)
    assert upload.log_lines(would=True) == ["would upload a.zip (1 byte)"]
    assert upload.writes == 1
    assert said(Replace("replace a.zip (2 → 1 bytes)", {"id": 1}), SCENE).writes == 2  # a delete, then the upload
    waiting = said(WaitFor("a.zip: another upload is in progress (3s old)"), SCENE)
    assert waiting.log_lines(would=True) == ["would wait: a.zip: another upload is in progress (3s old)"]
    assert waiting.writes == 0


def test_a_step_with_no_wording_of_its_own_is_said_by_its_reason_and_writes_nothing():
    class Skip:
        reason = "the release exists: left as it is"

    assert said(Skip(), SCENE).log_lines(would=True) == ["the release exists: left as it is"]


def test_a_reason_that_names_an_input_reads_as_in_a_workflow_in_the_log_and_the_summary():
    """Another run's upload that remove_other_assets leaves: its reason is Words (it names an input),
    and a dry run's plan says it (it once ended that dry run in a TypeError)."""
    left = said(Leave(words("{name} is left: not in `files`", name="b`.zip"), {}), SCENE)
    assert left.log_lines(would=True) == ["b`.zip is left: not in `files`"]
    assert left.writes == 0
    assert left.head.for_markdown() == md_text("b`.zip is left: not in `files`")


def test_assets_kept_as_they_are_are_one_line_with_the_right_plural():
    one = kept([Keep("a", {"name": "a.zip"})])
    assert one.log_lines(would=True) == ["1 asset is already uploaded with the same digest: a.zip"]
    many = kept([Keep("x", {"name": f"f{i}"}) for i in range(7)])
    assert many.log_lines() == ["7 assets are already uploaded with the same digest: f0, f1, f2, f3, f4 and 2 more"]
    assert many.writes == 0


def test_in_markdown_our_words_are_escaped_text_and_outside_values_code():
    item = Said(line("update {name} to {value}", name=Name("*x*"), value="a `b`|c"), (line("notes: changed"),))
    assert item.markdown_lines() == ["- would update `*x*` to ``a `b`|c``", "  - notes\\: changed"]
    hostile = Said(line("{reason}", reason=Plain("upload [x](https://evil.example) <b>")), writes=1)
    assert hostile.markdown_lines() == ["- would upload \\[x\\]\\(https\\:\\/\\/evil\\.example\\) \\<b\\>"]


def test_braces_that_name_no_value_stay_text():
    assert line("tag v{x}", other=1).for_log() == "tag v{x}"
