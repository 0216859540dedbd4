"""A container registry on loopback that stands in for ghcr.io: the part of the OCI distribution
API that `docker push` and `docker pull` use, and nothing more.

Why it exists: Docker resolves `name@sha256:<digest>` from its own store only after it pushed or
pulled that name from a registry (`docker tag` refuses a digest, `docker load` keeps tags only),
and this machine reaches no registry. Docker treats 127.0.0.0/8 as a plain-http registry, so a
push to `127.0.0.1:PORT/owner/name` lands here, and the daemon then holds the digest reference
that a released action.yml names, exactly as after a pull from ghcr.io.

Blobs live on disk under `root`; the manifest digest is the sha256 of the bytes pushed.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

CHUNK = 1 << 20
DIGEST = r"sha256:[0-9a-f]{64}"
NAME = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
ROUTES = [
    (re.compile(r"^/v2/?$"), "base"),
    (re.compile(rf"^/v2/(?P<name>{NAME})/blobs/uploads/?$"), "upload_start"),
    (re.compile(rf"^/v2/(?P<name>{NAME})/blobs/uploads/(?P<upload>[0-9a-f]{{32}})$"), "upload"),
    (re.compile(rf"^/v2/(?P<name>{NAME})/blobs/(?P<digest>{DIGEST})$"), "blob"),
    (re.compile(rf"^/v2/(?P<name>{NAME})/manifests/(?P<reference>[\w][\w.-]{{0,127}}|{DIGEST})$"), "manifest"),
]


class Registry:
    """`Registry(root).start()`; push to `f"{registry.address}/owner/name:tag"`; `stop()` when done."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root)
        (self.root / "blobs").mkdir(parents=True, exist_ok=True)
        (self.root / "uploads").mkdir(parents=True, exist_ok=True)
        self.host, self.port = host, port
        self.lock = threading.Lock()
        self.manifests: dict[tuple[str, str], str] = {}  # (name, tag or digest) -> digest
        self.media_types: dict[str, str] = {}  # manifest digest -> its Content-Type
        self._server: _Server | None = None

    def start(self) -> Registry:
        self._server = _Server((self.host, self.port), self)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def address(self) -> str:
        """`host:port`, the registry part of an image reference."""
        if self._server is None:
            raise RuntimeError("Registry not started")
        return f"{self.host}:{self._server.server_address[1]}"

    def blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / digest.replace(":", "-")

    def digest_of(self, name: str, reference: str) -> str | None:
        with self.lock:
            return self.manifests.get((name, reference))

    def manifest(self, name: str, reference: str) -> dict[str, Any]:
        """The manifest stored under a tag or digest, parsed."""
        digest = self.digest_of(name, reference)
        if digest is None:
            raise KeyError(f"{name}:{reference}")
        return json.loads(self.blob_path(digest).read_bytes())


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr: tuple[str, int], registry: Registry) -> None:
        self.registry = registry
        super().__init__(addr, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests read results, not logs
        pass

    # ---- plumbing --------------------------------------------------------------------------
    def _reply(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        self._reply(status, {"Content-Type": "application/json"}, body)

    def _body_chunks(self):
        """The request body, as sent: Content-Length or chunked transfer encoding."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
                yield from self._read(size)
                self.rfile.readline()
        else:
            yield from self._read(int(self.headers.get("Content-Length") or 0))

    def _read(self, left: int) -> Iterator[bytes]:
        """`left` bytes of the body, a chunk at a time; fewer if the client hangs up."""
        while left:
            data = self.rfile.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        for pattern, route in ROUTES:
            match = pattern.match(url.path)
            if match:
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                getattr(self, f"_{route}")(**match.groupdict(), query=query)
                return
        for _ in self._body_chunks():
            pass
        self._error(404, "NAME_UNKNOWN", f"no route for {self.command} {url.path}")

    do_GET = do_HEAD = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

    # ---- routes ----------------------------------------------------------------------------
    def _base(self, query: dict[str, str]) -> None:
        self._reply(200, {"Content-Type": "application/json"}, b"{}")

    def _upload_start(self, name: str, query: dict[str, str]) -> None:
        reg = self.server.registry
        mount = query.get("mount", "")
        if mount and re.fullmatch(DIGEST, mount) and reg.blob_path(mount).exists():
            self._reply(201, {"Location": f"/v2/{name}/blobs/{mount}", "Docker-Content-Digest": mount})
            return
        upload = uuid.uuid4().hex
        path = reg.root / "uploads" / upload
        with path.open("wb") as f:
            for data in self._body_chunks():
                f.write(data)
        if "digest" in query:  # a monolithic upload: POST ?digest= with the whole blob
            self._finish(name, upload, query["digest"])
            return
        self._reply(202, self._upload_headers(name, upload, path.stat().st_size))

    def _upload_headers(self, name: str, upload: str, size: int) -> dict[str, str]:
        return {
            "Location": f"/v2/{name}/blobs/uploads/{upload}",
            "Docker-Upload-UUID": upload,
            "Range": f"0-{max(size - 1, 0)}",
        }

    def _upload(self, name: str, upload: str, query: dict[str, str]) -> None:
        path = self.server.registry.root / "uploads" / upload
        if not path.exists():
            for _ in self._body_chunks():
                pass
            self._error(404, "BLOB_UPLOAD_UNKNOWN", "no such upload")
            return
        if self.command == "DELETE":
            path.unlink()
            self._reply(204)
            return
        if self.command in ("PATCH", "PUT"):
            with path.open("ab") as f:
                for data in self._body_chunks():
                    f.write(data)
        if self.command == "PUT":
            self._finish(name, upload, query.get("digest", ""))
            return
        self._reply(202 if self.command == "PATCH" else 204, self._upload_headers(name, upload, path.stat().st_size))

    def _finish(self, name: str, upload: str, digest: str) -> None:
        reg = self.server.registry
        path = reg.root / "uploads" / upload
        sha = hashlib.sha256()
        with path.open("rb") as f:
            while data := f.read(CHUNK):
                sha.update(data)
        actual = f"sha256:{sha.hexdigest()}"
        if digest != actual:
            path.unlink()
            self._error(400, "DIGEST_INVALID", f"upload is {actual}, not {digest or 'given'}")
            return
        shutil.move(path, reg.blob_path(actual))
        self._reply(201, {"Location": f"/v2/{name}/blobs/{actual}", "Docker-Content-Digest": actual})

    def _blob(self, name: str, digest: str, query: dict[str, str]) -> None:
        path = self.server.registry.blob_path(digest)
        if self.command not in ("GET", "HEAD") or not path.exists():
            self._error(404, "BLOB_UNKNOWN", f"blob {digest} unknown")
            return
        size = path.stat().st_size
        self.send_response(200)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Docker-Content-Digest", digest)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "GET":
            with path.open("rb") as f:
                shutil.copyfileobj(f, self.wfile, CHUNK)

    def _manifest(self, name: str, reference: str, query: dict[str, str]) -> None:
        reg = self.server.registry
        if self.command == "PUT":
            body = b"".join(self._body_chunks())
            digest = f"sha256:{hashlib.sha256(body).hexdigest()}"
            if reference.startswith("sha256:") and reference != digest:
                self._error(400, "DIGEST_INVALID", f"manifest is {digest}, not {reference}")
                return
            reg.blob_path(digest).write_bytes(body)
            with reg.lock:
                reg.media_types[digest] = self.headers.get("Content-Type", "application/json")
                reg.manifests[(name, reference)] = digest
                reg.manifests[(name, digest)] = digest
            self._reply(201, {"Location": f"/v2/{name}/manifests/{digest}", "Docker-Content-Digest": digest})
            return
        digest = reg.digest_of(name, reference)
        if self.command not in ("GET", "HEAD") or digest is None:
            self._error(404, "MANIFEST_UNKNOWN", f"manifest {name}:{reference} unknown")
            return
        body = reg.blob_path(digest).read_bytes()
        self._reply(200, {"Content-Type": reg.media_types[digest], "Docker-Content-Digest": digest}, body)
