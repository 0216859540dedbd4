"""`python -m release_bench explore`: every interleaving of a few runs, with every read view the lag allows.

A configuration (`CONFIGS`) is a handful of runs of the real action on one tag, in process
(inprocess.py: main's wiring, the Engine, the asset sync and the draft-until-assets loop
against the simulator's `Api` and `Store`, on a discrete-event clock). Three kinds of choice
are left open, and the explorer enumerates them, depth first, re-running each schedule from
the start (the runs are real code, with no state to snapshot):

- **who goes next**, at every API request (and in the middle of an upload, while the asset
  is a `starter`): any run ready at this instant, or the drafter's flip once it is due;
- **what a read sees**: the state as of any one moment within the last `lag` seconds, chosen
  per read and per run (below; choices that give the same answer are one);
- **whether a write's answer is lost** after the write committed (a 502 after the commit);
- **how long a random pause lasts** (the engine's pause before creating a draft): as short as
  it gets, a tenth of its range (two runs that draw it apart still race, within any lag here),
  or as long as it gets. The backoff's jitter is seeded per run instead.

**The read model: a snapshot per read.** Each read (a list, a get by tag or by id, an asset
list) is served the whole state as of one moment it chooses between `lag` seconds ago and now:
a consistent snapshot, as one query on one replica gives, with every write up to that moment
and none after it. Each read has its own moment, per run: a list may be older than the read by
id before or after it, one read stale and the next fresh, two runs' reads at the same instant
apart. That is the reading of "each read may return any state written within the lag window,
per run" (issue 17), and it is the default because it is what GitHub is known to do: a page of
a list is one query, so it cannot show a release without those written before it. Stricter,
`--views per-release` (inprocess.PER_RELEASE) lets each read take, for each release apart, any
version within the window: a list may then show a new release and leave out an older one. It
is reported separately (`Config.known` keeps what it finds and snapshots do not): a run that
waits until a list shows its own new draft knows every older draft from then on under
snapshots, but no bounded wait shows it every older draft under per-release reads.

**The bound: preemptions, not partial orders.** As in CHESS (Musuvathi and Qadeer, "Iterative
context bounding for systematic testing of multithreaded programs", PLDI 2007), a schedule
may switch away from a run that could go on at most `preemptions` times; switching when a
run sleeps or ends is free, so every order in which runs take turns between their waits is
explored at any bound. Beside it, at most `stale` reads per schedule see anything but the
fresh state, and at most `lost` answers are lost. Within those bounds the search is
exhaustive. Two reductions keep it small, both exact: a run that wakes runs on to its next
request before anyone is chosen (what it computes meanwhile touches nothing shared), and a
schedule stops at a state already explored with at least as much budget left (state caching:
steps of two runs that commute, two reads above all, reach one state, which is most of what
partial-order reduction would save).

**Why that is sound for these invariants.** A violation found is real: it comes with a trace
that replays it deterministically (`--replay`) through the real action code. The cache loses
nothing within the bounds: a state is identified by the store (every version a read may still
see, and the order of the writes among them, which decides what snapshots there are), each
run's digest (every request it sent, every answer, clock reading and pause it got: its future
is a deterministic function of them, its seeded backoff jitter included), what it is about to
do, the clock, the pending events, who ran last, and all the invariants remember (who uploaded
each asset, a write whose answer was lost); the write invariants are checked as each write
happens and end the schedule, the others on the final state, so two schedules that reach one
state with as much budget left have the same futures and the same verdicts
(tests/test_explore.py checks that the cache loses no outcome). What the bounds leave out are
schedules that need more preemptions, stale reads or lost answers: CHESS's observation is that
most concurrency bugs need very few (the seeded bugs of tests/test_explore.py are found by
traces of at most two choices off the default), and `--depth`, `--bound`, `--stale` and
`--lost` go deeper on demand. Time is not a choice (but for the pauses above): requests take no
time and a run wakes exactly when its wait ends, so the orders explored are those of runs ready
at the same instant. The simulator's rules (sandbox/RULES.md) are assumed, GitHub's
one-published-release lock above all; so is the drafter striking within the settle window less
the lag, as docs/design.md says (the drafter's configuration keeps its lag, 1 s, below the 2 s
settle; two configurations take reads lagging 3 s, within the 30 s the design assumes
elsewhere).

**The invariants.** On each write: this action never turned a published release into a draft
(the drafter may); no run deleted a release or an asset holding another run's uploads; no run
repeated a write whose answer it lost without reading first. After each schedule: exactly one
published release for the tag (or one draft, when every run asked for one), and no draft left
that a run made; when the tag had only drafts before, the oldest of them survives (README,
Guarantees); every run exited 0 and ended on the release as one of its own reads showed it,
as it asked (a field another writer kept changing excepted, as the run warned); every run's
outputs name the surviving release.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from release_action import notes
from release_action.decide import Release, differences
from release_action.engine import ReleaseExists

from .harness import TAG
from .inprocess import (
    PER_RELEASE,
    READY,
    SNAPSHOT,
    Actor,
    Exchange,
    Policy,
    Prepared,
    RunSpec,
    Simulation,
    World,
    prepare,
    scratch,
)
from .sandbox.api import Reply

VIEWS = (SNAPSHOT, PER_RELEASE)
VIEW_WORDS = {
    SNAPSHOT: "each stale read the whole state as of one moment within the lag (a snapshot), its own moment",
    PER_RELEASE: "each stale read, for each release, any version within the lag (stricter than a snapshot)",
}

# -- configurations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bounds:
    preemptions: int = 1
    stale: int = 1
    lost: int = 0

    def __str__(self) -> str:
        def n(count: int, what: str) -> str:
            return f"{count} {what}" if count == 1 else f"{count} {what}s".replace("ys", "ies")

        return f"{n(self.preemptions, 'preemption')}, {n(self.stale, 'stale read')}, {n(self.lost, 'lost answer')}"

    def deeper(self, depth: int) -> Bounds:
        return Bounds(self.preemptions + depth, self.stale + depth, self.lost + depth if self.lost else 0)


@dataclass(frozen=True)
class Config:
    """A small race: runs (their inputs and files), the lag, the drafter, what GitHub holds before.

    `bounds`: what CI explores, each in turn (their union); `--depth` goes deeper on demand.
    `known`: read model (inprocess.SNAPSHOT or PER_RELEASE) → a violation today's action has in
    this configuration under it, within these bounds (tests/test_explore.py keeps each as a
    strict expected failure); empty when none is known.
    """

    name: str
    runs: tuple[RunSpec, ...]
    bounds: tuple[Bounds, ...]
    lag: float = 1.0
    drafter: bool = False  # a release-drafter workflow drafts the tag again right after each publish
    setup: Callable[[World], None] | None = None
    about: str = ""
    known: Mapping[str, str] = field(default_factory=dict)
    one_wins: bool = False  # if_exists: fail: exactly one run succeeds, each other fails naming the release
    statuses: tuple[str, ...] = ()  # the runs' `status` outputs, sorted, where the configuration decides them

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")

    @property
    def all_draft(self) -> bool:
        return all(run.inputs.get("draft") == "true" for run in self.runs)


def _notes(holder: str, **extra: str) -> RunSpec:
    return RunSpec(holder, {"tag": TAG, "notes": "Release notes", **extra})


def _with_file(holder: str, name: str, content: bytes, start: float = 0.0, **extra: str) -> RunSpec:
    return RunSpec(holder, {"tag": TAG, "files": f"dist/{name}", **extra}, {f"dist/{name}": content}, start)


def _filled_draft_beside_an_empty_one(world: World) -> None:
    """Debris of an earlier attempt: an empty draft, then a draft holding another run's upload."""
    world.seed_release(draft=True)
    world.seed_release(draft=True, assets=[("other.tar.gz", b"other")])


