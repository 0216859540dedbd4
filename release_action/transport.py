"""How the action talks HTTP to GitHub: one request at a time, within the deadline, token kept safe.

It knows what the endpoints (github.py) should not have to: how to retry (connection errors,
5xx, 429 and secondary limits, with jittered backoff inside one time budget), how to wait out a
primary rate limit, how to stay under the write rate limit, when to stop (a refused connection,
a host name that does not resolve, a certificate that does not verify: a few quick tries, then
reach.Unreachable), and when a write's outcome is unknown (a timeout or reset after the request
was sent). Such a write is never repeated here: it raises OutcomeUnknown and the engine looks
again before doing anything.

It also keeps whatever a server sends at arm's length. The token goes only to the API's
origin and the upload origin GitHub uses beside it (origin.py), redirects included (followed
here, by hand, within the origin; requests' own redirect machinery never runs, so a
redirect's body is never read); each request is bounded as a whole by the run's deadline and
its answer by a size cap on the decoded bytes (answer_body.py); an error answer that is not
GitHub's JSON is an UnexpectedAnswer that names the URL, the status and what was expected.
A loopback API (the simulator) is reached directly, never through a proxy.

`Transport.request` is the one way a request is sent; `_exchange` is the one place that
touches the network.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import urljoin

import requests

from release_action import __version__, answer_body, bounded_json, reach
from release_action.budget import Backoff, Deadline
from release_action.errors import TITLE_PREFIX, ActionError, rendered
from release_action.origin import Origin, UnsafeUrl, origin_of, upload_origin_problem
from release_action.remote import token_variables
from release_action.wording import Mode, Words, words

USER_AGENT = f"safe-release-action/{__version__}"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
SECONDARY_DEFAULT_WAIT = 60.0  # GitHub's advice, and octokit's, when no Retry-After is sent
# The shortest wait a rate limit gets: a `Retry-After: 0` answered again and again is retried once
# a second, as a spent primary limit whose reset has passed is, not as fast as the server answers.
MIN_RATE_LIMIT_WAIT = 1.0
WRITES_PER_MINUTE = 80  # GitHub's secondary limit on content-creating requests
CONNECT_TIMEOUT = 5.0
MAX_REDIRECTS = 3  # a renamed repository costs one (301 for GET, 307 for the rest)
# The largest answer read, decoded, but for a page of releases (github.MAX_PAGE_BYTES): one
# release with GitHub's 1000 assets (1.7 MiB as GitHub renders them) and the longest notes
# (125,000 characters, at most 1.5 MB as JSON escapes them), an asset, an error. Bigger is not GitHub's.
MAX_ANSWER_BYTES = 4 << 20
RETRY_AFTER = re.compile(r"^\d{1,9}$")  # whole seconds, as GitHub sends it
EPOCH_SECONDS = re.compile(r"^\d{1,11}$")  # x-ratelimit-reset: whole seconds since 1970
MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9.+-]{0,40}/[a-z0-9][a-z0-9.+-]{0,80}$")
PROXY_HINT = words(
    "If a proxy or captive portal is in the way, check the runner's network and `api_url`",
    command="If a proxy or captive portal is in the way, check the network (HTTPS_PROXY) and `api_url`",
)

ONLY_TO = "The token goes only to {origin} (`api_url`) and GitHub's upload origin for it."


class GitHubError(ActionError):
    """GitHub answered with an error. `hint` says what the user can do about it, in the run's words.

    `message` is GitHub's (outside text, never read as a template); `hint` is ours (wording.py).
    """

    title = f"{TITLE_PREFIX}: GitHub refused a request"

    def __init__(
        self,
        status: int,
        message: str,
        *,
        method: str = "",
        url: str = "",
        errors: list[Any] | None = None,
        hint: Words | str = "",
    ) -> None:
        self.status = status
        self.message = message
        self.method = method
        self.url = url
        self.errors = errors or []
        self.hint = hint
        super().__init__(str(self))

    def messages(self, mode: Mode) -> tuple[str, ...]:
        return (self.describe(mode),)

    def __str__(self) -> str:
        return self.describe(Mode.ACTION)

    def describe(self, mode: Mode) -> str:
        """The error in one message: the request, GitHub's answer, and the hint worded for `mode`."""
        where = " ".join(part for part in (self.method, self.url) if part)
        if self.status:
            text = f"{where} → {self.status} {self.message}".strip()
        else:
            text = f"{where}: {self.message}" if where else self.message
        details = "; ".join(_describe(e) for e in self.errors)
        if details:
            text += f" ({details})"
        if self.hint:
            text += f"{'' if text.endswith('.') else '.'} {rendered(self.hint, mode)}"
        return text

    def has_error_code(self, code: str, field_name: str | None = None) -> bool:
        return any(
            isinstance(e, dict) and e.get("code") == code and (field_name is None or e.get("field") == field_name)
            for e in self.errors
        )


