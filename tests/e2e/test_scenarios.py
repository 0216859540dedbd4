"""One run of the real entrypoint at a time: create, re-run, update, adopt, clean up, dry run."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import requests

from .conftest import REPO, TAG, Action, assert_converged, releases_for, writes
from .github_clock import github_clock_stopped


def test_fresh_create_publishes_one_release_with_the_notes(sb, action: Action):
    run = action.run({"tag": TAG, "notes": "First notes", "name": "Version 1"})

    release = assert_converged(sb, [run], bodies=("First notes",))
    assert run.outputs["status"] == "created"
    assert release["name"] == "Version 1"
    assert run.outputs["html_url"] == release["html_url"]
    assert run.outputs["upload_url"] == release["upload_url"]
    assert run.outputs["prerelease"] == "false"
    assert "Created the published release" in run.summary
    assert sb.count("POST", "create_release") == 1


def test_the_tag_defaults_to_the_pushed_ref_and_the_title_to_the_tag(sb, action: Action):
    run = action.run({"notes": "n"})  # GITHUB_REF is refs/tags/v1.0.0

    release = assert_converged(sb, [run])
    assert release["name"] == TAG


def test_an_identical_rerun_writes_nothing_and_reports_unchanged(sb, action: Action):
    with github_clock_stopped():  # the re-run lands moments after the write, by GitHub's clock
        first = action.run({"tag": TAG, "notes": "Same notes"})
        sb.clear_log()

        again = action.run({"tag": TAG, "notes": "Same notes"})

    assert_converged(sb, [first, again], bodies=("Same notes",))
    assert again.outputs["status"] == "unchanged"
    assert writes(sb) == []
    # Seconds after the first run's write a race may still be on: one more read after the settle.
    assert [e["route"] for e in sb.log] == ["get_release_by_tag", "get_release_by_tag"], sb.log


def test_a_rerun_of_an_older_release_costs_one_read(sb, action: Action):
    sb.seed_release(REPO, TAG, name=TAG, body="Same notes")  # made an hour ago

    again = action.run({"tag": TAG, "notes": "Same notes"})

    assert_converged(sb, [again], bodies=("Same notes",))
    assert again.outputs["status"] == "unchanged"
    assert [e["route"] for e in sb.log] == ["get_release_by_tag"], sb.log


def test_new_notes_update_the_release_in_place(sb, action: Action):
    first = action.run({"tag": TAG, "notes": "Old notes"})
    sb.clear_log()

    update = action.run({"tag": TAG, "notes": "New notes"})

    release = assert_converged(sb, [first, update], bodies=("New notes",))
    assert update.outputs["status"] == "updated"
    assert [(e["method"], e["route"]) for e in sb.log] == [
        ("GET", "get_release_by_tag"),
        ("PATCH", "update_release"),
        ("GET", "get_release"),
    ]
    assert release["id"] == int(first.outputs["id"])


def test_empty_notes_keep_the_existing_body(sb, action: Action):
    action.run({"tag": TAG, "notes": "Keep me"})

    run = action.run({"tag": TAG})

    assert_converged(sb, [run], bodies=("Keep me",))
    assert run.outputs["status"] == "unchanged"


def test_an_existing_draft_is_adopted_and_published_under_its_id(sb, action: Action):
    seeded = sb.seed_release(REPO, TAG, draft=True, body="drafted notes")

    run = action.run({"tag": TAG, "notes": "final notes"})

    release = assert_converged(sb, [run], bodies=("final notes",))
    assert release["id"] == seeded["id"]
    assert run.outputs["status"] == "updated"
    assert sb.count("POST", "create_release") == 0


def test_of_several_duplicate_drafts_the_oldest_is_adopted_and_empty_others_deleted(sb, action: Action):
    oldest, *others = [sb.seed_release(REPO, TAG, draft=True, body=f"draft {i}") for i in range(3)]

    run = action.run({"tag": TAG, "notes": "final"})

    release = assert_converged(sb, [run], bodies=("final",))
    assert release["id"] == oldest["id"]
    remaining = {r["id"] for r in sb.releases(REPO)}
    assert remaining == {oldest["id"]}
    assert sb.count("DELETE", "delete_release") == len(others)


def test_another_runs_young_draft_is_left_to_it_and_only_a_left_over_one_deleted(sb, action: Action):
    """A draft made moments ago belongs to a run still going, which deletes it itself; one
    unchanged for longer than the lag window (seeded drafts are dated an hour back) is debris."""
    oldest = sb.seed_release(REPO, TAG, draft=True)
    left_over = sb.seed_release(REPO, TAG, draft=True)
    young = sb.store.create_release(REPO, {"tag_name": TAG, "draft": True})  # another run's, just made

    run = action.run({"tag": TAG, "notes": "final"})

    assert run.code == 0, run
    assert run.outputs["id"] == str(oldest["id"])
    remaining = {r["id"]: r for r in sb.releases(REPO)}
    assert set(remaining) == {oldest["id"], young["id"]}, "only the left-over draft goes"
    assert remaining[young["id"]]["draft"] is True
    assert [(e["path"].rsplit("/", 1)[-1], e["status"]) for e in writes(sb) if e["method"] == "DELETE"] == [
        (str(left_over["id"]), 204)
    ]


def test_a_draft_holding_another_runs_assets_is_not_deleted(sb, action: Action):
    oldest = sb.seed_release(REPO, TAG, draft=True)
    with_assets = sb.seed_release(REPO, TAG, draft=True, assets=[("app.tar.gz", b"build output")])
    empty = sb.seed_release(REPO, TAG, draft=True)

    run = action.run({"tag": TAG, "notes": "final"})

    assert run.code == 0, run
    remaining = {r["id"]: r for r in sb.releases(REPO)}
    assert set(remaining) == {oldest["id"], with_assets["id"]}, "only the empty duplicate goes"
    assert remaining[oldest["id"]]["draft"] is False
    assert remaining[oldest["id"]]["body"] == "final"
    assert remaining[with_assets["id"]]["draft"] is True
    assert [a["name"] for a in remaining[with_assets["id"]]["assets"]] == ["app.tar.gz"]
    assert empty["id"] not in remaining
    assert run.outputs["id"] == str(oldest["id"])


def test_asking_for_a_draft_never_unpublishes_a_published_release(sb, action: Action):
    published = action.run({"tag": TAG, "notes": "n"})

    run = action.run({"tag": TAG, "notes": "n", "draft": "true"})

    assert_converged(sb, [published, run], draft=False)
    assert any("stays published" in w for w in run.warnings), run
    assert sb.count("PATCH") == 0


def test_draft_true_creates_a_draft(sb, action: Action):
    run = action.run({"tag": TAG, "notes": "wip", "draft": "true"})

    release = assert_converged(sb, [run], draft=True, bodies=("wip",))
    assert run.outputs["status"] == "created"
    assert release["tag_name"] == TAG


def test_a_later_run_publishes_the_draft_an_earlier_run_made(sb, action: Action):
    drafted = action.run({"tag": TAG, "notes": "wip", "draft": "true"})

    published = action.run({"tag": TAG, "notes": "done"})

    assert drafted.outputs["draft"] == "true", drafted
    release = assert_converged(sb, [published], bodies=("done",))
    assert published.outputs["status"] == "updated"
    assert release["id"] == int(drafted.outputs["id"])


def test_dry_run_writes_nothing_and_prints_the_plan_field_by_field(sb, action: Action):
    run = action.run({"tag": TAG, "notes": "planned notes", "name": "Planned", "dry_run": "true"})

    assert run.code == 0, run
    assert writes(sb) == []
    assert releases_for(sb, TAG) == []
    assert f"would create a new release for tag {TAG}:" in run.stdout
    for line in ('name: "Planned"', "draft: false", 'notes: "planned notes"'):
        assert f"\n  {line}\n" in run.stdout, run
    assert run.outputs["status"] == "created"


def test_dry_run_of_an_update_shows_each_changed_field_old_and_new(sb, action: Action):
    action.run({"tag": TAG, "notes": "old body"})
    sb.clear_log()

    run = action.run({"tag": TAG, "notes": "new body", "dry_run": "true"})

    assert run.code == 0, run
    assert writes(sb) == []
    assert "would update release" in run.stdout and "\n  notes: changed\n" in run.stdout, run
    assert run.outputs["status"] == "updated"
    assert releases_for(sb, TAG)[0]["body"] == "old body"


def test_a_target_commitish_that_is_no_branch_or_commit_fails_at_once_naming_it(sb, action: Action):
    """GitHub's 422 names `target_commitish` as invalid: no retry can help, so no retrying."""
    run = action.run({"tag": "v7.0.0", "notes": "n", "target_commitish": "no-such-branch"})

    assert run.code == 1, run
    assert len(run.errors) == 1 and "target_commitish" in run.errors[0] and "no-such-branch" in run.errors[0], run
    assert sb.count("POST", "create_release") == 1, "refused once, not retried until the budget ran out"
    assert releases_for(sb, "v7.0.0") == []


