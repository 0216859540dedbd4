"""Many runs of the real entrypoint at once on one tag: they must converge on one release.

Every race here proves it raced (release_bench/race.py): each run holds its own token, and
a test whose runs did not overlap fails instead of passing.

Each test says whether it used the start line (`Sandbox.start_line`, through `line_up`): with
it, every run's first two requests are answered together, so all runs decide on one picture
and the claim holds for that case; it does not cover runs that see different pictures (one run
sees a draft another does not yet), which one shared read lag cannot produce.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from release_bench.race import evidence, line_up
from release_bench.sandbox import Sandbox

from .conftest import REPO, TAG, Action, Run, assert_converged, releases_for


def race_runs(sb: Sandbox, action: Action, inputs: list[Mapping[str, str]]) -> list[Run]:
    """Start one run per item at once, each with its own token; fail if they did not race."""
    holders, tokens = line_up(sb, len(inputs))
    results = action.run_many([{**item, "token": token} for item, token in zip(inputs, tokens, strict=True)])
    seen = evidence(sb.log, holders)
    assert seen.raced, f"the runs did not race: {seen}"
    return results


@pytest.mark.parametrize("lag", [0.0, 1.0], ids=["no-lag", "1s-lag"])
@pytest.mark.parametrize("runs", [8, 32])
def test_concurrent_runs_with_the_same_inputs_make_one_release(sb, action: Action, runs: int, lag: float):
    """Runs asking for the same release end with one release, created by exactly one of them.

    Start line: yes (every run saw no release, then GitHub's lock decided between their creates).
    """
    sb.set_lag(lag)

    results = race_runs(sb, action, [{"tag": TAG, "notes": "Same notes", "name": "One"}] * runs)

    release = assert_converged(sb, results, bodies=("Same notes",))
    assert release["name"] == "One"
    assert sb.count("POST", "create_release") <= runs
    statuses = [r.outputs["status"] for r in results]
    assert statuses.count("created") == 1, statuses


def test_concurrent_runs_with_different_notes_leave_exactly_one_of_them(sb, action: Action):
    """Start line: yes."""
    notes = [f"notes from run {i}\n\n* change {i}" for i in range(8)]

    results = race_runs(sb, action, [{"tag": TAG, "notes": n} for n in notes])

    assert_converged(sb, results, bodies=tuple(notes))


def test_concurrent_runs_with_different_notes_and_lag_leave_exactly_one_of_them(sb, action: Action):
    """Start line: yes, under a 1 s read lag shared by every read."""
    sb.set_lag(1.0)
    notes = [f"notes from run {i}" for i in range(4)]

    results = race_runs(sb, action, [{"tag": TAG, "notes": n} for n in notes])

    assert_converged(sb, results, bodies=tuple(notes))


def test_the_dask_race_a_drafter_flipping_the_release_back_ends_published(sb, action: Action):
    """A release-drafter workflow drafts the tag right after each publish; publishers win.

    Start line: yes (the drafter is the sandbox's, not a run, so it is not held).
    """
    sb.start_drafter(REPO, TAG, flips=2, delay=0.05)

    results = race_runs(sb, action, [{"tag": TAG, "notes": "Release notes"}] * 6)

    assert_converged(sb, results, bodies=("Release notes",))


def test_the_dask_race_a_drafting_run_beside_publishing_runs_ends_published(sb, action: Action):
    """One workflow runs the action with draft: true (and its own notes) beside publishers.

    Start line: yes.
    """
    sb.start_drafter(REPO, TAG, flips=1, delay=0.05)
    inputs = [{"tag": TAG, "notes": "drafter notes", "draft": "true"}]
    inputs += [{"tag": TAG, "notes": "publisher notes"}] * 5

    results = race_runs(sb, action, inputs)

    for run in results:
        assert run.code == 0, run
    releases = releases_for(sb, TAG)
    assert len(releases) == 1, releases
    release = releases[0]
    assert release["draft"] is False, "the publishers must win: never left as a draft"
    assert release["body"] in ("drafter notes", "publisher notes")
    assert {r.outputs["id"] for r in results} == {str(release["id"])}
    assert all(r.outputs["draft"] == "false" for r in results[1:]), results
    assert [r for r in sb.releases(REPO) if r["draft"]] == [], "no leftover drafts"


def test_the_dask_race_with_read_lag_inside_the_settle_window(sb, action: Action):
    """Reads lag 1 s and the drafter strikes 50 ms after each publish: a run's verify read,
    one settle (2 s) after its publish, sees the flip and publishes again.

    (A flip that only becomes readable after the settle window, lag + drafter delay > 2 s, is
    beyond what any read-only verify can see; the README says so.)

    Start line: yes.
    """
    sb.set_lag(1.0)
    sb.start_drafter(REPO, TAG, flips=1, delay=0.05)

    results = race_runs(sb, action, [{"tag": TAG, "notes": "Release notes"}] * 6)

    assert_converged(sb, results, bodies=("Release notes",))


def test_a_drafter_that_never_stops_fails_the_run_naming_the_cause(sb, action: Action):
    """Repairs are bounded: a release still drafted again after every publish is an error,
    never a release silently left unpublished.

    Start line: no (one run against the sandbox's drafter: no race between runs).
    """
    sb.start_drafter(REPO, TAG, flips=1000, delay=0.05)

    run = action.run({"tag": TAG, "notes": "Release notes"})

    assert run.code == 1, run
    assert len(run.errors) == 1, run
    assert "another workflow keeps drafting this tag" in run.errors[0], run
    assert 3 <= sb.count("PATCH", "update_release") <= 5, sb.log
    assert len(releases_for(sb, TAG)) == 1


# -- if_exists: skip and fail under a race --------------------------------------------------------


def test_under_if_exists_fail_of_eight_racing_runs_exactly_one_succeeds_and_nothing_else_is_left(sb, action: Action):
    """GitHub's one-published-release lock decides: the others fail, each naming the winner's release."""
    sb.set_lag(1.0)

    results = race_runs(sb, action, [{"tag": TAG, "notes": "notes", "if_exists": "fail"}] * 8)

    winners = [run for run in results if run.code == 0]
    assert len(winners) == 1, results
    release = assert_converged(sb, winners, bodies=("notes",))  # one release, no drafts
    assert winners[0].outputs["status"] == "created"
    for run in results:
        if run is not winners[0]:
            assert run.code == 1 and len(run.errors) == 1, run
            assert f"release {release['id']}: {release['html_url']}" in run.errors[0], run
    assert [r["id"] for r in sb.releases(REPO)] == [release["id"]]


def test_under_if_exists_fail_racing_runs_with_files_leave_one_release_and_delete_their_drafts(sb, action: Action):
    """Each run fills a draft of its own and publishes it; the lock lets one publish, and the
    others delete their drafts, assets and all."""
    sb.set_lag(1.0)
    (action.workdir / "dist").mkdir()
    (action.workdir / "dist" / "app.tar.gz").write_bytes(b"build output\n")

    results = race_runs(sb, action, [{"tag": TAG, "notes": "n", "files": "dist/*", "if_exists": "fail"}] * 8)

    winners = [run for run in results if run.code == 0]
    assert len(winners) == 1, results
    release = assert_converged(sb, winners)
    assert [a["name"] for a in release["assets"]] == ["app.tar.gz"]
    assert sb.count("POST", "upload_asset") > 1, "several runs filled a draft of their own"
    assert [r["id"] for r in sb.releases(REPO)] == [release["id"]], "every loser deleted its draft"
    assert all(run.code == 1 and len(run.errors) == 1 for run in results if run is not winners[0]), results


def test_under_if_exists_skip_of_eight_racing_runs_one_creates_and_the_others_skip(sb, action: Action):
    sb.set_lag(1.0)

    results = race_runs(sb, action, [{"tag": TAG, "notes": "notes", "if_exists": "skip"}] * 8)

    for run in results:
        assert run.code == 0 and run.errors == [], run
    statuses = sorted(run.outputs["status"] for run in results)
    assert statuses == ["created"] + ["skipped"] * 7, statuses
    (release,) = sb.releases(REPO)
    assert {run.outputs["id"] for run in results} == {str(release["id"])}
    assert release["draft"] is False and release["body"] == "notes"
