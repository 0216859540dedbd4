"""The checksums asset (`checksums: SHA256SUMS`) end to end: the real entrypoint against the sandbox
with latency and a second of read lag, judged by what GitHub holds (the checksums file checked
by `sha256sum -c` against the downloaded assets) and by the request log.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from release_bench.harness import SHA
from release_bench.race import evidence, line_up
from release_bench.sandbox import Sandbox

from .conftest import REPO, TAG, Action, assert_converged, releases_for, writes
from .test_asset_options import LAG, positions, seed_last_nightly, uploaded_names, wait_out_read_lag
from .test_assets import write_files

SUMS = "SHA256SUMS"
BUILDS = {
    "dist/mytool-linux-x86_64.tar.gz": b"linux build\n",
    "dist/mytool-macos-arm64.tar.gz": b"macos build\n",
    "dist/mytool-windows-x86_64.zip": b"windows build\n",
}


@pytest.fixture
def laggy(sb: Sandbox) -> Sandbox:
    """Reads lag writes by a second, and every request waits a few milliseconds, as on GitHub."""
    sb.set_lag(LAG)
    sb.set_latency(0.005, 0.03, seed=3)
    return sb


def sums_of(files: dict[str, bytes]) -> bytes:
    """What the checksums file must hold for these assets (name → content): sorted by name, bytewise."""
    lines = sorted((name.encode(), hashlib.sha256(data).hexdigest()) for name, data in files.items())
    return b"".join(digest.encode() + b"  " + name + b"\n" for name, digest in lines)


def held(sb: Sandbox) -> dict[str, bytes]:
    """The release's assets as GitHub holds them: name → content."""
    (release,) = releases_for(sb, TAG)
    return {a["name"]: sb.asset_bytes(REPO, a["id"]) for a in release["assets"]}


def sums_uploads(sb: Sandbox) -> int:
    return uploaded_names(sb).count(SUMS)


def download(url: str) -> bytes:
    """A browser download of an asset (no token), as a user verifying a release makes it."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return answer.read()
        except urllib.error.HTTPError as exc:  # a lagging read may not show the asset yet
            if exc.code != 404 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def sha256sum_check(directory: Path) -> str:
    """Check SHA256SUMS in `directory` as a user would; return which checker ran.

    The real `sha256sum -c` (GNU coreutils) where it is installed, else Python's equivalent:
    the same line format read back, each file hashed and compared.
    """
    search = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", os.defpath)])
    tool = shutil.which("sha256sum", path=search)
    if tool is not None:
        result = subprocess.run([tool, "-c", "--strict", SUMS], cwd=directory, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.count(": OK\n") == len(list(directory.iterdir())) - 1, result.stdout
        return "sha256sum"
    for line in (directory / SUMS).read_text(encoding="utf-8").splitlines():
        digest, sep, name = line.partition("  ")
        assert sep and len(digest) == 64, line
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == digest, line
    return "python"


def test_the_checksums_asset_passes_sha256sum_c_against_the_downloaded_assets(laggy, action: Action, tmp_path: Path):
    """The files of the run and an asset a person added alike, from GitHub's digests."""
    # At the commit the run builds, so that the only write to the draft itself is its publishing.
    laggy.seed_release(REPO, TAG, draft=True, target_commitish=SHA, assets=[("NOTICE.txt", b"added by hand\n")])
    write_files(action.workdir, BUILDS)

    run = action.run({"files": "dist/*", "checksums": SUMS})

    release = assert_converged(laggy, [run])
    expected = {path.rsplit("/", 1)[1]: data for path, data in BUILDS.items()} | {"NOTICE.txt": b"added by hand\n"}
    assert held(laggy)[SUMS] == sums_of(expected)
    wait_out_read_lag(laggy)
    for asset in release["assets"]:
        (tmp_path / asset["name"]).write_bytes(download(asset["browser_download_url"]))
    checker = sha256sum_check(tmp_path)
    print(f"checked by {checker}")
    reported = json.loads(run.outputs["assets"])
    assert [a["name"] for a in reported] == [*sorted(n for n in expected if n != "NOTICE.txt"), SUMS]
    assert reported[-1]["digest"] == "sha256:" + hashlib.sha256(sums_of(expected)).hexdigest()


def test_an_unpublished_release_is_published_only_once_the_checksums_asset_lists_every_file(laggy, action: Action):
    write_files(action.workdir, BUILDS)

    run = action.run({"files": "dist/*", "checksums": SUMS})

    assert_converged(laggy, [run])
    assert uploaded_names(laggy) == [path.rsplit("/", 1)[1] for path in BUILDS] + [SUMS]  # once, after the files
    (sums,) = [i for i, e in enumerate(laggy.log) if e["route"] == "upload_asset" and SUMS in e["path"]]
    publishes = [i for i, e in enumerate(laggy.log) if e["route"] == "update_release" and e["method"] == "PATCH"]
    assert publishes and sums < publishes[-1], [(e["method"], e["route"]) for e in laggy.log]
    assert not releases_for(laggy, TAG)[0]["draft"]


