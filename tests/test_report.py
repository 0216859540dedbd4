"""Specification of what a finished run reports: its status, the job summary, the closing line."""

from __future__ import annotations

import pytest

from release_action.publish_assets import status_with_assets
from release_action.report import Outcome, Requests, closing_line, summary_of

RELEASE = {"id": 7, "html_url": "https://github.com/o/r/releases/tag/v1", "draft": False}
ASSET = {
    "name": "app|1.zip",
    "size": 2048,
    "digest": "sha256:" + "ab" * 32,
    "browser_download_url": "https://github.com/o/r/releases/download/v1/app.1.zip",
}


@pytest.mark.parametrize(
    ("release_status", "asset_changes", "status"),
    [
        ("created", 0, "created"),
        ("created", 2, "created"),
        ("updated", 0, "updated"),
        ("updated", 1, "updated"),
        ("unchanged", 0, "unchanged"),
        ("unchanged", 1, "updated"),  # the fields stayed, an asset was uploaded or replaced
    ],
)
def test_the_runs_status_counts_asset_changes_as_an_update(release_status, asset_changes, status):
    assert status_with_assets(release_status, asset_changes) == status


def test_the_summary_says_what_was_done_links_the_release_and_counts_the_requests():
    summary = summary_of(Outcome(RELEASE, "created"), "v1", "o/r", Requests(4, 1))
    assert "Created the published release [v1](https://github.com/o/r/releases/tag/v1) of `o/r` (id 7)." in summary
    assert "GitHub API requests: 4 (1 writes)." in summary


def test_the_summary_lists_each_asset_with_what_this_run_did_to_it():
    outcome = Outcome({**RELEASE, "draft": True}, "updated", assets=(ASSET,), done={"app|1.zip": "uploaded"})
    summary = summary_of(outcome, "v1", "o/r", Requests(6, 3))
    assert "Updated the draft release" in summary
    link = "[app\\|1.zip](https://github.com/o/r/releases/download/v1/app.1.zip)"
    row = f"| {link} | 2.0 KiB | `abababababababab…` | uploaded |"
    assert row in summary.splitlines()


def test_the_summary_ends_with_the_runs_warnings():
    summary = summary_of(Outcome(RELEASE, "unchanged", warnings=("last writer wins",)), "v1", "o/r", Requests(1, 0))
    assert summary.endswith("> [!WARNING]\n> last writer wins\n\n")
    assert "Checked (unchanged)" in summary


def test_the_closing_line_is_for_people_and_names_the_status_and_the_cost():
    assert closing_line(Outcome(RELEASE, "unchanged"), Requests(1, 0)) == (
        "unchanged: https://github.com/o/r/releases/tag/v1 (1 API requests, 0 writes)"
    )
    assert closing_line(Outcome({}, "created"), Requests(2, 0)) == "created: (new release) (2 API requests, 0 writes)"


def test_the_summary_names_the_assets_removed_as_not_in_files():
    outcome = Outcome(RELEASE, "updated", removed=("app-1.0.dev7.tar.gz", "old.zip"))
    summary = summary_of(outcome, "v1", "o/r", Requests(5, 2))
    assert "Removed 2 assets not in `files`: `app-1.0.dev7.tar.gz`, `old.zip`." in summary.splitlines()
    one = summary_of(Outcome(RELEASE, "updated", removed=("old.zip",)), "v1", "o/r", Requests(5, 2))
    assert "Removed 1 asset not in `files`: `old.zip`." in one.splitlines()
    assert "Removed" not in summary_of(Outcome(RELEASE, "unchanged"), "v1", "o/r", Requests(1, 0))
