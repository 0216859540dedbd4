"""`if_exists`, `verify_tag` and the `tarball_url` / `zipball_url` outputs, end to end.

The real entrypoint against the sandbox, every request held up by a seeded latency and every
read a second behind the writes (read lag), as on a busy GitHub. (Runs racing under these
options are in test_races.py, which runs on a worker of its own.)
"""

from __future__ import annotations

import pytest

from release_bench.sandbox import Sandbox

from .conftest import REPO, TAG, Action, assert_converged, releases_for, writes

LAG = 1.0
LATENCY = (0.05, 0.25)


@pytest.fixture
def slow(sb: Sandbox) -> Sandbox:
    """The sandbox with read lag and latency."""
    sb.set_lag(LAG)
    sb.set_latency(*LATENCY, seed=5)
    return sb


def write(action: Action, name: str, data: bytes) -> None:
    path = action.workdir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# -- tarball_url and zipball_url ------------------------------------------------------------


def test_the_outputs_carry_the_tarball_and_zipball_urls_github_gives(slow, action: Action):
    run = action.run({"notes": "n"})

    release = assert_converged(slow, [run])
    assert run.outputs["tarball_url"] == release["tarball_url"] == f"{slow.api_url}/repos/{REPO}/tarball/{TAG}"
    assert run.outputs["zipball_url"] == release["zipball_url"] == f"{slow.api_url}/repos/{REPO}/zipball/{TAG}"


def test_a_draft_has_no_archive_urls_so_the_outputs_are_empty(slow, action: Action):
    run = action.run({"notes": "n", "draft": "true"})

    release = assert_converged(slow, [run], draft=True)
    assert release["tarball_url"] is None and release["zipball_url"] is None  # as GitHub renders a draft
    assert (run.outputs["tarball_url"], run.outputs["zipball_url"]) == ("", "")


# -- if_exists --------------------------------------------------------------------------------


def test_if_exists_skip_leaves_a_published_release_untouched_and_describes_it(slow, action: Action):
    seeded = slow.seed_release(REPO, TAG, name="Old title", body="old notes", assets=[("app.tar.gz", b"old build")])
    write(action, "dist/app.tar.gz", b"new build")

    run = action.run({"notes": "new notes", "name": "New title", "files": "dist/*", "if_exists": "skip"})

    assert run.code == 0 and run.errors == [], run
    assert writes(slow) == [], "nothing written: no PATCH, no upload, no delete"
    (release,) = releases_for(slow, TAG)
    assert (release["name"], release["body"]) == ("Old title", "old notes")
    assert slow.asset_bytes(REPO, release["assets"][0]["id"]) == b"old build"
    outputs = run.outputs
    assert outputs["status"] == "skipped"
    assert (outputs["id"], outputs["html_url"], outputs["upload_url"]) == (
        str(seeded["id"]),
        release["html_url"],
        release["upload_url"],
    )
    assert (outputs["tarball_url"], outputs["zipball_url"]) == (release["tarball_url"], release["zipball_url"])
    assert (outputs["draft"], outputs["prerelease"], outputs["tag"]) == ("false", "false", TAG)
    assert '"name": "app.tar.gz"' in outputs["assets"]
    assert "Left as it was (`if_exists: skip`)" in run.summary


def test_if_exists_fail_on_a_published_release_fails_naming_it_and_writes_nothing(slow, action: Action):
    seeded = slow.seed_release(REPO, TAG, body="old notes")

    run = action.run({"notes": "new notes", "if_exists": "fail"})

    assert run.code == 1, run
    (error,) = run.errors
    assert error.startswith("::error title=safe-release-action%3A the release exists already::"), error
    assert f"release {seeded['id']}: {seeded['html_url']}" in error, error
    assert "`if_exists: fail` is set" in error and "`if_exists: update`" in error, error
    assert writes(slow) == []
    assert releases_for(slow, TAG)[0]["body"] == "old notes"


@pytest.mark.parametrize("mode", ["skip", "fail"])
def test_a_draft_of_the_tag_is_adopted_and_published_under_skip_and_fail(slow, action: Action, mode: str):
    seeded = slow.seed_release(REPO, TAG, draft=True, body="drafted")

    run = action.run({"notes": "final", "if_exists": mode})

    release = assert_converged(slow, [run], bodies=("final",))
    assert release["id"] == seeded["id"] and run.outputs["status"] == "updated"


