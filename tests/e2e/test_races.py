"""Many runs of the real entrypoint at once on one tag: they must converge on one release.

Every race here proves it raced (release_bench/race.py): each run holds its own token, and
a test whose runs did not overlap fails instead of passing.

Each test says whether it used the start line (`Sandbox.start_line`, through `line_up`): with
it, every run's first two requests are answered together, so all runs decide on one picture
and the claim holds for that case; it does not cover runs that see different pictures (one run
sees a draft another does not yet), which one shared read lag cannot produce.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping

import pytest

from release_bench.race import evidence, line_up
from release_bench.sandbox import Sandbox

from .conftest import REPO, TAG, Action, Run, assert_converged, releases_for


def race_runs(
    sb: Sandbox, action: Action, inputs: list[Mapping[str, str]], *, write: str = "create_release"
) -> list[Run]:
    """Start one run per item at once, each with its own token; fail if they did not race (on `write`)."""
    holders, tokens = line_up(sb, len(inputs))
    results = action.run_many([{**item, "token": token} for item, token in zip(inputs, tokens, strict=True)])
    seen = evidence(sb.log, holders, write)
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


# -- notes that commute: appended, or in sections of different names ------------------------------


def section_text(body: str, name: str) -> str | None:
    """The lines between a section's markers, read here apart from the action's own parser."""
    found = re.search(
        rf"^<!-- safe-release:begin {name} -->\n(.*?)^<!-- safe-release:end {name} -->$", body, re.M | re.S
    )
    return found[1] if found else None


# Eight runs that write one body in the same instant (the start line) drop each other's notes and
# must spread their writes, each a read lag plus a round trip apart: with 1 s of lag such a race
# spanned 20 to 42 s on 2 loaded cores (docs/design.md), too near the suite's 60 s default.
BODY_RACE_BUDGET = "120"

EARLIER = "## Highlights\r\n\r\nWritten by hand on the release page.\r\n"  # the web page sends CRLF


def body_race_figures(sb: Sandbox, results: list[Run]) -> str:
    """Requests, writes and repairs of a race on the body (a repair: a run's second or later PATCH)."""
    patches = Counter(e["client"] for e in sb.log if e["route"] == "update_release")
    total = sum(json.loads(r.outputs["requests"])["total"] for r in results)
    writes = sum(json.loads(r.outputs["requests"])["writes"] for r in results)
    repairs = sum(n - 1 for n in patches.values())
    span = sb.log[-1]["t"] - sb.log[0]["t"]  # the first request to the last, by the sandbox's clock
    return (
        f"{len(results)} runs: {total} requests, {writes} writes ({sum(patches.values())} PATCH), "
        f"{repairs} repair{'s' if repairs != 1 else ''}, {span:.1f} s from the first request to the last"
    )


@pytest.mark.parametrize("lag", [0.0, 1.0], ids=["no-lag", "1s-lag"])
def test_racing_runs_appending_different_notes_end_with_each_once_and_the_earlier_body_kept(
    sb, action: Action, lag: float
):
    sb.seed_release(REPO, TAG, name=TAG, body=EARLIER)
    sb.set_lag(lag)
    texts = [f"* build {i}: ok" for i in range(8)]

    inputs = [{"tag": TAG, "notes": t, "append_notes": "true", "timeout_seconds": BODY_RACE_BUDGET} for t in texts]
    results = race_runs(sb, action, inputs, write="update_release")

    release = assert_converged(sb, results)
    body = release["body"]
    assert body.startswith(EARLIER + "\n"), body  # the earlier body, byte for byte, then a blank line
    assert sorted(line for line in body[len(EARLIER) :].split("\n") if line) == texts, body
    for run in results:
        assert run.warnings == [], run
    # Every run's first write was made from the body they all read at the start line: only the
    # last of those eight kept its text, so the others had to write theirs again.
    patches = sb.count("PATCH", "update_release")
    assert patches > len(texts), sb.log
    print(f"append race ({lag:g} s lag): {body_race_figures(sb, results)}")


@pytest.mark.parametrize("lag", [0.0, 1.0], ids=["no-lag", "1s-lag"])
def test_racing_runs_with_sections_of_different_names_end_with_every_section_once(sb, action: Action, lag: float):
    sb.set_lag(lag)
    names = [f"os-{i}" for i in range(8)]

    inputs = [{"tag": TAG, "notes": f"built on {n}", "notes_section": n, "timeout_seconds": BODY_RACE_BUDGET}
              for n in names]  # fmt: skip
    results = race_runs(sb, action, inputs)

    release = assert_converged(sb, results)
    body = release["body"]
    for name in names:
        assert body.count(f"<!-- safe-release:begin {name} -->") == 1, body
        assert body.count(f"<!-- safe-release:end {name} -->") == 1, body
        assert section_text(body, name) == f"built on {name}\n", body
    for run in results:
        assert run.warnings == [], run
    assert sb.count("PATCH", "update_release") > len(names) - 1, sb.log  # the creates' losers added theirs
    print(f"section race ({lag:g} s lag): {body_race_figures(sb, results)}")


def test_two_runs_wanting_different_text_in_one_section_stop_after_bounded_repairs(sb, action: Action):
    """A section of one name is one value: two runs that want it otherwise do conflict. Repairs
    stay bounded (the last writer wins, with a warning), as for any field two runs disagree on."""
    sb.seed_release(REPO, TAG, name=TAG, body="Intro")
    inputs = [{"tag": TAG, "notes": f"text {i}", "notes_section": "same"} for i in range(2)]

    results = race_runs(sb, action, inputs, write="update_release")

    release = assert_converged(sb, results)
    assert section_text(release["body"], "same") in ("text 0\n", "text 1\n")
    assert release["body"].startswith("Intro\n\n"), release["body"]
    assert sb.count("PATCH", "update_release") <= 2 * 4, sb.log  # each: a first write and 3 repairs at most
