"""Every way a run can fail, as the one error it ends with: the message, its title, the exit code.

A pure function of the exception, so the whole table is tested (tests/test_failures.py). Every
error the action raises on purpose is an errors.ActionError, which carries its title and exit
code and words its message for the run's mode (wording.py: inputs in a workflow, flags and
environment variables at a terminal): 2 for bad input (one message per problem), 1 for the
rest. Of other exceptions, this table knows the few that come from outside (a cancelled run,
the network, a local file); anything else is a bug in the action, and says so.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from release_action import __version__
from release_action.errors import TITLE_PREFIX, ActionError
from release_action.reach import Unreachable
from release_action.runner_io import Cancelled
from release_action.transport import UnexpectedAnswer
from release_action.wording import Mode, words

FAILED = ActionError.title
STOPPED = f"{TITLE_PREFIX}: stopped"
LOCAL_FILE = f"{TITLE_PREFIX}: a local file could not be read or written"
BUG = f"{TITLE_PREFIX}: unexpected error (a bug)"
# The titles a run can end with that no ActionError carries (see `titles`).
OTHER_TITLES = (STOPPED, LOCAL_FILE, BUG)
PACKAGE = Path(__file__).resolve().parent
RERUN = words(
    "Re-running the job is safe: the action converges from whatever state a run left.",
    command="Running the command again is safe: it converges from whatever state a run left.",
)


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
    rerun = RERUN.render(mode)
    if isinstance(exc, ActionError):
        first, *more = exc.messages(mode) or (exc.title,)
        return Failure(first, exc.title, exc.exit_code, more=tuple(more))
    if isinstance(exc, Cancelled | KeyboardInterrupt):
        signal = exc.args[0] if isinstance(exc, Cancelled) and exc.args else "SIGINT"
        stopped = words(
            "The run was stopped ({signal}) before it finished: the workflow run was cancelled, or the step or "
            "job reached its `timeout-minutes` (keep that above `timeout_seconds`, which ends the action by "
            "itself with an error that says what was slow).",
            command="The run was stopped ({signal}) before it finished.",
            signal=signal,
        )
        return Failure(f"{stopped.render(mode)} {rerun}", STOPPED, 1)
    if isinstance(exc, requests.JSONDecodeError):
        not_json = words(
            "GitHub, or a proxy in front of it, answered with something that is not JSON. Check `api_url` "
            "(GitHub Enterprise Server: `https://HOST/api/v3`) and any proxy between the runner and GitHub."
        )
        return Failure(f"{not_json.render(mode)} {rerun}", UnexpectedAnswer.title, 1)
    if isinstance(exc, requests.RequestException):
        url = exc.request.url if exc.request is not None and exc.request.url else ""
        unreached = words(
            "Could not reach {where}: {kind}. Check `api_url` and the runner's network (and HTTPS_PROXY on a "
            "self-hosted runner).",
            command="Could not reach {where}: {kind}. Check `api_url` and the network (and HTTPS_PROXY).",
            where=origin(url),
            kind=type(exc).__name__,
        )
        return Failure(f"{unreached.render(mode)} {rerun}", Unreachable.title, 1)
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        name = f" {exc.filename}" if exc.filename else ""
        return Failure(
            f"A local file could not be read or written{name}: {exc.strerror or type(exc).__name__}. "
            f"Check that it exists and is readable, and that no other step changes it while this one runs. "
            f"{rerun}",
            LOCAL_FILE,
            1,
        )
    where = f"open an issue at https://github.com/{report_to}/issues" if report_to else "report it"
    debug = words(
        "re-run the job with debug logging (RUNNER_DEBUG=1) to include the traceback",
        command="run the command again with RUNNER_DEBUG=1 set to include the traceback",
    )
    return Failure(
        f"safe-release-action {__version__} stopped on an unexpected {type(exc).__name__} at "
        f"{raised_at(exc)}: this is a bug in the action. Please {where} with this log; {debug.render(mode)}. "
        f"{rerun}",
        BUG,
        1,
        bug=True,
    )


def titles() -> set[str]:
    """Every title a run can end with: each ActionError's (of the modules imported), and the others here."""
    found, todo = set(), [ActionError]
    while todo:
        cls = todo.pop()
        found.add(cls.title)
        todo += cls.__subclasses__()
    return found | set(OTHER_TITLES)


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
