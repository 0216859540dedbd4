"""Messages that name inputs the way the reader set them: `notes_file` in a workflow, `--notes-file` at a terminal.

One engine speaks to two people. Under Actions (the Docker action, the portable action, the
command started by a runner) the user wrote inputs in a workflow; started with flags (cli.py),
the user typed flags and exported variables. A message is therefore written once, as a
template, and rendered for the mode when it is printed:

    raise InputError(words("Input `notes_file`: {path!r} {why}.", path=given, why=reason))

    Mode.ACTION:   Input `notes_file`: 'docs/N.md' does not exist.
    Mode.COMMAND:  --notes-file: 'docs/N.md' does not exist.

The template is trusted text, written in this package; outside text (paths, values, a server's
message) goes in as a value and is inserted as it is, never read as markup. The markup:

* `` `name` `` — an input named in backticks (a name declared in contract.INPUTS): in a workflow
  `` `name` ``; at a terminal its flag, `--name`, or for an input the command reads from the
  environment its variable (`token` is `GH_TOKEN`).
* `` `name: value` `` — the input set to a value: `` `draft: false` ``; at a terminal
  `--no-draft` (a boolean's on or off switch), `--tag v1` (other inputs), and where the value is
  an expression (`` `tag: ${{ github.ref_name }}` ``) the input's declared example, `--tag v1.2.3`.
  The value may hold `{slots}`.
* `Input ` just before such a reference is a workflow's word: at a terminal the flag is the
  subject on its own (``Input `tag` is …`` reads `--tag is …`).
* `` `{key}` `` whose value is a contract.Input: a reference to that input, as above (for messages
  about any input, such as a boolean's).
* `{key}` and `{key!r}`: the value of `key`, as str() or repr(); braces that name no value are
  text (`${{ github.sha }}` needs no escaping).
* Where the fix itself differs by mode (export a variable, not set an input), give the
  terminal's own template: `words(template, command=other_template, **values)`.

A plain str given where Words are expected is a template with no values: it must not embed
outside text (pass that as a value instead).

How a run knows its mode: cli.py, building the environment for a run started with flags, sets
FLAGS_VARIABLE (the variable exists only in the environment it hands main()); `mode_of(env)`
reads it, and main() renders every message of the run with that mode at print time
(failures.failure_of(exc, mode=...) for the closing errors). Runtime errors (a 401's "check
`token`", a 403's "give the job `permissions: contents: write`") are worded the same way: build
them with `words(...)` (with `command=` where the fix differs, e.g. "use a token with
`contents: write`") and raise an errors.ActionError with them (a GitHubError takes them as its
`hint`): failure_of renders them for the mode with `exc.messages(mode)`, as InputError's problems.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from release_action.contract import INPUTS, Input, Kind
from release_action.errors import TITLE_PREFIX, ActionError

FLAGS_VARIABLE = "SAFE_RELEASE_FLAGS"  # set (to "1") by cli.py for a run started with flags


class Mode(Enum):
    ACTION = "action"  # inputs in a workflow: `notes_file`, `draft: false`
    COMMAND = "command"  # flags and environment variables: --notes-file, --no-draft, GH_TOKEN


def mode_of(env: Mapping[str, str]) -> Mode:
    return Mode.COMMAND if env.get(FLAGS_VARIABLE) == "1" else Mode.ACTION


# A reference in backticks (maybe after "Input "), or a value's slot.
MARKUP = re.compile(
    r"(?P<subject>Input )?`(?P<code>[^`\n]*)`"  # code in backticks: maybe a reference to an input
    r"|\{(?P<key>\w+)(?P<repr>!r)?\}"  # a value
)
REFERENCE = re.compile(r"(?:(?P<name>[a-z][a-z0-9_]*)|\{(?P<slot>\w+)\})(?:: (?P<value>.*))?", re.S)


@dataclass(frozen=True)
class Words:
    """A message for the user, rendered for the mode when printed (see the module's docstring)."""

    template: str
    values: Mapping[str, object] = field(default_factory=dict)
    command: str | None = None  # the template at a terminal, where the fix is worded differently

    def render(self, mode: Mode) -> str:
        template = self.command if mode is Mode.COMMAND and self.command is not None else self.template
        return MARKUP.sub(lambda match: self._part(match, mode), template)

    def __str__(self) -> str:
        return self.render(Mode.ACTION)

    def _slots(self, text: str) -> str:
        return MARKUP.sub(lambda match: self._value(match, Mode.ACTION) if match["key"] else match[0], text)

    def _value(self, match: re.Match[str], mode: Mode) -> str:
        if match["key"] not in self.values:
            return match[0]
        value = self.values[match["key"]]
        if isinstance(value, Words):  # a message within the message: worded for the same reader
            return value.render(mode)
        return repr(value) if match["repr"] else str(value)

    def _part(self, match: re.Match[str], mode: Mode) -> str:
        if match["key"]:
            return self._value(match, mode)
        subject, code = match["subject"] or "", match["code"]
        reference = REFERENCE.fullmatch(code)
        spec = None
        if reference and reference["name"]:
            spec = INPUTS.get(reference["name"])
        elif reference:
            slot = self.values.get(reference["slot"])
            spec = slot if isinstance(slot, Input) else None
        if spec is None:  # code, not an input: its slots filled in, the rest as written
            return f"{subject}`{self._slots(code)}`"
        value = None if reference["value"] is None else self._slots(reference["value"])
        if mode is Mode.ACTION:
            return f"{subject}`{spec.name}`" if value is None else f"{subject}`{spec.name}: {value}`"
        return as_typed(spec, value)


def as_typed(spec: Input, value: str | None = None) -> str:
    """The input (set to `value`) as typed at a terminal: `--notes-file`, `--no-draft`, `GH_TOKEN`."""
    if spec.env:
        return spec.env[0]
    if value is None:
        return spec.flag
    if spec.kind is Kind.BOOLEAN:
        return spec.flag if value.lower() == "true" else "--no-" + spec.flag.removeprefix("--")
    if value.startswith("${{"):
        value = spec.example or spec.placeholder
    return f"{spec.flag} {value}"


def words(template: str, *, command: str | None = None, **values: object) -> Words:
    """A message: `template` with `values` (see the module's docstring)."""
    return Words(template, values, command)


def joined(parts: Sequence[Words | str], separator: str = "; ") -> Words:
    """`parts` one after the other, each worded for the reader (outside text in a str part stays text)."""
    template = separator.join(f"{{part{i}}}" for i in range(len(parts)))  # the separator is trusted text
    return Words(template, {f"part{i}": part for i, part in enumerate(parts)})


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` with its noun, singular or plural as the count asks: "1 API request", "3 writes", "0 files"."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def as_words(message: Words | str) -> Words:
    return message if isinstance(message, Words) else Words(message)


class InputError(ActionError, ValueError):
    """Inputs are wrong: one or more problems, each naming the input and the fix (exit 2, nothing written).

    str() is the problems in a workflow's words, one a line; `messages(mode)` one per problem.
    """

    title = f"{TITLE_PREFIX}: invalid input"
    exit_code = 2

    def __init__(self, *problems: Words | str) -> None:
        self.problems = tuple(as_words(problem) for problem in problems)
        super().__init__(*self.problems)

    def messages(self, mode: Mode) -> tuple[str, ...]:
        return tuple(problem.render(mode) for problem in self.problems) or ("Invalid input.",)

    def __str__(self) -> str:
        return "\n".join(map(str, self.problems))
