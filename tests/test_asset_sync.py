"""The asset sync's loops (asset_sync.Syncer, and ChecksumsSync for the checksums asset) against a
fake GitHub: the order of their writes, when other assets go, what is never removed, what read lag
must not make them write twice, and how racing writers of the checksums converge.

The per-asset rules are asset_decide's tables (tests/test_asset_decide.py); these tests are
about the loop around them. The fake holds the release's assets in memory and can answer
listings from before the last write, as GitHub's lagging reads do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from release_action.asset_files import LocalFile
from release_action.asset_sync import MAX_REPLACES, MAX_REWRITES, AssetError, ChecksumsSync, Syncer
from release_action.budget import SETTLE_SECONDS, Deadline
from release_action.checksums import unlisted
from release_action.publish_assets import published
from release_action.transport import Conflict, GitHubError
from release_action.wording import Mode
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


def test_a_deletion_answered_already_gone_is_no_change_of_this_runs(tmp_path):
    """A re-run right after the first (or a racing run) lists an asset that is gone already: its
    delete is answered 404. That is no removal of this run's, and no reason to say `updated`."""
    file = local(tmp_path, "a.zip", b"a")

    class Lagging(FakeGitHub):
        def list_assets(self, release_id: int) -> list[dict]:
            return [*super().list_assets(release_id), OLD]  # gone, but the list still shows it

    github = Lagging([asset_of(file, 3)])
    sync, lines = syncer(github, [file], remove_others=True)
    sync.run()

    assert github.calls == [("delete", 1)]  # sent once, answered "already gone"
    assert sync.changes == 0 and sync.removed == []
    assert "app-1.0.dev7.tar.gz was deleted already" in lines


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
    assert "b.zip is being uploaded by another run (0s old)" in str(warning)
    assert "Run the workflow again" in str(warning)
    assert "Run the command again" in warning.render(Mode.COMMAND) and "--remove-other-assets" in warning.render(
        Mode.COMMAND
    )


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

    assert published(current, synced) == current["assets"]  # the URLs of the published release
    assert published(lagging, synced) == synced


# -- the checksums asset -------------------------------------------------------------------------


def sums_text(*named: tuple[str, bytes]) -> bytes:
    lines = sorted((name, hashlib.sha256(data).hexdigest()) for name, data in named)
    return "".join(f"{digest}  {name}\n" for name, digest in lines).encode()


def held_sums(github: FakeGitHub) -> bytes:
    (asset,) = [a for a in github.assets if a["name"] == "SHA256SUMS"]
    return github.contents[asset["id"]]


class Holding(FakeGitHub):
    """Keeps each upload's bytes (`contents`, by asset id), so the checksums written can be read back."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.contents: dict[int, bytes] = {}

    def upload_asset(self, url, name, body, size, content_type, label=None) -> dict:
        data = b"".join(body)
        asset = super().upload_asset(url, name, [data], size, content_type, label)
        self.contents[asset["id"]] = data
        return asset


def checksums(github: FakeGitHub, after: Syncer | None = None) -> tuple[ChecksumsSync, FakeClock, list[str]]:
    clock = FakeClock()
    lines: list[str] = []
    deadline = Deadline(300, clock=clock.clock, sleep=clock.sleep)
    sync = ChecksumsSync(github, RELEASE, "SHA256SUMS", deadline=deadline, after=after, log=lines.append)
    return sync, clock, lines


def test_the_checksums_are_written_after_the_files_and_list_every_asset_theirs_and_others(tmp_path):
    files = [local(tmp_path, "b.zip", b"b"), local(tmp_path, "a.zip", b"a")]
    by_hand = {**OLD, "id": 2, "name": "NOTICE.txt", "digest": "sha256:" + hashlib.sha256(b"n").hexdigest()}
    github = Holding([by_hand])
    files_sync, _ = syncer(github, files, exempt=["SHA256SUMS"])
    files_sync.run()

    (asset,) = checksums(github, after=files_sync)[0].run()

    assert [call[1] for call in github.calls] == ["b.zip", "a.zip", "SHA256SUMS"]
    assert held_sums(github) == sums_text(("a.zip", b"a"), ("b.zip", b"b"), ("NOTICE.txt", b"n"))
    assert asset["name"] == "SHA256SUMS"


def test_a_second_look_with_nothing_changed_writes_nothing_and_starts_from_the_files_listing(tmp_path):
    file = local(tmp_path, "a.zip", b"a")
    github = Holding()
    first, _ = syncer(github, [file], exempt=["SHA256SUMS"])
    first.run()
    checksums(github, after=first)[0].run()
    github.calls.clear()

    again, _ = syncer(github, [file], exempt=["SHA256SUMS"])
    again.run()
    listings = []
    github.list_assets = lambda release_id: listings.append(release_id) or FakeGitHub.list_assets(github, release_id)
    sync, clock, _ = checksums(github, after=again)
    sync.run()

    assert github.calls == []
    assert listings == []  # judged on the files' sync's last listing
    assert clock.sleeps == []


def test_each_write_is_verified_by_a_look_after_a_settle(tmp_path):
    github = Holding([asset_of(local(tmp_path, "a.zip", b"a"), 3)])

    sync, clock, lines = checksums(github)
    sync.run()

    assert [call[1] for call in github.calls] == ["SHA256SUMS"]
    assert clock.sleeps == [SETTLE_SECONDS]
    assert lines == [f"write SHA256SUMS (the sha256 of 1 asset, {len(sums_text(('a.zip', b'a')))} bytes)"]


def test_a_file_another_run_uploads_after_our_write_is_listed_by_a_rewrite(tmp_path):
    """A build matrix: our write listed only our file; the verify look sees the other job's file."""
    a, b = local(tmp_path, "a.zip", b"a"), local(tmp_path, "b.zip", b"b")

    class OtherJob(Holding):
        def upload_asset(self, url, name, body, size, content_type, label=None) -> dict:
            asset = super().upload_asset(url, name, body, size, content_type, label)
            if name == "SHA256SUMS" and not any(x["name"] == "b.zip" for x in self.assets):
                self.assets.append(asset_of(b, 50))  # the other job's upload lands just after our write
            return asset

    github = OtherJob([asset_of(a, 3)])
    checksums(github)[0].run()

    assert github.calls == [("upload", "SHA256SUMS", None), ("delete", "SHA256SUMS"), ("upload", "SHA256SUMS", None)]
    assert held_sums(github) == sums_text(("a.zip", b"a"), ("b.zip", b"b"))