BY_HAND = "Written by hand."  # the notes of a release published before the runs (_published_by_hand)


def _published_by_hand(world: World) -> None:
    """A release published earlier, its notes written by a person: the runs add theirs to them."""
    world.seed_release(body=BY_HAND)


def _adding(holder: str, line: str, **placement: str) -> RunSpec:
    return RunSpec(holder, {"tag": TAG, "notes": line, **placement})


MATRIX = (_with_file("run-1", "app-linux.tar.gz", b"linux\n"), _with_file("run-2", "app-macos.tar.gz", b"macos\n"))
DRAFTS = (_notes("run-1", draft="true"), _notes("run-2", draft="true"))
LONG_LAG = 3.0  # longer than the settle (2 s), well within the lag docs/design.md assumes (30 s)

CONFIGS: dict[str, Config] = {
    c.slug: c
    for c in (
        Config(
            "2 runs and a drafter",
            (_notes("run-1"), _notes("run-2")),
            (Bounds(preemptions=3, stale=2),),
            drafter=True,
            about="two publishing runs, and a release-drafter that drafts the tag again right after each publish",
        ),
        Config(
            "3 runs",
            (_notes("run-1"), _notes("run-2"), _notes("run-3")),
            (Bounds(preemptions=2, stale=2),),
            statuses=("created", "unchanged", "unchanged"),  # one run made the release; the others say so
            about="three runs with the same inputs",
        ),
        Config(
            "2 runs with one file each",
            MATRIX,
            (Bounds(preemptions=1, stale=0), Bounds(preemptions=0, stale=1)),
            about="a build matrix: each run uploads its own file to the one release, and publishes it",
        ),
        Config(
            "a run beside a re-run",
            (_with_file("run-1", "app.tar.gz", b"app\n"), _with_file("rerun-1", "app.tar.gz", b"app\n", start=1.0)),
            (Bounds(preemptions=1, stale=1),),
            about="a run and a re-run of it (same inputs, same file) started a second later, within its settle",
        ),
        Config(
            "2 runs beside a filled draft",
            (_notes("run-1"), _notes("run-2")),
            (Bounds(preemptions=1, stale=0),),
            setup=_filled_draft_beside_an_empty_one,
            about="debris of an earlier attempt: an empty draft, and a newer one holding another run's upload",
        ),
        Config(
            "2 runs with lost answers",
            DRAFTS,
            (Bounds(preemptions=1, stale=0, lost=1),),
            about="two runs asking for a draft (drafts have no lock), any one write's answer lost after its commit",
        ),
        Config(
            "2 runs asking for a draft, 3 s lag",
            DRAFTS,
            (Bounds(preemptions=1, stale=1), Bounds(preemptions=0, stale=2)),
            lag=LONG_LAG,
            about="two runs asking for a draft, reads lagging up to 3 s (longer than the settle)",
            # A list showing a run's own new draft but not an older one: no snapshot shows that.
            known={PER_RELEASE: "one release"},
        ),
        Config(
            "2 runs appending their notes",
            (
                _adding("run-1", "* linux: ok", append_notes="true"),
                _adding("run-2", "* macos: ok", append_notes="true"),
            ),
            (Bounds(preemptions=2, stale=1),),
            setup=_published_by_hand,
            about="a build matrix: each run appends its line to the notes of a release published by hand",
        ),
        Config(
            "2 runs each in its own section",
            (
                _adding("run-1", "linux: ok", notes_section="linux"),
                _adding("run-2", "macos: ok", notes_section="macos"),
            ),
            (Bounds(preemptions=2, stale=1),),
            setup=_published_by_hand,
            about="a build matrix: each run keeps its own section of the notes of a release published by hand",
        ),
        Config(
            "2 runs under if_exists fail",
            (_notes("run-1", if_exists="fail"), _notes("run-2", if_exists="fail")),
            (Bounds(preemptions=2, stale=1),),
            one_wins=True,
            about="two runs that must not update a published release: exactly one publishes, the other fails",
        ),
        Config(
            "2 runs under if_exists skip",
            (_notes("run-1", if_exists="skip"), _notes("run-2", if_exists="skip")),
            (Bounds(preemptions=2, stale=1),),
            statuses=("created", "skipped"),
            about="two runs that leave a published release alone: one creates it, the other skips it",
        ),
        Config(
            "2 runs with one file each under if_exists fail",
            tuple(dataclasses.replace(r, inputs={**r.inputs, "if_exists": "fail"}) for r in MATRIX),
            (Bounds(preemptions=1, stale=0), Bounds(preemptions=0, stale=1)),
            one_wins=True,
            about="a build matrix that must not update a published release",
            # A run that lists the tag after the other run created its draft adopts that draft (as it
            # would a drafter's: the two cannot be told apart), and both publish one release.
            known={SNAPSHOT: "one wins", PER_RELEASE: "one wins"},
        ),
        Config(
            "2 runs with one file each, 3 s lag",
            MATRIX,
            # Without stale reads the lag changes nothing: `2 runs with one file each` has the preemptions.
            (Bounds(preemptions=0, stale=1),),
            lag=LONG_LAG,
            about="the build matrix, reads lagging up to 3 s (longer than the settle)",
        ),
    )
}


