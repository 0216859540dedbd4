"""A release with assets: held as a draft until every asset is in and verified, then published."""

from __future__ import annotations

import dataclasses

from release_action.asset_decide import identical
from release_action.asset_files import LocalFile, describe_size
from release_action.asset_sync import ReleaseGone, Syncer
from release_action.budget import Deadline
from release_action.decide import Desired
from release_action.engine import ConvergeError, Engine
from release_action.github import GitHub
from release_action.report import Outcome
from release_action.runner_io import Runner
from release_action.wording import words

MAX_SYNC_ROUNDS = 5  # a release we filled lost to another (or vanished): fill the winner, so often


def status_with_assets(release_status: str, asset_changes: int) -> str:
    """The run's status: a release whose fields stayed but whose assets changed was updated."""
    return "updated" if release_status == "unchanged" and asset_changes else release_status


class AssetRun:
    """Converge with the release held as a draft, fill it, verify, then converge to the goal.

    Readers never see a half-filled release: an unpublished release stays a draft until
    every asset is uploaded and verified, and only then is it published (which also works
    where releases are immutable once published). A release that is already published stays
    published (the engine never drafts it again), so its assets are synced in place.
    """

    def __init__(self, runner: Runner, github: GitHub, engine: Engine, *, overwrite: bool) -> None:
        self.runner, self.github, self.engine, self.overwrite = runner, github, engine, overwrite
        self.changes = 0
        self.done: dict[str, str] = {}

    def converge(self, desired: Desired, files: list[LocalFile], repository: str) -> Outcome:
        held = dataclasses.replace(desired, draft=True)
        tag = desired.tag
        for _ in range(MAX_SYNC_ROUNDS):
            with self.runner.group(f"Converge the release of {repository} tag {tag} (a draft until its assets are in)"):
                result = self.engine.converge(held)
            release = result.release
            try:
                assets = self.sync(release, files)
            except ReleaseGone as exc:
                self.runner.echo(f"{exc}: another run's release won; converging again")
                continue
            if not release.get("draft"):
                # published already: `held` was the goal (draft is never undone)
                return self.outcome(result.release, result.status, result.warnings, assets)
            with self.runner.group(f"Check that release {release['id']} is still the one, then finish it"):
                again = self.engine.converge(held)
                if again.release.get("id") != release["id"]:
                    self.runner.echo(f"release {again.release.get('id')} is now the tag's release; filling it")
                    continue
                final = self.engine.converge(desired)
            if final.release.get("id") != release["id"]:
                self.runner.echo(f"release {final.release.get('id')} is now the tag's release; filling it")
                continue
            return self.outcome(final.release, final.status, final.warnings, published(final.release, assets, files))
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
        with self.runner.group(f"Assets of release {release.get('id')} ({len(files)} files)"):
            syncer = Syncer(
                self.github,
                release,
                files,
                deadline=self.engine.deadline,
                overwrite=self.overwrite,
                log=self.runner.echo,
            )
            try:
                assets = syncer.run()
            finally:
                self.changes += syncer.changes
                self.done.update(syncer.done)
            self.runner.echo(f"verified: {len(assets)} assets present with their sha256 digests")
        return assets

    def outcome(self, release: dict, release_status: str, warnings: list[str], assets: list[dict]) -> Outcome:
        status = status_with_assets(release_status, self.changes)
        return Outcome(release, status, tuple(warnings), tuple(assets), dict(self.done))


def published(release: dict, assets: list[dict], files: list[LocalFile]) -> list[dict]:
    """The assets as the final release shows them (publishing changes their download URLs)."""
    listed = {a.get("name"): a for a in release.get("assets") or ()}
    if all(f.name in listed and identical(listed[f.name], f) for f in files):
        return [listed[f.name] for f in files]
    return assets


def plan_assets(
    github: GitHub, deadline: Deadline, release: dict, files: list[LocalFile], *, overwrite: bool
) -> list[str]:
    """The dry run's asset lines: what would be uploaded, replaced or kept."""
    if not release.get("id"):
        return [f"upload {f.name} ({describe_size(f.size)}, {f.content_type})" for f in files]
    syncer = Syncer(github, release, files, deadline=deadline, overwrite=overwrite)
    return [step.reason for _file, step in syncer.plan_only()]
