"""The end-to-end suite's races, in process: each test here is the twin of one e2e test.

The twin runs the same action code (main's wiring, the Engine, the asset sync, the
draft-until-assets loop, the real Transport) against the same simulator code (its Api and
Store), through a fake HTTP session, on a discrete-event clock (release_bench/inprocess.py).
Runs take turns request by request, as the e2e suite's start line lines them up (every run
decides on one picture, GitHub's lock decides between their creates); the e2e suite samples
real interleavings over HTTP, this one is exact and takes a fraction of a second. Each
docstring names the e2e test it mirrors.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
import requests

from release_bench.harness import REPO, TAG
from release_bench.inprocess import READY, UPLOADS_URL, Actor, FakeSession, InTurn, RunSpec, Simulation, simulate
from release_bench.race import evidence
from release_bench.sandbox.views import Lagged

E2E = "tests/e2e/"


def runs(inputs: Sequence[dict[str, str]], files: dict[str, bytes] | None = None) -> list[RunSpec]:
    return [RunSpec(f"run-{i + 1}", {"tag": TAG, **item}, files or {}) for i, item in enumerate(inputs)]


def releases_for(sim: Simulation, tag: str = TAG) -> list[dict]:
    return [r for r in sim.world.releases() if r["tag_name"] == tag]


def requests_to(sim: Simulation, route: str) -> list:
    return [e for e in sim.world.log if e.route == route and e.holder != "drafter"]


def raced(sim: Simulation, write: str = "create_release") -> bool:
    holders = [a.name for a in sim.actors if a.is_run]
    return evidence([{"client": e.holder, "route": e.route} for e in sim.world.log], holders, write).raced


def assert_converged(sim: Simulation, *, draft: bool = False, bodies: tuple[str, ...] | None = None) -> dict:
    """As tests/e2e/conftest.py's: every run succeeded and agrees; one release for the tag, as asked."""
    results = sim.results
    assert len(results) == len(sim.prepared), "every run ends"
    for result in results:
        assert result.code == 0, result.log
    releases = releases_for(sim)
    assert len(releases) == 1, f"expected one release for {TAG}, found {releases}\n{sim.transcript()}"
    release = releases[0]
    assert {r.outputs["id"] for r in results} == {str(release["id"])}, sim.transcript()
    assert release["draft"] is draft, release
    for result in results:
        assert result.outputs["tag"] == TAG
        assert result.outputs["draft"] == ("true" if draft else "false"), result.log
        assert result.outputs["status"] in ("created", "updated", "unchanged")
    leftovers = [r["id"] for r in sim.world.releases() if r["draft"] and r["id"] != release["id"]]
    assert leftovers == [], f"leftover drafts: {leftovers}"
    if bodies is not None:
        assert release["body"] in bodies, release["body"]
    return release


# -- tests/e2e/test_races.py ------------------------------------------------------------------------


@pytest.mark.parametrize("lag", [0.0, 1.0], ids=["no-lag", "1s-lag"])
@pytest.mark.parametrize("count", [8, 32])
def test_concurrent_runs_with_the_same_inputs_make_one_release(count: int, lag: float):
    """Twin of e2e test_races.py::test_concurrent_runs_with_the_same_inputs_make_one_release."""
    sim = simulate(runs([{"notes": "Same notes", "name": "One"}] * count), lag=lag)

    assert raced(sim)
    release = assert_converged(sim, bodies=("Same notes",))
    assert release["name"] == "One"
    assert len(requests_to(sim, "create_release")) <= count
    statuses = [r.outputs["status"] for r in sim.results]
    assert statuses.count("created") == 1, statuses


def test_concurrent_runs_with_different_notes_leave_exactly_one_of_them():
    """Twin of e2e test_races.py::test_concurrent_runs_with_different_notes_leave_exactly_one_of_them."""
    notes = [f"notes from run {i}\n\n* change {i}" for i in range(8)]

    sim = simulate(runs([{"notes": n} for n in notes]))

    assert raced(sim)
    assert_converged(sim, bodies=tuple(notes))


