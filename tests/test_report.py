"""Specification of what a finished run reports: its status, the job summary, the closing line."""

from __future__ import annotations

import re

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
        "unchanged: https://github.com/o/r/releases/tag/v1 (1 API requests, 0 writes)"
    )
    assert closing_line(Outcome({}, "created"), Requests(2, 0)) == "created: (new release) (2 API requests, 0 writes)"


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
    assert line == "unchanged: https://github.com/o/r/releases/tag/v1\\n::warning::x (1 API requests, 0 writes)"
