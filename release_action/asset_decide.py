"""What to do for one file, for one asset no file asked for, or for the checksums asset: pure
functions of what was observed.

No I/O and no clock of their own, so every rule is a row in a table test
(tests/test_asset_decide.py); the asset sync (asset_sync.py) observes, calls `plan_file` per
file and, with `remove_other_assets`, `plan_other` per asset that no file produced, and acts on
the steps; then, with `checksums`, `plan_checksums` for the checksums asset (ChecksumsSync).

Labels. A file whose line asks for a label (`PATH#LABEL`) and whose asset is the same file
under another label is relabelled with one PATCH (`Relabel`), never uploaded again; a new
upload sends the label with it. A file that asks for no label leaves the asset's label as it
is, and a replacement keeps it.

Other assets (`remove_other_assets`). The sync deletes them (`DeleteOther`) only once an
observation shows every file of the run present with its digest, so a release never lacks a
file because an old one went first. An unfinished upload (`starter`) of a file the run did not
ask for is another run's upload in progress unless it is older than the grace of the largest
file GitHub accepts (its size is not known until it finishes): it is never deleted, nor waited
for; the run leaves it (`Leave`) with a warning, and a later run removes it. On a published
immutable release nothing can be deleted: the run is refused.

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
* An upload of ours that a listing does not show yet (`recently_ours`) is read lag: it is
  waited for, never uploaded again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from release_action.asset_files import MAX_ASSET_SIZE, LocalFile
from release_action.checksums import Sums, sha256_of
from release_action.wording import Words, counted, joined, words

STARTER_GRACE_BASE = 10.0  # seconds a fresh starter (another run's upload) is left alone
STARTER_GRACE_RATE = 10_000_000  # ... plus one second per this many bytes of the file


# -- steps: each carries `reason`, its log line --------------------------------------------------


@dataclass(frozen=True)
class Keep:
    """The asset is there with the file's size and digest: nothing to do. (The checksums asset with
    nothing to list: `asset` is {}, none is there and none is needed.)"""

    reason: str
    asset: dict


@dataclass(frozen=True)
class Upload:
    """No asset has the file's name: upload it (with `label`, unless None)."""

    reason: str
    label: str | None = None


@dataclass(frozen=True)
class Replace:
    """The asset differs and may be overwritten: delete it, then upload (with `label`, unless None)."""

    reason: str
    asset: dict
    label: str | None = None


@dataclass(frozen=True)
class DeleteStarter:
    """An unfinished upload past its grace period: delete it, then upload again (with `label`, unless None)."""

    reason: str
    asset: dict
    label: str | None = None


@dataclass(frozen=True)
class Relabel:
    """The asset is the file, under another label: change the label (one PATCH of the asset)."""

    reason: str
    asset: dict
    label: str


@dataclass(frozen=True)
class DeleteOther:
    """An asset no file of this run produced, with `remove_other_assets`: delete it."""

    reason: str
    asset: dict


@dataclass(frozen=True)
class Leave:
    """Another run's upload in progress of a file this run did not ask for: neither deleted nor waited for."""

    reason: Words | str  # a warning, worded for the reader (wording.py)
    asset: dict


@dataclass(frozen=True)
class WaitFor:
    """Another run's upload in progress (`asset`), or ours hidden by read lag (None): look again later."""

    reason: str
    asset: dict | None = None


@dataclass(frozen=True)
class Refuse:
    """What is asked cannot be done (an immutable release, `overwrite_files: false`): the run fails."""

    reason: Words | str  # Words where it names an input (wording.py)


Step = Keep | Upload | Replace | DeleteStarter | Relabel | DeleteOther | Leave | WaitFor | Refuse
Write = Upload | Replace | DeleteStarter | Relabel | DeleteOther  # the steps that write


# -- the rules -----------------------------------------------------------------------------------


def starter_grace(size: int) -> float:
    """How long a `starter` of a file this size may be another run's live upload."""
    return STARTER_GRACE_BASE + size / STARTER_GRACE_RATE


def identical(asset: dict, file: LocalFile) -> bool:
    return asset.get("state") == "uploaded" and asset.get("size") == file.size and asset.get("digest") == file.digest


def label_of(asset: dict) -> str:
    """The asset's label; GitHub shows none as "" (or null)."""
    return asset.get("label") or ""


def upload_label(file: LocalFile, asset: dict | None) -> str | None:
    """The label to upload `file` with: the one asked for, else the label of the asset it replaces."""
    if file.label is not None:
        return file.label or None
    return (label_of(asset) or None) if asset is not None else None


def plan_file(
    file: LocalFile,
    asset: dict | None,
    *,
    overwrite: bool,
    locked: bool,
    age: float | None,
    recently_ours: bool = False,
) -> Step:
    """What to do for one file, given the asset of its name (None if there is none).

    `locked`: the release is published and immutable (no asset may change). `age`: seconds
    since a starter asset was created, on GitHub's clock (None if unknown). `recently_ours`:
    this run uploaded the file (or was told the name is taken) within the lag window.
    """
    if asset is None:
        if recently_ours:
            return WaitFor(f"{file.name}: our upload is not listed yet (read lag)")
        if locked:
            return Refuse(f"{file.name} is missing")
        return Upload(
            f"upload {file.name} ({counted(file.size, 'byte')}{labelled(file.label)})", upload_label(file, None)
        )
    if identical(asset, file):
        if file.label is not None and label_of(asset) != file.label:
            change = f'the label of {file.name}: "{label_of(asset)}" → "{file.label}"'
            if locked:
                return Refuse(f"{change} cannot be made")
            return Relabel(f"change {change}", asset, file.label)
        return Keep(f"{file.name} is already uploaded with the same digest", asset)
    if asset.get("state") == "starter":
        if locked:
            return Refuse(f"{file.name} is an unfinished upload")
        if age is not None and age < starter_grace(file.size):
            return WaitFor(f"{file.name}: another upload is in progress ({age:.0f}s old)", asset)
        reason = f"delete the unfinished upload of {file.name} and upload it again"
        return DeleteStarter(reason, asset, upload_label(file, asset))
    if locked:
        return Refuse(f"{file.name} differs ({asset.get('digest')}, {size_of(asset.get('size'))})")
    if not overwrite:
        return Refuse(
            words(
                "The release already has an asset {name} with different content ({digest}, {size}; the file "
                "is {file_digest}, {file_size}) and `overwrite_files` is false. Set `overwrite_files: true` "
                "to replace it, or delete the asset.",
                name=file.name,
                digest=asset.get("digest") or "no digest",
                size=size_of(asset.get("size")),
                file_digest=file.digest,
                file_size=size_of(file.size),
            )
        )
    reason = f"replace {file.name} ({asset.get('size')} → {size_of(file.size)}{labelled(upload_label(file, asset))})"
    return Replace(reason, asset, upload_label(file, asset))


