"""The action, wired: read inputs → plan or converge (release, then assets) → report → exit code.

Each of those steps lives in its own module; this one only connects them. Every failure,
foreseen or not, ends here in exactly one `::error::` (failures.py words it) and exit code 1,
or in one `::error::` per bad input and exit code 2: never a traceback. Errors name inputs the
way the run was started (wording.py): `notes_file` under Actions, `--notes-file` with flags.
A failed run writes a job summary too (report.failure_summary): the error, what the run wrote
before it (its `Trail`), and the README's Troubleshooting entry for the error's title.
"""

from __future__ import annotations

import dataclasses
import os
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from release_action import __version__
from release_action.asset_files import describe_size
from release_action.budget import Deadline
from release_action.dry_run import Plan, plan_run
from release_action.engine import Engine, stays_published
from release_action.errors import rendered
from release_action.failures import Failure, failure_of
from release_action.github import GitHub, Write
from release_action.inputs import Asked, read_inputs
from release_action.publish_assets import AssetRun, plan_assets
from release_action.report import (
    Outcome,
    Requests,
    closing_line,
    failure_summary,
    outputs_of,
    summary_of,
    troubleshooting_url,
)
from release_action.runner_io import Cancelled, Runner, RunnerFileError, cancellable
from release_action.transport import Transport
from release_action.wording import Mode, counted, mode_of

if TYPE_CHECKING:
    import random

    import requests


@dataclass
class Trail:
    """What a run has done so far, whichever way it ends: the client, and through it the writes and requests."""

    github: GitHub | None = None

    @property
    def writes(self) -> tuple[Write, ...]:
        return tuple(self.github.writes) if self.github is not None else ()

    @property
    def requests(self) -> Requests | None:
        """None before the first request could be made (bad input)."""
        if self.github is None:
            return None
        transport = self.github.transport
        return Requests(transport.requests_made, transport.writes_made)


def converge(
    asked: Asked,
    runner: Runner,
    trail: Trail | None = None,
    *,
    budget: Callable[[float], Deadline] | None = None,
    session: requests.Session | None = None,
    rng: random.Random | None = None,
) -> tuple[Outcome, Requests, Plan | None]:
    """Bring the release (then its assets) to what the inputs ask, or plan it in a dry run (the Plan).

    `budget` makes the run's Deadline from `timeout_seconds` (by default the one the inputs
    started), `session` carries its HTTP and `rng` draws the engine's pauses: a simulation
    passes its own (release_bench/inprocess.py), the action never does.
    """
    desired, connection, files = asked.desired, asked.connection, list(asked.files.local)
    overwrite, remove_others = asked.policy.overwrite_files, asked.policy.remove_other_assets
    checksums = asked.files.checksums
    if budget is None:
        deadline = asked.deadline or Deadline(connection.timeout_seconds)  # started before the files were collected
    else:
        deadline = budget(connection.timeout_seconds)
    transport = Transport(connection.api_url, connection.token, deadline, session=session, log=runner.echo)
    github = GitHub(transport, connection.repository, log=runner.echo, secret=connection.token)
    trail = trail if trail is not None else Trail()
    trail.github = github
    engine = Engine(github, deadline=deadline, log=runner.echo, rng=rng)
    if asked.policy.verify_tag:
        engine.require_tag(desired.tag)  # before anything is written
    plan = None
    if asked.policy.dry_run:
        with runner.group(f"Plan for {connection.repository} tag {desired.tag} (dry run: nothing is written)"):
            if asked.changelog is not None:  # the notes it took, line by line
                runner.echo(f"notes: {asked.changelog.describe()}:")
                for line in asked.changelog.text.split("\n"):
                    runner.echo(f"  | {line}")

            def assets(release: dict) -> list:
                return plan_assets(
                    github,
                    deadline,
                    release,
                    files,
                    overwrite=overwrite,
                    remove_others=remove_others,
                    checksums=checksums,
                )

            plan = plan_run(engine, desired, assets=assets if files or checksums else None)
            for line in plan.log_lines():
                runner.echo(line)
        if plan.failure is not None:  # the real run would fail: so does its dry run, saying why
            raise plan.failure
        outcome = Outcome(plan.release, plan.status)
    elif files or checksums:
        assets = AssetRun(runner, github, engine, overwrite=overwrite, remove_others=remove_others, checksums=checksums)
        outcome = assets.converge(desired, files, connection.repository)
    else:
        with runner.group(f"Converge the release of {connection.repository} tag {desired.tag}"):
            result = engine.converge(desired)
        outcome = Outcome(result.release, result.status, tuple(result.warnings), history=tuple(result.history))
    if desired.draft and outcome.release.get("id") is not None and not outcome.release.get("draft"):
        outcome = outcome.warned(stays_published(desired.tag))  # asked for a draft; never undone
    return outcome, Requests(transport.requests_made, transport.writes_made), plan


