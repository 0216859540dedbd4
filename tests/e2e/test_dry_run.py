"""A dry run tells the truth: one plan, in the real run's order, one verdict, the outputs the real run then gives.

Each scenario runs the real entrypoint with `dry_run: true`, checks that nothing was written and
that the log and the job summary say one consistent thing, then runs it for real with the same
inputs and holds the dry run's `status`, `draft` and `prerelease` equal to what that run gave.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from release_action.decide import NEW_ID

from .conftest import REPO, TAG, Action, Run, releases_for, writes

DIST = {"dist/app.tar.gz": b"app build\n", "dist/checksums.txt": b"sums\n"}


def plan_of(run: Run) -> tuple[list[str], str]:
    """The plan's lines (inside its group) and the verdict (the closing line)."""
    lines = run.stdout.splitlines()
    closing = lines[-1]
    if "::group::Plan for" not in run.stdout:
        return [], closing
    start = next(i for i, text in enumerate(lines) if text.startswith("::group::Plan for"))
    end = lines.index("::endgroup::", start)
    return lines[start + 1 : end], closing


def assert_one_consistent_plan(run: Run, status: str) -> list[str]:
    """Nothing written, the verdict `status`, and no line that says otherwise; the plan in the summary too."""
    assert run.code == 0, run
    plan, closing = plan_of(run)
    assert closing.startswith("dry run: "), run
    assert f"; status {status}" in closing, run
    assert run.outputs["status"] == status, run
    everything = run.stdout + run.summary
    assert str(NEW_ID) not in everything, run  # no internal placeholder id
    assert "True" not in everything and "False" not in everything, run  # the runner's words: true, false
    for text in plan:  # every step "would"; a detail belongs to the step above it
        assert text.startswith(("would ", "  ")) or "already uploaded with the same digest" in text, run
    if plan:
        assert not any("nothing to write" in text for text in [*plan, closing]), run
    # The closing line is the one verdict; the status word never stands alone as if it happened.
    assert not any(text.startswith(f"{status}:") for text in run.stdout.splitlines()), run
    summary = run.summary
    assert summary.startswith("### Release plan (dry run)\n"), run
    assert "**Verdict:**" in summary and f"status `{status}`" in summary, run
    for text in plan:
        if text.startswith("would "):
            head = text.removeprefix("would ").removesuffix(":").split(" ")[0]
            assert f"- would {head}" in summary, (text, summary)
    return plan


def assert_real_run_agrees(dry: Run, real: Run) -> None:
    assert real.code == 0, real
    for name in ("status", "draft", "prerelease", "tag"):
        assert dry.outputs[name] == real.outputs[name], (name, dry, real)


def test_a_new_tag_is_one_create_and_its_outputs_name_no_release_yet(sb, action: Action):
    inputs = {"tag": TAG, "notes": "## Notes\n\n* one\n* two", "name": "Planned"}

    dry = action.run({**inputs, "dry_run": "true"})

    plan = assert_one_consistent_plan(dry, "created")
    assert writes(sb) == [] and releases_for(sb, TAG) == []
    assert plan[0] == f"would create a new release for tag {TAG}:"
    assert '  name: "Planned"' in plan and "  draft: false" in plan
    assert '  notes: "## Notes" … (4 lines)' in plan
    assert dry.stdout.splitlines()[-1].startswith(f"dry run: would create a new release for tag {TAG} (published)")
    assert (dry.outputs["id"], dry.outputs["html_url"], dry.outputs["upload_url"]) == ("", "", "")
    assert "- would create a new release for tag `v1.0.0`" in dry.summary

    assert_real_run_agrees(dry, action.run(inputs))


def test_an_update_shows_the_changed_fields_and_notes_as_changed(sb, action: Action):
    first = action.run({"tag": TAG, "notes": "old body", "name": "Old"})
    sb.clear_log()
    inputs = {"tag": TAG, "notes": "new body", "name": "New", "prerelease": "true"}

    dry = action.run({**inputs, "dry_run": "true"})

    plan = assert_one_consistent_plan(dry, "updated")
    assert writes(sb) == []
    release_id = first.outputs["id"]
    assert plan == [
        f"would update release {release_id}:",
        '  name: "Old" → "New"',
        "  notes: changed",
        "  prerelease: false → true",
    ]
    assert dry.outputs["id"] == release_id
    assert dry.outputs["prerelease"] == "true", "the state the plan ends in, not the state before it"
    assert releases_for(sb, TAG)[0]["prerelease"] is False

    assert_real_run_agrees(dry, action.run(inputs))


def test_a_release_as_asked_has_nothing_to_write(sb, action: Action):
    sb.seed_release(REPO, TAG, name=TAG, body="same")

    dry = action.run({"tag": TAG, "notes": "same", "dry_run": "true"})

    assert assert_one_consistent_plan(dry, "unchanged") == []
    assert dry.stdout.count("nothing to write") == 1
    assert "::group::" not in dry.stdout, "no empty group"
    assert "a run would write nothing" in dry.summary


@pytest.fixture
def dist(action: Action) -> Path:
    for name, data in DIST.items():
        path = action.workdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return action.workdir / "dist"


def test_with_files_a_new_release_is_a_draft_then_the_uploads_then_the_publish(sb, action: Action, dist):
    inputs = {"tag": TAG, "notes": "n", "files": "dist/*"}

    dry = action.run({**inputs, "dry_run": "true"})

    plan = assert_one_consistent_plan(dry, "created")
    heads = [text for text in plan if text.startswith("would ")]
    assert heads == [
        f"would create a new release for tag {TAG} as a draft:",
        "would upload app.tar.gz (10 bytes)",
        "would upload checksums.txt (5 bytes)",
        "would publish the new release",
    ]
    assert dry.outputs["draft"] == "false", "published in the end, as the real run leaves it"
    assert "4 writes planned" in dry.stdout.splitlines()[-1]

    real = action.run(inputs)
    assert_real_run_agrees(dry, real)
    assert sb.count("POST", "upload_asset") == 2


def test_an_asset_change_on_a_published_release_is_an_update_without_a_publish(sb, action: Action, dist):
    seeded = sb.seed_release(REPO, TAG, name=TAG, body="n", assets=[("app.tar.gz", b"old build\n")])
    inputs = {"tag": TAG, "notes": "n", "files": "dist/*"}

    dry = action.run({**inputs, "dry_run": "true"})

    plan = assert_one_consistent_plan(dry, "updated")
    assert writes(sb) == []
    assert plan == ["would replace app.tar.gz (10 → 10 bytes)", "would upload checksums.txt (5 bytes)"]
    assert dry.outputs["id"] == str(seeded["id"])
    assert "a draft until its assets are in" not in dry.stdout

    real = action.run(inputs)
    assert_real_run_agrees(dry, real)
    assert f"release {seeded['id']} is published already: its assets are synced in place" in real.stdout
    assert "(a draft until its assets are in)" not in real.stdout


def test_the_files_are_listed_once_inside_a_group(sb, action: Action, dist):
    run = action.run({"tag": TAG, "notes": "n", "files": "dist/*", "dry_run": "true"})

    lines = run.stdout.splitlines()
    start = lines.index("::group::Files to attach: 2 files, 15 bytes")
    assert lines[start + 3] == "::endgroup::"
    assert all(text.startswith("file ") for text in lines[start + 1 : start + 3])
    assert sum(text.startswith("file ") for text in lines) == 2
