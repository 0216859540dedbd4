"""notes.compose(body, texts, placement) as a table: the body a run wants, for each placement."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from release_action.contract import MAX_BODY
from release_action.notes import (
    PLACE_APPEND,
    PLACE_REPLACE,
    TooLong,
    begin_marker,
    change,
    compose,
    end_marker,
    in_section,
    marker_line,
    section_name_problem,
    section_text,
    state,
)

B, E = begin_marker("linux"), end_marker("linux")
MB, ME = begin_marker("macos"), end_marker("macos")
LINUX = in_section("linux")

ROWS = [
    # (rule, body seen, the run's texts, placement, body wanted)
    # -- replace: the body is the notes, as given
    ("replace: the notes are the body", "old", ["new\n"], PLACE_REPLACE, "new\n"),
    ("replace: notes and generated notes, a blank line apart", "", ["a", "b"], PLACE_REPLACE, "a\n\nb"),
    # -- append
    ("append to no body: the text alone", None, ["linux: ok"], PLACE_APPEND, "linux: ok"),
    ("append to an empty body", "", ["linux: ok"], PLACE_APPEND, "linux: ok"),
    ("append after a blank line", "Intro", ["linux: ok"], PLACE_APPEND, "Intro\n\nlinux: ok"),
    ("append: a body ending in a newline gets one more", "Intro\n", ["linux: ok"], PLACE_APPEND, "Intro\n\nlinux: ok"),
    ("append: a body ending in a blank line gets none", "Intro\n\n", ["x"], PLACE_APPEND, "Intro\n\nx"),
    ("append: CRLF endings count as line breaks", "Intro\r\n", ["x"], PLACE_APPEND, "Intro\r\n\nx"),
    ("append: the text without its leading blank lines and trailing blanks", "A", ["\n\n  x\n\n"], PLACE_APPEND,
     "A\n\n  x"),
    ("append: already there, as given", "Intro\n\nlinux: ok", ["linux: ok"], PLACE_APPEND, "Intro\n\nlinux: ok"),
    ("append: already there with a trailing newline in the notes", "Intro\n\nlinux: ok", ["linux: ok\n"],
     PLACE_APPEND, "Intro\n\nlinux: ok"),
    ("append: already there after the web page turned it to CRLF", "Intro\r\n\r\n* a\r\n* b", ["* a\n* b\n"],
     PLACE_APPEND, "Intro\r\n\r\n* a\r\n* b"),
    ("append: already there with trailing blanks trimmed on a line", "Intro\n\n* a\n* b", ["* a  \n* b"],
     PLACE_APPEND, "Intro\n\n* a\n* b"),
    ("append: already there in the middle of the body", "Intro\n\nx\n\nlater", ["x"], PLACE_APPEND,
     "Intro\n\nx\n\nlater"),
    ("append: part of a line is not the text", "Intro: linux: ok!", ["linux: ok"], PLACE_APPEND,
     "Intro: linux: ok!\n\nlinux: ok"),
    ("append: lines not consecutive are not the text", "* a\n* c\n* b", ["* a\n* b"], PLACE_APPEND,
     "* a\n* c\n* b\n\n* a\n* b"),
    ("append: each text on its own (generated notes once, whoever added them)", "Intro\n\nGEN", ["mac", "GEN"],
     PLACE_APPEND, "Intro\n\nGEN\n\nmac"),
    ("append: both texts missing: in order", "Intro", ["mine", "GEN"], PLACE_APPEND, "Intro\n\nmine\n\nGEN"),
    ("append: a blank text adds nothing", "Intro", ["  \n"], PLACE_APPEND, "Intro"),
    # -- section
    ("section: missing, added at the end after a blank line", "Intro", ["ok"], LINUX, f"Intro\n\n{B}\nok\n{E}"),
    ("section: missing from no body", None, ["ok\n"], LINUX, f"{B}\nok\n{E}"),
    ("section: there with this content: nothing changes", f"Intro\n\n{B}\nok\n{E}\nafter", ["ok"], LINUX,
     f"Intro\n\n{B}\nok\n{E}\nafter"),
    ("section: there with CRLF endings and the same content", f"Intro\r\n{B}\r\nok\r\n{E}\r\n", ["ok\n"], LINUX,
     f"Intro\r\n{B}\r\nok\r\n{E}\r\n"),
    ("section: other content is replaced in place, the rest untouched", f"Top\r\n{B}\r\nold\r\n{E}\r\nBottom  ",
     ["new"], LINUX, f"Top\r\n{B}\r\nnew\n{E}\r\nBottom  "),
    ("section: another section is left alone", f"{MB}\nmac\n{ME}\n\n{B}\nold\n{E}", ["new"], LINUX,
     f"{MB}\nmac\n{ME}\n\n{B}\nnew\n{E}"),
    ("section: another section's name is not this one", f"{MB}\nmac\n{ME}", ["lin"], LINUX,
     f"{MB}\nmac\n{ME}\n\n{B}\nlin\n{E}"),
    ("section: notes and generated notes, a blank line apart", "", ["mine\n", "GEN"], LINUX,
     f"{B}\nmine\n\nGEN\n{E}"),
    ("section: markers indented or with trailing blanks are markers", f"  {B}  \nold\n{E}\t", ["new"], LINUX,
     f"  {B}  \nnew\n{E}\t"),
    ("section: an end with no begin before it is text", f"{E}\nIntro", ["x"], LINUX, f"{E}\nIntro\n\n{B}\nx\n{E}"),
    ("section: a begin with no end is text; ours is added", f"{B}\nuser text", ["x"], LINUX,
     f"{B}\nuser text\n\n{B}\nx\n{E}"),
    ("section: an end closes the nearest begin before it", f"{B}\nstray\n{B}\nold\n{E}", ["new"], LINUX,
     f"{B}\nstray\n{B}\nnew\n{E}"),
    ("section: a marker inside a line is text", f"see {B} here\nx", ["y"], LINUX, f"see {B} here\nx\n\n{B}\ny\n{E}"),
    ("section: a second section of the name (a hand edit) is dropped", f"{B}\na\n{E}\nmid\n{B}\nb\n{E}\nend",
     ["a"], LINUX, f"{B}\na\n{E}\nmid\nend"),
    ("section: an empty section is filled", f"{B}\n{E}", ["x"], LINUX, f"{B}\nx\n{E}"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "body", "texts", "placement", "wanted"), ROWS, ids=[r[0] for r in ROWS])
def test_compose(rule, body, texts, placement, wanted):
    assert compose(body, texts, placement) == wanted


@pytest.mark.parametrize(("rule", "body", "texts", "placement", "wanted"), ROWS, ids=[r[0] for r in ROWS])
def test_composing_again_from_the_result_changes_nothing(rule, body, texts, placement, wanted):
    """A re-run finds what it wrote and writes nothing: compose is idempotent."""
    assert compose(wanted, texts, placement) == wanted
    assert state(wanted, texts, placement) == "holds"


@pytest.mark.parametrize(
    ("body", "texts", "placement", "expected"),
    [
        ("Intro", ["x"], PLACE_APPEND, "missing"),
        ("Intro\n\nx", ["x"], PLACE_APPEND, "holds"),
        ("Intro", ["x"], LINUX, "missing"),
        (f"{B}\nx\n{E}", ["x"], LINUX, "holds"),
        (f"{B}\ny\n{E}", ["x"], LINUX, "differs"),
        (f"{B}\nx\n{E}\n{B}\nx\n{E}", ["x"], LINUX, "differs"),  # twice: to be made once
        ("old", ["new"], PLACE_REPLACE, "differs"),
    ],
)
def test_state_tells_a_dropped_text_from_a_section_someone_changed(body, texts, placement, expected):
    assert state(body, texts, placement) == expected


def test_texts_appended_by_racing_runs_end_each_once_whatever_order_they_land_in():
    texts = ["linux: ok", "macos: ok", "windows: ok"]
    for order in itertools.permutations(texts):
        body = "Intro"
        for text in order + order:  # every run, then every run again (a re-run)
            body = compose(body, [text], PLACE_APPEND)
        assert body.startswith("Intro\n\n")
        assert all(body.count(t) == 1 for t in texts), body


def test_sections_of_racing_runs_end_each_once_and_a_changed_one_only_changes_itself():
    body = "Intro"
    for name in ("linux", "macos", "windows"):
        body = compose(body, [f"{name} 1"], in_section(name))
    after = compose(body, ["macos 2"], in_section("macos"))
    assert after == body.replace("macos 1", "macos 2")
    assert [section_text(after, n) for n in ("linux", "macos", "windows")] == ["linux 1\n", "macos 2\n", "windows 1\n"]


def test_compose_returns_the_body_itself_when_nothing_changes():
    body = "Intro\r\n\r\nx\r\n"
    assert compose(body, ["x"], PLACE_APPEND) is body


@pytest.mark.parametrize("placement", [PLACE_APPEND, LINUX])
def test_a_body_that_would_exceed_githubs_limit_is_too_long(placement):
    body = "x" * (MAX_BODY - 10)
    with pytest.raises(TooLong) as caught:
        compose(body, ["a line of notes"], placement)
    assert caught.value.length > MAX_BODY
    assert compose(body, ["short"], PLACE_APPEND) == body + "\n\nshort"  # 7 more: exactly at the limit
    assert len(body + "\n\nshort") == MAX_BODY - 3


def test_a_body_over_the_limit_that_already_holds_the_notes_is_left_alone():
    body = "x" * (MAX_BODY + 5) + "\n\nmine"
    assert compose(body, ["mine"], PLACE_APPEND) is body


def test_a_body_with_many_blank_crlf_lines_is_composed_at_once():
    """A body edited in GitHub's web page (CRLF endings) with a run of blank lines inside: the gap
    before the notes is found in linear time. (It was a regex that backtracked 2**blank-lines
    times: 60 blank lines would never end, and no deadline stops a regex.) In a subprocess, so
    that a regression fails at the timeout instead of hanging the suite."""
    code = (
        "from release_action.notes import PLACE_APPEND, compose, in_section\n"
        "body = 'Intro' + '\\r\\n' * 60 + 'Outro'\n"
        "assert compose(body, ['mine'], PLACE_APPEND) == body + '\\n\\nmine'\n"
        "assert compose(body, ['mine'], in_section('x')).startswith(body + '\\n\\n<!--')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("placement", [PLACE_APPEND, LINUX])
def test_notes_with_a_marker_line_are_refused_where_markers_are_read(placement):
    with pytest.raises(ValueError, match="section marker"):
        compose("Intro", [f"x\n{end_marker('linux')}\ny"], placement)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"a\n{B}\nb", B),
        (f"a\r\n  {E}  \r\n", f"  {E}  "),
        ("<!--safe-release:End x-->", "<!--safe-release:End x-->"),
        ("<!-- safe-release:begin -->", "<!-- safe-release:begin -->"),
        (f"inline {B} text", None),
        ("<!-- another tool's marker -->", None),
        ("plain notes", None),
    ],
)
def test_marker_line_finds_any_line_that_reads_as_a_marker(text, line):
    assert marker_line(text) == line


@pytest.mark.parametrize(
    ("name", "ok"),
    [("linux", True), ("linux-x86_64", True), ("v1.2", True), ("9", True), ("a" * 64, True), ("a" * 65, False),
     ("", False), ("-a", False), ("_a", False), (".a", False), ("a b", False), ("a>b", False), ("é", False)],
)  # fmt: skip
def test_section_names(name, ok):
    assert (section_name_problem(name) is None) is ok


@pytest.mark.parametrize(
    ("before", "after", "placement", "said"),
    [
        ("Intro", "Intro\n\nx", PLACE_APPEND, "append 3 characters to the 5 there"),
        ("Intro", f"Intro\n\n{B}\nx\n{E}", LINUX, "add section 'linux' (1 line)"),
        (f"{B}\nold\n{E}", f"{B}\nnew\nlines\n{E}", LINUX, "replace section 'linux' (2 lines)"),
    ],
)
def test_change_says_what_a_write_does_to_the_body(before, after, placement, said):
    assert change(before, after, placement) == said
