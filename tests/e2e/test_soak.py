"""The seeded chaos soak: waves of concurrent runs under random faults and random read lag.

Marked `soak` (long): `pytest -m soak` runs it, the default `-m "not soak and not container"`
leaves it out. Each wave starts a few runs at once on random tags with random notes, while
the sandbox fails 10 % of requests at random (502 or reset after committing a write, 500,
secondary rate limits) and reads lag 0-1 s. After every wave the invariants are checked.

Runs within a wave race: any one of their notes may win. Waves depend on each other (a wave
must win over the one before), so each wave starts only once the last write is older than the
read lag: a read older than the lag that already shows what a run asks for cannot be told
from a current one (README, Guarantees: "Later runs win"). `SOAK_SEED` and `SOAK_WAVES`
choose another seed or length.
"""

from __future__ import annotations

import os
import random
import time
from collections import defaultdict

import pytest

from release_bench.sandbox import Sandbox

from .conftest import REPO, WRITES, Action, Run, releases_for

SEED = int(os.environ.get("SOAK_SEED", "20240611"))
WAVES = int(os.environ.get("SOAK_WAVES", "30"))
RUNS_PER_WAVE = 4
FAULT_RATE = 0.1
TAGS = ("v1.0.0", "v1.1.0", "v2.0.0-rc.1")
NOTES = ("Fixes a crash on start.", "## Changes\n\n* faster\n* smaller", "Security release: update now.")
# The sandbox logs a request after its commit; this covers the log's wall clock against the
# lag's monotonic one.
CLOCK_MARGIN = 0.05


def wait_out_read_lag(sb: Sandbox, lag: float) -> None:
    """Sleep until every write so far is visible to reads lagging `lag` seconds."""
    last_write = max((e["t"] for e in sb.log if e["method"] in WRITES), default=None)
    if last_write is not None:
        time.sleep(max(0.0, last_write + lag + CLOCK_MARGIN - time.time()))


def told(pairs: list[tuple[dict, Run]]) -> str:
    """What each run on a tag asked for, reported and logged: the story a failure needs."""
    return "\n".join(
        f"--- asked {asked['notes']!r}: {run.outputs.get('status')} {run.outputs.get('id')}\n{run.stdout[-1500:]}"
        for asked, run in pairs
    )


def test_a_run_started_once_the_read_lag_has_passed_wins_over_the_write_before_it(sb, action: Action):
    """The bound the soak's waves keep, and the README states: after the lag, reads are current.

    Start line: no (two runs one after the other: not a race).

    The release said "first" long ago; a run writes "second" under a 0.1 s lag, then reads lag
    1 s (another replica). A run started at once would read "first", already what it asks
    for, and write nothing; started once the write is older than the lag, it must win.
    """
    sb.seed_release(REPO, "v1.0.0", body="first")
    sb.set_lag(0.1)
    second = action.run({"tag": "v1.0.0", "notes": "second"})
    assert second.outputs.get("status") == "updated", second
    sb.set_lag(1.0)

    wait_out_read_lag(sb, 1.0)
    assert time.time() >= max(e["t"] for e in sb.log if e["method"] in WRITES) + 1.0
    later = action.run({"tag": "v1.0.0", "notes": "first"})

    assert later.code == 0, later
    assert later.outputs["status"] == "updated", later
    assert releases_for(sb, "v1.0.0")[0]["body"] == "first"


@pytest.mark.soak
def test_chaos_soak_every_wave_converges_on_one_release_per_tag(sb, action: Action):
    """Every wave ends with one published release per tag, never replaced, holding one run's notes.

    Start line: no. A wave's runs are released together at the gate (`Action.run_many`) and
    reach the API as this machine schedules them, so how much they overlap varies from wave to
    wave; the claim covers whatever overlap the waves had, not the lockstep case.
    """
    rng = random.Random(SEED)
    sb.set_fault_rate(FAULT_RATE, SEED)
    release_of: dict[str, int] = {}  # tag → the release id, which must never change
    runs_done = 0

    for wave in range(WAVES):
        lag = round(rng.uniform(0.0, 1.0), 2)
        sb.set_lag(lag)
        inputs = [{"tag": rng.choice(TAGS), "notes": rng.choice(NOTES)} for _ in range(RUNS_PER_WAVE)]
        where = f"wave {wave} (seed {SEED}, lag {lag}s, inputs {inputs})"
        wait_out_read_lag(sb, lag)

        results = action.run_many(inputs)
        runs_done += len(results)

        by_tag: dict[str, list[tuple[dict, Run]]] = defaultdict(list)
        for asked, run in zip(inputs, results, strict=True):
            assert run.code == 0, f"{where}: {run!r}"
            by_tag[asked["tag"]].append((asked, run))
        for tag, pairs in by_tag.items():
            releases = releases_for(sb, tag)
            assert len(releases) == 1, f"{where}: {tag} has {len(releases)} releases"
            release = releases[0]
            assert release["draft"] is False, f"{where}: {tag} left as a draft\n{told(pairs)}"
            ids = {run.outputs["id"] for _, run in pairs}
            assert ids == {str(release["id"])}, f"{where}: runs report {ids}, GitHub holds {release['id']}"
            assert release["id"] == release_of.setdefault(tag, release["id"]), f"{where}: {tag} replaced"
            asked_for = {asked["notes"] for asked, _ in pairs}
            assert release["body"] in asked_for, f"{where}: {tag} body {release['body']!r}\n{told(pairs)}"
        leftovers = [r["id"] for r in sb.releases(REPO) if r["draft"]]
        assert leftovers == [], f"{where}: leftover drafts {leftovers}"

    assert runs_done >= 100
    faults = [e for e in sb.log if e["fault"]]
    assert len(faults) >= runs_done // 10, "the soak must really inject faults"
