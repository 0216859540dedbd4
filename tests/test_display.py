"""Specification of outside text shown as data (release_action.display): one line, a terminal, Markdown, JSON."""

from __future__ import annotations

import json

import pytest

from release_action.display import for_terminal, json_line, linkable, md_code, md_link, md_text, one_line
from release_action.origin import Origin, web_origin_of

CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4K"  # OSC 52: write the clipboard


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, é ✓ 🚀", "plain text, é ✓ 🚀"),
        ("a\nb\rc\td", "a\\nb\\rc\\td"),
        ("\x00\x07\x1b\x7f\x85\x9b", "\\x00\\x07\\x1b\\x7f\\x85\\x9b"),
        ("bidi \u202eevil\u202c", "bidi \\u202eevil\\u202c"),  # a Trojan Source override shows
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("bad \udcff byte", "bad \\udcff byte"),
        ("tag \U000e0041", "tag \\U000e0041"),
    ],
)
def test_one_line_shows_every_hidden_character_as_an_escape(text, shown):
    assert one_line(text) == shown
    assert "\n" not in one_line(text) and "\r" not in one_line(text)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("red \x1b[31mtext\x1b[0m", "red text"),  # CSI (SGR)
        ("\x1b[2J\x1b[Hcleared", "cleared"),  # CSI: clear screen, home
        (f"copy {CLIPBOARD}\x07 me", "copy  me"),  # OSC ended by BEL
        (f"copy {CLIPBOARD}\x1b\\ me", "copy  me"),  # OSC ended by ST
        ("title \x1b]0;pwned\x07ok", "title ok"),
        ("8-bit \x9b2J\x9d52;c;eA==\x9cok", "8-bit ok"),  # C1 CSI and OSC, ST
        ("dcs \x1bPq#0;2;0;0;0\x1b\\ok", "dcs ok"),
        ("apc \x9fhidden\x9cok", "apc ok"),
        (f"unterminated {CLIPBOARD}", "unterminated "),  # a terminal would swallow the rest too
        ("keypad \x1b= mode \x1b(B charset", "keypad  mode  charset"),
        ("lone \x1b", "lone "),
        ("incomplete \x1b[31", "incomplete 31"),
        ("bell \x07 and newline\n", "bell \\x07 and newline\\n"),
    ],
)
def test_for_terminal_cuts_escape_sequences_out_whole_and_shows_the_rest(text, shown):
    assert for_terminal(text) == shown


def test_for_terminal_may_keep_tabs():
    assert for_terminal("a\tb\x1b[1m", keep="\t") == "a\tb"


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("v1.0.0", "v1\\.0\\.0"),
        ("[x](https://evil.example)", "\\[x\\]\\(https\\:\\/\\/evil\\.example\\)"),
        ("![img](u)", "\\!\\[img\\]\\(u\\)"),
        ("<img src=x>", "\\<img src\\=x\\>"),
        ("&amp; *em* _u_ `c` | ~s~", "\\&amp\\; \\*em\\* \\_u\\_ \\`c\\` \\| \\~s\\~"),
        ("# heading\n- item", "\\# heading\\\\n\\- item"),
        ("www.evil.example", "www\\.evil\\.example"),  # no GFM autolink
        ("back\\slash", "back\\\\slash"),
        ("naïve ✓", "naïve ✓"),
    ],
)
def test_md_text_renders_as_exactly_the_text(text, markdown):
    assert md_text(text) == markdown


@pytest.mark.parametrize(
    ("text", "in_table", "code"),
    [
        ("abc", False, "`abc`"),
        ("a`b", False, "``a`b``"),
        ("`start", False, "`` `start ``"),
        ("a``b`", False, "``` a``b` ```"),
        ("a|b", True, "`a\\|b`"),
        ("a|b", False, "`a|b`"),
        ("two\nlines", False, "`two\\nlines`"),
        ("", False, "`  `"),
    ],
)
def test_md_code_is_a_code_span_of_exactly_the_text(text, in_table, code):
    assert md_code(text, in_table=in_table) == code


GITHUB = Origin("https", "github.com", 443)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://github.com/o/r/releases/tag/v1", True),
        ("https://github.com/o/r/releases/download/v1.0/app%20x.zip", True),
        ("https://GitHub.com/o/r", True),
        ("https://github.com:443/o/r", True),
        ("http://github.com/o/r", False),
        ("https://github.com:8443/o/r", False),
        ("https://uploads.github.com/o/r", False),
        ("https://evil.example/o/r", False),
        ("https://github.com.evil.example/o/r", False),
        ("https://user@github.com/o/r", False),
        ("https://github.com/o/r)![i](https://evil.example/p.png", False),
        ("https://github.com/o/r\n", False),
        ("https://github.com/o r", False),
        ("https://github.com/o/r<x>", False),
        ("https://github.com\\@evil.example/", False),
        ("javascript:alert(1)", False),
        ("//github.com/o/r", False),
        (None, False),
        (7, False),
    ],
)
def test_only_a_plain_url_on_the_expected_origin_is_linkable(url, ok):
    assert linkable(url, GITHUB) is ok
    assert linkable(url, None) is False


def test_md_link_links_a_plain_url_and_shows_any_other_as_text():
    assert md_link("v1", "https://github.com/o/r", GITHUB) == "[v1](https://github.com/o/r)"
    assert md_link("v1", "https://evil.example/x", GITHUB) == "v1 `https://evil.example/x`"
    assert md_link("a|b", "https://evil.example/|", GITHUB, in_table=True) == "a\\|b `https://evil.example/\\|`"
    assert md_link("v1", None, GITHUB) == "v1"


@pytest.mark.parametrize(
    ("api_url", "web"),
    [
        ("https://api.github.com", "https://github.com"),
        ("https://api.github.com/", "https://github.com"),
        ("https://api.octocorp.ghe.com", "https://octocorp.ghe.com"),
        ("https://ghes.example.com/api/v3", "https://ghes.example.com"),
        ("https://api.corp.example/api/v3", "https://api.corp.example"),  # GHES under a path: its own origin
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),  # the simulator
        ("https://[::1]:8443/api/v3", "https://[::1]:8443"),
    ],
)
def test_the_web_origin_of_an_api(api_url, web):
    assert str(web_origin_of(api_url)) == web


def test_a_bad_api_url_has_no_web_origin():
    assert web_origin_of("") is None and web_origin_of("https://a\\@b/") is None


def test_json_line_escapes_hidden_characters_and_the_runners_legacy_marker_and_round_trips():
    value = {"html_url": "u\x1b]52;c;x\x07\x9d\x9b\x7f\u202e\u2028\U000e0041 ##[error]x é", "n": "plain"}
    line = json_line(value)
    assert json.loads(line) == value
    assert "\n" not in line and "##[" not in line and "é" in line
    assert not any(c < " " or "\x7f" <= c <= "\x9f" or c in "\u202e\u2028" for c in line), line
