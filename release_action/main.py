"""The action, wired: read inputs → plan or converge (release, then assets) → report → exit code.

Each of those steps lives in its own module; this one only connects them. Every failure,
foreseen or not, ends here in exactly one `::error::` (failures.py words it) and exit code 1,
or in one `::error::` per bad input and exit code 2: never a traceback. Errors name inputs the
way the run was started (wording.py): `notes_file` under Actions, `--notes-file` with flags.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Mapping

from release_action import __version__
from release_action.asset_files import describe_size
from release_action.budget import Deadline
from release_action.engine import Engine, stays_published
from release_action.failures import failure_of
from release_action.github import GitHub
from release_action.inputs import Asked, read_inputs
from release_action.publish_assets import AssetRun, plan_assets
from release_action.report import Outcome, Requests, closing_line, outputs_of, summary_of
from release_action.runner_io import Cancelled, Runner, cancellable
from release_action.transport import Transport
from release_action.wording import Mode, mode_of


def converge(asked: Asked, runner: Runner) -> tuple[Outcome, Requests]:
    """Bring the release (then its assets) to what the inputs ask, or plan it in a dry run."""
    desired, connection, files = asked.desired, asked.connection, list(asked.files.local)
    overwrite = asked.policy.overwrite_files
    deadline = Deadline(connection.timeout_seconds)
    transport = Transport(connection.api_url, connection.token, deadline, log=runner.echo)
    github = GitHub(transport, connection.repository, log=runner.echo)
    engine = Engine(github, deadline=deadline, log=runner.echo)
    if asked.policy.dry_run:
        with runner.group(f"Plan for {connection.repository} tag {desired.tag} (dry run: nothing is written)"):
            if asked.changelog is not None:  # the notes it took, line by line
                runner.echo(f"notes: {asked.changelog.describe()}:")
                for line in asked.changelog.text.split("\n"):
                    runner.echo(f"  | {line}")
            result = engine.converge(desired, dry_run=True)
            plan = list(result.plan)
            if files:
                plan += plan_assets(github, deadline, result.release, files, overwrite=overwrite)
            for line in plan:
                runner.echo(line)
        outcome = Outcome(result.release, result.status, tuple(result.warnings))
    elif files:
        assets = AssetRun(runner, github, engine, overwrite=overwrite)
        outcome = assets.converge(desired, files, connection.repository)
    else:
        with runner.group(f"Converge the release of {connection.repository} tag {desired.tag}"):
            result = engine.converge(desired)
        outcome = Outcome(result.release, result.status, tuple(result.warnings))
    if desired.draft and outcome.release.get("id") is not None and not outcome.release.get("draft"):
        outcome = outcome.warned(stays_published(desired.tag))  # asked for a draft; never undone
    return outcome, Requests(transport.requests_made, transport.writes_made)


def report(asked: Asked, runner: Runner, outcome: Outcome, requests: Requests) -> None:
    tag = asked.desired.tag
    for warning in outcome.warnings:
        runner.warning(warning)
    runner.set_outputs(outputs_of(outcome, tag, requests))
    if not asked.policy.dry_run:
        runner.summary(summary_of(outcome, tag, asked.connection.repository, requests))
    runner.echo(closing_line(outcome, requests))


def run(env: Mapping[str, str], runner: Runner, mode: Mode) -> None:
    asked = read_inputs(env)  # every input checked, the files matched and hashed: a bad one writes nothing
    runner.mask(asked.connection.token)
    runner.echo(f"safe-release-action {__version__}")
    for notice in asked.notices:  # what the inputs were read as (refs/tags/v1 → v1)
        runner.notice(notice.render(mode))
    for warning in asked.files.warnings:
        runner.warning(warning.render(mode))
    if asked.changelog is not None and not asked.policy.dry_run:
        runner.echo(f"notes: {asked.changelog.describe()}")
    for file in asked.files.local:
        runner.echo(f"file {file.path} → asset {file.name} ({describe_size(file.size)}, {file.digest})")
    outcome, requests = converge(asked, runner)
    report(asked, runner, outcome, requests)


def main(env: Mapping[str, str] | None = None) -> int:
    """Run the action; the exit status is the step's outcome (0, 1 failed, 2 bad input)."""
    env = os.environ if env is None else env
    runner = Runner(env)
    mode = mode_of(env)  # errors name inputs as the user set them: in a workflow, or as flags
    with runner.safe_stderr(), cancellable():
        try:
            run(env, runner, mode)
            return 0
        except (Exception, KeyboardInterrupt, Cancelled) as exc:  # the last resort: never a traceback
            failure = failure_of(exc, report_to=env.get("GITHUB_ACTION_REPOSITORY", ""), mode=mode)
            try:
                if runner.debug_enabled:
                    with runner.group(f"Traceback of the {type(exc).__name__} (RUNNER_DEBUG=1)"):
                        runner.echo("".join(traceback.format_exception(exc)).rstrip("\n"))
                for message in failure.messages:  # bad input: one error per problem
                    runner.error(message, title=failure.title)
            except (OSError, Cancelled):
                pass  # stdout is gone, or the runner insists on stopping: nothing more can be said
            return failure.code
