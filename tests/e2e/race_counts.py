"""What a race on one tag costs: requests, writes and deletes answered 404, from the sandbox's log.

Shared by tests/e2e/test_request_counts.py (which holds the 8-run target) and
tests/benchmarks/bench_race.py (which prints the README's table). The conditions are the
issue's: every request waits 100-150 ms, reads lag 0.5 s, each run holds its own token (as
each job of a matrix does) and, with files, uploads one file of its own to the one release.
"""

from __future__ import annotations

from dataclasses import dataclass

from release_bench.race import LOCKSTEP, START_LINE_TIMEOUT, evidence
from release_bench.sandbox import Sandbox

from .conftest import TAG, WRITES, Action, assert_converged

LATENCY = (0.10, 0.15)
LAG = 0.5
# GitHub's secondary limit: "no more than 80 content-generating requests per minute" (per
# token; each job of a matrix has its own).
WRITES_PER_MINUTE = 80


@dataclass(frozen=True)
class RaceCounts:
    runs: int
    files: bool
    start_line: bool
    requests: int
    writes: int
    deletes_404: int  # deletes of a release or asset someone else had already removed
    creators: int  # runs that sent a create (how much they overlapped)
    minute_all: int  # the most writes within any 60 s, all tokens together
    minute_per_token: int  # ... and from any one token (GitHub's secondary limit counts per token)
    seconds: float  # from the first request to the last, by the sandbox's log


def busiest_minute(times: list[float]) -> int:
    """The most of these moments that fall within one 60 s window."""
    times = sorted(times)
    start, most = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 60:
            start += 1
        most = max(most, end - start + 1)
    return most


def race(sb: Sandbox, action: Action, runs: int, *, files: bool, start_line: bool, seed: int = 0) -> RaceCounts:
    """`runs` runs of the action on one tag at once; checks they converged, returns the counts."""
    holders = [f"run-{i + 1}" for i in range(runs)]
    tokens = [sb.issue_token(holder) for holder in holders]
    sb.set_latency(*LATENCY, seed=seed)
    sb.set_lag(LAG)
    if start_line:
        sb.start_line(holders, steps=LOCKSTEP, timeout=START_LINE_TIMEOUT)
    inputs = []
    for i, token in enumerate(tokens):
        item = {"tag": TAG, "notes": "notes", "token": token}
        if files:
            path = action.workdir / "dist" / f"file-{i + 1}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"the build of run {i + 1}\n", encoding="utf-8")
            item["files"] = f"dist/file-{i + 1}.txt"
        inputs.append(item)

    results = action.run_many(inputs)

    release = assert_converged(sb, results, bodies=("notes",))
    if files:
        names = sorted(a["name"] for a in release["assets"])
        assert names == sorted(f"file-{i + 1}.txt" for i in range(runs)), names
    log = sb.log
    writes = [e for e in log if e["method"] in WRITES]
    return RaceCounts(
        runs=runs,
        files=files,
        start_line=start_line,
        requests=len(log),
        writes=len(writes),
        deletes_404=sum(1 for e in writes if e["method"] == "DELETE" and e["status"] == 404),
        creators=len(evidence(log, holders).creators),
        minute_all=busiest_minute([e["t"] for e in writes]),
        minute_per_token=max(busiest_minute([e["t"] for e in writes if e["client"] == h]) for h in holders),
        seconds=log[-1]["t"] - log[0]["t"],
    )
