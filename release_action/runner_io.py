"""Talking to the Actions runner: outputs, the job summary, log groups and annotations.

Values go through the runner's file commands and workflow commands with the escaping the
runner itself applies on the way back, so no value (a release note with `::`, `%`, CRLF or
a line that reads like a delimiter) can inject a command or cut an output short.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


class Runner:
    """The workflow-command channel (stdout) and the file commands of one step."""

    def __init__(self, env: Mapping[str, str] | None = None, out: TextIO | None = None) -> None:
        self.env = os.environ if env is None else env
        self.out = out or sys.stdout

    @property
    def in_actions(self) -> bool:
        return self.env.get("GITHUB_ACTIONS") == "true"

    def echo(self, line: str = "") -> None:
        print(line, file=self.out, flush=True)

    def command(self, name: str, message: str, **properties: str) -> None:
        props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items() if v)
        self.echo(f"::{name}{' ' + props if props else ''}::{escape_data(message)}")

    def error(self, message: str, title: str = "") -> None:
        self.command("error", message, title=title)

    def warning(self, message: str, title: str = "") -> None:
        self.command("warning", message, title=title)

    def mask(self, secret: str) -> None:
        """Ask the runner to hide `secret`; outside Actions, printing it would leak it."""
        if self.in_actions and secret:
            self.command("add-mask", secret)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.echo(f"::group::{escape_data(title)}")
        try:
            yield
        finally:
            self.echo("::endgroup::")

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """Append `name<<DELIM` blocks to GITHUB_OUTPUT, or print them for a local run."""
        path = self.env.get("GITHUB_OUTPUT")
        if not path:
            for name, value in outputs.items():
                self.echo(f"output {name}={value}")
            return
        with open(path, "a", encoding="utf-8", newline="") as stream:
            stream.write(format_outputs(outputs))

    def summary(self, markdown: str) -> None:
        path = self.env.get("GITHUB_STEP_SUMMARY")
        if path:
            with open(path, "a", encoding="utf-8", newline="") as stream:
                stream.write(markdown)


def format_outputs(outputs: Mapping[str, str]) -> str:
    r"""The runner's multi-line format: a fresh random delimiter that occurs in no value.

    The runner splits the file on "\n" and strips a trailing "\r" from delimiter lines, so
    the delimiter must not appear as a line of the value in either form.
    """
    chunks = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(chunks)
