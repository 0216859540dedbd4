"""A small client for GitHub's Releases API on a requests.Session.

It knows three things the engine should not have to: how to retry (connection errors,
5xx, 429 and secondary limits, with backoff's wait generators and jitter, inside one time
budget), how to wait out a primary rate limit, and when a write's outcome is unknown (a
timeout or reset after the request was sent). Such a write is never repeated here: it raises
OutcomeUnknown and the engine looks again before doing anything.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any
from urllib.parse import quote, urlsplit

import requests

from release_action import __version__
from release_action.budget import Backoff, BudgetExhausted, Deadline  # noqa: F401 (BudgetExhausted: callers catch it here)
from release_action.inputs import is_loopback

USER_AGENT = f"safe-release-action/{__version__}"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
SECONDARY_DEFAULT_WAIT = 60.0  # GitHub's advice, and octokit's, when no Retry-After is sent
WRITES_PER_MINUTE = 80  # GitHub's secondary limit on content-creating requests


def github_time(value: str | None) -> float | None:
    """A GitHub timestamp ("2024-05-10T16:00:00Z") in epoch seconds, or None."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() if value else None
    except ValueError:
        return None


class GitHubError(Exception):
    """GitHub answered with an error. `hint` says what the user can do about it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        method: str = "",
        url: str = "",
        errors: list[Any] | None = None,
        hint: str = "",
    ) -> None:
        self.status = status
        self.message = message
        self.method = method
        self.url = url
        self.errors = errors or []
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.method} {self.url} → {self.status} {self.message}".strip()
        details = "; ".join(_describe(e) for e in self.errors)
        if details:
            text += f" ({details})"
        if self.hint:
            text += f". {self.hint}"
        return text

    def has_error_code(self, code: str, field_name: str | None = None) -> bool:
        return any(
            isinstance(e, dict) and e.get("code") == code and (field_name is None or e.get("field") == field_name)
            for e in self.errors
        )


class Conflict(GitHubError):
    """422 already_exists: another writer got there first; look again and converge."""


class RateLimited(GitHubError):
    """The primary rate limit is spent and resets too late for the time budget."""


class OutcomeUnknown(Exception):
    """A write was sent but its answer was lost: it may or may not have happened."""


def _describe(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    if error.get("message"):
        return str(error["message"])
    parts = [str(error.get(k)) for k in ("resource", "field", "code") if error.get(k)]
    return " ".join(parts)


class _Bearer(requests.auth.AuthBase):
    """The token as an Authorization header; its repr never shows it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_Bearer(***)"


