"""The one base of every error the action raises on purpose: what the run ends with, and its exit code.

A run ends in one `::error::` (or one per bad input) whose title says what kind of failure it
is. Every error the action means to end a run with derives from `ActionError` and carries
that title and the step's exit code, so failures.py reports any of them, from any module, as
what it is; only an exception that is not an ActionError (nor one of the few outside ones
failures.py knows) is reported as a bug. Each title has an entry in the README's
Troubleshooting section, with its cause and fix (tests/test_failures.py holds the two equal).

The message may be text or `Words` (wording.py), rendered for the run's mode when printed:
this module imports nothing of the action, so every module can derive from it.

Adding an error: derive from ActionError (or from the error it refines), give it a `title`
of its own when the fix differs, and add that title's entry to the README's Troubleshooting.
"""

from __future__ import annotations

from typing import ClassVar

TITLE_PREFIX = "safe-release-action"


def rendered(part: object, mode: object) -> str:
    """A message part as `mode` (a wording.Mode) words it: Words are rendered, anything else is str()."""
    render = getattr(part, "render", None)
    return render(mode) if callable(render) else str(part)


class ActionError(Exception):
    """An error the action ends a run with on purpose: the message says the cause and the fix.

    `title` is the annotation's title (one Troubleshooting entry each); `exit_code` the step's
    exit code: 1, or 2 for bad input (nothing was written).
    """

    title: ClassVar[str] = f"{TITLE_PREFIX} failed"
    exit_code: ClassVar[int] = 1

    def messages(self, mode: object) -> tuple[str, ...]:
        """The `::error::` lines this error ends the run with, worded for `mode` (a wording.Mode; one, by default)."""
        return (" ".join(rendered(part, mode) for part in self.args) or self.title,)

    def __str__(self) -> str:
        return " ".join(map(str, self.args))
