"""Helpers for tests of the local-file rule that need a real unreadable file or a real FIFO."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

NOBODY = 65534


@contextmanager
def no_hang(seconds: int = 10) -> Iterator[None]:
    """A FIFO opened for reading blocks until a writer comes: fail such a test, never hang it."""

    def expired(signum, frame):
        raise TimeoutError(f"blocked for {seconds} s (was a FIFO opened?)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def unprivileged(call: Callable[[], object]) -> str:
    """Run `call` in a forked child that cannot bypass file permissions; what it raised, or 'ok'.

    The tests run as root, for whom `chmod 000` changes nothing: the child drops to `nobody`
    first. It keeps the interpreter already loaded, so nothing has to be executable by nobody;
    the files `call` reads must be reachable by nobody (pytest's tmp_path is private to root).
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        try:
            os.close(read)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            try:
                call()
                result = "ok"
            except Exception as exc:  # reported to the parent as text
                result = f"{type(exc).__name__}: {exc}"
            os.write(write, result.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as stream:
        result = stream.read().decode()
    os.waitpid(pid, 0)
    return result
