"""Release assets: find the files, then make the release hold exactly them, safely under races.

`collect` runs before any write: it expands the globs, hashes every file (streamed sha256,
constant memory) and refuses names that would collide once GitHub renames them.

`Syncer` is level-triggered like the engine: observe the release's assets, decide per file
(keep, upload, replace, wait, refuse), act, and observe again, until one observation shows
every file present with its digest; that last listing is the verification.

Races. GitHub keeps one asset per name in a release (a second upload of a name gets 422
already_exists, even while the first is still a `starter`), so concurrent runs cannot make
two copies; they only have to agree about in-progress uploads:

* A `starter` asset is an upload in progress, or the remains of one that died. It is left
  alone while it is younger than a grace period that grows with the file's size
  (`starter_grace`: 10 s + 1 s per 10 MB), measured on GitHub's clock (the asset's
  `created_at` against the answer's `Date` header), and it is waited for: when it turns
  `uploaded` its digest decides. Only a starter older than that is deleted and uploaded
  again. A live upload is therefore only deleted when it is slower than 10 MB/s, and then
  at most once per attempt: the run whose upload was deleted sees the other's upload,
  which is younger than the grace, and waits for it.
* After a 422 already_exists or a lost answer (OutcomeUnknown) the asset is simply
  observed again: it may be another run's identical upload, or ours that landed.
"""

from __future__ import annotations

import glob
import hashlib
import mimetypes
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from release_action import local_files, platforms
from release_action.budget import Deadline
from release_action.decide import LAG_WINDOW  # our own upload missing from a listing this soon after is read lag
from release_action.github import Conflict, GitHub, GitHubError, OutcomeUnknown, github_time
from release_action.wording import InputError

CHUNK = 1 << 20  # read and send 1 MiB at a time: few syscalls, constant memory
STARTER_GRACE_BASE = 10.0  # seconds a fresh starter (another run's upload) is left alone
STARTER_GRACE_RATE = 10_000_000  # ... plus one second per this many bytes of the file
POLL_SECONDS = 1.0  # between observations while waiting for another run's upload
MAX_REPLACES = 3  # replacements of one asset before deciding another writer fights over it
# GitHub's limits, checked before the first write so that a run never starts what GitHub
# refuses halfway. "About releases", Storage and bandwidth quotas
# (https://docs.github.com/en/repositories/releasing-projects-on-github/about-releases#storage-and-bandwidth-quotas):
# "Each file included in a release must be under 2 GiB", and at most 1000 assets per release
# (the upload answers 422 "file_count limited to 1000 assets per release"). The API's own check
# is "size must be less than or equal to 2147483648", so exactly 2 GiB is let through.
MAX_ASSETS = 1000
MAX_ASSET_SIZE = 2 * 1024**3

# mimetypes' encodings (".tar.gz" is a gzip file, whatever it holds) as content types.
ENCODING_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}
_MIME = mimetypes.MimeTypes()  # the built-in table only: the same answer on every runner


class AssetError(Exception):
    """The release's assets cannot be made what was asked; the message says why and what to do."""


