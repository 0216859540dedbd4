"""How a step reads: in the log as the run takes it, and in a dry run's plan (log and job summary).

One wording per step type, so the real run and its dry run say the same thing ("update release
100001", "would update release 100001"). A step is said as a `Said`: a head line, a detail line
per field, and how many writes it makes. `said` is dispatched on the step's type: a new kind of
step (from decide.py, asset_decide.py or another module) registers its own wording with
`@said.register`, and a step that has none but carries a `reason` (every asset step does) is
said by that reason.

A `Line` is our own text with outside values in `{slots}`; the values are shown as data wherever
the line is printed (display.py): in the log on one line, quoted and shortened, in the runner's
words (`true`, not `True`; nothing of Python's reprs); in the job summary as Markdown code or
escaped text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import singledispatch

from release_action import notes
from release_action.asset_decide import DeleteStarter, Keep, Replace, WaitFor, Write
from release_action.decide import NEW_ID, Create, Delete, Done, Skip, Update, Wait
from release_action.decide import Refuse as Refused
from release_action.display import for_terminal, md_code, md_text
from release_action.wording import Words, counted

QUOTE_LIMIT = 60  # characters of outside text a line shows before it is cut with "…"
KEPT_NAMES = 5  # asset names a "kept as they are" line lists before "and N more"
SLOT = re.compile(r"\{(\w+)\}")


# -- values: outside text, shown as data -------------------------------------------------------


@dataclass(frozen=True)
class Name:
    """An outside name (a file, an asset, a tag, a branch): shown as it is, on one line, never quoted."""

    text: str


@dataclass(frozen=True)
class Plain:
    """A sentence of ours that holds outside names (a step's `reason`): shown as it is, escaped as text.

    A reason in Words (one that names an input) reads as in a workflow: the plan's lines are the log's."""

    text: str | Words


def quoted(text: str, limit: int = QUOTE_LIMIT) -> tuple[str, str]:
    """Outside text (a title, notes) on one short line: its first line that is not blank, cut to
    `limit` characters, and a note of what was left out: `"## What's changed" … (3 lines)`,
    `"A very long titl…" (200 characters)`."""
    lines = text.splitlines() or [""]
    first = for_terminal(next((text for text in lines if text.strip()), lines[0]))
    cut = len(first) > limit
    if cut:
        first = first[: limit - 1] + "…"
    if len(lines) > 1:
        return first, f" … ({counted(len(lines), 'line')})"
    return first, f" ({counted(len(text), 'character')})" if cut else ""


def value_for_log(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Name | Plain):
        return for_terminal(str(value.text))
    if value == "":
        return "empty"
    first, more = quoted(str(value))
    return f'"{first}"{more}'


def value_for_markdown(value: object) -> str:
    if isinstance(value, bool | int | float) or value is None or value == "":
        return md_code(value_for_log(value))
    if isinstance(value, Name):
        return md_code(value.text)
    if isinstance(value, Plain):
        return md_text(str(value.text))
    first, more = quoted(str(value))
    return md_code(first) + md_text(more)


@dataclass(frozen=True)
class Line:
    """Our own text (`template`), with outside values in its `{slots}`."""

    template: str
    values: Mapping[str, object] = field(default_factory=dict)

    def _parts(self) -> list[tuple[bool, object]]:
        """(is a value, text or value), in order; braces that name no value are text."""
        parts: list[tuple[bool, object]] = []
        start = 0
        for match in SLOT.finditer(self.template):
            if match[1] in self.values:
                parts += [(False, self.template[start : match.start()]), (True, self.values[match[1]])]
                start = match.end()
        parts.append((False, self.template[start:]))
        return [(is_value, part) for is_value, part in parts if is_value or part]

    def for_log(self) -> str:
        return "".join(value_for_log(part) if is_value else str(part) for is_value, part in self._parts())

    def for_markdown(self) -> str:
        return "".join(value_for_markdown(part) if is_value else md_text(str(part)) for is_value, part in self._parts())


def line(template: str, **values: object) -> Line:
    return Line(template, values)


# -- steps, said ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Said:
    """A step in words: the head line, a detail line per field, the writes it makes.

    `acts`: the step does something (a write, a wait); a dry run says it "would". A step that
    only finds things as asked (`Keep`, `Done`) is said as it is.
    """

    head: Line
    details: tuple[Line, ...] = ()
    writes: int = 0
    acts: bool = True

    def log_lines(self, *, would: bool = False) -> list[str]:
        head = ("would " if would and self.acts else "") + self.head.for_log()
        return [head + (":" if self.details else "")] + [f"  {d.for_log()}" for d in self.details]

    def markdown_lines(self) -> list[str]:
        """A list item (with a nested item per detail), as a dry run's summary shows it."""
        head = ("would " if self.acts else "") + self.head.for_markdown()
        return [f"- {head}"] + [f"  - {d.for_markdown()}" for d in self.details]


@dataclass(frozen=True)
class Scene:
    """What the words of a step depend on besides the step: the tag, how to call a release, and
    where the notes go (appended or in a section, a write of the body says what it adds)."""

    tag: str
    placement: notes.Placement = notes.PLACE_REPLACE

    def release(self, release_id: int) -> str:
        return "the new release" if release_id == NEW_ID else f"release {release_id}"


# The API's field names as the user set them (the inputs' names).
FIELDS = {
    "tag_name": "tag",
    "body": "notes",
    "generate_release_notes": "generate_notes",
    "discussion_category_name": "discussion_category",
}
QUOTED = frozenset({"name", "body"})  # free text, shortened in quotes; other values are names or flags


def _field_value(name: str, value: object) -> object:
    return Name(value) if isinstance(value, str) and name not in QUOTED and value else value


@singledispatch
def said(step: object, scene: Scene) -> Said:
    """The step in words. Registered per step type; otherwise by its `reason`, writing if it is an asset `Write`."""
    reason = getattr(step, "reason", None)
    if reason is None:
        raise TypeError(f"no wording for the step {type(step).__name__}")
    writes = isinstance(step, Write)
    return Said(line("{reason}", reason=Plain(reason)), writes=int(writes), acts=writes)


@said.register
def _(step: Create, scene: Scene) -> Said:
    draft = step.payload.get("draft")
    head = line("create a new release for tag {tag}" + (" as a draft" if draft else ""), tag=Name(scene.tag))
    details = tuple(
        line(f"{FIELDS.get(key, key)}: {{value}}", value=_field_value(key, value))
        for key, value in step.payload.items()
        if key != "tag_name"
    )
    return Said(head, details, writes=1)


@said.register
def _(step: Update, scene: Scene) -> Said:
    publishes = step.changes.get("draft") == (True, False)
    head = line(("publish " if publishes else "update ") + scene.release(step.release_id))
    details = []
    for key, (seen, wanted) in step.changes.items():
        if key == "draft" and publishes:
            continue
        if key == "body" and scene.placement.commutes:  # what the run adds, in a few words
            what = notes.change(seen, wanted, scene.placement)  # type: ignore[arg-type]
            details.append(line("notes: {what}", what=Plain(what)))
        elif key == "body":  # notes are long: the log says that they change, not what they were
            details.append(line("notes: changed"))
        else:
            old, new = _field_value(key, seen), _field_value(key, wanted)
            details.append(line(f"{FIELDS.get(key, key)}: {{old}} → {{new}}", old=old, new=new))
    return Said(head, tuple(details), writes=1)


@said.register
def _(step: Delete, scene: Scene) -> Said:
    return Said(line("delete {reason}", reason=Plain(step.reason)), writes=1)


@said.register
def _(step: Wait, scene: Scene) -> Said:
    return Said(line("wait: {reason}", reason=Plain(step.reason)))


@said.register
def _(step: Done, scene: Scene) -> Said:
    return Said(line(f"{scene.release(step.release_id)} is as asked: nothing to write"), acts=False)


@said.register(Skip)
@said.register(Refused)
def _(step: Skip | Refused, scene: Scene) -> Said:
    mode = "skip" if isinstance(step, Skip) else "fail"
    head = f"{scene.release(step.release_id)} is already published (if_exists: {mode}): nothing is written to it"
    return Said(line(head), acts=False)


@said.register
def _(step: WaitFor, scene: Scene) -> Said:
    return Said(line("wait: {reason}", reason=Plain(step.reason)))


@said.register(Replace)
@said.register(DeleteStarter)
def _(step: Replace | DeleteStarter, scene: Scene) -> Said:  # a delete, then the upload
    return Said(line("{reason}", reason=Plain(step.reason)), writes=2)


def kept(steps: Sequence[Keep]) -> Said:
    """One line for the assets already uploaded as asked (a dry run of 1000 unchanged files says it once)."""
    names = [str(step.asset.get("name")) for step in steps]
    more = f" and {len(names) - KEPT_NAMES} more" if len(names) > KEPT_NAMES else ""
    verb = "is" if len(names) == 1 else "are"
    head = f"{counted(len(names), 'asset')} {verb} already uploaded with the same digest: {{names}}{more}"
    return Said(line(head, names=Name(", ".join(names[:KEPT_NAMES]))), acts=False)
