"""The action's job from start to end: inputs → converge → outputs, with errors that say what to do."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping

import requests

from release_action import __version__
from release_action.assets import (
    AssetError,
    LocalFile,
    ReleaseGone,
    Syncer,
    collect,
    describe_size,
    identical,
    output_of,
)
from release_action.budget import BudgetExhausted, Deadline
from release_action.decide import Desired
from release_action.engine import ConvergeError, Engine, Result
from release_action.github import GitHub, GitHubError, OutcomeUnknown
from release_action.inputs import InputError, Inputs, read_inputs
from release_action.runner_io import Runner


def desired_state(inputs: Inputs) -> Desired:
    return Desired(
        tag=inputs.tag,
        name=inputs.name,
        body=inputs.notes,
        draft=inputs.draft,
        prerelease=inputs.prerelease,
        target_commitish=inputs.target_commitish,
        make_latest=inputs.make_latest,
        discussion_category=inputs.discussion_category,
        generate_notes=inputs.generate_notes,
        previous_tag=inputs.previous_tag,
    )


def outputs_of(result: Result, tag: str, assets: list[dict]) -> dict[str, str]:
    release = result.release
    return {
        "id": str(release.get("id", "")),
        "html_url": release.get("html_url", ""),
        "upload_url": release.get("upload_url", ""),
        "tag": tag,
        "status": result.status,
        "draft": "true" if release.get("draft") else "false",
        "prerelease": "true" if release.get("prerelease") else "false",
        "assets": json.dumps(assets),
    }


def summary_of(
    result: Result, inputs: Inputs, github: GitHub, assets: list[dict] | None = None, done: dict | None = None
) -> str:
    release = result.release
    verb = {"created": "Created", "updated": "Updated", "unchanged": "Checked (unchanged)"}[result.status]
    state = "draft" if release.get("draft") else "published"
    lines = [
        "### Release",
        "",
        f"{verb} the {state} release [{inputs.tag}]({release.get('html_url', '')}) "
        f"of `{inputs.repository}` (id {release.get('id')}).",
        "",
        f"GitHub API requests: {github.requests_made} ({github.writes_made} writes).",
        "",
    ]
    if assets:
        lines += ["| Asset | Size | sha256 | |", "|---|---|---|---|"]
        for asset in assets:
            what = (done or {}).get(asset["name"], "unchanged")
            digest = str(asset.get("digest") or "").removeprefix("sha256:")[:16]
            name = asset["name"].replace("|", "\\|")
            lines.append(
                f"| [{name}]({asset.get('browser_download_url', '')}) | "
                f"{describe_size(int(asset.get('size') or 0))} | `{digest}…` | {what} |"
            )
        lines.append("")
    lines += [f"> [!WARNING]\n> {w}\n" for w in result.warnings]
    return "\n".join(lines) + "\n"


MAX_SYNC_ROUNDS = 5  # a release we filled lost to another (or vanished): fill the winner, so often


class AssetRun:
    """Converge with the release held as a draft, fill it, verify, then converge to the goal.

    Readers never see a half-filled release: an unpublished release stays a draft until
    every asset is uploaded and verified, and only then is it published (which also works
    where releases are immutable once published). A release that is already published stays
    published (the engine never drafts it again), so its assets are synced in place.
    """

    def __init__(self, inputs: Inputs, runner: Runner, github: GitHub, engine: Engine) -> None:
        self.inputs, self.runner, self.github, self.engine = inputs, runner, github, engine
        self.changes = 0
        self.done: dict[str, str] = {}

    def converge(self, desired: Desired, files: list[LocalFile]) -> tuple[Result, list[dict]]:
        held = dataclasses.replace(desired, draft=True)
        repo, tag = self.inputs.repository, self.inputs.tag
        for _ in range(MAX_SYNC_ROUNDS):
            with self.runner.group(f"Converge the release of {repo} tag {tag} (a draft until its assets are in)"):
                result = self.engine.converge(held, user_draft=desired.draft)
            release = result.release
            try:
                assets = self.sync(release, files)
            except ReleaseGone as exc:
                self.runner.echo(f"{exc}: another run's release won; converging again")
                continue
            if not release.get("draft"):
                return result, assets  # published already: `held` was the goal (draft is never undone)
            with self.runner.group(f"Check that release {release['id']} is still the one, then finish it"):
                again = self.engine.converge(held, user_draft=desired.draft)
                if again.release.get("id") != release["id"]:
                    self.runner.echo(f"release {again.release.get('id')} is now the tag's release; filling it")
                    continue
                final = self.engine.converge(desired, user_draft=desired.draft)
            if final.release.get("id") != release["id"]:
                self.runner.echo(f"release {final.release.get('id')} is now the tag's release; filling it")
                continue
            return final, self.outputs(final.release, assets, files)
        raise ConvergeError(
            f"The release for {tag} kept changing under the upload ({MAX_SYNC_ROUNDS} rounds): other "
            "runs keep deleting or replacing it. Give concurrent workflows for one tag a `concurrency` "
            "group, then re-run this job."
        )

    def sync(self, release: dict, files: list[LocalFile]) -> list[dict]:
        with self.runner.group(f"Assets of release {release.get('id')} ({len(files)} files)"):
            syncer = Syncer(
                self.github,
                release,
                files,
                deadline=self.engine.deadline,
                overwrite=self.inputs.overwrite_files,
                log=self.runner.echo,
            )
            try:
                assets = syncer.run()
            finally:
                self.changes += syncer.changes
                self.done.update(syncer.done)
            self.runner.echo(f"verified: {len(assets)} assets present with their sha256 digests")
        return assets

    def outputs(self, release: dict, assets: list[dict], files: list[LocalFile]) -> list[dict]:
        """The assets as the final release shows them (publishing changes their download URLs)."""
        listed = {a.get("name"): a for a in release.get("assets") or ()}
        if all(f.name in listed and identical(listed[f.name], f) for f in files):
            return [listed[f.name] for f in files]
        return assets


def plan_assets(github: GitHub, deadline: Deadline, release: dict, files: list[LocalFile], inputs: Inputs) -> list[str]:
    """The dry run's asset lines: what would be uploaded, replaced or kept."""
    if not release.get("id"):
        return [f"upload {f.name} ({describe_size(f.size)}, {f.content_type})" for f in files]
    syncer = Syncer(github, release, files, deadline=deadline, overwrite=inputs.overwrite_files)
    return [plan.reason for _file, plan in syncer.plan_only()]


