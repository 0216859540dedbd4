"""Specification of what a finished run reports: its status, the job summary, the closing line."""

from __future__ import annotations

import re

import pytest

from release_action.github import Write, fingerprint
from release_action.publish_assets import status_with_assets
from release_action.report import (
    Change,
    Outcome,
    Requests,
    anchor,
    changes_of,
    closing_line,
    failure_summary,
    outputs_of,
    summary_of,
    troubleshooting_url,
)

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


API = "https://api.github.com"


def test_the_summary_says_what_was_done_links_the_release_and_counts_the_requests():
    summary = summary_of(Outcome(RELEASE, "created"), "v1", "o/r", Requests(4, 1), API)
    assert "Created the published release [v1](https://github.com/o/r/releases/tag/v1) of `o/r` (id 7)." in summary
    assert "GitHub API requests: 4 (1 write)." in summary


def test_the_summary_lists_each_asset_with_what_this_run_did_to_it():
    outcome = Outcome({**RELEASE, "draft": True}, "updated", assets=(ASSET,), done={"app|1.zip": "uploaded"})
    summary = summary_of(outcome, "v1", "o/r", Requests(6, 3), API)
    assert "Updated the draft release" in summary
    link = "[app\\|1\\.zip](https://github.com/o/r/releases/download/v1/app.1.zip)"
    row = f"| {link} | 2.0 KiB | `abababababababab…` | uploaded |"
    assert row in summary.splitlines()


def test_the_summary_ends_with_the_runs_warnings():
    summary = summary_of(
        Outcome(RELEASE, "unchanged", warnings=("last writer wins",)), "v1", "o/r", Requests(1, 0), API
    )
    assert summary.endswith("> [!WARNING]\n> last writer wins\n\n")
    assert "Checked (unchanged)" in summary


def test_the_closing_line_is_for_people_and_names_the_status_and_the_cost():
    assert closing_line(Outcome(RELEASE, "unchanged"), Requests(1, 0)) == (
        "unchanged: https://github.com/o/r/releases/tag/v1 (1 API request, 0 writes)"
    )
    assert closing_line(Outcome({}, "created"), Requests(2, 1)) == "created: (new release) (2 API requests, 1 write)"


LOST = "created release 5, then deleted it: another run's release 7 won"


def test_a_run_whose_own_release_lost_says_so_beside_its_status_in_the_log_and_the_summary():
    outcome = Outcome(RELEASE, "unchanged", history=(LOST,))
    assert closing_line(outcome, Requests(8, 2)) == (
        "unchanged: https://github.com/o/r/releases/tag/v1 (8 API requests, 2 writes); this run also " + LOST
    )
    summary = summary_of(outcome, "v1", "o/r", Requests(8, 2), API)
    assert "Checked (unchanged) the published release" in summary
    assert r"This run also created release 5\, then deleted it\: another run\'s release 7 won." in summary


def test_a_run_that_only_touched_its_release_says_nothing_more():
    assert "also" not in closing_line(Outcome(RELEASE, "created"), Requests(4, 1))
    assert "also" not in summary_of(Outcome(RELEASE, "created"), "v1", "o/r", Requests(4, 1), API)


# -- server text is data in the summary and the log ---------------------------------------------

HOSTILE_URLS = [
    "https://github.com/o/r/releases/tag/v1)![pixel](https://evil.example/p.png)",  # closes the link, opens an image
    "https://github.com/o/r/releases/tag/v1\n\n# Pwned <img src=x>",
    "https://evil.example/o/r/releases/tag/v1",  # another origin
    "http://github.com/o/r/releases/tag/v1",  # another scheme
    "https://github.com:8443/o/r/releases/tag/v1",  # another port
    "https://api.github.com/o/r",  # the API's origin, not the web's
    "javascript:alert(1)",
    'https://github.com/o/r/releases/tag/v1 "title"',
    "https://github.com/o/r/releases/tag/v1\x1b]52;c;cm0gLXJm\x07",
    "https://user@github.com/o/r",
    "https://github.com/o/r|x",
]


