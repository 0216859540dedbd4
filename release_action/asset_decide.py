"""What to do for one file: a pure function of the file and the asset of its name, as observed.

No I/O and no clock of its own, so every rule is a row in a table test (tests/test_asset_decide.py);
the asset sync (asset_sync.py) observes, calls `plan_file` per file and acts on the step.

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

from dataclasses import dataclass

from release_action.asset_files import LocalFile
from release_action.wording import Words, words

STARTER_GRACE_BASE = 10.0  # seconds a fresh starter (another run's upload) is left alone
STARTER_GRACE_RATE = 10_000_000  # ... plus one second per this many bytes of the file


# -- steps: each carries `reason`, its log line --------------------------------------------------


@dataclass(frozen=True)
class Keep:
    """The asset is there with the file's size and digest: nothing to do."""

    reason: str
    asset: dict


@dataclass(frozen=True)
class Upload:
    """No asset has the file's name: upload it."""

    reason: str


@dataclass(frozen=True)
class Replace:
    """The asset differs and may be overwritten: delete it, then upload."""

    reason: str
    asset: dict


@dataclass(frozen=True)
class DeleteStarter:
    """An unfinished upload past its grace period: delete it, then upload again."""

    reason: str
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


Step = Keep | Upload | Replace | DeleteStarter | WaitFor | Refuse
Write = Upload | Replace | DeleteStarter  # the steps that write


# -- the rules -----------------------------------------------------------------------------------


def starter_grace(size: int) -> float:
    """How long a `starter` of a file this size may be another run's live upload."""
    return STARTER_GRACE_BASE + size / STARTER_GRACE_RATE


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
        return Refuse(reason)
    if not overwrite:
        return Refuse(
            words(
                "The release already has an asset {name} with different content ({digest}, {size} bytes; the file "
                "is {file_digest}, {file_size} bytes) and `overwrite_files` is false. Set `overwrite_files: true` "
                "to replace it, or delete the asset.",
                name=file.name,
                digest=asset.get("digest") or "no digest",
                size=asset.get("size"),
                file_digest=file.digest,
                file_size=file.size,
            )
        )
    return Replace(f"replace {file.name} ({asset.get('size')} → {file.size} bytes)", asset)


def locked_problem(tag: str, problems: list[str]) -> str:
    """Why the assets of a published immutable release cannot change, and what to do instead."""
    return (
        f"The release {tag} is published and immutable: GitHub refuses to add, replace or delete "
        f"its assets ({'; '.join(problems)}). Publish these files under a new tag (a new "
        "version); an immutable release can never change."
    )
