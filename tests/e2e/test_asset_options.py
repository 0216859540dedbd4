"""Asset labels, upload order and `remove_other_assets`, end to end: the real entrypoint against
the sandbox with latency and a second of read lag, judged by what GitHub holds and by the
request log (which records each request, with its query, before its answer is sent).
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from release_bench.harness import SHA
from release_bench.sandbox import Sandbox

from .conftest import REPO, TAG, Action, assert_converged, releases_for, writes
from .test_assets import assets_by_name, write_files

LAG = 1.0
MARGIN = 0.2  # the log's clock and the store's lag clock are read a moment apart


@pytest.fixture
def laggy(sb: Sandbox) -> Sandbox:
    """Reads lag writes by a second, and every request waits a few milliseconds, as on GitHub."""
    sb.set_lag(LAG)
    sb.set_latency(0.005, 0.03, seed=3)
    return sb


def wait_out_read_lag(sb: Sandbox) -> None:
    """Sleep until every write so far is visible to lagging reads: a later run then sees it."""
    if log := writes(sb):
        time.sleep(max(0.0, log[-1]["t"] + LAG + MARGIN - time.time()))


def uploaded_names(sb: Sandbox) -> list[str]:
    """The names of the uploads in the request log, in the order they were sent."""
    return [parse_qs(urlsplit(e["path"]).query)["name"][0] for e in sb.log if e["route"] == "upload_asset"]


def upload_queries(sb: Sandbox) -> dict[str, dict[str, list[str]]]:
    return {
        parse_qs(urlsplit(e["path"]).query)["name"][0]: parse_qs(urlsplit(e["path"]).query)
        for e in sb.log
        if e["route"] == "upload_asset"
    }


def positions(sb: Sandbox, route: str, method: str | None = None) -> list[int]:
    return [i for i, e in enumerate(sb.log) if e["route"] == route and (method is None or e["method"] == method)]


# -- remove_other_assets -------------------------------------------------------------------------

NIGHTLY = {"dist/mytool-2.1.0.dev8.tar.gz": b"tonight's build\n", "dist/README.txt": b"read me\n"}


def seed_last_nightly(sb: Sandbox, *, draft: bool = False) -> dict:
    """Yesterday's nightly: its versioned archive (stale now), and the same README as tonight's.

    At the commit the run builds (the runner's GITHUB_SHA), so that the only write to the
    release itself is the one that publishes a draft.
    """
    return sb.seed_release(
        REPO,
        TAG,
        draft=draft,
        target_commitish=SHA,
        assets=[("mytool-2.1.0.dev7.tar.gz", b"last night's build\n"), ("README.txt", b"read me\n")],
    )


def test_a_stale_versioned_file_of_the_last_nightly_is_removed_after_the_new_one_is_in(laggy, action: Action):
    seed_last_nightly(laggy)
    stale = assets_by_name(releases_for(laggy, TAG)[0])["mytool-2.1.0.dev7.tar.gz"]
    write_files(action.workdir, NIGHTLY)

    run = action.run({"files": "dist/*", "remove_other_assets": "true"})

    release = assert_converged(laggy, [run])
    assert set(assets_by_name(release)) == {"mytool-2.1.0.dev8.tar.gz", "README.txt"}
    assert run.outputs["status"] == "updated"
    assert [e["path"].rsplit("/", 1)[1] for e in laggy.log if e["route"] == "delete_asset"] == [str(stale["id"])]
    (upload,) = positions(laggy, "upload_asset")
    (delete,) = positions(laggy, "delete_asset")
    assert upload < delete  # never a release without tonight's archive
    assert "mytool-2.1.0.dev7.tar.gz" in run.summary and "Removed 1 asset not in `files`" in run.summary
    assert [a["name"] for a in json.loads(run.outputs["assets"])] == ["README.txt", "mytool-2.1.0.dev8.tar.gz"]


def test_an_unpublished_release_is_published_only_after_the_other_assets_are_deleted(laggy, action: Action):
    seed_last_nightly(laggy, draft=True)
    write_files(action.workdir, NIGHTLY)
    laggy.clear_log()

    run = action.run({"files": "dist/*", "remove_other_assets": "true"})

    release = assert_converged(laggy, [run])
    assert set(assets_by_name(release)) == {"mytool-2.1.0.dev8.tar.gz", "README.txt"}
    (upload,) = positions(laggy, "upload_asset")
    (delete,) = positions(laggy, "delete_asset")
    assert positions(laggy, "create_release") == []  # the seeded draft was adopted and filled
    (publish,) = positions(laggy, "update_release")  # the draft is as asked but for `draft`
    # The release was published after the deletion: no reader ever saw the old archive beside the new one.
    assert upload < delete < publish, [(e["method"], e["route"]) for e in laggy.log]


def test_a_rerun_with_remove_other_assets_writes_nothing(laggy, action: Action):
    seed_last_nightly(laggy)
    write_files(action.workdir, NIGHTLY)
    first = action.run({"files": "dist/*", "remove_other_assets": "true"})
    assert_converged(laggy, [first])
    wait_out_read_lag(laggy)
    laggy.clear_log()

    again = action.run({"files": "dist/*", "remove_other_assets": "true"})

    release = assert_converged(laggy, [first, again])
    assert again.outputs["status"] == "unchanged", again
    assert writes(laggy) == []
    assert set(assets_by_name(release)) == {"mytool-2.1.0.dev8.tar.gz", "README.txt"}


def test_a_dry_run_lists_the_deletions_and_writes_nothing(laggy, action: Action):
    seed_last_nightly(laggy)
    write_files(action.workdir, NIGHTLY)
    laggy.clear_log()

    run = action.run({"files": "dist/*", "remove_other_assets": "true", "dry_run": "true"})

    assert run.code == 0, run
    assert writes(laggy) == []
    assert "upload mytool-2.1.0.dev8.tar.gz" in run.stdout
    assert "delete mytool-2.1.0.dev7.tar.gz (19 bytes): not in `files`" in run.stdout
    assert "delete README.txt" not in run.stdout
    (release,) = releases_for(laggy, TAG)
    assert len(release["assets"]) == 2


def test_concurrent_runs_with_remove_other_assets_end_with_exactly_the_asked_assets(laggy, action: Action):
    seed_last_nightly(laggy, draft=True)
    write_files(action.workdir, NIGHTLY)

    runs = action.run_many([{"files": "dist/*#Nightly", "remove_other_assets": "true"}] * 4)

    release = assert_converged(laggy, runs)
    held = assets_by_name(release)
    assert set(held) == {"mytool-2.1.0.dev8.tar.gz", "README.txt"}
    assert {a["label"] for a in held.values()} == {"Nightly"}
    assert laggy.count("POST", "upload_asset") >= 1
    assert len({run.outputs["assets"] for run in runs}) == 1


def test_without_remove_other_assets_other_assets_stay(laggy, action: Action):
    seed_last_nightly(laggy)
    write_files(action.workdir, NIGHTLY)

    run = action.run({"files": "dist/*"})

    release = assert_converged(laggy, [run])
    assert set(assets_by_name(release)) == {"mytool-2.1.0.dev7.tar.gz", "mytool-2.1.0.dev8.tar.gz", "README.txt"}
    assert laggy.count("DELETE", "delete_asset") == 0


def test_on_a_published_immutable_release_other_assets_are_refused_before_any_write(laggy, action: Action):
    laggy.set_immutable(REPO)
    seed_last_nightly(laggy)
    write_files(action.workdir, {"dist/README.txt": b"read me\n"})
    laggy.clear_log()

    run = action.run({"files": "dist/*", "remove_other_assets": "true"})

    assert run.code == 1, run
    (error,) = run.errors
    assert "immutable" in error and "mytool-2.1.0.dev7.tar.gz is not in `files`" in error, error
    assert "`remove_other_assets: true` is set" in error and "new tag" in error
    assert writes(laggy) == []


def test_another_runs_upload_in_progress_is_never_deleted_but_left_with_a_warning(laggy, action: Action):
    """A starter of a file this run did not ask for may be a live upload of any size: left alone."""
    laggy.seed_release(REPO, TAG, assets=[("other-job.tar.gz", b"", "starter")])
    write_files(action.workdir, NIGHTLY)

    run = action.run({"files": "dist/*", "remove_other_assets": "true"})

    release = assert_converged(laggy, [run])
    held = assets_by_name(release)
    assert set(held) == {"mytool-2.1.0.dev8.tar.gz", "README.txt", "other-job.tar.gz"}
    assert held["other-job.tar.gz"]["state"] == "starter"
    assert laggy.count("DELETE", "delete_asset") == 0
    (warning,) = run.warnings
    assert "other-job.tar.gz is being uploaded by another run" in warning and "left it" in warning


def test_remove_other_assets_with_no_file_matched_is_refused_before_any_request(laggy, action: Action):
    seed_last_nightly(laggy)
    laggy.clear_log()

    run = action.run({"files": "dist/*", "remove_other_assets": "true", "fail_on_unmatched_files": "false"})

    assert run.code == 2, run
    assert any("would delete every asset" in e for e in run.errors), run
    assert laggy.count() == 0


# -- labels --------------------------------------------------------------------------------------

BUILDS = {"dist/app-linux.tar.gz": b"linux\n", "dist/app-macos.tar.gz": b"macos\n"}


def test_files_are_uploaded_with_the_label_of_their_line(laggy, action: Action):
    write_files(action.workdir, BUILDS)

    run = action.run({"files": "dist/app-linux.tar.gz#Linux (x86-64)\ndist/app-macos.tar.gz"})

    release = assert_converged(laggy, [run])
    held = assets_by_name(release)
    assert held["app-linux.tar.gz"]["label"] == "Linux (x86-64)"
    assert held["app-macos.tar.gz"]["label"] == ""
    queries = upload_queries(laggy)
    assert queries["app-linux.tar.gz"]["label"] == ["Linux (x86-64)"]  # sent with the upload, no PATCH after
    assert "label" not in queries["app-macos.tar.gz"]
    assert laggy.count("PATCH", "update_asset") == 0
    reported = {a["name"]: a["label"] for a in json.loads(run.outputs["assets"])}
    assert reported == {"app-linux.tar.gz": "Linux (x86-64)", "app-macos.tar.gz": ""}


def test_a_changed_label_is_one_patch_of_the_asset_never_an_upload_and_a_rerun_writes_nothing(laggy, action: Action):
    write_files(action.workdir, BUILDS)
    first = action.run({"files": "dist/app-linux.tar.gz#Linux\ndist/app-macos.tar.gz#macOS"})
    before = assets_by_name(assert_converged(laggy, [first]))
    wait_out_read_lag(laggy)
    laggy.clear_log()

    relabelled = action.run({"files": "dist/app-linux.tar.gz#Linux (x86-64)\ndist/app-macos.tar.gz#macOS"})

    after = assets_by_name(assert_converged(laggy, [first, relabelled]))
    assert after["app-linux.tar.gz"]["label"] == "Linux (x86-64)"
    assert after["app-macos.tar.gz"]["label"] == "macOS"
    assert {name: a["id"] for name, a in after.items()} == {name: a["id"] for name, a in before.items()}
    assert [(e["method"], e["route"]) for e in writes(laggy)] == [("PATCH", "update_asset")], laggy.log
    assert relabelled.outputs["status"] == "updated"
    assert "relabelled" in relabelled.summary
    wait_out_read_lag(laggy)
    laggy.clear_log()

    again = action.run({"files": "dist/app-linux.tar.gz#Linux (x86-64)\ndist/app-macos.tar.gz#macOS"})

    assert_converged(laggy, [again])
    assert again.outputs["status"] == "unchanged"
    assert writes(laggy) == []


def test_a_line_without_a_label_leaves_the_assets_label_and_path_hash_removes_it(laggy, action: Action):
    laggy.seed_release(REPO, TAG, assets=[("app-linux.tar.gz", b"linux\n", "uploaded", "Set by hand")])
    write_files(action.workdir, BUILDS)
    laggy.clear_log()

    kept = action.run({"files": "dist/app-linux.tar.gz"})

    assert assets_by_name(assert_converged(laggy, [kept]))["app-linux.tar.gz"]["label"] == "Set by hand"
    assert writes(laggy) == []
    wait_out_read_lag(laggy)

    cleared = action.run({"files": "dist/app-linux.tar.gz#"})

    assert assets_by_name(assert_converged(laggy, [cleared]))["app-linux.tar.gz"]["label"] == ""
    assert [(e["method"], e["route"]) for e in writes(laggy)] == [("PATCH", "update_asset")]


def test_a_label_that_reads_as_a_workflow_command_stays_text_in_the_log(laggy, action: Action):
    write_files(action.workdir, BUILDS)
    label = "##[warning]spoofed ::error::x"

    run = action.run({"files": f"dist/app-linux.tar.gz#{label}"})

    release = assert_converged(laggy, [run])
    assert assets_by_name(release)["app-linux.tar.gz"]["label"] == label  # GitHub gets it as written
    assert run.warnings == [] and run.errors == [], run
    assert "##\\[warning]spoofed" in run.stdout
    assert "##[warning]" not in run.stdout and "##[warning]" not in run.stderr


def test_a_label_with_a_control_character_is_refused_before_any_request(laggy, action: Action):
    write_files(action.workdir, BUILDS)

    run = action.run({"files": "dist/app-linux.tar.gz#Linux\x1b[2Kbuild"})

    assert run.code == 2, run
    (error,) = run.errors
    assert "Input `files`: the label of" in error and "U+001B" in error
    assert laggy.count() == 0


# -- order ---------------------------------------------------------------------------------------

ORDERED = {
    "dist/zz-installer.exe": b"installer\n",
    "dist/archives/b.tar.gz": b"b\n",
    "dist/archives/a.tar.gz": b"a\n",
    "dist/archives/c.tar.gz": b"c\n",
    "dist/SHA256SUMS.txt": b"sums\n",
}
ORDER_LINES = "dist/zz-installer.exe\ndist/archives/*.tar.gz\ndist/SHA256SUMS.txt\ndist/archives/a.tar.gz"
ORDER = ["zz-installer.exe", "a.tar.gz", "b.tar.gz", "c.tar.gz", "SHA256SUMS.txt"]


def test_uploads_follow_the_order_of_the_files_lines_and_so_does_the_assets_output(laggy, action: Action):
    write_files(action.workdir, ORDERED)

    run = action.run({"files": ORDER_LINES})

    release = assert_converged(laggy, [run])
    assert uploaded_names(laggy) == ORDER
    assert [a["name"] for a in json.loads(run.outputs["assets"])] == ORDER
    ids = {a["name"]: a["id"] for a in release["assets"]}
    assert sorted(ORDER, key=ids.__getitem__) == ORDER  # GitHub numbers them as they came


def test_a_rerun_of_ordered_files_writes_nothing_and_reports_the_same_order(laggy, action: Action):
    write_files(action.workdir, ORDERED)
    first = action.run({"files": ORDER_LINES})
    assert_converged(laggy, [first])
    wait_out_read_lag(laggy)
    laggy.clear_log()

    again = action.run({"files": ORDER_LINES})

    assert_converged(laggy, [first, again])
    assert writes(laggy) == []
    assert [a["name"] for a in json.loads(again.outputs["assets"])] == ORDER


def test_uploads_keep_the_listed_order_when_some_files_are_already_there(laggy, action: Action):
    laggy.seed_release(REPO, TAG, assets=[("b.tar.gz", b"b\n")])
    write_files(action.workdir, ORDERED)
    laggy.clear_log()

    run = action.run({"files": ORDER_LINES})

    assert_converged(laggy, [run])
    assert uploaded_names(laggy) == [name for name in ORDER if name != "b.tar.gz"]


def test_every_option_at_once_ends_with_exactly_the_asked_assets(laggy, action: Action):
    seed_last_nightly(laggy, draft=True)
    write_files(action.workdir, {**NIGHTLY, **ORDERED})
    lines = "dist/mytool-*.tar.gz#Tonight's build\n" + ORDER_LINES + "\ndist/README.txt#Read me first"

    run = action.run({"files": lines, "remove_other_assets": "true"})

    release = assert_converged(laggy, [run])
    expected = ["mytool-2.1.0.dev8.tar.gz", *ORDER, "README.txt"]
    assert [a["name"] for a in json.loads(run.outputs["assets"])] == expected
    assert uploaded_names(laggy) == expected[:-1]  # README.txt was there already
    held = assets_by_name(release)
    assert set(held) == set(expected)
    assert held["mytool-2.1.0.dev8.tar.gz"]["label"] == "Tonight's build"
    assert held["README.txt"]["label"] == "Read me first"
