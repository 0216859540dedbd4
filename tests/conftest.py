"""The one sandbox fixture every suite uses: a started simulator, on ports of its own.

Seeded, so its ids, slugs and tokens are the same on every run; each test gets its own, so tests
stay independent when pytest-xdist runs them side by side.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from release_bench.sandbox import Sandbox

SEED = 7


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A started sandbox with the repository `octo/demo` and no releases."""
    with Sandbox(seed=SEED) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(sb: Sandbox) -> Sandbox:
    """The same sandbox, by the name the simulator's own tests use."""
    return sb
