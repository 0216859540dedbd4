"""`python -m release_bench sandbox`: serve a Sandbox until Ctrl-C, for manual runs."""

from __future__ import annotations

import argparse
import threading

from .core import Sandbox


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="release_bench sandbox", description="Serve a local imitation of GitHub's Releases REST API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="API port (0: random)")
    parser.add_argument("--uploads-port", type=int, default=0, help="uploads port (0: random)")
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
        uploads_port=args.uploads_port,
        latency=args.latency,
        untag_edited_drafts=args.untag_edited_drafts,
    )
    sb.start()
    print(f"API:      {sb.api_url}")
    print(f"Uploads:  {sb.uploads_url}")
    print(f"Token:    {sb.token}")
    print(f"Readonly: {sb.readonly_token}")
    print("# paste into your shell / .env:")
    print(f"INPUT_API_URL={sb.api_url}")
    print(f"INPUT_TOKEN={sb.token}")
    print(f"INPUT_REPOSITORY={repos[0]}", flush=True)
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()
    return 0
