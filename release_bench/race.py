"""Did the runs race? The evidence in the sandbox's request log, so a race that did not happen fails.

Each run holds its own token (`Sandbox.issue_token`, as each workflow job has its own
GITHUB_TOKEN), and the log names the holder of every request. Two signs, both required:
at least half of the runs were in the race for the create — they sent one, or they had looked
(and so seen no release) before the first create landed — and some run's requests had another
run's request between them (the simulator served them interleaved, not one run after the
other). Runs that pause before a draft create (decide.py: the lean race) may never send one,
having found another run's draft: having looked before the first create is what shows they
were in the race. Runs on a release that exists already race on another write (`write`: an
update of its body, say) instead of the create.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from release_bench.sandbox import Sandbox

# How runs are made to overlap on two busy cores. Interpreters started at once reach the API
# over up to 4 s here (measured under load), and drift further apart with every request as
# thirty-two processes share two cores, where jobs on separate runners would not. So each
# run's first two requests (its observation: get-by-tag, then the list) are answered only
# once every run has sent as many (the sandbox's start line, which comes after the latency):
# every run decides on the same picture, and GitHub's lock decides between their creates.
# Every request waits a seeded 0.05-0.25 s, so that what follows interleaves as over a network.
LATENCY = (0.05, 0.25)
LOCKSTEP = 2
# A wait at the start line lasts at most this long, below the action's 10 s read timeout
# (with the tests' 60 s budget), so a run that never comes delays the others without failing them.
START_LINE_TIMEOUT = 8.0


def line_up(sb: Sandbox, runs: int) -> tuple[list[str], list[str]]:
    """Ready `sb` for `runs` racing runs: a token each, the start line, the latency.

    Returns the runs' names (as the request log gives them) and their tokens, in order.
    """
    holders = [f"run-{i + 1}" for i in range(runs)]
    tokens = [sb.issue_token(holder) for holder in holders]
    sb.set_latency(*LATENCY, seed=runs)
    sb.start_line(holders, steps=LOCKSTEP, timeout=START_LINE_TIMEOUT)
    return holders, tokens


@dataclass(frozen=True)
class Race:
    runs: tuple[str, ...]  # the token holders of the runs
    creators: tuple[str, ...]  # runs that sent a create (or the `write` evidence was asked for)
    interleaved: tuple[str, ...]  # runs with another run's request between two of their own
    write: str = "create_release"  # the route of the write that shows the runs overlapped
    early: tuple[str, ...] = ()  # runs with a request answered before the first `write` was

    @property
    def contenders(self) -> tuple[str, ...]:
        """The runs in the race for the write: they sent it, or looked before the first one landed."""
        return tuple(r for r in self.runs if r in self.creators or r in self.early)

    @property
    def raced(self) -> bool:
        return 2 * len(self.contenders) >= len(self.runs) and bool(self.interleaved)

    def __str__(self) -> str:
        what = "a create" if self.write == "create_release" else self.write
        return (
            f"{len(self.creators)} of {len(self.runs)} runs sent {what}, {len(self.contenders)} "
            f"{'was' if len(self.contenders) == 1 else 'were'} in the race for it; "
            f"{len(self.interleaved)} had another run's requests between their own"
        )


def evidence(log: Iterable[Mapping[str, Any]], runs: Sequence[str], write: str = "create_release") -> Race:
    """Read the race out of `log` (the sandbox's, in the order it answered)."""
    mine = set(runs)
    order = [(e["client"], e["route"]) for e in log if e.get("client") in mine]
    creators = {client for client, route in order if route == write}
    first = next((i for i, (_, route) in enumerate(order) if route == write), None)
    early = {client for client, _ in order[:first]} if first is not None else set()
    interleaved: set[str] = set()
    last_seen: dict[str, int] = {}
    for i, (client, _) in enumerate(order):
        if i - last_seen.get(client, i - 1) > 1:  # someone else's requests came in between
            interleaved.add(client)
        last_seen[client] = i
    return Race(
        tuple(runs),
        tuple(r for r in runs if r in creators),
        tuple(r for r in runs if r in interleaved),
        write,
        tuple(r for r in runs if r in early),
    )
