"""Specification of the demo's "what happened": the simulator's record of a race, as lines in order."""

from __future__ import annotations

from release_bench.timeline import timeline

RUNS = ["run-1", "run-2", "run-3", "run-4"]


def entry(t: float, client: str, method: str, route: str, status: int, release: int | None = None, draft=None):
    return {"t": t, "client": client, "method": method, "route": route, "status": status, "release": release,
            "draft": draft}  # fmt: skip


# The Dask race: run 2's release is published, the drafter turns it back into a draft, so the
# lock lets run 4's create through too; the others are refused; run 2 deletes its own draft.
LOG = [
    entry(100.00, "run-1", "GET", "get_release_by_tag", 404),
    entry(100.10, "run-2", "POST", "create_release", 201, 100001, False),
    entry(100.12, "run-1", "POST", "create_release", 422),
    entry(100.20, "run-4", "POST", "create_release", 201, 100002, False),
    entry(100.21, "run-3", "POST", "create_release", 422),
    entry(100.25, "run-1", "POST", "create_release", 422),
    entry(102.70, "run-2", "GET", "get_release", 200, 100001, True),
    entry(102.80, "run-2", "DELETE", "delete_release", 204, 100001),
    entry(103.00, "write", "DELETE", "delete_release", 204, 100002),  # not a run of the race
]
DRAFTED = [{"t": 100.15, "release": 100001}]


def test_the_timeline_tells_who_wrote_what_in_order_with_the_drafters_flip():
    assert timeline(LOG, DRAFTED, RUNS) == [
        " 0.00 s  run 2: create → 201: release 100001, published",
        " 0.02 s  run 1: create → 422: refused, the tag has a published release",
        " 0.05 s  the drafter: turns release 100001 back into a draft",
        " 0.10 s  run 4: create → 201: release 100002, published",
        " 0.11 s  runs 3, 1: create → 422 each: refused, the tag has a published release",
        " 2.70 s  run 2: delete its own release 100001 → 204",
    ]


def test_a_delete_names_whose_release_it_was_and_an_update_what_it_left():
    log = [
        entry(0.0, "run-1", "POST", "create_release", 201, 7, True),
        entry(1.0, "run-2", "PATCH", "update_release", 200, 7, False),
        entry(2.0, "run-2", "DELETE", "delete_release", 204, 7),
        entry(3.0, "run-2", "DELETE", "delete_release", 404, 5),
    ]
    assert timeline(log, [], RUNS) == [
        " 0.00 s  run 1: create → 201: release 7, a draft",
        " 1.00 s  run 2: update release 7 → 200: published",
        " 2.00 s  run 2: delete run 1's release 7 → 204",
        " 3.00 s  run 2: delete release 5 → 404",
    ]


def test_no_write_no_timeline():
    assert timeline([entry(0.0, "run-1", "GET", "get_release_by_tag", 200, 7, False)], [], RUNS) == []
