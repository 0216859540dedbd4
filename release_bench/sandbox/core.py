"""The `Sandbox`: one local HTTP server over one Store (the API, its uploads and its download links on
one origin, as on GitHub Enterprise Server), plus the chaos knobs tests turn."""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import shapes
from .api import Hostile, Render, Reply
from .server import Server
from .state import LIST_CAP, SHA_RE, ReadView, Store

ROUTES = (
    "list_releases",
    "get_release",
    "get_release_by_tag",
    "get_latest",
    "create_release",
    "update_release",
    "delete_release",
    "generate_notes",
    "list_assets",
    "get_asset",
    "update_asset",
    "delete_asset",
    "upload_asset",
    "download_asset",
    "get_ref",
)
KINDS = (
    "502_after_commit",
    "reset_after_commit",
    "stall_after_commit",
    "500",
    "secondary_limit",
    "primary_limit",
    "429",
    "answer",
)
RATE_LIMIT = 5000


@dataclass
class Fault:
    """One scripted failure; fires on the next `times` requests to its route."""

    kind: str
    times: int = 1
    retry_after: int = 1
    reset_in: int = 2
    stall: float | None = None
    message: str | None = None  # the error body's `message` instead of GitHub's (hostile-server tests)
    answer: Hostile | None = None  # kind "answer": what is sent instead of GitHub's answer


class Faults:
    """Scripted faults per route (each for its next `times` requests), and random ones at a seeded rate."""

    def __init__(self, lock: threading.RLock, rate: float = 0.0, seed: int | None = None) -> None:
        self.lock = lock
        self.queues: dict[str, list[Fault]] = {}
        self.set_rate(rate, seed)

    def add(self, route: str, fault: Fault) -> None:
        """Script `fault` for `route`; ValueError for a route, kind or answer that makes no sense."""
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; expected one of {ROUTES}")
        if fault.kind not in KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {KINDS}")
        if (fault.kind == "answer") != (fault.answer is not None):
            raise ValueError("the fault kind 'answer', and only it, takes an `answer`")
        with self.lock:
            self.queues.setdefault(route, []).append(fault)

    def set_rate(self, rate: float, seed: int | None = None) -> None:
        with self.lock:
            self.rate = rate
            self.rng = random.Random(seed)

    def take(self, route: str, write: bool) -> Fault | None:
        if route not in ROUTES:
            return None
        with self.lock:
            queue = self.queues.get(route)
            if queue:
                fault = queue[0]
                fault.times -= 1
                if fault.times <= 0:
                    queue.pop(0)
                return fault
            if self.rate > 0 and self.rng.random() < self.rate:
                kinds = ["502_after_commit", "reset_after_commit", "500"]
                if write:
                    kinds.append("secondary_limit")
                return Fault(self.rng.choice(kinds))
        return None


@dataclass
class Drafter:
    repo: str
    tag: str
    flips: int
    delay: float


def seed_release(
    store: Store,
    repo: str,
    tag: str,
    *,
    draft: bool = False,
    prerelease: bool = False,
    name: str | None = None,
    body: str | None = "",
    target_commitish: str = "main",
    assets: Iterable[tuple[Any, ...]] = (),
    make_latest: str = "true",
) -> dict[str, Any]:
    """A release as an earlier day's work left it (back-dated, unlogged).

    `assets`: (name, data[, state[, label]]); state "uploaded" (the default), "starter" (an
    unfinished upload) or "old" (uploaded before June 2025: GitHub reports no digest for it).
    """
    with store.lock:
        fields = {
            "tag_name": tag,
            "draft": draft,
            "prerelease": prerelease,
            "name": name,
            "body": body,
            "make_latest": make_latest,
            "target_commitish": target_commitish
            if target_commitish in store.repo(repo).branches or SHA_RE.match(target_commitish)
            else store.repo(repo).default_branch,
        }
        rel = store.create_release(repo, fields, seeded=True)
        for item in assets:
            aname, data = item[0], bytes(item[1])
            state = item[2] if len(item) > 2 else "uploaded"
            label = item[3] if len(item) > 3 else None
            asset = store.start_upload(repo, rel["id"], aname, label, "application/octet-stream", seeded=True)
            with open(asset["path"], "wb") as fh:
                fh.write(data)
            if state != "starter":
                digest = None if state == "old" else hashlib.sha256(data).hexdigest()
                store.finish_upload(repo, asset["id"], len(data), digest, seeded=True)
        return store.repo(repo).releases[rel["id"]]


