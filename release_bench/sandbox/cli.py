"""`python -m release_bench sandbox`: serve a Sandbox until Ctrl-C, for manual runs."""

from __future__ import annotations

import argparse
import shlex
import threading

from release_action.remote import token_variables

from .core import Sandbox


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="release_bench sandbox", description="Serve a local imitation of GitHub's Releases REST API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="API port (0: random)")
    parser.add_argument("--lag", type=float, default=0.0, help="read-after-write lag, seconds")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument(
        "--repo", action="append", default=None, help="owner/name to serve (repeatable; default octo/demo)"
    )
    parser.add_argument("--token", default=None, help="write token (default: random ghs_...)")
    parser.add_argument(
        "--latency", type=latency, default=(0.0, 0.0), metavar="MIN[,MAX]", help="per-request delay, seconds"
    )
    parser.add_argument(
        "--untag-edited-drafts",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a draft PATCHed without tag_name that stays a draft loses its tag (see sandbox/RULES.md)",
    )
    return parser


def ready_lines(api_url: str, token: str, repository: str) -> list[str]:
    """Lines to paste: for the `safe-release` command, for a workflow run by act, and as INPUT_* variables.

    The command reads the token from the variable `gh` would for the API's host (remote.py): for
    the simulator, not github.com, GH_ENTERPRISE_TOKEN.
    """
    variable = token_variables(api_url)[0]
    command = ["safe-release", "--api-url", api_url, "--repository", repository, "--tag", "v0.1.0"]
    return [
        "",
        "# the safe-release command: paste into your shell",
        f"export {variable}={shlex.quote(token)}",
        f"{shlex.join(command)} --notes 'Made by the command.'",
        "",
        "# a workflow step run by act (uses: ./ or ./portable): its inputs",
        "        with:",
        f"          api_url: {api_url}",
        f"          token: {token}",
        f"          repository: {repository}",
        "          tag: v0.1.0",
        "",
        "# the image run by hand (docker run --env-file) or python -m release_action: INPUT_* variables",
        f"INPUT_API_URL={api_url}",
        f"INPUT_TOKEN={token}",
        f"INPUT_REPOSITORY={repository}",
        "INPUT_TAG=v0.1.0",
    ]


def latency(text: str) -> tuple[float, float]:
    """'0.1' or '0.05,0.2' seconds."""
    try:
        low, _, high = text.partition(",")
        span = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN or MIN,MAX seconds, got {text!r}") from None
    if not 0 <= span[0] <= span[1]:
        raise argparse.ArgumentTypeError(f"expected 0 <= MIN <= MAX, got {text!r}")
    return span


def main(argv: list[str] | None = None, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl-C (or until `stop` is set, which tests use)."""
    args = build_parser().parse_args(argv)
    repos = args.repo or ["octo/demo"]
    sb = Sandbox(
        lag=args.lag,
        seed=args.seed,
        fault_rate=args.fault_rate,
        repos=repos,
        token=args.token,
        host=args.host,
        port=args.port,
        latency=args.latency,
        untag_edited_drafts=args.untag_edited_drafts,
    )
    sb.start()
    print(f"API:      {sb.api_url}")
    print(f"Uploads:  {sb.uploads_url}")
    print(f"Token:    {sb.token}")
    print(f"Readonly: {sb.readonly_token}")
    print("\n".join(ready_lines(sb.api_url, sb.token, repos[0])), flush=True)
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()
    return 0