def outside_code_spans(markdown: str) -> str:
    return re.sub(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", " ", markdown)


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_url_that_is_not_plain_on_the_web_origin_is_shown_as_text_never_as_a_link(url):
    asset = {**ASSET, "browser_download_url": url}
    outcome = Outcome({**RELEASE, "html_url": url}, "created", assets=(asset,))
    summary = summary_of(outcome, "v1", "o/r", Requests(1, 1), API)
    prose = outside_code_spans(summary)
    assert "](" not in prose and "![" not in prose and "<" not in prose, summary
    lines = summary.splitlines()
    assert lines[2].startswith("Created the published release v1 `") and lines[2].endswith("` of `o/r` (id 7)."), (
        summary
    )
    (row,) = [line for line in lines if line.startswith("| app")]
    assert row.startswith("| app\\|1\\.zip `") and row.endswith(" | 2.0 KiB | `abababababababab…` | unchanged |"), row
    assert outside_code_spans(row).count("|") - outside_code_spans(row).count("\\|") == 5, row  # four cells
    assert not any(c < " " or "\x7f" <= c <= "\x9f" for c in summary.replace("\n", "")), repr(summary)


@pytest.mark.parametrize(
    ("api_url", "html_url"),
    [
        ("https://api.github.com", "https://github.com/o/r/releases/tag/v1"),
        ("https://api.octocorp.ghe.com", "https://octocorp.ghe.com/o/r/releases/tag/v1"),
        ("https://ghes.example.com/api/v3", "https://ghes.example.com/o/r/releases/tag/v1"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/o/r/releases/tag/v1"),  # the simulator
    ],
)
def test_the_release_is_linked_on_the_web_origin_of_the_api_used(api_url, html_url):
    summary = summary_of(Outcome({**RELEASE, "html_url": html_url}, "created"), "v1", "o/r", Requests(1, 1), api_url)
    assert f"release [v1]({html_url}) of" in summary
    assert "[v1](" not in summary_of(Outcome({**RELEASE, "html_url": html_url}, "created"), "v1", "o/r", Requests(1, 1))


def test_every_field_of_the_summary_escapes_markdown_and_control_characters():
    asset = {"name": "*bold* <b>x</b>\n# h", "size": "[big](https://evil.example)", "digest": "sha256:`x`|y"}
    release = {**RELEASE, "id": "7 **seven**"}
    outcome = Outcome(
        release,
        "created",
        warnings=("`body` = <img src=x> [x](https://evil.example)\n> more",),
        assets=(asset,),
        done={asset["name"]: "uploaded"},
    )
    summary = summary_of(outcome, "v1_<x>", "o/r", Requests(1, 1), API)
    assert (
        "release [v1\\_\\<x\\>](https://github.com/o/r/releases/tag/v1) of `o/r` (id 7 \\*\\*seven\\*\\*)." in summary
    )
    assert "| \\*bold\\* \\<b\\>x\\<\\/b\\>\\\\n\\# h | \\[big\\]\\(https\\:\\/\\/evil\\.example\\) | " in summary
    assert not re.search(r"(?<!\\)\]\(https://evil|(?<!\\)<|\n#", summary), summary  # no link, tag or heading
    assert summary.endswith(
        "> [!WARNING]\n> \\`body\\` \\= \\<img src\\=x\\> \\[x\\]\\(https\\:\\/\\/evil\\.example\\)\\\\n\\> more\n\n"
    )


def test_the_closing_line_stays_one_line_without_terminal_escapes():
    release = {**RELEASE, "html_url": "https://github.com/o/r/releases/tag/v1\n::warning::x\x1b[2J\x9d52;c;eA==\x9c"}
    line = closing_line(Outcome(release, "unchanged"), Requests(1, 0))
    assert line == "unchanged: https://github.com/o/r/releases/tag/v1\\n::warning::x (1 API request, 0 writes)"


def test_the_summary_names_the_assets_removed_as_not_in_files():
    outcome = Outcome(RELEASE, "updated", removed=("app-1.0.dev7.tar.gz", "old.zip"))
    summary = summary_of(outcome, "v1", "o/r", Requests(5, 2))
    assert "Removed 2 assets not in `files`: `app-1.0.dev7.tar.gz`, `old.zip`." in summary.splitlines()
    one = summary_of(Outcome(RELEASE, "updated", removed=("old.zip",)), "v1", "o/r", Requests(5, 2))
    assert "Removed 1 asset not in `files`: `old.zip`." in one.splitlines()
    assert "Removed" not in summary_of(Outcome(RELEASE, "unchanged"), "v1", "o/r", Requests(1, 0))


def test_a_skipped_run_says_the_release_was_left_as_it_was():
    summary = summary_of(Outcome(RELEASE, "skipped"), "v1", "o/r", Requests(1, 0), API)
    assert "Left as it was (`if_exists: skip`): the published release [v1](https://github.com/o/r/releases/tag/v1)" in (
        summary
    )
    assert status_with_assets("skipped", 0) == "skipped"


@pytest.mark.parametrize(
    ("release", "tarball", "zipball"),
    [
        ({**RELEASE, "tarball_url": "https://api.github.com/repos/o/r/tarball/v1",
          "zipball_url": "https://api.github.com/repos/o/r/zipball/v1"},
         "https://api.github.com/repos/o/r/tarball/v1", "https://api.github.com/repos/o/r/zipball/v1"),
        ({**RELEASE, "draft": True, "tarball_url": None, "zipball_url": None}, "", ""),  # GitHub's null for a draft
        ({}, "", ""),  # a dry run's new release
    ],
)  # fmt: skip
def test_the_archive_urls_are_outputs_as_github_gives_them_and_empty_when_it_gives_none(release, tarball, zipball):
    outputs = outputs_of(Outcome(release, "created"), "v1", Requests(1, 1))
    assert (outputs["tarball_url"], outputs["zipball_url"]) == (tarball, zipball)


# -- what the run changed, field by field ------------------------------------------------------------

BODY_OLD, BODY_NEW = fingerprint("Old notes."), fingerprint("New notes.")


def created(release_id: int = 7, **fields: object) -> Write:
    return Write("create", release_id, "v1", tuple((name, None, value) for name, value in fields.items()))


def updated(release_id: int = 7, lost: bool = False, **changes: tuple[object, object]) -> Write:
    return Write("update", release_id, "v1", tuple((n, b, a) for n, (b, a) in changes.items()), lost=lost)


CHANGES = [
    pytest.param([], [], id="nothing written"),
    pytest.param([updated(name=("Old", "New"), body=(BODY_OLD, BODY_NEW))],
                 [Change("name", "Old", "New"), Change("body", BODY_OLD, BODY_NEW)], id="an update"),
    pytest.param([updated(draft=(True, False)), updated(prerelease=(False, True))],
                 [Change("draft", True, False), Change("prerelease", False, True)], id="two updates"),
    pytest.param([updated(name=("A", "B")), updated(name=("B", "C"))], [Change("name", "A", "C")],
                 id="first seen to last written"),
    pytest.param([updated(name=("A", "B")), updated(name=("B", "A"))], [], id="set back: no change"),
    pytest.param([created(name="v1", draft=True, body=BODY_NEW), updated(draft=(True, False))],
                 [Change("name", None, "v1"), Change("body", None, BODY_NEW), Change("draft", None, False)],
                 id="created, then published"),
    pytest.param([updated(release_id=8, name=("A", "B"))], [], id="another release"),
    pytest.param([updated(lost=True, name=("A", "B"))], [], id="a lost answer"),
    pytest.param([Write("delete", 7, "v1"), Write("upload", None, "app.zip")], [], id="no field"),
]  # fmt: skip


@pytest.mark.parametrize(("writes", "changes"), CHANGES)
def test_the_fields_a_run_changed_come_from_the_writes_it_made(writes, changes):
    assert changes_of(writes, 7) == changes


def test_the_summary_shows_each_changed_field_old_to_new_in_the_runners_words_and_never_the_notes():
    writes = [updated(name=("Beta *1*", "v1"), body=(BODY_OLD, BODY_NEW), draft=(True, False))]
    summary = summary_of(Outcome(RELEASE, "updated"), "v1", "o/r", Requests(3, 1), API, writes)
    assert "| Field | Before | After |\n|---|---|---|\n" in summary
    assert "| name | `Beta *1*` | `v1` |" in summary.splitlines()
    assert "| notes | (not shown) | changed |" in summary.splitlines()
    assert "| draft | true | false |" in summary.splitlines()
    assert BODY_OLD not in summary and BODY_NEW not in summary


def test_a_created_release_shows_the_fields_it_was_created_with():
    writes = [created(name="v1", draft=False, prerelease=True, body=BODY_NEW)]
    lines = summary_of(Outcome(RELEASE, "created"), "v1", "o/r", Requests(2, 1), API, writes).splitlines()
    assert "| name | (new) | `v1` |" in lines and "| notes | (new) | set |" in lines
    assert "| draft | (new) | false |" in lines and "| prerelease | (new) | true |" in lines


def test_an_unchanged_release_has_no_table_of_changes():
    summary = summary_of(Outcome(RELEASE, "unchanged"), "v1", "o/r", Requests(1, 0), API, [])
    assert "| Field |" not in summary and "GitHub API requests: 1 (0 writes)." in summary


# -- a run that failed -------------------------------------------------------------------------------

LINK = "https://github.com/octo/safe-release-action/blob/v1/README.md#safe-release-action-the-api-rate-limit-is-spent"


def test_a_failed_run_summary_has_the_error_what_was_written_before_it_and_the_troubleshooting_link():
    writes = [
        created(name="v1", draft=True),
        Write("upload", None, "app.zip"),
        Write("delete asset", None, "old.zip"),
        updated(draft=(True, False), body=(BODY_OLD, BODY_NEW)),
        Write("delete", 9, "v1"),
        Write("update", 7, "v1", (("name", "a", "b"),), lost=True),
    ]
    title = "safe-release-action: the API rate limit is spent"
    summary = failure_summary(title, ["GET … → 403 API rate limit exceeded.", "second"], writes, Requests(9, 6), LINK)
    lines = summary.splitlines()
    assert lines[:3] == ["### Release", "", "**Failed:** safe\\-release\\-action\\: the API rate limit is spent"]
    assert "> [!CAUTION]" in lines and "> second" in lines
    assert lines[lines.index("Written before the failure:") + 2 :][:6] == [
        "- created release 7 for v1 as a draft",
        "- uploaded the asset app\\.zip",
        "- deleted the asset old\\.zip",
        "- updated release 7 for v1\\: draft → false\\, notes",
        "- deleted release 9 for v1",
        "- updated release 7 for v1\\: name \\(sent\\, but its answer was lost\\: it may or may not have happened\\)",
    ]
    assert "GitHub API requests: 9 (6 writes)." in lines
    assert (
        f"What to do: see [safe\\-release\\-action\\: the API rate limit is spent]({LINK}) in the README's " in summary
    )


def test_a_run_that_failed_before_writing_says_nothing_was_written_and_names_the_section_without_a_link():
    summary = failure_summary("safe-release-action: invalid input", ["--tag is 'a..b'."], [], None, None)
    assert "Nothing was written." in summary.splitlines()
    assert "GitHub API requests" not in summary and "](" not in summary
    assert (
        "What to do: see safe\\-release\\-action\\: invalid input under Troubleshooting in safe-release-action's"
        in summary
    )


def test_the_error_in_a_failed_run_summary_is_data():
    summary = failure_summary(
        "t", ["<img src=x> [a](https://evil.example)\n# h"], [Write("upload", None, "*x*")], None, None
    )
    assert "\\<img src\\=x\\> \\[a\\]\\(https\\:\\/\\/evil\\.example\\)\\\\n\\# h" in summary
    assert "- uploaded the asset \\*x\\*" in summary
    assert not re.search(r"(?<!\\)<|(?<!\\)\]\(|\n#", summary.replace("### Release", "")), summary


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({"GITHUB_ACTION_REPOSITORY": "octo/safe-release-action", "GITHUB_ACTION_REF": "v1"}, LINK),
        ({"GITHUB_ACTION_REPOSITORY": "octo/safe-release-action", "GITHUB_ACTION_REF": ""},
         "https://github.com/octo/safe-release-action#safe-release-action-the-api-rate-limit-is-spent"),
        ({"GITHUB_ACTION_REPOSITORY": "o/a", "GITHUB_ACTION_REF": "0123abc", "GITHUB_SERVER_URL": "https://ghes.example"},
         "https://ghes.example/o/a/blob/0123abc/README.md#safe-release-action-the-api-rate-limit-is-spent"),
        ({"GITHUB_ACTION_REPOSITORY": "octo_acme/tool", "GITHUB_ACTION_REF": "v1"},  # a managed user's repository
         "https://github.com/octo_acme/tool/blob/v1/README.md#safe-release-action-the-api-rate-limit-is-spent"),
        ({"GITHUB_ACTION_REPOSITORY": "o/..", "GITHUB_ACTION_REF": "v1"}, None),  # not a repository name
        ({}, None),  # `uses: ./`, or a terminal: the runner names no action repository
        ({"GITHUB_ACTION_REPOSITORY": "o/a)![x](https://evil.example/p.png"}, None),
        ({"GITHUB_ACTION_REPOSITORY": "o/a", "GITHUB_ACTION_REF": "v1#x"}, None),
        ({"GITHUB_ACTION_REPOSITORY": "o/a", "GITHUB_ACTION_REF": "../../x"}, None),
        ({"GITHUB_ACTION_REPOSITORY": "o/a", "GITHUB_SERVER_URL": "javascript:alert(1)"}, None),
    ],
)  # fmt: skip
def test_the_troubleshooting_link_points_into_the_actions_own_readme_at_the_ref_the_run_used(env, url):
    assert troubleshooting_url("safe-release-action: the API rate limit is spent", env) == url


@pytest.mark.parametrize(
    ("heading", "anchor_"),
    [
        ("safe-release-action: GitHub's API cannot be reached", "safe-release-action-githubs-api-cannot-be-reached"),
        ("safe-release-action: unexpected error (a bug)", "safe-release-action-unexpected-error-a-bug"),
        ("safe-release-action failed", "safe-release-action-failed"),
    ],
)
def test_an_anchor_is_the_one_github_gives_the_heading(heading, anchor_):
    assert anchor(heading) == anchor_
