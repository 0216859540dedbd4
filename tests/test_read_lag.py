"""Reads lagging longer than the settle, in process (release_bench/inprocess.py): runs whose
reads lag by different, fixed amounts, so that one run's picture is a consistent but older
state than another's. The explorer (tests/test_explore.py) enumerates such views within its
bounds; these are cases its discrete pauses do not reach.
"""

from __future__ import annotations

import random

from release_action.budget import Deadline
from release_action.decide import LAG_WINDOW, Desired
from release_action.engine import Engine
from release_bench.harness import TAG, FakeClock
from release_bench.inprocess import Actor, Policy, RunSpec, simulate
from release_bench.sandbox.views import Lagged

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
