"""A release with assets: held as a draft until every asset is in and verified, then published.

With `checksums`, "every asset" includes the checksums asset: it is written after the files
(and the deletions of `remove_other_assets`) and verified to list every other asset of the
release before a held release is published, so readers never see it disagree with the assets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from release_action import platforms
from release_action.asset_decide import Step, label_of, plan_file
from release_action.asset_files import LocalFile
from release_action.asset_sync import ChecksumsSync, ReleaseGone, Syncer
from release_action.budget import Backoff, Deadline
from release_action.checksums import unlisted
from release_action.decide import LAG_WINDOW, Desired
from release_action.engine import ConvergeError, Engine, Result
from release_action.github import GitHub
from release_action.report import Outcome
from release_action.runner_io import Runner
from release_action.wording import Words, counted, words

MAX_SYNC_ROUNDS = 5  # a release we filled lost to another (or vanished): fill the winner, so often


def status_with_assets(release_status: str, asset_changes: int) -> str:
    """The run's status: a release whose fields stayed but whose assets changed was updated."""
    return "updated" if release_status == "unchanged" and asset_changes else release_status


class AssetRun:
    """Converge with the release held as a draft, fill it, verify, then converge to the goal.

    Readers never see a half-filled release: an unpublished release stays a draft until
    every asset is uploaded and verified (and, with `remove_other_assets`, until the assets no
    file produced are deleted), and only then is it published (which also works where releases
    are immutable once published). A release that is already published stays published (the
    engine never drafts it again), so its assets are synced in place.
    """

    def __init__(
        self,
        runner: Runner,
        github: GitHub,
        engine: Engine,
        *,
        overwrite: bool,
        remove_others: bool = False,
        checksums: str = "",
    ) -> None:
        self.runner, self.github, self.engine, self.overwrite = runner, github, engine, overwrite
        self.remove_others = remove_others
        self.checksums = checksums  # the checksums asset's name; "" none
        self.changes = 0
        self.done: dict[str, str] = {}
        self.removed: list[str] = []
        self.warnings: list[Words | str] = []

    def converge(self, desired: Desired, files: list[LocalFile], repository: str) -> Outcome:
        held = dataclasses.replace(desired, draft=True, held=not desired.draft)
        tag = desired.tag
        deadline = self.engine.deadline
        gone_waits = Backoff(deadline, first=0.5, cap=4, floor=0.25)
        gone_at: dict[int, float] = {}  # release id → when its assets were first answered 404
        rounds = 0
        while rounds < MAX_SYNC_ROUNDS:
            rounds += 1
            with self.runner.group(f"Converge the release of {repository} tag {tag}"):
                result = self.engine.converge(held)
            if result.status == "skipped":  # if_exists: skip, and someone else published it: not a byte more
                return self.skipped(result.release, result.warnings, files)
            release = result.release
            self.runner.echo(held_back(release, len(files)))
            try:
                assets = self.sync(release, files)
            except ReleaseGone as exc:
                self.runner.echo(f"{exc}: another run's release won; converging again")
                # Or the asset list lags behind the release's creation, while the engine's reads did
                # not: then the engine finds the same release again. Within LAG_WINDOW of its first
                # 404 that is no new round of a release changing; the reads are given time to agree.
                if deadline.clock() - gone_at.get(release["id"], float("-inf")) < LAG_WINDOW:
                    rounds -= 1
                gone_at.setdefault(release["id"], deadline.clock())
                gone_waits.wait("reads of the release to agree whether it is gone (read lag)")
                continue
            if not release.get("draft"):
                # published already: `held` was the goal (draft is never undone)
                return self.outcome(result, result.release, assets)
            with self.runner.group(f"Check that release {release['id']} is still the one, then finish it"):
                again = self.engine.converge(held)
                if again.status == "skipped":
                    return self.skipped(again.release, again.warnings, files)
                if again.release.get("id") != release["id"]:
                    self.runner.echo(f"release {again.release.get('id')} is now the tag's release; filling it")
                    continue
                final = self.engine.converge(desired)
            if final.status == "skipped":  # another run published first
                return self.skipped(final.release, final.warnings, files)
            if final.release.get("id") != release["id"]:
                self.runner.echo(f"release {final.release.get('id')} is now the tag's release; filling it")
                continue
            return self.outcome(final, final.release, published(final.release, assets))
        changing = (
            "The release for {tag} kept changing under the upload ({rounds} rounds): other runs keep deleting or "
            "replacing it. Give concurrent workflows for one tag a `concurrency` group, then "
        )
        raise ConvergeError(
            words(
                changing + "re-run this job.",
                command=changing + "run the command again.",
                tag=tag,
                rounds=MAX_SYNC_ROUNDS,
            )
        )

    def sync(self, release: dict, files: list[LocalFile]) -> list[dict]:
        """The files' assets, in the files' order, then the checksums asset (if any), each verified."""
        sums = f", then {self.checksums}" if self.checksums else ""
        with self.runner.group(f"Assets of release {release.get('id')} ({counted(len(files), 'file')}{sums})"):
            assets: list[dict] = []
            syncer = None
            if files:
                syncer = Syncer(
                    self.github,
                    release,
                    files,
                    deadline=self.engine.deadline,
                    overwrite=self.overwrite,
                    remove_others=self.remove_others,
                    exempt=(self.checksums,) if self.checksums else (),
                    vet=self.vet(files),
                    log=self.runner.echo,
                )
                try:
                    assets = syncer.run()
                finally:
                    self.tally(syncer)
                self.runner.echo(f"verified: {counted(len(assets), 'asset')} present with their sha256 digests")
                if self.remove_others:
                    self.runner.echo(f"verified: no other assets{left_alone(syncer.warnings)}")
            if self.checksums:
                keeper = ChecksumsSync(
                    self.github,
                    release,
                    self.checksums,
                    deadline=self.engine.deadline,
                    after=syncer,
                    log=self.runner.echo,
                )
                try:
                    kept = keeper.run()
                finally:
                    self.tally(keeper)
                count = counted(len(keeper.sums.names) if keeper.sums else 0, "other asset")
                what = f"lists the {count} with their sha256 digests" if kept else "is not needed: no other asset"
                self.runner.echo(f"verified: {self.checksums} {what}")
                assets += kept
        return assets

    def skipped(self, release: dict, warnings: list[Words | str], files: list[LocalFile]) -> Outcome:
        """`if_exists: skip`: the release as it is, with those of its assets that `files` names."""
        listed = {a.get("name"): a for a in release.get("assets") or ()}
        assets = [listed[f.name] for f in files if f.name in listed]  # in the order of `files`, as ever
        return Outcome(release, "skipped", tuple(warnings), tuple(assets))  # nothing of it is this run's doing

    def vet(self, files: list[LocalFile]) -> Callable[[list[dict]], list[Words | str]] | None:
        """Before the files' sync writes: an asset the checksums could never list refuses the run (one
        this run replaces, or deletes with `remove_other_assets`, does not count)."""
        if not self.checksums or self.remove_others:
            return None
        name, skip = self.checksums, {platforms.asset_key(f.name) for f in files}
        return lambda listed: unlisted(listed, name, {}, skip=skip)

    def tally(self, syncer: Syncer) -> None:
        self.changes += syncer.changes
        self.done.update(syncer.done)
        self.removed += [name for name in syncer.removed if name not in self.removed]
        self.warnings += [w for w in syncer.warnings if w not in self.warnings]

    def outcome(self, result: Result, release: dict, assets: list[dict]) -> Outcome:
        status = status_with_assets(result.status, self.changes)
        warned = tuple(result.warnings) + tuple(w for w in self.warnings if w not in result.warnings)
        done, removed, history = dict(self.done), tuple(self.removed), tuple(result.history)
        return Outcome(release, status, warned, tuple(assets), done, removed, history)


