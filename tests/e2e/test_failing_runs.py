"""A run that fails, as the runner sees it: fast where waiting cannot help, one clear error, and a job summary
that says what was written before the failure and where the README's Troubleshooting entry is."""

from __future__ import annotations

import socket
import time

from release_action.display import md_text

from .conftest import TAG, Action, releases_for

ACTION = {"GITHUB_ACTION_REPOSITORY": "octo/safe-release-action", "GITHUB_ACTION_REF": "v1"}
README = "https://github.com/octo/safe-release-action/blob/v1/README.md"
# A refused connection costs three tries half a second apart and a process start: a few seconds
# on a loaded machine. Before fail-fast it was the whole budget (60 s here, 5 minutes by default).
UNREACHABLE_WITHIN = 20.0


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_api_url_nothing_listens_on_fails_in_seconds_naming_the_host_and_api_url(sb, action: Action):
    url = f"http://127.0.0.1:{refused_port()}"
    start = time.monotonic()
    run = action.run({"tag": TAG, "notes": "n", "timeout_seconds": "300"}, runner=ACTION | {"GITHUB_API_URL": url})
    elapsed = time.monotonic() - start

    assert run.code == 1, run
    assert elapsed < UNREACHABLE_WITHIN, f"{elapsed:.1f}s: {run}"
    (error,) = run.errors
    assert error.startswith("::error title=safe-release-action%3A GitHub's API cannot be reached::"), run
    assert f"{url} refused the connection (3 tries in " in error and f"Check `api_url` ({url})" in error, error
    assert "timeout_seconds" not in error
    assert run.stdout.count("connection refused; trying again") == 2, run
    assert "Nothing was written." in run.summary
    assert f"]({README}#safe-release-action-githubs-api-cannot-be-reached)" in run.summary, run.summary


def test_a_run_that_fails_after_writing_says_in_the_summary_what_it_wrote_and_links_the_fix(sb, action: Action):
    (action.workdir / "app.zip").write_bytes(b"built\n")
    sb.add_fault("upload_asset", "primary_limit", reset_in=3600)  # the limit resets long after the budget

    run = action.run({"tag": TAG, "notes": "n", "files": "app.zip"}, runner=ACTION)

    assert run.code == 1, run
    (error,) = run.errors
    assert error.startswith("::error title=safe-release-action%3A the API rate limit is spent::"), run
    (draft,) = releases_for(sb, TAG)  # held as a draft until its assets are in: never published half-filled
    assert draft["draft"] is True
    summary = run.summary.splitlines()
    assert "**Failed:** safe\\-release\\-action\\: the API rate limit is spent" in summary, run.summary
    written = summary[summary.index("Written before the failure:") + 2 :]
    assert written[0] == "- " + md_text(f"created release {draft['id']} for {TAG} as a draft")
    assert written[1] == "", "the upload GitHub refused is not a write made"
    assert f"]({README}#safe-release-action-the-api-rate-limit-is-spent) in the README's Troubleshooting." in (
        run.summary
    )


def test_bad_input_writes_a_summary_saying_nothing_was_written(sb, action: Action):
    run = action.run({"tag": "a..b", "make_latest": "always"}, runner=ACTION)

    assert run.code == 2 and len(run.errors) == 2, run
    assert run.summary.count("> [!CAUTION]") == 2 and "Nothing was written." in run.summary
    assert f"]({README}#safe-release-action-invalid-input)" in run.summary
    assert sb.log == []