def test_an_unchanged_rerun_writes_nothing(laggy, action: Action):
    write_files(action.workdir, BUILDS)
    first = action.run({"files": "dist/*", "checksums": SUMS})
    assert_converged(laggy, [first])
    wait_out_read_lag(laggy)
    laggy.clear_log()

    again = action.run({"files": "dist/*", "checksums": SUMS})

    assert_converged(laggy, [first, again])
    assert again.outputs["status"] == "unchanged", again
    assert writes(laggy) == []
    assert laggy.count("GET", "list_assets") == 1  # the checksums are judged on the files' own last listing


def test_replacing_one_file_on_a_rerun_rewrites_the_checksums_asset_once(laggy, action: Action):
    write_files(action.workdir, BUILDS)
    first = action.run({"files": "dist/*", "checksums": SUMS})
    assert_converged(laggy, [first])
    wait_out_read_lag(laggy)
    rebuilt = {**BUILDS, "dist/mytool-macos-arm64.tar.gz": b"macos build, rebuilt\n"}
    write_files(action.workdir, rebuilt)
    laggy.clear_log()

    again = action.run({"files": "dist/*", "checksums": SUMS})

    assert_converged(laggy, [first, again])
    assert again.outputs["status"] == "updated"
    assert uploaded_names(laggy) == ["mytool-macos-arm64.tar.gz", SUMS]
    assert laggy.count("DELETE", "delete_asset") == 2  # the old file and the old checksums
    assert held(laggy)[SUMS] == sums_of({path.rsplit("/", 1)[1]: data for path, data in rebuilt.items()})


def test_with_remove_other_assets_the_checksums_asset_stays_and_lists_only_what_remains(laggy, action: Action):
    seed_last_nightly(laggy, draft=True)
    tonight = {"dist/mytool-2.1.0.dev8.tar.gz": b"tonight's build\n", "dist/README.txt": b"read me\n"}
    write_files(action.workdir, tonight)
    first = action.run({"files": "dist/*", "remove_other_assets": "true", "checksums": SUMS})
    assert_converged(laggy, [first])
    expected = sums_of({path.rsplit("/", 1)[1]: data for path, data in tonight.items()})
    assert held(laggy)[SUMS] == expected
    wait_out_read_lag(laggy)
    laggy.clear_log()

    # Tomorrow night: a new archive; yesterday's goes, and the checksums follow.
    tomorrow = {"dist/mytool-2.1.0.dev9.tar.gz": b"tomorrow's build\n", "dist/README.txt": b"read me\n"}
    (action.workdir / "dist/mytool-2.1.0.dev8.tar.gz").unlink()
    write_files(action.workdir, tomorrow)
    again = action.run({"files": "dist/*", "remove_other_assets": "true", "checksums": SUMS})

    assert_converged(laggy, [again])
    assert set(held(laggy)) == {"mytool-2.1.0.dev9.tar.gz", "README.txt", SUMS}
    assert held(laggy)[SUMS] == sums_of({path.rsplit("/", 1)[1]: data for path, data in tomorrow.items()})
    assert uploaded_names(laggy) == ["mytool-2.1.0.dev9.tar.gz", SUMS]
    deleted = [e["path"].rsplit("/", 1)[1] for e in laggy.log if e["route"] == "delete_asset"]
    assert len(deleted) == 2  # yesterday's archive, then the old checksums (replaced), never the new ones
    upload_file, upload_sums = positions(laggy, "upload_asset")
    delete_stale, delete_sums = positions(laggy, "delete_asset")
    assert upload_file < delete_stale < delete_sums < upload_sums


def test_without_files_the_checksums_of_what_the_release_holds_are_kept(laggy, action: Action):
    laggy.seed_release(REPO, TAG, target_commitish="main", assets=[("a.tar.gz", b"a\n"), ("b.zip", b"b\n")])
    laggy.clear_log()

    run = action.run({"checksums": SUMS})

    assert_converged(laggy, [run])
    assert held(laggy)[SUMS] == sums_of({"a.tar.gz": b"a\n", "b.zip": b"b\n"})
    assert uploaded_names(laggy) == [SUMS]
    assert [a["name"] for a in json.loads(run.outputs["assets"])] == [SUMS]
    wait_out_read_lag(laggy)
    laggy.clear_log()

    again = action.run({"checksums": SUMS})

    assert_converged(laggy, [again])
    assert writes(laggy) == []