@pytest.mark.parametrize("mode", ["skip", "fail"])
def test_with_files_the_runs_own_draft_is_filled_then_published_under_skip_and_fail(slow, action: Action, mode):
    write(action, "dist/app.tar.gz", b"build")

    run = action.run({"notes": "n", "files": "dist/*", "if_exists": mode})

    release = assert_converged(slow, [run])
    assert run.outputs["status"] == "created"
    assert [a["name"] for a in release["assets"]] == ["app.tar.gz"]


def test_under_fail_a_create_whose_answer_was_lost_is_still_the_runs_own(slow, action: Action):
    """The create committed and its answer was lost: the release it made is this run's, not "existing"."""
    slow.add_fault("create_release", "502_after_commit")

    run = action.run({"notes": "n", "if_exists": "fail"})

    assert_converged(slow, [run], bodies=("n",))
    assert run.outputs["status"] == "created"
    assert slow.count("POST", "create_release") == 1


def test_a_dry_run_under_fail_fails_as_the_run_would_and_writes_nothing(slow, action: Action):
    slow.seed_release(REPO, TAG, body="old")

    run = action.run({"notes": "new", "if_exists": "fail", "dry_run": "true"})

    assert run.code == 1 and len(run.errors) == 1 and "`if_exists: fail` is set" in run.errors[0], run
    assert "is already published (if_exists: fail): nothing is written to it" in run.stdout
    assert writes(slow) == []


def test_a_dry_run_under_skip_plans_nothing_and_says_skipped(slow, action: Action):
    slow.seed_release(REPO, TAG, body="old")
    write(action, "dist/app.tar.gz", b"build")

    run = action.run({"notes": "new", "files": "dist/*", "if_exists": "skip", "dry_run": "true"})

    assert run.code == 0 and run.outputs["status"] == "skipped", run
    assert "upload app.tar.gz" not in run.stdout
    assert writes(slow) == []


# -- verify_tag --------------------------------------------------------------------------------


def test_verify_tag_with_a_missing_tag_fails_before_any_write_naming_the_tag_and_the_repository(slow, action):
    slow.push_tag(REPO, "v1.0.0-rc1")  # a longer name that starts with the tag's is no match

    run = action.run({"tag": "v1.0", "notes": "n", "verify_tag": "true"})

    assert run.code == 1, run
    (error,) = run.errors
    assert "The tag v1.0 does not exist in octo/demo and `verify_tag: true` is set" in error, error
    assert "Push the tag before this step" in error and "drop `verify_tag`" in error, error
    assert writes(slow) == []
    assert [e["route"] for e in slow.log] == ["get_ref", "get_repo"], slow.log
    assert releases_for(slow, "v1.0") == []


def test_verify_tag_with_the_tag_pushed_costs_one_read_more(slow, action: Action):
    slow.push_tag(REPO, TAG)

    run = action.run({"notes": "n", "verify_tag": "true"})

    assert_converged(slow, [run])
    assert [e["route"] for e in slow.log][:2] == ["get_ref", "get_release_by_tag"], slow.log
    assert slow.count("GET", "get_ref") == 1


def test_verify_tag_passes_for_a_tag_a_published_release_made(slow, action: Action):
    action.run({"notes": "n"})  # publishing creates the tag at target_commitish
    slow.clear_log()

    run = action.run({"notes": "n", "verify_tag": "true"})

    assert run.code == 0 and run.outputs["status"] == "unchanged", run
    assert writes(slow) == []


# -- a re-run of each option writes nothing ------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "code", "status"),
    [
        ({"if_exists": "skip"}, 0, "skipped"),
        ({"if_exists": "fail"}, 1, None),
        ({"if_exists": "update"}, 0, "unchanged"),
        ({"verify_tag": "true"}, 0, "unchanged"),
        ({"if_exists": "skip", "files": "dist/*"}, 0, "skipped"),
        ({"if_exists": "fail", "files": "dist/*"}, 1, None),
    ],
    ids=["skip", "fail", "update", "verify_tag", "skip+files", "fail+files"],
)
def test_a_re_run_of_each_option_writes_nothing(slow, action: Action, inputs, code, status):
    slow.push_tag(REPO, TAG)  # for verify_tag; the others do not look
    write(action, "dist/app.tar.gz", b"build")
    first = action.run({"notes": "n", **inputs})
    assert first.code == 0 and first.outputs["status"] == "created", first
    slow.clear_log()

    again = action.run({"notes": "n", **inputs})

    assert again.code == code, again
    assert writes(slow) == [], slow.log
    if status is None:
        assert len(again.errors) == 1 and first.outputs["html_url"] in again.errors[0], again
    else:
        assert again.outputs["status"] == status and again.outputs["id"] == first.outputs["id"], again