class Conflict(GitHubError):
    """422 already_exists: another writer got there first; look again and converge."""


class BadCredentials(GitHubError):
    """401: GitHub refused the token (expired, revoked, unset, or one for another host)."""

    title = f"{TITLE_PREFIX}: the token was refused"


class NotPermitted(GitHubError):
    """403 "Resource not accessible by integration": the token may not write releases."""

    title = f"{TITLE_PREFIX}: the token may not write releases"


class RateLimited(GitHubError):
    """The primary rate limit is spent and resets too late for the time budget."""

    title = f"{TITLE_PREFIX}: the API rate limit is spent"


class UnexpectedAnswer(GitHubError):
    """An answer GitHub would not give: the wrong shape, too big, a garbled header."""

    title = f"{TITLE_PREFIX}: an answer that is not GitHub's"


class Refused(GitHubError):
    """The token would go to an origin other than GitHub's: nothing was sent."""

    title = f"{TITLE_PREFIX}: the token was kept from another origin"


class OutcomeUnknown(ActionError):
    """A write was sent but its answer was lost: it may or may not have happened."""

    title = f"{TITLE_PREFIX}: a write's outcome is unknown"


def _describe(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    if error.get("message"):
        return str(error["message"])
    parts = [str(error.get(k)) for k in ("resource", "field", "code") if error.get(k)]
    return " ".join(parts)


def quote_url(url: str, limit: int = 120) -> str:
    """An outside URL as the log shows it: quoted and escaped, so it stays one plain line."""
    text = repr(url)
    return text if len(text) <= limit else text[: limit - 2] + "…'"


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), "null"
    )


def json_kind_of(value: Any) -> str:
    """'a JSON list', 'JSON null': what a JSON value is, for an error message."""
    return "JSON null" if value is None else "a JSON " + kind_of(value).split(" ", 1)[1]


# -- the answers as read ----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, read whole (within the size cap) before anything looks at it."""

    status: int
    headers: Mapping[str, str]
    body: bytes | bytearray
    reason: str
    links: Mapping[str, Mapping[str, str]]

    @property
    def content_type(self) -> str:
        """The media type, if it is a well-formed one ("text/html"); else ""."""
        kind = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        return kind if MEDIA_TYPE.match(kind) else ""

    def sent(self) -> str:
        """What the body was, in words, for an error message."""
        if not self.body.strip():
            return "an empty body"
        if self.content_type and "json" not in self.content_type:
            return f"a {self.content_type} page, not JSON"
        return "a body that is not JSON"


class Cap(NamedTuple):
    """How big an answer may be, decoded, and what it is expected to be (for the error)."""

    bytes: int
    expected: str  # "a JSON answer of the Releases API"


def answer_cap() -> Cap:
    return Cap(MAX_ANSWER_BYTES, "a JSON answer of the Releases API")


