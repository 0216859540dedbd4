"""The checksums asset's content (`checksums: SHA256SUMS`): a pure function of the release's assets.

One line `<sha256 hex>  <asset name>` per asset of the release but the checksums asset itself,
the format `sha256sum -c` (and `shasum -a 256 -c`) reads: two spaces, LF line ends, UTF-8.
Lines are sorted by name in byte order (the names' UTF-8 bytes, so `Zeta.zip` before
`alpha.zip`, as `LC_ALL=C sort` sorts), so that every run that sees one set of assets writes
the very same bytes, and GitHub's digest of the checksums asset tells whether it lists that
set without downloading it.

Each asset's sha256 is GitHub's own `digest` of it (`sha256:<hex>`, reported for every upload
since June 2025). Where GitHub reports none, only an asset this run uploaded is known (its
local file was hashed before the upload, `known`); the action does not download other assets
to hash them, so such an asset is `unlisted` and the run is refused, naming it.

Only finished uploads are listed: a `starter` is an upload in progress (its run rewrites the
checksums once it is in) or the remains of a dead one, which no one can download.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from release_action import platforms
from release_action.wording import Words, words

DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
# What a line cannot hold: `sha256sum -c` reads a line break as the end of the line and a
# backslash (or a line starting with one) as an escape; control characters and lone surrogates
# (no UTF-8 for them) have no place in a file name either. GitHub never stores such names (it
# turns every character outside [A-Za-z0-9._+-] into '.'); a server that sends one is refused.
UNWRITABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\\\ud800-\udfff]")
CONTENT_TYPE = "text/plain"


@dataclass(frozen=True)
class Sums:
    """The checksums file for one set of assets: its bytes, and the names it lists, in order."""

    text: bytes
    names: tuple[str, ...]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text).hexdigest()

    @property
    def size(self) -> int:
        return len(self.text)


def sha256_of(asset: Mapping, known: Mapping[int, str]) -> str | None:
    """The asset's hex sha256: GitHub's digest, else this run's hash of the file it uploaded as it, else None."""
    digest = asset.get("digest")
    if isinstance(digest, str) and (match := DIGEST.fullmatch(digest)):
        return match.group(1)
    asset_id = asset.get("id")
    return known.get(asset_id) if isinstance(asset_id, int) else None


def listed(assets: Iterable[Mapping], name: str) -> list[Mapping]:
    """The assets a checksums file named `name` lists: every finished upload but itself (GitHub ignores case)."""
    own = platforms.asset_key(name)
    return [a for a in assets if a.get("state") == "uploaded" and platforms.asset_key(str(a.get("name"))) != own]


def line(sha256: str, name: str) -> str:
    return f"{sha256}  {name}\n"


def sums_of(assets: Iterable[Mapping], name: str, known: Mapping[int, str]) -> Sums | None:
    """The checksums file `name` for `assets` (as a listing shows them), or None when there is no asset to list.

    Every listed asset must have a sha256 (`unlisted` says which do not): call this once that is checked.
    """
    entries = []
    for asset in listed(assets, name):
        sha256 = sha256_of(asset, known)
        if sha256 is None:
            raise ValueError(f"asset {asset.get('name')!r} has no sha256 (check `unlisted` first)")
        entries.append((str(asset.get("name")), sha256))
    if not entries:
        return None
    entries.sort(key=lambda entry: entry[0].encode())
    text = "".join(line(sha256, asset_name) for asset_name, sha256 in entries)
    return Sums(text.encode(), tuple(asset_name for asset_name, _ in entries))


def unlisted(
    assets: Iterable[Mapping], name: str, known: Mapping[int, str], *, skip: Collection[str] = ()
) -> list[Words | str]:
    """Why some assets cannot be listed in the checksums file `name`: one reason per asset, in listing order.

    `skip`: asset keys (platforms.asset_key) this run replaces or deletes before it writes the
    checksums, so their state now does not matter.
    """
    problems: list[Words | str] = []
    for asset in listed(assets, name):
        asset_name = str(asset.get("name"))
        if platforms.asset_key(asset_name) in skip:
            continue
        if UNWRITABLE.search(asset_name):
            problems.append(
                f"{name} cannot list the asset {asset_name!r}: its name holds a line break, a control "
                "character, a backslash or broken Unicode, which GitHub never gives an asset; rename or delete it"
            )
        elif sha256_of(asset, known) is None:
            problems.append(
                words(
                    "{name} cannot list {asset}: GitHub reports no sha256 digest for it (assets uploaded before "
                    "June 2025 have none), and the action does not download assets to hash them. Upload it again "
                    "(list its file in `files`, so that this run replaces it, or delete it and upload it), or "
                    "delete it",
                    name=name,
                    asset=asset_name,
                )
            )
    return problems
