"""The local files to attach: found by the `files` globs, checked, named, labelled and hashed.

`collect` runs before any write: it reads each `files` line as a glob and an optional label
(`PATH#LABEL`, `split_label`), expands the globs, keeps only regular files inside the allowed
roots (local_files), checks GitHub's limits, hashes every file (streamed sha256, constant
memory) and refuses names that would collide once GitHub renames them, and any file that
holds the job's token (token_guard scans each piece as it is hashed: no extra read). The
files come out in the order the lines list them (each line's matches sorted by path), which
is the order they are uploaded in. `FileBody` opens the file that was hashed for its upload.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from release_action import file_globs, local_files, platforms
from release_action.budget import Deadline
from release_action.token_guard import Scanner
from release_action.wording import InputError, counted, words

CHUNK = 1 << 20  # read and send 1 MiB at a time: few syscalls, constant memory

# GitHub's limits, checked before the first write so that a run never starts what GitHub
# refuses halfway. "About releases", Storage and bandwidth quotas
# (https://docs.github.com/en/repositories/releasing-projects-on-github/about-releases#storage-and-bandwidth-quotas):
# "Each file included in a release must be under 2 GiB", and at most 1000 assets per release
# (the upload answers 422 "file_count limited to 1000 assets per release"). The API's own check
# is "size must be less than or equal to 2147483648", so exactly 2 GiB is let through.
MAX_ASSETS = 1000
MAX_ASSET_SIZE = 2 * 1024**3
MAX_PATHS = 100 * MAX_ASSETS  # paths (directories included) one pattern may match before it is refused

# mimetypes' encodings (".tar.gz" is a gzip file, whatever it holds) as content types.
ENCODING_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}
_MIME = mimetypes.MimeTypes()  # the built-in table only: the same answer on every runner

# A label is "an alternate short description of the asset. Used in place of the filename"
# (GitHub's REST docs, "Update a release asset"); they document no limit. The action refuses
# longer ones itself, before the first request: a label is a name to show, not a notes field.
MAX_LABEL = 255
# Characters a label must not hold, by Unicode category: control characters (Cc: a line break,
# a tab, ESC), format characters (Cf: the invisible ones and those that reverse the direction
# of text, which can make a label read as another file's name), surrogates (Cs: bytes of an
# environment variable that are not UTF-8), private-use and unassigned code points (Co, Cn),
# and the line and paragraph separators (Zl, Zp).
LABEL_REFUSED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def github_asset_name(name: str) -> str:
    """The name GitHub gives an uploaded file.

    GitHub's docs: "GitHub renames asset filenames that have special characters,
    non-alphanumeric characters, and leading or trailing periods." Observed rule (the one
    the sandbox models): each run of characters outside ``[A-Za-z0-9._+-]`` becomes ".",
    runs of periods collapse to one, trailing periods go, and a leading period gets the
    prefix "default" (".env" → "default.env"; "my file (1).zip" → "my.file.1.zip").
    """
    out = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._+-]+", ".", name)).rstrip(".")
    if out.startswith("."):
        out = "default" + out
    return out or "default"


def content_type(name: str) -> str:
    kind, encoding = _MIME.guess_type(name, strict=False)
    if encoding:
        return ENCODING_TYPES.get(encoding, "application/octet-stream")
    return kind or "application/octet-stream"


def sha256_of_stream(stream: BinaryIO, scanner: Scanner | None = None, deadline: Deadline | None = None) -> str:
    """Hex sha256 of what `stream` holds; `scanner` (if any) is fed every piece, as it is hashed, and
    `deadline` (if any) is asked before each piece."""
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    while True:
        if deadline is not None:
            deadline.check("hashing the `files`")
        count = stream.readinto(buffer)  # type: ignore[attr-defined]
        if not count:
            return digest.hexdigest()
        digest.update(view[:count])
        if scanner is not None:
            scanner.feed(buffer, count)


@dataclass(frozen=True)
class LocalFile:
    path: Path  # resolved: the file that was checked and hashed, and is uploaded
    name: str  # the asset name, as GitHub will store it
    size: int
    sha256: str  # hex
    content_type: str
    identity: local_files.Identity | None = None  # (device, inode) when hashed: the upload opens the same file
    label: str | None = None  # the label asked for ("" none); None: whatever label the asset has is kept

    @property
    def digest(self) -> str:
        return f"sha256:{self.sha256}"


@dataclass(frozen=True)
class MadeFile(LocalFile):
    """An asset the action makes itself (the checksums file): its bytes, held in memory, are uploaded."""

    data: bytes = field(default=b"", repr=False)


def split_label(line: str) -> tuple[str, str | None]:
    """A `files` line as (glob, label): `dist/app.zip#Linux build` → ("dist/app.zip", "Linux build").

    The label starts after the first `#` that is not inside a glob bracket expression, so a `#`
    that belongs to a file name is written `[#]` (`dist/[#]1.zip` matches `dist/#1.zip`); the
    label may hold further `#`. Blanks around either part are dropped. No `#`: label None (the
    asset's label is left as it is); a `#` with nothing after it: label "" (the asset has none).
    (The reader has already dropped comment lines, those starting with `#`.)
    """
    i = 0
    while i < len(line):
        if line[i] == "[":  # fnmatch's bracket expression: `]` first (after `!`) is a member
            end = i + 1 + (line[i + 1 : i + 2] == "!")
            end = line.find("]", end + (line[end : end + 1] == "]"))
            if end != -1:
                i = end + 1
                continue
        elif line[i] == "#":
            return line[:i].strip(), line[i + 1 :].strip()
        i += 1
    return line.strip(), None


def label_problem(label: str) -> str | None:
    """Why GitHub should not be given `label` to show in place of a file name, or None."""
    if len(label) > MAX_LABEL:
        return f"it is {len(label)} characters long; a label is a short description, at most {MAX_LABEL}"
    for position, char in enumerate(label, 1):
        if unicodedata.category(char) in LABEL_REFUSED:
            return (
                f"its character {position} is U+{ord(char):04X}, a control, invisible or line-breaking "
                "character; write the label as plain text"
            )
    return None


def collect(
    patterns: Sequence[str],
    working_directory: Path,
    fail_on_unmatched: bool,
    *,
    warn: Callable[[str], None] = print,
    roots: Sequence[Path] | None = None,
    token: str | None = None,
    deadline: Deadline | None = None,
) -> list[LocalFile]:
    """The files the `files` lines name, hashed, with their asset names and labels, in upload order.

    Each line is a glob with an optional `#LABEL` (`split_label`). The order is the lines'
    order, each line's matches sorted by path; a file two lines match comes where the first
    puts it, and takes the label a line gives it (two different labels are an error).

    Every match must lead (symlinks followed) inside `roots` (default: `working_directory`;
    the action passes the workspace and RUNNER_TEMP) and be a regular file, or the whole run
    is refused: a match outside is never silently dropped, since the pattern that reached it
    is wrong or hostile. Directories a pattern matches (`dist/**` matches `dist/sub`) are
    passed over, as `ls` would list them but not upload them. Patterns are expanded by glob's
    rules, but `**` never goes round a directory symlink loop (file_globs); `deadline` bounds
    the expansion and the hashing (BudgetExhausted).

    Raises InputError for a match outside `roots` or not a regular file, a pattern that
    matches no file (when `fail_on_unmatched`), more files than a release can hold, a file
    GitHub would refuse for its size, two files that GitHub would store under one name, and
    a file that holds `token` in a form the runner or actions/checkout stores it (token_guard).
    Reads only; call it before any write.
    """
    root = Path(working_directory)
    allowed = tuple(Path(os.path.realpath(r)) for r in (roots if roots is not None else (root,)))
    found: dict[Path, Path] = {}  # resolved → as matched, in upload order
    labels: dict[Path, tuple[str, str]] = {}  # resolved → (its label, the line that gave it)
    seen: dict[local_files.Identity, Path] = {}  # (device, inode) → the first resolved spelling
    for line in patterns:
        pattern, label = split_label(line)
        if label is not None and (problem := label_problem(label)):
            raise InputError(f"Input `files`: the label of {line!r} is refused: {problem}.")
        matched = 0
        normalised = platforms.normalise_pattern(pattern)
        if problem := platforms.pattern_problem(normalised):
            raise InputError(f"Input `files`: the pattern {pattern!r} is refused: {problem}.")
        try:
            hits = file_globs.expand(normalised, root, deadline=deadline, limit=MAX_PATHS)
        except file_globs.TooMany as exc:
            raise InputError(
                f"Input `files`: the pattern {pattern!r} matches {exc} under {root}; a release holds at "
                f"most {MAX_ASSETS} assets. Narrow the pattern."
            ) from None
        for hit in sorted(hits):
            try:
                real = local_files.resolve_inside(root / hit, allowed)
            except local_files.Refused as exc:
                raise InputError(
                    f"Input `files`: the pattern {pattern!r} matches {hit!r}, which {exc}. Only regular "
                    "files inside the workspace or RUNNER_TEMP are attached: fix or narrow the pattern."
                ) from None
            info = real.stat()
            if stat.S_ISDIR(info.st_mode):
                continue
            matched += 1
            same = seen.setdefault(local_files.identity_of(info), real)  # App.zip = app.zip on macOS
            found.setdefault(same, root / hit)
            if label is not None and labels.setdefault(same, (label, line))[0] != label:
                raise InputError(
                    f"Input `files`: {hit!r} is matched by {labels[same][1]!r} and by {line!r}, which give it two "
                    "different labels. Give the file one label, on one line."
                )
        if not matched:
            message = f"Input `files`: the pattern {pattern!r} matches no file under {root}."
            if fail_on_unmatched:
                raise InputError(
                    message + " Check the pattern and that the files are built before this step, "
                    "or set `fail_on_unmatched_files: false`."
                )
            warn(message)

    if len(found) > MAX_ASSETS:
        raise InputError(
            f"Input `files`: the patterns match {len(found)} files; GitHub holds at most {MAX_ASSETS} "
            "assets per release. Bundle files into archives, or narrow the patterns."
        )

    by_name: dict[str, tuple[Path, Path]] = {}  # asset name → (resolved, as matched), in upload order
    for real, path in found.items():
        name = github_asset_name(path.name)
        if name in by_name:
            raise InputError(
                f"Input `files`: {_rel(by_name[name][1], root)} and {_rel(path, root)} would both be "
                f"uploaded as {name!r} (a release holds one asset per name, and GitHub replaces "
                "special characters with '.'). Rename one of them, or narrow the patterns."
            )
        by_name[name] = (real, path)

    for group in platforms.case_collisions(by_name):
        paths = " and ".join(repr(_rel(by_name[name][1], root)) for name in group)
        raise InputError(
            f"Input `files`: {paths} would be uploaded as {' and '.join(map(repr, group))}, which GitHub "
            "takes for one asset name (it ignores case). Rename one of them, or narrow the patterns."
        )

    label_of = {name: labels[real][0] if real in labels else None for name, (real, _path) in by_name.items()}
    checked = []  # every file's type and size, before the first byte is hashed
    for name, (real, path) in by_name.items():
        try:
            real, info = local_files.regular_file(real, allowed)
        except local_files.Refused as exc:
            raise InputError(f"Input `files`: {_rel(path, root)!r} {exc}; only regular files are attached.") from None
        if info.st_size > MAX_ASSET_SIZE:
            raise InputError(
                f"Input `files`: {_rel(path, root)!r} is {describe_size(info.st_size)}; GitHub accepts "
                f"release assets of at most {describe_size(MAX_ASSET_SIZE)}. Split the file."
            )
        checked.append((name, real, path, info))

    files = []
    for name, real, path, info in checked:
        identity = local_files.identity_of(info)
        scanner = Scanner(token) if token else None
        try:
            with local_files.open_same(real, identity) as stream:
                digest = sha256_of_stream(stream, scanner, deadline)
        except local_files.Refused as exc:
            raise InputError(f"Input `files`: {_rel(path, root)!r} {exc}.") from None
        if scanner is not None and scanner.found is not None:
            raise InputError(
                words(
                    "Input `files`: {path!r} holds the job's token ({form}); it is not published. Find the step "
                    "that wrote the token into it (or the symlink that leads to a credentials file), and leave "
                    "the token out of what the release carries.",
                    path=_rel(path, root),
                    form=scanner.found,
                )
            )
        files.append(LocalFile(real, name, info.st_size, digest, content_type(path.name), identity, label_of[name]))
    return files


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


class FileBody:
    """A file opened for an upload: exactly `size` bytes, read a MiB at a time.

    requests streams any object with `read`; urllib3 asks for 16 KiB blocks, which costs a
    syscall each. Answering with 1 MiB blocks keeps the upload as fast as curl's, and the
    memory flat. `seek` lets the client resend it after a rate limit.
    """

    def __init__(self, path: Path, size: int, identity: local_files.Identity | None = None) -> None:
        # The file collect() hashed, not one swapped in under its name since (local_files).
        if identity is None:
            self._stream: BinaryIO = open(path, "rb")  # noqa: SIM115 (closed by close(), see upload())
        else:
            self._stream = local_files.open_same(path, identity)
        self._size = size
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        left = self._size - self._pos
        if left <= 0:
            return b""
        data = self._stream.read(min(max(n, CHUNK), left))
        self._pos += len(data)
        return data

    def __iter__(self):  # requests streams a body that is iterable and has a length
        while data := self.read(CHUNK):
            yield data

    def __len__(self) -> int:
        return self._size - self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = self._stream.seek(offset, whence)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._stream.close()


def describe_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB"):
        if value < 1024:
            return counted(size, "byte") if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
