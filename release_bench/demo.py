"""`python -m release_bench demo`: replay the Dask race against the embedded sandbox.

A release-drafter style workflow turns the tag's release back into a draft right after it is
published, while N copies of this action (the real entrypoint, as separate processes, as N
jobs of a workflow would be) create the release for the same tag at the same moment. No
token and no network: the sandbox is a local imitation of GitHub's Releases API.

Exit 0 only if the race ended as the action promises: one published release for the tag,
every run agreeing on its id, no leftover drafts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from release_action.wording import counted
from release_bench.harness import REPO, ROOT, TAG, WRITES, StepFiles, parse_outputs, runner_env
from release_bench.race import evidence, line_up
from release_bench.sandbox import Sandbox
from release_bench.timeline import timeline

NOTES = "## What's changed\n\n* The release survives a race."


@dataclass
class RunResult:
    number: int
    code: int
    outputs: dict[str, str]
    stdout: str
    stderr: str

    @property
    def requests(self) -> str:
        """The run's own count, from its `requests` output: '{"total": N, "writes": M}'."""
        if "requests" not in self.outputs:
            return "?"
        spent = json.loads(self.outputs["requests"])
        return f"{counted(spent['total'], 'API request')}, {counted(spent['writes'], 'write')}"

    @property
    def also(self) -> str:
        """What the run says it did besides its status (its closing line's "this run also …")."""
        lines = self.stdout.strip().splitlines()
        _, _, also = (lines[-1] if lines else "").partition("; this run also ")
        return also

    @property
    def error(self) -> str:
        for line in self.stdout.splitlines():
            if line.startswith("::error"):
                return line.split("::", 2)[-1]
        return self.stderr.strip().splitlines()[-1] if self.stderr.strip() else ""


def command() -> list[str]:
    """The container's entrypoint when run from a clone; the package's own otherwise."""
    entrypoint = ROOT / "entrypoint.py"
    if entrypoint.is_file():
        return [sys.executable, str(entrypoint)]
    return [sys.executable, "-m", "release_action"]


def environment(sb: Sandbox, workdir: Path, number: int, timeout: int) -> dict[str, str]:
    inputs = {"tag": TAG, "notes": NOTES, "timeout_seconds": str(timeout)}
    return runner_env(sb.api_url, sb.token, StepFiles.on_host(workdir, number), inputs, host_env=os.environ)