def _read(response: requests.Response, method: str, url: str, cap: Cap) -> Answer:
    """The answer, its body decoded and read up to `cap`; a bigger one is refused unread.

    A redirect's body is not read at all (only its Location counts), nor kept on the connection.
    """
    status = response.status_code
    if 300 <= status < 400:
        answer_body.finish(response, complete=False)
        return Answer(status, response.headers, b"", response.reason or "", response.links)
    complete = False
    try:
        body = answer_body.read(response, cap.bytes)
        complete = True
    except answer_body.TooBig as exc:
        raise UnexpectedAnswer(
            status,
            f"GitHub, or a proxy in front of it, answered with {exc}; expected {cap.expected}, which fits "
            f"in {cap.bytes >> 20} MiB (the rest was not read)",
            method=method,
            url=url,
            hint=PROXY_HINT,
        ) from None
    except answer_body.Garbled as exc:
        raise UnexpectedAnswer(
            status,
            f"GitHub, or a proxy in front of it, answered with {exc}; expected {cap.expected}",
            method=method,
            url=url,
            hint=PROXY_HINT,
        ) from None
    finally:
        answer_body.finish(response, complete)
    return Answer(status, response.headers, body, response.reason or "", response.links)


class Session(requests.Session):
    """requests' Session without its redirect machinery, which the transport does by hand.

    Even with allow_redirects=False, Session.send looks for the next hop of a redirect and, to
    free the connection, reads the redirect's body whole first: a 301 with a 1 GiB body (or one
    that inflates to 1 GiB) would be held before any cap applies. With no redirect target that
    machinery never starts; the transport reads the Location itself and never the body.
    """

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None


