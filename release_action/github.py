"""The endpoints of GitHub's Releases API the action calls, for one repository.

Each call is a request through a transport (transport.py: retries, rate limits, redirects,
where the token may go), and each answer is checked against the shape GitHub documents for it:
an answer of the wrong shape (an HTML page from a proxy, a list where a release was due) is an
UnexpectedAnswer that names the URL, the status and what was expected. The URLs an answer holds
are checked as it is read (`url_problem`): a release's `html_url` and its assets'
`browser_download_url` on GitHub's web origin for the API, its `upload_url` on the upload
origin, the Link to a list's next page on the API's origin; a bad one is an UnexpectedAnswer
that names the field, and never reaches the outputs or the summary. Lists are read page by
page along the Link header, within GitHub's own cap of 1000 items; a page of releases may
weigh MAX_PAGE_BYTES, and JSON is parsed within bounds (bounded_json).

`GitHub` only uses the transport's public methods, so a fake transport can stand in for HTTP.
It records every write it sends (`writes`), field by field, for the job summary: what a run
changed, and, when it fails, what it had written before.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any
from urllib.parse import quote, urljoin

from release_action import bounded_json
from release_action.origin import Origin, UnsafeUrl, origin_of, upload_origin_problem, web_origin_of
from release_action.token_guard import TokenFound, found_in
from release_action.transport import (
    MAX_ANSWER_BYTES,
    PROXY_HINT,
    Answer,
    Cap,
    GitHubError,
    OutcomeUnknown,
    Transport,
    UnexpectedAnswer,
    answer_cap,
    json_kind_of,
    kind_of,
    quote_url,
)

PER_PAGE = 100
MAX_PAGES = 1000 // PER_PAGE  # GitHub lists the first 1000 items of a list, no more
# A page of 100 releases, as GitHub renders them, decoded. Measured (tests/e2e/test_memory_bounds.py
# builds it): 100 releases with 20,000-character notes (emoji among them) and 100 assets each,
# as busy a repository as Electron's, weigh 17.8 MiB; the cap leaves a third more. Parsed one
# release at a time (bounded_json), such a page costs the run some 60 MiB more than a bare run.
MAX_PAGE_BYTES = 24 << 20
RELEASE_PAGE = Cap(MAX_PAGE_BYTES, f"a page of {PER_PAGE} releases")


def github_time(value: str | None) -> float | None:
    """A GitHub timestamp ("2024-05-10T16:00:00Z") in epoch seconds, or None."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() if value else None
    except ValueError:
        return None


# -- what GitHub's answers look like ----------------------------------------------------------

NULLABLE_TEXT = (str, type(None))


@dataclass(frozen=True)
class Shape:
    """The JSON object an endpoint answers: fields that must be there, and the types of those that may."""

    name: str  # "a release"
    plural: str  # "releases"
    required: Mapping[str, tuple[type, ...]]
    optional: Mapping[str, tuple[type, ...]] = field(default_factory=dict)
    items: Mapping[str, Shape] = field(default_factory=dict)  # list fields, and the shape of their items
    urls: Mapping[str, str] = field(default_factory=dict)  # URL fields, and where they point: WEB or UPLOAD


WEB = "GitHub's web origin"  # html_url, browser_download_url
UPLOAD = "GitHub's upload origin"  # upload_url
API_ORIGIN = "the API's origin"  # the Link to a list's next page


ASSET = Shape(
    "a release asset",
    "release assets",
    {"id": (int,), "name": (str,)},
    {
        "state": (str,),
        "size": (int,),
        "digest": NULLABLE_TEXT,
        "created_at": NULLABLE_TEXT,
        "label": NULLABLE_TEXT,
        "browser_download_url": (str,),
    },
    urls={"browser_download_url": WEB},
)
RELEASE = Shape(
    "a release",
    "releases",
    {"id": (int,)},
    {
        "tag_name": (str,),
        "draft": (bool,),
        "prerelease": (bool,),
        "immutable": (bool,),
        "name": NULLABLE_TEXT,
        "body": NULLABLE_TEXT,
        "target_commitish": NULLABLE_TEXT,
        "updated_at": NULLABLE_TEXT,
        "html_url": (str,),
        "upload_url": (str,),
        "assets": (list,),
    },
    {"assets": ASSET},
    {"html_url": WEB, "upload_url": UPLOAD},
)
NOTES = Shape("generated release notes", "generated release notes", {}, {"name": NULLABLE_TEXT, "body": NULLABLE_TEXT})
GIT_REF = Shape("a git reference", "git references", {"ref": (str,), "object": (dict,)})
REPOSITORY = Shape("a repository", "repositories", {"id": (int,)}, {"full_name": (str,)})


