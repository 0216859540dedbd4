"""Server text is data: URLs in answers are checked when read, and garbled framing is a clear error.

A release's `html_url`, `upload_url` and its assets' `browser_download_url` are checked as
soon as an answer is read (as is a list's Link to the next page: test_hostile_servers.py):
one printable line, on the origin GitHub uses for it (the web origin, or the upload origin:
the API's own, as the simulator serves uploads like GitHub Enterprise Server). A bad one is an
error that names the field; it never reaches the outputs or the job summary, and no request
goes to it. A garbled redirect target or chunk size is a clear error too, never "a bug".
"""

from __future__ import annotations

from typing import Any

import pytest

from release_bench.sandbox import Hostile, Sandbox, Trap

from .conftest import REPO, TAG, Action, assert_converged, writes
from .test_hostile_servers import RELEASE_ROUTES, assert_one_clear_error, every_release, timed


@pytest.fixture
def trap() -> Any:
    with Trap() as listener:
        yield listener


def edit_every_release(sb: Sandbox, edit) -> None:
    for route in RELEASE_ROUTES:
        sb.add_fault(route, "answer", times=100, answer=Hostile(edit=every_release(edit)))


def assert_not_passed_on(run, text: str) -> None:
    assert text not in run.stdout.replace(run.errors[0], ""), "the bad URL was passed on to the log"
    assert all(text not in value for value in run.outputs.values()), run.outputs
    assert text not in run.summary


# -- URLs from answers ---------------------------------------------------------------------------

BAD_HTML_URLS = {
    "newline-workflow-command": "{web}/octo/demo/releases/tag/v1.0.0\n::warning::pwned",
    "terminal-escape": "{web}/octo/demo/releases/tag/v1.0.0\x1b]52;c;cHduZWQ=\x07",
    "another-origin": "https://evil.example/octo/demo/releases/tag/v1.0.0",
    "javascript": "javascript:alert(1)",
    "api-scheme-swapped": "ftp://{host}/octo/demo/releases/tag/v1.0.0",
}


@pytest.mark.parametrize("bad", BAD_HTML_URLS.values(), ids=BAD_HTML_URLS.keys())
def test_a_bad_html_url_is_an_error_naming_the_field_and_is_passed_on_nowhere(sb: Sandbox, action: Action, bad: str):
    url = bad.format(web=sb.api_url, host=sb.api_url.removeprefix("http://"))
    edit_every_release(sb, lambda release: {**release, "html_url": url})

    run, elapsed = timed(action, {"tag": TAG, "notes": "n", "timeout_seconds": "10"})

    assert_one_clear_error(run, elapsed, 10, "`html_url`", "GitHub, or a proxy in front of it, answered")
    assert_not_passed_on(run, "pwned")
    assert_not_passed_on(run, "evil.example")
    assert "\x1b" not in run.stdout
    assert run.outputs.get("html_url", "") == ""


def test_a_browser_download_url_on_another_origin_is_an_error_naming_the_field(sb: Sandbox, action: Action):
    sb.seed_release(REPO, TAG, body="n", assets=[("app.bin", b"binary")])

    def elsewhere(release: dict) -> dict:
        assets = [{**a, "browser_download_url": "https://evil.example/app.bin"} for a in release["assets"]]
        return {**release, "assets": assets}

    edit_every_release(sb, elsewhere)
    (action.workdir / "app.bin").write_bytes(b"binary")

    run, elapsed = timed(action, {"tag": TAG, "notes": "n", "files": "app.bin", "timeout_seconds": "10"})

    assert_one_clear_error(run, elapsed, 10, "`browser_download_url`")
    assert_not_passed_on(run, "evil.example")
    assert writes(sb) == []


def test_an_upload_url_on_another_port_of_the_loopback_api_is_an_error_and_nothing_is_sent_there(
    sb: Sandbox, action: Action, trap: Trap
):
    # The simulator serves uploads on the API's own origin, as GitHub Enterprise Server does;
    # another port of the same loopback address is another origin like any other.
    def elsewhere(release: dict) -> dict:
        return {**release, "upload_url": f"{trap.url}/repos/{REPO}/releases/{release['id']}/assets{{?name,label}}"}

    edit_every_release(sb, elsewhere)
    (action.workdir / "app.bin").write_bytes(b"binary")

    run, elapsed = timed(action, {"tag": TAG, "files": "app.bin", "timeout_seconds": "10"})

    assert_one_clear_error(run, elapsed, 10, "`upload_url`")
    assert trap.connections == 0, trap.heads
    assert sb.count(route="upload_asset") == 0


def test_the_upload_url_the_simulator_names_is_on_the_api_origin_and_uploads_go_there(sb: Sandbox, action: Action):
    (action.workdir / "app.bin").write_bytes(b"binary")

    run = action.run({"tag": TAG, "files": "app.bin"})

    release = assert_converged(sb, [run])
    assert release["upload_url"].startswith(f"{sb.api_url}/api/uploads/repos/{REPO}/releases/")
    assert sb.count(route="upload_asset") == 1


# -- garbled framing is a clear error -------------------------------------------------------------


def test_a_redirect_to_a_url_with_a_garbled_port_is_a_clear_error(sb: Sandbox, action: Action, trap: Trap):
    host = sb.api_url.removeprefix("http://")
    moved = Hostile(307, {"Location": f"http://{host}:/x"}, b"")
    sb.add_fault("get_release_by_tag", "answer", answer=moved)

    run, elapsed = timed(action, {"tag": TAG, "notes": "n", "timeout_seconds": "5"})

    error = assert_one_clear_error(run, elapsed, 5, "a redirect whose Location is refused", "cannot be parsed", "→ 307")
    assert "a bug" not in error
    assert trap.connections == 0


@pytest.mark.parametrize("size_line", [b"-5", b"+5", b"0x5", b"5 5", b"ffffffffffffffffff"])
def test_a_garbled_chunk_size_is_a_clear_error(sb: Sandbox, action: Action, size_line: bytes):
    body = size_line + b"\r\n" + b'{"id": 1}' + b"\r\n0\r\n\r\n"
    garbled = Hostile(headers={"Transfer-Encoding": "chunked"}, body=body, length=False)
    sb.add_fault("get_release_by_tag", "answer", times=100, answer=garbled)

    run, elapsed = timed(action, {"tag": TAG, "notes": "n", "timeout_seconds": "5"})

    error = assert_one_clear_error(run, elapsed, 5, "chunk size", "→ 200", "/releases/tags/v1.0.0")
    assert "a bug" not in error
