"""Specification of the dry run's plan: the real run's steps in its order, one verdict, the outputs it would give."""

from __future__ import annotations

import dataclasses

import pytest

from release_action.asset_decide import Keep, Replace, Upload
from release_action.decide import LAG_WINDOW, NEW_ID, Context, Desired, Observed, Release, plan
from release_action.dry_run import plan_run
from release_action.report import Requests

TAG = "v1.0.0"
WANT = Desired(TAG, name="Release 1", body="notes", target_commitish="abc123")


def published(id_: int = 10, **fields) -> Release:
    return Release(id_, TAG, False, False, "Release 1", "notes", "abc123", **fields)


def draft(id_: int, **fields) -> Release:
    return dataclasses.replace(published(id_), draft=True, **fields)


class Seen:
    """The engine, as far as a dry run uses it: one observation, the JSON read with it, its decisions.

    Every release it sees last changed long before (well past the lag window, by GitHub's clock), as
    a dry run before a release finds the drafts other runs left: debris anyone may delete.
    """

    def __init__(self, observed: Observed) -> None:
        self.observed = observed
        releases = observed.releases
        self.cache = {r.id: {"id": r.id, "html_url": f"https://github.com/o/r/releases/{r.id}"} for r in releases}
        self.context = Context(ages={r.id: LAG_WINDOW * 10 for r in releases})

    def with_generated(self, desired: Desired) -> Desired:
        return desired

    def observe(self, _desired: Desired) -> Observed:
        return self.observed

    def planned(self, desired: Desired, observed: Observed) -> list:
        return plan(desired, observed, self.context)


def uploads(release: dict) -> list:
    """Two files: both to upload to a new release; to an existing one, one to replace and one kept."""
    if not release:
        return [Upload("upload a.zip (3 bytes)"), Upload("upload b.zip (4 bytes)")]
    return [Replace("replace a.zip (2 → 3 bytes)", {"id": 1}), Keep("b.zip is already uploaded", {"name": "b.zip"})]


def kept(_release: dict) -> list:
    return [Keep("a.zip is already uploaded", {"name": "a.zip"})]


CREATE = [
    "would create a new release for tag v1.0.0:",
    '  name: "Release 1"',
    "  draft: false",
    "  prerelease: false",
    "  make_latest: legacy",
    '  notes: "notes"',
    "  target_commitish: abc123",
]
CREATE_DRAFT = [CREATE[0].replace(":", " as a draft:"), *CREATE[1:2], "  draft: true", *CREATE[3:]]

