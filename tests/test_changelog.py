"""changelog.find(text, tag) as a table: the section of a Markdown changelog for a tag."""

from __future__ import annotations

import time

import pytest

from release_action.changelog import Empty, NotFound, find, headings, names_tag

KEEP_A_CHANGELOG = """\
# Changelog
All notable changes to this project will be documented in this file.

## [Unreleased]

### Added
- not released yet

## [1.2.3] - 2026-01-02

### Fixed
- the parser

### Added
- a flag

## [1.2.2] - 2025-12-01
### Fixed
- older

[Unreleased]: https://github.com/o/r/compare/v1.2.3...HEAD
[1.2.3]: https://github.com/o/r/compare/v1.2.2...v1.2.3
"""

ROWS = [
    # (rule, changelog, tag, section)
    ("Keep a Changelog: `## [1.2.3] - date`, for tag v1.2.3", KEEP_A_CHANGELOG, "v1.2.3",
     "### Fixed\n- the parser\n\n### Added\n- a flag"),
    ("Keep a Changelog: the tag without a v matches too", KEEP_A_CHANGELOG, "1.2.3",
     "### Fixed\n- the parser\n\n### Added\n- a flag"),
    ("the last section runs to the end, link definitions and all", KEEP_A_CHANGELOG, "v1.2.2",
     "### Fixed\n- older\n\n[Unreleased]: https://github.com/o/r/compare/v1.2.3...HEAD\n"
     "[1.2.3]: https://github.com/o/r/compare/v1.2.2...v1.2.3"),
    ("`## v1.2.3`: the tag itself", "## v1.2.4\nnew\n## v1.2.3\n* fix\n## v1.2.2\nold", "v1.2.3", "* fix"),
    ("`# 1.2.3 (date)`", "# 1.2.3 (2026-01-02)\n\n* a\n\n# 1.2.2 (2025-01-01)\n* b", "v1.2.3", "* a"),
    ("a heading of any level: `### v1.2.3`", "## Releases\n### v1.2.3\n- x\n### v1.2.2\n- y", "v1.2.3", "- x"),
    ("deeper headings belong to the section", "# 1.2.3\n## Fixed\n- x\n#### note\ny\n# 1.2.2", "v1.2.3",
     "## Fixed\n- x\n#### note\ny"),
    ("a higher heading ends it", "### 1.2.3\n- x\n# Older\n- y", "v1.2.3", "- x"),
    ("`[1.2.3](link)`: the `]` after the version", "## [1.2.3](https://x/compare) (2026)\n- x\n## [1.2.2]", "v1.2.3",
     "- x"),
    ("the tag followed by ` - `", "## v1.2.3 - Codename\n- x\n", "v1.2.3", "- x"),
    ("the tag followed by a tab", "## v1.2.3\t(2026)\n- x\n", "v1.2.3", "- x"),
    ("a closing run of # is not part of the text", "## v1.2.3 ##\n- x\n## v1.2.2 ##", "v1.2.3", "- x"),
    ("up to three spaces before #", "   ## v1.2.3\n- x\n   ## v1.2.2", "v1.2.3", "- x"),
    ("the first matching heading wins", "## v1.2.3\nfirst\n## v1.2.3\nsecond", "v1.2.3", "first"),
    ("a tag with a slash", "## release/2024.5.0\n- x\n", "release/2024.5.0", "- x"),
    ("a tag not starting with v matches only as written", "## 2024.5.0\n- x\n", "2024.5.0", "- x"),
    ("blank lines at both ends are trimmed, inner ones kept", "## v1.2.3\n\n\n- a\n\n- b\n\n\n## v1.2.2", "v1.2.3",
     "- a\n\n- b"),
    ("hard line breaks (two trailing spaces) inside are kept", "## v1.2.3\nline one  \nline two\n", "v1.2.3",
     "line one  \nline two"),
    ("a heading inside a ``` fence is not a heading", "## v1.2.3\n```md\n# v1.2.2\n```\nafter\n## v1.2.2\nold",
     "v1.2.3", "```md\n# v1.2.2\n```\nafter"),
    ("a heading inside a ~~~ fence is not a heading", "## v1.2.3\n~~~\n## v0\n~~~~\nafter\n## v1", "v1.2.3",
     "~~~\n## v0\n~~~~\nafter"),
    ("a fence closes only with a like fence at least as long", "## v1.2.3\n````\n```\n## v0\n````\nend\n## x",
     "v1.2.3", "````\n```\n## v0\n````\nend"),
    ("an unclosed fence runs to the end", "## v1.2.3\n- a\n```\n## v1.2.2\n", "v1.2.3", "- a\n```\n## v1.2.2"),
    ("the tag's heading inside a fence is not the section", "```\n## v1.2.3\nfake\n```\n## v1.2.3\nreal", "v1.2.3",
     "real"),
    ("indented code (four spaces) holds no heading", "## v1.2.3\n    # not a heading\n- a\n## v1", "v1.2.3",
     "    # not a heading\n- a"),
    ("setext `===` heading", "Changes\n\nv1.2.3\n======\n\n* a\n\nv1.2.2\n======\n* b", "v1.2.3", "* a"),
    ("setext `---` heading, ended by a setext `===` one", "v1.2.3\n------\n* a\n\nOlder\n=====\n* b", "v1.2.3",
     "* a"),
    ("a line of text right after a list item is part of it: no heading", "v1.2.3\n---\n* a\nOlder\n=====", "v1.2.3",
     "* a\nOlder\n====="),
    ("setext level 2 ends at the next level 2", "1.2.3 (2026)\n---\n* a\n\n1.2.2\n---\n* b", "v1.2.3", "* a"),
    ("setext level 2 runs past an ATX level 3", "1.2.3\n---\n### Fixed\n* a\n\n## 1.2.2\n* b", "v1.2.3",
     "### Fixed\n* a"),
    ("setext right after an ATX heading", "# Changelog\nv1.2.3\n======\n* a\n", "v1.2.3", "* a"),
    ("`---` after a list item is a thematic break, not a heading", "## v1.2.3\n- a\n---\n- b\n## v1", "v1.2.3",
     "- a\n---\n- b"),
    ("`---` under the second line of a paragraph is not taken for a heading", "## v1.2.3\nsome\ntext\n---\nmore",
     "v1.2.3", "some\ntext\n---\nmore"),
    ("CRLF line endings", "## v1.2.3\r\n\r\n- a\r\n## v1.2.2\r\n", "v1.2.3", "- a"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "text", "tag", "section"), ROWS, ids=[r[0] for r in ROWS])
