"""The section of a Markdown changelog for a tag: a pure function of the file's text, table-tested.

The rule (issue 18): the first heading, of any level, whose text after an optional `[` starts
with the tag, or with the tag without its leading `v`, followed by the end of the text, `]` or
a blank (which covers ` - ` as in `## [1.2.3] - 2026-01-02`). The section is the lines after that
heading up to the next heading of the same or a higher level (fewer `#`), without the heading
itself, with blank lines at both ends dropped. Lines are read as CommonMark reads them, as far as
changelogs need:

* ATX headings: up to three spaces, 1 to 6 `#`, then a blank or the end of the line; a closing
  run of `#` is not part of the text.
* Setext headings: a line of text underlined by `=` (level 1) or `-` (level 2), the underline
  being the next line; one line of text after a blank line (or at the start, or after another
  heading), not a list item, quote, or code. (A multi-line paragraph underlined is not taken for
  a heading: no changelog writes its versions so.)
* Fenced code blocks (``` or ~~~, closed by a like fence at least as long) and indented code
  (four spaces) hold no headings; an unclosed fence runs to the end of the file.

`find` returns the section, or raises NotFound (with the headings nearest to the tag, for the
error) or Empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from release_action.wording import counted

# The opening of an ATX heading; its closing run of `#` is cut off in `atx` by hand: as a regular
# expression (a lazy text, then `[ \t]+#+[ \t]*` at the end) a long run of blanks in one line of
# the changelog made the match backtrack quadratically.
ATX_OPEN = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
SETEXT = re.compile(r" {0,3}(?P<line>=+|-+)[ \t]*")
FENCE = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)")
# A line that cannot be the text of a setext heading: a list item, a quote, a thematic break,
# an HTML line, a table row.
NOT_PARAGRAPH = re.compile(r" {0,3}(?:[-*+](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$)|>|<|\||(?:[-*_][ \t]*){3,}$)")
NEAREST = 3  # headings named in the error for a missing section


@dataclass(frozen=True)
class Heading:
    line: int  # 1-based line number of the heading's text
    level: int
    text: str  # the heading's text, as written (without `#` marks or underline)
    source: str  # the heading as it stands in the file (its first line), for messages
    last: int  # 1-based line number of the heading's last line (the underline of a setext heading)


@dataclass(frozen=True)
class Section:
    heading: Heading
    text: str  # the section's lines, trimmed of blank lines at both ends
    path: str = ""  # the file, as the input named it (inputs.py fills it in)

    @property
    def lines(self) -> int:
        return len(self.text.split("\n"))

    def describe(self) -> str:
        """Where the notes come from, for the log."""
        where = f"line {self.heading.line}, {counted(self.lines, 'line')}"
        return f"the section of {self.path} under {self.heading.source!r} ({where})"


class NotFound(LookupError):
    """No heading for the tag; `nearest` are the headings nearest to it (see `nearest`)."""

    def __init__(self, tag: str, nearest: tuple[Heading, ...], headings: int) -> None:
        super().__init__(f"no section for {tag}")
        self.nearest = nearest
        self.headings = headings


class Empty(LookupError):
    """The tag's section holds nothing but blank lines."""

    def __init__(self, heading: Heading) -> None:
        super().__init__(f"the section under {heading.source!r} is empty")
        self.heading = heading


def headings(text: str) -> list[Heading]:
    """Every heading of `text` (LF line endings), in order."""
    lines = text.split("\n")
    found: list[Heading] = []
    fence: tuple[str, int] | None = None  # the open fence's character and length
    # Whether the line before starts no paragraph's continuation: the start, a blank line, a
    # heading, a closing fence or indented code. Only then can a line of text be a setext heading.
    block_ends = True
    starts = False  # whether the line before begins a paragraph
    for i, line in enumerate(lines):
        if fence is not None:
            close = FENCE.fullmatch(line)
            closes = close and close["fence"][0] == fence[0] and len(close["fence"]) >= fence[1]
            if closes and not close["info"].strip():
                fence = None
            block_ends, starts = fence is None, False
            continue
        opening = FENCE.fullmatch(line)
        if opening and not (opening["fence"][0] == "`" and "`" in opening["info"]):
            fence, starts = (opening["fence"][0], len(opening["fence"])), False
            continue
        if block_ends and line.startswith(("    ", "\t")) and line.strip():
            starts = False
            continue  # indented code: the block goes on while lines stay indented (or blank)
        if heading := atx(line):
            found.append(Heading(i + 1, heading[0], heading[1], line.strip(), i + 1))
            block_ends, starts = True, False
            continue
        underline = SETEXT.fullmatch(line)
        if underline and setext_text(lines, i, starts):
            level = 1 if underline["line"][0] == "=" else 2
            found.append(Heading(i, level, lines[i - 1].strip(), lines[i - 1].strip(), i + 1))
            block_ends, starts = True, False
            continue
        starts = block_ends  # whether this line, if text, begins a paragraph
        block_ends = not line.strip()
    return found