def test_our_write_hidden_by_read_lag_is_waited_for_never_written_twice(tmp_path):
    github = Holding([asset_of(local(tmp_path, "a.zip", b"a"), 3)], lag=3)

    checksums(github)[0].run()

    assert github.calls == [("upload", "SHA256SUMS", None)]


def test_a_422_on_the_name_means_another_run_wrote_it_look_again_and_keep_it_if_it_lists_the_same(tmp_path):
    a = local(tmp_path, "a.zip", b"a")

    class Beaten(Holding):
        def upload_asset(self, url, name, body, size, content_type, label=None) -> dict:
            if name == "SHA256SUMS" and not any(x["name"] == name for x in self.assets):
                super().upload_asset(url, name, body, size, content_type, label)  # the other run's identical write
                self.calls.append(("422", name))
                raise Conflict(422, "Validation Failed")
            return super().upload_asset(url, name, body, size, content_type, label)

    github = Beaten([asset_of(a, 3)])
    sync, _, lines = checksums(github)
    (asset,) = sync.run()

    assert asset["name"] == "SHA256SUMS"
    assert github.calls == [("upload", "SHA256SUMS", None), ("422", "SHA256SUMS")]
    assert held_sums(github) == sums_text(("a.zip", b"a"))
    assert "SHA256SUMS: another upload of this name exists; looking again" in lines


def test_a_checksums_asset_listing_assets_that_are_gone_is_rewritten(tmp_path):
    a = local(tmp_path, "a.zip", b"a")
    github = Holding([asset_of(a, 3)])
    checksums(github)[0].run()
    github.assets = [x for x in github.assets if x["name"] != "a.zip"] + [asset_of(local(tmp_path, "c.zip", b"c"), 4)]
    github.calls.clear()

    checksums(github)[0].run()

    assert github.calls == [("delete", "SHA256SUMS"), ("upload", "SHA256SUMS", None)]
    assert held_sums(github) == sums_text(("c.zip", b"c"))


def test_with_no_other_asset_left_the_checksums_asset_goes(tmp_path):
    github = Holding([asset_of(local(tmp_path, "a.zip", b"a"), 3)])
    checksums(github)[0].run()
    github.assets = [x for x in github.assets if x["name"] == "SHA256SUMS"]
    github.calls.clear()

    sync, _, _ = checksums(github)
    assert sync.run() == []

    assert github.calls == [("delete", "SHA256SUMS")]
    assert sync.done == {"SHA256SUMS": "deleted"}


