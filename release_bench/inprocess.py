"""The action's loops in one process, on virtual time, against the simulator's own state.

Each run is the action as `main.converge` wires it (Engine, the asset sync, the
draft-until-assets loop, the real Transport with its retries, redirects and origin checks),
in a thread of its own. Only the network is replaced: `FakeSession` is a `requests.Session`
whose `send` hands the request to the simulator's `Api` (sandbox/api.py, the code the HTTP
server answers with) and turns what it answers into a `requests.Response`, with the same
status, headers (Date, Link, rate limits) and JSON. The `World` is the simulator's `Backend`
on a virtual clock.

Time is a discrete-event clock. A run's request takes no time; a run that sleeps (a settle,
a backoff, a poll) wakes when the clock reaches its wake time, and the clock moves only when
no run is ready. Exactly one run executes at a time: every API request (and the middle of an
upload) is a scheduling point where a `Policy` chooses who goes next; each read is served
from a view of the lag window the policy may choose (per run, per read); each write's answer
may be lost after it committed. So a run of the simulation is a deterministic function of the
policy's choices: the explorer (explore.py) enumerates them, the tests pick one.

All randomness is seeded: the store's ids and slugs, each run's backoff jitter and the
engine's pauses (main.converge takes the Deadline, the session and the random source).
"""

from __future__ import annotations

import hashlib
import http
import io
import itertools
import json
import os
import random
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from release_action import main
from release_action.budget import BudgetExhausted, Deadline
from release_action.failures import failure_of
from release_action.inputs import Asked, read_inputs
from release_action.report import Outcome
from release_action.runner_io import Cancelled, Runner
from release_action.transport import Session

from .harness import REPO, TAG, FakeClock, StepFiles, parse_outputs, runner_env
from .sandbox import shapes
from .sandbox.api import Api, Render, Reply, Request, http_date
from .sandbox.core import RATE_LIMIT, Fault, Faults, seed_release
from .sandbox.state import ReadView, Record, Store, Window

API_URL = "http://127.0.0.1:1"  # never connected to: FakeSession answers in process
UPLOADS_URL = f"{API_URL}/api/uploads"  # on the API's own origin, as the simulator serves them
WRITES = ("POST", "PATCH", "PUT", "DELETE")
# What one read may be served, when a policy explores the lag window: the whole state as of one
# moment within the lag (a consistent snapshot, each read its own moment), or, stricter, for
# each release any version written within the lag (a newer release beside an older one missing).
SNAPSHOT, PER_RELEASE = "snapshot", "per-release"
YIELD_TIMEOUT = 120.0  # real seconds a run may compute between two scheduling points (a bug guard)


class Abandoned(BaseException):
    """Raised in a run's thread to stop it when a simulation is cut short (no `except Exception` catches it)."""


def scratch(prefix: str) -> Path:
    """A fresh directory for a simulation's files: in memory (/dev/shm) where there is one.

    Each schedule writes the runs' output files and the uploads' bytes; on a busy disk an
    open costs a millisecond or more, in memory a few microseconds.
    """
    shm = Path("/dev/shm")  # noqa: S108 (mkdtemp makes a private directory in it)
    where = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=where))


def token_of(holder: str) -> str:
    return "ghs_" + hashlib.sha256(f"inprocess:{holder}".encode()).hexdigest()[:36]


# -- policies: the choices a simulation leaves open --------------------------------------------


class Policy:
    """Who goes next, which view a read sees, whether a write's answer is lost.

    This base answers like the end-to-end suite's start line: the ready runs take turns, one
    request each, in the order of the runs; reads use each run's fixed view (the store's lag,
    unless the world gives the run a view of its own); no answer is lost.
    """

    explores_views = False
    views = SNAPSHOT  # when exploring views: SNAPSHOT or PER_RELEASE (which answers a read may get)

    def next_actor(self, ready: Sequence[Actor], current: Actor | None) -> int:
        """Index into `ready` (sorted by actor; `current` first when it is still ready)."""
        if current is None:
            return 0
        after = [i for i, actor in enumerate(ready) if actor.index > current.index]
        return after[0] if after else min(range(len(ready)), key=lambda i: ready[i].index)

    def wants_view(self, actor: Actor) -> bool:
        """Whether this read may be served another view than the fresh one (when exploring views)."""
        return self.explores_views

    def pick_view(self, actor: Actor, options: Sequence[Reply], labels: Sequence[str]) -> int:
        return 0

    def lose_answer(self, actor: Actor, method: str, route: str | None) -> bool:
        return False

    def draw(self, actor: Actor, low: float, high: float, seeded: random.Random) -> float:
        """A random draw of the run's (the engine's pause before a draft create): `seeded`'s here."""
        return seeded.uniform(low, high)


