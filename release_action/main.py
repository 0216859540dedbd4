"""The action's job from start to end: inputs → converge → outputs, with errors that say what to do."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import requests

from release_action import __version__
from release_action.decide import Desired
from release_action.engine import ConvergeError, Engine, Result
from release_action.github import BudgetExhausted, Deadline, GitHub, GitHubError, OutcomeUnknown
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


def summary_of(result: Result, inputs: Inputs, github: GitHub) -> str:
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
    lines += [f"> [!WARNING]\n> {w}\n" for w in result.warnings]
    return "\n".join(lines) + "\n"


def run(inputs: Inputs, runner: Runner) -> int:
    deadline = Deadline(inputs.timeout_seconds)
    github = GitHub(inputs.api_url, inputs.token, inputs.repository, deadline, log=runner.echo)
    engine = Engine(github, log=runner.echo)
    desired = desired_state(inputs)
    assets: list[dict] = []

    if inputs.dry_run:
        with runner.group(f"Plan for {inputs.repository} tag {inputs.tag} (dry run: nothing is written)"):
            result = engine.converge(desired, dry_run=True)
            for line in result.plan:
                runner.echo(line)
    else:
        with runner.group(f"Converge the release of {inputs.repository} tag {inputs.tag}"):
            result = engine.converge(desired)
    for warning in result.warnings:
        runner.warning(warning)
    runner.set_outputs(outputs_of(result, inputs.tag, assets))
    if not inputs.dry_run:
        runner.summary(summary_of(result, inputs, github))
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
    except InputError as exc:
        runner.error(str(exc), title="safe-release-action: invalid input")
        return 2
    runner.mask(inputs.token)
    runner.echo(f"safe-release-action {__version__}")
    try:
        return run(inputs, runner)
    except (ConvergeError, GitHubError, BudgetExhausted, OutcomeUnknown) as exc:
        runner.error(str(exc), title="safe-release-action failed")
    except requests.RequestException as exc:
        runner.error(
            f"Could not reach {inputs.api_url}: {exc.__class__.__name__}. Check `api_url` and the "
            "runner's network.",
            title="safe-release-action failed",
        )
    return 1