# -- the invariants ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class Watch:
    """The invariants checked on each write as it happens, and what they remember meanwhile."""

    def __init__(self) -> None:
        self.lost: dict[str, tuple[str, str]] = {}  # holder → the write whose answer it lost, until it reads
        self.found: Violation | None = None

    def __call__(self, sim: Simulation, entry: Exchange) -> None:
        if self.found is None:
            self.found = self.check(sim, entry)
            if self.found is not None:
                sim.stopped = str(self.found)  # the schedule ends at the next scheduling point

    def check(self, sim: Simulation, entry: Exchange) -> Violation | None:
        run = entry.holder != "drafter"
        if run and entry.method == "GET":
            self.lost.pop(entry.holder, None)
        if run and entry.is_write:
            if self.lost.get(entry.holder) == (entry.method, entry.path):
                return Violation(
                    "blind retry",
                    f"{entry.holder} sent {entry.method} {entry.path} again after its answer was lost, "
                    "without reading first",
                )
            if entry.lost:
                self.lost[entry.holder] = (entry.method, entry.path)
        if not run or entry.before is None or entry.after is None:
            return None
        uploader = sim.world.uploader
        for rid, old in entry.before.items():
            new = entry.after.get(rid)
            if new is not None and not old["draft"] and new["draft"]:
                return Violation("drafted again", f"{entry.holder} turned published release {rid} into a draft")
            theirs = [a for a in old["assets"] if uploader.get(a["id"], entry.holder) != entry.holder]
            if new is None and theirs:
                whose = ", ".join(sorted({uploader[a["id"]] for a in theirs}))
                return Violation("deleted uploads", f"{entry.holder} deleted release {rid}, holding uploads of {whose}")
            kept = {a["id"] for a in new["assets"]} if new is not None else set()
            gone = [a for a in theirs if new is not None and a["id"] not in kept]
            if gone:
                return Violation(
                    "deleted uploads",
                    f"{entry.holder} deleted asset {gone[0]['name']} of release {rid}, uploaded by "
                    f"{uploader[gone[0]['id']]}",
                )
        return None


