"""Servers that misbehave, against the real entrypoint: every run ends on time in one clear error.

Each scenario scripts a `Hostile` answer into the sandbox (a proxy in front of GitHub, or a
server that is not GitHub at all) and runs `python entrypoint.py` against it with a small
budget. Every one must end with exit 1, exactly one `::error::`, no traceback, within its
budget plus a few seconds; where the answer points elsewhere, a `Trap` (another origin on
loopback) proves that nothing was sent there.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from release_action.transport import MAX_ANSWER_BYTES
from release_bench.harness import parse_outputs
from release_bench.sandbox import Hostile, Sandbox, Trap

from .conftest import ENTRYPOINT, PROCESS_TIMEOUT, REPO, TAG, Action, Run, assert_converged, writes

MARGIN = 5.0  # seconds a run may take beyond its budget: interpreter start and the report
RELEASE_ROUTES = ("get_release", "get_release_by_tag", "list_releases", "create_release", "update_release")
HTML = "<!DOCTYPE html><html><body><h1>Sign in to continue</h1></body></html>"
RATE_LIMITED = json.dumps({"message": "API rate limit exceeded", "documentation_url": "https://docs.github.com"})


@pytest.fixture
def trap() -> Iterator[Trap]:
    with Trap() as listener:
        yield listener


def timed(action: Action, inputs: dict[str, str]) -> tuple[Run, float]:
    start = time.monotonic()
    run = action.run(inputs)
    return run, time.monotonic() - start


# Runs the entrypoint as `python entrypoint.py` would, then writes the process's own peak RSS
# (VmHWM, in KiB) to the file named last. Not ru_maxrss: Linux hands a child the high-water mark
# of the process that spawned it (pytest's, here), so that figure is never below the parent's.
PEAK = """\
import atexit, os, runpy, sys
entrypoint, report = sys.argv[1:]
sys.path[0] = os.path.dirname(entrypoint)

def peak():
    with open("/proc/self/status") as status, open(report, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))