def shape_problem(data: Any, shape: Shape) -> str | None:
    """What is wrong with `data` as `shape`, or None when it is one. (bool is no int here.)"""
    if not isinstance(data, dict):
        return json_kind_of(data)
    for name, types in [*shape.required.items(), *shape.optional.items()]:
        if name not in data:
            if name in shape.required:
                return f"an object without `{name}`"
            continue
        value = data[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            return f"an object whose `{name}` is {kind_of(value)}"
    for name, item_shape in shape.items.items():
        for item in data.get(name) or ():
            if (problem := shape_problem(item, item_shape)) is not None:
                return f"an object whose `{name}` holds {problem}"
    return None


# -- what the run wrote ------------------------------------------------------------------------

# The fields of a release a run writes, in the order the summary shows them ("body" is the notes).
FIELDS = ("name", "body", "draft", "prerelease", "tag_name", "target_commitish")


@dataclass(frozen=True)
class Write:
    """One write this run sent, as recorded when its answer came (or was lost).

    `kind`: "create", "update" or "delete" (a release); "upload", "update asset" (its label) or
    "delete asset". `subject`:
    the release's tag, or the asset's name. `changes`: (field, before, after) for each field of
    FIELDS a create set or an update changed, a before of None for a create; the notes (body)
    as a digest (`fingerprint`), never their text. `lost`: the answer was lost, so the write may
    or may not have happened (the run looked again; see transport.OutcomeUnknown).
    """

    kind: str
    release_id: int | None
    subject: str
    changes: tuple[tuple[str, object, object], ...] = ()
    lost: bool = False


def fingerprint(body: object) -> str | None:
    """The notes as compared, never shown: a digest of the text ("" for none)."""
    if not isinstance(body, str):
        return ""
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:16] if body else ""


def fields_of(data: Mapping[str, Any]) -> dict[str, object]:
    """A release's FIELDS as recorded: the notes as their fingerprint."""
    return {name: fingerprint(data.get(name)) if name == "body" else data.get(name) for name in FIELDS}


def url_problem(url: str, where: str, api: Origin, web: Origin) -> str | None:
    """Why `url`, read from an answer, is not one GitHub would send for `where` (WEB, UPLOAD or API_ORIGIN), or None.

    One printable line (origin_of refuses spaces, control and non-ASCII characters), http(s)
    read alike by every parser, on GitHub's web origin for the API (web_origin_of), on its
    upload origin (upload_origin_problem: the API's own, or uploads.<domain> over https) or on
    the API's origin itself.
    """
    try:
        target = origin_of(url.split("{", 1)[0] if where == UPLOAD else url)
    except UnsafeUrl as exc:
        return str(exc)
    if where == UPLOAD:
        problem = upload_origin_problem(api, target)
        return None if problem is None else f"it is on {target}, which is not GitHub's upload origin: {problem}"
    expected = api if where == API_ORIGIN else web
    return None if target == expected else f"it is on {target}, not on {expected}"


# -- the calls ---------------------------------------------------------------------------------