def final_violations(config: Config, sim: Simulation, before: Mapping[int, Any]) -> list[Violation]:
    """The invariants on what a schedule left (`before`: what the tag had before the runs)."""
    found: list[Violation] = []
    world = sim.world
    made = _made_by_runs(world)
    ours = {rid: rel for rid, rel in world.snapshot().items() if rel["tag_name"] == TAG or rid in made}
    published = [rel for rel in ours.values() if rel["tag_name"] == TAG and not rel["draft"]]
    if config.all_draft and not published:
        kept, want = [rel for rel in ours.values() if rel["tag_name"] == TAG], "one draft for the tag"
    else:
        kept, want = published, "one published release for the tag"
    if len(kept) != 1:
        found.append(Violation("one release", f"expected {want}, found {sorted(r['id'] for r in kept) or 'none'}"))
    survivor = kept[0] if len(kept) == 1 else None
    leftovers = sorted(rid for rid, rel in ours.items() if rel is not survivor and rel["draft"] and rid in made)
    if leftovers:
        found.append(Violation("leftover drafts", f"drafts the runs made are left behind: {leftovers}"))
    drafts = [rid for rid, rel in before.items() if rel["tag_name"] == TAG and rel["draft"]]
    nothing_published = all(rel["draft"] for rel in before.values() if rel["tag_name"] == TAG)
    if survivor is not None and drafts and nothing_published and survivor["id"] != min(drafts):
        found.append(
            Violation("oldest draft", f"release {survivor['id']} survives, not the oldest draft {min(drafts)}")
        )
    results = {p.spec.holder: sim.actor(p.spec.holder).result for p in sim.prepared}
    if config.one_wins:
        found += _one_wins_violations(results, survivor)
    statuses = tuple(sorted(r.outputs.get("status", "") for r in results.values() if r is not None and r.code == 0))
    if config.statuses and len(statuses) == len(results) and statuses != config.statuses:
        found.append(Violation("statuses", f"the runs ended {list(statuses)}, not {list(config.statuses)}"))
    for prepared in sim.prepared:
        if config.one_wins and _refused_as_existing(results[prepared.spec.holder]):
            continue
        found += _run_violations(prepared, sim, survivor)
    if survivor is not None:
        found += _notes_violations(sim, survivor, before)
    return found


def _refused_as_existing(result: Any) -> bool:
    return result is not None and result.code == 1 and result.title == ReleaseExists.title


def _one_wins_violations(results: Mapping[str, Any], survivor: Mapping[str, Any] | None) -> list[Violation]:
    """Under `if_exists: fail`: one run succeeds; every other fails, naming the survivor, having
    written nothing to it (the Watch checks the writes). `results`: each run's, by holder."""
    winners = sorted(holder for holder, result in results.items() if result is not None and result.code == 0)
    found = []
    if len(winners) != 1:
        found.append(Violation("one wins", f"expected exactly one run to succeed, {winners or 'none'} did"))
    for holder, result in results.items():
        if _refused_as_existing(result) and survivor is not None and f"release {survivor['id']}" not in result.error:
            found.append(Violation("one wins", f"{holder} failed naming another release: {result.error}"))
    return found


