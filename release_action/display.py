r"""Outside text shown as data: on one line, on a terminal, in Markdown, in JSON.

A server (or a proxy in front of it, or another writer) chooses URLs, names and notes that the
action and the command show to people: in the log, in the command's outputs table, in the job
summary. Shown as they came, a newline starts a line the runner reads as a workflow command, an
escape sequence writes a terminal's clipboard (OSC 52) or clears its screen, and a `)` or `<`
turns a URL in the summary into an image or a link of the server's choosing. Each function
here makes one kind of output safe, whatever the text holds:

- `one_line`: control and invisible formatting characters as visible escapes (`\n`, `\x1b`,
  `\u202e`), so the text stays on its line and hides nothing;
- `for_terminal`: escape sequences (CSI, OSC, DCS, ... in their 7-bit and 8-bit forms) cut out
  whole, then `one_line`;
- `md_text`, `md_code`, `md_link`: Markdown that renders as exactly the text given, and a link
  only to a plain http(s) URL on the origin expected;
- `json_line`: JSON with those characters (and the runner's legacy `##[` marker) escaped.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from release_action import origin

# Characters that move the cursor, end a line, start an escape, or hide text: control (Cc),
# format (Cf: bidirectional overrides, zero-width characters), line and paragraph separators,
# and lone surrogates (a file name that is not UTF-8).
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# ECMA-48 escape sequences, in the 7-bit (ESC ...) and 8-bit (C1) forms a terminal obeys:
# CSI (ESC [ or \x9b) parameters, intermediates, a final byte; OSC, DCS, SOS, PM and APC (ESC ]
# P X ^ _, or \x9d \x90 \x98 \x9e \x9f) up to their terminator (BEL or ST) or the end of the text;
# any other ESC with its intermediates and final byte; a lone ESC.
ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|\Z)"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?",
    re.DOTALL,
)
# CommonMark: a backslash makes any ASCII punctuation character literal. Escaping them all
# leaves no emphasis, link, image, HTML, entity, table cell, heading or list marker, and no
# `www.` or `https:` for GFM's autolinks to find.
ASCII_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
# A URL that may be a link destination as it is: no space, quote, parenthesis, bracket,
# angle bracket, backslash, backtick or pipe (a table's cell separator).
PLAIN_URL = re.compile(r"^https?://[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]+$")


def hidden(char: str) -> bool:
    return unicodedata.category(char) in HIDDEN_CATEGORIES


def _visible(char: str) -> str:
    if char in NAMED:
        return NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def one_line(text: str, keep: str = "") -> str:
    r"""`text` with every hidden character (but those in `keep`) as a visible escape: `\n`, `\x1b`, `\u202e`."""
    return "".join(_visible(c) if hidden(c) and c not in keep else c for c in text)


def for_terminal(text: str, keep: str = "") -> str:
    """`text` fit for a terminal: escape sequences cut out whole, then `one_line`."""
    return one_line(ESCAPE_SEQUENCE.sub("", text), keep)


def md_text(text: str) -> str:
    """Markdown that renders as exactly `text`, on one line: no markup, HTML, autolink or table cell break."""
    return ASCII_PUNCTUATION.sub(r"\\\1", one_line(text))


def md_code(text: str, *, in_table: bool = False) -> str:
    """`text` as a Markdown code span: literal, never a link. In a table, `|` is escaped as GFM asks."""
    text = one_line(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    if text.startswith("`") or text.endswith("`") or not text.strip(" "):
        text = f" {text} "
    if in_table:
        text = text.replace("|", "\\|")
    return f"{fence}{text}{fence}"


def linkable(url: object, web: origin.Origin | None) -> bool:
    """Whether `url` may be a Markdown link: a plain http(s) URL, on the origin `web` exactly."""
    if web is None or not isinstance(url, str) or not PLAIN_URL.match(url):
        return False
    try:
        return origin.origin_of(url) == web
    except origin.UnsafeUrl:
        return False


def md_link(label: str, url: object, web: origin.Origin | None, *, in_table: bool = False) -> str:
    """`[label](url)` when `url` is `linkable`; else the label, and the URL after it as text (a code span)."""
    if linkable(url, web):
        return f"[{md_text(label)}]({url})"
    if not url:
        return md_text(label)
    return f"{md_text(label)} {md_code(str(url), in_table=in_table)}"


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_line(value: Any) -> str:
    """`value` as one line of JSON whose hidden characters are escaped, and in which no `##[` appears.

    json.dumps escapes only the C0 controls; DEL, the C1 controls (an 8-bit CSI or OSC) and the
    format characters pass through raw. Such characters, and `[` after `##` (the runner's legacy
    command marker, read anywhere in a line), occur only inside strings, where `\\uXXXX` is valid.
    """
    text = json.dumps(value, ensure_ascii=False)
    text = re.sub(r"[^\x00-\x7e]|\x7f", lambda m: _json_escape(m) if hidden(m[0]) else m[0], text)
    return text.replace("##[", "##\\u005b")
