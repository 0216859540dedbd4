"""Which local files the action may read: regular files inside the workspace or RUNNER_TEMP.

Whatever the action reads it publishes (the notes become the release body, the files its
assets), and the paths come from workflow inputs, often built from expressions, in a
workspace where any merged pull request can plant a symlink. So a path is judged by where it
leads, every symlink followed, never by how it is spelled; and only a regular file is read:
a FIFO blocks, a device never ends, `/proc` files lie about their size.

This module is the one place that rule lives. It knows nothing of inputs: it raises `Refused`
with a message that completes "the path ...", and the caller names the input.

Between the check and the read a path could be swapped. `open_same` closes the cheap part of
that gap: it opens the checked (symlink-free) path without following a symlink in its last
component and without blocking, then compares the open file with what was checked (device and
inode) before reading a byte.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from release_action import platforms

# Never follow a symlink in the last component; never block opening a FIFO swapped in.
OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)

Identity = tuple[int, int]  # (st_dev, st_ino): which file a path named when it was checked


class Refused(ValueError):
    """A path the action will not read; the message completes "the path …" (e.g. "is a directory")."""


class TooLarge(Refused):
    """A file longer than the caller's limit (read_capped)."""


def roots_of(env: Mapping[str, str], workspace: Path) -> tuple[Path, ...]:
    """Where local files may be: the workspace, and RUNNER_TEMP when the runner sets it."""
    roots = [workspace]
    temp = env.get("RUNNER_TEMP", "")
    if temp and os.path.isabs(temp):
        roots.append(Path(temp))
    return tuple(Path(os.path.realpath(root)) for root in roots)


def resolve_inside(path: Path | str, roots: Sequence[Path]) -> Path:
    """`path` with every symlink followed, if that lies inside one of `roots` (already resolved)."""
    try:
        real = Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:
        raise Refused("does not exist (or is a symlink to nothing)") from None
    except OSError as exc:
        raise Refused(f"cannot be resolved ({exc.strerror or exc})") from None
    if not any(real == root or real.is_relative_to(root) for root in roots):
        where = " or ".join(str(root) for root in roots)
        if str(real) == os.path.abspath(path):
            raise Refused(f"is outside {where}")
        raise Refused(f"leads to {str(real)!r}, outside {where}")
    return real


def kind_of(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def regular_file(path: Path | str, roots: Sequence[Path]) -> tuple[Path, os.stat_result]:
    """The resolved path and its stat, if it is a regular file inside `roots`; nothing is opened."""
    real = resolve_inside(path, roots)
    try:
        info = os.stat(real)
    except OSError as exc:
        raise Refused(f"cannot be examined ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"is {kind_of(info.st_mode)}, not a regular file")
    return real, info


def open_same(real: Path, identity: Identity) -> BinaryIO:
    """Open the checked path for reading, unbuffered, if it is still the file that was checked."""
    try:
        fd = os.open(platforms.long_path(str(real)), OPEN_FLAGS)  # Windows: past MAX_PATH too
    except PermissionError:
        raise Refused("cannot be read (permission denied)") from None
    except OSError as exc:
        raise Refused(f"cannot be opened ({exc.strerror or exc})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != identity:
        os.close(fd)
        raise Refused("was replaced by another file after it was checked")
    return os.fdopen(fd, "rb", buffering=0)  # regular files ignore O_NONBLOCK


def identity_of(info: os.stat_result) -> Identity:
    return (info.st_dev, info.st_ino)


def read_capped(path: Path | str, roots: Sequence[Path], limit: int) -> bytes:
    """The file's bytes, reading never more than `limit` + 1 of them; longer is Refused."""
    real, info = regular_file(path, roots)
    chunks: list[bytes] = []
    left = limit + 1
    with open_same(real, identity_of(info)) as stream:
        while left > 0:
            try:
                chunk = stream.read(left)
            except OSError as exc:
                raise Refused(f"cannot be read ({exc.strerror or exc})") from None
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:
        raise TooLarge(f"is larger than {limit} bytes")
    return data