def _notes_violations(sim: Simulation, survivor: Mapping[str, Any], before: Mapping[int, Any]) -> list[Violation]:
    """Appended notes, and notes in sections, end in the body once each, after what was there."""
    body, found = survivor.get("body") or "", []
    for prepared in sim.prepared:
        desired = prepared.asked.desired
        if not desired.placement.commutes:
            continue
        holder = prepared.spec.holder
        if desired.placement.section:
            count = body.count(notes.begin_marker(desired.placement.section))
            what = f"section {desired.placement.section!r}"
        else:
            count, what = sum(body.count(text.strip()) for text in desired.texts), "appended notes"
        if count != 1:
            found.append(Violation("notes once", f"{holder}'s {what} is in the body {count} times: {body!r}"))
    earlier = [rel.get("body") or "" for rel in before.values() if rel["tag_name"] == TAG and not rel["draft"]]
    if earlier and not body.startswith(earlier[0]):
        found.append(Violation("notes kept", f"the notes there before, {earlier[0]!r}, are not kept: {body!r}"))
    return found


def _run_violations(prepared: Prepared, sim: Simulation, survivor: Mapping[str, Any] | None) -> list[Violation]:
    holder = prepared.spec.holder
    result = sim.actor(holder).result
    if result is None or result.code != 0:
        why = "did not finish" if result is None else f"exited {result.code}: {result.error}"
        return [Violation("run failed", f"{holder} {why}")]
    found = []
    release = result.outcome.release if result.outcome is not None else {}
    if release not in sim.world.seen.get(holder, []):
        found.append(Violation("read back", f"{holder} ended on release {release.get('id')} as no read showed it"))
    else:
        changes = differences(prepared.asked.desired, Release.from_json(release))
        relaxed = " ".join(map(str, result.outcome.warnings)) if result.outcome is not None else ""
        changes = {k: v for k, v in changes.items() if f"`{k}`" not in relaxed}  # last writer won, with a warning
        if changes:
            found.append(Violation("read back", f"{holder} ended on release {release.get('id')}, differing: {changes}"))
    if survivor is not None and result.outputs.get("id") != str(survivor["id"]):
        found.append(
            Violation(
                "outputs", f"{holder}'s outputs name release {result.outputs.get('id')}, but {survivor['id']} survives"
            )
        )
    return found


def _made_by_runs(world: World) -> set[int]:
    made: set[int] = set()
    for entry in world.log:
        if entry.holder != "drafter" and entry.route == "create_release" and entry.after is not None:
            made |= set(entry.after) - set(entry.before or {})
    return made


# -- the search ----------------------------------------------------------------------------------


@dataclass
class Point:
    kind: str  # "who", "view" or "lost"
    chosen: int
    options: int
    labels: tuple[str, ...] = ()


class Oracle(Policy):
    """Follows a prefix of choices, then takes the first option; records every choice point.

    Every scheduling point with more than one ready actor, every read and every write is a
    point whatever the bounds (those the bounds leave one option included), so a trace means
    the same under any bounds, and replays without any.
    """

    explores_views = True

    def __init__(self, prefix: Sequence[int], bounds: Bounds | None, views: str = SNAPSHOT) -> None:
        self.prefix = list(prefix)
        self.bounds = bounds  # None: no bounds (a replay)
        self.views = views
        self.points: list[Point] = []
        self.preemptions = self.stale = self.lost = 0

    def _choose(self, kind: str, labels: Sequence[str]) -> int:
        i = len(self.points)
        chosen = min(self.prefix[i] if i < len(self.prefix) else 0, len(labels) - 1)
        self.points.append(Point(kind, chosen, len(labels), tuple(labels)))
        return chosen

    def _affords(self, used: int, bound: str) -> bool:
        return self.bounds is None or used < getattr(self.bounds, bound)

    def next_actor(self, ready: Sequence[Actor], current: Actor | None) -> int:
        if len(ready) == 1:
            return 0
        preempting = current is not None and ready[0] is current
        labels = [f"{a.name}: {a.pending}" for a in ready]
        if preempting and not self._affords(self.preemptions, "preemptions"):
            labels = labels[:1]
        chosen = self._choose("who", labels)
        if preempting and chosen:
            self.preemptions += 1
        return chosen

    def wants_view(self, actor: Actor) -> bool:
        return self._affords(self.stale, "stale")

    def pick_view(self, actor: Actor, options: Sequence[Reply], labels: Sequence[str]) -> int:
        chosen = self._choose("view", [f"{actor.name} reads {label}" for label in labels])
        self.stale += chosen > 0
        return chosen

    def lose_answer(self, actor: Actor, method: str, route: str | None) -> bool:
        labels = [f"{actor.name} {method} {route}: answered", f"{actor.name} {method} {route}: answer lost"]
        chosen = self._choose("lost", labels if self._affords(self.lost, "lost") else labels[:1])
        self.lost += chosen
        return bool(chosen)

    def draw(self, actor: Actor, low: float, high: float, seeded: Any) -> float:
        """A random pause: as short as it gets, a tenth of its range (shorter than any lag here, so
        two runs that draw it apart still race), or as long as it gets."""
        values = [low, low + (high - low) / 10, high]
        chosen = self._choose("pause", [f"{actor.name} pauses {v:.1f} s" for v in values])
        return values[chosen]

    @property
    def used(self) -> tuple[int, int, int]:
        return (self.preemptions, self.stale, self.lost)

    @property
    def choices(self) -> list[int]:
        return [p.chosen for p in self.points]