def test_find(rule, text, tag, section):
    assert find(text, tag).text == section


@pytest.mark.parametrize(
    ("heading", "tag", "names"),
    [
        ("[1.2.3] - 2026-01-02", "v1.2.3", True),
        ("v1.2.3", "v1.2.3", True),
        ("1.2.3 (2026-01-02)", "v1.2.3", True),
        ("[v1.2.3]", "v1.2.3", True),
        ("1.2.3", "1.2.3", True),
        ("v1.2.3", "1.2.3", False),  # the tag without a v; never with one added
        ("1.2.30", "v1.2.3", False),
        ("1.2.3-rc.1", "v1.2.3", False),
        ("1.2.3.1", "v1.2.3", False),
        ("1.2.3:", "v1.2.3", False),
        ("Version 1.2.3", "v1.2.3", False),
        ("[Unreleased]", "v1.2.3", False),
        ("[1.2.3", "v1.2.3", True),
        ("V1.2.3", "v1.2.3", False),
        ("v", "v", True),
    ],
)
def test_names_tag(heading, tag, names):
    assert names_tag(heading, tag) is names


def test_the_section_knows_its_heading_and_line():
    found = find(KEEP_A_CHANGELOG, "v1.2.3")
    assert (found.heading.source, found.heading.line, found.heading.level) == ("## [1.2.3] - 2026-01-02", 9, 2)
    assert found.lines == 5


