"""A backstop on every byte published: no release notes, name or asset that holds the token.

The path rules (local_files) keep the runner's secrets out of what is read; this catches what
a path cannot show: a build that embedded the token by mistake, notes that quote it, a copy
of a credentials file made by an earlier step. It looks for the token in each form the runner
or actions/checkout stores it:

* as it is (a git credential store, an .npmrc, a dump of the environment);
* as actions/checkout writes it into `.git/config`, or into `git-credentials-<uuid>.config`
  in RUNNER_TEMP: `AUTHORIZATION: basic <base64 of "x-access-token:TOKEN">`
  (src/git-auth-helper.ts). That base64 starts a run of its own, right after "basic ", so it
  has one alignment; it is matched up to its last whole 3-byte group, which a copy without
  the padding, or one cut short by a character or two, still holds.

Files are scanned as they are hashed (asset_files.collect), piece by piece, matches across
pieces included; texts (the notes, the name) before they are sent. No message ever holds the
token: they say which form was found, and where. A token shorter than MIN_TOKEN is none GitHub
issues (its tokens have 40 characters or more), and looking for it would refuse ordinary
text (a test's token "t" is in "notes"): it is not looked for.
"""

from __future__ import annotations

import base64

from release_action.errors import TITLE_PREFIX, ActionError

MIN_TOKEN = 16
RAW = "the token itself"
CHECKOUT = 'the token as actions/checkout stores it in .git/config ("AUTHORIZATION: basic …")'


class TokenFound(ActionError):
    """What was about to be published holds the token; the message says what and where, never the token."""

    title = f"{TITLE_PREFIX}: the token would have been published"


def forms(token: str) -> tuple[tuple[bytes, str], ...]:
    """The byte strings that give the token away, each with its description (none for a short token)."""
    if len(token) < MIN_TOKEN:
        return ()
    raw = token.encode()
    credential = b"x-access-token:" + raw
    return ((raw, RAW), (base64.b64encode(credential[: len(credential) // 3 * 3]), CHECKOUT))


class Scanner:
    """Looks for the token in a stream fed a piece at a time; `found` names the form, once seen."""

    def __init__(self, token: str) -> None:
        self.forms = forms(token)
        self.overlap = max((len(form) for form, _ in self.forms), default=1) - 1
        self.tail = b""  # the end of the previous piece, for a match that spans two
        self.found: str | None = None

    def feed(self, buffer: bytes | bytearray, count: int | None = None) -> None:
        """Scan buffer[:count] (all of it by default), after what was fed before."""
        if self.found is not None or not self.forms:
            return
        count = len(buffer) if count is None else count
        seam = self.tail + bytes(buffer[: min(count, self.overlap)])
        for form, what in self.forms:
            if form in seam or buffer.find(form, 0, count) >= 0:
                self.found = what
                return
        self.tail = (self.tail + bytes(buffer[max(0, count - self.overlap) : count]))[-self.overlap :]


def found_in(text: str, token: str) -> str | None:
    """Which form of the token `text` holds, or None."""
    scanner = Scanner(token)
    scanner.feed(text.encode("utf-8", "surrogatepass"))
    return scanner.found
