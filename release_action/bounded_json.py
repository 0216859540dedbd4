"""JSON from a server, parsed within bounds: what parsing may cost is known before it is spent.

A body within its byte cap can still cost far more once parsed: each `{}` (3 bytes with its
comma) becomes a dict of 64 bytes and a list slot, 25 times its size, and text decoded as a
whole is 4 bytes a character as soon as one emoji is in it. So, before anything is built, one
linear scan (strings skipped by a regular expression, in C) counts the values, and refuses
more than one per BYTES_PER_VALUE bytes of the cap: GitHub's JSON averages some 55 bytes a
value (a release with many assets). A top-level list is then parsed one item at a time, each
at most `max_item_bytes`, so only one item's text is ever decoded at once. Raises ValueError
(TooComplex, with what was refused) for anything that is not such JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

BYTES_PER_VALUE = 40  # the densest JSON accepted, on average over the cap
# One structural character ([ ] { } , or an unterminated string's quote) per match, after any
# run of other bytes and whole strings; possessive, so the scan never backtracks.
STRUCTURE = re.compile(rb'(?:[^"\[\]{},]++|"(?:[^"\\]++|\\.)*+")*+([\[\]{},"]|\Z)', re.DOTALL)
BLANK = re.compile(rb"[ \t\r\n]*")
OPEN, CLOSE, COMMA, LIST = frozenset(b"[{"), frozenset(b"]}"), ord(","), ord("[")


class TooComplex(ValueError):
    """JSON that would cost too much to parse; the message says what it holds (never the text)."""


def loads(data: bytes | bytearray, *, cap: int, max_items: int | None = None, max_item_bytes: int | None = None) -> Any:
    """`data` parsed as JSON, if it holds at most cap // BYTES_PER_VALUE values.

    A top-level list may hold `max_items` items of `max_item_bytes` each, and is parsed one
    item at a time.
    """
    max_values = max(cap // BYTES_PER_VALUE, 1)
    start = BLANK.match(data).end()  # type: ignore[union-attr]  # matches the empty string at least
    is_list = start < len(data) and data[start] == LIST
    items: list[Any] = []
    item_start = start + 1
    depth = values = 0
    end = None
    for match in STRUCTURE.finditer(data, start):
        if not match[1]:
            break
        char, at = match[1][0], match.start(1)
        if end is not None:
            raise ValueError("more JSON after the list ends")
        if char in OPEN:
            depth += 1
            values += 1
        elif char in CLOSE:
            depth -= 1
            if depth < 0 or (is_list and depth == 0 and char != LIST + 2):  # "]" closes the list
                raise ValueError("a bracket that closes nothing, or the wrong one")
        elif char == COMMA:
            values += 1
        else:
            raise ValueError("a string that never ends")
        if values > max_values:
            raise TooComplex(f"JSON of more than {max_values} values")
        if is_list and (depth == 0 or (depth == 1 and char == COMMA)):
            item = _item(data, item_start, at, len(items), max_items, max_item_bytes, last=depth == 0)
            if item is not _NOTHING:
                items.append(item)
            item_start = at + 1
            if depth == 0:
                end = at + 1
    if not is_list:
        return json.loads(data)
    if end is None or BLANK.fullmatch(data, end) is None:
        raise ValueError("a list that does not end")
    return items


_NOTHING = object()


def _item(
    data: bytes | bytearray,
    start: int,
    stop: int,
    count: int,
    max_items: int | None,
    max_item_bytes: int | None,
    *,
    last: bool,
) -> Any:
    """The list item in data[start:stop], parsed; _NOTHING for the inside of an empty list."""
    if last and count == 0 and BLANK.fullmatch(data, start, stop):
        return _NOTHING
    if max_items is not None and count >= max_items:
        raise TooComplex(f"a list of more than {max_items} items")
    if max_item_bytes is not None and stop - start > max_item_bytes:
        raise TooComplex(f"a list item of more than {max_item_bytes} bytes")
    return json.loads(data[start:stop])
