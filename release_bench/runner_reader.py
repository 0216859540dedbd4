r"""The Actions runner's reader of a step's log, transcribed: which lines it runs as commands.

Deliberately independent of the action's own rule (release_action/runner_io.py), so a test
can hold one against the other. From actions/runner: ProcessInvoker reads stdout and stderr
with StreamReader.ReadLine (a line ends at \n, \r or \r\n); OutputManager hands each line to
ActionCommandManager, which tries ActionCommand.TryParseV2 (after string.TrimStart(), the
line starts with `::`, and a second `::` ends the name and properties) and then the legacy
ActionCommand.TryParse (`##[` anywhere in the line, the name and properties up to `]`).
Names are matched case-insensitively, against the commands the runner knows.
"""

from __future__ import annotations

import re

# .NET's Char.IsWhiteSpace: what string.TrimStart() removes.
DOTNET_WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)


def lines(text: str) -> list[str]:
    """`text` split as StreamReader.ReadLine splits it."""
    return re.split(r"\r\n|\r|\n", text)


def commands_in(text: str) -> list[tuple[str, str]]:
    """(name, line) for each line the runner would try as a command; a legacy name starts with `##[`.

    Every candidate is listed, whether or not the runner knows its name: a name it does not
    know today may be one it knows tomorrow.
    """
    found = []
    for line in lines(text):
        trimmed = line.lstrip(DOTNET_WHITESPACE)
        end = trimmed.find("::", 2)
        if trimmed.startswith("::") and end >= 0:
            found.append((trimmed[2:end].split(" ", 1)[0].lower(), line))
            continue
        start = line.find("##[")
        close = line.find("]", start) if start >= 0 else -1
        if close >= 0:
            found.append(("##[" + line[start + 3 : close].split(" ", 1)[0].lower(), line))
    return found
