"""End-to-end fixtures: a started Sandbox, and the REAL entrypoint run as subprocesses against it.

Every scenario here goes through `python entrypoint.py` exactly as the runner starts it:
inputs as INPUT_* variables, GITHUB_* context, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
Nothing is imported from the engine; the tests see what a workflow would see. (Runs started
together wait at a gate once Python has started, then run the entrypoint: see `run_many`.)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from release_bench.harness import REPO, ROOT, TAG, WRITES, StepFiles, parse_outputs, runner_env
from release_bench.sandbox import Sandbox

ENTRYPOINT = ROOT / "entrypoint.py"
# The budget each run gets: small, so a hang fails the test in a minute, not five.
TIMEOUT_SECONDS = 60
# A guard far above that budget (or a run's own `timeout_seconds`): the action must end by itself well before.
PROCESS_TIMEOUT = TIMEOUT_SECONDS + 60
# A run held at the start gate: it imports the action, says it is ready, waits for a byte on
# stdin, then runs the entrypoint as `python entrypoint.py` would.
GATED = """\
import os, runpy, sys
entrypoint, ready = sys.argv[1:]
sys.path[0] = os.path.dirname(entrypoint)  # as for `python entrypoint.py`
import release_action.main  # as warm as it gets before the gate
open(ready, "w").close()
sys.stdin.buffer.read(1)
sys.argv = [entrypoint]
runpy.run_path(entrypoint, run_name="__main__")
"""


@dataclass
class Run:
    """What one run of the action left behind: exit code, logs, parsed outputs, summary."""

    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::warning")]

    def __repr__(self) -> str:  # what pytest prints when an assertion about a run fails
        return (
            f"Run(code={self.code}, outputs={self.outputs}, errors={self.errors},\n"
            f"--- stdout ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]})"
        )


class Action:
    """Starts the action against a sandbox, one run or many at once."""

    def __init__(self, sb: Sandbox, workdir: Path) -> None:
        self.sb = sb
        self.workdir = workdir
        self._count = 0

    def env(
        self,
        inputs: Mapping[str, str] | None = None,
        *,
        token: str | None = None,
        repository: str = REPO,
        runner: Mapping[str, str | None] | None = None,
    ) -> dict[str, str]:
        """The environment the runner would give the container step, plus `inputs` (and `runner`'s
        variables; None unsets one)."""
        self._count += 1
        files = StepFiles.on_host(self.workdir, self._count)
        env = runner_env(
            self.sb.api_url,
            token if token is not None else self.sb.token,
            files,
            {"timeout_seconds": str(TIMEOUT_SECONDS), **(inputs or {})},
            repository=repository,
            host_env=os.environ,
        )
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        for name, value in (runner or {}).items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def _start(self, env: dict[str, str], ready: Path | None = None) -> subprocess.Popen[str]:
        gated = ready is not None
        return subprocess.Popen(
            [sys.executable, "-c", GATED, str(ENTRYPOINT), str(ready)] if gated else [sys.executable, str(ENTRYPOINT)],
            env=env,
            cwd=self.workdir,
            stdin=subprocess.PIPE if gated else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @staticmethod
    def _finish(proc: subprocess.Popen[str], env: Mapping[str, str]) -> Run:
        guard = float(env.get("INPUT_TIMEOUT_SECONDS") or TIMEOUT_SECONDS) + PROCESS_TIMEOUT - TIMEOUT_SECONDS
        try:
            stdout, stderr = proc.communicate(timeout=guard)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            pytest.fail(f"the action did not end within {guard:g}s:\n{stdout}\n{stderr}")
        outputs = parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
        summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
        return Run(proc.returncode, stdout, stderr, outputs, summary)

    def run(self, inputs: Mapping[str, str] | None = None, **env_options: str | Mapping[str, str | None]) -> Run:
        """Run the entrypoint once and wait for it."""
        env = self.env(inputs, **env_options)
        return self._finish(self._start(env), env)

    def run_many(self, inputs_list: list[Mapping[str, str]], **env_options: str) -> list[Run]:
        """Start one run per item, open the gate once every one is ready, then wait for every one.

        Thirty-two interpreters started on two busy cores (other tests run beside this one)
        take seconds to import, and would reach the API one after the other: the gate keeps
        start-up off the race, which is meant to be on the API calls (as in tests/container).
        """
        envs = [self.env(inputs, **env_options) for inputs in inputs_list]
        gate = Path(tempfile.mkdtemp(prefix="e2e-gate-"))
        ready = [gate / f"ready-{i}" for i in range(len(envs))]
        procs = [self._start(env, path) for env, path in zip(envs, ready, strict=True)]
        try:
            deadline = time.monotonic() + PROCESS_TIMEOUT
            while not all(p.exists() or proc.poll() is not None for p, proc in zip(ready, procs, strict=True)):
                if time.monotonic() > deadline:
                    pytest.fail(f"the runs were not all ready within {PROCESS_TIMEOUT}s")
                time.sleep(0.01)
            for proc in procs:  # the gate opens for all at once
                stdin, proc.stdin = proc.stdin, None
                with contextlib.suppress(BrokenPipeError):  # a run that ended before the gate
                    stdin.write("go")
                with contextlib.suppress(BrokenPipeError):
                    stdin.close()
            return [self._finish(proc, env) for proc, env in zip(procs, envs, strict=True)]
        finally:
            shutil.rmtree(gate, ignore_errors=True)
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()


@pytest.fixture
def action(sb: Sandbox) -> Iterator[Action]:
    with tempfile.TemporaryDirectory(prefix="e2e-") as tmp:
        yield Action(sb, Path(tmp))


# -- the invariants every scenario checks --------------------------------------------------


def releases_for(sb: Sandbox, tag: str, repo: str = REPO) -> list[dict]:
    return [r for r in sb.releases(repo) if r["tag_name"] == tag]


def writes(sb: Sandbox) -> list[dict]:
    return [e for e in sb.log if e["method"] in WRITES]


def assert_converged(
    sb: Sandbox,
    runs: list[Run],
    *,
    tag: str = TAG,
    draft: bool = False,
    bodies: tuple[str, ...] | None = None,
) -> dict:
    """Every run succeeded and agrees; GitHub holds exactly one release for `tag`, as asked.

    Returns that release. `bodies`: the body must be exactly one of these.
    """
    for run in runs:
        assert run.code == 0, run
        assert run.errors == [], run
    releases = releases_for(sb, tag)
    assert len(releases) == 1, f"expected one release for {tag}, found {releases}"
    release = releases[0]
    ids = {run.outputs.get("id") for run in runs}
    assert ids == {str(release["id"])}, f"runs report ids {ids}, GitHub holds {release['id']}"
    assert release["draft"] is draft, release
    for run in runs:
        assert run.outputs["tag"] == tag, run
        assert run.outputs["draft"] == ("true" if draft else "false"), run
        assert run.outputs["status"] in ("created", "updated", "unchanged"), run
    leftovers = [r["id"] for r in sb.releases(REPO) if r["draft"] and r["id"] != release["id"]]
    assert leftovers == [], f"leftover drafts: {leftovers}"
    if bodies is not None:
        assert release["body"] in bodies, release["body"]
    return release