def test_concurrent_runs_with_different_notes_and_lag_leave_exactly_one_of_them():
    """Twin of e2e test_races.py::test_concurrent_runs_with_different_notes_and_lag_leave_exactly_one_of_them."""
    notes = [f"notes from run {i}" for i in range(4)]

    sim = simulate(runs([{"notes": n} for n in notes]), lag=1.0)

    assert raced(sim)
    assert_converged(sim, bodies=tuple(notes))


def test_the_dask_race_a_drafter_flipping_the_release_back_ends_published():
    """Twin of e2e test_races.py::test_the_dask_race_a_drafter_flipping_the_release_back_ends_published."""
    sim = simulate(runs([{"notes": "Release notes"}] * 6), setup=lambda w: w.start_drafter(flips=2, delay=0.05))

    assert raced(sim)
    assert_converged(sim, bodies=("Release notes",))
    flips = [e for e in sim.world.log if e.holder == "drafter" and e.status == 200]
    assert len(flips) == 2, "the drafter struck twice, and the runs published again each time"


def test_the_dask_race_a_drafting_run_beside_publishing_runs_ends_published():
    """Twin of e2e test_races.py::test_the_dask_race_a_drafting_run_beside_publishing_runs_ends_published."""
    inputs = [{"notes": "drafter notes", "draft": "true"}] + [{"notes": "publisher notes"}] * 5

    sim = simulate(runs(inputs), setup=lambda w: w.start_drafter(flips=1, delay=0.05))

    assert raced(sim)
    assert all(r.code == 0 for r in sim.results), sim.transcript()
    releases = releases_for(sim)
    assert len(releases) == 1, releases
    assert releases[0]["draft"] is False, "the publishers must win: never left as a draft"
    assert releases[0]["body"] in ("drafter notes", "publisher notes")
    assert {r.outputs["id"] for r in sim.results} == {str(releases[0]["id"])}
    assert all(r.outputs["draft"] == "false" for r in sim.results[1:])
    assert [r for r in sim.world.releases() if r["draft"]] == []


def test_the_dask_race_with_read_lag_inside_the_settle_window():
    """Twin of e2e test_races.py::test_the_dask_race_with_read_lag_inside_the_settle_window."""
    sim = simulate(runs([{"notes": "Release notes"}] * 6), lag=1.0, setup=lambda w: w.start_drafter(delay=0.05))

    assert raced(sim)
    assert_converged(sim, bodies=("Release notes",))


def test_a_drafter_that_never_stops_fails_the_run_naming_the_cause():
    """Twin of e2e test_races.py::test_a_drafter_that_never_stops_fails_the_run_naming_the_cause."""
    sim = simulate(runs([{"notes": "Release notes"}]), setup=lambda w: w.start_drafter(flips=1000, delay=0.05))

    (result,) = sim.results
    assert result.code == 1
    assert "another workflow keeps drafting this tag" in result.error
    assert 3 <= len(requests_to(sim, "update_release")) <= 5
    assert len(releases_for(sim)) == 1


# if_exists under a race


def test_under_if_exists_fail_of_eight_racing_runs_exactly_one_succeeds_and_nothing_else_is_left():
    """Twin of e2e test_races.py::
    test_under_if_exists_fail_of_eight_racing_runs_exactly_one_succeeds_and_nothing_else_is_left."""
    sim = simulate(runs([{"notes": "notes", "if_exists": "fail"}] * 8), lag=1.0)

    assert raced(sim)
    winners = [r for r in sim.results if r.code == 0]
    assert len(winners) == 1, sim.transcript()
    (release,) = sim.world.releases()
    assert release["draft"] is False and release["body"] == "notes"
    assert winners[0].outputs["status"] == "created" and winners[0].outputs["id"] == str(release["id"])
    for result in sim.results:
        if result is not winners[0]:
            assert result.code == 1 and f"release {release['id']}: {release['html_url']}" in result.error


def test_under_if_exists_fail_racing_runs_with_files_leave_one_release_and_delete_their_drafts():
    """Twin of e2e test_races.py::
    test_under_if_exists_fail_racing_runs_with_files_leave_one_release_and_delete_their_drafts."""
    files = {"dist/app.tar.gz": b"build output\n"}

    sim = simulate(runs([{"notes": "n", "files": "dist/*", "if_exists": "fail"}] * 8, files), lag=1.0)

    assert raced(sim)
    winners = [r for r in sim.results if r.code == 0]
    assert len(winners) == 1, sim.transcript()
    (release,) = sim.world.releases()
    assert release["draft"] is False and [a["name"] for a in release["assets"]] == ["app.tar.gz"]
    assert len(requests_to(sim, "upload_asset")) > 1, "several runs filled a draft of their own"
    assert all(r.code == 1 for r in sim.results if r is not winners[0])