class GitHub:
    """The REST calls the action makes, for one repository, through `transport`."""

    def __init__(
        self,
        transport: Transport,
        repository: str,
        *,
        log: Callable[[str], None] = lambda _msg: None,
        secret: str | None = None,
    ) -> None:
        self.transport = transport
        self.repository = repository
        self.log = log
        self.writes: list[Write] = []  # every write sent, in order (see Write)
        self.seen: dict[int, dict[str, object]] = {}  # release id → its FIELDS as last read (small: no notes)
        self.asset_names: dict[int, str] = {}  # asset id → name, as last listed
        self.secret = secret  # the job's token: no text sent to be published may hold it (token_guard)
        self.api_origin = origin_of(transport.api_url)  # where the transport sends the token
        # Where html_url and download links point (for a valid api_url, which the transport holds).
        self.web_origin = web_origin_of(transport.api_url) or self.api_origin

    def server_now(self) -> float | None:
        """GitHub's clock, as the last answer told it (None before the first)."""
        return self.transport.server_now()

    @property
    def repo_path(self) -> str:
        return f"/repos/{self.repository}"

    def _api(self, path: str) -> str:
        return f"{self.transport.api_url}{path}"

    def get_release(self, release_id: int) -> dict | None:
        return self._release_or_none(f"{self.repo_path}/releases/{release_id}")

    def get_release_by_tag(self, tag: str) -> dict | None:
        """The published release of `tag`. Drafts are invisible here: GitHub answers 404."""
        return self._release_or_none(f"{self.repo_path}/releases/tags/{quote(tag, safe='')}")

    def iter_releases(self) -> Iterator[dict]:
        """Every release, drafts included, newest first, following Link headers."""
        return self._pages(f"{self.repo_path}/releases?per_page={PER_PAGE}", RELEASE, RELEASE_PAGE)

    def create_release(self, payload: dict) -> dict:
        self._refuse_the_secret(payload, "The release to create")
        tag = str(payload.get("tag_name", ""))
        sent = Write("create", None, tag, tuple((k, None, v) for k, v in fields_of(payload).items() if k in payload))
        data = self._sent(sent, lambda: self._release("POST", f"{self.repo_path}/releases", json=payload))
        self._record(dataclasses.replace(sent, release_id=data["id"]))
        return data

    def update_release(self, release_id: int, payload: dict) -> dict:
        self._refuse_the_secret(payload, f"The update of release {release_id}")
        before, after = self.seen.get(release_id, {}), fields_of(payload)
        changes = tuple((k, before.get(k), after[k]) for k in FIELDS if k in payload and before.get(k) != after[k])
        tag = str(payload.get("tag_name") or before.get("tag_name") or "")
        sent = Write("update", release_id, tag, changes)
        data = self._sent(sent, lambda: self._release("PATCH", f"{self.repo_path}/releases/{release_id}", json=payload))
        self._record(sent)
        return data

    def delete_release(self, release_id: int) -> bool:
        """Delete; False when it was already gone (someone else cleaned up first)."""
        sent = Write("delete", release_id, str(self.seen.get(release_id, {}).get("tag_name") or ""))
        deleted = self._sent(sent, lambda: self._delete(f"{self.repo_path}/releases/{release_id}"))
        if deleted:
            self._record(sent)
        return deleted

    def tag_exists(self, tag: str) -> bool:
        """Is `tag` in the repository? One read of the ref `refs/tags/TAG` (GitHub: "Get a reference").

        It answers the ref with exactly that name, or 404; an empty repository (no refs at all)
        answers 409. A list is how the older `git/refs/…` form answers a name that is only a
        prefix of refs: not this tag either.
        """
        url = self._api(f"{self.repo_path}/git/ref/tags/{quote(tag, safe='/')}")
        try:
            answer = self.transport.request("GET", url)
        except GitHubError as exc:
            if exc.status in (404, 409) and not isinstance(exc, UnexpectedAnswer):
                return False
            raise
        data = self._json(answer, "GET", url, GIT_REF.name)
        if isinstance(data, list):
            for item in data:
                self._check_shape(item, GIT_REF, answer.status, "GET", url)
            return False
        self._check_shape(data, GIT_REF, answer.status, "GET", url)
        if data["ref"] != f"refs/tags/{tag}":
            raise UnexpectedAnswer(
                answer.status,
                f"GitHub, or a proxy in front of it, answered with the git reference {data['ref']!r}; expected "
                f"refs/tags/{tag}",
                method="GET",
                url=url,
                hint=PROXY_HINT,
            )
        return True

    def repository_visible(self) -> bool:
        """Can the token see the repository? (GitHub answers 404 for one it may not see.)"""
        url = self._api(self.repo_path)
        try:
            self._shaped(self.transport.request("GET", url), REPOSITORY, "GET", url)
        except GitHubError as exc:
            if exc.status == 404 and not isinstance(exc, UnexpectedAnswer):
                return False
            raise
        return True

    def generate_notes(self, tag: str, target: str | None, previous_tag: str | None) -> dict:
        payload = {"tag_name": tag}
        if target:
            payload["target_commitish"] = target
        if previous_tag:
            payload["previous_tag_name"] = previous_tag
        url = self._api(f"{self.repo_path}/releases/generate-notes")
        # A POST that writes nothing: retried like a read when its answer is lost, and counted as one.
        answer = self.transport.request("POST", url, json=payload, writes=False)
        notes = self._shaped(answer, NOTES, "POST", url)
        self._refuse_the_secret(notes, f"The release notes GitHub generated for {tag}")
        return notes

    def list_assets(self, release_id: int) -> list[dict]:
        assets = list(self._pages(f"{self.repo_path}/releases/{release_id}/assets?per_page={PER_PAGE}", ASSET, None))
        self.asset_names.update((a["id"], a["name"]) for a in assets)
        return assets

    def delete_asset(self, asset_id: int) -> bool:
        sent = Write("delete asset", None, self.asset_names.get(asset_id, f"id {asset_id}"))
        deleted = self._sent(sent, lambda: self._delete(f"{self.repo_path}/releases/assets/{asset_id}"))
        if deleted:
            self._record(sent)
        return deleted

    def update_asset(self, asset_id: int, payload: dict) -> dict:
        """Change an asset's name or label (`PATCH /releases/assets/{id}`): no upload."""
        url = self._api(f"{self.repo_path}/releases/assets/{asset_id}")
        sent = Write("update asset", None, self.asset_names.get(asset_id, f"id {asset_id}"))
        answer = self._sent(sent, lambda: self.transport.request("PATCH", url, json=payload))
        self._record(sent)
        return self._shaped(answer, ASSET, "PATCH", url)

    def upload_asset(
        self, upload_url: str, name: str, stream: IO[bytes], size: int, content_type: str, label: str | None = None
    ) -> dict:
        """Stream `size` bytes to the release's upload URL (another origin on github.com), with `label` if any."""
        base = upload_url.split("{", 1)[0]
        origin = self.transport.upload_origin_of(base)
        sent = Write("upload", None, name)
        answer = self._sent(
            sent,
            lambda: self.transport.request(
                "POST",
                base,
                origin=origin,
                params={"name": name, "label": label} if label else {"name": name},
                data=stream,
                headers={"Content-Type": content_type, "Content-Length": str(size)},
            ),
        )
        self._record(sent)
        return self._shaped(answer, ASSET, "POST", base)

    # -- recording writes ------------------------------------------------------------------

    def _sent(self, write: Write, send: Callable[[], Any]) -> Any:
        """`send()`; a write whose answer was lost is recorded as such before OutcomeUnknown goes on."""
        try:
            return send()
        except OutcomeUnknown:
            self._record(dataclasses.replace(write, lost=True))
            raise

    def _record(self, write: Write) -> None:
        self.writes.append(write)

    def _refuse_the_secret(self, texts: Mapping[str, Any], what: str) -> None:
        """TokenFound if a text about to be published (a payload's fields, generated notes) holds the token."""
        if not self.secret:
            return
        for name, value in texts.items():
            if isinstance(value, str) and (form := found_in(value, self.secret)) is not None:
                raise TokenFound(
                    f"{what} holds the job's token in `{name}` ({form}); nothing of it was published. "
                    "A pull request title or description may quote the token: remove it there, and "
                    "revoke the token if it was a long-lived one."
                )

    # -- reading answers ---------------------------------------------------------------------

    def _json(self, answer: Answer, method: str, url: str, expected: str, page: Cap | None = None) -> Any:
        """The answer's JSON, parsed within bounds (bounded_json); else an UnexpectedAnswer.

        A `page` of a list holds at most PER_PAGE items, none bigger than a single answer may be.
        """
        try:
            if page is None:
                return bounded_json.loads(answer.body, cap=answer_cap().bytes)
            return bounded_json.loads(answer.body, cap=page.bytes, max_items=PER_PAGE, max_item_bytes=MAX_ANSWER_BYTES)
        except bounded_json.TooComplex as exc:
            sent = str(exc)
        except (ValueError, RecursionError):
            sent = answer.sent()
        raise UnexpectedAnswer(
            answer.status,
            f"GitHub, or a proxy in front of it, answered with {sent}; expected {expected}",
            method=method,
            url=url,
            hint=PROXY_HINT,
        )

    def _shaped(self, answer: Answer, shape: Shape, method: str, url: str) -> dict:
        data = self._json(answer, method, url, shape.name)
        self._check_shape(data, shape, answer.status, method, url)
        return data

    def _check_shape(self, data: Any, shape: Shape, status: int, method: str, url: str) -> None:
        """UnexpectedAnswer unless `data` is `shape`, its URLs included; a release's upload origin is noted."""
        if (problem := shape_problem(data, shape)) is not None:
            raise UnexpectedAnswer(
                status,
                f"GitHub, or a proxy in front of it, answered with {problem}; expected {shape.name} "
                "(a JSON object as GitHub's REST API documents it)",
                method=method,
                url=url,
                hint=PROXY_HINT,
            )
        self._check_urls(data, shape, status, method, url)
        if shape is RELEASE:
            self.seen[data["id"]] = fields_of(data)
            if isinstance(data.get("upload_url"), str):
                self.transport.note_upload_url(data["upload_url"])

    def _check_urls(self, data: dict, shape: Shape, status: int, method: str, url: str) -> None:
        for name, where in shape.urls.items():
            value = data.get(name)
            if value is None:
                continue
            if (problem := url_problem(value, where, self.api_origin, self.web_origin)) is not None:
                expected = self.web_origin if where == WEB else f"{self.api_origin} or GitHub's upload host for it"
                raise UnexpectedAnswer(
                    status,
                    f"GitHub, or a proxy in front of it, answered with {shape.name} whose `{name}` is refused "
                    f"(and not shown): {problem}; expected a URL on {expected}",
                    method=method,
                    url=url,
                    hint=PROXY_HINT,
                )
        for name, item_shape in shape.items.items():
            for item in data.get(name) or ():
                self._check_urls(item, item_shape, status, method, url)

    def _release(self, method: str, path: str, **kwargs: Any) -> dict:
        url = self._api(path)
        return self._shaped(self.transport.request(method, url, **kwargs), RELEASE, method, url)

    def _release_or_none(self, path: str) -> dict | None:
        try:
            return self._release("GET", path)
        except GitHubError as exc:
            if exc.status == 404 and not isinstance(exc, UnexpectedAnswer):
                return None
            raise

    def _pages(self, path: str, shape: Shape, cap: Cap | None) -> Iterator[dict]:
        """The items of a list endpoint, page by page along the Link header's `next`.

        At most MAX_PAGES pages (GitHub lists no more) of at most `cap` each (default:
        MAX_ANSWER_BYTES), each one once: a `next` that points at a page already read, or at
        another origin, is an error, not a loop.
        """
        url = self._api(path)
        seen = {url}
        for number in range(1, MAX_PAGES + 1):
            try:
                answer = self.transport.request("GET", url, cap=cap)
            except GitHubError as exc:
                # GitHub lists only the first 1000 items and answers 422 past them.
                if number == 1 or exc.status != 422 or isinstance(exc, UnexpectedAnswer):
                    raise
                self.log(f"{exc.message} Older items cannot be listed; going on without them.")
                return
            items = self._json(answer, "GET", url, f"a list of {shape.plural}", cap or answer_cap())
            status, link = answer.status, answer.links.get("next", {}).get("url")
            del answer  # the page's bytes, not held while the next page is read
            if not isinstance(items, list):
                raise UnexpectedAnswer(
                    status,
                    f"GitHub, or a proxy in front of it, answered with {json_kind_of(items)}; "
                    f"expected a list of {shape.plural}",
                    method="GET",
                    url=url,
                    hint=PROXY_HINT,
                )
            for item in items:
                self._check_shape(item, shape, status, "GET", url)
            yield from items
            del items  # nor this page's items, once the caller took what it keeps
            if not link:
                return
            following = urljoin(url, link)
            if (problem := url_problem(following, API_ORIGIN, self.api_origin, self.web_origin)) is not None:
                raise UnexpectedAnswer(
                    status,
                    f"GitHub, or a proxy in front of it, answered with a Link to the next page that is refused "
                    f"(and not shown): {problem}; expected the next page on the API's origin",
                    method="GET",
                    url=url,
                    hint=PROXY_HINT,
                )
            if following in seen:
                raise UnexpectedAnswer(
                    status,
                    f"GitHub, or a proxy in front of it, answered with a Link to a page already read "
                    f"({quote_url(following)}); expected the next page",
                    method="GET",
                    url=url,
                    hint=PROXY_HINT,
                )
            seen.add(following)
            url = following
        self.log(f"GitHub lists at most {MAX_PAGES * PER_PAGE} items; going on without older ones.")

    def _delete(self, path: str) -> bool:
        try:
            self.transport.request("DELETE", self._api(path))
        except GitHubError as exc:
            if exc.status == 404 and not isinstance(exc, UnexpectedAnswer):
                return False
            raise
        return True
