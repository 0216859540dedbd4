"""Requests per scenario, counted from the sandbox's request log.

Shared by tests/e2e/test_request_counts.py (which bounds them) and
tests/benchmarks/request_counts.py (which prints them as the README's table).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from release_bench.sandbox import Sandbox

from .conftest import REPO, TAG, WRITES, Action, Run
from .github_clock import github_clock_stopped


@dataclass(frozen=True)
class Counts:
    scenario: str
    runs: int
    requests: int  # all requests the measured run(s) made
    writes: int  # POST, PATCH, DELETE among them
    max_per_run: int  # the most any one run made (from its own report)

    @property
    def per_run(self) -> float:
        return self.requests / self.runs


def requests_reported(run: Run) -> int:
    """The run's own count, from its `requests` output: '{"total": N, "writes": M}'."""
    return json.loads(run.outputs["requests"])["total"]


def _measure(sb: Sandbox, scenario: str, runs: list[Run]) -> Counts:
    log = sb.log
    for run in runs:
        assert run.code == 0, run
    return Counts(
        scenario,
        len(runs),
        len(log),
        sum(1 for e in log if e["method"] in WRITES),
        max(requests_reported(run) for run in runs),
    )


def fresh_create(sb: Sandbox, action: Action) -> Counts:
    runs = [action.run({"tag": TAG, "notes": "notes"})]
    return _measure(sb, "Fresh create", runs)


def unchanged_rerun(sb: Sandbox, action: Action) -> Counts:
    """A re-run of the job some time after the release was made (seeded state is dated past)."""
    sb.seed_release(REPO, TAG, name=TAG, body="notes")
    runs = [action.run({"tag": TAG, "notes": "notes"})]
    return _measure(sb, "Unchanged re-run", runs)


def rerun_in_a_race(sb: Sandbox, action: Action) -> Counts:
    """A run that finds the release as asked seconds after another run wrote it: a race may
    still be under way, so it reads once more after the settle. (Seconds by GitHub's clock,
    stopped here, so that this machine's speed cannot make it a re-run long after.)"""
    with github_clock_stopped():
        action.run({"tag": TAG, "notes": "notes"})
        sb.clear_log()
        runs = [action.run({"tag": TAG, "notes": "notes"})]
    return _measure(sb, "Unchanged, seconds after another run's write", runs)


def update_notes(sb: Sandbox, action: Action) -> Counts:
    action.run({"tag": TAG, "notes": "old notes"})
    sb.clear_log()
    runs = [action.run({"tag": TAG, "notes": "new notes"})]
    return _measure(sb, "Update (new notes)", runs)


def adopt_draft(sb: Sandbox, action: Action) -> Counts:
    sb.seed_release(REPO, TAG, draft=True, body="draft notes")
    runs = [action.run({"tag": TAG, "notes": "final notes"})]
    return _measure(sb, "Adopt and publish an existing draft", runs)


def race_of_8(sb: Sandbox, action: Action) -> Counts:
    runs = action.run_many([{"tag": TAG, "notes": "notes"}] * 8)
    return _measure(sb, "8 concurrent runs, one tag", runs)


SCENARIOS: list[Callable[[Sandbox, Action], Counts]] = [
    fresh_create,
    unchanged_rerun,
    rerun_in_a_race,
    update_notes,
    adopt_draft,
    race_of_8,
]
