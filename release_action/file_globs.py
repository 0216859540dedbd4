"""How a `files` pattern is expanded: glob's rules, but never round a directory symlink loop, and on time.

`glob.glob(pattern, recursive=True)` follows every symlink to a directory when it expands
`**`, so a symlink to `.` (or to any directory above it) is entered again and again, until the
path is too long for the system: three such symlinks make 3^40 paths, and the run never ends.
`expand` finds what glob finds, by the same rules (`*`, `?`, `[...]` within one name, `**`
for any number of directories, names starting with "." only for a pattern that starts so,
case as the platform compares it), but does not enter a directory that is already on the
path being walked, and asks the run's deadline before each directory it lists.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from release_action.budget import Deadline

MAGIC = re.compile(r"[*?[]")


class TooMany(Exception):
    """The pattern matches more paths than any release could take; the message says how many."""


def expand(pattern: str, root: Path, *, deadline: Deadline | None = None, limit: int = 100_000) -> list[str]:
    """The paths `pattern` (with "/" separators) matches under `root`, as glob would write them.

    Raises TooMany past `limit` paths, BudgetExhausted when the deadline ends first.
    """
    drive, rest = os.path.splitdrive(pattern)
    anchor = drive + "/" if rest.startswith("/") else drive
    dironly = rest.endswith("/")
    parts = [part for part in rest.split("/") if part]
    found: list[str] = []
    for shown, is_dir in _match(Path(anchor) if anchor else root, anchor, parts, frozenset(), deadline):
        if (dironly and not is_dir) or not shown:  # (glob never names the root itself)
            continue
        found.append(shown)
        if len(found) > limit:
            raise TooMany(f"more than {limit} paths")
    return found


def _join(shown: str, name: str) -> str:
    return f"{shown}{name}" if not shown or shown.endswith("/") else f"{shown}/{name}"


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the directory `path` leads to, symlinks followed; None if it is none."""
    try:
        info = path.stat()
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISDIR(info.st_mode) else None


def _entries(directory: Path, deadline: Deadline | None) -> list[tuple[str, Path, bool]]:
    """(name, path, is a directory) for what `directory` holds, by name; nothing if it cannot be listed."""
    if deadline is not None:
        deadline.check("collecting the `files`")
    try:
        with os.scandir(directory) as listing:
            found = []
            for entry in listing:
                try:
                    is_dir = entry.is_dir()  # symlinks followed, as glob does
                except OSError:
                    is_dir = False
                found.append((entry.name, directory / entry.name, is_dir))
    except (OSError, ValueError):
        return []
    return sorted(found)


def _match(
    here: Path, shown: str, parts: list[str], walked: frozenset[tuple[int, int]], deadline: Deadline | None
) -> Iterator[tuple[str, bool]]:
    """(path as written, is a directory) for what `parts` match below `here` (written `shown`).

    `walked`: the directories the current `**` went down through, which it does not enter again.
    """
    if not parts:
        yield shown, here.is_dir()
        return
    part, rest = parts[0], parts[1:]
    if part == "**":
        here_id = _identity(here)
        if here_id is None or here_id in walked:
            return
        yield from _match(here, shown, rest, frozenset(), deadline)  # `**` as no directory at all
        for name, path, is_dir in _entries(here, deadline):
            if name.startswith("."):
                continue
            if is_dir:  # `**` as this directory and more: it yields the directory itself, then below
                yield from _match(path, _join(shown, name), parts, walked | {here_id}, deadline)
            elif not rest:
                yield _join(shown, name), False
        return
    if not MAGIC.search(part):
        path = here / part
        if rest:
            if path.is_dir():
                yield from _match(path, _join(shown, part), rest, walked, deadline)
        elif os.path.lexists(path):
            yield _join(shown, part), path.is_dir()
        return
    wanted = os.path.normcase(part)
    for name, path, is_dir in _entries(here, deadline):
        if (name.startswith(".") and not part.startswith(".")) or not fnmatch.fnmatchcase(
            os.path.normcase(name), wanted
        ):
            continue
        if not rest:
            yield _join(shown, name), is_dir
        elif is_dir:
            yield from _match(path, _join(shown, name), rest, walked, deadline)
