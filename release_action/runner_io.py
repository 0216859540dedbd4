r"""Talking to the Actions runner: log lines, workflow commands, outputs and the job summary.

How the runner reads a container step (actions/runner: Handlers/OutputManager.cs,
Common/ActionCommand.cs, Worker/ActionCommandManager.cs): stdout and stderr alike, line by
line (.NET `StreamReader.ReadLine`, so a line ends at "\n", "\r" or "\r\n"). A line is a
workflow command when, after its leading whitespace is trimmed, it starts with `::name` (and
has a second `::`), or when it holds `##[name` *anywhere* (the legacy form); the name is
matched case-insensitively. (It looks for `::` and `##[` with .NET's culture-sensitive
StartsWith/IndexOf, where a zero-width character between them may be ignored; but it then
cuts the name at fixed offsets, so such a name starts with `:`, `#` or `[` and is no command.)
So one line of outside text could stop command processing (`::stop-commands::x`, after which
even our own `::error::` is ignored), mask words in the log (`::add-mask::`) or post
annotations in our name.

Hence one rule, in one place. Log text goes out only through `Runner.echo`, which passes it
through `neutralise`; commands are built only by `Runner.command`, whose data and properties
are escaped as the runner unescapes them, so they stay one line whatever they hold. Values go
to GITHUB_OUTPUT with a fresh random delimiter (`format_outputs`).
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from release_action.errors import TITLE_PREFIX, ActionError

# Where a line may end. The runner's reader ends lines only at \r and \n; this is Python's
# str.splitlines() set, a superset, so every line the runner can see starts after one of these.
LINE_BREAK = re.compile(r"(\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])")
COMMAND_KEY = "::"  # ActionCommand._commandKey, at the start of a trimmed line
LEGACY_PREFIX = "##["  # ActionCommand.Prefix, anywhere in a line


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def printable(text: str) -> str:
    r"""`text` with lone surrogates (a file name that is not UTF-8) as `\udcxx`, so writing never fails."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def neutralise(text: str) -> str:
    r"""`text` as log lines that no runner reads as a command; harmless text is left as it is.

    - `##[` anywhere becomes `##\[` (the legacy form is found anywhere in a line);
    - a line whose first non-blank characters are `::` gets a backslash before them:
      `::warning::x` prints as `\::warning::x`.

    A backslash, not a zero-width character: the reader sees exactly what was inserted, a
    copy of the line carries nothing hidden, and it is the runner's own way of defusing its
    markers (`##[\start-action`). Leading blanks are judged by Python's `str.isspace`, which
    holds every character .NET's `TrimStart()` removes.
    """
    text = printable(text).replace(LEGACY_PREFIX, "##\\[")
    parts = LINE_BREAK.split(text)  # lines at even indexes, the breaks between them at odd ones
    for i in range(0, len(parts), 2):
        line = parts[i]
        body = line.lstrip()
        if body.startswith(COMMAND_KEY):
            parts[i] = line[: len(line) - len(body)] + "\\" + body
    return "".join(parts)


class RunnerFileError(ActionError):
    """A file the runner gave the step (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) could not be written."""

    title = f"{TITLE_PREFIX}: a runner file could not be written"


class Cancelled(BaseException):
    """The runner stopped the step: a cancelled run or `timeout-minutes` (SIGINT, then SIGTERM).

    A BaseException, like KeyboardInterrupt, so that no `except Exception` swallows it.
    """


