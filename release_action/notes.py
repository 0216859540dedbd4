"""The release body a run wants: a pure function of the body the release has and this run's notes.

Three placements of the notes (`Placement`):

* replace (the default): the body is the notes.
* append (`append_notes: true`): each text of the run (its notes; GitHub's generated notes as a
  second text) is added at the end of the body, after a blank line, unless the body already
  holds it: as whole consecutive lines, compared without line-ending or trailing-blank
  differences (a body edited in GitHub's web page comes back with CRLF line endings; the notes
  may carry a trailing newline or not). So a re-run adds nothing, and texts of different runs
  end each once, whatever order they land in.
* section NAME (`notes_section: NAME`): the notes own the lines between two marker lines,

      <!-- safe-release:begin NAME -->
      the notes
      <!-- safe-release:end NAME -->

  HTML comments, which GitHub does not show. An existing section of that name is replaced in
  place (its content compared as above); a missing one is added at the end after a blank line.
  Every line outside the section is left byte for byte as it was.

How the markers are read: a marker is a line that holds only the marker (blanks around it
allowed), anywhere in the body. An end marker closes the nearest begin marker of its name
before it; a begin or end marker that pairs with nothing is text like any other. The first
pair of a name is the section; a later pair of the same name (which only a hand edit can make)
is dropped when the section is written. Notes that themselves hold a marker line would break
that reading (an end line in the notes would cut the section short, a pair would be another
section inside it), so they are refused in the append and section placements (`marker_line`;
inputs.py turns it into an input error before any request).

`compose` is the whole rule: it returns the body unchanged (the same string) when it already
holds what is wanted, so the caller's "differs" test is a plain comparison, and raises
`TooLong` when the body it would write is longer than GitHub accepts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from release_action.contract import MAX_BODY

REPLACE, APPEND, SECTION = "replace", "append", "section"

# A section's name: letters, digits, '.', '_' and '-', starting with a letter or digit, at most
# 64. Nothing that could end the HTML comment (`-->` needs '>') or split the marker (blanks).
SECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# What the parser takes for a marker: the whole line, blanks around it allowed.
MARKER = re.compile(r"[ \t]*<!-- safe-release:(?P<edge>begin|end) (?P<name>[A-Za-z0-9._-]+) -->[ \t]*")
# What notes may not hold in the append and section placements: anything that reads like one
# (any name, any spacing inside the comment).
MARKER_LIKE = re.compile(r"[ \t]*<!--\s*safe-release:\s*(?:begin|end)\b.*-->[ \t]*", re.IGNORECASE)
# A physical line with its ending: only CR, LF and CRLF end lines here (str.splitlines would
# also split on form feeds and Unicode separators, which Markdown keeps inside a line).
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


class TooLong(ValueError):
    """The body wanted is longer than GitHub accepts (MAX_BODY characters)."""

    def __init__(self, length: int, placement: Placement) -> None:
        super().__init__(f"the body would be {length} characters; GitHub accepts at most {MAX_BODY}")
        self.length = length
        self.placement = placement


@dataclass(frozen=True)
class Placement:
    """Where a run's notes go in the release's body: all of it, after it, or in a named section."""

    kind: str = REPLACE
    section: str = ""

    @property
    def commutes(self) -> bool:
        """Whether two runs' writes of this kind both belong in the body (appends, sections of two
        names): a write lost to a racing writer is repaired, not given up after a few tries."""
        return self.kind in (APPEND, SECTION)

    def __str__(self) -> str:
        return f"section {self.section!r}" if self.kind == SECTION else self.kind


PLACE_REPLACE = Placement()
PLACE_APPEND = Placement(APPEND)


def in_section(name: str) -> Placement:
    return Placement(SECTION, name)


def begin_marker(name: str) -> str:
    return f"<!-- safe-release:begin {name} -->"


def end_marker(name: str) -> str:
    return f"<!-- safe-release:end {name} -->"


def section_name_problem(name: str) -> str | None:
    """Why `name` cannot name a section, or None."""
    if SECTION_NAME.fullmatch(name):
        return None
    if len(name) > 64:
        return f"it is {len(name)} characters long; at most 64"
    return "use letters, digits, '.', '_' and '-', starting with a letter or a digit"


def marker_line(text: str) -> str | None:
    """The first line of `text` that reads as a section marker, or None."""
    for line in lines_of(text):
        bare = line.rstrip("\r\n")
        if MARKER_LIKE.fullmatch(bare):
            return bare
    return None


# -- lines, and comparing them ----------------------------------------------------------------


def lines_of(text: str) -> list[str]:
    """The physical lines of `text`, each with its line ending (CR, LF or CRLF)."""
    return LINE.findall(text)


def normal_lines(text: str) -> list[str]:
    """`text` as compared: lines without their endings and trailing blanks, blank lines at both ends dropped."""
    lines = [line.rstrip("\r\n").rstrip() for line in lines_of(text)]
    start, end = 0, len(lines)
    while start < end and not lines[start]:
        start += 1
    while end > start and not lines[end - 1]:
        end -= 1
    return lines[start:end]


def tidy(text: str) -> str:
    """A text as this module writes it: leading blank lines and trailing blanks dropped."""
    lines = lines_of(text)
    while lines and not lines[0].strip():
        lines.pop(0)
    return "".join(lines).rstrip()


def holds_text(body: str, text: str) -> bool:
    """Whether `body` holds `text` as whole consecutive lines (endings and trailing blanks aside)."""
    wanted = normal_lines(text)
    if not wanted:
        return True
    haystack = "\n" + "\n".join(line.rstrip("\r\n").rstrip() for line in lines_of(body)) + "\n"
    return "\n" + "\n".join(wanted) + "\n" in haystack


def separator(body: str) -> str:
    """What goes between `body` and a text added after it: enough line breaks for one blank line."""
    if not body.strip():
        return ""
    breaks = len(lines_of(body[len(body.rstrip("\r\n")) :]))  # the line endings it ends with (CRLF is one)
    return "\n" * max(0, 2 - breaks)


# -- sections ---------------------------------------------------------------------------------


def sections(lines: Sequence[str], name: str) -> list[tuple[int, int]]:
    """The (begin, end) line indexes of every section `name` in `lines`, first to last."""
    pairs: list[tuple[int, int]] = []
    begin: int | None = None
    for i, line in enumerate(lines):
        marker = MARKER.fullmatch(line.rstrip("\r\n"))
        if marker is None or marker["name"] != name:
            continue
        if marker["edge"] == "begin":
            begin = i  # the nearest begin before an end is the one it closes
        elif begin is not None:
            pairs.append((begin, i))
            begin = None
    return pairs


def section_text(body: str, name: str) -> str | None:
    """The content of section `name` of `body` (its first), or None when the body has none."""
    lines = lines_of(body)
    found = sections(lines, name)
    return _content(lines, found[0]) if found else None


def _content(lines: Sequence[str], section: tuple[int, int]) -> str:
    begin, end = section
    return "".join(lines[begin + 1 : end])


def _with_section(body: str, name: str, content: str) -> str:
    lines = lines_of(body)
    found = sections(lines, name)
    block = f"{begin_marker(name)}\n{content}\n{end_marker(name)}"
    if not found:
        return body + separator(body) + block
    (begin, end), *duplicates = found
    for dup_begin, dup_end in reversed(duplicates):  # later pairs of the name: ours, written twice by hand
        del lines[dup_begin : dup_end + 1]
    if not lines[begin].endswith(("\n", "\r")):  # cannot happen (an end marker follows), but stay whole
        lines[begin] += "\n"
    return "".join([*lines[: begin + 1], content + "\n", *lines[end:]])


# -- the rule ---------------------------------------------------------------------------------


def state(body: str | None, texts: Sequence[str], placement: Placement) -> str:
    """How `body` stands toward the run's notes: "holds" (nothing to write), "missing" (a text or
    the section is not there: another writer's write from an older body may have dropped it), or
    "differs" (the section is there with other content, or the body is other notes)."""
    body = body or ""
    texts = [t for t in texts if t.strip()]
    if placement.kind == APPEND:
        return "holds" if all(holds_text(body, t) for t in texts) else "missing"
    if placement.kind == SECTION:
        lines = lines_of(body)
        found = sections(lines, placement.section)
        if not found:
            return "missing"
        # one section (a later pair of the name is dropped when it is written), with the notes
        holds = len(found) == 1 and normal_lines(_content(lines, found[0])) == normal_lines(_joined(texts))
        return "holds" if holds else "differs"
    return "holds" if body == _joined_verbatim(texts) else "differs"


def compose(body: str | None, texts: Sequence[str], placement: Placement) -> str:
    """The body wanted, given the body the release has (None or "" for none) and the run's texts.

    `body` itself (the same string) when it already holds what is wanted. Raises TooLong when
    the body to write is longer than GitHub accepts, ValueError for a text with a marker line
    in the append or section placement (inputs.py refuses those first).
    """
    body = body or ""
    texts = [t for t in texts if t.strip()]
    if placement.commutes:
        for text in texts:
            if (line := marker_line(text)) is not None:
                raise ValueError(f"the notes hold a section marker line: {line!r}")
    if state(body, texts, placement) == "holds":
        return body
    if placement.kind == APPEND:
        wanted = body
        for text in texts:
            if not holds_text(wanted, text):
                wanted += separator(wanted) + tidy(text)
    elif placement.kind == SECTION:
        wanted = _with_section(body, placement.section, _joined(texts))
    else:
        wanted = _joined_verbatim(texts)
    if len(wanted) > MAX_BODY:
        raise TooLong(len(wanted), placement)
    return wanted


def _joined(texts: Sequence[str]) -> str:
    return "\n\n".join(tidy(t) for t in texts)


def _joined_verbatim(texts: Sequence[str]) -> str:
    return "\n\n".join(texts)


def change(before: str | None, after: str, placement: Placement) -> str:
    """What a write of `after` over `before` does to the body, in a few words (the log, the dry run)."""
    before = before or ""
    if placement.kind == APPEND:
        added = len(after) - len(before)
        return f"append {added} character{'s' if added != 1 else ''} to the {len(before)} there"
    if placement.kind == SECTION:
        verb = "add" if section_text(before, placement.section) is None else "replace"
        count = len(normal_lines(section_text(after, placement.section) or ""))
        return f"{verb} section {placement.section!r} ({count} line{'s' if count != 1 else ''})"
    return ""