def test_under_if_exists_skip_of_eight_racing_runs_one_creates_and_the_others_skip():
    """Twin of e2e test_races.py::test_under_if_exists_skip_of_eight_racing_runs_one_creates_and_the_others_skip."""
    sim = simulate(runs([{"notes": "notes", "if_exists": "skip"}] * 8), lag=1.0)

    assert raced(sim)
    assert all(r.code == 0 for r in sim.results), sim.transcript()
    assert sorted(r.outputs["status"] for r in sim.results) == ["created"] + ["skipped"] * 7
    (release,) = sim.world.releases()
    assert {r.outputs["id"] for r in sim.results} == {str(release["id"])}
    assert release["draft"] is False and release["body"] == "notes"


# notes that commute: appended, or in sections of different names

EARLIER = "## Highlights\r\n\r\nWritten by hand on the release page.\r\n"


@pytest.mark.parametrize("lag", [0.0, 1.0], ids=["no-lag", "1s-lag"])
def test_racing_runs_appending_different_notes_end_with_each_once_and_the_earlier_body_kept(lag: float):
    """Twin of e2e test_races.py::
    test_racing_runs_appending_different_notes_end_with_each_once_and_the_earlier_body_kept."""
    texts = [f"* build {i}: ok" for i in range(8)]

    sim = simulate(
        runs([{"notes": t, "append_notes": "true", "timeout_seconds": "120"} for t in texts]),
        lag=lag,
        setup=lambda w: w.seed_release(name=TAG, body=EARLIER),
    )

    assert raced(sim, "update_release")
    body = assert_converged(sim)["body"]
    assert body.startswith(EARLIER + "\n"), body
    assert sorted(line for line in body[len(EARLIER) :].split("\n") if line) == texts, body
    assert len(requests_to(sim, "update_release")) > len(texts), "the first writes dropped each other's notes"


@pytest.mark.parametrize("lag", [0.0, 1.0], ids=["no-lag", "1s-lag"])
def test_racing_runs_with_sections_of_different_names_end_with_every_section_once(lag: float):
    """Twin of e2e test_races.py::test_racing_runs_with_sections_of_different_names_end_with_every_section_once."""
    names = [f"os-{i}" for i in range(8)]

    sim = simulate(
        runs([{"notes": f"built on {n}", "notes_section": n, "timeout_seconds": "120"} for n in names]), lag=lag
    )

    assert raced(sim)
    body = assert_converged(sim)["body"]
    for name in names:
        assert body.count(f"<!-- safe-release:begin {name} -->") == 1, body
        assert f"<!-- safe-release:begin {name} -->\nbuilt on {name}\n<!-- safe-release:end {name} -->" in body


def test_two_runs_wanting_different_text_in_one_section_stop_after_bounded_repairs():
    """Twin of e2e test_races.py::test_two_runs_wanting_different_text_in_one_section_stop_after_bounded_repairs."""
    sim = simulate(
        runs([{"notes": f"text {i}", "notes_section": "same"} for i in range(2)]),
        setup=lambda w: w.seed_release(name=TAG, body="Intro"),
    )

    assert raced(sim, "update_release")
    body = assert_converged(sim)["body"]
    assert body.startswith("Intro\n\n") and ("text 0\n" in body or "text 1\n" in body), body
    assert len(requests_to(sim, "update_release")) <= 2 * 4


# -- tests/e2e/test_faults.py -----------------------------------------------------------------------

STALL = {"stall": 3.0}  # longer than the 2 s read timeout a 12 s budget gives: the answer never comes


