"""Every way a run can fail, as the one error it ends with: the message, its title, the exit code.

A pure function of the exception, so the whole table is tested (tests/test_failures.py). The
message names the cause and what to do; the exit code is 2 for bad input (one message per
problem, worded for the run's mode: see wording.py) and 1 for the rest.
Anything this table does not know is a bug in the action, and says so.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from release_action import __version__
from release_action.asset_sync import AssetError
from release_action.budget import BudgetExhausted
from release_action.engine import ConvergeError
from release_action.runner_io import Cancelled, RunnerFileError
from release_action.transport import GitHubError, OutcomeUnknown
from release_action.wording import InputError, Mode, Words

FAILED = "safe-release-action failed"
INVALID_INPUT = "safe-release-action: invalid input"
BUG = "safe-release-action: unexpected error (a bug)"
EXPLAINED = (ConvergeError, AssetError, GitHubError, BudgetExhausted, OutcomeUnknown, RunnerFileError)
PACKAGE = Path(__file__).resolve().parent
RERUN = "Re-running the job is safe: the action converges from whatever state a run left."


@dataclass(frozen=True)
class Failure:
    message: str
    title: str
    code: int  # the step's exit code
    bug: bool = False
    more: tuple[str, ...] = ()  # further messages of the same failure (every bad input, one each)

    @property
    def messages(self) -> tuple[str, ...]:
        """One `::error::` each."""
        return (self.message, *self.more)


def failure_of(exc: BaseException, *, report_to: str = "", mode: Mode = Mode.ACTION) -> Failure:
    """The error a run that raised `exc` ends with.

    `report_to` is the action's repository (GITHUB_ACTION_REPOSITORY), where a bug is reported;
    `mode` how the run was started, which decides how inputs are named.
    """
    if isinstance(exc, InputError) and exc.problems:
        first, *more = (problem.render(mode) for problem in exc.problems)
        return Failure(first, INVALID_INPUT, 2, more=tuple(more))
    if isinstance(exc, InputError):
        return Failure(str(exc) or "Invalid input.", INVALID_INPUT, 2)
    if isinstance(exc, EXPLAINED):
        said = exc.args[0] if len(exc.args) == 1 else None  # a message worded for the mode (wording.py)
        return Failure(said.render(mode) if isinstance(said, Words) else str(exc), FAILED, 1)
    if isinstance(exc, Cancelled | KeyboardInterrupt):
        signal = exc.args[0] if isinstance(exc, Cancelled) and exc.args else "SIGINT"
        return Failure(
            f"The run was stopped ({signal}) before it finished: the workflow run was cancelled, or "
            "the step or job reached its `timeout-minutes` (keep that above `timeout_seconds`, which "
            f"ends the action by itself with an error that says what was slow). {RERUN}",
            FAILED,
            1,
        )
    if isinstance(exc, requests.JSONDecodeError):
        return Failure(
            f"GitHub, or a proxy in front of it, answered with something that is not "
            "JSON. Check `api_url` (GitHub Enterprise Server: `https://HOST/api/v3`) and any proxy "
            f"between the runner and GitHub. {RERUN}",
            FAILED,
            1,
        )
    if isinstance(exc, requests.RequestException):
        url = exc.request.url if exc.request is not None and exc.request.url else ""
        return Failure(
            f"Could not reach {origin(url)}: {type(exc).__name__}. Check `api_url` and the runner's "
            f"network (and HTTPS_PROXY on a self-hosted runner). {RERUN}",
            FAILED,
            1,
        )
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        name = f" {exc.filename}" if exc.filename else ""
        return Failure(
            f"A local file could not be read or written{name}: {exc.strerror or type(exc).__name__}. "
            f"Check that it exists and is readable, and that no other step changes it while this one runs. "
            f"{RERUN}",
            FAILED,
            1,
        )
    where = f"open an issue at https://github.com/{report_to}/issues" if report_to else "report it"
    return Failure(
        f"safe-release-action {__version__} stopped on an unexpected {type(exc).__name__} at "
        f"{raised_at(exc)}: this is a bug in the action. Please {where} with this log; re-run the job "
        f"with debug logging (RUNNER_DEBUG=1) to include the traceback. {RERUN}",
        BUG,
        1,
        bug=True,
    )


def origin(url: str) -> str:
    """scheme://host[:port] of `url`: never its path, query or credentials."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "GitHub's API"
    if not (parts.scheme and host):
        return "GitHub's API"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}"


def raised_at(exc: BaseException) -> str:
    """Where in the action `exc` was raised (file:line in function), for a bug report."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(PACKAGE)] or frames
    if not ours:
        return "an unknown place"
    frame = ours[-1]
    path = Path(frame.filename).resolve()
    name = f"release_action/{path.relative_to(PACKAGE)}" if path.is_relative_to(PACKAGE) else path.name
    return f"{name}:{frame.lineno} in {frame.name}"