class ReleaseGone(AssetError):
    """The release went away while its assets were synced (another run deleted a losing draft)."""


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


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks (constant memory whatever its size)."""
    with open(path, "rb") as stream:
        return sha256_of_stream(stream)


def sha256_of_stream(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    while count := stream.readinto(buffer):  # type: ignore[attr-defined]
        digest.update(view[:count])
    return digest.hexdigest()


@dataclass(frozen=True)
class LocalFile:
    path: Path  # resolved: the file that was checked and hashed, and is uploaded
    name: str  # the asset name, as GitHub will store it
    size: int
    sha256: str  # hex
    content_type: str
    identity: local_files.Identity | None = None  # (device, inode) when hashed: the upload opens the same file

    @property
    def digest(self) -> str:
        return f"sha256:{self.sha256}"


def collect(
    patterns: Sequence[str],
    working_directory: Path,
    fail_on_unmatched: bool,
    *,
    warn: Callable[[str], None] = print,
    roots: Sequence[Path] | None = None,
) -> list[LocalFile]:
    """The files the globs name, hashed, with their asset names; sorted by path.

    Every match must lead (symlinks followed) inside `roots` (default: `working_directory`;
    the action passes the workspace and RUNNER_TEMP) and be a regular file, or the whole run
    is refused: a match outside is never silently dropped, since the pattern that reached it
    is wrong or hostile. Directories a pattern matches (`dist/**` matches `dist/sub`) are
    passed over, as `ls` would list them but not upload them.

    Raises InputError for a match outside `roots` or not a regular file, a pattern that
    matches no file (when `fail_on_unmatched`), more files than a release can hold, a file
    GitHub would refuse for its size, and two files that GitHub would store under one name.
    Reads only; call it before any write.
    """
    root = Path(working_directory)
    allowed = tuple(Path(os.path.realpath(r)) for r in (roots if roots is not None else (root,)))
    found: dict[Path, Path] = {}  # resolved → as matched
    seen: dict[local_files.Identity, Path] = {}  # (device, inode) → the first resolved spelling
    for pattern in patterns:
        matched = 0
        if problem := platforms.pattern_problem(platforms.normalise_pattern(pattern)):
            raise InputError(f"Input `files`: the pattern {pattern!r} is refused: {problem}.")
        for hit in sorted(glob.glob(platforms.normalise_pattern(pattern), root_dir=root, recursive=True)):
            try:
                real = local_files.resolve_inside(root / hit, allowed)
            except local_files.Refused as exc:
                raise InputError(
                    f"Input `files`: the pattern {pattern!r} matches {hit!r}, which {exc}. Only regular "
                    "files inside the workspace or RUNNER_TEMP are attached: fix or narrow the pattern."
                ) from None
            if real.is_dir():
                continue
            matched += 1
            same = seen.setdefault(local_files.identity_of(real.stat()), real)  # App.zip = app.zip on macOS
            found.setdefault(same, root / hit)
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

    by_name: dict[str, tuple[Path, Path]] = {}  # asset name → (resolved, as matched)
    for real, path in sorted(found.items(), key=lambda item: item[1]):
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
        try:
            with local_files.open_same(real, identity) as stream:
                digest = sha256_of_stream(stream)
        except local_files.Refused as exc:
            raise InputError(f"Input `files`: {_rel(path, root)!r} {exc}.") from None
        files.append(LocalFile(real, name, info.st_size, digest, content_type(path.name), identity))
    return sorted(files, key=lambda f: str(f.path))


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


def upload(github: GitHub, upload_url: str, file: LocalFile) -> dict:
    try:
        body = FileBody(file.path, file.size, file.identity)
    except local_files.Refused as exc:
        raise AssetError(
            f"{file.path} {exc} (it was hashed before the first request as {file.name}). "
            "Make sure no other process changes the files while this step runs."
        ) from None
    try:
        return github.upload_asset(upload_url, file.name, body, file.size, file.content_type)
    finally:
        body.close()


def starter_grace(size: int) -> float:
    """How long a `starter` of a file this size may be another run's live upload."""
    return STARTER_GRACE_BASE + size / STARTER_GRACE_RATE


# -- deciding, per file: a pure function of the file and what was observed ---------------------


@dataclass(frozen=True)
class Plan:
    """One file's next step, as `plan_file` decides it from what was observed; `reason` is its log line."""

    reason: str
    asset: dict | None = None  # the asset of the file's name, when there is one


class Keep(Plan):
    """The asset is there with the file's size and digest: nothing to do."""


class Upload(Plan):
    """No asset has the file's name: upload it."""


class Replace(Plan):
    """The asset differs and may be overwritten: delete it, then upload."""


class DeleteStarter(Plan):
    """An unfinished upload past its grace period: delete it, then upload again."""


class WaitFor(Plan):
    """Another run's upload in progress, or ours hidden by read lag: look again later."""


class Refuse(Plan):
    """What is asked cannot be done (an immutable release, `overwrite_files: false`): the run fails."""


WRITES_ASSET = (Upload, Replace, DeleteStarter)


def identical(asset: dict, file: LocalFile) -> bool:
    return asset.get("state") == "uploaded" and asset.get("size") == file.size and asset.get("digest") == file.digest