class _Bearer(requests.auth.AuthBase):
    """The token as an Authorization header; its repr never shows it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_Bearer(***)"


class Transport:
    """Requests to one GitHub API (and its upload origin), with one token, within one deadline."""

    def __init__(
        self,
        api_url: str,
        token: str,
        deadline: Deadline,
        *,
        session: Session | None = None,
        wall_clock: Callable[[], float] = time.time,
        log: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        try:
            self.origin = origin_of(self.api_url)
        except UnsafeUrl as exc:
            raise Refused(0, f"refusing to send the token to `api_url` {quote_url(self.api_url)}: {exc}") from None
        self.upload_origin: Origin | None = None  # as the first release read names it
        self.deadline = deadline
        self.wall_clock = wall_clock
        self.log = log
        if session is not None and not isinstance(session, Session):
            raise TypeError("the transport needs a transport.Session: requests' own reads redirect bodies")
        self.session = session or Session()
        self.session.auth = _Bearer(token)  # set as auth, so no ~/.netrc entry can replace it
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": USER_AGENT,
                "Accept-Encoding": answer_body.ACCEPT_ENCODING,  # what answer_body decodes, no other
            }
        )
        # trust_env stays on: self-hosted and GHES runners need HTTPS_PROXY and REQUESTS_CA_BUNDLE.
        # Redirects are followed here, not by requests, and only within the origin.
        # Each socket read may take a while, but never most of the budget; the deadline bounds
        # each request as a whole.
        self.read_timeout = max(2.0, min(30.0, deadline.seconds / 6))
        self.requests_made = 0
        self.writes_made = 0
        self.server_date: str | None = None  # the Date header of the last answer: GitHub's clock
        self._recent_writes: deque[float] = deque()

    # -- what the endpoints use ---------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        origin: Origin | None = None,
        cap: Cap | None = None,
        writes: bool | None = None,
        **kwargs: Any,
    ) -> Answer:
        """Send one call to `url` (within `origin`, the API's by default), retrying what is safe.

        The answer's body may be `cap` big, decoded (default: MAX_ANSWER_BYTES). `writes`: whether
        the call changes anything (by default, whether its method is one of WRITES; a POST that only
        computes an answer, such as generate-notes, passes False: it is retried like a read, and
        counted as one). Raises a GitHubError for an error answer, Refused before the token would
        leave the origin, OutcomeUnknown for a write whose answer was lost, BudgetExhausted when
        the deadline ends first.
        """
        origin = origin or self.origin
        cap = cap or answer_cap()
        self.check_origin(method, url, "this URL", origin)
        is_write = method in WRITES if writes is None else writes
        waits = Backoff(self.deadline, first=0.5, cap=16)
        body = kwargs.get("data")
        start = body.tell() if body is not None and hasattr(body, "seek") else None
        redirects = 0
        unreachable, first_try = 0, self.deadline.clock()
        while True:
            if start is not None:
                body.seek(start)  # a retried upload sends the stream from its start again
            if is_write:
                self._throttle_writes()
            self.requests_made += 1
            if is_write:
                self.writes_made += 1
            try:
                answer = self._exchange(method, url, origin, cap, is_write, **kwargs)
            except requests.ConnectTimeout as exc:  # never reached the server: safe to retry
                self._retry_wait(waits, f"{method} {url}: {exc.__class__.__name__}")
                continue
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                if reach.cause_of(exc) is not None:  # never reached the server, and waiting will not help
                    unreachable += 1
                    self._try_again_soon(exc, method, url, unreachable, first_try)
                    continue
                if is_write:
                    raise OutcomeUnknown(f"{method} {url}: {exc.__class__.__name__} after sending") from exc
                self._retry_wait(waits, f"{method} {url}: {exc.__class__.__name__}")
                continue
            self.server_date = answer.headers.get("Date", self.server_date)
            if 300 <= answer.status < 400:
                redirects += 1
                url = self._redirect(method, url, origin, answer, redirects)
                continue
            if answer.status < 300:
                return answer
            error = self._error(method, url, answer)
            delay = self._rate_limit_wait(answer, error)
            if delay is not None:
                self.log(f"{error.message}: waiting {delay:.0f}s as GitHub asks")
                self.deadline.wait(delay, f"a rate limit on {method} {url} to pass")
                continue
            if answer.status >= 500:
                if is_write:
                    raise OutcomeUnknown(f"{method} {url} answered {answer.status}") from error
                self._retry_wait(waits, f"{method} {url} answered {answer.status}")
                continue
            raise error

    def server_now(self) -> float | None:
        """GitHub's clock, as the Date header of the last answer told it (whole seconds)."""
        try:
            return parsedate_to_datetime(self.server_date).timestamp() if self.server_date else None
        except (TypeError, ValueError):
            return None

    # -- where the token may go --------------------------------------------------------------

    def upload_origin_of(self, url: str) -> Origin:
        """The origin of an upload URL, if it is GitHub's upload origin for this API; else Refused.

        That is the origin the first release read named (GitHub names one for all its
        releases), and it must follow GitHub's rule (origin.upload_origin_problem). Once an
        upload went to it, it is the only one.
        """
        try:
            target = origin_of(url)
        except UnsafeUrl as exc:
            raise self._refused("POST", url, "this upload_url", str(exc)) from None
        pinned = self.upload_origin or target
        problem = upload_origin_problem(self.origin, target)
        if problem is None and target != pinned:
            problem = f"earlier answers named {pinned}"
        if problem is not None:
            raise self._refused("POST", url, "this upload_url", f"{target} is not GitHub's upload origin: {problem}")
        self.upload_origin = target
        return target

    def note_upload_url(self, upload_url: str) -> None:
        """Remember the upload origin the first release read names (see upload_origin_of)."""
        if self.upload_origin is None:
            with contextlib.suppress(UnsafeUrl):  # refused if an upload is ever asked for
                self.upload_origin = origin_of(upload_url.split("{", 1)[0])

    def check_origin(self, method: str, url: str, what: str, origin: Origin | None = None) -> None:
        """Refused, unless a request to `url` connects to `origin` (the API's by default) and nowhere else."""
        origin = origin or self.origin
        try:
            target = origin_of(url)
        except UnsafeUrl as exc:
            raise self._refused(method, url, what, str(exc)) from None
        if target != origin:
            raise self._refused(method, url, what, f"it points at {target}, not {origin}")

    def _refused(self, method: str, url: str, what: str, why: str) -> Refused:
        return Refused(
            0,
            f"refusing to send the token to {what}: {why}",
            method=method,
            url=quote_url(url),
            hint=words(
                f"{ONLY_TO} {PROXY_HINT.template}", command=f"{ONLY_TO} {PROXY_HINT.command}", origin=self.origin
            ),
        )

    # -- the machinery ---------------------------------------------------------------------

    def _throttle_writes(self) -> None:
        """Stay under GitHub's secondary limit of 80 content-creating requests a minute."""
        now = self.deadline.clock()
        while self._recent_writes and now - self._recent_writes[0] >= 60:
            self._recent_writes.popleft()
        if len(self._recent_writes) >= WRITES_PER_MINUTE:
            self.deadline.wait(60 - (now - self._recent_writes[0]), "GitHub's write rate limit")
        self._recent_writes.append(self.deadline.clock())

    def _exchange(self, method: str, url: str, origin: Origin, cap: Cap, is_write: bool, **kwargs: Any) -> Answer:
        """Send one request and read its answer whole, within the deadline, redirects not followed."""
        request = requests.Request(
            method,
            url,
            headers=kwargs.get("headers"),
            params=kwargs.get("params") or {},
            data=kwargs.get("data") or {},
            json=kwargs.get("json"),
        )
        prepared = self.session.prepare_request(request)
        # requests re-serialises the URL: check the one it will connect to, too.
        self.check_origin(method, prepared.url or "", "this URL as requests prepared it", origin)
        settings = self.session.merge_environment_settings(prepared.url, {}, True, None, None)
        if origin.loopback:  # the simulator: never through a proxy (HTTP_PROXY would see the token)
            settings["proxies"] = {}

        def send() -> Answer:
            left = self.deadline.remaining()
            timeout = (min(CONNECT_TIMEOUT, left), min(self.read_timeout, left))
            response = self.session.send(prepared, timeout=timeout, allow_redirects=False, **settings)
            return _read(response, method, url, cap)

        what = f"the answer to {method} {url}"
        if is_write:
            what += " (the write may have been applied; a re-run of the job converges)"
        return self.deadline.call(send, what)

    def _redirect(self, method: str, url: str, origin: Origin, answer: Answer, count: int) -> str:
        """Where a redirect leads, if it may be followed: within the origin, a few times, the method kept.

        GitHub redirects a renamed repository's calls: 301 for a GET, 307 for the rest.
        """
        location = answer.headers.get("Location")
        keeps_method = answer.status in (307, 308) or (answer.status in (301, 302, 303) and method == "GET")
        if not location or not keeps_method or count > MAX_REDIRECTS:
            why = (
                f"more than {MAX_REDIRECTS} redirects"
                if location and keeps_method
                else f"a redirect a {method} cannot follow"
            )
            raise UnexpectedAnswer(
                answer.status,
                f"GitHub, or a proxy in front of it, answered with {why}; expected the answer itself",
                method=method,
                url=url,
                hint=PROXY_HINT,
            )
        target = urljoin(url, location)  # (which drops tabs and newlines: the Location is checked as sent)
        try:
            if any(not " " < c < "\x7f" for c in location):
                raise UnsafeUrl("it holds a space, a control character or a non-ASCII character")
            origin_of(target)
        except UnsafeUrl as exc:  # not another origin: no URL at all, or one read two ways
            raise UnexpectedAnswer(
                answer.status,
                f"GitHub, or a proxy in front of it, answered with a redirect whose Location is refused (and not "
                f"shown): {exc}; expected a URL on {origin} (nothing was sent there)",
                method=method,
                url=url,
                hint=PROXY_HINT,
            ) from None
        self.check_origin(method, target, "this redirect target", origin)
        self.log(f"{method} {url} moved ({answer.status}) to {target}; following")
        return target

    def _try_again_soon(self, exc: BaseException, method: str, url: str, tries: int, since: float) -> None:
        """A connection that failed for good (reach.py): a few quick tries, then reach.Unreachable."""
        if tries >= reach.QUICK_TRIES:
            raise reach.unreachable(exc, url, self.api_url, tries, self.deadline.clock() - since) from exc
        problem = f"{method} {url}: {reach.cause_of(exc).value}"  # type: ignore[union-attr]
        self.log(f"{problem}; trying again in {reach.QUICK_WAIT:.1f}s ({tries} of {reach.QUICK_TRIES} tries)")
        self.deadline.wait(reach.QUICK_WAIT, f"a retry after {problem}")

    def _retry_wait(self, waits: Backoff, problem: str) -> None:
        delay = waits.next_delay()
        self.log(f"{problem}; retrying in {delay:.1f}s")
        self.deadline.wait(delay, f"a retry after {problem}")

    def _garbled(self, answer: Answer, error: GitHubError, header: str, value: str) -> UnexpectedAnswer:
        return UnexpectedAnswer(
            answer.status,
            f"GitHub, or a proxy in front of it, answered {error.message!r} with {header}: {value[:40]!r}; "
            "expected whole seconds",
            method=error.method,
            url=error.url,
            hint=PROXY_HINT,
        )

    def _rate_limit_wait(self, answer: Answer, error: GitHubError) -> float | None:
        """Seconds to wait before retrying, or None when this is no rate limit."""
        status, headers = answer.status, answer.headers
        if status not in (403, 429):
            return None
        if headers.get("x-ratelimit-remaining") == "0":
            value = headers.get("x-ratelimit-reset") or ""
            if not EPOCH_SECONDS.match(value):
                raise self._garbled(answer, error, "x-ratelimit-reset", value)
            reset = int(value)
            delay = max(0.0, reset - self.wall_clock()) + 1
            if delay > self.deadline.remaining():
                when = datetime.fromtimestamp(reset, UTC).strftime("%H:%M:%S UTC")
                raise RateLimited(
                    status,
                    error.message,
                    method=error.method,
                    url=error.url,
                    hint=words(
                        "The API rate limit resets at {when}; re-run the job after that, or raise "
                        "`timeout_seconds` so the action can wait for it",
                        command="The API rate limit resets at {when}; run the command again after that, or raise "
                        "`timeout_seconds` so it can wait for it",
                        when=when,
                    ),
                )
            return delay
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            if not RETRY_AFTER.match(retry_after):
                raise self._garbled(answer, error, "retry-after", retry_after)
            return max(MIN_RATE_LIMIT_WAIT, float(retry_after))
        if status == 429 or "secondary rate limit" in error.message.lower():
            return SECONDARY_DEFAULT_WAIT
        return None

    def _error(self, method: str, url: str, answer: Answer) -> GitHubError:
        """The GitHubError an error answer stands for; an UnexpectedAnswer when it is not GitHub's JSON."""
        status = answer.status
        try:
            data = bounded_json.loads(answer.body, cap=MAX_ANSWER_BYTES)
        except (ValueError, RecursionError):
            sent = answer.sent()
        else:
            sent = "" if isinstance(data, dict) else json_kind_of(data)
        if sent:
            return UnexpectedAnswer(
                status,
                f"{answer.reason or 'error'}: GitHub, or a proxy in front of it, answered with {sent}; "
                "expected GitHub's JSON error message",
                method=method,
                url=url,
                hint=PROXY_HINT,
            )
        message = str(data.get("message") or answer.reason or "error")
        errors = data.get("errors") if isinstance(data.get("errors"), list) else []
        hint: Words | str = ""
        cls = GitHubError
        if status == 401:
            cls, hint = (
                BadCredentials,
                words(
                    "The token was refused: check the `token` input (an expired or revoked token, "
                    "or a secret that is not set)",
                    command="The token was refused: check {variables} (an expired or revoked token, or one "
                    "for another host)",
                    variables=" or ".join(token_variables(self.api_url)),
                ),
            )
        elif status == 403 and "not accessible by integration" in message.lower():
            cls, hint = (
                NotPermitted,
                words(
                    "The token may not write releases: give the job `permissions: contents: write`",
                    command="The token may not write releases: use a token with `contents: write` on the repository "
                    "(a fine-grained token's Contents permission set to read and write, or a classic token's "
                    "`repo` scope)",
                ),
            )
        elif status == 422 and any(isinstance(e, dict) and e.get("code") == "already_exists" for e in errors):
            cls = Conflict
        return cls(status, message, method=method, url=url, errors=errors, hint=hint)