def race(sb: Sandbox, tokens: list[str], timeout: int) -> list[RunResult]:
    """Start every run at once, each with its own token, then wait for all of them."""
    with tempfile.TemporaryDirectory(prefix="release-demo-") as tmp:
        workdir = Path(tmp)
        envs = [environment(sb, workdir, n, timeout) for n in range(1, len(tokens) + 1)]
        for env, token in zip(envs, tokens, strict=True):
            env["INPUT_TOKEN"] = token  # one token per run, so the request log tells the runs apart
        procs = [
            subprocess.Popen(
                command(),
                env=env,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for env in envs
        ]
        results = []
        for number, (proc, env) in enumerate(zip(procs, envs, strict=True), start=1):
            try:
                stdout, stderr = proc.communicate(timeout=timeout + 30)
            except subprocess.TimeoutExpired:
                proc.kill()
                stdout, stderr = proc.communicate()
            outputs = parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
            results.append(RunResult(number, proc.returncode, outputs, stdout, stderr))
        return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m release_bench demo",
        description="Replay the Dask race (a drafter plus N concurrent runs on one tag) in a local sandbox.",
    )
    parser.add_argument("--runs", type=int, default=8, help="concurrent runs of the action (default 8)")
    parser.add_argument("--lag", type=float, default=0.0, help="read-after-write lag in seconds (default 0)")
    parser.add_argument("--flips", type=int, default=1, help="times the drafter un-publishes (default 1)")
    parser.add_argument("--seed", type=int, default=None, help="seed for the sandbox's ids and slugs")
    parser.add_argument("--verbose", action="store_true", help="print each run's log too")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    timeout = 60
    with Sandbox(seed=args.seed, lag=args.lag) as sb:
        sb.start_drafter(REPO, TAG, flips=args.flips, delay=0.05)
        print(f"The Dask race, replayed in a local GitHub sandbox at {sb.api_url} (read lag {args.lag:g} s):")
        print(f"  * a drafter workflow turns the release for {TAG} back into a draft 50 ms after it is")
        print(f"    published (up to {args.flips} time{'s' if args.flips != 1 else ''});")
        print(f"  * {args.runs} runs of safe-release-action start at once to publish {TAG} with the same notes.")
        print()
        holders, tokens = line_up(sb, args.runs)
        started = time.monotonic()
        results = race(sb, tokens, timeout)
        elapsed = time.monotonic() - started
        raced = evidence(sb.log, holders)

        print("What happened (the simulator's record of every write, and the drafter's flips):")
        for line in timeline(sb.log, sb.drafter_log, holders):
            print(f"  {line}")
        print()
        print("What each run reported (its status, the release it ended on):")
        for run in results:
            if run.code == 0:
                print(
                    f"  run {run.number}: {run.outputs.get('status', '?'):9} release "
                    f"{run.outputs.get('id', '?')} (draft: {run.outputs.get('draft', '?')}; {run.requests})"
                )
                if run.also:
                    print(f"         and it {run.also}")
            else:
                print(f"  run {run.number}: FAILED with exit code {run.code}: {run.error}")
            if args.verbose:
                print("    " + run.stdout.strip().replace("\n", "\n    "))
        print()

        everything = sb.releases(REPO)
        mine = [r for r in everything if r["tag_name"] == TAG]
        published = [r for r in mine if not r["draft"]]
        drafts = [r for r in everything if r["draft"]]
        log = sb.log
        writes = [e for e in log if e["method"] in WRITES]
        ids = {run.outputs.get("id") for run in results}
        problems = []
        if any(run.code != 0 for run in results):
            problems.append("some runs failed")
        if len(mine) != 1 or len(published) != 1:
            problems.append(
                f"expected one published release for {TAG}, found {len(published)} published "
                f"and {len(mine) - len(published)} drafts"
            )
        if len(published) == 1 and ids != {str(published[0]["id"])}:
            problems.append(f"the runs reported different ids: {sorted(map(str, ids))}")
        if drafts:
            problems.append(f"leftover drafts: {[d['id'] for d in drafts]}")
        if args.runs > 1 and not raced.raced:
            problems.append("the runs did not race, so this proves nothing")

        print("What GitHub holds now:")
        if len(published) == 1:
            release = published[0]
            print(f"  one published release for {TAG}: id {release['id']}, {release['html_url']}")
        else:
            print(
                f"  {len(mine)} releases for {TAG}: "
                + ", ".join(f"{r['id']} ({'draft' if r['draft'] else 'published'})" for r in mine)
            )
        agree = len(ids) == 1 and None not in ids
        print(f"  every run agrees on its id: {'yes' if agree else 'no'} ({', '.join(sorted(map(str, ids)))})")
        print(f"  leftover drafts: {'none' if not drafts else ', '.join(str(d['id']) for d in drafts)}")
        if args.runs > 1:
            print(f"  the runs raced: {'yes' if raced.raced else 'no'} ({raced})")
        print(
            f"  requests made by all runs together: {len(log)} ({len(writes)} writes: "
            + ", ".join(
                f"{m} {sum(1 for e in writes if e['method'] == m)}"
                for m in WRITES
                if any(e["method"] == m for e in writes)
            )
            + f"), in {elapsed:.1f} s"
        )
        print()
        if problems:
            print("FAILED: " + "; ".join(problems) + ".")
            return 1
        print(f"OK: {args.runs} racing runs and a drafter left exactly one published release.")
        return 0