@pytest.mark.parametrize("kind", ["502_after_commit", "reset_after_commit", "stall_after_commit"])
def test_a_create_that_commits_and_then_fails_makes_no_duplicate(kind: str):
    """Twin of e2e test_faults.py::test_a_create_that_commits_and_then_fails_makes_no_duplicate."""
    extra = {"timeout_seconds": "12"} if kind == "stall_after_commit" else {}

    sim = simulate(runs([{"notes": "notes", **extra}]), setup=lambda w: w.add_fault("create_release", kind, **STALL))

    assert_converged(sim, bodies=("notes",))
    assert len(requests_to(sim, "create_release")) == 1, "never blindly re-POSTed"
    assert "outcome is unknown" in sim.results[0].log


@pytest.mark.parametrize("kind", ["502_after_commit", "reset_after_commit", "stall_after_commit"])
def test_an_update_that_commits_and_then_fails_is_verified_not_repeated(kind: str):
    """Twin of e2e test_faults.py::test_an_update_that_commits_and_then_fails_is_verified_not_repeated."""
    extra = {"timeout_seconds": "12"} if kind == "stall_after_commit" else {}

    def setup(world):
        world.seed_release(body="old")
        world.add_fault("update_release", kind, **STALL)

    sim = simulate(runs([{"notes": "new", **extra}]), setup=setup)

    assert_converged(sim, bodies=("new",))
    assert len(requests_to(sim, "update_release")) == 1, "seen done: not repeated"


@pytest.mark.parametrize("kind", ["502_after_commit", "reset_after_commit"])
def test_a_publish_of_a_draft_that_commits_and_then_fails_makes_no_duplicate(kind: str):
    """Twin of e2e test_faults.py::test_a_publish_of_a_draft_that_commits_and_then_fails_makes_no_duplicate."""
    seeded = {}

    def setup(world):
        seeded.update(world.seed_release(draft=True))
        world.add_fault("update_release", kind)

    sim = simulate(runs([{"notes": "final"}]), setup=setup)

    assert assert_converged(sim, bodies=("final",))["id"] == seeded["id"]


def test_concurrent_runs_whose_creates_commit_and_fail_converge():
    """Twin of e2e test_faults.py::test_concurrent_runs_whose_creates_commit_and_fail_converge."""

    def setup(world):
        world.add_fault("create_release", "502_after_commit", times=3)
        world.add_fault("update_release", "reset_after_commit", times=2)

    sim = simulate(runs([{"notes": "notes"}] * 6), setup=setup)

    assert_converged(sim, bodies=("notes",))


def test_reads_that_fail_with_500_are_retried():
    """Twin of e2e test_faults.py::test_reads_that_fail_with_500_are_retried."""

    def setup(world):
        world.add_fault("get_release_by_tag", "500", times=2)
        world.add_fault("list_releases", "500")

    sim = simulate(runs([{"notes": "notes"}]), setup=setup)

    assert_converged(sim)
    assert [e.status for e in requests_to(sim, "get_release_by_tag")][:3] == [500, 500, 404]


def test_a_secondary_rate_limit_is_waited_out_as_retry_after_says():
    """Twin of e2e test_faults.py::test_a_secondary_rate_limit_is_waited_out_as_retry_after_says."""
    sim = simulate(runs([{"notes": "notes"}]), setup=lambda w: w.add_fault("create_release", "secondary_limit"))

    assert_converged(sim)
    limited, retry = requests_to(sim, "create_release")
    assert (limited.status, retry.status) == (403, 201)
    assert retry.t - limited.t >= 1.0, "retried before Retry-After had passed"
    assert "secondary rate limit" in sim.results[0].log


def test_a_just_pushed_tag_refused_as_invalid_is_retried_until_github_knows_it():
    """Twin of e2e test_faults.py::test_a_just_pushed_tag_refused_as_invalid_is_retried_until_github_knows_it."""
    sim = simulate(runs([{"notes": "notes"}]), setup=lambda w: w.store.push_tag(REPO, TAG, valid_after=3.0))

    assert_converged(sim, bodies=("notes",))
    creates = requests_to(sim, "create_release")
    assert (creates[0].status, creates[-1].status) == (422, 201)
    assert creates[-1].t - creates[0].t >= 3.0


# -- tests/e2e/test_soak.py -------------------------------------------------------------------------