def held_back(release: dict, files: int) -> str:
    """What happens to the release while its assets go in: held as a draft, or synced in place."""
    if release.get("draft"):
        return f"release {release.get('id')} stays a draft until its {counted(files, 'asset')} are in and verified"
    return f"release {release.get('id')} is published already: its assets are synced in place"


def left_alone(warnings: list[Words | str]) -> str:
    return f", except {counted(len(warnings), 'upload')} in progress, left alone" if warnings else ""


def published(release: dict, assets: list[dict]) -> list[dict]:
    """The assets as the final release shows them (publishing changes their download URLs), unless
    that read is older than what the sync verified (a lagging read: another asset, digest or label)."""
    listed = {a.get("name"): a for a in release.get("assets") or ()}

    def same(verified: dict) -> bool:  # as the sync verified it, with the label it saw or set
        shown = listed.get(verified.get("name"))
        fields = ("id", "state", "size", "digest")
        return (
            shown is not None
            and all(shown.get(k) == verified.get(k) for k in fields)
            and (label_of(shown) == label_of(verified))
        )

    if all(same(a) for a in assets):
        return [listed[a.get("name")] for a in assets]
    return assets


def plan_assets(
    github: GitHub,
    deadline: Deadline,
    release: dict,
    files: list[LocalFile],
    *,
    overwrite: bool,
    remove_others: bool = False,
    checksums: str = "",
) -> list[Step]:
    """A dry run's asset steps, in order: what the sync would do to `release` ({}: one the plan would
    create), then what would become of the checksums asset."""
    listed: list[dict] | None = None
    if not release.get("id"):
        steps: list[Step] = [plan_file(f, None, overwrite=overwrite, locked=False, age=None) for f in files]
    else:
        exempt = (checksums,) if checksums else ()
        syncer = Syncer(
            github, release, files, deadline=deadline, overwrite=overwrite, remove_others=remove_others, exempt=exempt
        )
        steps = syncer.plan_only() if files else []
        listed = syncer.listed if files else None
    if checksums:
        keeper = ChecksumsSync(github, release, checksums, deadline=deadline)
        steps += keeper.plan_ahead(files, remove_others=remove_others, listed=listed)
    return steps