@dataclass
class Schedule:
    """One schedule as it ran: its choices, how it ended, what it broke."""

    choices: list[int]
    points: list[Point]
    ending: str  # "end", "cut" (a state explored before) or "violation"
    violations: list[Violation]
    transcript: str
    sim: Simulation | None = None
    views: str = SNAPSHOT

    @property
    def trace(self) -> str:
        """The choices off the default, as POINT=OPTION pairs (every other point takes option 0)."""
        return ",".join(f"{i}={c}" for i, c in enumerate(self.choices) if c)

    def named(self, config: Config) -> str:
        """The trace with its configuration (and read model, unless snapshots), as `--replay` takes it."""
        views = "" if self.views == SNAPSHOT else f"@{self.views}"
        return f"{config.slug}{views}:{self.trace}"


@dataclass
class Report:
    config: Config
    bounds: Bounds
    views: str = SNAPSHOT
    schedules: int = 0  # run to their end (or to a violation)
    cut: int = 0  # stopped at a state explored before with as much budget left
    states: int = 0  # distinct states met at scheduling points
    seconds: float = 0.0
    exhausted: bool = False  # every schedule within the bounds was explored
    violation: Schedule | None = None

    def line(self) -> str:
        done = "all explored" if self.exhausted else "stopped early"
        found = f"; VIOLATION {self.violation.violations[0]}" if self.violation else ""
        views = "" if self.views == SNAPSHOT else f", {self.views} views"
        return (
            f"{self.config.name} [{self.bounds}{views}]: {self.schedules + self.cut} schedules "
            f"({self.cut} cut at a state explored before), {self.states} states, {self.seconds:.1f} s, {done}{found}"
        )


class Explorer:
    """Explores one configuration; also replays and shrinks traces. Each schedule re-runs from the start."""

    def __init__(self, config: Config, *, views: str = SNAPSHOT, seed: int = 7) -> None:
        self.config = config
        self.views = views  # which answers a read may get (inprocess.SNAPSHOT or PER_RELEASE)
        self.seed = seed
        self.root = scratch("explore-")
        self.prepared: list[Prepared] = prepare(config.runs, self.root / "runs")
        (self.root / "assets").mkdir()
        self.seen: dict[str, list[tuple[int, int, int]]] = {}  # state → the budgets used on reaching it

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Explorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _setup(self, world: World) -> None:
        if self.config.setup is not None:
            self.config.setup(world)
        if self.config.drafter:
            world.start_drafter(flips=1, delay=0.0)  # due at once: it may strike between any two requests

    def run(self, prefix: Sequence[int], bounds: Bounds | None, *, cache: bool = False, keep: bool = False) -> Schedule:
        """One schedule: the choices in `prefix`, then the first option at every later point."""
        oracle, watch = Oracle(prefix, bounds, self.views), Watch()
        sim = Simulation(
            self.prepared,
            oracle,
            lag=self.config.lag,
            seed=self.seed,
            setup=self._setup,
            watch=watch,
            tmpdir=str(self.root / "assets"),
        )
        before = sim.world.snapshot()
        if cache:
            sim.on_choice = lambda s, ready: self._new_state(s, oracle, watch)
        try:
            sim.run()
        finally:
            sim.close()
        if watch.found is not None:
            ending, violations = "violation", [watch.found]
        elif sim.stopped is not None:
            ending, violations = "cut", []
        else:
            ending, violations = "end", final_violations(self.config, sim, before)
        return Schedule(
            oracle.choices, oracle.points, ending, violations, sim.transcript(), sim if keep else None, self.views
        )

    def _new_state(self, sim: Simulation, oracle: Oracle, watch: Watch) -> bool:
        """At a scheduling point past the prefix: False when this state was explored with as much budget left."""
        if len(oracle.points) < len(oracle.prefix):
            return True  # replaying the prefix: these states are being explored
        key = fingerprint(sim, watch, ordered=self.views == SNAPSHOT)
        before = self.seen.setdefault(key, [])
        if any(all(b <= u for b, u in zip(old, oracle.used, strict=True)) for old in before):
            return False
        before.append(oracle.used)
        return True

    def explore(
        self, bounds: Bounds, *, seconds: float | None = None, limit: int | None = None, stop_at_first: bool = True
    ) -> Report:
        """Depth first over every schedule within `bounds` (or until `seconds` pass, or `limit` schedules ran)."""
        report = Report(self.config, bounds, self.views)
        start = time.perf_counter()
        self.seen.clear()
        prefix: list[int] = []
        while True:
            schedule = self.run(prefix, bounds, cache=True)
            if schedule.ending == "cut":
                report.cut += 1
            else:
                report.schedules += 1
            if schedule.violations and report.violation is None:
                report.violation = schedule
                if stop_at_first:
                    break
            points = schedule.points
            while points and points[-1].chosen + 1 >= points[-1].options:
                points.pop()
            if not points:
                report.exhausted = True
                break
            prefix = [p.chosen for p in points]
            prefix[-1] += 1
            if seconds is not None and time.perf_counter() - start > seconds:
                break
            if limit is not None and report.schedules + report.cut >= limit:
                break
        report.states = len(self.seen)
        report.seconds = time.perf_counter() - start
        return report

    def shrink(self, schedule: Schedule, *, seconds: float = 60.0) -> Schedule:
        """A schedule with as few choices off the default as still breaks the same invariant."""
        kind = schedule.violations[0].kind
        best = self.run(schedule.choices, None)  # its points as a replay counts them
        start = time.perf_counter()
        changed = True
        while changed and time.perf_counter() - start < seconds:
            changed = False
            for i in reversed(range(len(best.choices))):
                for value in range(best.choices[i]):
                    trial = self.run([*best.choices[:i], value, *best.choices[i + 1 :]], None)
                    if any(v.kind == kind for v in trial.violations) and _weight(trial.choices) < _weight(best.choices):
                        best, changed = trial, True
                        break
        return best


