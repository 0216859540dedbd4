"""Print the requests each scenario costs, as the Markdown table in the README.

    python -m tests.benchmarks.request_counts [--repeat 3]

Runs the real entrypoint (subprocesses) against the embedded sandbox, no network and no
token, and counts requests from the sandbox's request log. The same scenarios are bounded
by tests/e2e/test_request_counts.py. For the race, the figures vary a little from run to
run (who wins is a matter of timing), so it is repeated and the worst case shown.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from release_bench.sandbox import Sandbox
from tests.e2e.conftest import Action
from tests.e2e.counts import SCENARIOS, Counts


def measure(scenario, repeat: int) -> list[Counts]:
    results = []
    for seed in range(repeat):
        with Sandbox(seed=seed) as sb, tempfile.TemporaryDirectory(prefix="counts-") as tmp:
            results.append(scenario(sb, Action(sb, Path(tmp))))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (the worst is shown)")
    args = parser.parse_args(argv)

    print("| Scenario | Runs | Requests (total) | Writes | Requests per run (mean / max) |")
    print("|---|---:|---:|---:|---:|")
    for scenario in SCENARIOS:
        results = measure(scenario, args.repeat)
        worst = max(results, key=lambda c: (c.requests, c.max_per_run))
        low, high = min(c.requests for c in results), worst.requests
        total = str(high) if low == high else f"{low}–{high}"
        writes = sorted({c.writes for c in results})
        writes_text = str(writes[0]) if len(writes) == 1 else f"{writes[0]}–{writes[-1]}"
        print(
            f"| {worst.scenario} | {worst.runs} | {total} | {writes_text} | "
            f"{worst.per_run:.1f} / {max(c.max_per_run for c in results)} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
