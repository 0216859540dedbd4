"""The checksums asset's content as a table: what a listing of the release's assets calls for."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess

import pytest

from release_action.checksums import Sums, sha256_of, sums_of, unlisted
from release_action.wording import Mode

HEX_A, HEX_B, HEX_C = "a" * 64, "b" * 64, "c" * 64


def asset(name: str, hexdigest: str | None = HEX_A, *, id: int = 1, state: str = "uploaded") -> dict:
    return {"id": id, "name": name, "state": state, "size": 3, "digest": f"sha256:{hexdigest}" if hexdigest else None}


ROWS = [
    # (rule, listing, known hashes by id, expected text, or None: no checksums asset is needed)
    ("no asset: nothing to list", [], {}, None),
    ("only the checksums asset itself: nothing to list", [asset("SHA256SUMS")], {}, None),
    ("one asset: one line, two spaces, LF", [asset("a.zip")], {}, f"{HEX_A}  a.zip\n"),
    (
        "sorted by name, whatever order GitHub lists them in",
        [asset("b.zip", HEX_B, id=2), asset("a.zip", HEX_A, id=1)],
        {},
        f"{HEX_A}  a.zip\n{HEX_B}  b.zip\n",
    ),
    (
        "sorted bytewise: capitals before small letters, `-` and `.` before letters",
        [asset("app.zip", HEX_A, id=1), asset("Zeta.zip", HEX_B, id=2), asset("app-1.zip", HEX_C, id=3)],
        {},
        f"{HEX_B}  Zeta.zip\n{HEX_C}  app-1.zip\n{HEX_A}  app.zip\n",
    ),
    (
        "the checksums asset never lists itself (GitHub ignores case)",
        [asset("a.zip"), asset("sha256sums", HEX_C, id=9)],
        {},
        f"{HEX_A}  a.zip\n",
    ),
    (
        "an upload in progress is not listed (its run rewrites the checksums once it is in)",
        [asset("a.zip"), asset("b.zip", None, id=2, state="starter")],
        {},
        f"{HEX_A}  a.zip\n",
    ),
    (
        "no digest from GitHub: the hash of the file this run uploaded as that asset",
        [asset("a.zip", None, id=7)],
        {7: HEX_B},
        f"{HEX_B}  a.zip\n",
    ),
    (
        "GitHub's digest wins over what this run hashed (it is what GitHub holds)",
        [asset("a.zip", HEX_A, id=7)],
        {7: HEX_B},
        f"{HEX_A}  a.zip\n",
    ),
]


@pytest.mark.parametrize(("rule", "listing", "known", "expected"), ROWS, ids=[row[0] for row in ROWS])
def test_sums_of(rule, listing, known, expected):
    sums = sums_of(listing, "SHA256SUMS", known)
    if expected is None:
        assert sums is None
    else:
        assert sums is not None and sums.text == expected.encode()
        assert sums.sha256 == hashlib.sha256(expected.encode()).hexdigest() and sums.size == len(expected)


def test_one_set_of_assets_gives_the_same_bytes_whatever_the_listing_order():
    listing = [asset(f"f{n}.zip", f"{n:064x}", id=n) for n in range(20)]
    assert sums_of(listing, "SHA256SUMS", {}) == sums_of(listing[::-1], "SHA256SUMS", {})


@pytest.mark.parametrize(
    ("digest", "known", "expected"),
    [
        (f"sha256:{HEX_A}", {}, HEX_A),
        (None, {}, None),
        (None, {1: HEX_B}, HEX_B),
        (f"sha512:{'a' * 128}", {}, None),  # another algorithm: no sha256
        (f"sha256:{'A' * 64}", {}, None),  # not as GitHub writes it
        (f"sha256:{HEX_A}\n", {}, None),
        ("sha256:abc", {}, None),
    ],
)
def test_the_sha256_comes_from_githubs_digest_else_from_this_runs_upload(digest, known, expected):
    assert sha256_of({"id": 1, "digest": digest}, known) == expected


UNLISTED_ROWS = [
    # (rule, listing, known, skip, how each reason starts, in listing order)
    ("every asset has a digest", [asset("a.zip"), asset("b.zip", id=2)], {}, set(), []),
    (
        "an asset without a digest",
        [asset("a.zip"), asset("old.pdf", None, id=2)],
        {},
        set(),
        ["SHA256SUMS cannot list old.pdf: GitHub reports no sha256 digest"],
    ),
    ("without a digest, but uploaded by this run", [asset("a.zip", None, id=2)], {2: HEX_A}, set(), []),
    ("without a digest, but this run replaces it", [asset("a.zip", None, id=2)], {}, {"a.zip"}, []),
    ("an upload in progress is no concern", [asset("a.zip", None, id=2, state="starter")], {}, set(), []),
    ("the checksums asset itself is no concern", [asset("SHA256SUMS", None, id=2)], {}, set(), []),
    ("a name with a line break", [asset("a\nb.zip")], {}, set(), ["SHA256SUMS cannot list the asset 'a\\nb.zip'"]),
    ("a name with a backslash", [asset("a\\b.zip")], {}, set(), ["SHA256SUMS cannot list the asset 'a\\\\b.zip'"]),
]


@pytest.mark.parametrize(
    ("rule", "listing", "known", "skip", "starts"), UNLISTED_ROWS, ids=[row[0] for row in UNLISTED_ROWS]
)
def test_unlisted(rule, listing, known, skip, starts):
    problems = unlisted(listing, "SHA256SUMS", known, skip=skip)
    assert len(problems) == len(starts), problems
    for problem, start in zip(map(str, problems), starts, strict=True):
        assert problem.startswith(start), problem


def test_a_digestless_asset_is_explained_with_what_to_do():
    (problem,) = unlisted([asset("old.pdf", None)], "SHA256SUMS", {})
    in_workflow, at_terminal = problem.render(Mode.ACTION), problem.render(Mode.COMMAND)
    assert "GitHub reports no sha256 digest" in in_workflow and "does not download" in in_workflow
    assert "list its file in `files`" in in_workflow and "delete it" in in_workflow
    assert "list its file in --files" in at_terminal


def test_sums_of_refuses_to_guess_a_missing_hash():
    with pytest.raises(ValueError, match="no sha256"):
        sums_of([asset("old.pdf", None)], "SHA256SUMS", {})


def test_gnu_sha256sum_reads_the_format(tmp_path):
    """The lines are what `sha256sum` itself writes for the same files (where it is installed)."""
    tool = shutil.which("sha256sum")
    if tool is None:
        pytest.skip("sha256sum is not installed; the format is checked by the table above")
    files = {"Zeta.zip": b"z", "app-1.zip": b"1", "app.zip": b"a"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    listing = [asset(name, hashlib.sha256(data).hexdigest(), id=n) for n, (name, data) in enumerate(files.items())]
    sums = sums_of(listing, "SHA256SUMS", {})
    assert isinstance(sums, Sums)
    written = subprocess.run(
        [tool, *sorted(files)], cwd=tmp_path, capture_output=True, check=True, env={"LC_ALL": "C"}
    ).stdout
    assert sums.text == written
    assert re.fullmatch(rb"([0-9a-f]{64}  [^\n]+\n)+", sums.text)