def plan_file(
    file: LocalFile,
    asset: dict | None,
    *,
    overwrite: bool,
    locked: bool,
    age: float | None,
    recently_ours: bool = False,
) -> Plan:
    """What to do for one file, given the asset of its name (None if there is none).

    `locked`: the release is published and immutable (no asset may change). `age`: seconds
    since a starter asset was created, on GitHub's clock (None if unknown).
    """
    if asset is None:
        if recently_ours:
            return WaitFor(f"{file.name}: our upload is not listed yet (read lag)")
        if locked:
            return Refuse(f"{file.name} is missing")
        return Upload(f"upload {file.name} ({file.size} bytes)")
    if identical(asset, file):
        return Keep(f"{file.name} is already uploaded with the same digest", asset)
    if asset.get("state") == "starter":
        if locked:
            return Refuse(f"{file.name} is an unfinished upload")
        if age is not None and age < starter_grace(file.size):
            return WaitFor(f"{file.name}: another upload is in progress ({age:.0f}s old)", asset)
        reason = f"delete the unfinished upload of {file.name} and upload it again"
        return DeleteStarter(reason, asset)
    if locked:
        reason = f"{file.name} differs ({asset.get('digest')}, {asset.get('size')} bytes)"
        return Refuse(reason, asset)
    if not overwrite:
        return Refuse(
            f"The release already has an asset {file.name} with different content "
            f"({asset.get('digest') or 'no digest'}, {asset.get('size')} bytes; the file is "
            f"{file.digest}, {file.size} bytes) and `overwrite_files` is false. Set "
            "`overwrite_files: true` to replace it, or delete the asset.",
            asset,
        )
    return Replace(f"replace {file.name} ({asset.get('size')} → {file.size} bytes)", asset)


def locked_error(tag: str, problems: list[str]) -> AssetError:
    return AssetError(
        f"The release {tag} is published and immutable: GitHub refuses to add, replace or delete "
        f"its assets ({'; '.join(problems)}). Publish these files under a new tag (a new "
        "version); an immutable release can never change."
    )


# -- syncing -----------------------------------------------------------------------------------


