"""Which local files the action may read: regular files in the workspace or RUNNER_TEMP, never the runner's secrets.

Whatever the action reads it publishes (the notes become the release body, the files its
assets), and the paths come from workflow inputs, often built from expressions, in a
workspace where any merged pull request can plant a symlink. So a path is judged by where it
leads, every symlink followed, never by how it is spelled; and only a regular file is read:
a FIFO blocks, a device never ends, `/proc` files lie about their size.

The two roots are also where the runner keeps the job token, so four rules hold together:

1. The real path lies inside the workspace or RUNNER_TEMP.
2. A symlink inside one root leads only inside that same root: a symlink in the workspace
   never reaches RUNNER_TEMP (where other actions keep their own files too), nor out.
3. No component of the real path is `.git` (in any case, and in the spellings Windows and
   macOS take for it): `actions/checkout` writes the token into `.git/config`.
4. In RUNNER_TEMP, nothing the runner or `actions/checkout` made there (RUNNER_FILES below);
   only what the user's own steps made.

This module is the one place those rules live. It knows nothing of inputs: it raises
`Refused` with a message that completes "the path ...", and the caller names the input.
Roots come as a sequence, the workspace first (`roots_of`); every later root is a runner's
temporary directory, where rule 4 applies.

Between the check and the read a path could be swapped. `open_same` closes the cheap part of
that gap: it opens the checked (symlink-free) path without following a symlink in its last
component and without blocking, then compares the open file with what was checked (device and
inode) before reading a byte.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from release_action import platforms

# Never follow a symlink in the last component; never block opening a FIFO swapped in.
OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)

Identity = tuple[int, int]  # (st_dev, st_ino): which file a path named when it was checked
# Set by cli.py for a run started with flags: the directory relative paths are read from (the
# command's current directory), which may lie below the workspace (the checkout's top level).
BASE_VARIABLE = "SAFE_RELEASE_BASE"


class Refused(ValueError):
    """A path the action will not read; the message completes "the path …" (e.g. "is a directory")."""


class TooLarge(Refused):
    """A file longer than the caller's limit (read_capped)."""


def roots_of(env: Mapping[str, str], workspace: Path) -> tuple[Path, ...]:
    """Where local files may be: the workspace, and RUNNER_TEMP when the runner sets it (in that order)."""
    roots = [workspace]
    temp = env.get("RUNNER_TEMP", "")
    if temp and os.path.isabs(temp):
        roots.append(Path(temp))
    return tuple(Path(os.path.realpath(root)) for root in roots)


# What the runner and actions/checkout put at the top of RUNNER_TEMP, read from their sources
# (the runner empties the directory when a job starts: Runner.Worker/TempDirectoryManager.cs).
# actions/runner, src/Runner.Worker/:
#   FileCommandManager.cs                   _runner_file_commands/  GITHUB_OUTPUT, GITHUB_ENV, ... of each step
#   ExecutionContext.cs (WriteWebhookPayload) _github_workflow/event.json  the event payload
#   Handlers/ContainerActionHandler.cs      _github_home/  HOME of container steps (and _github_workflow/)
#   Container/ContainerHooks/ContainerHookManager.cs  _runner_hook_responses/
#   ContainerOperationProvider.cs           .docker_<guid>/  the job container's registry credentials
#   Handlers/ScriptHandler.cs               <guid>.sh, .ps1, .cmd, ...: each `run:` script, with its
#                                           ${{ }} expressions (secrets among them) expanded
#   Dap/DapReplExecutor.cs                  dap_repl_<guid>.<ext>
#   DiagnosticLogManager.cs                 <job name>-support/  diagnostic logs
# actions/checkout, src/git-auth-helper.ts:
#   git-credentials-<uuid>.config           the token's `http.extraheader` (persist-credentials)
#   <uuid>/.gitconfig                       a temporary HOME whose global config holds the same
#   <uuid>, <uuid>_known_hosts              the `ssh-key` input and its known hosts
# Hence four rules on the first name under RUNNER_TEMP; they also catch what a newer runner adds
# under its own `_` prefix or a fresh GUID.
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
# Characters HFS+ ignores in a name, so `.g\u200cit` is `.git` there (git's own is_hfs_dotgit list).
IGNORED_BY_HFS = re.compile("[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]")