def collect_files(inputs: Inputs, runner: Runner) -> list[LocalFile]:
    """The `files` to attach, hashed; InputError (before any request) when a glob is wrong."""
    if not inputs.files:
        return []
    files = collect(inputs.files, inputs.working_directory, inputs.fail_on_unmatched_files, warn=runner.warning)
    for file in files:
        runner.echo(f"file {file.path} → asset {file.name} ({describe_size(file.size)}, {file.digest})")
    return files


def run(inputs: Inputs, runner: Runner, files: list[LocalFile] | None = None) -> int:
    if files is None:
        files = collect_files(inputs, runner)
    deadline = Deadline(inputs.timeout_seconds)
    github = GitHub(inputs.api_url, inputs.token, inputs.repository, deadline, log=runner.echo)
    engine = Engine(github, deadline=deadline, log=runner.echo)
    desired = desired_state(inputs)
    assets: list[dict] = []
    done: dict[str, str] = {}

    if inputs.dry_run:
        with runner.group(f"Plan for {inputs.repository} tag {inputs.tag} (dry run: nothing is written)"):
            result = engine.converge(desired, dry_run=True)
            for line in result.plan:
                runner.echo(line)
            if files:
                for line in plan_assets(github, deadline, result.release, files, inputs):
                    runner.echo(line)
    elif files:
        asset_run = AssetRun(inputs, runner, github, engine)
        result, assets = asset_run.converge(desired, files)
        done = asset_run.done
        if asset_run.changes and result.status == "unchanged":
            result = dataclasses.replace(result, status="updated")
    else:
        with runner.group(f"Converge the release of {inputs.repository} tag {inputs.tag}"):
            result = engine.converge(desired)
    for warning in result.warnings:
        runner.warning(warning)
    runner.set_outputs(outputs_of(result, inputs.tag, [output_of(a) for a in assets]))
    if not inputs.dry_run:
        runner.summary(summary_of(result, inputs, github, assets, done))
    runner.echo(
        f"{result.status}: {result.release.get('html_url', '(new release)')} "
        f"({github.requests_made} API requests, {github.writes_made} writes)"
    )
    return 0


def main(env: Mapping[str, str] | None = None) -> int:
    """Run the action; the exit status is the step's outcome."""
    env = os.environ if env is None else env
    runner = Runner(env)
    try:
        inputs = read_inputs(env)
        runner.mask(inputs.token)
        runner.echo(f"safe-release-action {__version__}")
        files = collect_files(inputs, runner)  # before any request: a wrong glob writes nothing
    except InputError as exc:
        runner.error(str(exc), title="safe-release-action: invalid input")
        return 2
    try:
        return run(inputs, runner, files)
    except (ConvergeError, AssetError, GitHubError, BudgetExhausted, OutcomeUnknown) as exc:
        runner.error(str(exc), title="safe-release-action failed")
    except requests.RequestException as exc:
        runner.error(
            f"Could not reach {inputs.api_url}: {exc.__class__.__name__}. Check `api_url` and the runner's network.",
            title="safe-release-action failed",
        )
    return 1
