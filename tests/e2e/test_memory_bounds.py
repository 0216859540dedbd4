"""Memory is bounded on every answer: what a server sends cannot take the runner's memory.

Each attack is scripted into the sandbox as a `Hostile` answer and the real entrypoint runs
against it as a subprocess; os.wait4 reports the peak RSS of that one process. A bare run
peaks near 35 MiB; every attack must stay under 200 MB, whatever it sends: a redirect's body
is never read, compressed and chunked bodies count as decoded bytes before they are held,
a page of releases has a cap of its own, and JSON is parsed only within it.
"""

from __future__ import annotations

import json
import zlib
from functools import cache

import pytest

from release_action.github import MAX_PAGE_BYTES
from release_action.transport import MAX_ANSWER_BYTES
from release_bench.sandbox import Hostile, Sandbox

from .conftest import REPO, TAG, Action, Run, assert_converged, writes
from .test_hostile_servers import assert_one_clear_error, timed_with_peak_memory

LIMIT_MIB = 200 * 1000**2 / 2**20  # 200 MB, in the MiB that ru_maxrss is reported in
GIB = 1 << 30


@cache
def gzip_bomb() -> bytes:
    """About 1 MB of gzip that inflates to 1 GiB of zeros (one member, as a server would send it)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    return b"".join([*(packer.compress(zeros) for _ in range(GIB >> 20)), packer.flush()])


def moved(sb: Sandbox, **hostile) -> Hostile:
    """A 301 to the same URL (GitHub's answer for a renamed repository), with a body of its own."""
    return Hostile(
        301, {"Location": f"{sb.api_url}/repos/{REPO}/releases/tags/{TAG}", **hostile.pop("headers", {})}, **hostile
    )


def measured(action: Action, inputs: dict[str, str]) -> tuple[Run, float, float]:
    """The run, its time and its peak RSS in MiB, which is printed at once (pytest -s shows it)."""
    run, elapsed, peak_mib = timed_with_peak_memory(action, inputs)
    print(f"peak RSS {peak_mib:.0f} MiB")
    return run, elapsed, peak_mib


def check_peak(peak_mib: float) -> None:
    assert peak_mib < LIMIT_MIB, f"the run peaked at {peak_mib:.0f} MiB"


# -- a redirect's body is never read ------------------------------------------------------------


@pytest.mark.parametrize("framing", ["content-length", "until-close", "chunked"])
def test_a_301_with_a_1_gib_body_is_followed_without_reading_the_body(sb: Sandbox, action: Action, framing: str):
    sb.add_fault(
        "get_release_by_tag",
        "answer",
        answer=moved(sb, size=GIB, length=framing == "content-length", chunked=framing == "chunked"),
    )

    run, _, peak_mib = measured(action, {"tag": TAG, "notes": "n", "timeout_seconds": "60"})

    assert_converged(sb, [run], bodies=("n",))
    assert "moved (301)" in run.stdout
    check_peak(peak_mib)


def test_a_301_with_a_gzip_body_that_inflates_to_1_gib_is_followed_without_reading_the_body(
    sb: Sandbox, action: Action
):
    sb.add_fault(
        "get_release_by_tag", "answer", answer=moved(sb, headers={"Content-Encoding": "gzip"}, body=gzip_bomb())
    )

    run, _, peak_mib = measured(action, {"tag": TAG, "notes": "n", "timeout_seconds": "60"})

    assert_converged(sb, [run], bodies=("n",))
    check_peak(peak_mib)


# -- bodies count as decoded bytes, before they are held ----------------------------------------


def test_a_1_mb_gzip_body_that_inflates_to_1_gib_is_refused_at_the_cap(sb: Sandbox, action: Action):
    bomb = Hostile(headers={"Content-Encoding": "gzip"}, body=gzip_bomb())
    sb.add_fault("get_release_by_tag", "answer", times=100, answer=bomb)

    run, elapsed, peak_mib = measured(action, {"tag": TAG, "notes": "n", "timeout_seconds": "30"})

    assert_one_clear_error(run, elapsed, 30, "a body of more than", "decoded", "/releases/tags/v1.0.0", "→ 200")
    assert writes(sb) == []
    check_peak(peak_mib)


def test_a_chunked_1_gib_body_is_refused_at_the_cap(sb: Sandbox, action: Action):
    sb.add_fault("get_release_by_tag", "answer", times=100, answer=Hostile(size=GIB, chunked=True))

    run, elapsed, peak_mib = measured(action, {"tag": TAG, "notes": "n", "timeout_seconds": "30"})

    assert_one_clear_error(run, elapsed, 30, "a body of more than", "/releases/tags/v1.0.0", "→ 200")
    check_peak(peak_mib)


# -- a page of releases: its own cap, and JSON parsed only within it ----------------------------


def tiny_releases(size: int) -> bytes:
    """A JSON list of {"id": N} objects, about `size` bytes long: releases that cost the most to parse."""
    count = size // len(b'{"id":1000000},')
    return b"[" + b",".join(b'{"id":%d}' % (1000000 + i) for i in range(count)) + b"]"


def test_a_59_mb_list_page_is_refused_unparsed(sb: Sandbox, action: Action):
    page = tiny_releases(59 * 1000**2)
    sb.add_fault("list_releases", "answer", times=100, answer=Hostile(body=page))

    run, elapsed, peak_mib = measured(action, {"tag": TAG, "notes": "n", "timeout_seconds": "30"})

    assert_one_clear_error(run, elapsed, 30, "/releases?per_page=100", "expected a page of 100 releases, which fits in")
    assert writes(sb) == []
    check_peak(peak_mib)


def costly_page(kind: str) -> bytes:
    """A page of releases just under MAX_PAGE_BYTES, of the JSON that costs the most to parse.

    Each release is as big as one answer may be (MAX_ANSWER_BYTES) and holds `kind`: values of
    a few bytes (25, 15 and 8 times their size once parsed), or one long note with an emoji,
    which makes its text 4 bytes a character.
    """
    if kind == "101-releases":
        return b"[" + b",".join(b'{"id":%d}' % i for i in range(101)) + b"]"
    fill = MAX_ANSWER_BYTES - 100
    items = []
    for i in range(MAX_PAGE_BYTES // MAX_ANSWER_BYTES):
        head = b'{"id":%d,"tag_name":"v0.0.%d",' % (i + 1, i + 1)
        if kind == "emoji-notes":
            items.append(head + b'"body":"\xf0\x9f\x8e\x89' + b"a" * fill + b'"}')
        else:
            value = {"objects": b"{}", "floats": b"1e9", "short-strings": b'"ab"'}[kind]
            items.append(head + b'"x":[' + b",".join([value] * (fill // (len(value) + 1))) + b"]}")
    page = b"[" + b",".join(items) + b"]"
    assert len(page) <= MAX_PAGE_BYTES
    return page


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("101-releases", "a list of more than 100 items"),
        ("objects", "JSON of more than"),
        ("floats", "JSON of more than"),
        ("short-strings", "JSON of more than"),
    ],
)
def test_a_list_page_within_its_cap_that_would_cost_too_much_to_parse_is_refused_unparsed(
    sb: Sandbox, action: Action, kind: str, says: str
):
    sb.add_fault("list_releases", "answer", times=100, answer=Hostile(body=costly_page(kind)))

    run, elapsed, peak_mib = measured(action, {"tag": TAG, "notes": "n", "timeout_seconds": "30"})

    assert_one_clear_error(run, elapsed, 30, "/releases?per_page=100", says, "expected a list of releases")
    assert writes(sb) == []
    check_peak(peak_mib)


def test_a_list_page_of_releases_with_the_costliest_notes_is_read_within_memory(sb: Sandbox, action: Action):
    sb.add_fault("list_releases", "answer", answer=Hostile(body=costly_page("emoji-notes")))

    run, _, peak_mib = measured(action, {"tag": TAG, "notes": "n", "timeout_seconds": "60"})

    assert_converged(sb, [run], bodies=("n",))
    check_peak(peak_mib)


def test_a_full_page_of_100_releases_with_long_notes_and_100_assets_each_is_read_within_memory(
    sb: Sandbox, action: Action
):
    page = heavy_page(sb)
    sb.add_fault("list_releases", "answer", answer=Hostile(body=page))

    run, _, peak_mib = measured(action, {"tag": TAG, "notes": "n", "timeout_seconds": "60"})

    assert_converged(sb, [run], bodies=("n",))
    print(f"page of {len(page) / 2**20:.1f} MiB")
    check_peak(peak_mib)


def heavy_page(sb: Sandbox) -> bytes:
    """100 other tags' releases as GitHub renders them: 20,000-character notes with emoji, 100 assets each."""
    notes = ("* Fixed a crash in the parser when a file ends early 🎉 (#1234)\n" * 400)[:20_000]
    with Sandbox(repos=(REPO,)) as scratch:  # rendered by the simulator, on this sandbox's URLs
        seeded = scratch.seed_release(
            REPO, "v0.0.1", body=notes, assets=[(f"app-{i}.tar.gz", b"x") for i in range(100)]
        )
    base = json.dumps(seeded)
    base = base.replace(scratch.api_url, sb.api_url)
    releases = []
    for i in range(100):
        release = json.loads(base)
        release["id"] = 900_000 + i
        release["tag_name"] = f"v0.0.{i + 1}"
        for n, asset in enumerate(release["assets"]):
            asset["id"] = 9_000_000 + i * 100 + n
        releases.append(release)
    return json.dumps(releases, ensure_ascii=False).encode()
