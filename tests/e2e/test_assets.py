"""Release assets end to end: the real entrypoint, as a subprocess, against the sandbox.

Each scenario writes files into the workspace, runs `python entrypoint.py` with `files`
set, and checks what GitHub (the sandbox) holds afterwards and what the run reported.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from release_bench.sandbox import Sandbox
from release_bench.sandbox import github_asset_name as github_name

from .conftest import PROCESS_TIMEOUT, REPO, TAG, Action, assert_converged, releases_for, writes

FILES = {
    "dist/app-linux.tar.gz": b"linux build\n",
    "dist/app windows.zip": b"windows build\n",
    "dist/sub/checksums.txt": b"sums\n",
}
STORED = {"app-linux.tar.gz", "app.windows.zip", "checksums.txt"}


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_files(workdir: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = workdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def uploads(sb: Sandbox) -> int:
    return sb.count("POST", "upload_asset")


def assets_by_name(release: dict) -> dict[str, dict]:
    return {a["name"]: a for a in release["assets"]}


@pytest.fixture
def dist(action: Action) -> Path:
    write_files(action.workdir, FILES)
    return action.workdir / "dist"


def test_three_files_are_uploaded_and_the_assets_output_lists_them(sb, action, dist):
    run = action.run({"files": "dist/**"})

    release = assert_converged(sb, [run])
    assert run.outputs["status"] == "created"
    held = assets_by_name(release)
    assert set(held) == STORED
    assert all(a["state"] == "uploaded" for a in held.values())
    assert held["app.windows.zip"]["digest"] == digest(b"windows build\n")
    assert held["app-linux.tar.gz"]["content_type"] == "application/gzip"
    assert held["checksums.txt"]["content_type"] == "text/plain"
    for asset in held.values():
        assert sb.asset_bytes(REPO, asset["id"]) in FILES.values()
    reported = json.loads(run.outputs["assets"])
    assert {a["name"] for a in reported} == STORED
    for item in reported:
        asset = held[item["name"]]
        assert item == {
            "name": asset["name"],
            "label": "",
            "id": asset["id"],
            "size": asset["size"],
            "digest": asset["digest"],
            "browser_download_url": asset["browser_download_url"],
        }
        assert f"/releases/download/{TAG}/" in item["browser_download_url"]  # the published URL
    assert uploads(sb) == 3
    assert "app.windows.zip" in run.summary


def test_the_release_stays_a_draft_until_every_asset_is_uploaded(sb, action, dist):
    run = action.run({"files": "dist/**"})

    assert run.code == 0, run
    first_upload = next(i for i, e in enumerate(sb.log) if e["route"] == "upload_asset")
    last_upload = max(i for i, e in enumerate(sb.log) if e["route"] == "upload_asset")
    publish = [i for i, e in enumerate(sb.log) if e["route"] == "update_release"]
    creates = [e for e in sb.log if e["route"] == "create_release"]
    assert len(creates) == 1 and len(publish) == 1, sb.log
    assert first_upload < last_upload < publish[0]


def test_a_rerun_uploads_nothing_and_makes_no_write(sb, action, dist):
    first = action.run({"files": "dist/**"})
    assert first.code == 0, first
    before = len(writes(sb))

    again = action.run({"files": "dist/**"})

    assert_converged(sb, [first, again])
    assert again.outputs["status"] == "unchanged"
    assert again.warnings == [], again  # no "stays published" warning: draft was not asked for
    assert len(writes(sb)) == before
    assert json.loads(again.outputs["assets"]) == json.loads(first.outputs["assets"])


def test_a_changed_file_replaces_only_its_asset(sb, action, dist):
    first = action.run({"files": "dist/**"})
    old = assets_by_name(assert_converged(sb, [first]))
    (dist / "sub" / "checksums.txt").write_bytes(b"new sums\n")
    sb.clear_log()

    run = action.run({"files": "dist/**"})

    new = assets_by_name(assert_converged(sb, [run]))
    assert run.outputs["status"] == "updated"
    assert uploads(sb) == 1 and sb.count("DELETE", "delete_asset") == 1
    assert new["checksums.txt"]["digest"] == digest(b"new sums\n")
    assert new["checksums.txt"]["id"] != old["checksums.txt"]["id"]
    for name in STORED - {"checksums.txt"}:
        assert new[name]["id"] == old[name]["id"]


def test_a_starter_asset_left_by_a_dead_upload_is_deleted_and_uploaded_again(sb, action, dist):
    sb.seed_release(REPO, TAG, assets=[("checksums.txt", b"half", "starter")])

    run = action.run({"files": "dist/**"})

    release = assert_converged(sb, [run])
    held = assets_by_name(release)
    assert set(held) == STORED
    assert held["checksums.txt"]["state"] == "uploaded"
    assert held["checksums.txt"]["digest"] == digest(b"sums\n")
    assert sb.count("DELETE", "delete_asset") == 1
    assert run.outputs["status"] == "updated"


def test_an_unmatched_glob_fails_before_any_request(sb, action, dist):
    run = action.run({"files": "dist/**\nbuild/*.whl"})

    assert run.code != 0
    assert any("build/*.whl" in line and "matches no file" in line for line in run.errors), run
    assert sb.count() == 0
    assert writes(sb) == []
    assert sb.releases(REPO) == []


def test_an_unmatched_glob_only_warns_when_fail_on_unmatched_files_is_false(sb, action, dist):
    run = action.run({"files": "dist/**\nbuild/*.whl", "fail_on_unmatched_files": "false"})

    release = assert_converged(sb, [run])
    assert any("build/*.whl" in line for line in run.warnings), run
    assert set(assets_by_name(release)) == STORED


def test_a_differing_asset_with_overwrite_files_false_is_a_clear_error(sb, action, dist):
    sb.seed_release(REPO, TAG, assets=[("checksums.txt", b"other sums\n")])
    sb.clear_log()

    run = action.run({"files": "dist/**", "overwrite_files": "false"})

    assert run.code != 0
    assert any("checksums.txt" in e and "overwrite_files" in e for e in run.errors), run
    (release,) = releases_for(sb, TAG)
    assert sb.asset_bytes(REPO, assets_by_name(release)["checksums.txt"]["id"]) == b"other sums\n"
    assert sb.count("DELETE", "delete_asset") == 0


def test_an_immutable_repository_gets_a_published_release_with_every_asset(sb, action, dist):
    sb.set_immutable(REPO)

    run = action.run({"files": "dist/**"})

    release = assert_converged(sb, [run])
    assert release["immutable"] is True
    held = assets_by_name(release)
    assert set(held) == STORED
    assert all(a["state"] == "uploaded" for a in held.values())


def test_a_differing_asset_on_a_published_immutable_release_is_an_error_naming_a_new_tag(sb, action, dist):
    sb.set_immutable(REPO)
    sb.seed_release(REPO, TAG, assets=[("checksums.txt", b"released sums\n")])
    sb.clear_log()

    run = action.run({"files": "dist/**"})

    assert run.code != 0
    assert any("immutable" in e and "new tag" in e for e in run.errors), run
    assert writes(sb) == []


def test_a_dry_run_lists_the_planned_uploads_and_replacements_without_writing(sb, action, dist):
    sb.seed_release(REPO, TAG, assets=[("checksums.txt", b"old sums\n"), ("app-linux.tar.gz", b"linux build\n")])
    sb.clear_log()

    run = action.run({"files": "dist/**", "dry_run": "true"})

    assert run.code == 0, run
    assert writes(sb) == []
    assert "would upload app.windows.zip" in run.stdout
    assert "would replace checksums.txt" in run.stdout
    assert "1 asset is already uploaded with the same digest: app-linux.tar.gz" in run.stdout


def test_an_upload_whose_answer_is_lost_is_not_uploaded_twice(sb, action, dist):
    sb.add_fault(route="upload_asset", kind="502_after_commit")

    run = action.run({"files": "dist/**"})

    release = assert_converged(sb, [run])
    held = assets_by_name(release)
    assert set(held) == STORED
    assert uploads(sb) == 3
    assert sb.count("DELETE", "delete_asset") == 0


def test_eight_concurrent_runs_leave_one_published_release_with_one_copy_of_each_file(sb, action, dist):
    runs = action.run_many([{"files": "dist/**"}] * 8)

    release = assert_converged(sb, runs)
    names = [a["name"] for a in release["assets"]]
    assert sorted(names) == sorted(STORED)
    for asset in release["assets"]:
        assert asset["state"] == "uploaded"
        assert sb.asset_bytes(REPO, asset["id"]) in FILES.values()
    assert len(sb.releases(REPO)) == 1
    reported = {run.outputs["assets"] for run in runs}
    assert len(reported) == 1, reported


# The process's own peak RSS (VmHWM), not ru_maxrss: Linux starts a child's ru_maxrss at the
# high-water mark of the process that spawned it (this pytest worker's).
MEASURE = (
    "import sys\n"
    "from release_action.main import main\n"
    "code = main()\n"
    "peak = next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:'))\n"
    "print(f'maxrss_kib={peak}', file=sys.stderr)\n"
    "raise SystemExit(code)\n"
)


def test_a_2_gib_sparse_file_uploads_while_peak_memory_stays_under_100_mb(sb, action):
    size = 2 * 1024**3
    big = action.workdir / "big.bin"
    with open(big, "wb") as stream:
        stream.truncate(size)  # sparse: takes no disk space, reads as zeros
    env = action.env({"files": "big.bin", "timeout_seconds": "600"})
    started = time.monotonic()

    proc = subprocess.run(
        [sys.executable, "-c", MEASURE],
        env=env,
        cwd=action.workdir,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT + 600,
    )

    assert proc.returncode == 0, proc.stdout + proc.stderr
    peak_kib = int(proc.stderr.rsplit("maxrss_kib=", 1)[1].split()[0])
    (release,) = releases_for(sb, TAG)
    assert release["draft"] is False
    (asset,) = release["assets"]
    assert asset["size"] == size and asset["state"] == "uploaded"
    with open(big, "rb") as stream:
        assert asset["digest"] == "sha256:" + hashlib.file_digest(stream, "sha256").hexdigest()
    assert peak_kib < 100 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"
    print(f"2 GiB upload: {time.monotonic() - started:.1f}s, peak RSS {peak_kib / 1024:.1f} MiB")


def test_a_secondary_rate_limit_on_an_upload_is_waited_out_and_the_file_sent_whole(sb, action, dist):
    sb.add_fault(route="upload_asset", kind="secondary_limit", retry_after=1)

    run = action.run({"files": "dist/**"})

    release = assert_converged(sb, [run])
    held = assets_by_name(release)
    assert set(held) == STORED
    for name, data in FILES.items():
        stored = github_name(Path(name).name)
        assert sb.asset_bytes(REPO, held[stored]["id"]) == data
    assert uploads(sb) == 4  # the refused one, sent again, and the two others