class InTurn(Policy):
    """Each run goes on until it sleeps or ends: no preemption at all (runs one after another at each instant)."""

    def next_actor(self, ready: Sequence[Actor], current: Actor | None) -> int:
        return 0


# -- the actors ----------------------------------------------------------------------------------

# A run is RUNNING (the one thread that executes), READY (at a request, to be chosen),
# SLEEPING (until its wake time), WAKING (its wait is over: it runs on to its next request
# before anyone is chosen, as its own computation touches nothing shared) or DONE.
RUNNING, READY, SLEEPING, WAKING, DONE = "running", "ready", "sleeping", "waking", "done"


def _taken(lock: threading.Lock) -> threading.Lock:
    """A lock held from the start: released by one thread, acquired by another, it hands over the turn."""
    lock.acquire()
    return lock


@dataclass(eq=False)
class Actor:
    """A run (a thread of the action) or a timed event (the drafter's flip)."""

    name: str
    index: int
    state: str = WAKING
    wake: float = 0.0
    event: Callable[[], None] | None = None  # a timed event: what it does when it fires
    go: threading.Lock = field(default_factory=lambda: _taken(threading.Lock()), repr=False)
    digest: bytes = b""  # a hash of everything the run has seen (requests, answers, times)
    pending: str = ""  # what it will do when it goes next ("GET /releases/tags/v1")
    notes: list[str] = field(default_factory=list)  # about the request being answered, for the transcript
    result: RunResult | None = None

    @property
    def is_run(self) -> bool:
        return self.event is None

    def saw(self, *parts: object) -> None:
        """Fold what the run was told into its digest (its future depends on nothing else)."""
        h = hashlib.sha256(self.digest)
        for part in parts:
            h.update(part if isinstance(part, bytes) else repr(part).encode())
        self.digest = h.digest()


@dataclass(frozen=True)
class RunSpec:
    """One run of the action: its inputs (as a workflow's `with:`), its files, when it starts."""

    holder: str
    inputs: Mapping[str, str]
    files: Mapping[str, bytes] = field(default_factory=dict)  # path in the workspace → content
    start: float = 0.0  # seconds after the simulation starts


@dataclass
class RunResult:
    code: int
    outputs: dict[str, str]
    log: str
    outcome: Outcome | None
    error: str = ""  # the ::error:: message of a failed run
    title: str = ""  # and its title


@dataclass
class Prepared:
    """A run made ready once (workspace, inputs read, files matched and hashed) and started in many simulations."""

    spec: RunSpec
    asked: Asked
    env: dict[str, str]
    output: Path


def prepare(specs: Sequence[RunSpec], root: Path) -> list[Prepared]:
    """Each run's workspace under `root`, its inputs read and its files collected, as main.run does."""
    out = []
    for spec in specs:
        workspace = root / spec.holder
        workspace.mkdir(parents=True, exist_ok=True)
        for name, data in spec.files.items():
            path = workspace / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        step = StepFiles.on_host(workspace, spec.holder)
        env = runner_env(API_URL, token_of(spec.holder), step, {"timeout_seconds": "300", **spec.inputs})
        env.pop("GITHUB_STEP_SUMMARY")  # the summary is the report's business, not the race's
        out.append(Prepared(spec, read_inputs(env), env, Path(step.output)))
    return out


# -- the world: the simulator's state behind the Backend protocol, on virtual time ---------------


