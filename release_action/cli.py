"""`safe-release`: the action's engine as a command, for terminals, other CI and the portable action.

One engine, two ways in. Started the way a runner starts an action (no arguments, and
GITHUB_ACTIONS=true or INPUT_* variables set), it is the container's entrypoint: `main(env)`
unchanged, same outputs, exit codes and log. Started with flags, it turns them into the
INPUT_* variables a runner would set (the flags are made from contract.INPUTS, as action.yml
is, so they cannot drift), adds what a terminal lacks (the repository from the git remote, and
for GitHub's own hosts its API; the token for that API from the environment, chosen by its host
as `gh` chooses: see remote.py), calls the same `main(env)` with FLAGS_VARIABLE set, so that
every error names flags and variables (wording.py), and prints the outputs: one `name  value`
line each, or with --json one JSON object, server text shown as data (display.py). Every bad
input is reported in the one run, each on stderr; an unknown flag, with the flag it may have
meant. Paths are read from the current directory, and may lead anywhere in the workspace: the
checkout's top level when run inside one (`workspace_of`), as the action's workspace is the
checkout.

The engine is imported only when a run starts, so `--help` never pays for `requests`.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from release_action import __version__, platforms
from release_action.contract import INPUTS, Kind
from release_action.display import for_terminal, json_line
from release_action.local_files import BASE_VARIABLE
from release_action.remote import GITHUB_API, REMOTE_HOST_VARIABLE, Remote, parse_remote, token_variables
from release_action.runner_io import neutralise
from release_action.wording import FLAGS_VARIABLE, Mode, words

PROG = "safe-release"
EXIT_INTERRUPTED = 130


def describe(name: str) -> str:
    """The input's `--help`: its description, inputs named as flags, and its default for the command."""
    spec = INPUTS[name]
    text = words(spec.description).render(Mode.COMMAND)
    if spec.command_default:
        text += " " + words(spec.command_default).render(Mode.COMMAND)
    elif spec.default_text:
        text += f" Default: {spec.default_text}."
    elif spec.kind is Kind.BOOLEAN:
        text += f" Default: {'on' if spec.default == 'true' else 'off'}."
    elif spec.default:
        text += f" Default: {spec.default}."
    if spec.command_help:
        text += " " + spec.command_help
    return text.replace("%", "%%")  # argparse formats help with %


def parser() -> argparse.ArgumentParser:
    """The command's flags: one per input of INPUTS (but those read from the environment), then its own."""
    p = argparse.ArgumentParser(
        prog=PROG,
        allow_abbrev=False,  # a flag is its whole name: a later flag cannot change what a prefix meant
        description=(
            "Create or update the GitHub release for a tag so that it ends exactly as asked, however many "
            "runs race on it: the engine of safe-release-action, as a command."
        ),
        epilog=(
            "The token comes from the environment, never from a flag (flags show in process lists and shell "
            "history): from GH_TOKEN or GITHUB_TOKEN (in that order) for github.com and NAME.ghe.com, from "
            "GH_ENTERPRISE_TOKEN or GITHUB_ENTERPRISE_TOKEN for any other host, as gh reads them. "
            "Paths are relative to the current directory and must lie inside the workspace: the top level of "
            "the git checkout the command runs in (git rev-parse --show-toplevel), else the current directory "
            "(under Actions, GITHUB_WORKSPACE when it holds the current directory). Every bad flag is reported, "
            "on stderr, before anything is sent; an unknown one with the flag it may have meant. "
            "Started with no flags where a runner starts actions (GITHUB_ACTIONS=true or INPUT_* variables "
            "set), it runs as the action: inputs from INPUT_*, outputs to GITHUB_OUTPUT. "
            "Exit status: 0 the release was read back as asked, 1 it failed, 2 bad input (nothing was written)."
        ),
    )
    for name, spec in INPUTS.items():
        if spec.env:
            continue
        if spec.kind is Kind.BOOLEAN:
            p.add_argument(
                spec.flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=describe(name)
            )
        elif spec.kind is Kind.LINES:
            p.add_argument(
                spec.flag, dest=name, metavar=spec.placeholder, nargs="+", action="extend", help=describe(name)
            )
        else:
            p.add_argument(spec.flag, dest=name, metavar=spec.placeholder, help=describe(name))
    p.add_argument(
        "--json", action="store_true", help="Print the outputs as one JSON object on stdout, the log on stderr."
    )
    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return p