@contextmanager
def cancellable() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into `Cancelled`, once, so a cancelled run ends with an error, not a traceback.

    The runner cancels a container step (a cancelled run, or the step's or job's
    `timeout-minutes`) by sending SIGINT to `docker run`, which passes it to the container,
    then SIGTERM 7.5 s later, then kills it. The action is PID 1 there, and PID 1 ignores a
    SIGTERM it has no handler for. After the first signal both are ignored, so the second
    cannot interrupt the error report.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        raise Cancelled(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class SafeLines:
    """A text stream that neutralises each whole line before passing it on (for stderr).

    The runner reads stderr for commands too; whatever Python or a library writes there (a
    warning, a logging record with a server's text) goes through the same rule as `echo`.
    A line is held until it ends, so a command cannot be split across two writes.
    """

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        breaks = list(LINE_BREAK.finditer(self.pending))
        if breaks:
            end = breaks[-1].end()
            self.target.write(neutralise(self.pending[:end]))
            self.pending = self.pending[end:]
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def finish(self) -> None:
        """Write out a last unfinished line."""
        if self.pending:
            self.target.write(neutralise(self.pending))
            self.pending = ""
        self.target.flush()

    def __getattr__(self, name: str) -> object:  # encoding, isatty, fileno…: the target's
        return getattr(self.target, name)


class Runner:
    """The workflow-command channel (stdout) and the file commands of one step."""

    def __init__(self, env: Mapping[str, str] | None = None, out: TextIO | None = None) -> None:
        self.env = os.environ if env is None else env
        self.out = out or sys.stdout
        self._group: str | None = None  # the title of a group opened but not printed yet (nothing logged in it)

    @property
    def in_actions(self) -> bool:
        return self.env.get("GITHUB_ACTIONS") == "true"

    @property
    def debug_enabled(self) -> bool:
        """The run was started with debug logging (RUNNER_DEBUG=1)."""
        return self.env.get("RUNNER_DEBUG") == "1"

    def _write(self, line: str) -> None:
        if self._group is not None:  # the first line inside a group: its title goes first
            title, self._group = self._group, None
            self.command("group", title)
        print(printable(line), file=self.out, flush=True)

    def echo(self, text: str = "") -> None:
        """Log `text` (any number of lines); no line of it can be read as a command."""
        self._write(neutralise(text))

    def command(self, name: str, message: str = "", **properties: str) -> None:
        """The only way a workflow command is printed: data and properties escaped onto one line."""
        props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items() if v)
        self._write(f"::{name}{' ' + props if props else ''}::{escape_data(message)}")

    def error(self, message: str, title: str = "") -> None:
        self.command("error", message, title=title)

    def warning(self, message: str, title: str = "") -> None:
        self.command("warning", message, title=title)

    def notice(self, message: str, title: str = "") -> None:
        self.command("notice", message, title=title)

    def mask(self, secret: str) -> None:
        """Ask the runner to hide `secret`; outside Actions, printing it would leak it."""
        if self.in_actions and secret:
            self.command("add-mask", secret)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """Fold what is logged inside under `title`; a group in which nothing was logged is not printed."""
        self._group = title
        try:
            yield
        finally:
            if self._group is None:
                self.command("endgroup")
            self._group = None

    @contextmanager
    def safe_stderr(self) -> Iterator[None]:
        """While inside, whatever is written to sys.stderr is neutralised line by line."""
        original = sys.stderr
        safe = SafeLines(original)
        sys.stderr = safe
        try:
            yield
        finally:
            sys.stderr = original
            safe.finish()

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """Append `name<<DELIM` blocks to GITHUB_OUTPUT, or print them for a local run."""
        path = self.env.get("GITHUB_OUTPUT")
        if not path:
            for name, value in outputs.items():
                self.echo(f"output {name}={value}")
            return
        self._append(path, "GITHUB_OUTPUT", "the step's outputs", format_outputs(outputs))

    def summary(self, markdown: str) -> None:
        path = self.env.get("GITHUB_STEP_SUMMARY")
        if path:
            self._append(path, "GITHUB_STEP_SUMMARY", "the job summary", printable(markdown))

    @staticmethod
    def _append(path: str, variable: str, what: str, text: str) -> None:
        try:
            with open(path, "a", encoding="utf-8", newline="") as stream:
                stream.write(text)
        except OSError as exc:
            raise RunnerFileError(
                f"Could not write {what} to {variable} ({path}): {exc.strerror or exc}. The runner "
                f"creates this file for the step: check that {variable} is not overridden in the "
                "workflow's `env` and that the container may write to it (the runner expects a "
                "container action to run as root). What this run wrote to GitHub stays; re-running "
                "the job is safe."
            ) from exc


def format_outputs(outputs: Mapping[str, str]) -> str:
    r"""The runner's multi-line format: a fresh random delimiter that occurs in no value.

    The runner splits the file on "\n" and strips a trailing "\r" from delimiter lines, so
    the delimiter must not appear as a line of the value in either form.
    """
    chunks = []
    for name, value in outputs.items():
        value = printable(value)
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(chunks)