def test_where_github_reports_no_digest_the_hash_of_this_runs_own_upload_is_used(tmp_path):
    """Neither our checksums upload nor our files carry a digest here: what this run sent is known."""

    class NoDigests(Holding):
        def upload_asset(self, url, name, body, size, content_type, label=None) -> dict:
            asset = super().upload_asset(url, name, body, size, content_type, label)
            asset["digest"] = None
            return dict(asset)

    a = local(tmp_path, "a.zip", b"a")
    github = NoDigests()
    sync, _, _ = checksums(github)
    sync.sent[5] = a.sha256  # the files' sync uploaded a.zip as asset 5
    github.assets.append({**asset_of(a, 5), "digest": None})

    sync.run()

    assert github.calls == [("upload", "SHA256SUMS", None)]  # its own upload is known: no rewrite after it
    assert held_sums(github) == sums_text(("a.zip", b"a"))


def test_another_writer_that_keeps_replacing_it_with_other_content_ends_the_run_naming_it(tmp_path):
    a = local(tmp_path, "a.zip", b"a")

    class Fighting(Holding):
        def upload_asset(self, url, name, body, size, content_type, label=None) -> dict:
            asset = super().upload_asset(url, name, body, size, content_type, label)
            if name == "SHA256SUMS":  # another workflow uploads its own SHA256SUMS over ours
                asset.update(digest="sha256:" + "0" * 64, size=3)
            return dict(asset)

    github = Fighting([asset_of(a, 3)])
    with pytest.raises(AssetError, match=r"SHA256SUMS was rewritten 6 times with the same content.*`checksums`"):
        checksums(github)[0].run()
    assert [call[1] for call in github.calls].count("SHA256SUMS") == 2 * MAX_REWRITES + 1  # 1 + 6 × (delete, upload)


def test_rewrites_as_the_assets_change_are_progress_not_a_fight(tmp_path):
    """Racing jobs: each look finds one more file than the last write listed."""
    count = MAX_REWRITES + 3

    class Matrix(Holding):
        def upload_asset(self, url, name, body, size, content_type, label=None) -> dict:
            asset = super().upload_asset(url, name, body, size, content_type, label)
            done = sum(x["name"].startswith("job-") for x in self.assets)
            if name == "SHA256SUMS" and done < count:
                self.assets.append(asset_of(local(tmp_path, f"job-{done}.zip", b"%d" % done), 100 + done))
            return asset

    github = Matrix([asset_of(local(tmp_path, "job-0.zip", b"0"), 100)])
    checksums(github)[0].run()

    assert held_sums(github) == sums_text(*((f"job-{n}.zip", b"%d" % n) for n in range(count)))


def test_an_asset_the_checksums_cannot_list_refuses_the_files_sync_before_it_writes(tmp_path):
    old = {**OLD, "digest": None}  # uploaded before GitHub reported digests
    github = FakeGitHub([old])
    sync, _ = syncer(github, [local(tmp_path, "a.zip", b"a")], vet=lambda listed: unlisted(listed, "SHA256SUMS", {}))

    with pytest.raises(AssetError, match=r"SHA256SUMS cannot list app-1\.0\.dev7\.tar\.gz: GitHub reports no sha256"):
        sync.run()
    assert github.calls == []


def test_the_checksums_of_an_immutable_published_release_that_disagree_are_refused(tmp_path):
    github = Holding([asset_of(local(tmp_path, "a.zip", b"a"), 3)])
    clock = FakeClock()
    deadline = Deadline(300, clock=clock.clock, sleep=clock.sleep)
    release = {**RELEASE, "draft": False, "immutable": True}

    with pytest.raises(AssetError, match=r"published and immutable.*SHA256SUMS is missing.*new tag"):
        ChecksumsSync(github, release, "SHA256SUMS", deadline=deadline, log=lambda _line: None).run()
    assert github.calls == []


class ImmutableGitHub(FakeGitHub):
    """A release that turned immutable after it was observed: GitHub refuses every write with 422."""

    def _refuse(self, *_args, **_kwargs):
        raise GitHubError(422, "Cannot modify an immutable release", method="POST", url="https://x")

    upload_asset = delete_asset = update_asset = _refuse


@pytest.mark.parametrize(
    ("assets", "options", "refused"),
    [
        ([], {}, "app.zip: Cannot modify an immutable release"),  # an upload
        ([OLD], {"remove_others": True}, "app-1.0.dev7.tar.gz: Cannot modify an immutable release"),  # a removal
    ],
)
def test_an_immutable_releases_refusal_of_a_write_ends_the_run_asking_for_a_new_tag(tmp_path, assets, options, refused):
    file = local(tmp_path, "app.zip", b"app")
    github = ImmutableGitHub([*assets, asset_of(file, 3)] if options else assets)

    with pytest.raises(AssetError, match="published and immutable") as raised:
        syncer(github, [file], **options)[0].run()

    assert refused in str(raised.value) and "new tag" in str(raised.value)
