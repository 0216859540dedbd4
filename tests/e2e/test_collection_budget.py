"""Collection inside the budget, and no proxy for a loopback API.

`timeout_seconds` bounds the whole run, the collection of `files` included: a directory
symlink loop is not followed (each real directory is entered once per path down to it), and
hashing stops when the budget ends. A plain-http API on loopback (the simulator) is reached
directly: HTTP_PROXY never sees its requests, nor the token they carry.
"""

from __future__ import annotations

import pytest

from release_bench.sandbox import Sandbox, Trap

from .conftest import Action, assert_converged, writes
from .test_hostile_servers import assert_one_clear_error, timed

GIB = 1 << 30
PROXY_VARIABLES = (
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)


def test_three_self_referencing_directory_symlinks_are_not_followed(sb: Sandbox, action: Action):
    folder = action.workdir / "dir"
    (folder / "sub").mkdir(parents=True)
    (folder / "app.bin").write_bytes(b"app")
    (folder / "sub" / "lib.bin").write_bytes(b"lib")
    for name in ("a", "b", "c"):
        (folder / name).symlink_to(".")  # dir/a/a/b/c/... : 3^n paths, never an end
    (folder / "sub" / "up").symlink_to("..")

    run, elapsed = timed(action, {"files": "dir/**", "timeout_seconds": "20"})

    release = assert_converged(sb, [run])
    assert sorted(a["name"] for a in release["assets"]) == ["app.bin", "lib.bin"]
    assert elapsed < 20


def test_a_symlinked_directory_that_is_no_loop_is_still_followed(sb: Sandbox, action: Action):
    (action.workdir / "build" / "linux").mkdir(parents=True)
    (action.workdir / "build" / "linux" / "app-linux.bin").write_bytes(b"linux")
    (action.workdir / "dist").mkdir()
    (action.workdir / "dist" / "linux").symlink_to("../build/linux")

    run = action.run({"files": "dist/**"})

    release = assert_converged(sb, [run])
    assert [a["name"] for a in release["assets"]] == ["app-linux.bin"]


def test_collection_runs_under_the_run_s_deadline(sb: Sandbox, action: Action):
    dist = action.workdir / "dist"
    dist.mkdir()
    for i in range(8):  # 16 GiB to hash: far more than a 2-second budget allows
        with open(dist / f"big-{i}.bin", "wb") as stream:
            stream.truncate(2 * GIB)  # sparse: no disk space, reads as zeros

    run, elapsed = timed(action, {"files": "dist/*", "timeout_seconds": "2"})

    assert_one_clear_error(run, elapsed, 2, "timeout_seconds (2) ran out", "`files`")
    assert sb.log == []


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_http_proxy_is_not_used_for_a_plain_http_loopback_api(sb: Sandbox, action: Action, variable: str):
    with Trap() as proxy:
        extra = {name: None for name in PROXY_VARIABLES} | {variable: proxy.url}  # no proxy but the one tested
        (action.workdir / "app.bin").write_bytes(b"app")

        run = action.run({"notes": "n", "files": "app.bin"}, runner=extra)

        assert proxy.connections == 0, proxy.heads
    assert_converged(sb, [run], bodies=("n",))
    assert writes(sb)