def size_of(size: object) -> str:
    """A size in bytes, in the right plural; GitHub's (an asset's) as it came when it is no count."""
    return counted(size, "byte") if type(size) is int else f"{size} bytes"


def labelled(label: str | None) -> str:
    return f', label "{label}"' if label else ""


def other_starter_grace() -> float:
    """How long a `starter` of a file this run did not ask for may be a live upload: its size is
    unknown until it finishes, so the grace of the largest file GitHub accepts."""
    return starter_grace(MAX_ASSET_SIZE)


def plan_other(asset: dict, *, locked: bool, age: float | None) -> Step:
    """What `remove_other_assets` does with an asset that no file of this run produced.

    Call it only once every file of the run is observed present (`plan_file` gave Keep for
    each), and never for an asset the action maintains itself. `locked`: the release is
    published and immutable. `age`: seconds since a starter was created, on GitHub's clock.
    """
    name = asset.get("name")
    if locked:
        return Refuse(words("{name} is not in `files`, and `remove_other_assets: true` is set", name=name))
    if asset.get("state") == "starter" and (age is None or age < other_starter_grace()):
        since = "of unknown age" if age is None else f"{age:.0f}s old"
        left = (
            "{name} is being uploaded by another run ({since}), so `remove_other_assets` left it: an upload "
            "in progress is never cut off."
        )
        return Leave(
            words(
                left + " Run the workflow again once that upload has finished to remove it.",
                command=left + " Run the command again once that upload has finished to remove it.",
                name=name,
                since=since,
            ),
            asset,
        )
    what = "an unfinished upload" if asset.get("state") == "starter" else size_of(asset.get("size"))
    return DeleteOther(f"delete {name} ({what}): not in `files`", asset)


def plan_checksums(
    name: str,
    sums: Sums | None,
    asset: dict | None,
    *,
    known: Mapping[int, str],
    problems: Sequence[Words | str] = (),
    locked: bool,
    age: float | None,
    recently_ours: bool = False,
) -> Step:
    """What to do for the checksums asset `name`, which should hold `sums` (checksums.sums_of of the
    current listing; None: the release has no other asset to list, so it should hold no checksums asset).

    `asset`: the checksums asset as listed (None if there is none). `known`: the sha256 of the
    assets this run uploaded, by id (where GitHub reports no digest). `problems`:
    checksums.unlisted's reasons, why some asset cannot be listed. `locked`, `age` and
    `recently_ours` as for `plan_file`. The asset is the action's own: it is rewritten whatever
    `overwrite_files` says, keeps whatever label it has, and is compared by its digest alone, so
    no download is ever needed to tell whether it is right.
    """
    if problems:
        return Refuse(words("{problems}.", problems=joined(problems)))
    if sums is None:
        if asset is None:
            return Keep(f"the release has no other asset to list, so no {name}", {})
        if asset.get("state") == "starter" and not locked and age is not None and age < starter_grace(0):
            return WaitFor(f"{name}: another upload is in progress ({age:.0f}s old)", asset)
        if locked:
            return Refuse(f"{name} lists assets the release no longer has")
        return DeleteOther(f"delete {name}: the release has no other asset to list", asset)
    count = counted(len(sums.names), "asset")
    if asset is None:
        if recently_ours:
            return WaitFor(f"{name}: our upload is not listed yet (read lag)")
        if locked:
            return Refuse(f"{name} is missing")
        return Upload(f"write {name} (the sha256 of {count}, {sums.size} bytes)")
    if asset.get("state") == "uploaded" and asset.get("size") == sums.size and sha256_of(asset, known) == sums.sha256:
        return Keep(f"{name} lists the {count} with their current digests", asset)
    label = label_of(asset) or None
    if asset.get("state") == "starter":
        if locked:
            return Refuse(f"{name} is an unfinished upload")
        if age is not None and age < starter_grace(sums.size):
            return WaitFor(f"{name}: another upload is in progress ({age:.0f}s old)", asset)
        return DeleteStarter(f"delete the unfinished upload of {name} and write it again", asset, label)
    if locked:
        return Refuse(f"{name} does not list the assets the release holds with their digests")
    return Replace(f"rewrite {name}: the assets or their digests changed (now {count})", asset, label)


def locked_problem(tag: str, problems: Sequence[Words | str]) -> Words:
    """Why the assets of a published immutable release cannot change, and what to do instead."""
    return words(
        "The release {tag} is published and immutable: GitHub refuses to add, replace, relabel or "
        "delete its assets ({problems}). Publish these files under a new tag (a new version); an "
        "immutable release can never change.",
        tag=tag,
        problems=joined(problems),
    )
