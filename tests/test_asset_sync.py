"""The asset sync's loop (asset_sync.Syncer) against a fake GitHub: the order of its writes,
when other assets go, what is never removed, and what read lag must not make it write twice.

The per-asset rules are asset_decide's tables (tests/test_asset_decide.py); these tests are
about the loop around them. The fake holds the release's assets in memory and can answer
listings from before the last write, as GitHub's lagging reads do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from release_action.asset_files import LocalFile
from release_action.asset_sync import MAX_REPLACES, AssetError, Syncer
from release_action.budget import Deadline
from release_action.publish_assets import published
from release_bench.harness import FakeClock

NOW = "2026-01-02T03:04:05Z"
NOW_EPOCH = 1767323045.0


class FakeGitHub:
    """The release's assets in memory; `calls` records every write, in order.

    `lag`: how many listings after each write still show the state from before it.
    """

    def __init__(self, assets: list[dict] | None = None, *, lag: int = 0) -> None:
        self.assets = [dict(a) for a in assets or ()]
        self.calls: list[tuple] = []
        self.lag = lag
        self._stale: list[dict] | None = None
        self._stale_for = 0
        self._next_id = 900

    def _wrote(self) -> None:
        if self.lag and self._stale_for == 0:
            self._stale = [dict(a) for a in self.assets_before]
        self._stale_for = self.lag

    def _before(self) -> None:
        self.assets_before = [dict(a) for a in self.assets]

    def server_now(self) -> float:
        return NOW_EPOCH

    def list_assets(self, release_id: int) -> list[dict]:
        if self._stale_for > 0 and self._stale is not None:
            self._stale_for -= 1
            return [dict(a) for a in self._stale]
        return [dict(a) for a in self.assets]

    def upload_asset(self, url, name, body, size, content_type, label=None) -> dict:
        self._before()
        data = b"".join(body)
        self._next_id += 1
        asset = {
            "id": self._next_id,
            "name": name,
            "label": label or "",
            "state": "uploaded",
            "size": size,
            "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
            "created_at": NOW,
        }
        self.assets.append(asset)
        self.calls.append(("upload", name, label))
        self._wrote()
        return asset

    def update_asset(self, asset_id: int, payload: dict) -> dict:
        self._before()
        (asset,) = [a for a in self.assets if a["id"] == asset_id]
        asset.update(payload)
        self.calls.append(("patch", asset["name"], payload))
        self._wrote()
        return dict(asset)

    def delete_asset(self, asset_id: int) -> bool:
        self._before()
        gone = [a for a in self.assets if a["id"] == asset_id]
        self.assets = [a for a in self.assets if a["id"] != asset_id]
        self.calls.append(("delete", gone[0]["name"] if gone else asset_id))
        self._wrote()
        return bool(gone)


def local(tmp_path: Path, name: str, data: bytes, label: str | None = None) -> LocalFile:
    path = tmp_path / name
    path.write_bytes(data)
    return LocalFile(path, name, len(data), hashlib.sha256(data).hexdigest(), "application/octet-stream", None, label)


def asset_of(file: LocalFile, asset_id: int, **fields) -> dict:
    return {
        "id": asset_id,
        "name": file.name,
        "label": "",
        "state": "uploaded",
        "size": file.size,
        "digest": file.digest,
        "created_at": NOW,
        **fields,
    }


OLD = {"id": 1, "name": "app-1.0.dev7.tar.gz", "label": "", "state": "uploaded", "size": 4, "digest": "sha256:00"}
RELEASE = {
    "id": 7,
    "tag_name": "nightly",
    "draft": True,
    "upload_url": "https://uploads.example/r/7/assets{?name,label}",
}


def syncer(github: FakeGitHub, files: list[LocalFile], **options) -> tuple[Syncer, list[str]]:
    clock = FakeClock()
    lines: list[str] = []
    deadline = Deadline(300, clock=clock.clock, sleep=clock.sleep)
    return Syncer(github, RELEASE, files, deadline=deadline, overwrite=True, log=lines.append, **options), lines


def test_uploads_follow_the_files_order(tmp_path):
    files = [local(tmp_path, name, name.encode()) for name in ("z.exe", "a.tar.gz", "m.txt")]
    github = FakeGitHub()

    assets = syncer(github, files)[0].run()

    assert [call[1] for call in github.calls] == ["z.exe", "a.tar.gz", "m.txt"]
    assert [a["name"] for a in assets] == ["z.exe", "a.tar.gz", "m.txt"]


def test_other_assets_go_only_after_every_file_is_seen_present(tmp_path):
    new = local(tmp_path, "app-1.0.dev8.tar.gz", b"new")
    github = FakeGitHub([OLD], lag=2)  # the upload stays unseen for two listings

    sync, _ = syncer(github, [new], remove_others=True)
    sync.run()

    assert github.calls == [("upload", "app-1.0.dev8.tar.gz", None), ("delete", "app-1.0.dev7.tar.gz")]
    assert [a["name"] for a in github.assets] == ["app-1.0.dev8.tar.gz"]
    assert sync.removed == ["app-1.0.dev7.tar.gz"]


def test_without_remove_others_other_assets_stay(tmp_path):
    github = FakeGitHub([OLD])
    syncer(github, [local(tmp_path, "a.zip", b"a")])[0].run()
    assert [a["name"] for a in github.assets] == ["app-1.0.dev7.tar.gz", "a.zip"]


def test_an_asset_the_action_maintains_itself_is_never_another_asset(tmp_path):
    """A checksums file the action writes after the others is exempt from removal (issue 18)."""
    file = local(tmp_path, "a.zip", b"a")
    sums = {**OLD, "id": 2, "name": "SHA256SUMS"}
    github = FakeGitHub([asset_of(file, 3), sums, OLD])

    sync, _ = syncer(github, [file], remove_others=True, exempt=["sha256sums"])  # GitHub ignores case
    sync.run()

    assert github.calls == [("delete", "app-1.0.dev7.tar.gz")]
    assert {a["name"] for a in github.assets} == {"a.zip", "SHA256SUMS"}


def test_a_deletion_a_lagging_list_still_shows_is_not_sent_again(tmp_path):
    file = local(tmp_path, "a.zip", b"a")
    github = FakeGitHub([asset_of(file, 3), OLD], lag=3)

    syncer(github, [file], remove_others=True)[0].run()

    assert github.calls == [("delete", "app-1.0.dev7.tar.gz")]


def test_an_asset_that_keeps_coming_back_ends_the_run_naming_it(tmp_path):
    file = local(tmp_path, "a.zip", b"a")

    class Reuploading(FakeGitHub):
        def delete_asset(self, asset_id: int) -> bool:
            super().delete_asset(asset_id)
            self._next_id += 1
            self.assets.append({**OLD, "id": self._next_id})  # another workflow uploads it again
            return True

    github = Reuploading([asset_of(file, 3), OLD])
    with pytest.raises(AssetError, match=r"app-1\.0\.dev7\.tar\.gz was deleted 3 times.*another workflow"):
        syncer(github, [file], remove_others=True)[0].run()
    assert len(github.calls) == MAX_REPLACES


def test_another_runs_upload_in_progress_is_left_with_a_warning_and_the_sync_ends(tmp_path):
    file = local(tmp_path, "a.zip", b"a")
    starter = {"id": 4, "name": "b.zip", "state": "starter", "size": 0, "digest": None, "created_at": NOW}
    github = FakeGitHub([asset_of(file, 3), starter])

    sync, _ = syncer(github, [file], remove_others=True)
    sync.run()

    assert github.calls == []
    (warning,) = sync.warnings
    assert "b.zip is being uploaded by another run (0s old)" in warning


def test_a_label_change_is_one_patch_even_while_reads_still_show_the_old_label(tmp_path):
    file = local(tmp_path, "a.zip", b"a", label="Linux build")
    github = FakeGitHub([asset_of(file, 3, label="old")], lag=3)

    sync, lines = syncer(github, [file])
    (asset,) = sync.run()

    assert github.calls == [("patch", "a.zip", {"label": "Linux build"})]
    assert asset["label"] == "Linux build"
    assert sync.done == {"a.zip": "relabelled"} and sync.changes == 1
    assert lines == ['change the label of a.zip: "old" → "Linux build"']


def test_a_new_file_is_uploaded_with_its_label_and_not_patched_after(tmp_path):
    file = local(tmp_path, "a.zip", b"a", label="Linux build")
    github = FakeGitHub(lag=1)

    syncer(github, [file])[0].run()

    assert github.calls == [("upload", "a.zip", "Linux build")]


def test_the_dry_run_lists_deletions_even_before_the_files_are_in(tmp_path):
    github = FakeGitHub([OLD])
    sync, _ = syncer(github, [local(tmp_path, "a.zip", b"a")], remove_others=True)

    reasons = [step.reason for step in sync.plan_only()]

    assert reasons == ["upload a.zip (1 byte)", "delete app-1.0.dev7.tar.gz (4 bytes): not in `files`"]
    assert github.calls == []


def test_the_published_listing_is_reported_unless_a_lagging_read_shows_an_older_label(tmp_path):
    file = local(tmp_path, "a.zip", b"a", label="Linux")
    synced = [asset_of(file, 3, label="Linux", browser_download_url="…/untagged-1/a.zip")]
    current = {"assets": [asset_of(file, 3, label="Linux", browser_download_url="…/v1/a.zip")]}
    lagging = {"assets": [asset_of(file, 3, label="old", browser_download_url="…/v1/a.zip")]}

    assert published(current, synced, [file]) == current["assets"]  # the URLs of the published release
    assert published(lagging, synced, [file]) == synced
