"""`Trap`: another origin on loopback, to prove that nothing (and no token) is sent there.

Point a redirect, a pagination link or an upload_url at `trap.url`, run the action, and
assert `trap.connections == 0`. Whatever does arrive is recorded (the request heads), so a
failing test shows what leaked; every request is answered 404 and the connection closed.
Given an SSL context (a certificate the client under test is told to trust), it is an https
origin, so a client that would send the token to https://HOST shows it doing so.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading

HEAD_LIMIT = 64 << 10


class Trap:
    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self._sock = socket.create_server((host, 0))
        self._tls = tls
        self._sock.settimeout(0.05)
        self.host = host
        self.port = self._sock.getsockname()[1]
        self.heads: list[bytes] = []  # what each connection sent, up to the end of its head
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="trap", daemon=True)

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://{self.host}:{self.port}"

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self.heads)

    def saw_token(self) -> bool:
        """Whether any request that reached the trap carried an Authorization header."""
        with self._lock:
            return any(b"\nauthorization:" in head.lower() for head in self.heads)

    def start(self) -> Trap:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> Trap:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._tls is not None:
                conn.settimeout(1.0)
                try:
                    conn = self._tls.wrap_socket(conn, server_side=True)
                except (OSError, ssl.SSLError):  # not TLS, or a client that refused the certificate
                    with self._lock:
                        self.heads.append(b"")  # a connection all the same
                    conn.close()
                    continue
            with conn:
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        head = b""
        conn.settimeout(1.0)
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in head and len(head) < HEAD_LIMIT:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                head += chunk
        with self._lock:
            self.heads.append(head)
        with contextlib.suppress(OSError):
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