def runner_file(name: str) -> str | None:
    """Why the top-level entry `name` of RUNNER_TEMP is the runner's or actions/checkout's, or None."""
    folded = name.casefold()
    if folded.startswith("git-credentials-"):
        return "git-credentials-*.config: actions/checkout's copy of the job token"
    if name.startswith("_"):
        return "names starting with `_`: the runner's file commands, event payload and HOME"
    if GUID.search(name):
        return "names holding a GUID: the runner's step scripts, actions/checkout's credentials and keys"
    if folded.endswith("-support"):
        return "<job name>-support: the runner's diagnostic logs"
    return None


def is_git_name(name: str) -> bool:
    """Whether a path component names a `.git` directory or file, in any of git's dangerous spellings.

    Any case; trailing dots and spaces and an NTFS stream (`.git::$INDEX_ALLOCATION`) dropped, as
    Windows drops them; the characters HFS+ ignores removed; and `git~1`, the 8.3 short name
    Windows may give `.git`. The same on every platform: a workspace moves between them.
    """
    bare = IGNORED_BY_HFS.sub("", name).split(":", 1)[0].rstrip(". ").casefold()
    return bare in (".git", "git~1")


def root_index(real: Path, roots: Sequence[Path]) -> int | None:
    """Which of `roots` holds the real path `real` (the innermost one), or None."""
    holders = [i for i, root in enumerate(roots) if real == root or real.is_relative_to(root)]
    return max(holders, key=lambda i: len(roots[i].parts), default=None)


def root_name(index: int) -> str:
    return "the workspace" if index == 0 else "RUNNER_TEMP"


def _is_link(info: os.stat_result) -> bool:
    """A symlink, or a Windows junction (which os.path.islink does not report before Python 3.12)."""
    junction = getattr(stat, "IO_REPARSE_TAG_MOUNT_POINT", None)
    return stat.S_ISLNK(info.st_mode) or (junction is not None and getattr(info, "st_reparse_tag", 0) == junction)


def links_on(path: Path | str) -> Iterator[tuple[Path, Path]]:
    """Each symlink on the way to `path`: where it is and where it leads, both real paths.

    Walks the path as the system resolves it: on POSIX `..` after a symlink climbs from its
    target, so `..` is kept until then; Windows resolves `..` by the spelling first.
    """
    spelled = Path(os.path.abspath(path)) if os.name == "nt" else Path(path).absolute()
    here = Path(spelled.anchor)
    for part in spelled.parts[1:]:
        if part == "..":
            here = here.parent
            continue
        step = here / part
        try:
            info = os.lstat(step)
        except OSError:
            return  # the caller's realpath has said why already
        if not _is_link(info):
            here = step
            continue
        target = Path(os.path.realpath(step, strict=True))
        yield Path(os.path.realpath(here)) / part, target
        here = target


def resolve_inside(path: Path | str, roots: Sequence[Path]) -> Path:
    """`path` with every symlink followed, if the rules of this module allow reading it.

    `roots` are resolved already: the workspace first, then RUNNER_TEMP (see `roots_of`).
    """
    try:
        real = Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:
        raise Refused("does not exist (or is a symlink to nothing)") from None
    except OSError as exc:
        raise Refused(f"cannot be resolved ({exc.strerror or exc})") from None
    where = root_index(real, roots)
    if where is None:
        inside = " or ".join(str(root) for root in roots)
        if str(real) == os.path.abspath(path):
            raise Refused(f"is outside {inside}")
        raise Refused(f"leads to {str(real)!r}, outside {inside}")
    try:
        links = list(links_on(path))
    except OSError as exc:  # changed under our feet since realpath
        raise Refused(f"cannot be resolved ({exc.strerror or exc})") from None
    for place, target in links:
        home, lands = root_index(place, roots), root_index(target, roots)
        if home is not None and lands != home:
            to = f"to {str(target)!r}, outside it" if lands is None else f"into {root_name(lands)} ({target})"
            raise Refused(
                f"passes through the symlink {str(place)!r} in {root_name(home)}, which leads {to}; a symlink "
                f"in {root_name(home)} may lead only to somewhere inside {root_name(home)}"
            )
    lead = "" if str(real) == os.path.abspath(path) else f"leads to {str(real)!r}, which "
    if any(is_git_name(part) for part in real.parts):
        raise Refused(
            f"{lead}is inside a `.git` directory; git's own files are never read (actions/checkout "
            "writes the job token into .git/config)"
        )
    if where > 0 and real != roots[where]:
        first = real.relative_to(roots[where]).parts[0]
        if why := runner_file(first):
            raise Refused(
                f"{lead}is one of the files the runner or actions/checkout made in RUNNER_TEMP ({why}); "
                "only files your own steps made there are read"
            )
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
