"""The explorer (release_bench/explore.py): it finds known-wrong variants of the action, it finds
nothing in today's action where none is known, and what it prints replays.

The seeded bugs are injected here, by monkeypatching the action's own modules; the shipped
code has no flag for them. Each must be found within the configuration's CI bounds, and the
cost (schedules run before the first violation) is deterministic, so it is bounded too.
"""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from release_action import budget, decide, engine
from release_action.decide import Observed, Release
from release_action.github import GitHub
from release_action.transport import Conflict, GitHubError, OutcomeUnknown
from release_bench import explore
from release_bench.__main__ import cli
from release_bench.explore import CONFIGS, Bounds, Explorer, replay
from release_bench.inprocess import SNAPSHOT

# -- the seeded bugs ------------------------------------------------------------------------------


def newest_draft(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take the newest draft instead of the oldest: decide() sees every id negated."""
    real = engine.decide

    def newest(desired, observed, context=None):
        context = context or decide.Context()
        if observed.published is not None or not observed.drafts:
            return real(desired, observed, context)
        drafts = tuple(dataclasses.replace(d, id=-d.id) for d in observed.drafts)
        owned = frozenset(-i for i in context.owned)
        step = real(desired, Observed(None, drafts), dataclasses.replace(context, owned=owned))
        return dataclasses.replace(step, release_id=-step.release_id) if hasattr(step, "release_id") else step

    monkeypatch.setattr(engine, "decide", newest)


def no_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip the settle: verify at once after a create or publish."""
    monkeypatch.setattr(budget.Deadline, "settle", lambda self, why: None)


def blind_to_assets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Delete a draft that holds assets: every draft looks empty to the decision."""
    real = Release.from_json.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        Release, "from_json", classmethod(lambda cls, data: dataclasses.replace(real(cls, data), asset_count=0))
    )


def retry_lost_create(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry a create whose answer was lost, instead of looking first."""
    real = GitHub.create_release

    def create(self, payload):
        try:
            return real(self, payload)
        except OutcomeUnknown:
            return real(self, payload)

    monkeypatch.setattr(GitHub, "create_release", create)


def gives_up_on_a_refused_create(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take another run's 422 already_exists for a failure (beyond the four: it needs a preemption)."""
    real = GitHub.create_release

    def create(self, payload):
        try:
            return real(self, payload)
        except Conflict as exc:
            raise GitHubError(exc.status, exc.message, method=exc.method, url=exc.url) from exc

    monkeypatch.setattr(GitHub, "create_release", create)


def trusts_one_fresh_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """After appending notes, wait out only the lag the first read back measured (the action before
    NOTES_LAG_FLOOR: a later read may be staler than that one)."""
    monkeypatch.setattr(engine, "NOTES_LAG_FLOOR", 0.0)


SEEDED = {
    # bug: (the configuration it is found in, the invariant it breaks); found within that configuration's CI bounds
    "newest draft": (newest_draft, "2-runs-beside-a-filled-draft", "oldest draft"),
    "no settle": (no_settle, "2-runs-and-a-drafter", "one release"),
    "deletes a filled draft": (blind_to_assets, "2-runs-beside-a-filled-draft", "deleted uploads"),
    "retries a lost create": (retry_lost_create, "2-runs-with-lost-answers", "blind retry"),
    "gives up on a refused create": (gives_up_on_a_refused_create, "3-runs", "run failed"),
    "trusts one fresh read": (trusts_one_fresh_read, "2-runs-appending-their-notes", "notes once"),
}
MOST = 200  # schedules run before the first violation, at most (measured: 1, 1, 1, 4, 13 and 47)


@pytest.mark.parametrize("bug", SEEDED)
def test_the_explorer_finds_each_seeded_bug_within_the_ci_bounds_and_prints_a_trace_that_replays_it(
    monkeypatch: pytest.MonkeyPatch, bug: str
):
    inject, slug, kind = SEEDED[bug]
    config = CONFIGS[slug]
    inject(monkeypatch)

    with Explorer(config) as explorer:
        reports = [explorer.explore(bounds) for bounds in config.bounds]
        found = next(r for r in reports if r.violation is not None)
        shrunk = explorer.shrink(found.violation)
        again = replay(f"{slug}:{shrunk.trace}")
        monkeypatch.undo()  # today's action, through the very same schedules
        today = explorer.explore(found.bounds, limit=found.schedules + found.cut)

    assert found.violation.violations[0].kind == kind, found.violation.violations
    assert found.schedules + found.cut <= MOST, found.line()
    assert shrunk.trace.count("=") <= found.violation.trace.count("=")
    assert [v.kind for v in again.violations][:1] == [kind], explore.describe(config, again)
    assert today.violation is None, explore.describe(config, today.violation)


# -- today's action -------------------------------------------------------------------------------

HOLDING = [slug for slug, config in CONFIGS.items() if SNAPSHOT not in config.known]
KNOWN = [(slug, views) for slug, config in CONFIGS.items() for views in config.known]


@pytest.mark.soak
@pytest.mark.parametrize("slug", HOLDING)
def test_every_schedule_within_the_ci_bounds_keeps_every_invariant(slug: str):
    """The CI exploration: every configuration without a known violation, exhaustively within its
    CI bounds, reads served as snapshots (the default). Budget: 60 s of wall time for all of them
    together on 2 cores; measured: 21 s in one process at a load average of 1.
    Marked `soak` (long): .ci/run runs it, the quick loop leaves it out.
    """
    config = CONFIGS[slug]
    with Explorer(config) as explorer:
        for bounds in config.bounds:
            report = explorer.explore(bounds)
            assert report.violation is None, explore.describe(config, report.violation)
            assert report.exhausted, report.line()
            assert report.schedules > 1 and report.states > 1, report.line()


def transcript_has(schedule: explore.Schedule, *lines: str) -> bool:
    """Whether each of `lines` (the words of a transcript line, spaces collapsed) is in the schedule's transcript."""
    text = [" ".join(line.split()) for line in schedule.transcript.splitlines()]
    return all(any(want in line for line in text) for want in lines)


LIST, TAGGED = "GET /repos/octo/demo/releases?per_page=100", "GET /repos/octo/demo/releases/tags/v1.0.0"
# Found by the explorer in the action as it was before reads lagging longer than the settle were
# handled (docs/design.md, "Settle and lag"); each replays the same stale reads, and must now end
# well. What makes each one the case it was is checked in its transcript, so that an engine change
# that moves the requests (and the trace with them) fails here instead of passing on another path.
REGRESSIONS = {
    "2-runs-asking-for-a-draft-3-s-lag:7=1,18=2": (
        "Two runs asking for a draft both create one at the same moment; after the settle run-1's list "
        "is stale and shows neither draft, while its read by id shows its own. It used to end on its own "
        "draft beside run-2's older one (two drafts left, the outputs disagreeing); now it waits until a "
        "list shows its draft, and with it the older one, adopts that and deletes its own.",
        (
            "run-2 POST /repos/octo/demo/releases → 201",
            "run-1 POST /repos/octo/demo/releases → 201",
            f"run-1 {LIST} → 200 [stale: 100001 not there yet, 100002 not there yet]",
            "run-1 GET /repos/octo/demo/releases/100002 → 200 [fresh]",
            "run-1 DELETE /repos/octo/demo/releases/100002 → 204",
        ),
    ),
    "2-runs-with-one-file-each-3-s-lag:28=1,46=5": (
        "The build matrix: run-2 adopts run-1's draft without writing to it and uploads its file into "
        "it; in the final converge its list no longer shows the draft. It used to create a published, "
        "empty release, and run-1 then deleted its own draft holding run-2's upload; now run-2 remembers "
        "the draft it took on, reads it by id and publishes it.",
        (
            "run-2 POST /api/uploads/repos/octo/demo/releases/100001/assets?name=app-macos.tar.gz → 201",
            f"run-2 {LIST} → 200 [stale: 100001 not there yet]",
            "run-2 GET /repos/octo/demo/releases/100001 → 200 [fresh]",
        ),
    ),
    "2-runs-with-one-file-each-3-s-lag:28=1,46=5,48=5": (
        "As above, and run-2's read of the draft by id lags too (404): it sees nothing at all, and waits "
        "for the release it took on instead of creating one.",
        (
            f"run-2 {LIST} → 200 [stale: 100001 not there yet]",
            "run-2 GET /repos/octo/demo/releases/100001 → 404 [stale: 100001 not there yet]",
            f"run-2 {TAGGED} → 200 [fresh]",
        ),
    ),
    "2-runs-appending-their-notes:2=1,12=1": (
        "Two runs append to notes written by hand. run-2 writes its line; run-1, which read the body "
        "before that write, writes its own onto it and drops run-2's. run-2's read back half a second "
        "later was stale, showing its own write: it ended with its line gone. Now it waits out at least "
        "the settle (NOTES_LAG_FLOOR), reads the body without its line, and writes it again.",
        (
            "run-2 PATCH /repos/octo/demo/releases/100001 → 200",
            "run-1 PATCH /repos/octo/demo/releases/100001 → 200",
            "run-2 PATCH /repos/octo/demo/releases/100001 → 200",
        ),
    ),
}


@pytest.mark.parametrize("trace", REGRESSIONS)
def test_a_violation_the_explorer_found_in_an_earlier_action_is_fixed(trace: str):
    why, lines = REGRESSIONS[trace]
    schedule = replay(trace)
    config, _, _ = explore.parse_trace(trace)

    assert not schedule.violations, explore.describe(config, schedule)
    assert transcript_has(schedule, *lines), f"not the case it was ({why}):\n{explore.describe(config, schedule)}"


# What the stricter read model (per release, any version within the lag) still finds, and the
# snapshot model cannot: a list that shows a newer release without an older one.
PER_RELEASE_TRACE = "2-runs-asking-for-a-draft-3-s-lag@per-release:7=1,18=2"


def test_per_release_views_still_find_a_list_showing_a_new_draft_without_an_older_one():
    schedule = replay(PER_RELEASE_TRACE)
    config, _, _ = explore.parse_trace(PER_RELEASE_TRACE)

    assert [v.kind for v in schedule.violations][:1] == ["one release"], explore.describe(config, schedule)
    assert transcript_has(schedule, f"run-1 {LIST} → 200 [stale: 100001 not there yet]"), schedule.transcript


def test_a_snapshot_never_shows_a_release_without_the_ones_written_before_it():
    """The same read, at the same point, under both models: per release it may leave out the
    older draft and show the newer one; as a snapshot only both or neither or the older alone."""
    per_release = replay(PER_RELEASE_TRACE).points[18]
    snapshot = replay(PER_RELEASE_TRACE.replace("@per-release", "")).points[18]

    assert per_release.kind == snapshot.kind == "view"
    assert "run-1 reads stale: 100001 not there yet" in per_release.labels  # 100002 shown without 100001
    assert "run-1 reads stale: 100001 not there yet" not in snapshot.labels
    assert set(snapshot.labels) < set(per_release.labels) | {
        "run-1 reads stale: 100001 not there yet, 100002 not there yet"
    }
    assert len(snapshot.labels) < len(per_release.labels)


@pytest.mark.parametrize(("slug", "views"), KNOWN)
def test_the_configurations_with_a_known_violation_still_have_it(slug: str, views: str):
    """Strictly: when the action changes so that this is no longer found, this fails, and the
    configuration's `known` goes."""
    config = CONFIGS[slug]
    with Explorer(config, views=views) as explorer:
        report = explorer.explore(config.bounds[0])
    assert report.violation is not None, f"{report.line()}: fixed? then clear `known` in explore.CONFIGS"
    assert report.violation.violations[0].kind == config.known[views]


# -- the search itself ---------------------------------------------------------------------------------


def outcomes(explorer: Explorer, bounds: Bounds, *, cache: bool) -> set[str]:
    """Every final state and report the schedules within `bounds` end in."""
    found: set[str] = set()
    real = explorer.run

    def run(prefix, b, *, cache=False, keep=False):
        schedule = real(prefix, b, cache=cache and use_cache, keep=True)
        if schedule.ending == "end":
            sim = schedule.sim
            state = sorted((r["id"], r["draft"], r["tag_name"], r["body"]) for r in sim.world.releases())
            runs = [(a.name, a.result.code, a.result.outputs.get("id")) for a in sim.actors if a.is_run]
            found.add(json.dumps([state, runs]))
        return schedule

    use_cache = cache
    explorer.run = run  # type: ignore[method-assign]
    try:
        explorer.explore(bounds, stop_at_first=False)
    finally:
        del explorer.run
    return found


def test_cutting_at_states_explored_before_loses_no_outcome():
    """The state cache is sound: the schedules it cuts reach nothing the others do not."""
    config = CONFIGS["2-runs-and-a-drafter"]
    bounds = Bounds(preemptions=1, stale=1)
    with Explorer(config) as explorer:
        cached = outcomes(explorer, bounds, cache=True)
        full = outcomes(explorer, bounds, cache=False)
        report = explorer.explore(bounds)
    assert cached == full
    assert len(full) > 1
    assert report.cut > 0, "the cache cut some schedules short"


def test_a_schedule_replays_exactly():
    config = CONFIGS["a-run-beside-a-re-run"]
    with Explorer(config) as explorer:
        choices = [0, 1, 0, 2, 0, 1]
        first, second = explorer.run(choices, None), explorer.run(choices, None)
    assert first.transcript == second.transcript
    assert first.choices == second.choices


def test_the_command_lists_explores_and_replays(capsys: pytest.CaptureFixture[str]):
    assert cli(["explore", "--list"]) == 0  # python -m release_bench explore --list
    assert "2-runs-and-a-drafter" in capsys.readouterr().out

    start = time.perf_counter()
    assert explore.main(["2-runs-beside-a-filled-draft"]) == 0
    out = capsys.readouterr().out
    assert "2 runs beside a filled draft [1 preemption, 0 stale reads, 0 lost answers]:" in out
    assert "all explored" in out and "states" in out and time.perf_counter() - start < 60

    assert explore.main(["--replay", PER_RELEASE_TRACE]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"trace {PER_RELEASE_TRACE}") and "VIOLATION one release" in out

    fixed = next(iter(REGRESSIONS))
    assert explore.main(["--replay", fixed]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"trace {fixed}") and "no invariant broken" in out

    assert explore.main(["--replay", "no-such-configuration:1=1"]) == 2
    assert explore.main(["--replay", "3-runs@no-such-views:1=1"]) == 2
    assert explore.main(["--replay", "3-runs:one"]) == 2
    assert explore.main(["no-such-configuration"]) == 2
