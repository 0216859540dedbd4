"""What every suite shares: the one sandbox fixture, and how pytest-xdist spreads the tests.

The sandbox is seeded, so its ids, slugs and tokens are the same on every run; each test gets
its own, on ports of its own, so tests stay independent when xdist runs them side by side.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from xdist.scheduler import LoadScopeScheduling

from release_bench.sandbox import Sandbox

SEED = 7
# Files whose tests go whole to one worker, to run one after another: a container test file
# shares one image build (a module fixture), and a race of 32 runs needs the two cores without
# another race, and the command's tests share one wheel and venv (a session fixture, else built
# once a worker). (Path prefixes: every file under tests/container/.)
ONE_WORKER = ("tests/container/", "tests/e2e/test_races.py", "tests/e2e/test_cli.py")


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A started sandbox with the repository `octo/demo` and no releases."""
    with Sandbox(seed=SEED) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(sb: Sandbox) -> Sandbox:
    """The same sandbox, by the name the simulator's own tests use."""
    return sb


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest chains first: the soak, then the files that run whole on one worker (the
    races, the command, the container tests). Under xdist they then run beside the rest of the
    suite from the start, instead of beginning late and running on alone at the end."""
    items.sort(key=lambda item: (item.get_closest_marker("soak") is None, not item.nodeid.startswith(ONE_WORKER)))


class OneWorkerPerFile(LoadScopeScheduling):
    """xdist's `load` distribution (one test at a time to whichever worker is free), except
    that each file in ONE_WORKER goes whole to one worker, the largest first.

    Told by the node id, not by `xdist_group` marks: with pytest 9.2, pytest-xdist 3.8's
    loadgroup no longer sees those marks and silently spreads the group.
    """

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return path if path.startswith(ONE_WORKER) else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LoadScopeScheduling | None:
    return OneWorkerPerFile(config, log) if config.getvalue("dist") == "load" else None