def test_a_setext_headings_line_is_the_line_of_its_text():
    found = find("Intro\n\nv1.2.3\n======\nx", "v1.2.3")
    assert (found.heading.line, found.heading.source, found.heading.last) == (3, "v1.2.3", 4)


def test_no_section_names_the_headings_nearest_to_the_tag():
    with pytest.raises(NotFound) as caught:
        find(KEEP_A_CHANGELOG, "v1.2.4")
    assert [h.source for h in caught.value.nearest] == [
        "## [Unreleased]",
        "## [1.2.3] - 2026-01-02",
        "## [1.2.2] - 2025-12-01",
    ]


def test_nearest_means_sharing_the_longest_start_with_the_version():
    text = "# Log\n## 2.0.0\n## 1.3.0\n## 1.2.9\n## 1.2.1\n## 0.9\n"
    with pytest.raises(NotFound) as caught:
        find(text, "v1.2.4")
    assert [h.source for h in caught.value.nearest] == ["## 1.3.0", "## 1.2.9", "## 1.2.1"]  # in file order


def test_with_no_heading_sharing_a_start_the_first_headings_are_nearest():
    with pytest.raises(NotFound) as caught:
        find("# Log\n## Alpha\n## Beta\n## Gamma\n", "v9")
    assert [h.source for h in caught.value.nearest] == ["# Log", "## Alpha", "## Beta"]


def test_no_headings_at_all():
    with pytest.raises(NotFound) as caught:
        find("text only\n", "v1")
    assert caught.value.nearest == () and caught.value.headings == 0


@pytest.mark.parametrize(
    "text",
    ["## v1.2.3\n## v1.2.2\n- old", "## v1.2.3\n\n  \n\t\n## v1.2.2\n- old", "- old\n## v1.2.3"],
)
def test_an_empty_section_is_empty(text):
    with pytest.raises(Empty) as caught:
        find(text, "v1.2.3")
    assert caught.value.heading.source == "## v1.2.3"


def test_a_section_holding_only_a_subheading_is_not_empty_by_the_rule():
    """Only blank lines make a section empty; a subheading is text of the section."""
    assert find("## v1.2.3\n### Sub\n## v1", "v1.2.3").text == "### Sub"


def test_headings_skips_code_and_reads_both_styles():
    text = "# A\n```\n# no\n```\nB\n=\n\n    # no\nC\n-\n###### F ######\n####### not a heading\n#no\n"
    assert [(h.level, h.text) for h in headings(text)] == [(1, "A"), (1, "B"), (2, "C"), (6, "F")]


@pytest.mark.parametrize(
    "text",
    [
        "\n    code\n===",  # indented code, then a line of =
        "# Title\n---",  # a thematic break under a heading
        "```\nx\n```\n---",  # under a fence
        "- item\n---",  # under a list item: a thematic break
        "> quote\n===",
        "\n\n---",  # under a blank line: a thematic break
    ],
)
def test_a_line_of_dashes_or_equals_signs_under_no_paragraph_is_no_heading(text):
    assert [h for h in headings(text) if h.last != h.line] == []  # no setext heading (its underline is its last line)


@pytest.mark.parametrize(
    "line",
    [
        "# a" + " \t" * 20_000 + "x",  # a long run of blanks, then no closing `#`
        "# a" + " " * 20_000 + "#" * 20_000 + "x",  # blanks and `#`, then text
    ],
)
def test_a_long_run_of_blanks_in_a_heading_line_is_read_in_linear_time(line):
    """The changelog is workspace text (any merged pull request can change it), read up to 16 MiB:
    a heading line with a long run of blanks must not take a backtracking match quadratic time.
    CPU time of this process, so another's load does not count; the old reading took 10 s and more."""
    started = time.process_time()
    found = headings(line + "\n## v1\n")
    assert time.process_time() - started < 1.0
    assert [(h.level, h.text) for h in found] == [(1, line[2:].strip()), (2, "v1")]
