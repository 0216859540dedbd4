"""What one request to the simulator means: routing, auth, rate limits, faults, read views, routes.

`Api.handle` takes one `Request` and returns what to send back (`Handled`): a JSON reply,
a file to stream, a dropped connection, a stall, or a hostile answer. It knows nothing of
sockets, so the HTTP server (server.py) and the in-process transport (release_bench/inprocess.py)
answer from the same code, with the same status codes, headers (Date, Link, rate limits)
and JSON. Everything either needs of the simulator is the `Backend` protocol.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import IO, Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from . import shapes
from .state import DOC_LIST, DOC_LIST_ASSETS, ApiError, ReadView, Record, Store, not_found, validation

CHUNK = 1 << 20
_ZERO = bytes(CHUNK)
REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
API_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p + r"/?$"), r)
    for m, p, r in [
        ("GET", r"/rate_limit", "rate_limit"),
        ("GET", REPO, "get_repo"),
        ("GET", REPO + r"/releases", "list_releases"),
        ("POST", REPO + r"/releases", "create_release"),
        ("POST", REPO + r"/releases/generate-notes", "generate_notes"),
        ("GET", REPO + r"/releases/latest", "get_latest"),
        ("GET", REPO + r"/releases/tags/(?P<tag>.+)", "get_release_by_tag"),
        ("GET", REPO + r"/releases/assets/(?P<aid>\d+)", "get_asset"),
        ("PATCH", REPO + r"/releases/assets/(?P<aid>\d+)", "update_asset"),
        ("DELETE", REPO + r"/releases/assets/(?P<aid>\d+)", "delete_asset"),
        ("GET", REPO + r"/releases/(?P<rid>\d+)", "get_release"),
        ("PATCH", REPO + r"/releases/(?P<rid>\d+)", "update_release"),
        ("DELETE", REPO + r"/releases/(?P<rid>\d+)", "delete_release"),
        ("GET", REPO + r"/releases/(?P<rid>\d+)/assets", "list_assets"),
        ("GET", REPO + r"/git/ref/(?P<ref>.+)", "get_ref"),
        ("POST", "/api/uploads" + REPO + r"/releases/(?P<rid>\d+)/assets", "upload_asset"),
        ("GET", r"/(?P<owner>[^/]+)/(?P<name>[^/]+)/releases/download/(?P<tag>.+)/(?P<file>[^/]+)", "browser_download"),
    ]
]
NO_AUTH = {"browser_download"}
STREAMED = {"download_asset", "browser_download"}  # answered with the file's bytes, not JSON
Reply = tuple[int, Any, dict[str, str]]
Render = Callable[[ReadView | None], Reply]  # a read, answered from the view it is given
NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


@dataclass(frozen=True)
class Hostile:
    """What a misbehaving server, or a proxy in front of GitHub, answers: the `answer` fault.

    The route runs first (a write commits) and its answer is altered, unless `body` or `size`
    replaces that answer outright, as a proxy that never passed the request on would.
    """

    status: int | None = None  # None: the route's own status
    headers: Mapping[str, str] = field(default_factory=dict)  # set over the route's own headers
    body: bytes | str | None = None  # the whole body instead of the route's JSON
    edit: Callable[[Any], Any] | None = None  # rewrites the route's JSON body (2xx answers only)
    size: int | None = None  # a body of this many filler bytes instead, streamed
    rate: float | None = None  # bytes a second: the whole answer, status line included, trickles
    length: bool = True  # send Content-Length; False: the body ends when the connection closes
    chunked: bool = False  # send the body in chunked transfer encoding (1 MiB chunks), no Content-Length


class Backend(Protocol):
    """What the handlers need of the simulator (core.Sandbox and inprocess.World), and all they may use of it."""

    store: Store
    api_url: str

    @property
    def html_url(self) -> str: ...
    def urls(self) -> shapes.Urls: ...
    def holder(self, token: str | None) -> str | None: ...
    def may_write(self, token: str | None) -> bool: ...
    def hold(self, token: str | None) -> None: ...
    def take_fault(self, route: str, write: bool) -> Any: ...
    def record(self, *args: Any, **kwargs: Any) -> None: ...
    def rate(self, token: str, spend: bool) -> tuple[bool, dict[str, str]]: ...
    def request_id(self) -> str: ...
    def serve_read(self, holder: str | None, rids: Iterable[int] | None, render: Render) -> Reply:
        """Answer a read: `render` it with the holder's view of the lag window.

        `rids`: the releases the read looks at (None: all of them).
        """
        ...


@dataclass
class Request:
    """One request as received: what either front end hands to `Api.handle`."""

    method: str
    path: str  # as sent: the path and the query
    headers: Mapping[str, str]  # looked up case-insensitively, as HTTP headers are
    body: IO[bytes]  # the request body; Content-Length says how much of it there is
    body_read: bool = False  # set once a route has read the body (the server drains it otherwise)

    @property
    def token(self) -> str | None:
        auth = self.headers.get("Authorization", "") or ""
        parts = auth.split(None, 1)
        if len(parts) == 2 and parts[0].lower() in ("bearer", "token"):
            return parts[1].strip()
        return None


@dataclass
class Handled:
    """What to send back for one request, and what the request log says of it."""

    route: str | None = None
    fault: str | None = None
    release: int | None = None  # the release the request was about (its path), for the log
    reply: Reply | None = None  # the JSON answer
    stall: float = 0.0  # wait this long before sending `reply` (a stall after a commit)
    reset: bool = False  # drop the connection without an answer
    close: bool = False  # close the connection after answering
    stream: tuple[IO[bytes], Record] | None = None  # send this open file as the asset's bytes
    hostile: HostileAnswer | None = None  # send these bytes as they are


@dataclass(frozen=True)
class HostileAnswer:
    answer: Hostile
    status: int
    headers: dict[str, str]
    data: bytes  # the body, unless `answer.size` asks for filler


def http_date(backend: Backend) -> str:
    """The Date header: GitHub's clock, whole seconds (the store's wall clock)."""
    return formatdate(backend.store.wall(), usegmt=True)


def installation_id(token: str) -> int:
    """A stable stand-in number for the token's installation (the same in every process)."""
    return int(hashlib.sha256(token.encode()).hexdigest()[:8], 16) % 10**8


