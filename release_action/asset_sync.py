"""The asset sync: make one release hold exactly the collected files, safely under races.

`Syncer` is level-triggered like the engine: observe the release's assets, decide per file
(asset_decide.plan_file: keep, upload, replace, relabel, wait, refuse), act in the order of
the files (so uploads follow the `files` lines), and observe again, until one observation
shows every file present with its digest and label; that last listing is the verification.
With `remove_other_assets`, only an observation that shows every file present leads to
deleting the assets no file produced (asset_decide.plan_other), and the sync ends once one
shows none left. An asset the action maintains itself (named in `exempt`) is never taken for
another asset; it is written by a later sync, once this one has returned (so after the files
and the deletions, and before a held release is published): `ChecksumsSync`, which keeps the
checksums asset (`checksums`) listing every other asset of the release.

After a 422 already_exists or a lost answer (OutcomeUnknown) the asset is simply observed
again: it may be another run's identical upload, or ours that landed. Until a listing shows
it, a missing asset of that name is read lag (asset_decide's `recently_ours`).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from release_action import local_files, platforms
from release_action.asset_decide import (
    DeleteOther,
    DeleteStarter,
    Keep,
    Leave,
    Refuse,
    Relabel,
    Replace,
    Step,
    WaitFor,
    Write,
    locked_problem,
    plan_checksums,
    plan_file,
    plan_other,
)
from release_action.asset_files import FileBody, LocalFile, MadeFile
from release_action.budget import Deadline
from release_action.checksums import CONTENT_TYPE, Sums, sums_of, unlisted
from release_action.decide import LAG_WINDOW  # our own upload missing from a listing this soon after is read lag
from release_action.errors import TITLE_PREFIX, ActionError
from release_action.github import GitHub, github_time
from release_action.transport import Conflict, GitHubError, OutcomeUnknown
from release_action.wording import Words, joined, words

POLL_SECONDS = 1.0  # between observations while waiting for another run's upload
MAX_REPLACES = 3  # replacements (or removals) of one asset before deciding another writer fights over it
# Rewrites of the checksums asset with the same content before deciding another writer fights over
# it. Racing runs rewrite it as they see each other's files (a run that saw fewer files may write
# after one that saw them all): that is progress. Each rewrite waits a settle (2 s) before it looks
# again, so this many rewrites of one content means it was replaced for over 10 s while the
# assets stood still.
MAX_REWRITES = 6


class AssetError(ActionError):
    """The release's assets cannot be made what was asked; the message says why and what to do."""

    title = f"{TITLE_PREFIX}: the assets could not be made as asked"


class ReleaseGone(AssetError):
    """The release went away while its assets were synced (another run deleted a losing draft)."""


def upload(github: GitHub, upload_url: str, file: LocalFile, label: str | None = None) -> dict:
    if isinstance(file, MadeFile):  # made by the action (the checksums): its bytes are in memory
        return github.upload_asset(upload_url, file.name, io.BytesIO(file.data), file.size, file.content_type, label)
    try:
        body = FileBody(file.path, file.size, file.identity)
    except local_files.Refused as exc:
        raise AssetError(
            f"{file.path} {exc} (it was hashed before the first request as {file.name}). "
            "Make sure no other process changes the files while this step runs."
        ) from None
    try:
        return github.upload_asset(upload_url, file.name, body, file.size, file.content_type, label)
    finally:
        body.close()


def starter_age(asset: dict, now: float) -> float | None:
    """Seconds since a `starter` asset was created, on GitHub's clock (`now`); None for a finished
    asset, or a starter whose creation time is not given."""
    if asset.get("state") != "starter":
        return None
    created = github_time(asset.get("created_at"))
    return None if created is None else max(0.0, now - created)


# -- syncing -----------------------------------------------------------------------------------


