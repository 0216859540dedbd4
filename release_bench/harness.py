"""What the tests, the demo and the benchmarks share: the runner's environment for one run of the
action, reading back what the run left behind, and a clock that never really waits.

One place for each, so the e2e suite, the container tests, the demo and the benchmarks start the
action the same way (only where the files live differs: this machine or inside the container).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from release_action.contract import INPUTS

ROOT = Path(__file__).resolve().parents[1]
REPO = "octo/demo"
TAG = "v1.0.0"
SHA = "0123456789abcdef0123456789abcdef01234567"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
WALL_START = 1_700_000_000.0  # a FakeClock's wall clock (epoch seconds) when it starts


# -- the runner's environment for one step -------------------------------------------------------


@dataclass(frozen=True)
class StepFiles:
    """Where the runner puts a step's workspace, file commands and home, as the action sees them."""

    workspace: str
    output: str
    summary: str
    home: str | None = None  # the runner sets HOME only inside a container

    @classmethod
    def on_host(cls, directory: Path, key: str | int = "") -> StepFiles:
        """Empty output and summary files for one run, in `directory`, which is also its workspace."""
        output, summary = directory / f"output-{key}", directory / f"summary-{key}"
        output.touch()
        summary.touch()
        return cls(str(directory), str(output), str(summary))


# The runner's mounts for a Docker action: the host's directories appear at these paths.
IN_CONTAINER = StepFiles(
    "/github/workspace", "/github/file_commands/output", "/github/file_commands/summary", "/github/home"
)


def runner_env(
    api_url: str,
    token: str,
    files: StepFiles,
    inputs: Mapping[str, str] | None = None,
    *,
    repository: str = REPO,
    tag: str = TAG,
    sha: str = SHA,
    every_input: bool = False,
    host_env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment GitHub's runner gives the action for one step on a tag push, with `inputs`.

    every_input: as for `uses: ./`, where the runner reads action.yml and passes every declared
      input, its default filled in and `${{ github.* }}` evaluated. Otherwise only the inputs
      given are passed (as for `uses: docker://`), and the token as `GITHUB_TOKEN`, so the action
      falls back on the GITHUB_* context by itself.
    host_env: for a process started on this machine, its variables to keep (PATH and the like),
      without any INPUT_*, GITHUB_* or RUNNER_* of the shell running the tests; PYTHONPATH gains
      this checkout, so the action imported is the one beside this file.
    """
    context = {
        "${{ github.sha }}": sha,
        "${{ github.token }}": token,
        "${{ github.repository }}": repository,
        "${{ github.api_url }}": api_url,
    }
    env: dict[str, str] = {}
    if host_env is not None:
        env = {k: v for k, v in host_env.items() if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_"))}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), host_env.get("PYTHONPATH", "")) if p)
    env |= {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": files.output,
        "GITHUB_STEP_SUMMARY": files.summary,
        "GITHUB_WORKSPACE": files.workspace,
        "GITHUB_REF": f"refs/tags/{tag}",
        "GITHUB_REF_NAME": tag,
        "GITHUB_SHA": sha,
        "GITHUB_REPOSITORY": repository,
        "GITHUB_API_URL": api_url,
    }
    if files.home is not None:
        env["HOME"] = files.home
    if every_input:
        env |= {f"INPUT_{name.upper()}": context.get(spec.default, spec.default) for name, spec in INPUTS.items()}
    else:
        env["GITHUB_TOKEN"] = token
    for name, value in (inputs or {}).items():
        if every_input and name not in INPUTS:
            raise ValueError(f"undeclared input {name!r}: the runner would warn and pass nothing")
        env[f"INPUT_{name.upper()}"] = value
    return env


# -- what a run left behind ----------------------------------------------------------------------


def parse_outputs(text: str) -> dict[str, str]:
    """Read a GITHUB_OUTPUT file back the way the runner does (its own parser, not the action's writer)."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i].removesuffix("\r") != delimiter:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise ValueError(f"output {name!r}: delimiter {delimiter!r} never closes")
            outputs[name] = "\n".join(body)
        else:
            name, _, value = line.partition("=")
            outputs[name] = value
        i += 1
    return outputs


# -- time ----------------------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock (and a wall clock beside it) that moves only when slept on.

    Injected where the code takes a clock and a sleep (the action's `Deadline`, the simulator's
    store), a test about logic never really waits, and `sleeps` records each wait asked for.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def wall(self) -> float:
        return WALL_START + (self.now - self.start)