def _weight(choices: Sequence[int]) -> tuple[int, int]:
    return (sum(1 for c in choices if c), sum(choices))


def fingerprint(sim: Simulation, watch: Watch, *, ordered: bool = True) -> str:
    """What decides a state's future (see the module docstring), as a digest. `ordered`: with the
    order of the writes within the window (which snapshots a read may be served depends on it)."""
    store = sim.world.store
    h = hashlib.sha256()
    h.update(repr((sim.now, sim.current.index if sim.current else None)).encode())
    for actor in sim.actors:
        h.update(repr((actor.name, actor.state, actor.wake if actor.state != READY else None, actor.pending)).encode())
        h.update(actor.digest)
    with store.lock:
        for repo in store.repos.values():
            window = store.window(repo, sim.lag)
            h.update(json.dumps(_plain(window), sort_keys=True, default=str).encode())
            if ordered:
                h.update(repr([rid for rid, _ in window.writes]).encode())
            h.update(repr(sorted(repo.tags)).encode())
        h.update(repr((store._next_release, store._next_asset)).encode())  # the ids, and the slugs drawn so far
    h.update(repr(sorted(sim.world.uploader.items())).encode())
    h.update(repr(sorted(watch.lost.items())).encode())
    h.update(repr([d[2] for d in sim.world.drafters]).encode())
    return h.hexdigest()


def _plain(window: Mapping[int, list[Any]]) -> list[Any]:
    """The window without what no answer shows (where asset bytes are kept)."""
    return [
        [
            rid,
            [
                None
                if v is None
                else {**v, "assets": [{k: x for k, x in a.items() if k != "path"} for a in v["assets"]]}
                for v in versions
            ],
        ]
        for rid, versions in sorted(window.items())
    ]


# -- traces ---------------------------------------------------------------------------------------


def parse_trace(text: str) -> tuple[Config, list[int], str]:
    """'CONFIG:25=1,43=5' (point 25 takes option 1, point 43 option 5, every other point 0) →
    the configuration, the choices and the read model: snapshots, or per release after
    'CONFIG@per-release:'."""
    name, _, pairs = text.strip().partition(":")
    slug, _, views = name.partition("@")
    if slug not in CONFIGS:
        raise ValueError(f"unknown configuration {slug!r} in the trace; expected one of {', '.join(CONFIGS)}")
    if views not in ("", *VIEWS):
        raise ValueError(f"unknown read model {views!r} in the trace; expected one of {', '.join(VIEWS)}")
    chosen: dict[int, int] = {}
    for pair in filter(None, pairs.split(",")):
        point, _, option = pair.partition("=")
        if not (point.strip().isdigit() and option.strip().isdigit()):
            raise ValueError(f"a trace is CONFIG:POINT=OPTION,POINT=OPTION (numbers), not {text!r}")
        chosen[int(point)] = int(option)
    return CONFIGS[slug], [chosen.get(i, 0) for i in range(max(chosen, default=-1) + 1)], views or SNAPSHOT