@dataclass(frozen=True)
class Exchange:
    """One request as the world answered it (the request log), or a drafter's write."""

    t: float
    holder: str
    method: str
    path: str
    route: str | None
    status: int | None  # None: no answer (the connection was dropped)
    lost: bool = False  # a write whose outcome the client cannot know: no answer, or a 5xx
    note: str = ""  # the view it was served, a fault
    body: Any = None  # the answer's JSON, as sent
    # A write: the releases it changed, as they were before (one it made: absent) and after
    # (one it deleted: absent); the commits of whoever else had a turn meanwhile are not in them.
    before: Mapping[int, Record] | None = None
    after: Mapping[int, Record] | None = None

    @property
    def is_write(self) -> bool:
        return self.method in WRITES

    def describe(self) -> str:
        answer = "no answer" if self.status is None else str(self.status)
        if self.lost:
            answer += " (its outcome unknown to the run)"
        note = f" [{self.note}]" if self.note else ""
        return f"t={self.t:6.2f} {self.holder:<8} {self.method:<6} {self.path} → {answer}{note}"


class World:
    """The simulator's Backend in process: one Store on the simulation's clock, tokens, faults, a drafter."""

    def __init__(self, sim: Simulation, seed: int, lag: float, repos: Iterable[str] = (REPO,)) -> None:
        self.sim = sim
        # Reads use the store's own lag unless the policy explores the lag window (then they
        # are fresh unless it chooses otherwise).
        store_lag = 0.0 if sim.policy.explores_views else lag
        self.store = Store(seed=seed, lag=store_lag, clock=sim.clock.clock, wall=sim.clock.wall, tmpdir=sim.tmpdir)
        self.api_url = API_URL
        self.api = Api(self)
        self.faults = Faults(self.store.lock)
        self.views: dict[str, ReadView] = {}
        self.tokens: dict[str, str] = {}
        self.log: list[Exchange] = []
        self.seen: dict[str, list[Any]] = {}  # holder → every release JSON its reads were answered with
        self.uploader: dict[int, str] = {}  # asset id → the run whose upload made it
        self.watchers: list[Callable[[Exchange], None]] = []
        self._rate: dict[str, int] = {}
        self._request_ids = itertools.count(1)
        self.drafters: list[list[Any]] = []  # [repo, tag, flips left, delay]
        self.commits: list[tuple[str, int, Record | None, Record | None]] = []  # (who, id, old, new)
        self.store.on_publish = self._on_publish
        self.store.on_commit = self._on_commit
        for name in repos:
            self.store.add_repo(name)

    # ---- the Backend protocol ---------------------------------------------------------------
    @property
    def html_url(self) -> str:
        return self.api_url

    def urls(self) -> shapes.Urls:
        return shapes.Urls(self.api_url, UPLOADS_URL, self.api_url)

    def holder(self, token: str | None) -> str | None:
        return self.tokens.get(token or "")

    def may_write(self, token: str | None) -> bool:
        return self.holder(token) is not None

    def hold(self, token: str | None) -> None:
        """Before a request is handled: a scheduling point (whoever the policy picks goes next)."""
        self.sim.point(self.sim.actor(self.holder(token) or ""))

    def take_fault(self, route: str, write: bool) -> Fault | None:
        return self.faults.take(route, write)

    def record(self, *args: Any, **kwargs: Any) -> None:
        """The Backend's request log: the session keeps its own, richer one (`log`)."""

    def rate(self, token: str, spend: bool) -> tuple[bool, dict[str, str]]:
        used = self._rate.get(token, 0)
        ok = used < RATE_LIMIT
        if spend and ok:
            used += 1
            self._rate[token] = used
        return ok, {
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(RATE_LIMIT - used),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(int(self.sim.clock.wall()) // 3600 * 3600 + 3600),
            "x-ratelimit-resource": "core",
        }

    def request_id(self) -> str:
        return f"{next(self._request_ids):020X}"

    def serve_read(self, holder: str | None, rids: Iterable[int] | None, render: Render) -> Reply:
        """A read through the holder's view; when the policy explores views, any distinct answer
        a view of the lag window gives: the state as of any one moment within the lag (SNAPSHOT),
        or, stricter, for each release any version written within the lag (PER_RELEASE)."""
        actor = self.sim.actor(holder or "")
        view = self.views.get(holder or "")
        if not self.sim.policy.explores_views or self.sim.lag <= 0:
            return render(view)
        probe = _Probe(self.sim.lag)
        fresh = render(probe)
        window = probe.window
        if window is None:  # the route read no release
            return fresh
        if rids is not None:
            window = window.only(rids)
        picks = _moments if self.sim.policy.views == SNAPSHOT else _picks
        options, labels = [fresh], ["fresh"]
        seen = {_key(fresh)}
        for pick in picks(window) if self.sim.policy.wants_view(actor) else ():
            reply = render(_Fixed(self.sim.lag, pick))
            key = _key(reply)
            if key not in seen:
                seen.add(key)
                options.append(reply)
                labels.append(_label(window, pick))
        chosen = self.sim.policy.pick_view(actor, options, labels)
        self.sim.note(labels[chosen])
        return options[chosen]

    # ---- the world's own knobs --------------------------------------------------------------
    def issue(self, holder: str) -> str:
        token = token_of(holder)
        self.tokens[token] = holder
        self.seen[holder] = []
        return token

    def seed_release(self, tag: str = TAG, **kwargs: Any) -> dict[str, Any]:
        """A release an earlier day's work left (as Sandbox.seed_release); its assets count as an earlier run's."""
        rel = seed_release(self.store, REPO, tag, **kwargs)
        for asset in rel["assets"]:
            self.uploader[asset["id"]] = "an earlier run"
        return shapes.release_json(self.urls(), self.store.repo(REPO).full_name, rel)

    def add_fault(self, route: str, kind: str, **kwargs: Any) -> None:
        """Script a fault, as Sandbox.add_fault does."""
        self.faults.add(route, Fault(kind, **kwargs))

    def start_drafter(self, tag: str = TAG, *, flips: int = 1, delay: float = 0.05, repo: str = REPO) -> None:
        """A racing workflow that drafts the tag's release `delay` seconds after each publish (RULES.md)."""
        self.drafters.append([repo.lower(), tag, flips, delay])

    def _on_commit(self, repo: str, rid: int, old: Record | None, new: Record | None) -> None:
        """Each write to a release, by whoever has the turn (the run, or the drafter)."""
        running = self.sim.running
        self.commits.append((running.name if running else "", rid, old, new))

    def changes(self, start: int, who: str) -> tuple[dict[int, Record], dict[int, Record]]:
        """The releases `who` changed since commit `start`: as they were before, and after (absent: none)."""
        before: dict[int, Record] = {}
        after: dict[int, Record | None] = {}
        for writer, rid, old, new in self.commits[start:]:
            if writer != who:
                continue
            if rid not in after and old is not None:
                before[rid] = old
            after[rid] = new
        return before, {rid: rel for rid, rel in after.items() if rel is not None}

    def _on_publish(self, repo: str, rel: Record) -> None:
        for drafter in self.drafters:
            name, tag, flips, delay = drafter
            if name == repo.lower() and tag == rel["tag_name"] and flips > 0:
                drafter[2] -= 1
                self.sim.schedule(delay, "drafter", lambda r=repo, i=rel["id"]: self._flip(r, i))

    def _flip(self, repo: str, rid: int) -> None:
        start = len(self.commits)
        flipped = self.store.draft_again(repo, rid)
        before, after = self.changes(start, "drafter")
        note = "drafts it again" if flipped else "nothing to draft"
        path = f"/repos/{repo}/releases/{rid}"
        status = 200 if flipped else None
        self.exchange(
            Exchange(self.sim.now, "drafter", "PATCH", path, "update_release", status, False, note, None, before, after)
        )

    def snapshot(self, repo: str = REPO) -> dict[int, Record]:
        with self.store.lock:
            return dict(self.store.repo(repo).releases)

    def exchange(self, entry: Exchange) -> None:
        self.log.append(entry)
        for watch in self.watchers:
            watch(entry)

    def releases(self, repo: str = REPO) -> list[dict[str, Any]]:
        """The true state, rendered as GitHub would answer it."""
        with self.store.lock:
            r = self.store.repo(repo)
            return [shapes.release_json(self.urls(), r.full_name, rel) for _, rel in sorted(r.releases.items())]


@dataclass
class _Probe:
    """A view that answers fresh and keeps the window it was offered (to enumerate the others)."""

    lag: float
    window: Window | None = None

    def pick(self, window: Window) -> dict[int, Record]:
        self.window = window
        return {rid: versions[-1] for rid, versions in window.items() if versions[-1] is not None}


@dataclass
class _Fixed:
    lag: float
    chosen: dict[int, Record | None]

    def pick(self, window: Window) -> dict[int, Record]:
        out = {rid: versions[-1] for rid, versions in window.items() if versions[-1] is not None}
        for rid, rel in self.chosen.items():
            if rel is None:
                out.pop(rid, None)
            else:
                out[rid] = rel
        return out


def _moments(window: Window) -> Iterable[dict[int, Record | None]]:
    """The state as of each moment within the window, the newest (the fresh one) first."""
    return reversed(window.moments())


def _picks(window: Window) -> Iterable[dict[int, Record | None]]:
    """Every combination of one version per release (distinct versions only), the fresh one first."""
    axes = []
    for rid, versions in sorted(window.items()):
        distinct: list[Record | None] = []
        for version in reversed(versions):  # newest first
            if version not in distinct:
                distinct.append(version)
        if len(distinct) > 1:
            axes.append([(rid, v) for v in distinct])
    for combo in itertools.product(*axes):
        yield dict(combo)


def _key(reply: Reply) -> str:
    status, body, headers = reply
    return json.dumps([status, body, headers.get("Link")], sort_keys=True, default=str)


def _label(window: Window, pick: Mapping[int, Record | None]) -> str:
    stale = []
    for rid, rel in sorted(pick.items()):
        versions = window[rid]
        if rel is versions[-1] or rel == versions[-1]:
            continue
        if rel is None:
            stale.append(f"{rid} not there yet")
        else:
            gone = " (deleted since)" if versions[-1] is None else ""
            stale.append(f"{rid} as version {versions.index(rel) + 1} of {len(versions)}{gone}")
    return "stale: " + ", ".join(stale) if stale else "fresh"


# -- the fake network --------------------------------------------------------------------------


class FakeSession(Session):
    """The transport's Session for one run, answering every request from the World's Api in process."""

    def __init__(self, sim: Simulation, actor: Actor) -> None:
        super().__init__()
        self.trust_env = False
        self.sim = sim
        self.actor = actor

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> dict:
        return {"proxies": {}, "stream": False, "verify": True, "cert": None}

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        sim, world, actor = self.sim, self.sim.world, self.actor
        url = request.url or ""
        split = urlsplit(url)
        path = split.path + (f"?{split.query}" if split.query else "")
        method = request.method or "GET"
        body = request.body
        stream: IO[bytes]
        if body is None or isinstance(body, bytes | str):
            stream = io.BytesIO(body.encode() if isinstance(body, str) else body or b"")
        else:
            stream = _Uploading(body, sim, actor)
        req = Request(method, path, request.headers, stream)
        actor.pending = f"{method} {path}"
        world.hold(req.token)  # the scheduling point: others may go first
        start = len(world.commits)
        actor.notes = []
        handled = world.api.handle(req)
        route = handled.route
        lost = False
        if method in WRITES and handled.reply is not None and handled.reply[0] < 300:
            lost = sim.policy.lose_answer(actor, method, route)
        read_timeout = (kwargs.get("timeout") or (None, None))[1]
        timed_out = bool(handled.stall) and read_timeout is not None and handled.stall > read_timeout
        status: int | None = None
        data, headers = b"", {}
        if handled.reset or lost:
            actor.notes.append("the connection dropped" if handled.reset else "answer lost")
            lost = method in WRITES
        elif handled.stream is not None:
            fh, _asset = handled.stream
            with fh:
                data = fh.read()
            status, headers = 200, {"Content-Type": "application/octet-stream"}
        elif handled.hostile is not None:
            status, headers = handled.hostile.status, dict(handled.hostile.headers)
            data = handled.hostile.data if handled.hostile.answer.size is None else b"x" * handled.hostile.answer.size
        elif handled.reply is not None:
            status = handled.reply[0]
            data, headers = world.api.json_answer(*handled.reply, route)
        reply_body = handled.reply[1] if handled.reply is not None and status is not None else None
        before, after = world.changes(start, actor.name) if method in WRITES else (None, None)
        if timed_out:
            actor.notes.append(f"stalled {handled.stall:g} s, past the read timeout")
            lost = method in WRITES
        if status is not None and status >= 500 and method in WRITES:
            lost = True  # a write answered 5xx may have happened: the client cannot know
        note = "; ".join(actor.notes)
        entry = Exchange(sim.now, actor.name, method, path, route, status, lost, note, reply_body, before, after)
        if method == "GET" and status == 200 and reply_body is not None:
            world.seen.setdefault(actor.name, []).extend(_releases_in(reply_body))
        if before is not None and after is not None:
            _attribute_uploads(world, actor.name, before, after)
        world.exchange(entry)
        actor.saw(method, path, status, data, sim.now)
        if status is None:
            raise requests.ConnectionError(f"{method} {url}: connection reset (simulated)")
        if timed_out:
            sim.sleep(actor, read_timeout)
            raise requests.ReadTimeout(f"{method} {url}: read timed out (simulated)")
        if handled.stall:
            sim.sleep(actor, handled.stall)
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(
            {"Server": "GitHub.com", "Date": http_date(world), **headers, "Content-Length": str(len(data))}
        )
        response.raw = _Raw(data)
        response.reason = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else ""
        response.url = url
        response.request = request
        response.encoding = "utf-8"
        return response


class _Raw(io.BytesIO):
    """An answer's body as urllib3 hands it over: read undecoded, the connection released after."""

    def read(self, n: int | None = -1, decode_content: bool = True) -> bytes:  # type: ignore[override]
        return super().read(n)

    def release_conn(self) -> None:
        """Nothing to give back: there is no connection."""


class _Uploading(io.RawIOBase):
    """An upload's body: its first read is a scheduling point (the asset is a `starter` meanwhile)."""

    def __init__(self, body: Any, sim: Simulation, actor: Actor) -> None:
        super().__init__()
        self.body, self.sim, self.actor, self.started = body, sim, actor, False

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if not self.started:
            self.started = True
            self.actor.pending = "upload (the asset is a starter)"
            self.sim.point(self.actor)
        return self.body.read(n)


def _releases_in(body: Any) -> list[dict]:
    items = body if isinstance(body, list) else [body]
    return [item for item in items if isinstance(item, dict) and "tag_name" in item]


def _attribute_uploads(world: World, holder: str, before: Mapping[int, Record], after: Mapping[int, Record]) -> None:
    for rid, rel in after.items():
        old = {a["id"] for a in before[rid]["assets"]} if rid in before else set()
        for asset in rel["assets"]:
            if asset["id"] not in old:
                world.uploader.setdefault(asset["id"], holder)


class _Draws(random.Random):
    """The engine's random source: each `uniform` draw is the policy's (the explorer enumerates it)."""

    def __init__(self, sim: Simulation, actor: Actor, seed: str) -> None:
        super().__init__(seed)
        self.sim, self.actor, self.seeded = sim, actor, random.Random(seed)

    def uniform(self, a: float, b: float) -> float:
        value = self.sim.policy.draw(self.actor, a, b, self.seeded)
        self.actor.saw("drew", value)
        return value


class VirtualDeadline(Deadline):
    """The run's Deadline on the simulation's clock: a request runs inline (nothing real to wait for)."""

    def call(self, fn: Callable[[], Any], what: str) -> Any:
        if self.remaining() <= 0:
            raise BudgetExhausted(f"timeout_seconds ({self.seconds:g}) ran out before {what}")
        return fn()


# -- the simulation: a discrete-event scheduler over the runs' threads ---------------------------


class Simulation:
    """Runs the prepared runs together in one World, one at a time, as `policy` chooses.

    `setup(world)` seeds the world before the runs start (releases, tags, a drafter, faults).
    """

    def __init__(
        self,
        prepared: Sequence[Prepared],
        policy: Policy | None = None,
        *,
        lag: float = 0.0,
        seed: int = 7,
        setup: Callable[[World], None] | None = None,
        watch: Callable[[Simulation, Exchange], None] | None = None,
        tmpdir: str | None = None,
    ) -> None:
        self.prepared = list(prepared)
        self.tmpdir = tmpdir  # where uploads keep their bytes (None: a directory of the store's own)
        self.policy = policy or Policy()
        self.lag = lag
        self.seed = seed
        self.clock = FakeClock()  # read by the runs' deadlines and the store; moved only here
        self.t = 0.0  # seconds since the start: wake times are compared with this, exactly
        self.world = World(self, seed, lag)
        self.actors: list[Actor] = []
        self.current: Actor | None = None  # who took the last turn (choosing another preempts it)
        self.running: Actor | None = None  # who has the turn now (its writes are its own)
        self.finished = _taken(threading.Lock())  # released when the last turn has been taken
        self.back = _taken(threading.Lock())  # released by each run stopped after the end
        self.error: BaseException | None = None
        self.abandoned = False
        self.stopped: str | None = None  # why the simulation was cut short (a watcher's verdict)
        self.on_choice: Callable[[Simulation, list[Actor]], bool] | None = None  # False: stop here
        for spec in self.prepared:
            self.world.issue(spec.spec.holder)
        if setup is not None:
            setup(self.world)
        if watch is not None:
            self.world.watchers.append(lambda entry: watch(self, entry))

    @property
    def now(self) -> float:
        return self.t

    # ---- called from the runs' threads ------------------------------------------------------
    def actor(self, name: str) -> Actor:
        for actor in self.actors:
            if actor.name == name:
                return actor
        raise KeyError(name)

    def point(self, actor: Actor) -> None:
        """A scheduling point: `actor` waits here until chosen."""
        actor.state = READY
        self._block(actor)

    def sleep(self, actor: Actor, seconds: float) -> None:
        actor.state = SLEEPING
        actor.wake = self.now + seconds
        actor.pending = f"wakes at t={actor.wake:.2f}"
        actor.saw("sleep", seconds)
        self._block(actor)
        actor.saw("woke", self.now)

    def note(self, text: str) -> None:
        """A word for the transcript about the request being answered (the view it was served)."""
        if self.running is not None:
            self.running.notes.append(text)

    def schedule(self, delay: float, name: str, event: Callable[[], None]) -> None:
        """A timed event (the drafter's flip): an actor of its own, ready `delay` seconds from now."""
        actor = Actor(f"{name}", len(self.actors), SLEEPING, self.now + delay, event)
        actor.pending = "drafts the release again"
        self.actors.append(actor)

    def _block(self, actor: Actor) -> None:
        """`actor` stops here (at a point, or asleep): pass the turn on, and wait for it to come back."""
        if self._hand_over(actor):
            return
        actor.go.acquire()
        if self.abandoned:
            raise Abandoned

    def _hand_over(self, actor: Actor | None) -> bool:
        """Choose who goes next and let it go; True when that is `actor` itself (no switch at all).

        The scheduler runs in whichever thread stops, so a turn passes with one switch of
        threads, and a run chosen to go on (the common case) goes on without any.
        """
        try:
            nxt = self._next()
        except BaseException as exc:  # a bug in a policy or a watcher: end here, report it from run()
            self.error, nxt = exc, None
        self.running = nxt
        if nxt is actor and actor is not None:
            actor.state = RUNNING
            return True
        if nxt is None:
            self.finished.release()
        else:
            nxt.state = RUNNING
            nxt.go.release()
        return False

    def _next(self) -> Actor | None:
        """The run to go next: runs that just woke (or started) first, in order, to their next
        request; then the policy's choice among the ready; None when all are done, or stopped."""
        while self.stopped is None:
            waking = [a for a in self.actors if a.state == WAKING]
            if waking:
                return waking[0]
            ready = [a for a in self.actors if a.state == READY or (not a.is_run and self._due(a))]
            if not ready:
                sleepers = [a for a in self.actors if a.state == SLEEPING]
                if not sleepers:
                    return None
                self.t = min(a.wake for a in sleepers)
                self.clock.now = self.clock.start + self.t
                for actor in sleepers:
                    if actor.is_run and actor.wake <= self.t:
                        actor.state = WAKING
                self.current = None  # the first choice after a wait preempts no one
                continue
            if self.current in ready:  # the current one first: choosing another preempts it
                ready.remove(self.current)
                ready.insert(0, self.current)
            if self.on_choice is not None and not self.on_choice(self, ready):
                self.stopped = self.stopped or "cut short"
                return None
            chosen = ready[self.policy.next_actor(ready, self.current)]
            self.current = chosen
            if chosen.is_run:
                return chosen
            chosen.state = DONE
            assert chosen.event is not None
            self.running = chosen
            chosen.event()
            self.running = None
        return None

    # ---- the runs' threads ------------------------------------------------------------------
    def _thread(self, actor: Actor, prepared: Prepared) -> None:
        actor.go.acquire()
        try:
            if not self.abandoned:
                actor.result = self._run(actor, prepared)
        except Abandoned:
            pass
        finally:
            actor.state = DONE
            actor.pending = "done"
            if self.abandoned:
                self.back.release()
            else:
                self._hand_over(None)

    def _run(self, actor: Actor, prepared: Prepared) -> RunResult:
        """The run as main.run wires it, from the inputs read to the outputs written."""
        prepared.output.write_text("")
        runner = Runner(prepared.env, out=io.StringIO())
        jitter = random.Random(f"{self.seed}:{actor.name}:backoff")
        pauses = _Draws(self, actor, f"{self.seed}:{actor.name}:engine")
        session = FakeSession(self, actor)
        trail = main.Trail()

        def budget(seconds: float) -> Deadline:
            return VirtualDeadline(
                seconds,
                clock=self.clock.clock,
                sleep=lambda s: self.sleep(actor, s),
                jitter=lambda cap: jitter.uniform(0, cap),
            )

        outcome, error, title = None, "", ""
        try:
            outcome, requests_made, plan = main.converge(
                prepared.asked, runner, trail, budget=budget, session=session, rng=pauses
            )
            main.report(prepared.asked, runner, outcome, requests_made, trail.writes, plan)
            code = 0
        except (Exception, Cancelled) as exc:  # as main.main ends a run
            failure = failure_of(exc)
            for message in failure.messages:
                runner.error(message, title=failure.title)
            code, error, title = failure.code, failure.message, failure.title
        outputs = parse_outputs(prepared.output.read_text(encoding="utf-8"))
        return RunResult(code, outputs, runner.out.getvalue(), outcome, error, title)  # type: ignore[attr-defined]

    def run(self) -> Simulation:
        """Run every run to its end (or until a watcher or `on_choice` stops it)."""
        threads = []
        try:
            for prepared in self.prepared:
                actor = Actor(prepared.spec.holder, len(self.actors), WAKING)
                if prepared.spec.start > 0:
                    actor.state, actor.wake = SLEEPING, prepared.spec.start
                self.actors.append(actor)
                thread = threading.Thread(
                    target=self._thread, args=(actor, prepared), name=f"run-{actor.name}", daemon=True
                )
                threads.append(thread)
                thread.start()
            self._hand_over(None)
            if not self.finished.acquire(timeout=YIELD_TIMEOUT):
                raise RuntimeError(f"the simulation did not end within {YIELD_TIMEOUT:g} s of real time")
        finally:
            self._abandon()
            for thread in threads:
                thread.join(YIELD_TIMEOUT)
        if self.error is not None:
            raise self.error
        return self

    def _due(self, actor: Actor) -> bool:
        return actor.state == SLEEPING and actor.wake <= self.t

    def _abandon(self) -> None:
        self.abandoned = True
        for actor in self.actors:
            if actor.is_run and actor.state != DONE:
                actor.go.release()
                self.back.acquire(timeout=YIELD_TIMEOUT)

    def close(self) -> None:
        """Remove the asset bytes the simulation's uploads wrote."""
        self.world.store.close()

    # ---- what it left ----------------------------------------------------------------------
    @property
    def results(self) -> list[RunResult]:
        return [a.result for a in self.actors if a.is_run and a.result is not None]

    def result(self, holder: str) -> RunResult:
        result = self.actor(holder).result
        assert result is not None, f"{holder} did not finish"
        return result

    def transcript(self) -> str:
        return "\n".join(entry.describe() for entry in self.world.log)


def simulate(
    specs: Sequence[RunSpec],
    policy: Policy | None = None,
    *,
    lag: float = 0.0,
    seed: int = 7,
    setup: Callable[[World], None] | None = None,
) -> Simulation:
    """Prepare the runs in a scratch directory, simulate them once, and return the simulation."""
    root = scratch("inprocess-")
    try:
        sim = Simulation(prepare(specs, root), policy, lag=lag, seed=seed, setup=setup)
        try:
            return sim.run()
        finally:
            sim.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