def test_a_run_started_once_the_read_lag_has_passed_wins_over_the_write_before_it():
    """Twin of e2e test_soak.py::test_a_run_started_once_the_read_lag_has_passed_wins_over_the_write_before_it.

    Each run reads through a view of its own (per-run read views): `second` 0.1 s behind,
    `later` 1 s behind, started once the write is older than that.
    """
    specs = [
        RunSpec("second", {"tag": TAG, "notes": "second"}),
        RunSpec("later", {"tag": TAG, "notes": "first"}, start=10.0),
    ]

    def setup(world):
        world.seed_release(body="first")
        world.views.update({"second": Lagged(0.1), "later": Lagged(1.0)})

    sim = simulate(specs, setup=setup)

    second, later = sim.result("second"), sim.result("later")
    last_write = max(e.t for e in sim.world.log if e.is_write and e.holder == "second")
    assert second.outputs["status"] == "updated"
    assert last_write + 1.0 <= 10.0, "the later run starts once the write is older than its lag"
    assert later.code == 0 and later.outputs["status"] == "updated", later.log
    assert releases_for(sim)[0]["body"] == "first"


# -- tests/e2e/test_assets.py and test_scenarios.py ---------------------------------------------------

DIST = {"dist/app-linux.tar.gz": b"linux build\n", "dist/app windows.zip": b"windows build\n"}
STORED = {"app-linux.tar.gz", "app.windows.zip"}


def test_eight_concurrent_runs_leave_one_published_release_with_one_copy_of_each_file():
    """Twin of e2e test_assets.py::test_eight_concurrent_runs_leave_one_published_release_with_one_copy_of_each_file."""
    sim = simulate(runs([{"files": "dist/**"}] * 8, DIST))

    release = assert_converged(sim)
    assert sorted(a["name"] for a in release["assets"]) == sorted(STORED)
    assert all(a["state"] == "uploaded" for a in release["assets"])
    assert len(sim.world.releases()) == 1
    assert len({r.outputs["assets"] for r in sim.results}) == 1


def test_an_upload_whose_answer_is_lost_is_not_uploaded_twice():
    """Twin of e2e test_assets.py::test_an_upload_whose_answer_is_lost_is_not_uploaded_twice."""
    sim = simulate(runs([{"files": "dist/**"}], DIST), setup=lambda w: w.add_fault("upload_asset", "502_after_commit"))

    release = assert_converged(sim)
    assert {a["name"] for a in release["assets"]} == STORED
    assert len(requests_to(sim, "upload_asset")) == 2
    assert requests_to(sim, "delete_asset") == []


def test_the_release_stays_a_draft_until_every_asset_is_uploaded():
    """Twin of e2e test_assets.py::test_the_release_stays_a_draft_until_every_asset_is_uploaded."""
    sim = simulate(runs([{"files": "dist/**"}], DIST))

    assert_converged(sim)
    uploads = [e.t for e in requests_to(sim, "upload_asset")]
    publish = [e for e in requests_to(sim, "update_release") if _publishes(e)]
    assert publish and publish[0].t >= max(uploads), "published only once every asset was in"
    created = requests_to(sim, "create_release")[0]
    assert created.body["draft"] is True


def _publishes(entry) -> bool:
    return any(
        rid in entry.before and entry.before[rid]["draft"] and not rel["draft"] for rid, rel in entry.after.items()
    )


def test_of_several_duplicate_drafts_the_oldest_is_adopted_and_empty_others_deleted():
    """Twin of e2e test_scenarios.py::
    test_of_several_duplicate_drafts_the_oldest_is_adopted_and_empty_others_deleted."""
    seeded: list[dict] = []
    sim = simulate(
        runs([{"notes": "final"}]), setup=lambda w: seeded.extend(w.seed_release(draft=True) for _ in range(3))
    )

    release = assert_converged(sim, bodies=("final",))
    assert release["id"] == seeded[0]["id"]
    assert len(requests_to(sim, "delete_release")) == 2