def test_a_tag_that_is_never_valid_fails_after_a_few_tries_not_at_the_end_of_the_budget(sb, action: Action):
    """A tag pushed moments ago is retried while it settles; one that never settles ends the run."""
    sb.push_tag(REPO, "v8.0.0", valid_after=3600)  # GitHub keeps answering "must have a valid tag"

    run = action.run({"tag": "v8.0.0", "notes": "n"})

    assert run.code == 1, run
    assert len(run.errors) == 1 and "Push the tag before this step" in run.errors[0], run
    assert 2 <= sb.count("POST", "create_release") <= 6, sb.log


def test_adopting_a_draft_under_read_lag_patches_it_once(sb, action: Action):
    """A lagging list still shows the draft as it was before this run's PATCH: that is read lag,
    not another writer, so the run must not PATCH the same change again (it used to, on every
    pass, until the write throttle stopped the run)."""
    seeded = sb.seed_release(REPO, TAG, draft=True, body="drafted notes", target_commitish="main")
    sb.set_lag(1.0)

    run = action.run({"tag": TAG, "notes": "drafted notes", "draft": "true"})

    assert run.code == 0, run
    assert run.outputs["id"] == str(seeded["id"])
    patches = [e for e in sb.log if e["method"] == "PATCH"]
    assert len(patches) == 1, patches


def test_githubs_stopped_clock_stops_the_simulators_clock_and_date_header(sb):
    """The re-run-moments-after scenarios rely on it: a clock bound before the patch (a default
    argument `wall=time.time`) once left the simulator's clock running, and those tests failed
    on a busy machine where a process takes seconds to start."""
    with github_clock_stopped() as now:
        time.sleep(1.1)
        stamped = sb.store.wall()
        date = requests.get(f"{sb.api_url}/repos/{REPO}/releases", timeout=30).headers["Date"]
    assert stamped == now
    assert parsedate_to_datetime(date).timestamp() == int(now)
    assert sb.store.wall() > now  # running again after the block