def test_a_matrix_of_drafts_then_a_publish_job_ends_with_one_checksums_file(laggy, action: Action):
    """The README's matrix: each job adds its file to a draft; the publish job, without files, publishes it
    once the checksums list all three."""
    write_files(action.workdir, BUILDS)
    jobs = [{"files": path, "draft": "true", "checksums": SUMS} for path in BUILDS]

    builds = action.run_many(jobs)

    assert_converged(laggy, builds, draft=True)
    publish = action.run({"checksums": SUMS, "notes": "Release notes"})
    release = assert_converged(laggy, [publish])
    assert held(laggy)[SUMS] == sums_of({path.rsplit("/", 1)[1]: data for path, data in BUILDS.items()})
    assert len(release["assets"]) == 4


def test_an_asset_without_a_digest_is_refused_before_any_asset_is_written(laggy, action: Action):
    laggy.seed_release(REPO, TAG, target_commitish="main", assets=[("old-notes.pdf", b"from 2024\n", "old")])
    write_files(action.workdir, BUILDS)
    laggy.clear_log()

    run = action.run({"files": "dist/*", "checksums": SUMS})

    assert run.code == 1, run
    (error,) = run.errors
    assert "SHA256SUMS cannot list old-notes.pdf: GitHub reports no sha256 digest for it" in error, error
    assert "list its file in `files`" in error
    assert laggy.count("POST", "upload_asset") == 0


def test_a_dry_run_says_what_the_checksums_asset_would_list_and_writes_nothing(laggy, action: Action):
    laggy.seed_release(REPO, TAG, target_commitish="main", assets=[("NOTICE.txt", b"by hand\n")])
    write_files(action.workdir, BUILDS)
    laggy.clear_log()

    run = action.run({"files": "dist/*", "checksums": SUMS, "dry_run": "true"})

    assert run.code == 0, run
    assert writes(laggy) == []
    size = len(sums_of({path.rsplit("/", 1)[1]: data for path, data in BUILDS.items()} | {"NOTICE.txt": b""}))
    assert f"write SHA256SUMS (the sha256 of 4 assets, {size} bytes)" in run.stdout, run


# -- racing runs ---------------------------------------------------------------------------------


def test_eight_racing_runs_each_adding_one_file_end_with_one_checksums_asset_listing_all_eight(sb, action: Action):
    """A build matrix of eight jobs, each uploading its own file with `checksums: SHA256SUMS`, started
    together (release_bench/race.py proves they raced), with a second of read lag: whatever order
    they finish in, the release ends with one checksums asset listing all eight files."""
    sb.set_lag(1.0)
    builds = {f"dist/mytool-{n}.tar.gz": f"build {n}\n".encode() for n in range(1, 9)}
    write_files(action.workdir, builds)
    holders, tokens = line_up(sb, len(builds))

    runs = action.run_many(
        [{"files": path, "checksums": SUMS, "token": token} for path, token in zip(builds, tokens, strict=True)]
    )

    seen = evidence(sb.log, holders)
    assert seen.raced, f"the runs did not race: {seen}"
    assert_converged(sb, runs)
    assert held(sb) == {path.rsplit("/", 1)[1]: data for path, data in builds.items()} | {
        SUMS: sums_of({path.rsplit("/", 1)[1]: data for path, data in builds.items()})
    }
    requests = [json.loads(run.outputs["requests"]) for run in runs]
    per_run = [sum(1 for e in sb.log if e.get("client") == h and e["route"] == "upload_asset" and SUMS in e["path"])
               for h in holders]  # fmt: skip
    print(
        f"8 racing runs: {sum(r['total'] for r in requests)} requests, {sum(r['writes'] for r in requests)} writes, "
        f"{sums_uploads(sb)} uploads of {SUMS} (by run: {per_run}; {sb.count('POST', 'upload_asset')} uploads in "
        f"all); {seen}"
    )


@pytest.mark.parametrize("runs", [3])
def test_racing_runs_with_remove_other_assets_and_the_same_files_agree_on_one_checksums_asset(
    laggy, action: Action, runs: int
):
    seed_last_nightly(laggy, draft=True)
    write_files(
        action.workdir, {"dist/mytool-2.1.0.dev8.tar.gz": b"tonight's build\n", "dist/README.txt": b"read me\n"}
    )

    results = action.run_many([{"files": "dist/*", "remove_other_assets": "true", "checksums": SUMS}] * runs)

    assert_converged(laggy, results)
    assert set(held(laggy)) == {"mytool-2.1.0.dev8.tar.gz", "README.txt", SUMS}
    assert held(laggy)[SUMS] == sums_of({"mytool-2.1.0.dev8.tar.gz": b"tonight's build\n", "README.txt": b"read me\n"})
