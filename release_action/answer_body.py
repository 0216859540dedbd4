"""An answer's body, read within a cap: its framing undone and its coding decoded here, counted as it comes.

requests and urllib3 would do both, but not within a bound: a chunk size of `-5` makes
http.client read to the end of the stream, and a decoder's output is only counted once it is
held. Here the chunked framing is parsed strictly (hex digits, a bounded line) and gzip or
deflate is inflated a piece at a time, so the cap applies to the decoded bytes before they
are kept, whatever the server sends. The transport turns what goes wrong into its errors:
`Garbled` (an answer no server should give) and `TooBig`; a body cut short raises
requests' ChunkedEncodingError, as a connection lost while reading does.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import IO, Any

import requests
import urllib3

READ_CHUNK = 256 << 10  # bytes read, and inflated, at a time
MAX_LINE = 4096  # a chunk-size or trailer line; http.client allows 64 KiB, servers send a few bytes
MAX_TRAILERS = 64
# A chunk size: 1 to 8 hex digits (up to 4 GiB, far past any cap), then optional extensions.
CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,8})[ \t]*(?:;[^\r\n]*)?\r?\n")
WINDOW_BITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
ACCEPT_ENCODING = "gzip, deflate"  # what the transport asks for; no other coding is decoded


class Garbled(Exception):
    """The body is framed or coded as no server should send it; the message says how."""


class TooBig(Exception):
    """The body is bigger than the cap; the message says how big (never what it holds)."""


def read(response: requests.Response, cap: int) -> bytearray:
    """The decoded body of `response`, at most `cap` bytes; TooBig past that, unread beyond it.

    Leaves the connection fit for reuse when the body was read to its end; closes it otherwise.
    """
    raw = response.raw
    coding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if coding not in WINDOW_BITS and coding != "identity":
        raise Garbled(f"a body in the {coding[:40]!r} coding, which was not asked for (only {ACCEPT_ENCODING})")
    declared = response.headers.get("Content-Length", "")
    if coding == "identity" and declared.isdigit() and int(declared) > cap:
        raise TooBig(f"a body declared as {int(declared)} bytes")
    body = bytearray()
    what = f"a body of more than {cap} bytes" + ("" if coding == "identity" else f" (decoded from {coding})")
    for piece in _decoded(_sent(raw), coding):
        if len(body) + len(piece) > cap:
            raise TooBig(what)
        body += piece
    return body


def finish(response: requests.Response, complete: bool) -> None:
    """Give the connection back for the next request if the body was read whole; else drop it."""
    if complete:
        response.raw.release_conn()
    else:
        response.close()


def _sent(raw: Any) -> Iterator[bytes]:
    """The body as sent, transfer framing undone, a piece at a time."""
    source = getattr(getattr(raw, "_fp", None), "fp", None)  # http.client's socket file, as urllib3 reads chunks
    if getattr(raw, "chunked", False) and source is not None:
        yield from _dechunked(source)
        raw._fp.close()  # the framing was read here, whole: http.client has nothing left to read
        return
    while True:
        try:
            piece = raw.read(READ_CHUNK, decode_content=False)
        except urllib3.exceptions.ProtocolError as exc:  # the connection ended before Content-Length
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.exceptions.ReadTimeout(exc) from exc
        except urllib3.exceptions.SSLError as exc:
            raise requests.exceptions.SSLError(exc) from exc
        if not piece:
            return
        yield piece


def _dechunked(source: IO[bytes]) -> Iterator[bytes]:
    """Chunked transfer coding (RFC 9112, 7.1), parsed strictly; socket errors become requests' own."""
    try:
        while True:
            line = source.readline(MAX_LINE + 1)
            if not line:
                raise requests.exceptions.ChunkedEncodingError("the connection ended before the last chunk")
            match = CHUNK_SIZE.fullmatch(line)
            if match is None:
                raise Garbled(f"a chunk size of {bytes(line[:24])!r}; expected hex digits")
            left = int(match[1], 16)
            if left == 0:
                break
            while left:
                piece = source.read(min(left, READ_CHUNK))
                if not piece:
                    raise requests.exceptions.ChunkedEncodingError("the connection ended inside a chunk")
                left -= len(piece)
                yield piece
            end = source.readline(3)
            if not end:
                raise requests.exceptions.ChunkedEncodingError("the connection ended after a chunk, before its CRLF")
            if end not in (b"\r\n", b"\n"):
                raise Garbled("a chunk longer than its chunk size says")
        for _ in range(MAX_TRAILERS):  # trailer fields, up to the empty line that ends the body
            if source.readline(MAX_LINE + 1) in (b"\r\n", b"\n", b""):
                return
        raise Garbled(f"more than {MAX_TRAILERS} trailer lines after the last chunk")
    except requests.exceptions.RequestException:
        raise  # raised above: requests' own already (and an OSError too, so not to be wrapped below)
    except TimeoutError as exc:
        raise requests.exceptions.ReadTimeout(exc) from exc
    except OSError as exc:
        raise requests.exceptions.ConnectionError(exc) from exc


def _decoded(pieces: Iterator[bytes], coding: str) -> Iterator[bytes]:
    """`pieces` with their content coding undone, never more than READ_CHUNK bytes out at a time."""
    if coding == "identity":
        yield from pieces
        return
    inflater = zlib.decompressobj(WINDOW_BITS[coding])
    first = True
    try:
        for piece in pieces:
            data = piece
            while data:
                try:
                    out = inflater.decompress(data, READ_CHUNK)
                except zlib.error:
                    if not (first and coding == "deflate"):
                        raise
                    inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send it
                    out = inflater.decompress(data, READ_CHUNK)
                first = False
                yield out
                data = inflater.unconsumed_tail
                if inflater.eof and inflater.unused_data:  # another gzip member follows (RFC 1952, 2.2)
                    data = inflater.unused_data
                    inflater = zlib.decompressobj(WINDOW_BITS[coding])
        yield inflater.flush()  # all input was taken: only what zlib still holds, a few bytes
    except zlib.error as exc:
        raise Garbled(f"a body that is not valid {coding} ({exc})") from None
