"""plan_file(file, asset, ...) as a table: one row per rule of the per-file asset decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from release_action.asset_decide import (
    STARTER_GRACE_BASE,
    DeleteStarter,
    Keep,
    Refuse,
    Replace,
    Upload,
    WaitFor,
    identical,
    locked_problem,
    plan_file,
    starter_grace,
)
from release_action.asset_files import LocalFile
from release_action.wording import Mode

FILE = LocalFile(Path("a.zip"), "a.zip", 3, "ab" * 32, "application/zip")
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


def test_a_different_file_without_overwrite_is_refused_with_how_to_fix_it():
    step = plan_file(FILE, asset(size=9), overwrite=False, locked=False, age=None)
    assert isinstance(step, Refuse)
    reason = step.reason.render(Mode.ACTION)
    assert "a.zip" in reason and "`overwrite_files: true`" in reason and "delete the asset" in reason
    assert "Set --overwrite-files to replace it" in step.reason.render(Mode.COMMAND)


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
    text = locked_problem("v1", ["a.zip is missing", "b.zip differs"])
    assert "v1 is published and immutable" in text and "a.zip is missing; b.zip differs" in text
    assert "new tag" in text
