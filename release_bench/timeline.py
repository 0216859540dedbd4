"""What happened in a race, in order: read from the sandbox's request log and its drafter's flips.

The demo prints it under "What happened": each write of the runs (which creates GitHub accepted
with 201 and which it refused with 422, what was deleted and by whom, updates and publishes)
and each time the drafter turned a release back into a draft. It is the simulator's own record,
not what the runs say of themselves, so it can be set against their statuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from release_bench.harness import WRITES


@dataclass(frozen=True)
class Event:
    t: float  # seconds, on the sandbox's clock
    who: str  # "run 3", "the drafter"
    what: str  # "create → 201: release 100002, published"
    refused_create: bool = False  # a 422 to a create: consecutive ones are told as one line


def run_name(holder: str | None, runs: Sequence[str]) -> str:
    """The request log's token holder ("run-3") as the demo calls the run ("run 3")."""
    return f"run {runs.index(holder) + 1}" if holder in runs else str(holder)


def state(entry: Mapping[str, Any]) -> str:
    return "a draft" if entry.get("draft") else "published"


def events(log: Iterable[Mapping[str, Any]], drafted: Iterable[Mapping[str, Any]], runs: Sequence[str]) -> list[Event]:
    """The writes of `runs` and the drafter's flips, in the order they happened."""
    made: dict[int, str] = {}  # release id → the run whose create made it
    out = []
    for entry in sorted(log, key=lambda e: e["t"]):
        if entry.get("client") not in runs or entry["method"] not in WRITES:
            continue
        who, route, status, release = run_name(entry["client"], runs), entry["route"], entry["status"], entry["release"]
        if route == "create_release" and status == 201:
            made[release] = who
            out.append(Event(entry["t"], who, f"create → 201: release {release}, {state(entry)}"))
        elif route == "create_release" and status == 422:
            out.append(Event(entry["t"], who, "create → 422", refused_create=True))
        elif route == "delete_release":
            owner = made.get(release)
            whose = "its own release" if owner == who else f"{owner}'s release" if owner else "release"
            out.append(Event(entry["t"], who, f"delete {whose} {release} → {status}"))
        elif route == "update_release":
            out.append(Event(entry["t"], who, f"update release {release} → {status}: {state(entry)}"))
        else:
            out.append(Event(entry["t"], who, f"{entry['method']} {route} → {status}"))
    for flip in drafted:
        out.append(Event(flip["t"], "the drafter", f"turns release {flip['release']} back into a draft"))
    return sorted(out, key=lambda e: e.t)


def timeline(log: Iterable[Mapping[str, Any]], drafted: Iterable[Mapping[str, Any]], runs: Sequence[str]) -> list[str]:
    """The events as lines, `S.SS s  who: what` (seconds from the first); refused creates in a row, as one line."""
    happened = events(log, drafted, runs)
    if not happened:
        return []
    start = happened[0].t
    lines: list[str] = []
    i = 0
    while i < len(happened):
        event = happened[i]
        j = i + 1
        if event.refused_create:
            while j < len(happened) and happened[j].refused_create:
                j += 1
        if j - i > 1:
            who = "runs " + ", ".join(e.who.removeprefix("run ") for e in happened[i:j])
            what = "create → 422 each: refused, the tag has a published release"
        else:
            who = event.who
            what = "create → 422: refused, the tag has a published release" if event.refused_create else event.what
        lines.append(f"{event.t - start:5.2f} s  {who}: {what}")
        i = j
    return lines