class Syncer:
    """Makes one release hold `files`; see the module docstring and asset_decide for the race rules.

    `vet`: reasons the assets of a listing refuse the run (the checksums asset cannot list an
    asset without a digest), checked on every listing before anything is written.
    """

    max_replaces = MAX_REPLACES  # of one file by this run, before it gives up on it

    def __init__(
        self,
        github: GitHub,
        release: dict,
        files: Sequence[LocalFile],
        *,
        deadline: Deadline,
        overwrite: bool,
        remove_others: bool = False,
        exempt: Collection[str] = (),
        vet: Callable[[list[dict]], list[Words | str]] | None = None,
        immutable: bool | None = None,
        log: Callable[[str], None] = print,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.github = github
        self.deadline = deadline
        self.release = release
        self.files = list(files)  # in upload order
        self.overwrite = overwrite
        self.remove_others = remove_others
        # asset names the action maintains itself: never "other" assets (see the module's docstring)
        self.exempt = {platforms.asset_key(name) for name in exempt}
        self.vet = vet
        self.immutable = immutable
        self.log = log
        self.wall_clock = wall_clock
        # name → when this run's upload of it succeeded, or was refused because the name was taken
        self.uploaded_at: dict[str, float] = {}
        self.deleted: set[int] = set()  # asset ids this run deleted (a lagged list may show them)
        # asset id → (the label this run gave it, when): a lagged list may show the one before
        self.labelled: dict[int, tuple[str, float]] = {}
        self.replaces: dict[str, int] = {}
        self.changes = 0  # uploads, relabels and deletions made
        self.waited_for: dict[int, str] = {}
        self.done: dict[str, str] = {}  # name → "uploaded" | "replaced" | "relabelled", for the summary
        self.removed: list[str] = []  # assets deleted as not in `files`, in the order deleted
        self.warnings: list[Words | str] = []  # what the run left undone on purpose (another run's upload in progress)
        self.listed: list[dict] = []  # the last observation: every asset of the release
        self.sent: dict[int, str] = {}  # asset id → the sha256 of the file this run uploaded as it

    @property
    def release_id(self) -> int:
        return int(self.release["id"])

    @property
    def locked(self) -> bool:
        """No asset may change: the release is published and immutable."""
        immutable = self.release.get("immutable") if self.immutable is None else self.immutable
        return bool(immutable) and not self.release.get("draft")

    def observe(self) -> tuple[dict[str, dict], float]:
        """The release's assets by name, and GitHub's time of the answer."""
        try:
            listed = self.github.list_assets(self.release_id)
        except GitHubError as exc:
            if exc.status == 404:
                gone = f"release {self.release_id} was deleted while its assets were synced"
                raise ReleaseGone(gone) from exc
            raise
        clock = self.deadline.clock()
        self.listed = [self._as_labelled(a, clock) for a in listed if a.get("id") not in self.deleted]
        assets = {platforms.asset_key(a["name"]): a for a in self.listed}
        now = self.github.server_now() or self.wall_clock()
        return assets, now

    def _as_labelled(self, asset: dict, clock: float) -> dict:
        """`asset` with the label this run gave it, if it did so within the lag window (read lag)."""
        label, when = self.labelled.get(asset.get("id"), (None, 0.0))  # type: ignore[arg-type]
        if label is None or clock - when >= LAG_WINDOW:
            return asset
        return {**asset, "label": label}

    def situation(self, name: str, assets: dict[str, dict], now: float) -> tuple[dict | None, float | None, bool]:
        """The asset of `name`, its age if it is a starter (GitHub's clock), and whether this run's
        upload of it (or a 422 for it) came within the lag window, so that missing means read lag."""
        asset = assets.get(platforms.asset_key(name))
        age = None if asset is None else starter_age(asset, now)
        if asset is not None:
            self.uploaded_at.pop(name, None)  # seen: from now on, missing means deleted
        ours = self.uploaded_at.get(name)
        recent = ours is not None and self.deadline.clock() - ours < LAG_WINDOW
        return asset, age, recent

    def steps(self, assets: dict[str, dict], now: float) -> list[tuple[LocalFile, Step]]:
        out = []
        for file in self.files:
            asset, age, recent = self.situation(file.name, assets, now)
            step = plan_file(file, asset, overwrite=self.overwrite, locked=self.locked, age=age, recently_ours=recent)
            out.append((file, step))
        return out

    def other_steps(self, assets: dict[str, dict], now: float) -> list[Step]:
        """With `remove_other_assets`: a step for each asset that no file produced (none are exempt)."""
        if not self.remove_others:
            return []
        ours = {platforms.asset_key(file.name) for file in self.files} | self.exempt
        out = []
        for key, asset in assets.items():
            if key not in ours:
                out.append(plan_other(asset, locked=self.locked, age=starter_age(asset, now)))
        return out

    def plan_only(self) -> list[Step]:
        """The dry run: what sync would do, without writing (the deletions as if every file were in)."""
        assets, now = self.observe()
        self._vet()
        steps = [step for _file, step in self.steps(assets, now)] + self.other_steps(assets, now)
        self._refuse(steps)
        return steps

    def run(self) -> list[dict]:
        """Sync until an observation shows every file (and, with `remove_others`, nothing else); return
        the files' assets, in the files' order."""
        while True:
            assets, now = self.observe()
            self._vet()
            steps = self.steps(assets, now)
            self._refuse([step for _file, step in steps])
            if all(isinstance(step, Keep) for _, step in steps):
                # Every file is verified present: only now may other assets go.
                others = self.other_steps(assets, now)
                self._refuse(others)
                self._leave([step for step in others if isinstance(step, Leave)])
                removals = [step for step in others if isinstance(step, DeleteOther)]
                if not removals:
                    return [assets[platforms.asset_key(file.name)] for file in self.files]
                for step in removals:
                    self.remove(step)
                continue
            acted = False
            for file, step in steps:  # in the files' order: uploads follow the `files` lines
                if isinstance(step, Write):
                    acted = True
                    self.act(file, step)
                elif isinstance(step, WaitFor) and step.asset is not None:
                    if self.waited_for.get(step.asset["id"]) != step.reason:
                        self.log(step.reason)
                    self.waited_for[step.asset["id"]] = step.reason
            if not acted:
                self.deadline.wait(POLL_SECONDS, "another run's upload to finish")

    def _leave(self, steps: list[Leave]) -> None:
        for step in steps:
            if step.reason not in self.warnings:
                self.warnings.append(step.reason)

    def _vet(self) -> None:
        if self.vet is not None and (problems := self.vet(self.listed)):
            raise AssetError(words("{problems}.", problems=joined(problems)))

    def _refuse(self, steps: list[Step]) -> None:
        refused = [step.reason for step in steps if isinstance(step, Refuse)]
        if not refused:
            return
        if self.locked:
            raise AssetError(locked_problem(self.release.get("tag_name", ""), refused))
        raise AssetError(*refused)  # each rendered for the run's mode (errors.ActionError.messages)

    def act(self, file: LocalFile, step: Write) -> None:
        """One file's writes; a conflict or a lost answer just means: observe again."""
        if isinstance(step, Relabel):
            self.relabel(file, step)
            return
        if isinstance(step, DeleteOther):  # no file's step: run() gives it to remove()
            self.remove(step)
            return
        self.log(step.reason)
        try:
            if isinstance(step, Replace | DeleteStarter):
                if isinstance(step, Replace):
                    self.count_replace(file)
                self.github.delete_asset(int(step.asset["id"]))  # False: already gone, fine
                self.deleted.add(int(step.asset["id"]))
                self.changes += 1
            sent = upload(self.github, self.release["upload_url"], file, step.label)
            if isinstance(sent.get("id"), int):
                self.sent[sent["id"]] = file.sha256
            self.changes += 1
            self.done[file.name] = "replaced" if isinstance(step, Replace) else "uploaded"
            self.uploaded_at[file.name] = self.deadline.clock()
        except Conflict:
            # The name is taken (another run's upload, or ours that a lagging list hides):
            # until a listing shows it, a missing asset of this name means wait, not upload.
            self.uploaded_at[file.name] = self.deadline.clock()
            self.log(f"{file.name}: another upload of this name exists; looking again")
        except OutcomeUnknown as exc:
            self.uploaded_at[file.name] = self.deadline.clock()
            self.log(f"{exc}; the upload may have landed, looking again")
        except GitHubError as exc:
            self.refused(file, exc)

    def refused(self, file: LocalFile, exc: GitHubError) -> None:
        """A write about `file` GitHub refused: a 404 (the asset, or the release, went: the next
        observation says which) means look again; an immutable release's refusal ends the run."""
        if exc.status == 404:
            self.log(f"{file.name}: {exc.message}; looking again")
            return
        self.refuse_if_immutable(file.name, exc)
        raise exc

    def refuse_if_immutable(self, name: str, exc: GitHubError) -> None:
        """AssetError if GitHub refused a write about the asset `name` because the release is immutable."""
        if exc.status == 422 and "immutable" in exc.message.lower():
            raise AssetError(locked_problem(self.release.get("tag_name", ""), [f"{name}: {exc.message}"])) from exc

    def count_replace(self, file: LocalFile) -> None:
        """Count a replacement of `file`'s asset; AssetError once another writer evidently fights over it."""
        count = self.replaces[file.name] = self.replaces.get(file.name, 0) + 1
        if count > self.max_replaces:
            raise AssetError(
                f"Asset {file.name} was replaced {self.max_replaces} times and still differs: "
                "another workflow keeps uploading a different file under this name. "
                "Make the two workflows agree on the file, or give it another name."
            )

    def relabel(self, file: LocalFile, step: Relabel) -> None:
        """Give the asset the label asked for: one PATCH, no upload (a lost answer: observe again)."""
        self.log(step.reason)
        asset_id = int(step.asset["id"])
        try:
            self.github.update_asset(asset_id, {"label": step.label})
        except OutcomeUnknown as exc:
            self.log(f"{exc}; the label may have changed, looking again")
            return
        except GitHubError as exc:
            self.refused(file, exc)
            return
        self.labelled[asset_id] = (step.label, self.deadline.clock())
        self.changes += 1
        self.done.setdefault(file.name, "relabelled")

    def remove(self, step: DeleteOther) -> None:
        """Delete an asset no file produced (`remove_other_assets`); a lost answer means: observe again."""
        name, asset_id = str(step.asset.get("name")), int(step.asset["id"])
        count = self.replaces[name] = self.replaces.get(name, 0) + 1
        if count > MAX_REPLACES:
            raise AssetError(
                words(
                    "Asset {name} was deleted {times} times as not in `files` (`remove_other_assets: true` is set), "
                    "and is back again: another workflow keeps uploading it to this release. Add it to `files`, "
                    "or stop the other workflow from uploading it.",
                    name=name,
                    times=MAX_REPLACES,
                )
            )
        self.log(step.reason)
        try:
            deleted = self.delete(asset_id, name)
        except GitHubError as exc:
            self.refuse_if_immutable(name, exc)
            raise
        if deleted and name not in self.removed:
            self.removed.append(name)

    def delete(self, asset_id: int, name: str) -> bool:
        """Delete an asset no file of this run's produced; True if this call deleted it (a change of
        this run's). Already gone (a lagging list showed it) or a lost answer (looked at again) is not."""
        try:
            deleted = self.github.delete_asset(asset_id)
        except OutcomeUnknown as exc:
            self.log(f"{exc}; the deletion may have happened, looking again")
            return False
        self.deleted.add(asset_id)
        if not deleted:
            self.log(f"{name} was deleted already")
            return False
        self.changes += 1
        return True


# -- the checksums asset -------------------------------------------------------------------------


def made_file(name: str, sums: Sums) -> MadeFile:
    return MadeFile(Path(name), name, sums.size, sums.sha256, CONTENT_TYPE, data=sums.text)


class ChecksumsSync(Syncer):
    """Keeps the checksums asset `name` listing every other asset of the release (`checksums`).

    Level-triggered like the files' sync: observe, compute the content the listing calls for
    (checksums.sums_of, from GitHub's digests), compare it with the checksums asset's own
    digest (no download), write it if it differs (asset_decide.plan_checksums), and after each
    write wait a settle before looking again. It ends on a look that shows the asset holding
    exactly what that same look calls for; when the last write was its own, that look came a
    settle after it. So racing runs (a build matrix, each adding one file) converge: the run
    that writes last has seen every file that was in by then, and any run that adds a file
    afterwards writes again after its upload. A 422 (another run's upload of the name) or a
    lost answer is observed again, as for files.

    Made after the files' sync (`after`), it starts from that sync's last listing (no extra
    request on a re-run), knows the sha256 of what it uploaded, and the ids it deleted.
    """

    max_replaces = MAX_REWRITES  # counted per content: see count_replace

    def __init__(
        self,
        github: GitHub,
        release: dict,
        name: str,
        *,
        deadline: Deadline,
        after: Syncer | None = None,
        immutable: bool | None = None,
        log: Callable[[str], None] = print,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            github, release, [], deadline=deadline, overwrite=True, immutable=immutable, log=log, wall_clock=wall_clock
        )
        self.name = name
        self.sums: Sums | None = None  # what the last look called for
        self.problems: list[Words | str] = []  # why the last look's assets cannot all be listed
        self.waiting = ""  # the last wait's reason, logged once
        self.fresh = after is not None  # the files' sync's last listing is still to be used
        if after is not None:
            self.sent.update(after.sent)
            self.deleted |= after.deleted
            self.listed = after.listed

    def look(self) -> tuple[dict[str, dict], float]:
        """The listing: the files' sync's last one first (it is fresh), then new ones."""
        if not self.fresh:
            return self.observe()
        self.fresh = False
        now = self.github.server_now() or self.wall_clock()
        return {platforms.asset_key(a["name"]): a for a in self.listed}, now

    def plan(self, assets: dict[str, dict], now: float) -> tuple[MadeFile | None, Step]:
        self.problems = problems = unlisted(self.listed, self.name, self.sent)
        self.sums = None if problems else sums_of(self.listed, self.name, self.sent)
        asset, age, recent = self.situation(self.name, assets, now)
        step = plan_checksums(
            self.name,
            self.sums,
            asset,
            known=self.sent,
            problems=problems,
            locked=self.locked,
            age=age,
            recently_ours=recent,
        )
        return (None if self.sums is None else made_file(self.name, self.sums)), step

    def run(self) -> list[dict]:
        """Write until a look shows the checksums asset as that look calls for; return it ([] if none is needed)."""
        while True:
            assets, now = self.look()
            file, step = self.plan(assets, now)
            self._refuse([step])
            if isinstance(step, Keep):
                return [step.asset] if step.asset else []
            if isinstance(step, WaitFor):
                if step.reason != self.waiting:
                    self.log(step.reason)
                self.waiting = step.reason
                self.deadline.wait(POLL_SECONDS, f"another run's upload of {self.name} to finish")
                continue
            if isinstance(step, DeleteOther):
                self.drop(step)
            elif file is not None and isinstance(step, Write):
                self.act(file, step)
            # Let racing runs' writes land, then look again: the verification of this write.
            self.deadline.settle(f"other runs' writes of {self.name} to land")

    def plan_ahead(
        self, files: Sequence[LocalFile], *, remove_others: bool, listed: list[dict] | None = None
    ) -> list[Step]:
        """The dry run's step: the checksums as they would be once `files` are in (and, with
        `remove_others`, the other assets gone). `listed`: the release's assets as the files'
        plan just read them; else they are read here, if the release exists."""
        if listed is None:
            listed = []
            if self.release.get("id"):
                self.observe()
                listed = self.listed
        keys = {platforms.asset_key(f.name) for f in files}
        own = platforms.asset_key(self.name)
        kept = [
            a
            for a in listed
            if (key := platforms.asset_key(a["name"])) not in keys and (key == own or not remove_others)
        ]
        # Each file as GitHub will list it once uploaded: negative ids, so none is taken for an asset's.
        new = [
            {"id": -n, "name": f.name, "state": "uploaded", "size": f.size, "digest": f.digest}
            for n, f in enumerate(files, 1)
        ]
        self.listed = kept + new
        _file, step = self.plan({platforms.asset_key(a["name"]): a for a in self.listed}, self.wall_clock())
        self._refuse([step])
        return [step]

    def _refuse(self, steps: list[Step]) -> None:
        if self.problems:  # an asset the checksums cannot list: no matter of an immutable release's lock
            raise AssetError(*(step.reason for step in steps if isinstance(step, Refuse)))  # each worded for the reader
        super()._refuse(steps)

    def count_replace(self, file: LocalFile) -> None:
        """Rewrites as the assets change are progress; the same content rewritten again and again is a fight."""
        count = self.replaces[file.sha256] = self.replaces.get(file.sha256, 0) + 1
        if count > self.max_replaces:
            raise AssetError(
                words(
                    "{name} was rewritten {times} times with the same content, and each time another writer "
                    "replaced it while the assets stayed the same: another workflow or tool writes its own {name} "
                    "to this release (a `files` line, or another release step). Let only one of them write it: "
                    "drop it from the other, or give `checksums` another name.",
                    name=self.name,
                    times=self.max_replaces,
                )
            )

    def drop(self, step: DeleteOther) -> None:
        """Delete the checksums asset: the release has no other asset left to list."""
        self.log(step.reason)
        if self.delete(int(step.asset["id"]), self.name):
            self.done[self.name] = "deleted"


def output_of(asset: dict) -> dict[str, Any]:
    keys = ("name", "label", "id", "size", "digest", "browser_download_url")
    return {key: asset.get(key) for key in keys}