class GitHub:
    """The REST calls the action makes, for one repository."""

    def __init__(
        self,
        api_url: str,
        token: str,
        repository: str,
        deadline: Deadline,
        *,
        session: requests.Session | None = None,
        wall_clock: Callable[[], float] = time.time,
        log: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.repository = repository
        self.deadline = deadline
        self.wall_clock = wall_clock
        self.log = log
        self.session = session or requests.Session()
        self.session.auth = _Bearer(token)  # set as auth, so no ~/.netrc entry can replace it
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": USER_AGENT,
            }
        )
        # trust_env stays on: self-hosted and GHES runners need HTTPS_PROXY and REQUESTS_CA_BUNDLE.
        # requests drops the Authorization header on a redirect to another host.
        # Connect fast; a read may take a while, but never most of the budget.
        self.timeout = (5.0, max(2.0, min(30.0, deadline.seconds / 6)))
        self.requests_made = 0
        self.writes_made = 0
        self.server_date: str | None = None  # the Date header of the last answer: GitHub's clock
        self._recent_writes: deque[float] = deque()

    # -- the calls -------------------------------------------------------------------------

    def server_now(self) -> float | None:
        """GitHub's clock, as the Date header of the last answer told it (whole seconds)."""
        try:
            return parsedate_to_datetime(self.server_date).timestamp() if self.server_date else None
        except (TypeError, ValueError):
            return None

    @property
    def repo_path(self) -> str:
        return f"/repos/{self.repository}"

    def get_release(self, release_id: int) -> dict | None:
        return self._json_or_none("GET", f"{self.repo_path}/releases/{release_id}")

    def get_release_by_tag(self, tag: str) -> dict | None:
        """The published release of `tag`. Drafts are invisible here: GitHub answers 404."""
        return self._json_or_none("GET", f"{self.repo_path}/releases/tags/{quote(tag, safe='')}")

    def iter_releases(self) -> Iterator[dict]:
        """Every release, drafts included, newest first, following Link headers."""
        return self._pages(f"{self.repo_path}/releases?per_page=100")

    def create_release(self, payload: dict) -> dict:
        return self.request("POST", f"{self.repo_path}/releases", json=payload).json()

    def update_release(self, release_id: int, payload: dict) -> dict:
        return self.request("PATCH", f"{self.repo_path}/releases/{release_id}", json=payload).json()

    def delete_release(self, release_id: int) -> bool:
        """Delete; False when it was already gone (someone else cleaned up first)."""
        return self._delete(f"{self.repo_path}/releases/{release_id}")

    def generate_notes(self, tag: str, target: str | None, previous_tag: str | None) -> dict:
        payload = {"tag_name": tag}
        if target:
            payload["target_commitish"] = target
        if previous_tag:
            payload["previous_tag_name"] = previous_tag
        return self.request("POST", f"{self.repo_path}/releases/generate-notes", json=payload).json()

    def list_assets(self, release_id: int) -> list[dict]:
        return list(self._pages(f"{self.repo_path}/releases/{release_id}/assets?per_page=100"))

    def delete_asset(self, asset_id: int) -> bool:
        return self._delete(f"{self.repo_path}/releases/assets/{asset_id}")

    def upload_asset(self, upload_url: str, name: str, stream: IO[bytes], size: int, content_type: str) -> dict:
        """Stream `size` bytes to the release's upload URL (a different host on github.com)."""
        base = upload_url.split("{", 1)[0]
        self._check_upload_host(base)
        response = self.request(
            "POST",
            base,
            origin_checked=True,  # uploads.github.com is not the API's origin, and is allowed
            params={"name": name},
            data=stream,
            headers={"Content-Type": content_type, "Content-Length": str(size)},
        )
        return response.json()

    # -- the machinery ---------------------------------------------------------------------

    def _pages(self, path: str) -> Iterator[dict]:
        """The items of a list endpoint, page by page along the Link header's `next`."""
        url: str | None = path
        first = True
        while url:
            try:
                response = self.request("GET", url)
            except GitHubError as exc:
                # GitHub lists only the first 1000 items and answers 422 past them.
                if first or exc.status != 422:
                    raise
                self.log(f"{exc.message} Older items cannot be listed; going on without them.")
                return
            first = False
            yield from response.json()
            url = response.links.get("next", {}).get("url")

    def _delete(self, path: str) -> bool:
        try:
            self.request("DELETE", path)
        except GitHubError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _json_or_none(self, method: str, path: str) -> dict | None:
        try:
            return self.request(method, path).json()
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            self._check_same_origin(path_or_url)
            return path_or_url
        return f"{self.api_url}{path_or_url}"

    def _check_same_origin(self, url: str) -> None:
        """The token only ever goes to the configured API (pagination links included)."""
        ours, theirs = urlsplit(self.api_url), urlsplit(url)
        if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
            raise GitHubError(0, f"refusing to send the token to {theirs.scheme}://{theirs.netloc}")

    def _check_upload_host(self, url: str) -> None:
        """uploads.github.com for api.github.com; the same host on GHES; loopback for a sandbox."""
        ours, theirs = urlsplit(self.api_url), urlsplit(url)
        host, api_host = theirs.hostname or "", ours.hostname or ""
        same_site = host == api_host or (
            api_host.startswith("api.") and host == "uploads." + api_host.removeprefix("api.")
        )
        local = is_loopback(host) and is_loopback(api_host)
        secure = theirs.scheme == "https" or (theirs.scheme == "http" and local)
        if not ((same_site or local) and secure):
            raise GitHubError(0, f"refusing to upload (and send the token) to {theirs.scheme}://{theirs.netloc}")

    def _throttle_writes(self) -> None:
        """Stay under GitHub's secondary limit of 80 content-creating requests a minute."""
        now = self.deadline.clock()
        while self._recent_writes and now - self._recent_writes[0] >= 60:
            self._recent_writes.popleft()
        if len(self._recent_writes) >= WRITES_PER_MINUTE:
            self.deadline.wait(60 - (now - self._recent_writes[0]), "GitHub's write rate limit")
        self._recent_writes.append(self.deadline.clock())

    def request(
        self, method: str, path_or_url: str, *, origin_checked: bool = False, **kwargs: Any
    ) -> requests.Response:
        """Send one call, retrying what is safe to retry; raise a GitHubError for the rest."""
        url = path_or_url if origin_checked else self._url(path_or_url)
        is_write = method in WRITES
        waits = Backoff(self.deadline, first=0.5, cap=16)
        body = kwargs.get("data")
        start = body.tell() if body is not None and hasattr(body, "seek") else None
        while True:
            if start is not None:
                body.seek(start)  # a retried upload sends the stream from its start again
            if is_write:
                self._throttle_writes()
            self.requests_made += 1
            if is_write:
                self.writes_made += 1
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.ConnectTimeout as exc:  # never reached the server: safe to retry
                self._retry_wait(waits, f"{method} {url}: {exc.__class__.__name__}")
                continue
            except (requests.ConnectionError, requests.Timeout) as exc:
                if is_write:
                    raise OutcomeUnknown(f"{method} {url}: {exc.__class__.__name__} after sending") from exc
                self._retry_wait(waits, f"{method} {url}: {exc.__class__.__name__}")
                continue
            self.server_date = response.headers.get("Date", self.server_date)
            if response.status_code < 400:
                return response
            error = self._error(method, url, response)
            delay = self._rate_limit_wait(response, error)
            if delay is not None:
                self.log(f"{error.message}: waiting {delay:.0f}s as GitHub asks")
                self.deadline.wait(delay, "a rate limit to pass")
                continue
            if response.status_code >= 500:
                if is_write:
                    raise OutcomeUnknown(f"{method} {url} answered {response.status_code}") from error
                self._retry_wait(waits, f"{method} {url} answered {response.status_code}")
                continue
            raise error

    def _retry_wait(self, waits: Backoff, why: str) -> None:
        delay = waits.next_delay()
        self.log(f"{why}; retrying in {delay:.1f}s")
        self.deadline.wait(delay, why)

    def _rate_limit_wait(self, response: requests.Response, error: GitHubError) -> float | None:
        """Seconds to wait before retrying, or None when this is no rate limit."""
        status, headers = response.status_code, response.headers
        if status not in (403, 429):
            return None
        if headers.get("x-ratelimit-remaining") == "0":
            reset = float(headers.get("x-ratelimit-reset", "0") or 0)
            delay = max(0.0, reset - self.wall_clock()) + 1
            if delay > self.deadline.remaining():
                when = time.strftime("%H:%M:%S UTC", time.gmtime(reset))
                raise RateLimited(
                    status,
                    error.message,
                    method=error.method,
                    url=error.url,
                    hint=f"The API rate limit resets at {when}; re-run the job after that, or "
                    "raise `timeout_seconds` so the action can wait for it",
                )
            return delay
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return SECONDARY_DEFAULT_WAIT
        if status == 429 or "secondary rate limit" in error.message.lower():
            return SECONDARY_DEFAULT_WAIT
        return None

    def _error(self, method: str, url: str, response: requests.Response) -> GitHubError:
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        message = str(data.get("message") or response.reason or "error")
        errors = data.get("errors") if isinstance(data.get("errors"), list) else []
        status = response.status_code
        hint = ""
        if status == 401:
            hint = (
                "The token was refused: check the `token` input (an expired or revoked token, "
                "or a secret that is not set)"
            )
        elif status == 403 and "not accessible by integration" in message.lower():
            hint = "The token may not write releases: give the job `permissions: contents: write`"
        cls = (
            Conflict
            if status == 422 and any(isinstance(e, dict) and e.get("code") == "already_exists" for e in errors)
            else GitHubError
        )
        return cls(status, message, method=method, url=url, errors=errors, hint=hint)
