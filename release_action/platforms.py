r"""What differs between Linux, macOS and Windows runners: the rules for files and text.

Pure functions of strings and a path flavour (PurePosixPath or PureWindowsPath), so the
Windows and macOS rules are tested on any machine; HOST is the flavour of the machine
running. They apply where files are found (`files` globs), named (asset names) and read
(the notes file):

* A pattern may use "/" or "\" as its separator on every runner, so one `files:` block
  serves a whole build matrix.
* Drive letters and UNC paths work on Windows; the ambiguous Windows forms (`C:dist`, the
  current drive's root `\dist`) and device paths (`\\?\`) are refused with a message.
* Asset names are compared ignoring case, as GitHub compares them: two files whose names
  differ only by case are one asset name, which is refused before anything is written.
* Paths past Windows' MAX_PATH are opened in their `\\?\` form.
* Notes files are read as UTF-8 with an optional BOM, and sent with "\n" line endings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import PurePath, PurePosixPath, PureWindowsPath

HOST: type[PurePath] = PureWindowsPath if os.name == "nt" else PurePosixPath

# Win32 MAX_PATH is 260 characters with the terminating NUL, less for some calls (a directory
# takes 248); from here on a path is opened as \\?\C:\... , which lifts the limit.
WINDOWS_SHORT_PATH = 248
DRIVE_PATH = re.compile(r"^[A-Za-z]:(/|$)")


def normalise_pattern(pattern: str) -> str:
    r"""A `files` pattern with "/" as its only separator, the same text on every runner.

    A backslash is a separator on Windows and a plain character for glob elsewhere; in a
    matrix one pattern meets both, so it is a separator everywhere. (A file whose name holds
    a backslash cannot be matched then; GitHub would have renamed it to "." anyway.)
    """
    return pattern.replace("\\", "/")


def pattern_problem(pattern: str, flavour: type[PurePath] = HOST) -> str | None:
    """Why a normalised pattern means nothing sure on this kind of runner, or None."""
    if "\x00" in pattern:
        return "it contains a NUL character"
    if pattern.startswith(("//?/", "//./")):
        return r"it is a Windows device path (\\?\ or \\.\); give a drive path (C:/...) or a relative one"
    if flavour is PureWindowsPath:
        path = PureWindowsPath(pattern)
        if path.drive and not path.root:
            return (
                f"{path.drive} without a separator after it means the current directory of drive "
                f"{path.drive[0]}, which differs between steps; write {path.drive}/... or a relative path"
            )
        if path.root and not path.drive:
            return "it starts at the root of the current drive; give the drive (C:/...) or a relative path"
    elif DRIVE_PATH.match(pattern):
        return "it is a Windows drive path, and this runner is Linux or macOS; use a path relative to the workspace"
    return None


def asset_key(name: str) -> str:
    """What makes two asset names one name for GitHub, which compares them ignoring case.

    Users report that a release holding `App.zip` refuses an upload of `app.zip` (422
    already_exists; probonopd/uploadtool#56). Refusing such a pair up front is right either
    way: on macOS and Windows runners the two files could not even both exist.
    """
    return name.casefold()


def case_collisions(names: Iterable[str]) -> list[tuple[str, ...]]:
    """Groups of distinct names that are one asset name ignoring case, in first-seen order."""
    groups: dict[str, list[str]] = {}
    for name in names:
        group = groups.setdefault(asset_key(name), [])
        if name not in group:
            group.append(name)
    return [tuple(group) for group in groups.values() if len(group) > 1]


def long_path(path: str, flavour: type[PurePath] = HOST) -> str:
    r"""The string to open an absolute, resolved `path` with.

    Windows refuses paths past MAX_PATH unless the machine enables long paths (GitHub's
    hosted runners do, self-hosted ones may not) or the path is in the extended form
    `\\?\C:\...` (`\\?\UNC\server\share\...`), which every Windows accepts. That form turns
    off Windows' own normalisation, so `path` must be absolute and free of `..` already.
    Elsewhere, and for short paths, the path is returned as it is.
    """
    if flavour is not PureWindowsPath:
        return path
    native = str(PureWindowsPath(path))
    if len(native) < WINDOWS_SHORT_PATH or native.startswith("\\\\?\\") or not PureWindowsPath(native).is_absolute():
        return native
    if native.startswith("\\\\"):
        return "\\\\?\\UNC\\" + native[2:]
    return "\\\\?\\" + native


def notes_text(data: bytes) -> str:
    r"""Release notes from a file's bytes: UTF-8 (a leading BOM dropped), lines ending in "\n".

    GitHub stores a body exactly as sent. Git on Windows runners checks text files out with
    CRLF (core.autocrlf) and on Linux and macOS with LF, so sent as read, one CHANGELOG gives
    the jobs of a build matrix two different bodies, and they keep rewriting each other's.
    Windows editors also write a BOM that would become the body's first character. Raises
    UnicodeDecodeError for bytes that are not UTF-8.
    """
    return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