def primary_limit(token: str) -> dict[str, str]:
    return {
        "message": f"API rate limit exceeded for installation ID {installation_id(token)}.",
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-"
        "api#about-primary-rate-limits",
        "status": "403",
    }


class Api:
    """The API (which takes uploads under /api/uploads, on its own origin, as GitHub Enterprise Server does)."""

    def __init__(self, backend: Backend) -> None:
        self.sb = backend

    @property
    def urls(self) -> shapes.Urls:
        return self.sb.urls()

    def handle(self, req: Request) -> Handled:
        """Route `req` and answer it; the caller holds no lock and has called `hold` already."""
        out = Handled()
        sb = self.sb
        split = urlsplit(req.path)
        path, query = split.path, parse_qs(split.query)
        match = None
        for m, pattern, route in API_ROUTES:
            match = pattern.match(path)
            if match and m == req.method:
                out.route = route
                break
        if out.route is None:
            out.reply = (404, dict(NOT_FOUND), {})
            return out
        assert match is not None
        params = {k: unquote(v) for k, v in match.groupdict().items()}
        if params.get("rid"):
            out.release = int(params["rid"])
        if out.route == "get_asset" and "application/octet-stream" in (req.headers.get("Accept") or ""):
            out.route = "download_asset"
        rl: dict[str, str] = {}
        if out.route not in NO_AUTH:
            token = req.token
            if sb.holder(token) is None:
                out.reply = (401, {**NOT_FOUND, "message": "Bad credentials", "status": "401"}, {})
                return out
            assert token is not None
            ok, rl = sb.rate(token, out.route != "rate_limit")
            if not ok:
                out.reply = (403, primary_limit(token), {**rl, "x-ratelimit-remaining": "0"})
                return out
            if req.method != "GET" and not sb.may_write(token):
                out.reply = (
                    403,
                    {
                        "message": "Resource not accessible by integration",
                        "documentation_url": "https://docs.github.com/rest/releases/releases",
                        "status": "403",
                    },
                    rl,
                )
                return out
        fault = sb.take_fault(out.route, req.method != "GET")
        if fault is not None:
            out.fault = fault.kind
        if fault is not None and fault.answer is not None:
            out.hostile = self._hostile(out, req, fault.answer, params, query, rl)
            return out  # (no hostile answer when the route streamed: that cannot be swapped)
        if fault is not None:
            pre = self._pre_fault(fault, req.token, rl)
            if pre is not None:
                out.reply = pre
                return out
            if out.route == "download_asset" and fault.kind != "stall_after_commit":
                # reads commit nothing; a streamed answer can't be swapped afterwards
                if fault.kind == "reset_after_commit":
                    out.reset = True
                else:
                    out.reply = (502, {"message": "Server Error"}, rl)
                return out
        reply = self._route(out, req, params, query)
        if reply is None:  # a stream, or the client went away
            return out
        if fault is not None and fault.kind == "502_after_commit":
            out.reply = (502, {"message": "Server Error"}, rl)
            return out
        if fault is not None and fault.kind == "reset_after_commit":
            out.reset = True
            return out
        if fault is not None and fault.kind == "stall_after_commit":
            out.stall = fault.stall if fault.stall is not None else 10.0
        status, body, headers = reply
        out.reply = (status, body, {**rl, **headers})
        return out

    def json_answer(
        self, status: int, body: Any, headers: Mapping[str, str], route: str | None
    ) -> tuple[bytes, dict[str, str]]:
        """The bytes and headers of a JSON reply, as GitHub sends them (both front ends use this)."""
        request_id = self.sb.request_id()
        if route == "upload_asset" and status >= 400 and isinstance(body, dict):
            body = {**body, "request_id": request_id}  # the uploads host says so in errors
        data = b"" if body is None else json.dumps(body).encode()
        hdrs = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Request-Id": request_id,
            **headers,
        }
        if status == 204:
            hdrs.pop("Content-Type")
        return data, hdrs

    # ---- request flow ---------------------------------------------------------------------
    def _route(self, out: Handled, req: Request, params: dict[str, str], query: dict[str, list[str]]) -> Reply | None:
        assert out.route is not None
        fn = getattr(self, "r_" + out.route)

        def render(read: ReadView | None) -> Reply:
            try:
                return fn(req, params, query, read)
            except ApiError as err:
                return err.status, err.body, {}

        if req.method == "GET" and out.route not in STREAMED:
            rids = [int(params["rid"])] if "rid" in params else None
            return self.sb.serve_read(self.sb.holder(req.token), rids, render)
        try:
            return fn(req, params, query, out)
        except ApiError as err:
            return err.status, err.body, {}

    def _pre_fault(self, fault: Any, token: str | None, rl: dict[str, str]) -> Reply | None:
        """Faults that answer without touching state."""
        kind = fault.kind

        def body(default: dict[str, Any]) -> dict[str, Any]:
            return default if fault.message is None else {**default, "message": fault.message}

        if kind == "500":
            return 500, body({"message": "Server Error"}), rl
        if kind == "secondary_limit":
            message = {
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                "before you try again. If you reach out to GitHub Support for help, "
                "please include the request ID.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-"
                "rest-api#about-secondary-rate-limits",
                "status": "403",
            }
            return 403, body(message), {**rl, "Retry-After": str(fault.retry_after)}
        if kind == "primary_limit":
            reset = str(int(self.sb.store.wall() + fault.reset_in))
            limited = {**rl, "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
            return 403, body(primary_limit(token or "")), limited
        if kind == "429":
            too_many = body({"message": "Too Many Requests", "status": "429"})
            return 429, too_many, {**rl, "Retry-After": str(fault.retry_after)}
        return None

    def _hostile(
        self,
        out: Handled,
        req: Request,
        answer: Hostile,
        params: dict[str, str],
        query: dict[str, list[str]],
        rl: dict[str, str],
    ) -> HostileAnswer | None:
        """`answer` (the `answer` fault): the route's own answer altered, or replaced outright."""
        status, headers, data = 200, {}, b""
        if answer.body is None and answer.size is None:
            reply = self._route(out, req, params, query)
            if reply is None:
                return None
            status, body, headers = reply
            if answer.edit is not None and status < 300:
                body = answer.edit(body)
            data = b"" if body is None else json.dumps(body).encode()
        else:
            data = answer.body.encode() if isinstance(answer.body, str) else answer.body or b""
        hdrs = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Request-Id": self.sb.request_id(),
            "Date": http_date(self.sb),
            **rl,
            **headers,
            **answer.headers,
        }
        return HostileAnswer(answer, answer.status or status, hdrs, data)

    # ---- helpers for routes ---------------------------------------------------------------
    def _repo(self, p: dict[str, str]) -> str:
        name = f"{p['owner']}/{p['name']}"
        with self.sb.store.lock:
            return self.sb.store.repo(name).full_name

    def _json_body(self, req: Request) -> dict[str, Any]:
        req.body_read = True
        raw = req.body.read(int(req.headers.get("Content-Length") or 0))
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, "Problems parsing JSON", "https://docs.github.com/rest") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "Problems parsing JSON", "https://docs.github.com/rest")
        return data

    def _paginate(self, req: Request, items: list[Any], query: dict[str, list[str]], doc: str) -> Reply:
        def num(key: str, default: int) -> int:
            raw = query.get(key, [""])[0]
            return int(raw) if raw.isdigit() and int(raw) > 0 else default

        per_page = min(num("per_page", 30), 100)
        page = num("page", 1)
        cap = self.sb.store.list_cap  # RULES.md, "A list stops at its cap"
        if page * per_page > cap:
            raise ApiError(422, f"Only the first {cap} results are available.", doc)
        last = min(max(1, math.ceil(len(items) / per_page)), cap // per_page)
        base = f"{self.sb.api_url}{urlsplit(req.path).path}"
        links = []
        if page < last:
            links += [
                f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"',
                f'<{base}?per_page={per_page}&page={last}>; rel="last"',
            ]
        if page > 1:
            links += [
                f'<{base}?per_page={per_page}&page={page - 1}>; rel="prev"',
                f'<{base}?per_page={per_page}&page=1>; rel="first"',
            ]
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, items[(page - 1) * per_page : page * per_page], headers

    def _one(self, repo: str, rel: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return status, shapes.release_json(self.urls, repo, rel), headers or {}

    # ---- reads: `read` is the view of the lag window this request is served ----------------
    def r_rate_limit(self, req: Request, p: dict[str, str], q: dict[str, list[str]], read: ReadView | None) -> Reply:
        _, rl = self.sb.rate(req.token or "", False)
        core = {
            "limit": int(rl["x-ratelimit-limit"]),
            "remaining": int(rl["x-ratelimit-remaining"]),
            "reset": int(rl["x-ratelimit-reset"]),
            "used": int(rl["x-ratelimit-used"]),
            "resource": "core",
        }
        return 200, {"resources": {"core": core}, "rate": core}, {}

    def r_get_repo(self, req: Request, p: dict[str, str], q: dict[str, list[str]], read: ReadView | None) -> Reply:
        store = self.sb.store
        with store.lock:
            return 200, shapes.repo_json(self.urls, store.repo(f"{p['owner']}/{p['name']}")), {}

    def r_list_releases(self, req: Request, p: dict[str, str], q: dict[str, list[str]], read: ReadView | None) -> Reply:
        repo = self._repo(p)
        rels = self.sb.store.listing(repo, read)
        status, page, headers = self._paginate(req, rels, q, DOC_LIST)
        return status, [shapes.release_json(self.urls, repo, r) for r in page], headers

    def r_get_release(self, req: Request, p: dict[str, str], q: dict[str, list[str]], read: ReadView | None) -> Reply:
        repo = self._repo(p)
        return self._one(repo, self.sb.store.get_release(repo, int(p["rid"]), read=read))

    def r_get_release_by_tag(
        self, req: Request, p: dict[str, str], q: dict[str, list[str]], read: ReadView | None
    ) -> Reply:
        repo = self._repo(p)
        return self._one(repo, self.sb.store.by_tag(repo, p["tag"], read))

    def r_get_latest(self, req: Request, p: dict[str, str], q: dict[str, list[str]], read: ReadView | None) -> Reply:
        repo = self._repo(p)
        return self._one(repo, self.sb.store.latest(repo, read))

    def r_list_assets(self, req: Request, p: dict[str, str], q: dict[str, list[str]], read: ReadView | None) -> Reply:
        repo = self._repo(p)
        rel = self.sb.store.get_release(repo, int(p["rid"]), read=read)
        status, page, headers = self._paginate(req, list(rel["assets"]), q, DOC_LIST_ASSETS)
        return status, [shapes.asset_json(self.urls, repo, rel, a) for a in page], headers

    def r_get_ref(self, req: Request, p: dict[str, str], q: dict[str, list[str]], read: ReadView | None) -> Reply:
        """Get a reference: the ref named exactly `heads/NAME` or `tags/NAME`, else 404 (never a prefix match)."""
        repo = self._repo(p)
        sha = self.sb.store.ref(repo, p["ref"])
        return 200, shapes.git_ref_json(self.urls, repo, p["ref"], sha), {}

    def r_get_asset(self, req: Request, p: dict[str, str], q: dict[str, list[str]], read: ReadView | None) -> Reply:
        repo = self._repo(p)
        rel, asset = self.sb.store.get_asset(repo, int(p["aid"]), read=read)
        return 200, shapes.asset_json(self.urls, repo, rel, asset), {}

    # ---- writes ---------------------------------------------------------------------------
    def r_create_release(self, req: Request, p: dict[str, str], q: dict[str, list[str]], out: Handled) -> Reply:
        body = self._json_body(req)
        repo = self._repo(p)
        rel = self.sb.store.create_release(repo, body, self.sb.html_url)
        status, data, headers = self._one(repo, rel, 201)
        return status, data, {**headers, "Location": data["url"]}

    def r_generate_notes(self, req: Request, p: dict[str, str], q: dict[str, list[str]], out: Handled) -> Reply:
        return 200, self.sb.store.generate_notes(self._repo(p), self._json_body(req), self.sb.html_url), {}

    def r_update_release(self, req: Request, p: dict[str, str], q: dict[str, list[str]], out: Handled) -> Reply:
        body = self._json_body(req)
        repo = self._repo(p)
        return self._one(repo, self.sb.store.update_release(repo, int(p["rid"]), body, self.sb.html_url))

    def r_delete_release(self, req: Request, p: dict[str, str], q: dict[str, list[str]], out: Handled) -> Reply:
        self.sb.store.delete_release(self._repo(p), int(p["rid"]))
        return 204, None, {}

    def r_update_asset(self, req: Request, p: dict[str, str], q: dict[str, list[str]], out: Handled) -> Reply:
        body = self._json_body(req)
        repo = self._repo(p)
        rel, asset = self.sb.store.update_asset(repo, int(p["aid"]), body)
        return 200, shapes.asset_json(self.urls, repo, rel, asset), {}

    def r_delete_asset(self, req: Request, p: dict[str, str], q: dict[str, list[str]], out: Handled) -> Reply:
        self.sb.store.delete_asset(self._repo(p), int(p["aid"]))
        return 204, None, {}

    # ---- files ----------------------------------------------------------------------------
    def r_download_asset(self, req: Request, p: dict[str, str], q: dict[str, list[str]], out: Handled) -> None:
        _, asset = self.sb.store.get_asset(self._repo(p), int(p["aid"]))
        out.stream = self._open(asset)

    def r_browser_download(self, req: Request, p: dict[str, str], q: dict[str, list[str]], out: Handled) -> None:
        repo = self._repo(p)
        for rel in self.sb.store.listing(repo):
            if shapes.url_tag(rel) == p["tag"]:
                for asset in rel["assets"]:
                    if asset["name"] == p["file"]:
                        out.stream = self._open(asset)
                        return
        raise not_found()

    @staticmethod
    def _open(asset: Record) -> tuple[IO[bytes], Record]:
        """The asset's bytes (GitHub would 302 to a CDN; clients end up here either way)."""
        if asset["state"] != "uploaded":
            raise not_found()
        try:
            return open(asset["path"], "rb"), asset  # the front end closes it
        except OSError as exc:
            raise not_found() from exc

    def r_upload_asset(self, req: Request, p: dict[str, str], q: dict[str, list[str]], out: Handled) -> Reply | None:
        length = req.headers.get("Content-Length")
        if length is None or not length.isdigit():
            out.close = True
            return 411, {"message": "Length Required", "status": "411"}, {}
        name = q.get("name", [""])[0]
        if not name:
            raise validation("ReleaseAsset", "missing_field", "name")
        store = self.sb.store
        repo = self._repo(p)
        ctype = req.headers.get("Content-Type") or "application/octet-stream"
        asset = store.start_upload(repo, int(p["rid"]), name, q.get("label", [None])[0], ctype)
        req.body_read = True
        left = size = int(length)
        digest = hashlib.sha256()
        with open(asset["path"], "wb") as fh:
            while left > 0:
                try:
                    chunk = req.body.read(min(CHUNK, left))
                except OSError:
                    chunk = b""
                if not chunk:  # client went away: the asset stays a "starter"
                    out.close = True
                    return None
                digest.update(chunk)
                left -= len(chunk)
                if chunk == _ZERO[: len(chunk)]:
                    fh.seek(len(chunk), 1)  # keep zero runs sparse on disk
                else:
                    fh.write(chunk)
            fh.truncate(size)
        with store.lock:
            rel = store.repos[repo.lower()].releases.get(int(p["rid"]))
            done = store.finish_upload(repo, asset["id"], size, digest.hexdigest())
            rel = store.repos[repo.lower()].releases.get(int(p["rid"])) or rel
        assert rel is not None
        return 201, shapes.asset_json(self.urls, repo, rel, done), {}