ROWS = [
    # (case, desired, observed, asset planner, plan lines, status, (draft, prerelease) the plan leaves,
    #  verdict)
    ("a new tag", WANT, Observed(), None, CREATE, "created", (False, False),
     "would create a new release for tag v1.0.0 (published)"),
    ("a new tag with files: a draft, the uploads, then the publish", WANT, Observed(), uploads,
     [*CREATE_DRAFT, "would upload a.zip (3 bytes)", "would upload b.zip (4 bytes)", "would publish the new release"],
     "created", (False, False), "would create a new release for tag v1.0.0 (published)"),
    ("a new tag with files, asked as a draft: no publish", dataclasses.replace(WANT, draft=True), Observed(), uploads,
     [*CREATE_DRAFT, "would upload a.zip (3 bytes)", "would upload b.zip (4 bytes)"],
     "created", (True, False), "would create a new release for tag v1.0.0 (a draft)"),
    ("new notes", dataclasses.replace(WANT, body="new"), Observed(published()), None,
     ["would update release 10:", "  notes: changed"], "updated", (False, False),
     "would update release 10 (published)"),
    ("a pre-release asked of a published release", dataclasses.replace(WANT, prerelease=True), Observed(published()),
     None, ["would update release 10:", "  prerelease: false → true"], "updated", (False, True),
     "would update release 10 (published, a pre-release)"),
    ("a published release with an asset that differs: synced in place, no publish", WANT, Observed(published()),
     uploads, ["would replace a.zip (2 → 3 bytes)", "1 asset is already uploaded with the same digest: b.zip"],
     "updated", (False, False), "would update release 10 (published)"),
    ("a published release as asked, its assets too", WANT, Observed(published()), kept,
     ["1 asset is already uploaded with the same digest: a.zip"], "unchanged", (False, False),
     "nothing to write: release 10 is as asked (published)"),
    ("duplicate drafts: the oldest published, the other deleted", WANT, Observed(None, (draft(9), draft(5))), None,
     ["would publish release 5", "would delete leftover draft 9 of tag v1.0.0"], "updated", (False, False),
     "would update release 5 (published)"),
    ("drafts with files: kept a draft until the assets are in", WANT, Observed(None, (draft(5),)), kept,
     ["1 asset is already uploaded with the same digest: a.zip", "would publish release 5"], "updated",
     (False, False), "would update release 5 (published)"),
    ("a leftover draft beside a release as asked: only the cleanup", WANT, Observed(published(), (draft(11),)), None,
     ["would delete leftover draft 11 of tag v1.0.0"], "unchanged", (False, False),
     "release 10 is as asked (published); would only delete other drafts of the tag"),
    ("if_exists skip: someone else's release is left as it is, its assets too",
     dataclasses.replace(WANT, body="new", if_exists="skip"), Observed(published()), uploads, [], "skipped",
     (False, False), "nothing to write: release 10 is already published, and if_exists is skip"),
    # Under skip and fail, what the plan itself creates or publishes is the run's own, as in a real
    # run: no release that "already exists" (the plan skipped or refused its own create before).
    ("if_exists skip, a new tag: created like any run", dataclasses.replace(WANT, if_exists="skip"), Observed(),
     None, CREATE, "created", (False, False), "would create a new release for tag v1.0.0 (published)"),
    ("if_exists fail, a new tag with files: its own draft filled, then published",
     dataclasses.replace(WANT, if_exists="fail"), Observed(), uploads,
     [*CREATE_DRAFT, "would upload a.zip (3 bytes)", "would upload b.zip (4 bytes)", "would publish the new release"],
     "created", (False, False), "would create a new release for tag v1.0.0 (published)"),
    ("if_exists fail, a draft of the tag: adopted and published", dataclasses.replace(WANT, if_exists="fail"),
     Observed(None, (draft(5),)), None, ["would publish release 5"], "updated", (False, False),
     "would update release 5 (published)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("desired", "observed", "assets", "lines", "status", "left", "verdict"),
    [row[1:] for row in ROWS],
    ids=[row[0] for row in ROWS],
)
def test_the_plan_is_the_real_runs_steps_in_its_order_with_one_verdict(
    desired, observed, assets, lines, status, left, verdict
):
    planned = plan_run(Seen(observed), desired, assets=assets)

    assert planned.log_lines() == lines
    assert planned.status == status
    assert (planned.release["draft"], planned.release["prerelease"]) == left
    assert planned.verdict().for_log() == verdict
    closing = planned.closing_line(Requests(2, 0))
    assert closing.startswith(f"dry run: {verdict}; status {status}")
    assert str(NEW_ID) not in "\n".join([*planned.log_lines(), closing, planned.summary("o/r", Requests(2, 0))])


def test_a_release_the_plan_creates_has_no_id_or_url_and_an_existing_one_keeps_its_own():
    assert "id" not in plan_run(Seen(Observed()), WANT).release
    existing = plan_run(Seen(Observed(published())), WANT).release
    assert existing["id"] == 10
    assert existing["html_url"] == "https://github.com/o/r/releases/10"


def test_the_closing_line_counts_the_planned_writes_with_the_right_plurals():
    one = plan_run(Seen(Observed()), WANT).closing_line(Requests(1, 0))
    assert one.endswith("; status created, 1 write planned, none made (1 API request)")
    four = plan_run(Seen(Observed()), WANT, assets=uploads).closing_line(Requests(2, 0))
    assert four.endswith("; status created, 4 writes planned, none made (2 API requests)")
    none = plan_run(Seen(Observed(published())), WANT).closing_line(Requests(1, 0))
    assert none == "dry run: nothing to write: release 10 is as asked (published); status unchanged (1 API request)"


def test_the_summary_holds_the_steps_then_the_verdict_all_escaped():
    desired = dataclasses.replace(WANT, name="*bold* [x](https://evil.example)")
    summary = plan_run(Seen(Observed(published())), desired).summary("o/r", Requests(1, 0), ["careful"])
    assert summary.splitlines()[:7] == [
        "### Release plan (dry run)",
        "",
        "Nothing was written. What a run would do to the release of `o/r` for tag `v1.0.0`, in the order it would "
        "do it:",
        "",
        "- would update release 10",
        "  - name\\: `Release 1` → `*bold* [x](https://evil.example)`",
        "",
    ]
    assert "**Verdict:** would update release 10 \\(published\\); status `updated`, 1 write planned." in summary
    assert "GitHub API requests: 1 (0 writes)." in summary
    assert summary.endswith("> [!WARNING]\n> careful\n\n")


def test_a_plan_with_nothing_to_write_says_so_once():
    summary = plan_run(Seen(Observed(published())), WANT).summary("o/r", Requests(1, 0))
    assert "Nothing was written, and a run would write nothing to the release of `o/r` for tag `v1.0.0`." in summary
    assert summary.count("nothing to write") == 1


def test_under_if_exists_fail_the_plan_ends_in_the_error_the_real_run_would_give():
    planned = plan_run(Seen(Observed(published())), dataclasses.replace(WANT, body="new", if_exists="fail"))
    assert planned.log_lines() == ["release 10 is already published (if_exists: fail): nothing is written to it"]
    assert planned.failure is not None and "`if_exists: fail` is set" in str(planned.failure)
