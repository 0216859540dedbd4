"""HTTP front end: routing, auth, rate-limit headers, pagination, faults and streaming uploads."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import socket
import struct
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from . import shapes
from .state import DOC_LIST, DOC_LIST_ASSETS, ApiError, Store, not_found, validation

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
Reply = tuple[int, Any, dict[str, str]]


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
    """What the handlers need of the simulator (core.Sandbox is one), and all they may use of it."""

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


class Server(ThreadingHTTPServer):
    """One listening port; `kind` names what it plays (the API, which serves uploads under /api/uploads)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], sb: Backend, kind: str) -> None:
        self.sb = sb
        self.kind = kind
        super().__init__(addr, Handler)


class Handler(BaseHTTPRequestHandler):
    """Serve one request; all state lives in the Sandbox, never here."""

    protocol_version = "HTTP/1.1"
    server: Server

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return "GitHub.com"

    timeout = 120

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sandbox keeps its own structured request log."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    # ---- plumbing -------------------------------------------------------------------------
    def _dispatch(self, method: str) -> None:
        self.sb: Backend = self.server.sb
        self.route: str | None = None
        self.fault: str | None = None
        self.status: int | None = None
        self.rl: dict[str, str] = {}
        self.body_read = False
        self.method = method
        self.recorded = False
        self.release: int | None = None  # the release the request was about, for the log
        self.release_draft: bool | None = None  # ... and whether the answer showed it a draft
        try:
            self.sb.hold(self._token())  # start line and latency knobs; holds no lock
            self._handle(method)
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True
        finally:
            self._log()

    def _log(self) -> None:
        """Log before the client can see the answer, so tests never race the log."""
        if not self.recorded:
            self.recorded = True
            self.sb.record(
                self.method,
                self.path,
                self.route,
                self.status,
                self.headers.get("User-Agent", ""),
                self.fault,
                self._token(),
                release=self.release,
                draft=self.release_draft,
            )

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        if isinstance(body, dict) and "tag_name" in body and isinstance(body.get("id"), int):  # a release
            self.release, self.release_draft = body["id"], body.get("draft")
        request_id = uuid.uuid4().hex[:20].upper()
        if self.route == "upload_asset" and status >= 400 and isinstance(body, dict):
            body = {**body, "request_id": request_id}  # the uploads host says so in errors
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        hdrs = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Request-Id": request_id,
            **self.rl,
            **(headers or {}),
        }
        if status == 204:
            hdrs.pop("Content-Type")
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # one write for headers and body: avoids Nagle/delayed-ACK stalls on keep-alive
        self._headers_buffer.extend([b"\r\n", data])
        self.status = status
        self._log()
        self.flush_headers()

    def _drain(self) -> None:
        """Consume an unread request body so the keep-alive connection stays usable."""
        if self.body_read:
            return
        self.body_read = True
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
            return
        left = int(length)
        while left > 0:
            chunk = self.rfile.read(min(CHUNK, left))
            if not chunk:
                self.close_connection = True
                return
            left -= len(chunk)

    def _json_body(self) -> dict[str, Any]:
        self.body_read = True
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, "Problems parsing JSON", "https://docs.github.com/rest") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "Problems parsing JSON", "https://docs.github.com/rest")
        return data

    def _reset(self) -> None:
        """Drop the connection with an RST and no response, as a dying proxy would."""
        self.close_connection = True
        self._log()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        parts = auth.split(None, 1)
        if len(parts) == 2 and parts[0].lower() in ("bearer", "token"):
            return parts[1].strip()
        return None

    # ---- request flow ---------------------------------------------------------------------
    def _handle(self, method: str) -> None:
        sb = self.sb
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query)
        match = None
        for m, pattern, route in API_ROUTES:
            match = pattern.match(path)
            if match and m == method:
                self.route = route
                break
        if self.route is None:
            self._drain()
            return self._send(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        assert match is not None
        params = {k: unquote(v) for k, v in match.groupdict().items()}
        if params.get("rid"):
            self.release = int(params["rid"])
        if self.route == "get_asset" and "application/octet-stream" in self.headers.get("Accept", ""):
            self.route = "download_asset"
        if self.route not in NO_AUTH:
            token = self._token()
            if sb.holder(token) is None:
                self._drain()
                return self._send(
                    401,
                    {
                        "message": "Bad credentials",
                        "documentation_url": "https://docs.github.com/rest",
                        "status": "401",
                    },
                )
            ok, self.rl = sb.rate(token, self.route != "rate_limit")
            if not ok:
                self._drain()
                return self._send(403, _primary_limit(token), {"x-ratelimit-remaining": "0"})
            if method != "GET" and not sb.may_write(token):
                self._drain()
                return self._send(
                    403,
                    {
                        "message": "Resource not accessible by integration",
                        "documentation_url": "https://docs.github.com/rest/releases/releases",
                        "status": "403",
                    },
                )
        fault = sb.take_fault(self.route, method != "GET")
        if fault is not None and fault.answer is not None:
            self.fault = fault.kind
            return self._hostile(fault.answer, params, query)
        if fault is not None:
            self.fault = fault.kind
            if self._pre_fault(fault):
                return
            if self.route == "download_asset" and fault.kind != "stall_after_commit":
                # reads commit nothing; a streamed answer can't be swapped afterwards
                return (
                    self._reset()
                    if fault.kind == "reset_after_commit"
                    else self._send(502, {"message": "Server Error"})
                )
        try:
            reply = getattr(self, "r_" + self.route)(params, query)
        except ApiError as err:
            self._drain()
            reply = (err.status, err.body, {})
        if reply is None:  # streamed already, or the client went away
            return
        if fault is not None and fault.kind == "502_after_commit":
            return self._send(502, {"message": "Server Error"})
        if fault is not None and fault.kind == "reset_after_commit":
            return self._reset()
        if fault is not None and fault.kind == "stall_after_commit":
            time.sleep(fault.stall if fault.stall is not None else 10.0)
        self._send(*reply)

    def _pre_fault(self, fault: Any) -> bool:
        """Faults that answer without touching state; True when the request is finished."""
        kind = fault.kind

        def body(default: dict[str, Any]) -> dict[str, Any]:
            return default if fault.message is None else {**default, "message": fault.message}

        if kind == "500":
            self._drain()
            self._send(500, body({"message": "Server Error"}))
        elif kind == "secondary_limit":
            self._drain()
            self._send(
                403,
                body(
                    {
                        "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                        "before you try again. If you reach out to GitHub Support for help, "
                        "please include the request ID.",
                        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-"
                        "rest-api#about-secondary-rate-limits",
                        "status": "403",
                    }
                ),
                {"Retry-After": str(fault.retry_after)},
            )
        elif kind == "primary_limit":
            self._drain()
            self.rl.update({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time() + fault.reset_in))})
            self._send(403, body(_primary_limit(self._token() or "")))
        elif kind == "429":
            self._drain()
            self._send(
                429, body({"message": "Too Many Requests", "status": "429"}), {"Retry-After": str(fault.retry_after)}
            )
        else:
            return False
        return True

    def _hostile(self, answer: Hostile, params: dict[str, str], query: dict[str, list[str]]) -> None:
        """Send `answer` (the `answer` fault): the route's own answer altered, or replaced outright."""
        status, headers, data = 200, {}, b""
        if answer.body is None and answer.size is None:
            try:
                reply = getattr(self, "r_" + self.route)(params, query)
            except ApiError as err:
                self._drain()
                reply = (err.status, err.body, {})
            if reply is None:  # streamed already
                return
            status, body, headers = reply
            if answer.edit is not None and status < 300:
                body = answer.edit(body)
            data = b"" if body is None else json.dumps(body).encode()
        else:
            self._drain()
            data = answer.body.encode() if isinstance(answer.body, str) else answer.body or b""
        size = len(data) if answer.size is None else answer.size
        hdrs = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Request-Id": uuid.uuid4().hex[:20].upper(),
            "Date": self.date_time_string(),
            **self.rl,
            **headers,
            **answer.headers,
        }
        if answer.chunked:
            hdrs["Transfer-Encoding"] = "chunked"
        elif answer.length:
            hdrs["Content-Length"] = str(size)
        else:
            hdrs["Connection"] = "close"
            self.close_connection = True
        self.status = answer.status or status
        self._log()
        reason = self.responses.get(self.status, ("",))[0]
        head = f"HTTP/1.1 {self.status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"

        def frame(piece: bytes) -> bytes:
            return b"%x\r\n%s\r\n" % (len(piece), piece) if answer.chunked and piece else piece

        try:
            self._emit(head.encode("latin-1"), answer.rate)
            if answer.size is None:
                for start in range(0, len(data), CHUNK):
                    self._emit(frame(data[start : start + CHUNK]), answer.rate)
            else:
                filler = b"x" * min(CHUNK, size)
                for start in range(0, size, CHUNK):
                    self._emit(frame(filler[: size - start]), answer.rate)
            if answer.chunked:
                self._emit(b"0\r\n\r\n", answer.rate)
        except OSError:  # the client gave up, as it should
            self.close_connection = True

    def _emit(self, data: bytes, rate: float | None) -> None:
        if rate is None:
            self.wfile.write(data)
            return
        for i in range(len(data)):
            self.wfile.write(data[i : i + 1])
            self.wfile.flush()
            time.sleep(1 / rate)

    # ---- helpers for routes ---------------------------------------------------------------
    @property
    def urls(self) -> shapes.Urls:
        return self.sb.urls()

    def _repo(self, p: dict[str, str]) -> str:
        name = f"{p['owner']}/{p['name']}"
        with self.sb.store.lock:
            return self.sb.store.repo(name).full_name

    def _paginate(self, items: list[Any], query: dict[str, list[str]], doc: str) -> Reply:
        def num(key: str, default: int) -> int:
            raw = query.get(key, [""])[0]
            return int(raw) if raw.isdigit() and int(raw) > 0 else default

        per_page = min(num("per_page", 30), 100)
        page = num("page", 1)
        cap = self.sb.store.list_cap  # RULES.md, "A list stops at its cap"
        if page * per_page > cap:
            raise ApiError(422, f"Only the first {cap} results are available.", doc)
        last = min(max(1, math.ceil(len(items) / per_page)), cap // per_page)
        base = f"{self.sb.api_url}{urlsplit(self.path).path}"
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

    # ---- routes ---------------------------------------------------------------------------
    def r_rate_limit(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        core = {
            "limit": int(self.rl["x-ratelimit-limit"]),
            "remaining": int(self.rl["x-ratelimit-remaining"]),
            "reset": int(self.rl["x-ratelimit-reset"]),
            "used": int(self.rl["x-ratelimit-used"]),
            "resource": "core",
        }
        return 200, {"resources": {"core": core}, "rate": core}, {}

    def r_get_repo(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        store = self.sb.store
        with store.lock:
            return 200, shapes.repo_json(self.urls, store.repo(f"{p['owner']}/{p['name']}")), {}

    def r_list_releases(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        repo = self._repo(p)
        rels = self.sb.store.listing(repo)
        status, page, headers = self._paginate(rels, q, DOC_LIST)
        return status, [shapes.release_json(self.urls, repo, r) for r in page], headers

    def _one(self, repo: str, rel: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return status, shapes.release_json(self.urls, repo, rel), headers or {}

    def r_get_release(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        repo = self._repo(p)
        return self._one(repo, self.sb.store.get_release(repo, int(p["rid"])))

    def r_get_release_by_tag(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        repo = self._repo(p)
        return self._one(repo, self.sb.store.by_tag(repo, p["tag"]))

    def r_get_latest(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        repo = self._repo(p)
        return self._one(repo, self.sb.store.latest(repo))

    def r_create_release(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        body = self._json_body()
        repo = self._repo(p)
        rel = self.sb.store.create_release(repo, body, self.sb.html_url)
        out = self._one(repo, rel, 201)
        out[2]["Location"] = out[1]["url"]
        return out

    def r_generate_notes(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        return 200, self.sb.store.generate_notes(self._repo(p), self._json_body(), self.sb.html_url), {}

    def r_update_release(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        body = self._json_body()
        repo = self._repo(p)
        return self._one(repo, self.sb.store.update_release(repo, int(p["rid"]), body, self.sb.html_url))

    def r_delete_release(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        self.sb.store.delete_release(self._repo(p), int(p["rid"]))
        return 204, None, {}

    def r_get_ref(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        """Get a reference: the ref named exactly `heads/NAME` or `tags/NAME`, else 404 (never a prefix match)."""
        repo = self._repo(p)
        sha = self.sb.store.ref(repo, p["ref"])
        return 200, shapes.git_ref_json(self.urls, repo, p["ref"], sha), {}

    def r_list_assets(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        repo = self._repo(p)
        rel = self.sb.store.get_release(repo, int(p["rid"]))
        status, page, headers = self._paginate(list(rel["assets"]), q, DOC_LIST_ASSETS)
        return status, [shapes.asset_json(self.urls, repo, rel, a) for a in page], headers

    def r_get_asset(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        repo = self._repo(p)
        rel, asset = self.sb.store.get_asset(repo, int(p["aid"]))
        return 200, shapes.asset_json(self.urls, repo, rel, asset), {}

    def r_update_asset(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        body = self._json_body()
        repo = self._repo(p)
        rel, asset = self.sb.store.update_asset(repo, int(p["aid"]), body)
        return 200, shapes.asset_json(self.urls, repo, rel, asset), {}

    def r_delete_asset(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply:
        self.sb.store.delete_asset(self._repo(p), int(p["aid"]))
        return 204, None, {}

    def r_download_asset(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply | None:
        _, asset = self.sb.store.get_asset(self._repo(p), int(p["aid"]))
        return self._stream_file(asset)

    def r_browser_download(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply | None:
        repo = self._repo(p)
        for rel in self.sb.store.listing(repo):
            if shapes.url_tag(rel) == p["tag"]:
                for asset in rel["assets"]:
                    if asset["name"] == p["file"]:
                        return self._stream_file(asset)
        raise not_found()

    def _stream_file(self, asset: dict[str, Any]) -> Reply | None:
        """Serve the bytes directly (GitHub would 302 to a CDN; clients end up here either way)."""
        if asset["state"] != "uploaded":
            raise not_found()
        try:
            fh = open(asset["path"], "rb")  # noqa: SIM115
        except OSError as exc:
            raise not_found() from exc
        with fh:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(asset["size"]))
            self.send_header("Content-Disposition", f"attachment; filename={asset['name']}")
            self.status = 200
            self._log()
            self.end_headers()
            while chunk := fh.read(CHUNK):
                self.wfile.write(chunk)
        return None

    def r_upload_asset(self, p: dict[str, str], q: dict[str, list[str]]) -> Reply | None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            return 411, {"message": "Length Required", "status": "411"}, {}
        name = q.get("name", [""])[0]
        if not name:
            raise validation("ReleaseAsset", "missing_field", "name")
        store = self.sb.store
        repo = self._repo(p)
        ctype = self.headers.get("Content-Type") or "application/octet-stream"
        asset = store.start_upload(repo, int(p["rid"]), name, q.get("label", [None])[0], ctype)
        self.body_read = True
        left = size = int(length)
        digest = hashlib.sha256()
        with open(asset["path"], "wb") as fh:
            while left > 0:
                try:
                    chunk = self.rfile.read(min(CHUNK, left))
                except OSError:
                    chunk = b""
                if not chunk:  # client went away: the asset stays a "starter"
                    self.close_connection = True
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


def _primary_limit(token: str) -> dict[str, str]:
    return {
        "message": f"API rate limit exceeded for installation ID {abs(hash(token)) % 10**8}.",
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-"
        "api#about-primary-rate-limits",
        "status": "403",
    }
