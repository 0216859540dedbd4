"""What a race on one tag costs, as the Markdown table in the README ("Cost per run").

    python -m tests.benchmarks.bench_race [--repeat 3] [--runs 1 8 32]

Starts N runs of the real entrypoint (subprocesses) at once against the embedded sandbox, every
request delayed 100-150 ms and reads lagging 0.5 s (tests/e2e/race_counts.py), each run with its
own token and, with files, one file of its own to upload. Each configuration runs without the
start line (runs reach the API as this machine starts them) and with it (each run's first two
requests answered together: every run decides on one picture, the hardest case). Who creates
the draft is a matter of timing and of each run's random pause, so every configuration is
repeated and the median shown, with the range beside it.

Columns: requests and writes (POST, PATCH, DELETE) in all; deletes answered 404 (a run deleting
what another run had already deleted); the most writes within any 60 s, all tokens together and
from one token (GitHub's secondary limit is about 80 a minute per token).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from release_bench.sandbox import Sandbox
from tests.e2e.conftest import Action
from tests.e2e.race_counts import RaceCounts, race


def measure(runs: int, files: bool, start_line: bool, repeat: int) -> list[RaceCounts]:
    results = []
    for seed in range(repeat):
        with Sandbox(seed=seed) as sb, tempfile.TemporaryDirectory(prefix="race-") as tmp:
            results.append(race(sb, Action(sb, Path(tmp)), runs, files=files, start_line=start_line, seed=seed))
    return results


def cell(results: list[RaceCounts], value: Callable[[RaceCounts], int]) -> str:
    """The median, and the range when the repeats differ."""
    values = sorted(value(r) for r in results)
    median = statistics.median_low(values)
    return str(median) if values[0] == values[-1] else f"{median} ({values[0]}–{values[-1]})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="races per configuration (the median is shown)")
    parser.add_argument("--runs", type=int, nargs="+", default=[1, 8, 32], help="numbers of racing runs")
    args = parser.parse_args(argv)

    print(
        "| Runs | Files | Start line | Requests | Writes | Deletes answered 404 "
        "| Writes in a minute: all tokens / one token |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|")
    for runs in args.runs:
        for files in (False, True):
            for start_line in (False, True) if runs > 1 else (False,):
                results = measure(runs, files, start_line, args.repeat)
                print(
                    f"| {runs} | {runs if files else 0} | {'yes' if start_line else 'no'} "
                    f"| {cell(results, lambda r: r.requests)} | {cell(results, lambda r: r.writes)} "
                    f"| {cell(results, lambda r: r.deletes_404)} "
                    f"| {cell(results, lambda r: r.minute_all)} / {cell(results, lambda r: r.minute_per_token)} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