def report(
    asked: Asked,
    runner: Runner,
    outcome: Outcome,
    requests: Requests,
    writes: tuple[Write, ...] = (),
    plan: Plan | None = None,
) -> None:
    """Warnings, outputs, the job summary and the closing line; for a dry run, the plan's."""
    tag, connection = asked.desired.tag, asked.connection
    for warning in outcome.warnings:
        runner.warning(warning)
    runner.set_outputs(outputs_of(outcome, tag, requests))
    if plan is not None:
        runner.summary(plan.summary(connection.repository, requests, outcome.warnings))
        runner.echo(plan.closing_line(requests))
        return
    runner.summary(summary_of(outcome, tag, connection.repository, requests, connection.api_url, writes))
    runner.echo(closing_line(outcome, requests))


def report_failure(runner: Runner, failure: Failure, trail: Trail, env: Mapping[str, str]) -> None:
    """The job summary of a failed run: the error, what was written before it, where the fix is described."""
    link = troubleshooting_url(failure.title, env)
    runner.summary(failure_summary(failure.title, failure.messages, trail.writes, trail.requests, link))


def run(env: Mapping[str, str], runner: Runner, mode: Mode, trail: Trail | None = None) -> None:
    asked = read_inputs(env)  # every input checked, the files matched and hashed: a bad one writes nothing
    runner.mask(asked.connection.token)
    runner.echo(f"safe-release-action {__version__}")
    for notice in asked.notices:  # what the inputs were read as (refs/tags/v1 → v1)
        runner.notice(notice.render(mode))
    for warning in asked.files.warnings:
        runner.warning(warning.render(mode))
    if asked.changelog is not None and not asked.policy.dry_run:
        runner.echo(f"notes: {asked.changelog.describe()}")
    files = asked.files.local
    if files:  # one line a file (up to 1000): folded
        total = describe_size(sum(file.size for file in files))
        with runner.group(f"Files to attach: {counted(len(files), 'file')}, {total}"):
            for file in files:
                label = "" if file.label is None else f', label "{file.label}"'
                runner.echo(f"file {file.path} → asset {file.name} ({describe_size(file.size)}, {file.digest}{label})")
    trail = trail if trail is not None else Trail()
    outcome, requests, plan = converge(asked, runner, trail)
    worded = tuple(rendered(warning, mode) for warning in outcome.warnings)  # for the reader, as errors are
    report(asked, runner, dataclasses.replace(outcome, warnings=worded), requests, trail.writes, plan)


def main(env: Mapping[str, str] | None = None) -> int:
    """Run the action; the exit status is the step's outcome (0, 1 failed, 2 bad input)."""
    env = os.environ if env is None else env
    runner = Runner(env)
    mode = mode_of(env)  # errors name inputs as the user set them: in a workflow, or as flags
    trail = Trail()
    with runner.safe_stderr(), cancellable():
        try:
            run(env, runner, mode, trail)
            return 0
        except (Exception, KeyboardInterrupt, Cancelled) as exc:  # the last resort: never a traceback
            failure = failure_of(exc, report_to=env.get("GITHUB_ACTION_REPOSITORY", ""), mode=mode)
            try:
                if runner.debug_enabled:
                    with runner.group(f"Traceback of the {type(exc).__name__} (RUNNER_DEBUG=1)"):
                        runner.echo("".join(traceback.format_exception(exc)).rstrip("\n"))
                for message in failure.messages:  # bad input: one error per problem
                    runner.error(message, title=failure.title)
                report_failure(runner, failure, trail, env)
            except (OSError, Cancelled, RunnerFileError):
                pass  # stdout or the summary file is gone, or the runner insists on stopping: nothing more to say
            return failure.code