atexit.register(peak)
sys.argv = [entrypoint]
runpy.run_path(entrypoint, run_name="__main__")
"""


def timed_with_peak_memory(action: Action, inputs: dict[str, str]) -> tuple[Run, float, float]:
    """As `timed`, plus the peak RSS (MiB) of that one process, as it measured itself."""
    env = action.env(inputs)
    report = Path(env["GITHUB_OUTPUT"] + ".peak-kib")
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", PEAK, str(ENTRYPOINT), str(report)],
        env=env,
        cwd=action.workdir,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
    )
    elapsed = time.monotonic() - start
    outputs = parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
    return Run(proc.returncode, proc.stdout, proc.stderr, outputs), elapsed, int(report.read_text()) / 1024


def assert_one_clear_error(run: Run, elapsed: float, budget: float, *phrases: str) -> str:
    """Exit 1, one ::error:: that holds every phrase, no traceback, within the budget plus MARGIN."""
    assert run.code == 1, run
    assert len(run.errors) == 1, run
    for phrase in phrases:
        assert phrase in run.errors[0], run
    assert "Traceback" not in run.stderr, run
    assert elapsed < budget + MARGIN, f"took {elapsed:.1f}s on a {budget:g}s budget"
    return run.errors[0]


def every_release(edit: Callable[[dict], dict]) -> Callable[[Any], Any]:
    """An edit for a release answer and for a list of them alike."""
    return lambda body: [edit(r) for r in body] if isinstance(body, list) else edit(body)


# -- the budget bounds everything ----------------------------------------------------------------


def test_a_link_loop_ends_at_once_in_an_error_not_in_hundreds_of_requests(sb: Sandbox, action: Action):
    again = f"{sb.api_url}/repos/{REPO}/releases?per_page=100&page=2"
    sb.add_fault("list_releases", "answer", times=1000, answer=Hostile(headers={"Link": f'<{again}>; rel="next"'}))

    run, elapsed = timed(action, {"tag": TAG, "notes": "n", "timeout_seconds": "5"})

    assert_one_clear_error(run, elapsed, 5, "a page already read")
    assert sb.count(route="list_releases") == 2  # the first page, page 2, and page 2 again is refused
    assert writes(sb) == []


def test_a_server_that_sends_a_byte_a_second_cannot_keep_a_run_past_its_budget(sb: Sandbox, action: Action):
    sb.add_fault("get_release_by_tag", "answer", answer=Hostile(rate=1.0))

    run, elapsed = timed(action, {"tag": TAG, "notes": "n", "timeout_seconds": "10"})

    assert_one_clear_error(run, elapsed, 10, "`timeout_seconds` (10) ran out", "GET", "/releases/tags/v1.0.0")
    assert elapsed >= 9, "ended before the budget: something else failed"


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "until-close"])
def test_a_200_mb_answer_is_refused_without_being_read_whole(sb: Sandbox, action: Action, length: bool):
    sb.add_fault("get_release_by_tag", "answer", answer=Hostile(size=200 << 20, length=length))

    run, elapsed, peak_mib = timed_with_peak_memory(action, {"tag": TAG, "notes": "n", "timeout_seconds": "20"})

    assert_one_clear_error(run, elapsed, 20, f"fits in {MAX_ANSWER_BYTES >> 20} MiB", "/releases/tags/v1.0.0")
    # At most the cap over a bare run's 33 MiB (read whole, the body took it to 434 MiB).
    assert peak_mib < 33 + (MAX_ANSWER_BYTES >> 20) + 32, f"the run peaked at {peak_mib:.0f} MiB"


# -- answers of the wrong shape --------------------------------------------------------------------

SHAPES = {
    "list-for-a-release": ("get_release_by_tag", lambda r: [r], "a JSON list; expected a release"),
    "object-for-a-list": ("list_releases", lambda items: {"items": items}, "a JSON object; expected a list"),
    "items-not-objects": ("list_releases", lambda items: ["v1.0.0", 7], "a JSON string; expected a release"),
    "id-not-an-integer": ("get_release_by_tag", lambda r: {**r, "id": str(r["id"])}, "`id` is a string"),
    "id-missing": ("get_release_by_tag", lambda r: {k: v for k, v in r.items() if k != "id"}, "without `id`"),
}


@pytest.mark.parametrize(("route", "edit", "says"), SHAPES.values(), ids=SHAPES.keys())
def test_an_answer_of_the_wrong_shape_is_named_with_its_url_status_and_what_was_expected(
    sb: Sandbox, action: Action, route: str, edit: Callable[[Any], Any], says: str
):
    sb.seed_release(REPO, "v0.9.0")  # the list is never empty
    if route == "get_release_by_tag":
        sb.seed_release(REPO, TAG, body="n")
    sb.add_fault(route, "answer", times=100, answer=Hostile(edit=edit))

    run, elapsed = timed(action, {"tag": TAG, "notes": "n", "timeout_seconds": "5"})

    assert_one_clear_error(run, elapsed, 5, "GitHub, or a proxy in front of it, answered", says, "→ 200")
    assert writes(sb) == []


GARBLED = {
    "reset-soon": (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "soon"}, "x-ratelimit-reset"),
    "reset-1e400": (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1e400"}, "x-ratelimit-reset"),
    "reset-nan": (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "nan"}, "x-ratelimit-reset"),
    "retry-after-soon": (429, {"Retry-After": "soon"}, "retry-after"),
    "retry-after-nan": (429, {"Retry-After": "nan"}, "retry-after"),
    "retry-after-negative": (403, {"Retry-After": "-5"}, "retry-after"),
}


@pytest.mark.parametrize(("status", "headers", "header"), GARBLED.values(), ids=GARBLED.keys())
def test_a_garbled_rate_limit_header_is_a_clear_error_not_a_traceback_nor_a_busy_loop(
    sb: Sandbox, action: Action, status: int, headers: dict[str, str], header: str
):
    sb.add_fault("get_release_by_tag", "answer", times=100, answer=Hostile(status, headers, RATE_LIMITED))

    run, elapsed = timed(action, {"tag": TAG, "notes": "n", "timeout_seconds": "5"})

    assert_one_clear_error(run, elapsed, 5, header, "expected whole seconds", f"→ {status}")
    assert sb.count(route="get_release_by_tag") == 1


def test_an_html_page_answered_200_is_named_as_such_and_not_as_could_not_reach(sb: Sandbox, action: Action):
    sb.add_fault(
        "get_release_by_tag", "answer", times=100, answer=Hostile(headers={"Content-Type": "text/html"}, body=HTML)
    )

    run, elapsed = timed(action, {"tag": TAG, "notes": "n", "timeout_seconds": "5"})

    error = assert_one_clear_error(run, elapsed, 5, "→ 200", "text/html page, not JSON", "expected a release")
    assert "Could not reach" not in error
    assert "Sign in" not in run.stdout, "the page's text is not echoed"


def test_html_answered_502_again_and_again_ends_within_the_budget_naming_what_failed(sb: Sandbox, action: Action):
    page = Hostile(502, {"Content-Type": "text/html"}, HTML)
    sb.add_fault("get_release_by_tag", "answer", times=1000, answer=page)

    run, elapsed = timed(action, {"tag": TAG, "notes": "n", "timeout_seconds": "5"})

    assert_one_clear_error(run, elapsed, 5, "`timeout_seconds` (5)", "/releases/tags/v1.0.0 answered 502")
    assert 2 <= sb.count(route="get_release_by_tag") <= 20, "retried with backoff, not in a busy loop"


# -- the token goes to one origin ------------------------------------------------------------------


def test_a_redirect_within_the_api_origin_is_followed(sb: Sandbox, action: Action):
    # GitHub answers 301 for a renamed repository's GET; the run follows it and converges.
    moved = Hostile(301, {"Location": f"{sb.api_url}/repos/{REPO}/releases/tags/{TAG}"}, b"")
    sb.add_fault("get_release_by_tag", "answer", answer=moved)

    run = action.run({"tag": TAG, "notes": "n", "timeout_seconds": "10"})

    assert_converged(sb, [run], bodies=("n",))
    assert "moved (301)" in run.stdout


def test_a_redirect_to_another_origin_is_refused_and_nothing_is_sent_there(sb: Sandbox, action: Action, trap: Trap):
    moved = Hostile(307, {"Location": f"{trap.url}/repos/{REPO}/releases/tags/{TAG}"}, b"")
    sb.add_fault("get_release_by_tag", "answer", answer=moved)

    run, elapsed = timed(action, {"tag": TAG, "notes": "n", "timeout_seconds": "5"})

    assert_one_clear_error(run, elapsed, 5, "refusing to send the token to this redirect target", trap.url)
    assert trap.connections == 0, trap.heads


def test_a_pagination_link_to_another_origin_is_refused_and_nothing_is_sent_there(
    sb: Sandbox, action: Action, trap: Trap
):
    link = Hostile(headers={"Link": f'<{trap.url}/repos/{REPO}/releases?page=2>; rel="next"'})
    sb.add_fault("list_releases", "answer", answer=link)

    run, elapsed = timed(action, {"tag": TAG, "notes": "n", "timeout_seconds": "5"})

    assert_one_clear_error(run, elapsed, 5, "a Link to the next page", trap.url, "not on")
    assert trap.connections == 0, trap.heads


@pytest.mark.parametrize("style", ["backslash-userinfo", "another-host"])
def test_an_upload_url_pointing_at_another_origin_is_refused_and_nothing_is_sent_there(
    sb: Sandbox, action: Action, trap: Trap, style: str
):
    uploads = sb.uploads_url.removeprefix("http://")
    evil = {
        "backslash-userinfo": f"http://127.0.0.1:{trap.port}\\@{uploads}",  # urlsplit: uploads; urllib3: trap
        "another-host": f"http://localhost:{trap.port}",
    }[style]

    def point_elsewhere(release: dict) -> dict:
        return {**release, "upload_url": f"{evil}/repos/{REPO}/releases/{release['id']}/assets{{?name,label}}"}

    for route in RELEASE_ROUTES:
        sb.add_fault(route, "answer", times=100, answer=Hostile(edit=every_release(point_elsewhere)))
    (action.workdir / "app.bin").write_bytes(b"binary")

    run, elapsed = timed(action, {"tag": TAG, "files": "app.bin", "timeout_seconds": "10"})

    assert_one_clear_error(run, elapsed, 10, "`upload_url`")  # checked as the release is read
    assert trap.connections == 0, trap.heads
    assert sb.count(route="upload_asset") == 0
