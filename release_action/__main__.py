"""`python -m release_action [sandbox|demo] …`: the action itself, or its local tools.

The tools are imported only when asked for, so the action starts with the fewest imports.
"""

from __future__ import annotations

import sys


def cli(argv: list[str]) -> int:
    if argv[:1] == ["sandbox"]:
        from release_action.sandbox.cli import main as sandbox_main

        return sandbox_main(argv[1:])
    if argv[:1] == ["demo"]:
        from release_action.demo import main as demo_main

        return demo_main(argv[1:])
    if argv:
        print("usage: python -m release_action [sandbox [--help] | demo [--help]]", file=sys.stderr)
        return 2
    from release_action.main import main

    return main()


if __name__ == "__main__":
    raise SystemExit(cli(sys.argv[1:]))