def test_a_draft_holding_another_runs_assets_is_not_deleted():
    """Twin of e2e test_scenarios.py::test_a_draft_holding_another_runs_assets_is_not_deleted."""
    seeded: list[dict] = []

    def setup(world):
        seeded.append(world.seed_release(draft=True))
        seeded.append(world.seed_release(draft=True, assets=[("app.tar.gz", b"build output")]))
        seeded.append(world.seed_release(draft=True))

    sim = simulate(runs([{"notes": "final"}]), setup=setup)

    oldest, with_assets, _empty = seeded
    remaining = {r["id"]: r for r in sim.world.releases()}
    assert sim.results[0].code == 0
    assert set(remaining) == {oldest["id"], with_assets["id"]}, "only the empty duplicate goes"
    assert remaining[oldest["id"]]["draft"] is False
    assert remaining[with_assets["id"]]["draft"] is True
    assert sim.results[0].outputs["id"] == str(oldest["id"])


# -- the simulation itself ----------------------------------------------------------------------------


def test_a_simulation_is_a_deterministic_function_of_its_choices():
    """The same runs under the same policy make the same requests and get the same answers."""

    def once() -> list[str]:
        sim = simulate(runs([{"files": "dist/**"}] * 3, DIST), lag=1.0, setup=lambda w: w.start_drafter(delay=0.05))
        return [f"{e.describe()} {e.body}" for e in sim.world.log]

    assert once() == once()


def test_runs_in_turn_never_interleave_within_an_instant():
    """InTurn lets each run go on until it sleeps: no two runs' requests interleave at one instant."""
    sim = simulate(runs([{"notes": "n"}] * 2), InTurn())

    at_zero = [e.holder for e in sim.world.log if e.t == 0]
    assert at_zero == sorted(at_zero), at_zero


def test_the_fake_session_answers_as_the_http_server_does(sb):
    """In process and over HTTP, one request sequence gets the same statuses, JSON and headers."""
    sim = Simulation([], InTurn(), seed=7)
    client = Actor("client", 0, READY)
    sim.actors.append(client)
    sim.point = lambda actor: None  # one client, no scheduling
    token = sim.world.issue("client")
    fake = FakeSession(sim, client)
    http = requests.Session()
    http_token = sb.issue_token("client")

    def exchange(session, base: str, uploads: str, auth: str) -> list:
        session.headers["Authorization"] = f"Bearer {auth}"
        r = f"{base}/repos/{REPO}/releases"
        answers = [
            session.post(r, json={"tag_name": "v1", "body": "one"}),
            session.post(r, json={"tag_name": "v1"}),  # 422 already_exists
            session.post(r, json={"tag_name": "v2", "draft": True}),
            session.get(r, params={"per_page": 1}),  # a Link header
            session.get(f"{r}/tags/v1"),
            session.get(f"{r}/tags/v2"),  # drafts are invisible here: 404
            session.patch(f"{r}/100002", json={"tag_name": "v2", "draft": False, "body": "two"}),
            session.post(f"{uploads}/repos/{REPO}/releases/100002/assets", params={"name": "a b.txt"}, data=b"abc"),
            session.post(f"{uploads}/repos/{REPO}/releases/100002/assets", params={"name": "a b.txt"}, data=b"abc"),
            session.get(f"{r}/100002/assets"),
            session.delete(f"{r}/100001"),
            session.delete(f"{r}/100001"),
        ]
        out = []
        for answer in answers:
            text = answer.text.replace(base, "API").replace(uploads, "UPLOADS")
            body = json.loads(text) if text else None
            out.append((answer.status_code, _timeless(body), _link(answer.headers.get("Link"), base)))
            assert answer.headers["Date"].endswith(" GMT")
            assert answer.status_code == 204 or answer.headers["Content-Type"] == "application/json; charset=utf-8"
            assert answer.headers["x-ratelimit-resource"] == "core"
        return out

    try:
        with fake, http:
            in_process = exchange(fake, sim.world.api_url, UPLOADS_URL, token)
            over_http = exchange(http, sb.api_url, sb.uploads_url, http_token)
    finally:
        sim.close()

    assert in_process == over_http
    assert [status for status, _, _ in over_http] == [201, 422, 201, 200, 200, 404, 200, 201, 422, 200, 204, 404]


def _timeless(body):
    """The answer without its clock readings and request ids (the two sides' clocks differ)."""
    if isinstance(body, list):
        return [_timeless(item) for item in body]
    if isinstance(body, dict):
        return {k: _timeless(v) for k, v in body.items() if not k.endswith("_at") and k != "request_id"}
    return body


def _link(value: str | None, base: str) -> str | None:
    return None if value is None else value.replace(base, "API")