class Syncer:
    """Makes one release hold `files`; see the module docstring for the race rules."""

    def __init__(
        self,
        github: GitHub,
        release: dict,
        files: Sequence[LocalFile],
        *,
        deadline: Deadline,
        overwrite: bool,
        immutable: bool | None = None,
        log: Callable[[str], None] = print,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.github = github
        self.deadline = deadline
        self.release = release
        self.files = list(files)
        self.overwrite = overwrite
        self.immutable = immutable
        self.log = log
        self.wall_clock = wall_clock
        # name → when this run's upload of it succeeded, or was refused because the name was taken
        self.uploaded_at: dict[str, float] = {}
        self.deleted: set[int] = set()  # asset ids this run deleted (a lagged list may show them)
        self.replaces: dict[str, int] = {}
        self.changes = 0  # uploads and deletions made
        self.waited_for: dict[int, str] = {}
        self.done: dict[str, str] = {}  # name → "uploaded" | "replaced", for the summary

    @property
    def release_id(self) -> int:
        return int(self.release["id"])

    @property
    def locked(self) -> bool:
        """No asset may change: the release is published and immutable."""
        immutable = self.release.get("immutable") if self.immutable is None else self.immutable
        return bool(immutable) and not self.release.get("draft")

    def observe(self) -> tuple[dict[str, dict], float]:
        """The release's assets by name, and GitHub's time of the answer."""
        try:
            listed = self.github.list_assets(self.release_id)
        except GitHubError as exc:
            if exc.status == 404:
                gone = f"release {self.release_id} was deleted while its assets were synced"
                raise ReleaseGone(gone) from exc
            raise
        assets = {platforms.asset_key(a["name"]): a for a in listed if a.get("id") not in self.deleted}
        now = self.github.server_now() or self.wall_clock()
        return assets, now

    def plans(self, assets: dict[str, dict], now: float) -> list[tuple[LocalFile, Plan]]:
        out = []
        for file in self.files:
            asset = assets.get(platforms.asset_key(file.name))
            age = None
            if asset is not None and asset.get("state") == "starter":
                created = github_time(asset.get("created_at"))
                age = None if created is None else max(0.0, now - created)
            if asset is not None:
                self.uploaded_at.pop(file.name, None)  # seen: from now on, missing means deleted
            ours = self.uploaded_at.get(file.name)
            recent = ours is not None and self.deadline.clock() - ours < LAG_WINDOW
            out.append(
                (
                    file,
                    plan_file(
                        file,
                        asset,
                        overwrite=self.overwrite,
                        locked=self.locked,
                        age=age,
                        recently_ours=recent,
                    ),
                )
            )
        return out

    def plan_only(self) -> list[tuple[LocalFile, Plan]]:
        """The dry run: what sync would do first, without writing."""
        assets, now = self.observe()
        plans = self.plans(assets, now)
        self._refuse(plans)
        return plans

    def run(self) -> list[dict]:
        """Sync until an observation shows every file; return those assets."""
        while True:
            assets, now = self.observe()
            plans = self.plans(assets, now)
            self._refuse(plans)
            if all(isinstance(plan, Keep) for _, plan in plans):
                return [assets[platforms.asset_key(file.name)] for file in self.files]
            acted = False
            for file, plan in plans:
                if isinstance(plan, WRITES_ASSET):
                    acted = True
                    self.act(file, plan)
                elif isinstance(plan, WaitFor) and plan.asset is not None:
                    if self.waited_for.get(plan.asset["id"]) != plan.reason:
                        self.log(plan.reason)
                    self.waited_for[plan.asset["id"]] = plan.reason
            if not acted:
                self.deadline.wait(POLL_SECONDS, "another run's upload to finish")

    def _refuse(self, plans: list[tuple[LocalFile, Plan]]) -> None:
        refused = [plan.reason for _, plan in plans if isinstance(plan, Refuse)]
        if not refused:
            return
        if self.locked:
            raise locked_error(self.release.get("tag_name", ""), refused)
        raise AssetError(" ".join(refused))

    def act(self, file: LocalFile, plan: Plan) -> None:
        """One file's writes; a conflict or a lost answer just means: observe again."""
        self.log(plan.reason)
        try:
            if isinstance(plan, Replace | DeleteStarter):
                assert plan.asset is not None
                if isinstance(plan, Replace):
                    self.replaces[file.name] = self.replaces.get(file.name, 0) + 1
                    if self.replaces[file.name] > MAX_REPLACES:
                        raise AssetError(
                            f"Asset {file.name} was replaced {MAX_REPLACES} times and still differs: "
                            "another workflow keeps uploading a different file under this name. "
                            "Make the two workflows agree on the file, or give it another name."
                        )
                self.github.delete_asset(int(plan.asset["id"]))  # False: already gone, fine
                self.deleted.add(int(plan.asset["id"]))
                self.changes += 1
            upload(self.github, self.release["upload_url"], file)
            self.changes += 1
            self.done[file.name] = "replaced" if isinstance(plan, Replace) else "uploaded"
            self.uploaded_at[file.name] = self.deadline.clock()
        except Conflict:
            # The name is taken (another run's upload, or ours that a lagging list hides):
            # until a listing shows it, a missing asset of this name means wait, not upload.
            self.uploaded_at[file.name] = self.deadline.clock()
            self.log(f"{file.name}: another upload of this name exists; looking again")
        except OutcomeUnknown as exc:
            self.uploaded_at[file.name] = self.deadline.clock()
            self.log(f"{exc}; the upload may have landed, looking again")
        except GitHubError as exc:
            if exc.status == 404:
                # The asset was already gone (fine), or the release was (the next observation says).
                self.log(f"{file.name}: {exc.message}; looking again")
                return
            if exc.status == 422 and "immutable" in exc.message.lower():
                raise locked_error(self.release.get("tag_name", ""), [f"{file.name}: {exc.message}"]) from exc
            raise


def output_of(asset: dict) -> dict[str, Any]:
    keys = ("name", "id", "size", "digest", "browser_download_url")
    return {key: asset.get(key) for key in keys}


def describe_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB"):
        if value < 1024:
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