def atx(line: str) -> tuple[int, str] | None:
    """The level and text of the ATX heading `line`, or None if it is none (the module's docstring)."""
    opening = ATX_OPEN.match(line)
    if opening is None:
        return None
    text = line[opening.end() :].strip(" \t")
    bare = text.rstrip("#")
    if bare.endswith((" ", "\t")):  # a closing run of `#` after a blank (`## #` keeps its text "#")
        text = bare
    return len(opening[1]), text.strip()


def setext_text(lines: list[str], i: int, starts: bool) -> bool:
    """Whether line `i - 1`, underlined by line `i`, is the one line of text of a setext heading: it
    begins a paragraph (`starts`) and is text (not blank, a list item, a quote, a heading or a fence)."""
    if not starts:
        return False
    text = lines[i - 1]
    return bool(text.strip()) and not (NOT_PARAGRAPH.match(text) or atx(text) or FENCE.fullmatch(text))


def names_tag(text: str, tag: str) -> bool:
    """Whether a heading's text names `tag` (the rule in the module's docstring)."""
    text = text.removeprefix("[")
    for name in {tag, tag.removeprefix("v")} if tag.startswith("v") and len(tag) > 1 else {tag}:
        if text.startswith(name):
            rest = text[len(name) :]
            if not rest or rest[0] == "]" or rest[0] in " \t":
                return True
    return False


def find(text: str, tag: str) -> Section:
    """The section of the changelog `text` for `tag`; NotFound or Empty when there is none."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    every = headings(text)
    for index, heading in enumerate(every):
        if not names_tag(heading.text, tag):
            continue
        lines = text.split("\n")
        end = next((h.line - 1 for h in every[index + 1 :] if h.level <= heading.level), len(lines))
        body = lines[heading.last : end]
        while body and not body[0].strip():
            body.pop(0)
        while body and not body[-1].strip():
            body.pop()
        if not body:
            raise Empty(heading)
        return Section(heading, "\n".join(body))
    raise NotFound(tag, nearest(every, tag), len(every))


def nearest(every: list[Heading], tag: str) -> tuple[Heading, ...]:
    """The headings nearest to `tag`: those whose text (without `[` and a leading `v`) starts with the
    longest part of the tag's version (the tag without its `v`), at most NEAREST, in file order; a
    changelog's "Unreleased" heading among them when it has one (the usual slip: its entries were
    not moved under the new version). With no heading sharing even a first character, the first
    NEAREST headings of the file (a changelog lists its newest first)."""
    version = tag.removeprefix("v") if len(tag) > 1 else tag

    def key(text: str) -> str:
        text = text.removeprefix("[")
        return text[1:] if text[:1] in "vV" and text[1:2].isdigit() else text

    def shared(heading: Heading) -> int:
        text = key(heading.text)
        return next(
            (i for i, (a, b) in enumerate(zip(text, version, strict=False)) if a != b), min(len(text), len(version))
        )

    unreleased = [h for h in every if key(h.text).lower().startswith("unreleased")][:1]
    ranked = sorted((h for h in every if shared(h) > 0 and h not in unreleased), key=lambda h: (-shared(h), h.line))
    picked = unreleased + ranked[: NEAREST - len(unreleased)]
    if len(picked) == len(unreleased):
        picked += [h for h in every if h not in unreleased][: NEAREST - len(unreleased)]
    return tuple(sorted(picked, key=lambda h: h.line))
