"""The run's one time budget, `timeout_seconds`, spent alike by waits and by requests.

Whatever takes time asks the Deadline first: a deliberate wait (the settle after a write,
backoff between retries, a rate limit) is refused when it would overrun the budget, and a
request runs under `Deadline.call`, which gives it what is left of the budget as a whole, not
per socket read. So a run ends within its budget plus the time to report, whatever a server
does, and the error says what was slow.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import backoff

from release_action.errors import TITLE_PREFIX, ActionError
from release_action.wording import words

SETTLE_SECONDS = 2.0  # after a create or publish, let a racing drafter's write land before verifying

T = TypeVar("T")


class BudgetExhausted(ActionError):
    """timeout_seconds is spent; the message says on what."""

    title = f"{TITLE_PREFIX}: out of time"


@dataclass
class Deadline:
    """The run's time budget, on an injectable clock so tests never really wait.

    `jitter` draws a backoff wait below its cap (backoff's full jitter): injectable too, so a
    simulation can replay a run's waits exactly.
    """

    seconds: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    start: float = field(default=0.0)
    jitter: Callable[[float], float] | None = None  # None: backoff's full_jitter

    def __post_init__(self) -> None:
        self.start = self.clock()

    def remaining(self) -> float:
        return self.seconds - (self.clock() - self.start)

    def check(self, what: str) -> None:
        """BudgetExhausted if the budget is spent: for work done here (collecting files), between its steps."""
        if self.remaining() <= 0:
            raise BudgetExhausted(f"timeout_seconds ({self.seconds:g}) ran out while {what}")

    def wait(self, seconds: float, why: str) -> None:
        """Sleep `seconds`, or raise BudgetExhausted if that would overrun the budget."""
        if seconds > self.remaining():
            raise BudgetExhausted(
                words(
                    "`timeout_seconds` ({budget}) would run out while waiting {wait}s for {why}",
                    budget=f"{self.seconds:g}",
                    wait=f"{seconds:.1f}",
                    why=why,
                )
            )
        if seconds > 0:
            self.sleep(seconds)

    def settle(self, why: str) -> None:
        """The settle wait: SETTLE_SECONDS, or a quarter of what is left when that is less."""
        self.wait(min(SETTLE_SECONDS, self.remaining() / 4), why)

    def call(self, fn: Callable[[], T], what: str) -> T:
        """`fn()`, given at most what is left of the budget; BudgetExhausted when it is not back by then.

        Socket timeouts bound each read, not a whole answer (a server that sends a byte a
        second never trips them), and name resolution has no timeout at all. So `fn` runs on a
        daemon thread, and is abandoned when the budget ends: the run is over then, and the
        process exits without waiting for it.
        """
        left = self.remaining()
        if left <= 0:
            raise BudgetExhausted(
                words("`timeout_seconds` ({budget}) ran out before {what}", budget=f"{self.seconds:g}", what=what)
            )
        outcome: list[tuple[bool, object]] = []

        def run() -> None:
            try:
                outcome.append((True, fn()))
            except BaseException as exc:  # handed to the caller's thread below
                outcome.append((False, exc))

        worker = threading.Thread(target=run, name="budgeted-call", daemon=True)
        worker.start()
        worker.join(left)
        if not outcome:
            raise BudgetExhausted(
                words(
                    "`timeout_seconds` ({budget}) ran out after {left}s waiting for {what}: "
                    "the server, or a proxy in front of it, answered too slowly",
                    budget=f"{self.seconds:g}",
                    left=f"{left:.1f}",
                    what=what,
                )
            )
        done, value = outcome[0]
        if done:
            return value  # type: ignore[return-value]
        raise value  # type: ignore[misc]


class Backoff:
    """Jittered exponential waits on a deadline: backoff's `expo`, with its full jitter, plus a floor."""

    def __init__(self, deadline: Deadline, *, first: float, cap: float, floor: float = 0.0) -> None:
        self.deadline = deadline
        self.floor = floor
        self._caps = backoff.expo(base=2, factor=first, max_value=cap)
        next(self._caps)  # backoff's generators are primed before use

    def next_delay(self) -> float:
        """The next wait: uniform below a cap that doubles from `first` up to `cap`, plus `floor`."""
        jitter = self.deadline.jitter or backoff.full_jitter
        return jitter(next(self._caps)) + self.floor

    def wait(self, why: str) -> None:
        self.deadline.wait(self.next_delay(), why)