def parse_flags(argv: Sequence[str], errors: TextIO | None = None) -> argparse.Namespace:
    """The flags given, or exit 2 after one error on stderr per unknown flag, each with the flag it may have meant."""
    p = parser()
    args, unknown = p.parse_known_args(argv)
    if not unknown:
        return args
    errors = errors or sys.stderr
    p.print_usage(errors)
    for problem in unknown_problems(unknown, [flag for action in p._actions for flag in action.option_strings]):
        print(f"{PROG}: error: {problem}", file=errors)
    raise SystemExit(2)


def unknown_problems(unknown: Sequence[str], flags: Sequence[str]) -> list[str]:
    """What is wrong with each argument argparse did not know: an unknown flag (and what it may have meant), or a word.

    A word right after an unknown flag is taken to be that flag's value, not reported again.
    """
    problems: list[str] = []
    after_flag = False
    for argument in unknown:
        if argument.startswith("-") and argument != "-":
            flag = argument.split("=", 1)[0]
            longer = [f for f in flags if f.startswith(flag) and len(flag) > 3]  # a flag cut short: --notes-f
            close = longer or difflib.get_close_matches(flag, flags, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else f" (see {PROG} --help)"
            problems.append(f"unknown flag {flag!r}{hint}")
            after_flag = "=" not in argument
        elif after_flag:
            after_flag = False
        else:
            problems.append(f"unexpected argument {argument!r}: the command takes flags only (see {PROG} --help)")
    return problems


# -- from flags to the environment a runner would give the action ------------------------------


def find_program(name: str, path: str | None = None) -> str | None:
    """`name`'s executable from the absolute entries of PATH, in order, or None; never the current directory.

    Windows (CreateProcess, and shutil.which there) looks in the current directory before PATH,
    and an empty or relative PATH entry means the current directory everywhere: a checkout can
    carry a `git` of its own. On Windows only `NAME.exe` is taken (a .cmd or .bat runs through cmd).
    """
    path = os.environ.get("PATH", os.defpath) if path is None else path
    program = f"{name}.exe" if platforms.HOST is platforms.PureWindowsPath else name
    for entry in path.split(os.pathsep):
        entry = entry.strip('"')  # Windows PATH entries may be quoted
        if not platforms.HOST(entry).is_absolute():
            continue
        candidate = os.path.join(entry, program)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def git_output(cwd: Path, *args: str) -> str | None:
    """What `git ARGS` run in `cwd` prints, or None (no git, it failed, it timed out)."""
    git = find_program("git")
    if git is None:
        return None
    try:
        proc = subprocess.run([git, *args], cwd=cwd, capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def origin_remote(cwd: Path) -> Remote | None:
    """The repository `origin`'s URL names, as configured in `cwd`, or None (no git, no checkout, no origin).

    As configured: `git remote get-url` applies `url.<base>.insteadOf` rewrites, which the
    checkout's own .git/config may set to turn github.com into another host. The first URL,
    as `git remote get-url` shows it.
    """
    urls = git_output(cwd, "config", "--null", "--get-all", "remote.origin.url")
    return parse_remote(urls.split("\0", 1)[0]) if urls is not None else None


def checkout_top(cwd: Path) -> Path | None:
    """The top level of the checkout `cwd` is in (`git rev-parse --show-toplevel`), or None (no git, no checkout)."""
    top = (git_output(cwd, "rev-parse", "--show-toplevel") or "").rstrip("\r\n")
    return Path(top) if top else None


def workspace_of(cwd: Path, env: Mapping[str, str], top_of: Callable[[Path], Path | None] = checkout_top) -> Path:
    """Where the command's paths may lead: as the action's workspace, the checkout.

    Under Actions, GITHUB_WORKSPACE when it holds `cwd` (the runner's workspace, as the action
    has it); else the top level of the git checkout `cwd` is in; else `cwd` itself.
    """
    given = env.get("GITHUB_WORKSPACE", "") if env.get("GITHUB_ACTIONS") == "true" else ""
    if given and cwd.resolve().is_relative_to(Path(given).resolve()):
        return Path(given)
    top = top_of(cwd)
    return top if top is not None and cwd.resolve().is_relative_to(top.resolve()) else cwd


def action_env(
    args: argparse.Namespace,
    env: Mapping[str, str],
    cwd: Path,
    log: TextIO,
    remote_of: Callable[[Path], Remote | None] = origin_remote,
    top_of: Callable[[Path], Path | None] = checkout_top,
) -> dict[str, str]:
    """The environment to run main() with: `env` without its INPUT_*, plus one INPUT_* per flag given.

    Inputs not given stay unset, so main() applies the action's own defaults and, where one is
    missing (no tag, no token, no repository), reports it with every other bad input, in the
    command's words (FLAGS_VARIABLE tells main() it was started with flags). But the API and the
    token are always set: the token is the one for that API's host (remote.token_variables), so
    main() must not fall back on another API, nor on GITHUB_TOKEN for a host that is not GitHub's.
    A remote on a host that is not GitHub's, without --api-url, is handed to main() to report
    (REMOTE_HOST_VARIABLE), with every other bad input. Paths are read from `cwd` (BASE_VARIABLE)
    and may lead anywhere in the workspace (`workspace_of`: the checkout's top level).
    """
    run_env = {key: value for key, value in env.items() if not key.startswith("INPUT_") and key != REMOTE_HOST_VARIABLE}
    run_env[FLAGS_VARIABLE] = "1"
    run_env["GITHUB_WORKSPACE"] = str(workspace_of(cwd, env, top_of))
    run_env[BASE_VARIABLE] = str(cwd)
    for name, spec in INPUTS.items():
        value = getattr(args, name, None)
        if value is None or spec.env:  # the token: chosen below, for the API it goes to
            continue
        if spec.kind is Kind.BOOLEAN:
            value = "true" if value else "false"
        elif spec.kind is Kind.LINES:
            value = "\n".join(value)
        run_env[spec.variable] = value
    api_url = args.api_url
    if args.repository is None:
        remote = remote_of(cwd)
        if remote is not None:
            run_env["INPUT_REPOSITORY"] = remote.repository
            if api_url is None and remote.api_url is None:
                run_env[REMOTE_HOST_VARIABLE] = remote.host  # its API is the user's to say, with --api-url
            api_url = remote.api_url if api_url is None else api_url
            if api_url is not None:  # under Actions `log` is stdout as it is: the remote's path is outside text
                print(neutralise(f"repository {remote.repository} at {api_url} (from git remote origin)"), file=log)
    # As main() would default it (the input's `${{ github.api_url }}`, then api.github.com), made explicit.
    api_url = (api_url if api_url is not None else env.get("GITHUB_API_URL", "")).strip() or GITHUB_API
    run_env["INPUT_API_URL"] = api_url
    tokens = () if REMOTE_HOST_VARIABLE in run_env else token_variables(api_url)
    run_env["INPUT_TOKEN"] = next((env[v].strip() for v in tokens if env.get(v, "").strip()), "")
    return run_env


# -- showing the run to a person ---------------------------------------------------------------

COMMAND = re.compile(r"^::([a-z-]+)(?: [^:]*)?::(.*)$")
ESCAPED = re.compile(r"%(25|0D|0A)")
UNESCAPE = {"25": "%", "0D": "\r", "0A": "\n"}


def for_person(line: str) -> str | None:
    """A log line with the runner's workflow commands turned into plain text (None: nothing to show)."""
    match = COMMAND.match(line)
    if match:
        name, message = match[1], ESCAPED.sub(lambda m: UNESCAPE[m[1]], match[2])
        if name in ("group",):
            line = f"== {message}"
        elif name in ("error", "warning", "notice"):
            line = f"{name}: {message}"
        else:  # endgroup, add-mask (its value is a secret), debug, ...
            return None
    # No terminal escape from outside text; an annotation's own line breaks stay.
    return "\n".join(for_terminal(part, keep="\t") for part in line.split("\n"))


class PersonLog(io.TextIOBase):
    """A text stream that shows main()'s log lines `for_person` (outside Actions); errors go to `errors_to`."""

    def __init__(self, target: TextIO, errors_to: TextIO | None = None) -> None:
        self.target = target
        self.errors_to = errors_to or target
        self.pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            shown = for_person(line)
            if shown is not None:
                (self.errors_to if line.startswith("::error") else self.target).write(shown + "\n")
        return len(text)

    def flush(self) -> None:
        self.target.flush()
        self.errors_to.flush()


def read_outputs(text: str) -> dict[str, str]:
    """Outputs as main() appends them to GITHUB_OUTPUT (`name<<DELIMITER` blocks, see runner_io)."""
    outputs: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        name, heredoc, delimiter = line.partition("<<")
        if not heredoc:
            if "=" in line:
                key, _, value = line.partition("=")
                outputs[key] = value
            continue
        body = []
        for body_line in lines:
            if body_line == delimiter:
                break
            body.append(body_line)
        outputs[name] = "\n".join(body)
    return outputs


# -- the command -------------------------------------------------------------------------------


def started_by_runner(argv: Sequence[str], env: Mapping[str, str]) -> bool:
    """No flags, in an environment a runner made for an action: run as the action."""
    return not argv and (env.get("GITHUB_ACTIONS") == "true" or any(key.startswith("INPUT_") for key in env))


def run_with_flags(args: argparse.Namespace, env: Mapping[str, str], cwd: Path) -> int:
    in_actions = env.get("GITHUB_ACTIONS") == "true"
    shown = sys.stderr if args.json else sys.stdout
    # In a terminal every error goes to stderr; in a run step the runner reads the commands as they are.
    log: TextIO = shown if in_actions else PersonLog(shown, errors_to=sys.stderr)
    run_env = action_env(args, env, cwd, log)
    from release_action.main import main as run_action  # the engine: imported once a run starts

    with tempfile.TemporaryDirectory(prefix="safe-release-") as tmp:
        # Under Actions the outputs also go to the step's own GITHUB_OUTPUT; read back only ours.
        output = Path(run_env.get("GITHUB_OUTPUT") or Path(tmp, "output"))
        output.touch()
        start = output.stat().st_size
        run_env["GITHUB_OUTPUT"] = str(output)
        with contextlib.redirect_stdout(log):
            code = run_action(run_env)
        log.flush()
        with open(output, "rb") as stream:
            stream.seek(start)
            outputs = read_outputs(stream.read().decode("utf-8"))
    if code == 0:
        print_outputs(outputs, as_json=args.json, in_actions=in_actions)
    return code


def print_outputs(outputs: Mapping[str, str], *, as_json: bool, in_actions: bool) -> None:
    """The outputs on stdout, their server-chosen values as data: one JSON line, or one `name  value` line each.

    A value's line breaks and controls show as escapes and its terminal escape sequences are cut
    out, so it stays on its line; under Actions, where the runner reads stdout for workflow
    commands, no line can be one (runner_io.neutralise).
    """
    if as_json:
        print(json_line(outputs))
        return
    width = max(map(len, outputs), default=0)
    for name, value in outputs.items():
        line = f"{name:<{width}}  {for_terminal(value)}"
        print(neutralise(line) if in_actions else line)


def main(argv: Sequence[str] | None = None) -> int:
    """The `safe-release` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    for stream in (sys.stdout, sys.stderr):  # a Windows pipe's code page must not end the run
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        if started_by_runner(argv, os.environ):
            from release_action.main import main as run_action

            return run_action(os.environ)
        return run_with_flags(parse_flags(argv), os.environ, Path.cwd())
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
