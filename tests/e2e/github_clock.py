"""GitHub's clock, stopped: for scenarios whose meaning is "moments later, by GitHub's clock".

The sandbox runs in the test's process and stamps every answer (`Date`) and every write
(`created_at`, `updated_at`) with `time.time()`. A scenario such as "a re-run lands seconds
after another run's write" must not hinge on how fast this machine starts a process: on a
busy machine the gap outgrows the engine's settle window (measured: 4-9 s under load) and the
scenario silently turns into "a re-run long after".
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock


@contextmanager
def github_clock_stopped() -> Iterator[float]:
    """GitHub's wall clock stands still inside the block; the runs' own clocks go on."""
    now = time.time()
    with mock.patch("time.time", return_value=now):
        yield now
