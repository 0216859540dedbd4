"""`python -m release_bench demo`: the README's command replays the Dask race and reports it."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "release_bench", "demo", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_demo_shows_the_race_resolved_into_one_published_release():
    result = demo("--runs", "6", "--seed", "3")

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "one published release for v1.0.0" in out
    assert "every run agrees on its id: yes" in out
    assert "leftover drafts: none" in out
    assert "the runs raced: yes (6 of 6 runs sent a create" in out
    assert out.count("release 1000") >= 6, "each run's status and id is listed"
    assert "requests made by all runs together:" in out
    assert "OK:" in out


def test_the_demo_refuses_a_run_count_below_one():
    result = demo("--runs", "0")

    assert result.returncode == 2
    assert "--runs must be at least 1" in result.stderr
