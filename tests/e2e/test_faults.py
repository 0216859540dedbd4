"""Faults GitHub really produces, injected into the sandbox, against the real entrypoint."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import PROCESS_TIMEOUT, REPO, TAG, Action, assert_converged, releases_for, writes

# The client's read timeout is max(2, min(30, timeout_seconds / 6)): with a 12 s budget it is
# 2 s, so a 3 s stall is a read timeout after the server committed the write.
STALL_BUDGET = "12"
STALL_SECONDS = 3.0


def requests_to(sb, route: str) -> list[dict]:
    return [e for e in sb.log if e["route"] == route]


@pytest.mark.parametrize("kind", ["502_after_commit", "reset_after_commit", "stall_after_commit"])
def test_a_create_that_commits_and_then_fails_makes_no_duplicate(sb, action: Action, kind: str):
    sb.add_fault("create_release", kind, stall=STALL_SECONDS)
    inputs = {"tag": TAG, "notes": "notes"}
    if kind == "stall_after_commit":
        inputs["timeout_seconds"] = STALL_BUDGET

    run = action.run(inputs)

    assert_converged(sb, [run], bodies=("notes",))
    assert [e["fault"] for e in requests_to(sb, "create_release")] == [kind], "never blindly re-POSTed"
    assert "outcome is unknown" in run.stdout, run
    assert run.outputs["status"] == "created", "the run made the release: not 'unchanged' (no write needed)"


@pytest.mark.parametrize("kind", ["502_after_commit", "reset_after_commit", "stall_after_commit"])
def test_an_update_that_commits_and_then_fails_is_verified_not_repeated(sb, action: Action, kind: str):
    action.run({"tag": TAG, "notes": "old"})
    sb.clear_log()
    sb.add_fault("update_release", kind, stall=STALL_SECONDS)
    inputs = {"tag": TAG, "notes": "new"}
    if kind == "stall_after_commit":
        inputs["timeout_seconds"] = STALL_BUDGET

    run = action.run(inputs)

    assert_converged(sb, [run], bodies=("new",))
    assert [e["fault"] for e in requests_to(sb, "update_release")] == [kind], "seen done: not repeated"
    assert run.outputs["status"] == "updated", "the run wrote the notes: not 'unchanged' (no write needed)"


@pytest.mark.parametrize("kind", ["502_after_commit", "reset_after_commit"])
def test_a_publish_of_a_draft_that_commits_and_then_fails_makes_no_duplicate(sb, action: Action, kind: str):
    seeded = sb.seed_release(REPO, TAG, draft=True)
    sb.add_fault("update_release", kind)

    run = action.run({"tag": TAG, "notes": "final"})

    release = assert_converged(sb, [run], bodies=("final",))
    assert release["id"] == seeded["id"]
    assert run.outputs["status"] == "updated", run


def test_concurrent_runs_whose_creates_commit_and_fail_converge(sb, action: Action):
    sb.add_fault("create_release", "502_after_commit", times=3)
    sb.add_fault("update_release", "reset_after_commit", times=2)

    results = action.run_many([{"tag": TAG, "notes": "notes"}] * 6)

    assert_converged(sb, results, bodies=("notes",))


def test_reads_that_fail_with_500_are_retried(sb, action: Action):
    sb.add_fault("get_release_by_tag", "500", times=2)
    sb.add_fault("list_releases", "500")

    run = action.run({"tag": TAG, "notes": "notes"})

    assert_converged(sb, [run])


def test_a_secondary_rate_limit_is_waited_out_as_retry_after_says(sb, action: Action):
    sb.add_fault("create_release", "secondary_limit", retry_after=1)

    run = action.run({"tag": TAG, "notes": "notes"})

    assert_converged(sb, [run])
    limited, retry = requests_to(sb, "create_release")
    assert (limited["status"], limited["fault"]) == (403, "secondary_limit")
    assert retry["status"] == 201
    assert retry["t"] - limited["t"] >= 1.0, "retried before Retry-After had passed"
    assert "secondary rate limit" in run.stdout


def test_a_spent_primary_rate_limit_is_waited_out_until_its_reset(sb, action: Action):
    # The sandbox answers 403 with x-ratelimit-remaining 0 and x-ratelimit-reset = int(now + 2).
    sb.add_fault("get_release_by_tag", "primary_limit", reset_in=2)

    run = action.run({"tag": TAG, "notes": "notes"})

    assert_converged(sb, [run])
    limited, retry = requests_to(sb, "get_release_by_tag")[:2]
    assert (limited["status"], limited["fault"]) == (403, "primary_limit")
    # reset >= now + 1 (the header is a whole second), and the client waits until reset + 1.
    assert retry["t"] - limited["t"] >= 1.5, "retried before the rate limit reset"
    assert "rate limit" in run.stdout.lower()


def test_a_primary_limit_that_resets_after_the_budget_fails_saying_when(sb, action: Action):
    sb.add_fault("get_release_by_tag", "primary_limit", reset_in=600)

    run = action.run({"tag": TAG, "notes": "notes"})

    assert run.code != 0
    assert len(run.errors) == 1, run
    assert "resets at" in run.errors[0], run
    assert len(sb.log) == 1, "no retries against a spent rate limit"


def test_a_bad_token_fails_at_once_naming_the_token(sb, action: Action):
    run = action.run({"tag": TAG, "notes": "n"}, token="ghs_not_a_real_token")

    assert run.code != 0
    assert len(run.errors) == 1, run
    assert "`token`" in run.errors[0], run
    assert "Bad credentials" in run.errors[0]
    assert 1 <= len(sb.log) <= 2, sb.log
    assert all(e["status"] == 401 for e in sb.log)
    shown = [line for line in run.stdout.splitlines() if not line.startswith("::add-mask::")]
    assert "ghs_not_a_real_token" not in "\n".join(shown) + run.stderr + run.summary, "only masked"


def test_a_read_only_token_fails_naming_the_permission(sb, action: Action):
    run = action.run({"tag": TAG, "notes": "n"}, token=sb.readonly_token)

    assert run.code != 0
    assert len(run.errors) == 1, run
    assert "permissions: contents: write" in run.errors[0], run
    assert len(writes(sb)) == 1, "one refused write, no retry storm"
    assert len(sb.log) <= 3, sb.log
    assert releases_for(sb, TAG) == []


def test_an_unknown_repository_fails_saying_the_token_cannot_see_it(sb, action: Action):
    run = action.run({"tag": TAG, "notes": "n"}, repository="octo/elsewhere")

    assert run.code != 0
    assert len(run.errors) == 1, run
    assert "octo/elsewhere" in run.errors[0]
    assert "cannot see" in run.errors[0], run
    assert writes(sb) == []
    assert len(sb.log) <= 2, sb.log


def test_a_just_pushed_tag_refused_as_invalid_is_retried_until_github_knows_it(sb, action: Action):
    sha = sb.push_tag(REPO, TAG, valid_after=3600)  # pushed, but GitHub does not know it yet

    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(action.run, {"tag": TAG, "notes": "notes"})
        # GitHub learns of the tag only once it has refused it: however slow the run's start.
        deadline = time.monotonic() + PROCESS_TIMEOUT
        while not any(e["status"] == 422 for e in requests_to(sb, "create_release")):
            assert not running.done() and time.monotonic() < deadline, "the create was never refused"
            time.sleep(0.02)
        sb.push_tag(REPO, TAG, sha)
        run = running.result()

    assert_converged(sb, [run], bodies=("notes",))
    creates = requests_to(sb, "create_release")
    assert [e["status"] for e in creates][-1] == 201
    assert 422 in [e["status"] for e in creates], "the sandbox refused the fresh tag first"
    assert creates[-1]["t"] - creates[0]["t"] >= 1.5


def test_a_tag_of_a_deleted_immutable_release_fails_at_once_asking_for_a_new_tag(sb, action: Action):
    """GitHub never publishes a tag of a deleted immutable release again (RULES.md): no retry helps."""
    sb.set_immutable(REPO, True)
    assert action.run({"tag": TAG, "notes": "notes"}).code == 0
    sb.store.delete_release(REPO, releases_for(sb, TAG)[0]["id"])
    sb.clear_log()

    run = action.run({"tag": TAG, "notes": "notes"})

    assert run.code == 1, run
    assert len(run.errors) == 1, run
    assert "immutable release that was deleted" in run.errors[0], run
    assert "new tag" in run.errors[0], run
    assert [e["status"] for e in requests_to(sb, "create_release")] == [422], "refused once, never retried"
