"""plan_file, plan_other and plan_checksums as tables: one row per rule of the asset decision."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from release_action.asset_decide import (
    STARTER_GRACE_BASE,
    DeleteOther,
    DeleteStarter,
    Keep,
    Leave,
    Refuse,
    Relabel,
    Replace,
    Upload,
    WaitFor,
    identical,
    locked_problem,
    other_starter_grace,
    plan_checksums,
    plan_file,
    plan_other,
    starter_grace,
)
from release_action.asset_files import MAX_ASSET_SIZE, LocalFile
from release_action.checksums import Sums
from release_action.wording import Mode

FILE = LocalFile(Path("a.zip"), "a.zip", 3, "ab" * 32, "application/zip")
LABELLED = dataclasses.replace(FILE, label="Linux build")  # `a.zip#Linux build`
UNLABELLED = dataclasses.replace(FILE, label="")  # `a.zip#`: no label
OTHER_DIGEST = "sha256:" + "0" * 64


def asset(**fields) -> dict:
    return {"id": 1, "name": "a.zip", "state": "uploaded", "size": 3, "digest": FILE.digest, **fields}


SAME = asset()
BIGGER = asset(size=4)
DIFFERENT = asset(digest=OTHER_DIGEST)
STARTER = asset(state="starter", digest=None, size=0)

ROWS = [
    # (rule, observed asset, options, expected step)
    ("no asset of the name: upload it", None, {}, Upload("upload a.zip (3 bytes)")),
    (
        "no asset, but our upload of it is recent: read lag, wait",
        None,
        {"recently_ours": True},
        WaitFor("a.zip: our upload is not listed yet (read lag)"),
    ),
    ("no asset on a locked release: refuse", None, {"locked": True}, Refuse("a.zip is missing")),
    ("the same size and digest: keep", SAME, {}, Keep("a.zip is already uploaded with the same digest", SAME)),
    (
        "the same file on a locked release: keep (nothing to change)",
        SAME,
        {"locked": True},
        Keep("a.zip is already uploaded with the same digest", SAME),
    ),
    ("another size: replace", BIGGER, {}, Replace("replace a.zip (4 → 3 bytes)", BIGGER)),
    ("another digest: replace", DIFFERENT, {}, Replace("replace a.zip (3 → 3 bytes)", DIFFERENT)),
    (
        "a different file on a locked release: refuse",
        DIFFERENT,
        {"locked": True},
        Refuse(f"a.zip differs ({OTHER_DIGEST}, 3 bytes)"),
    ),
    (
        "a young starter: another run's upload in progress, wait for it",
        STARTER,
        {"age": 1.0},
        WaitFor("a.zip: another upload is in progress (1s old)", STARTER),
    ),
    (
        "a starter past its grace: delete it and upload again",
        STARTER,
        {"age": 60.0},
        DeleteStarter("delete the unfinished upload of a.zip and upload it again", STARTER),
    ),
    (
        "a starter exactly at its grace: no longer waited for",
        STARTER,
        {"age": starter_grace(FILE.size)},
        DeleteStarter("delete the unfinished upload of a.zip and upload it again", STARTER),
    ),
    (
        "a starter of unknown age: delete it and upload again",
        STARTER,
        {"age": None},
        DeleteStarter("delete the unfinished upload of a.zip and upload it again", STARTER),
    ),
    (
        "a starter on a locked release: refuse",
        STARTER,
        {"age": 1.0, "locked": True},
        Refuse("a.zip is an unfinished upload"),
    ),
    (
        "a starter of the file's own size and digest is no finished upload: wait",
        asset(state="starter"),
        {"age": 1.0},
        WaitFor("a.zip: another upload is in progress (1s old)", asset(state="starter")),
    ),
]


@pytest.mark.parametrize(("rule", "observed", "options", "expected"), ROWS, ids=[row[0] for row in ROWS])
def test_plan_file(rule, observed, options, expected):
    kwargs = {"overwrite": True, "locked": False, "age": None, **options}
    assert plan_file(FILE, observed, **kwargs) == expected


SAME_LABELLED = asset(label="Linux build")
SAME_OTHER_LABEL = asset(label="old text")

LABEL_ROWS = [
    # (rule, the file (its line's label), observed asset, options, expected step)
    (
        "a new file is uploaded with its label",
        LABELLED,
        None,
        {},
        Upload('upload a.zip (3 bytes, label "Linux build")', "Linux build"),
    ),
    ("a new file without a label is uploaded without one", FILE, None, {}, Upload("upload a.zip (3 bytes)")),
    ("`PATH#` uploads without a label", UNLABELLED, None, {}, Upload("upload a.zip (3 bytes)")),
    (
        "the same file under the same label: keep",
        LABELLED,
        SAME_LABELLED,
        {},
        Keep("a.zip is already uploaded with the same digest", SAME_LABELLED),
    ),
    (
        "the same file under another label: relabel (one PATCH, no upload)",
        LABELLED,
        SAME_OTHER_LABEL,
        {},
        Relabel('change the label of a.zip: "old text" → "Linux build"', SAME_OTHER_LABEL, "Linux build"),
    ),
    (
        "the same file without a label (GitHub's empty label): relabel",
        LABELLED,
        asset(label=""),
        {},
        Relabel('change the label of a.zip: "" → "Linux build"', asset(label=""), "Linux build"),
    ),
    (
        "the same file with a null label: relabel",
        LABELLED,
        asset(label=None),
        {},
        Relabel('change the label of a.zip: "" → "Linux build"', asset(label=None), "Linux build"),
    ),
    (
        "`PATH#` removes a label",
        UNLABELLED,
        SAME_OTHER_LABEL,
        {},
        Relabel('change the label of a.zip: "old text" → ""', SAME_OTHER_LABEL, ""),
    ),
    (
        "`PATH#` and no label on the asset: keep",
        UNLABELLED,
        asset(label=None),
        {},
        Keep("a.zip is already uploaded with the same digest", asset(label=None)),
    ),
    (
        "no label asked: the asset's label is left as it is",
        FILE,
        SAME_OTHER_LABEL,
        {},
        Keep("a.zip is already uploaded with the same digest", SAME_OTHER_LABEL),
    ),
    (
        "another label on a locked release: refuse",
        LABELLED,
        SAME_OTHER_LABEL,
        {"locked": True},
        Refuse('the label of a.zip: "old text" → "Linux build" cannot be made'),
    ),
    (
        "a differing file is replaced and uploaded with its label",
        LABELLED,
        asset(size=4, label="old text"),
        {},
        Replace('replace a.zip (4 → 3 bytes, label "Linux build")', asset(size=4, label="old text"), "Linux build"),
    ),
    (
        "a replacement with no label asked keeps the replaced asset's label",
        FILE,
        asset(size=4, label="old text"),
        {},
        Replace('replace a.zip (4 → 3 bytes, label "old text")', asset(size=4, label="old text"), "old text"),
    ),
    (
        "a replacement with `PATH#` has no label",
        UNLABELLED,
        asset(size=4, label="old text"),
        {},
        Replace("replace a.zip (4 → 3 bytes)", asset(size=4, label="old text"), None),
    ),
    (
        "a dead starter is uploaded again with the label",
        LABELLED,
        STARTER,
        {"age": 60.0},
        DeleteStarter("delete the unfinished upload of a.zip and upload it again", STARTER, "Linux build"),
    ),
]


@pytest.mark.parametrize(
    ("rule", "file", "observed", "options", "expected"), LABEL_ROWS, ids=[row[0] for row in LABEL_ROWS]
)
def test_plan_file_labels(rule, file, observed, options, expected):
    kwargs = {"overwrite": True, "locked": False, "age": None, **options}
    assert plan_file(file, observed, **kwargs) == expected


OLD = {"id": 9, "name": "nightly-0.9.zip", "state": "uploaded", "size": 5, "digest": OTHER_DIGEST}
OTHER_STARTER = {**OLD, "state": "starter", "size": 0, "digest": None}
LEFT = (
    "nightly-0.9.zip is being uploaded by another run ({since}), so `remove_other_assets` left it: an upload in "
    "progress is never cut off. Run the workflow again once that upload has finished to remove it."
)

OTHER_ROWS = [
    # (rule, an asset no file produced, options, expected step)
    (
        "a finished asset no file produced: delete it",
        OLD,
        {},
        DeleteOther("delete nightly-0.9.zip (5 bytes): not in `files`", OLD),
    ),
    (
        "on a published immutable release: refuse (nothing can be deleted)",
        OLD,
        {"locked": True},
        Refuse("nightly-0.9.zip is not in `files`, and `remove_other_assets: true` is set"),
    ),
    (
        "a young starter: another run's upload in progress, left alone (neither deleted nor waited for)",
        OTHER_STARTER,
        {"age": 1.0},
        Leave(LEFT.format(since="1s old"), OTHER_STARTER),
    ),
    (
        "a starter past the grace of a small file is still left: its size is unknown, it may be a large upload",
        OTHER_STARTER,
        {"age": 60.0},
        Leave(LEFT.format(since="60s old"), OTHER_STARTER),
    ),
    (
        "a starter of unknown age: left alone",
        OTHER_STARTER,
        {"age": None},
        Leave(LEFT.format(since="of unknown age"), OTHER_STARTER),
    ),
    (
        "a starter past the grace of the largest file GitHub accepts: an abandoned upload, deleted",
        OTHER_STARTER,
        {"age": other_starter_grace()},
        DeleteOther("delete nightly-0.9.zip (an unfinished upload): not in `files`", OTHER_STARTER),
    ),
]


def as_read(step):
    """The step with its reason as a workflow's reader reads it (wording.py; the terminal's: test_wording)."""
    reason = getattr(step, "reason", None)
    return dataclasses.replace(step, reason=str(reason)) if reason is not None else step


@pytest.mark.parametrize(("rule", "observed", "options", "expected"), OTHER_ROWS, ids=[row[0] for row in OTHER_ROWS])
def test_plan_other(rule, observed, options, expected):
    kwargs = {"locked": False, "age": None, **options}
    assert as_read(plan_other(observed, **kwargs)) == expected


def test_another_runs_starter_is_given_the_grace_of_the_largest_file_github_accepts():
    assert other_starter_grace() == starter_grace(MAX_ASSET_SIZE) > 200


def test_a_different_file_without_overwrite_is_refused_with_how_to_fix_it():
    step = plan_file(FILE, asset(size=9), overwrite=False, locked=False, age=None)
    assert isinstance(step, Refuse)
    reason = step.reason.render(Mode.ACTION)
    assert "a.zip" in reason and "`overwrite_files: true`" in reason and "delete the asset" in reason
    assert "Set --overwrite-files to replace it" in step.reason.render(Mode.COMMAND)


ONE_BYTE = LocalFile(Path("a.zip"), "a.zip", 1, "cd" * 32, "application/zip")


@pytest.mark.parametrize(
    ("observed", "options", "expected"),
    [
        (asset(size=1, digest=OTHER_DIGEST), {}, "replace a.zip (1 → 1 byte)"),
        (asset(size=1, digest=OTHER_DIGEST), {"locked": True}, f"a.zip differs ({OTHER_DIGEST}, 1 byte)"),
        (
            asset(size=1, digest=OTHER_DIGEST),
            {"overwrite": False},
            f"an asset a.zip with different content ({OTHER_DIGEST}, 1 byte; the file is {ONE_BYTE.digest}, 1 byte)",
        ),
        (asset(size="?", digest=OTHER_DIGEST), {"locked": True}, f"a.zip differs ({OTHER_DIGEST}, ? bytes)"),
    ],
)
def test_a_size_of_one_byte_is_one_byte_in_every_reason(observed, options, expected):
    """The right plural for the file's size and the asset's (GitHub's, so any JSON: not always a count)."""
    kwargs = {"overwrite": True, "locked": False, "age": None, **options}
    assert expected in str(plan_file(ONE_BYTE, observed, **kwargs).reason)


@pytest.mark.parametrize(
    ("observed", "same"),
    [(SAME, True), (BIGGER, False), (DIFFERENT, False), (asset(state="starter"), False), (asset(digest=None), False)],
)
def test_identical_needs_a_finished_upload_of_the_same_size_and_digest(observed, same):
    assert identical(observed, FILE) is same


def test_a_starters_grace_grows_with_the_file_size():
    assert starter_grace(0) == pytest.approx(STARTER_GRACE_BASE) == pytest.approx(10.0)
    assert starter_grace(2 * 1024**3) > 200


def test_a_locked_release_is_explained_with_what_to_do_instead():
    text = str(locked_problem("v1", ["a.zip is missing", "b.zip differs"]))
    assert "v1 is published and immutable" in text and "a.zip is missing; b.zip differs" in text
    assert "new tag" in text


# -- the checksums asset -------------------------------------------------------------------------

SUMS = Sums(b"a" * 64 + b"  a.zip\n" + b"b" * 64 + b"  b.zip\n", ("a.zip", "b.zip"))
ONE = Sums(b"a" * 64 + b"  a.zip\n", ("a.zip",))


def sums_asset(sums: Sums = SUMS, **fields) -> dict:
    return {
        "id": 5,
        "name": "SHA256SUMS",
        "state": "uploaded",
        "size": sums.size,
        "digest": f"sha256:{sums.sha256}",
        "label": "",
        **fields,
    }


LISTS_BOTH = sums_asset()
LISTS_ONE = sums_asset(ONE)  # written before b.zip came
SUMS_STARTER = sums_asset(state="starter", size=0, digest=None)
NO_DIGEST = sums_asset(digest=None)
LABELLED_SUMS = sums_asset(ONE, label="Checksums")
WRITE = f"write SHA256SUMS (the sha256 of 2 assets, {SUMS.size} bytes)"
REWRITE = "rewrite SHA256SUMS: the assets or their digests changed (now 2 assets)"

CHECKSUM_ROWS = [
    # (rule, what it should hold, observed asset, options, expected step)
    ("none yet: write it", SUMS, None, {}, Upload(WRITE)),
    ("it lists the assets with their digests: keep", SUMS, LISTS_BOTH, {}, Keep(
        "SHA256SUMS lists the 2 assets with their current digests", LISTS_BOTH)),
    ("it lists fewer assets (another file came since): rewrite", SUMS, LISTS_ONE, {}, Replace(REWRITE, LISTS_ONE)),
    ("a rewrite keeps the asset's label", SUMS, LABELLED_SUMS, {}, Replace(REWRITE, LABELLED_SUMS, "Checksums")),
    ("no digest, and not this run's upload: rewrite (it cannot be told right)", SUMS, NO_DIGEST, {},
     Replace(REWRITE, NO_DIGEST)),
    ("no digest, but this run uploaded this very content: keep", SUMS, NO_DIGEST, {"known": {5: SUMS.sha256}},
     Keep("SHA256SUMS lists the 2 assets with their current digests", NO_DIGEST)),
    ("none listed, but our upload is recent: read lag, wait", SUMS, None, {"recently_ours": True},
     WaitFor("SHA256SUMS: our upload is not listed yet (read lag)")),
    ("a young starter: another run writes it, wait", SUMS, SUMS_STARTER, {"age": 1.0},
     WaitFor("SHA256SUMS: another upload is in progress (1s old)", SUMS_STARTER)),
    ("a starter past its grace: delete it and write again", SUMS, SUMS_STARTER, {"age": 60.0},
     DeleteStarter("delete the unfinished upload of SHA256SUMS and write it again", SUMS_STARTER)),
    ("locked, and it lists the assets: keep", SUMS, LISTS_BOTH, {"locked": True},
     Keep("SHA256SUMS lists the 2 assets with their current digests", LISTS_BOTH)),
    ("locked, and it lists fewer: refuse", SUMS, LISTS_ONE, {"locked": True},
     Refuse("SHA256SUMS does not list the assets the release holds with their digests")),
    ("locked, and none: refuse", SUMS, None, {"locked": True}, Refuse("SHA256SUMS is missing")),
    ("an asset it cannot list: refuse, saying why", SUMS, LISTS_BOTH, {"problems": ["old.pdf has no digest"]},
     Refuse("old.pdf has no digest.")),
    ("nothing to list, and none: nothing to do", None, None, {}, Keep(
        "the release has no other asset to list, so no SHA256SUMS", {})),
    ("nothing to list any more: delete it", None, LISTS_ONE, {}, DeleteOther(
        "delete SHA256SUMS: the release has no other asset to list", LISTS_ONE)),
    ("nothing to list, but a young upload of it: wait", None, SUMS_STARTER, {"age": 1.0},
     WaitFor("SHA256SUMS: another upload is in progress (1s old)", SUMS_STARTER)),
    ("nothing to list on a locked release: refuse", None, LISTS_ONE, {"locked": True},
     Refuse("SHA256SUMS lists assets the release no longer has")),
    ("one asset: the words agree", ONE, None, {},
     Upload(f"write SHA256SUMS (the sha256 of 1 asset, {ONE.size} bytes)")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "sums", "observed", "options", "expected"), CHECKSUM_ROWS, ids=[row[0] for row in CHECKSUM_ROWS]
)
def test_plan_checksums(rule, sums, observed, options, expected):
    kwargs = {"known": {}, "locked": False, "age": None, **options}
    assert as_read(plan_checksums("SHA256SUMS", sums, observed, **kwargs)) == expected
