"""HTTP front end: reads a request off the socket, lets `api.Api` answer it, writes the answer.

What a request means (routing, auth, rate limits, faults, read views, the routes) is api.py's,
shared with the in-process transport; this module only speaks HTTP: keep-alive, draining
unread bodies, streaming uploads and downloads, dropped connections, stalls and trickled
hostile answers.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .api import CHUNK, Api, Backend, Handled, HostileAnswer, Request


class Server(ThreadingHTTPServer):
    """One listening port; `kind` names what it plays (the API, which serves uploads under /api/uploads)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], sb: Backend, kind: str) -> None:
        self.sb = sb
        self.kind = kind
        self.api = Api(sb)
        super().__init__(addr, Handler)


class Handler(BaseHTTPRequestHandler):
    """Serve one request; all state lives in the backend, never here."""

    protocol_version = "HTTP/1.1"
    server: Server

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return "GitHub.com"

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header on GitHub's clock: the store's wall clock (a test may move it)."""
        return super().date_time_string(self.server.sb.store.wall() if timestamp is None else timestamp)

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
        self.handled = Handled()
        self.status: int | None = None
        self.method = method
        self.recorded = False
        self.release_draft: bool | None = None  # whether the answer showed the release a draft, for the log
        self.req = Request(method, self.path, self.headers, self.rfile)
        try:
            self.sb.hold(self.req.token)  # start line and latency knobs; holds no lock
            self._answer(self.server.api.handle(self.req))
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True
        finally:
            self._log()

    def _answer(self, handled: Handled) -> None:
        self.handled = handled
        if handled.close:
            self.close_connection = True
        if handled.hostile is not None:
            self._drain()
            return self._hostile(handled.hostile)
        if handled.stream is not None:
            return self._stream(*handled.stream)
        if handled.reset:
            return self._reset()
        if handled.reply is None:  # the client went away mid-upload: nothing to send
            self.close_connection = True
            return None
        self._drain()
        if handled.stall:
            time.sleep(handled.stall)
        self._send(*handled.reply)
        return None

    def _log(self) -> None:
        """Log before the client can see the answer, so tests never race the log."""
        if not self.recorded:
            self.recorded = True
            self.sb.record(
                self.method,
                self.path,
                self.handled.route,
                self.status,
                self.headers.get("User-Agent", ""),
                self.handled.fault,
                self.req.token,
                release=self.handled.release,
                draft=self.release_draft,
            )

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        if isinstance(body, dict) and "tag_name" in body and isinstance(body.get("id"), int):  # a release
            self.handled.release, self.release_draft = body["id"], body.get("draft")
        data, hdrs = self.server.api.json_answer(status, body, headers or {}, self.handled.route)
        self.send_response(status)
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
        if self.req.body_read:
            return
        self.req.body_read = True
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

    def _reset(self) -> None:
        """Drop the connection with an RST and no response, as a dying proxy would."""
        self.close_connection = True
        self._log()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _stream(self, fh: Any, asset: dict[str, Any]) -> None:
        """Serve the asset's bytes directly."""
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

    def _hostile(self, hostile: HostileAnswer) -> None:
        """Send a hostile answer as asked: slow, huge, without a length, whatever it says."""
        answer = hostile.answer
        size = len(hostile.data) if answer.size is None else answer.size
        hdrs = dict(hostile.headers)
        if answer.chunked:
            hdrs["Transfer-Encoding"] = "chunked"
        elif answer.length:
            hdrs["Content-Length"] = str(size)
        else:
            hdrs["Connection"] = "close"
            self.close_connection = True
        self.status = hostile.status
        self._log()
        reason = self.responses.get(self.status, ("",))[0]
        head = f"HTTP/1.1 {self.status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"

        def frame(piece: bytes) -> bytes:
            return b"%x\r\n%s\r\n" % (len(piece), piece) if answer.chunked and piece else piece

        try:
            self._emit(head.encode("latin-1"), answer.rate)
            if answer.size is None:
                for start in range(0, len(hostile.data), CHUNK):
                    self._emit(frame(hostile.data[start : start + CHUNK]), answer.rate)
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
