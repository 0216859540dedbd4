"""`python -m release_bench demo`: the README's command replays the Dask race and reports it."""

from __future__ import annotations

import re
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


def test_the_demo_tells_what_happened_and_each_run_says_what_it_did_beyond_its_status():
    result = demo("--runs", "4", "--seed", "5")

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    happened = out[out.index("What happened") : out.index("What each run reported")]
    reported = out[out.index("What each run reported") : out.index("What GitHub holds now")]
    events = happened.splitlines()[1:]
    accepted = [line for line in events if "create → 201: release" in line]
    assert accepted, happened
    first = re.search(r"release (\d+), published", accepted[0])[1]
    assert f"the drafter: turns release {first} back into a draft" in happened  # the flip, after the publish
    assert happened.index(accepted[0]) < happened.index("the drafter:")
    refused = [line.split(": create → 422")[0].split("  ", 1)[1] for line in events if ": create → 422" in line]
    refusals = sum(len(who.removeprefix("runs ").split(", ")) for who in refused)
    posts = int(re.search(r"POST (\d+)", out)[1])
    assert len(accepted) + refusals == posts, out  # every create is in the timeline: accepted or refused
    # A run whose accepted create lost, and which deleted its own release, says so beside its status.
    for run, release in re.findall(r"run (\d+): delete its own release (\d+) → 204", happened):
        said = f"run {run}: "
        line = next(text for text in reported.splitlines() if text.strip().startswith(said))
        after = reported[reported.index(line) :].splitlines()[1]
        assert f"and it created release {release}, then deleted it" in after, reported
    assert "1 writes" not in out and "1 API requests" not in out


def test_the_demo_refuses_a_run_count_below_one():
    result = demo("--runs", "0")

    assert result.returncode == 2
    assert "--runs must be at least 1" in result.stderr
