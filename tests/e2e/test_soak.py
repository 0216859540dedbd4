"""The seeded chaos soak: waves of concurrent runs under random faults and random read lag.

Marked `soak` (long): `pytest -m soak` runs it, the default `-m "not soak and not container"`
leaves it out. Each wave starts a few runs at once on random tags with random notes, while
the sandbox fails 10 % of requests at random (502 or reset after committing a write, 500,
secondary rate limits) and reads lag 0-1 s. After every wave the invariants are checked.
"""

from __future__ import annotations

import os
import random
from collections import defaultdict

import pytest

from .conftest import REPO, Action, releases_for

SEED = int(os.environ.get("SOAK_SEED", "20240611"))
WAVES = int(os.environ.get("SOAK_WAVES", "30"))
RUNS_PER_WAVE = 4
FAULT_RATE = 0.1
TAGS = ("v1.0.0", "v1.1.0", "v2.0.0-rc.1")
NOTES = ("Fixes a crash on start.", "## Changes\n\n* faster\n* smaller", "Security release: update now.")


@pytest.mark.soak
def test_chaos_soak_every_wave_converges_on_one_release_per_tag(sb, action: Action):
    rng = random.Random(SEED)
    sb.set_fault_rate(FAULT_RATE, SEED)
    release_of: dict[str, int] = {}  # tag → the release id, which must never change
    runs_done = 0

    for wave in range(WAVES):
        lag = round(rng.uniform(0.0, 1.0), 2)
        sb.set_lag(lag)
        inputs = [{"tag": rng.choice(TAGS), "notes": rng.choice(NOTES)} for _ in range(RUNS_PER_WAVE)]
        where = f"wave {wave} (seed {SEED}, lag {lag}s, inputs {inputs})"

        results = action.run_many(inputs)
        runs_done += len(results)

        by_tag: dict[str, list[tuple[dict, object]]] = defaultdict(list)
        for asked, run in zip(inputs, results, strict=True):
            assert run.code == 0, f"{where}: {run!r}"
            by_tag[asked["tag"]].append((asked, run))
        for tag, pairs in by_tag.items():
            releases = releases_for(sb, tag)
            assert len(releases) == 1, f"{where}: {tag} has {len(releases)} releases"
            release = releases[0]
            assert release["draft"] is False, f"{where}: {tag} left as a draft"
            ids = {run.outputs["id"] for _, run in pairs}
            assert ids == {str(release["id"])}, f"{where}: runs report {ids}, GitHub holds {release['id']}"
            assert release["id"] == release_of.setdefault(tag, release["id"]), f"{where}: {tag} replaced"
            assert release["body"] in {asked["notes"] for asked, _ in pairs}, f"{where}: body {release['body']!r}"
        leftovers = [r["id"] for r in sb.releases(REPO) if r["draft"]]
        assert leftovers == [], f"{where}: leftover drafts {leftovers}"

    assert runs_done >= 100
    faults = [e for e in sb.log if e["fault"]]
    assert len(faults) >= runs_done // 10, "the soak must really inject faults"
