"""Read views: which of the versions written within the lag window one read sees.

The store keeps every version of every release, and the order they were written in (state.py,
`Store.window`). A read lagging up to `lag` seconds may see, for each release, the version
current `lag` seconds ago or any written since; a view picks one. GitHub documents no bound and
no consistency between reads (RULES.md, "Reads lag writes"), so the views differ in how
adversarial they are:

- `Lagged`: every read as of exactly `lag` seconds ago, one delay for all (the `lag` knob);
- `Fresh`: the true state;
- `Snapshot`: each read the whole state as of one moment within the window (a consistent
  snapshot, as one query on one replica answers), its own moment for every read, drawn from
  a seeded generator: one read stale and the next fresh, but never a release without one
  written before it;
- `Scattered`: each read, for each release, any version within the window, drawn from a
  seeded generator: also one release new beside another old (stricter than GitHub is known
  to be; RULES.md).
  `Sandbox.set_read_view(holder, Snapshot(...))` gives one token holder (one run) its own.

The explorer (release_bench/explore.py) does not draw: it enumerates every view whose answer
differs, snapshots by default, per release on demand.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .state import Record, Window


@dataclass(frozen=True)
class Lagged:
    """Every read as of `lag` seconds ago: the oldest version in the window."""

    lag: float

    def pick(self, window: Window) -> dict[int, Record]:
        return {rid: versions[0] for rid, versions in window.items() if versions[0] is not None}


@dataclass(frozen=True)
class Fresh:
    """The true state: the newest version of each release."""

    lag: float = 0.0

    def pick(self, window: Window) -> dict[int, Record]:
        return {rid: versions[-1] for rid, versions in window.items() if versions[-1] is not None}


@dataclass
class Drawn:
    """A view that draws what each read shows, within `lag` seconds, with its own generator (`seed`)."""

    lag: float
    seed: int | None = None
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


@dataclass
class Snapshot(Drawn):
    """Each read, the state as of one moment within `lag` seconds (a consistent snapshot), drawn with `seed`."""

    def pick(self, window: Window) -> dict[int, Record]:
        moment = self.rng.choice(window.moments())
        return {rid: rel for rid, rel in moment.items() if rel is not None}


@dataclass
class Scattered(Drawn):
    """For each read and each release, any version within `lag` seconds, drawn with `seed`."""

    def pick(self, window: Window) -> dict[int, Record]:
        seen = {rid: self.rng.choice(versions) for rid, versions in sorted(window.items())}
        return {rid: rel for rid, rel in seen.items() if rel is not None}