class Sandbox:
    """A local, thread-safe imitation of GitHub's Releases REST API (version 2022-11-28).

    Other engineers code against this exact surface; see the package docstring.
    """

    def __init__(
        self,
        lag: float = 0.0,
        seed: int | None = None,
        fault_rate: float = 0.0,
        repos: Iterable[str] = ("octo/demo",),
        token: str | None = None,
        readonly_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: tuple[float, float] = (0.0, 0.0),
        untag_edited_drafts: bool = True,
        list_cap: int = LIST_CAP,
    ) -> None:
        self._latency_lock = threading.Lock()
        self.set_latency(*latency, seed=seed)
        self._line_cond = threading.Condition()
        self._line: dict[str, int] = {}  # start line: holder -> requests it has sent so far
        self._line_steps, self._line_timeout = 0, 0.0
        self.store = Store(seed=seed, lag=lag, untag_edited_drafts=untag_edited_drafts, list_cap=list_cap)
        self.token = token or "ghs_" + self._secret(seed, "write")
        self.readonly_token = readonly_token or "ghs_" + self._secret(seed, "read")
        self._seed = seed
        self._clients: dict[str, str] = {self.token: "write", self.readonly_token: "read"}  # token -> holder
        self._views: dict[str, ReadView] = {}  # holder -> its own read view (else the store's lag)
        self.host, self.port = host, port
        self.faults = Faults(self.store.lock, fault_rate, seed)
        self._log: list[dict[str, Any]] = []
        self._drafted: list[dict[str, Any]] = []  # the drafter's flips: {"t", "release"}
        self._rate_state: dict[str, list[float]] = {}
        self._drafters: list[Drafter] = []
        self._timers: list[threading.Timer] = []
        self._servers: list[Server] = []
        self._api_url: str | None = None
        self.store.on_publish = self._on_publish
        for name in repos:
            self.add_repo(name)

    @staticmethod
    def _secret(seed: int | None, purpose: str) -> str:
        if seed is None:
            return secrets.token_hex(18)
        return hashlib.sha256(f"{seed}:{purpose}".encode()).hexdigest()[:36]

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> Sandbox:
        if self._servers:
            return self
        api = Server((self.host, self.port), self, "api")
        self._servers = [api]
        self._api_url = f"http://{self.host}:{api.server_address[1]}"
        for srv in self._servers:
            threading.Thread(
                target=srv.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sandbox-{srv.kind}", daemon=True
            ).start()
        return self

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        self._servers = []
        self.store.close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        if self._api_url is None:
            raise RuntimeError("Sandbox not started")
        return self._api_url

    @property
    def uploads_url(self) -> str:
        """Where uploads go: the API's own origin, under /api/uploads, as on GitHub Enterprise Server.

        (github.com uses uploads.github.com beside api.github.com; on loopback, another port
        would be another origin, which the action rightly refuses to send the token to.)
        """
        return f"{self.api_url}/api/uploads"

    @property
    def html_url(self) -> str:
        """What stands in for https://github.com (the API port serves download links)."""
        return self.api_url

    def urls(self) -> shapes.Urls:
        return shapes.Urls(self.api_url, self.uploads_url, self.html_url)

    # ---- state ----------------------------------------------------------------------------
    def add_repo(self, full_name: str, immutable: bool = False, default_branch: str = "main") -> None:
        self.store.add_repo(full_name, immutable, default_branch)

    def set_immutable(self, full_name: str, immutable: bool = True) -> None:
        with self.store.lock:
            self.store.repo(full_name).immutable = immutable

    def push_tag(self, repo: str, tag: str, sha: str | None = None, valid_after: float = 0.0) -> str:
        return self.store.push_tag(repo, tag, sha, valid_after)

    def tags(self, repo: str) -> dict[str, str]:
        with self.store.lock:
            return {t: sha for t, (sha, _) in self.store.repo(repo).tags.items()}

    def seed_release(self, repo: str, tag: str, **fields: Any) -> dict[str, Any]:
        """A release as an earlier day's work left it: the module's seed_release (its fields, their
        defaults and the asset tuples are described there), rendered as GitHub answers it."""
        rel = seed_release(self.store, repo, tag, **fields)
        return self._render(self.store.repo(repo).full_name, rel)

    def _render(self, full: str, rel: dict[str, Any]) -> dict[str, Any]:
        if self._api_url is None:  # not started yet: render with placeholder hosts
            return shapes.release_json(
                shapes.Urls("http://sandbox", "http://sandbox-uploads", "http://sandbox"), full, rel
            )
        return shapes.release_json(self.urls(), full, rel)

    def releases(self, repo: str) -> list[dict[str, Any]]:
        with self.store.lock:
            r = self.store.repo(repo)
            return [self._render(r.full_name, rel) for _, rel in sorted(r.releases.items())]

    def asset_bytes(self, repo: str, asset_id: int) -> bytes:
        _, asset = self.store.get_asset(repo, asset_id, lagged=False)
        with open(asset["path"], "rb") as fh:
            return fh.read()

    def set_lag(self, seconds: float) -> None:
        """Every read, by every holder without a view of its own, as of `seconds` ago."""
        self.store.lag = seconds

    def set_read_view(self, holder: str, view: ReadView | None) -> None:
        """Serve `holder`'s reads through its own `view` (sandbox/views.py), or the shared lag again (None).

        Runs that each hold a token then see different pictures, as runs on GitHub do: with
        `views.Snapshot`, each read the state as of its own moment within the window; with
        `views.Scattered`, stricter, any version written within it, per read and per release.
        """
        with self.store.lock:
            if view is None:
                self._views.pop(holder, None)
            else:
                self._views[holder] = view
            self.store.view_lag = max((v.lag for v in self._views.values()), default=0.0)

    def serve_read(self, holder: str | None, rids: Iterable[int] | None, render: Render) -> Reply:
        """A read, answered through the holder's own view if it has one (else the shared lag)."""
        with self.store.lock:
            return render(self._views.get(holder or ""))

    def request_id(self) -> str:
        return uuid.uuid4().hex[:20].upper()

    def issue_token(self, holder: str) -> str:
        """Another write token, as each workflow job gets its own GITHUB_TOKEN; the log names
        its holder on every request, so tests can tell concurrent runs apart."""
        if holder in self._clients.values():
            raise ValueError(f"a token for {holder!r} was already issued")
        token = "ghs_" + self._secret(self._seed, f"write:{holder}")
        self._clients[token] = holder
        return token

    def holder(self, token: str | None) -> str | None:
        return self._clients.get(token or "")

    def may_write(self, token: str | None) -> bool:
        return self.holder(token) not in (None, "read")

    # ---- latency --------------------------------------------------------------------------
    def set_latency(self, low: float, high: float | None = None, seed: int | None = None) -> None:
        """Delay every request by a seeded uniform draw from [low, high] seconds before it is
        handled, as a network and a busy service do; racing runs then really overlap."""
        high = low if high is None else high
        if not 0 <= low <= high:
            raise ValueError(f"latency must satisfy 0 <= low <= high, got ({low}, {high})")
        with self._latency_lock:
            self._latency = (low, high)
            self._latency_rng = random.Random(seed)

    def _delay(self) -> float:
        """Seconds to hold the next request; the caller sleeps outside any lock."""
        with self._latency_lock:
            low, high = self._latency
            return self._latency_rng.uniform(low, high) if high > 0 else 0.0

    def start_line(self, holders: Iterable[str], *, steps: int = 1, timeout: float = 60.0) -> None:
        """Run these token holders' first `steps` requests in lockstep: each one waits until
        every holder has sent as many (or `timeout` passes, which dissolves the line).

        Runs started together on a busy machine reach the API spread over seconds of
        interpreter start-up, and drift apart further with every request as they share two
        cores, where jobs on separate runners would not: this takes that spread out.
        """
        with self._line_cond:
            self._line = dict.fromkeys(holders, 0)
            self._line_steps, self._line_timeout = steps, timeout

    def hold(self, token: str | None) -> None:
        """Before a request is handled: the latency, then the start line (whose runs are thus
        answered together, on one picture); no lock is held meanwhile."""
        delay = self._delay()
        if delay:
            time.sleep(delay)
        holder = self.holder(token)
        with self._line_cond:
            if holder in self._line and self._line[holder] < self._line_steps:
                self._line[holder] += 1
                step = self._line[holder]
                self._line_cond.notify_all()

                def everyone() -> bool:
                    return all(sent >= step for sent in self._line.values())

                if not self._line_cond.wait_for(everyone, timeout=self._line_timeout):
                    self._line = {}  # a run never came: stop holding the others
                    self._line_cond.notify_all()

    # ---- faults ---------------------------------------------------------------------------
    def add_fault(
        self,
        route: str,
        kind: str,
        *,
        times: int = 1,
        retry_after: int = 1,
        reset_in: int = 2,
        stall: float | None = None,
        message: str | None = None,
        answer: Hostile | None = None,
    ) -> None:
        """Script `kind` for the next `times` requests to `route`; kind "answer" sends `answer`."""
        self.faults.add(route, Fault(kind, times, retry_after, reset_in, stall, message=message, answer=answer))

    def set_fault_rate(self, rate: float, seed: int | None = None) -> None:
        self.faults.set_rate(rate, seed)

    def take_fault(self, route: str, write: bool) -> Fault | None:
        return self.faults.take(route, write)

    # ---- drafter --------------------------------------------------------------------------
    def start_drafter(self, repo: str, tag: str, *, flips: int = 1, delay: float = 0.05) -> None:
        """Model a racing workflow that turns the release for `tag` back into a draft.

        Chosen behaviour: the flip keeps tag_name and sets draft=true, published_at=null
        (the release URL becomes untagged-<hex> again). It is a state write, not an HTTP
        request, so it is not in the request log: `drafter_log` lists the flips.
        """
        with self.store.lock:
            self._drafters.append(Drafter(self.store.repo(repo).full_name.lower(), tag, flips, delay))

    def _on_publish(self, repo: str, rel: dict[str, Any]) -> None:
        for d in self._drafters:
            if d.repo == repo.lower() and d.tag == rel["tag_name"] and d.flips > 0:
                d.flips -= 1
                timer = threading.Timer(d.delay, self._flip, (repo, rel["id"]))
                timer.daemon = True
                self._timers.append(timer)
                timer.start()

    def _flip(self, repo: str, rid: int) -> None:
        if self.store.draft_again(repo, rid) is not None:
            with self.store.lock:
                self._drafted.append({"t": time.time(), "release": rid})

    @property
    def drafter_log(self) -> list[dict[str, Any]]:
        """Each flip the drafter made: when (`t`, as in the request log) and which `release`."""
        with self.store.lock:
            return list(self._drafted)

    # ---- log and rate limits --------------------------------------------------------------
    def record(
        self,
        method: str,
        path: str,
        route: str | None,
        status: int | None,
        user_agent: str,
        fault: str | None,
        token: str | None = None,
        *,
        release: int | None = None,
        draft: bool | None = None,
    ) -> None:
        with self.store.lock:
            self._log.append(
                {
                    "t": time.time(),
                    "method": method,
                    "path": path,
                    "route": route,
                    "status": status,
                    "user_agent": user_agent,
                    "fault": fault,
                    "client": self.holder(token),  # who held the token ("write", "read" or issued)
                    "release": release,  # the release the request was about (its path, or the answer's)
                    "draft": draft,  # whether the answer showed that release a draft (None: no release in it)
                }
            )

    @property
    def log(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self.store.lock:
            self._log.clear()

    def count(self, method: str | None = None, route: str | None = None) -> int:
        return sum(
            1
            for e in self.log
            if (method is None or e["method"] == method.upper()) and (route is None or e["route"] == route)
        )

    def rate(self, token: str, spend: bool) -> tuple[bool, dict[str, str]]:
        """Count a request against the token's hourly budget; False once it is spent."""
        now = time.time()
        with self.store.lock:
            used, reset = self._rate_state.get(token, [0, now + 3600])
            if now >= reset:
                used, reset = 0, now + 3600
            ok = used < RATE_LIMIT
            if spend and ok:
                used += 1
            self._rate_state[token] = [used, reset]
        return ok, {
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(max(0, RATE_LIMIT - int(used))),
            "x-ratelimit-used": str(int(used)),
            "x-ratelimit-reset": str(int(reset)),
            "x-ratelimit-resource": "core",
        }