def replay(trace: str) -> Schedule:
    """Run the schedule a trace names, exactly as the explorer ran it (for regression tests)."""
    config, choices, views = parse_trace(trace)
    with Explorer(config, views=views) as explorer:
        return explorer.run(choices, None, keep=True)


def describe(config: Config, schedule: Schedule) -> str:
    """A schedule for a person: the choices off the default, the requests as answered, how runs ended."""
    lines = [f"trace {schedule.named(config)}", "choices made (0 is the default: go on, read fresh, answer):"]
    lines += [
        f"  #{i} {p.kind}: {p.labels[p.chosen]}  (of {p.options})" for i, p in enumerate(schedule.points) if p.chosen
    ]
    lines.append("requests, as the simulator answered them:")
    lines += ["  " + line for line in schedule.transcript.splitlines()]
    if schedule.sim is not None:
        lines.append("how each run ended:")
        for actor in schedule.sim.actors:
            if actor.is_run and actor.result is not None:
                r = actor.result
                outputs = {k: r.outputs.get(k) for k in ("id", "status", "draft")}
                lines.append(f"  {actor.name}: exit {r.code} {outputs}{' ' + r.error if r.error else ''}")
    lines += [f"VIOLATION {v}" for v in schedule.violations] or ["no invariant broken"]
    return "\n".join(lines)


# -- the command -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m release_bench explore",
        description="Explore every interleaving of a few runs of the action, and every read view the lag "
        "allows, within a preemption bound; check the invariants after each schedule.",
    )
    parser.add_argument("configs", nargs="*", metavar="CONFIG", help="configurations (default: all; see --list)")
    parser.add_argument("--bound", type=int, help="preemptions per schedule (instead of the CI bounds)")
    parser.add_argument("--stale", type=int, help="stale reads per schedule (with --bound; default 1)")
    parser.add_argument("--lost", type=int, help="lost answers per schedule (with --bound; default 0)")
    parser.add_argument("--depth", type=int, default=0, help="go deeper: add this to every CI bound")
    parser.add_argument("--seconds", type=float, help="stop each exploration after this long")
    parser.add_argument(
        "--views",
        choices=VIEWS,
        default=SNAPSHOT,
        help="what a stale read may be served: the whole state as of one moment within the lag (snapshot, "
        "the default), or, stricter, any version of each release within the lag (per-release)",
    )
    parser.add_argument("--replay", metavar="TRACE", help="run one schedule, CONFIG[@VIEWS]:CHOICES, and print it")
    parser.add_argument("--list", action="store_true", help="list the configurations and their CI bounds")
    return parser


def bounds_for(config: Config, args: argparse.Namespace) -> tuple[Bounds, ...]:
    if args.bound is not None or args.stale is not None or args.lost is not None:
        given = Bounds(args.bound or 0, 1 if args.stale is None else args.stale, args.lost or 0)
        return (given.deeper(args.depth),)
    return tuple(b.deeper(args.depth) for b in config.bounds)


def _known(config: Config) -> str:
    return "".join(f"; known violation with {views} views: {kind}" for views, kind in config.known.items())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list:
        for config in CONFIGS.values():
            bounds = "; ".join(map(str, config.bounds))
            print(f"{config.slug}: {config.about} (lag {config.lag:g} s; CI: {bounds}{_known(config)})")
        return 0
    if args.replay:
        try:
            config, choices, views = parse_trace(args.replay)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        with Explorer(config, views=views) as explorer:
            schedule = explorer.run(choices, None, keep=True)
        print(describe(config, schedule))
        return 1 if schedule.violations else 0
    unknown = [c for c in args.configs if c not in CONFIGS]
    if unknown:
        print(f"unknown configuration {unknown[0]!r}; expected one of {', '.join(CONFIGS)}", file=sys.stderr)
        return 2
    failed = False
    start = time.perf_counter()
    print(f"reads: {VIEW_WORDS[args.views]}")
    for slug in args.configs or list(CONFIGS):
        config = CONFIGS[slug]
        with Explorer(config, views=args.views) as explorer:
            for bounds in bounds_for(config, args):
                report = explorer.explore(bounds, seconds=args.seconds)
                print(report.line(), flush=True)
                if report.violation is not None:
                    known = report.violation.violations[0].kind == config.known.get(args.views)
                    failed = failed or not known
                    shrunk = explorer.shrink(report.violation)
                    print(describe(config, explorer.run(shrunk.choices, None, keep=True)))
                    print(f"replay: python -m release_bench explore --replay {shrunk.named(config)}")
                    if known:
                        print(f"(known with {args.views} views: tests/test_explore.py keeps it as an expected failure)")
                    print()
                    break
    print(f"total {time.perf_counter() - start:.1f} s")
    return 1 if failed else 0
