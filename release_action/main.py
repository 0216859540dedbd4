"""The action, wired: read inputs → plan or converge (release, then assets) → report → exit code.

Each of those steps lives in its own module; this one only connects them. Every failure,
foreseen or not, ends here in exactly one `::error::` (failures.py words it) and exit code 1,
or 2 for bad input: never a traceback.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from release_action import __version__
from release_action.asset_files import LocalFile, collect, describe_size
from release_action.budget import Deadline
from release_action.decide import Desired
from release_action.engine import Engine, stays_published
from release_action.failures import failure_of
from release_action.github import GitHub
from release_action.inputs import Inputs, read_inputs
from release_action.publish_assets import AssetRun, plan_assets
from release_action.report import Outcome, Requests, closing_line, outputs_of, summary_of
from release_action.runner_io import Cancelled, Runner, cancellable
from release_action.transport import Transport

if TYPE_CHECKING:
    import requests


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


def collect_files(inputs: Inputs, runner: Runner) -> list[LocalFile]:
    """The `files` to attach, hashed; InputError (before any request) when a glob is wrong."""
    if not inputs.files:
        return []
    files = collect(
        inputs.files, inputs.working_directory, inputs.fail_on_unmatched_files, warn=runner.warning, roots=inputs.roots
    )
    for file in files:
        runner.echo(f"file {file.path} → asset {file.name} ({describe_size(file.size)}, {file.digest})")
    return files


def converge(
    inputs: Inputs,
    runner: Runner,
    files: list[LocalFile],
    *,
    budget: Callable[[float], Deadline] = Deadline,
    session: requests.Session | None = None,
) -> tuple[Outcome, Requests]:
    """Bring the release (then its assets) to what the inputs ask, or plan it in a dry run.

    `budget` makes the run's Deadline from `timeout_seconds` and `session` carries its HTTP:
    a simulation passes its own (release_bench/inprocess.py), the action never does.
    """
    deadline = budget(inputs.timeout_seconds)
    transport = Transport(inputs.api_url, inputs.token, deadline, session=session, log=runner.echo)
    github = GitHub(transport, inputs.repository, log=runner.echo)
    engine = Engine(github, deadline=deadline, log=runner.echo)
    desired = desired_state(inputs)
    if inputs.dry_run:
        with runner.group(f"Plan for {inputs.repository} tag {inputs.tag} (dry run: nothing is written)"):
            result = engine.converge(desired, dry_run=True)
            plan = list(result.plan)
            if files:
                plan += plan_assets(github, deadline, result.release, files, overwrite=inputs.overwrite_files)
            for line in plan:
                runner.echo(line)
        outcome = Outcome(result.release, result.status, tuple(result.warnings))
    elif files:
        assets = AssetRun(runner, github, engine, overwrite=inputs.overwrite_files)
        outcome = assets.converge(desired, files, inputs.repository)
    else:
        with runner.group(f"Converge the release of {inputs.repository} tag {inputs.tag}"):
            result = engine.converge(desired)
        outcome = Outcome(result.release, result.status, tuple(result.warnings))
    if desired.draft and outcome.release.get("id") is not None and not outcome.release.get("draft"):
        outcome = outcome.warned(stays_published(desired.tag))  # asked for a draft; never undone
    return outcome, Requests(transport.requests_made, transport.writes_made)


def report(inputs: Inputs, runner: Runner, outcome: Outcome, requests: Requests) -> None:
    for warning in outcome.warnings:
        runner.warning(warning)
    runner.set_outputs(outputs_of(outcome, inputs.tag, requests))
    if not inputs.dry_run:
        runner.summary(summary_of(outcome, inputs.tag, inputs.repository, requests))
    runner.echo(closing_line(outcome, requests))


def run(env: Mapping[str, str], runner: Runner) -> None:
    inputs = read_inputs(env)
    runner.mask(inputs.token)
    runner.echo(f"safe-release-action {__version__}")
    for notice in inputs.notices:  # what the inputs were read as (refs/tags/v1 → v1)
        runner.notice(notice)
    files = collect_files(inputs, runner)  # before any request: a wrong glob writes nothing
    outcome, requests = converge(inputs, runner, files)
    report(inputs, runner, outcome, requests)


def main(env: Mapping[str, str] | None = None) -> int:
    """Run the action; the exit status is the step's outcome (0, 1 failed, 2 bad input)."""
    env = os.environ if env is None else env
    runner = Runner(env)
    with runner.safe_stderr(), cancellable():
        try:
            run(env, runner)
            return 0
        except (Exception, KeyboardInterrupt, Cancelled) as exc:  # the last resort: never a traceback
            failure = failure_of(exc, report_to=env.get("GITHUB_ACTION_REPOSITORY", ""))
            try:
                if runner.debug_enabled:
                    with runner.group(f"Traceback of the {type(exc).__name__} (RUNNER_DEBUG=1)"):
                        runner.echo("".join(traceback.format_exception(exc)).rstrip("\n"))
                runner.error(failure.message, title=failure.title)
            except (OSError, Cancelled):
                pass  # stdout is gone, or the runner insists on stopping: nothing more can be said
            return failure.code
