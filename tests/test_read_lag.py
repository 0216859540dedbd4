"""Reads lagging longer than the settle (2 s), in process (release_bench/inprocess.py): cases the
explorer's discrete pauses and bounds do not reach (tests/test_explore.py enumerates the rest),
each made exactly with per-run read views or a scripted policy, and seeded races where every
read is a snapshot as of a random moment within the lag.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from release_action.budget import Deadline
from release_action.decide import LAG_WINDOW, Desired
from release_action.engine import Engine
from release_bench.harness import TAG, FakeClock
from release_bench.inprocess import Actor, Policy, RunSpec, simulate
from release_bench.sandbox.api import Reply
from release_bench.sandbox.views import Lagged, Snapshot

DRAFT = {"tag": TAG, "notes": "Release notes", "draft": "true"}


class Pauses(Policy):
    """The start line's turns, with each run's pause before a draft create set by name."""

    def __init__(self, pauses: dict[str, float]) -> None:
        self.pauses = pauses

    def draw(self, actor: Actor, low: float, high: float, seeded: random.Random) -> float:
        return self.pauses[actor.name]


def test_a_run_whose_own_new_draft_is_hidden_beside_an_older_one_deletes_it_before_it_ends():
    """run-1 creates a draft at once; run-2 pauses 2 s, and its reads lag 2.5 s: it finds
    nothing and creates a second draft. After its settle its list (as of 1.5 s) shows run-1's
    draft, which changed long enough ago not to be in flux, but not its own, and its read by id of
    its own answers 404. Ending then would leave its draft behind; it looks again until it finds
    it, deletes it, and both runs end on the older draft."""
    specs = [RunSpec("run-1", DRAFT), RunSpec("run-2", DRAFT)]

    def setup(world):
        world.views["run-2"] = Lagged(2.5)

    sim = simulate(specs, Pauses({"run-1": 0.0, "run-2": 2.0}), setup=setup)

    creates = [e for e in sim.world.log if e.route == "create_release"]
    assert [(e.holder, e.status) for e in creates] == [("run-1", 201), ("run-2", 201)], sim.transcript()
    own = creates[1].body["id"]
    hidden = [e for e in sim.world.log if e.holder == "run-2" and e.path.endswith(f"/releases/{own}")]
    assert hidden and hidden[0].method == "GET" and hidden[0].status == 404, sim.transcript()  # the case it is
    releases = [r for r in sim.world.releases() if r["tag_name"] == TAG]
    assert [r["id"] for r in releases] == [creates[0].body["id"]], sim.transcript()
    assert {r.outputs["id"] for r in sim.results} == {str(releases[0]["id"])}
    assert [(e.holder, e.method, e.status) for e in hidden][-1] == ("run-2", "DELETE", 204)


class NothingFound:
    """A GitHub whose every read by id answers 404 (a lagging read, or a release deleted)."""

    repository = "octo/demo"

    def get_release(self, release_id: int) -> None:
        return None


def test_a_404_for_the_runs_own_new_draft_is_read_again_within_the_lag_window_another_runs_is_let_go():
    """A read by id may lag behind this run's own create as a list does: within LAG_WINDOW of the
    create the draft stays known, so that the next observation reads it again (on the published
    release's path no list is read that could show it); a release taken on from another run is
    let go, as the list brings it back."""
    clock = FakeClock()
    engine = Engine(NothingFound(), deadline=Deadline(300, clock=clock.clock, sleep=clock.sleep))  # type: ignore[arg-type]
    engine.memory.owned, engine.memory.known, engine.memory.created_at = {9}, {5, 9}, clock.clock()
    clock.sleep(2.0)

    assert engine._known_drafts(Desired(tag=TAG), skip=set()) == ()
    assert engine.memory.known == {9}

    clock.sleep(LAG_WINDOW)
    engine._known_drafts(Desired(tag=TAG), skip=set())
    assert engine.memory.known == set()


class StaleAssetLists(Policy):
    """Every read fresh but a release's asset list, which lags behind the release's creation as
    long as the lag allows (a 404), and no pause before a draft create."""

    explores_views = True

    def pick_view(self, actor: Actor, options: Sequence[Reply], labels: Sequence[str]) -> int:
        stale = [i for i, label in enumerate(labels) if label.endswith("not there yet")]
        return stale[0] if "/assets" in actor.pending and stale else 0

    def draw(self, actor: Actor, low: float, high: float, seeded: random.Random) -> float:
        return low


def test_a_release_whose_asset_list_lags_behind_its_creation_is_filled_once_the_reads_agree():
    """A lone run with a file, reads lagging 3 s: its list after the settle shows its new draft,
    but the draft's asset list answers 404 until 3 s after the create. That is read lag, not the
    release deleted by a run that won: the run waits for the reads to agree (it used to give up
    after five rounds at the same instant, "kept changing under the upload")."""
    spec = RunSpec("run-1", {"tag": TAG, "files": "dist/app.tar.gz"}, {"dist/app.tar.gz": b"app\n"})

    sim = simulate([spec], StaleAssetLists(), lag=3.0)

    result = sim.result("run-1")
    assert result.code == 0, result.log
    gone = [e for e in sim.world.log if e.route == "list_assets" and e.status == 404]
    assert len(gone) >= 2 and max(e.t for e in gone) < 3.0, sim.transcript()  # the case it is
    release = sim.world.releases()[0]
    assert not release["draft"] and [a["name"] for a in release["assets"]] == ["app.tar.gz"]
    assert sum(e.is_write for e in sim.world.log) == 3, sim.transcript()  # create, upload, publish


class Shuffled(Policy):
    """Any ready run goes next, drawn from a seed; pauses drawn from the run's own seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def next_actor(self, ready: Sequence[Actor], current: Actor | None) -> int:
        return self.rng.randrange(len(ready))


@pytest.mark.parametrize(("count", "files", "lag"), [(3, True, 3.0), (3, False, 3.0), (4, True, 6.0), (4, False, 6.0)])
def test_seeded_races_with_each_read_a_snapshot_lagging_up_to_seconds_end_with_one_release(count, files, lag):
    """Sampled beside the explorer's enumeration: runs taking turns at random, each read the state
    as of a random moment within the lag (views.Snapshot, per run), pauses as the engine draws
    them. With files every run publishes with its file; without, every run asks for a draft."""
    for seed in range(12):
        inputs = [
            {"tag": TAG, "notes": "n"} | ({"files": f"dist/{i}.txt"} if files else {"draft": "true"})
            for i in range(count)
        ]
        specs = [
            RunSpec(f"run-{i}", item, {f"dist/{i}.txt": b"%d\n" % i} if files else {}) for i, item in enumerate(inputs)
        ]

        def setup(world, seed=seed):
            for i in range(count):
                world.views[f"run-{i}"] = Snapshot(lag, seed * 100 + i)

        sim = simulate(specs, Shuffled(seed), seed=seed, setup=setup)

        releases = [r for r in sim.world.releases() if r["tag_name"] == TAG]
        assert len(releases) == 1, f"seed {seed}: {[r['id'] for r in releases]}\n{sim.transcript()}"
        assert releases[0]["draft"] is not files
        assert [r.code for r in sim.results] == [0] * count, f"seed {seed}"
        assert {r.outputs["id"] for r in sim.results} == {str(releases[0]["id"])}, f"seed {seed}"
        assert len(releases[0]["assets"]) == (count if files else 0), f"seed {seed}"
