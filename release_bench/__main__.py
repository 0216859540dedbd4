"""`python -m release_bench sandbox|demo|explore …`: the local GitHub simulator, the Dask race
replayed on it, or every interleaving of a few runs explored in process."""

from __future__ import annotations

import sys


def cli(argv: list[str]) -> int:
    if argv[:1] == ["sandbox"]:
        from release_bench.sandbox.cli import main as sandbox_main

        return sandbox_main(argv[1:])
    if argv[:1] == ["explore"]:
        from release_bench.explore import main as explore_main

        return explore_main(argv[1:])
    if argv[:1] == ["demo"]:
        from release_bench.demo import main as demo_main

        return demo_main(argv[1:])
    print("usage: python -m release_bench {sandbox|demo|explore} [--help]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(cli(sys.argv[1:]))
