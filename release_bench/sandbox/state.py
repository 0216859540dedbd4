"""In-memory model of a few repositories' releases, assets and tags.

Every write appends a version to an append-only history, so a read can be served from
any version written within the lag window, as GitHub's read replicas answer right after
a write: `Store.window` lists, per release, the versions a read may see, and the order the
writes since were made in; a `ReadView` picks one version for each release (views.py: a fixed
lag, the fresh state, the state as of one moment within the lag, any version of each release
at random, and the explorer's enumeration). Writes always see (and validate against) the
true state. The clocks are injectable, so a test or the explorer runs on virtual time.
Rules inferred rather than recorded, and their evidence: RULES.md beside this file.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

MAX_BODY = 125000
DOC_CREATE = "https://docs.github.com/rest/releases/releases#create-a-release"
DOC_UPDATE = "https://docs.github.com/rest/releases/releases#update-a-release"
DOC_UPLOAD = "https://docs.github.com/rest/releases/assets#upload-a-release-asset"
DOC_ASSET = "https://docs.github.com/rest/releases/assets#update-a-release-asset"
DOC_LIST = "https://docs.github.com/rest/releases/releases#list-releases"
DOC_LIST_ASSETS = "https://docs.github.com/rest/releases/assets#list-release-assets"
# A list answers 422 past this many results (RULES.md: 1000 reported, 10000 for some repositories).
LIST_CAP = 1000
MAKE_LATEST = ("true", "false", "legacy")
# The error GitHub adds when publishing would create a tag its rules forbid, as reported
# verbatim in github-community-projects/ospo-reusable-workflows#83.
PRE_RECEIVE = {
    "resource": "Release",
    "code": "custom",
    "field": "pre_receive",
    "message": "pre_receive Repository rule violations found\n\n"
    "Cannot create ref due to creations being restricted.\n\n",
}
USED_BY_IMMUTABLE = "tag_name was used by an immutable release"
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_BAD_REF_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")

Record = dict[str, Any]


class Window(dict[int, list["Record | None"]]):
    """Release id → the versions a read lagging up to the lag may see, oldest first (the first as
    of the lag ago, None: not there then; the others written since, None: deleted); and `writes`,
    those written since in the order they were made, as (release id, version)."""

    def __init__(self, versions: dict[int, list[Record | None]] | None = None, writes: list | None = None) -> None:
        super().__init__(versions or {})
        self.writes: list[tuple[int, Record | None]] = writes or []

    def only(self, rids: Iterable[int]) -> Window:
        """The window of these releases alone."""
        keep = set(rids)
        versions = {rid: versions for rid, versions in self.items() if rid in keep}
        return Window(versions, [(rid, rel) for rid, rel in self.writes if rid in keep])

    def moments(self) -> list[dict[int, Record | None]]:
        """Every state of these releases as of one moment within the window, oldest first: as of
        the lag ago, then after each write since (a consistent read: one moment for all of them)."""
        state = {rid: versions[0] for rid, versions in self.items()}
        out = [dict(state)]
        for rid, rel in self.writes:
            state[rid] = rel
            out.append(dict(state))
        return out


class ReadView(Protocol):
    """Which of the versions in the lag window one read sees (views.py has the policies)."""

    lag: float  # how far back a read may reach, in seconds

    def pick(self, window: Window) -> dict[int, Record]:
        """One version for each release (None: not there), as the read sees them."""
        ...


class ApiError(Exception):
    """A GitHub-shaped error answer raised from deep inside the model."""

    def __init__(
        self,
        status: int,
        message: str,
        doc: str = "https://docs.github.com/rest",
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "documentation_url": doc}
        if errors is not None:
            self.body["errors"] = errors
        self.body["status"] = str(status)


def not_found() -> ApiError:
    return ApiError(404, "Not Found", "https://docs.github.com/rest")


def validation(
    resource: str, code: str, field: str | None = None, message: str | None = None, doc: str = DOC_CREATE
) -> ApiError:
    err: dict[str, Any] = {"resource": resource, "code": code}
    if field is not None:
        err["field"] = field
    if message is not None:
        err["message"] = message
    return ApiError(422, "Validation Failed", doc, [err])


def valid_ref_name(name: str) -> bool:
    """Apply `git check-ref-format` rules, since GitHub rejects tags git would reject."""
    if not name or name == "@" or "@{" in name or ".." in name or "//" in name:
        return False
    if _BAD_REF_CHARS.search(name) or name.startswith("/") or name.endswith(("/", ".")):
        return False
    return all(part and not part.startswith(".") and not part.endswith(".lock") for part in name.split("/"))


def github_asset_name(name: str) -> str:
    """The name GitHub stores an uploaded file under: the simulator's own reading of the evidence.

    GitHub documents only that "special characters, non-alphanumeric characters, and leading or
    trailing periods" are renamed. Names reported as uploaded and stored (REPORTED_ASSET_NAMES)
    show each character outside ASCII letters, digits and ``._+-`` becoming a period. Modelled
    beyond them (see RULES.md): neighbouring periods merge into one, trailing periods go, and a
    leading period gets the prefix "default". Written character by character on purpose, apart
    from the action's own rule, so the cross-check between the two can catch a wrong one.
    """
    out: list[str] = []
    for char in name:
        kept = char if char.isascii() and (char.isalnum() or char in "._+-") else "."
        if not (kept == "." and out and out[-1] == "."):
            out.append(kept)
    stored = "".join(out).rstrip(".")
    if stored.startswith("."):
        stored = "default" + stored
    return stored or "default"


# What users saw GitHub store for a name they uploaded: (uploaded, stored, where it was reported).
REPORTED_ASSET_NAMES = (
    ("My App 1.0.0 Setup.exe", "My.App.1.0.0.Setup.exe", "cli/cli#10585"),
    (
        "app.prod-v1.3.0-(15-5)-6064eac-release.apk",
        "app.prod-v1.3.0-.15-5.-6064eac-release.apk",
        "actions/upload-release-asset#57",
    ),
    ("The Brain.js", "The.Brain.js", "github-release/github-release#93"),
)


class Repo:
    """One repository's true state plus the version history used for lagged reads."""

    def __init__(self, full_name: str, repo_id: int, immutable: bool, default_branch: str, sha: str) -> None:
        self.full_name = full_name
        self.id = repo_id
        self.immutable = immutable
        self.default_branch = default_branch
        self.branches: dict[str, str] = {default_branch: sha}
        self.tags: dict[str, tuple[str, float]] = {}  # name -> (sha, valid from; monotonic)
        self.releases: dict[int, Record] = {}
        self.history: dict[int, list[tuple[float, Record | None]]] = {}
        self.log: list[tuple[float, int, Record | None]] = []  # every write to a release, in order
        self.burned: set[str] = set()  # tags of deleted immutable releases: never published again


class Store:
    """All repositories behind one lock; methods raise ApiError for API-visible failures."""

    def __init__(
        self,
        seed: int | None = None,
        lag: float = 0.0,
        untag_edited_drafts: bool = True,
        list_cap: int = LIST_CAP,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] | None = None,
        tmpdir: str | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock  # for lag and tag validity
        # For timestamps (created_at, updated_at), as GitHub's clock. By default time.time as it is
        # when called, not as it was at import: a test that stops GitHub's clock by patching
        # time.time (tests/e2e/github_clock.py) must stop this one too.
        self.wall = wall or (lambda: time.time())
        self.lag = lag  # the default view: every read as of `lag` seconds ago
        self.view_lag = 0.0  # the longest lag of a reader's own view (core.Sandbox.set_read_view)
        self.untag_edited_drafts = untag_edited_drafts  # RULES.md: "a draft edited without tag_name"
        self.list_cap = list_cap  # RULES.md: "a list stops at its cap"
        self.rng = random.Random(seed)
        self.repos: dict[str, Repo] = {}
        self.asset_index: dict[int, tuple[str, int]] = {}
        self._next_release = 100000
        self._next_asset = 500000
        self._next_repo = 7000
        self.keep_tmpdir = tmpdir is not None  # given: the caller's to remove
        self.tmpdir = tmpdir or tempfile.mkdtemp(prefix="gh-sandbox-")  # where asset bytes are kept
        self.on_publish: Callable[[str, Record], None] | None = None
        self.on_commit: Callable[[str, int, Record | None, Record | None], None] | None = None  # (repo, id, old, new)

    # ---- plumbing -------------------------------------------------------------------------
    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def close(self) -> None:
        if not self.keep_tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def repo(self, full_name: str) -> Repo:
        repo = self.repos.get(full_name.lower())
        if repo is None:
            raise not_found()
        return repo

    def _commit(self, repo: Repo, rel: Record | None, rid: int, seeded: bool = False) -> None:
        if self.on_commit is not None and not seeded:
            self.on_commit(repo.full_name, rid, repo.releases.get(rid), rel)
        if rel is None:
            repo.releases.pop(rid, None)
        else:
            repo.releases[rid] = rel
        # Seeded state is back-dated so that lagged readers see it as old news.
        when = float("-inf") if seeded else self.clock()
        repo.history.setdefault(rid, []).append((when, rel))
        repo.log.append((when, rid, rel))

    def window(self, repo: Repo, lag: float, rids: Iterable[int] | None = None) -> Window:
        """Per release, the versions a read lagging up to `lag` seconds may see, oldest first.

        The first is the version current `lag` seconds ago (None: the release did not exist
        then); the others were written since (None: deleted), and `writes` lists those in the
        order they were made. `rids` limits it to those releases.
        """
        horizon = self.clock() - lag
        out = Window()
        only = None if rids is None else set(rids)
        out.writes = [(rid, rel) for t, rid, rel in repo.log if t > horizon and (only is None or rid in only)]
        for rid in repo.history if rids is None else rids:
            seen: Record | None = None
            later: list[Record | None] = []
            for t, rel in repo.history.get(rid, ()):
                if t > horizon:
                    later.append(rel)
                else:
                    seen = rel
            if seen is not None or later:
                out[rid] = [seen, *later]
        return out

    def view(self, repo: Repo, lagged: bool = True, read: ReadView | None = None) -> dict[int, Record]:
        """Releases as a reader sees them: as `read` picks them from the lag window, by default
        the state `lag` seconds ago; `lagged=False`: the true state (what writes see)."""
        if not lagged:
            return dict(repo.releases)
        if read is None:
            if self.lag <= 0:
                return dict(repo.releases)
            return {rid: versions[0] for rid, versions in self.window(repo, self.lag).items() if versions[0]}
        return read.pick(self.window(repo, read.lag))

    # ---- repositories and tags ------------------------------------------------------------
    def add_repo(self, full_name: str, immutable: bool = False, default_branch: str = "main") -> None:
        if full_name.count("/") != 1:
            raise ValueError(f"repository must be owner/name: {full_name!r}")
        with self.lock:
            if full_name.lower() in self.repos:
                return
            self._next_repo += 1
            self.repos[full_name.lower()] = Repo(full_name, self._next_repo, immutable, default_branch, self.hex(40))

    def push_tag(self, full_name: str, tag: str, sha: str | None = None, valid_after: float = 0.0) -> str:
        with self.lock:
            repo = self.repo(full_name)
            sha = sha or self.hex(40)
            repo.tags[tag] = (sha, self.clock() + valid_after)
            return sha

    def ref(self, full_name: str, ref: str) -> str:
        """The commit `ref` (`tags/NAME` or `heads/NAME`) points at; 404 unless a ref has exactly that name.

        Tags are those `push_tag` recorded and those publishing created; they have no read lag here.
        """
        with self.lock:
            repo = self.repo(full_name)
            kind, _, name = ref.partition("/")
            if kind == "tags" and name in repo.tags:
                return repo.tags[name][0]
            if kind == "heads" and name in repo.branches:
                return repo.branches[name]
            raise ApiError(404, "Not Found", "https://docs.github.com/rest/git/refs#get-a-reference")

    def _ensure_tag(self, repo: Repo, tag: str, commitish: str) -> None:
        """Publishing needs a usable tag: create it at target_commitish, or wait for a new one."""
        if tag in repo.burned:  # RULES.md, "a tag of a deleted immutable release is never published again"
            errors = [] if tag in repo.tags else [PRE_RECEIVE]
            errors += [
                {"resource": "Release", "code": "custom", "field": "tag_name", "message": USED_BY_IMMUTABLE},
                {"resource": "Release", "code": "custom", "message": "Published releases must have a valid tag"},
            ]
            raise ApiError(422, "Validation Failed", DOC_CREATE, errors)
        if tag in repo.tags:
            if repo.tags[tag][1] > self.clock():
                raise validation("Release", "custom", message="Published releases must have a valid tag")
            return
        if commitish in repo.branches:
            sha = repo.branches[commitish]
        elif SHA_RE.match(commitish):
            sha = commitish
        else:  # the three errors GitHub was reported to give (RULES.md, "Publishing needs a usable tag")
            raise ApiError(
                422,
                "Validation Failed",
                DOC_CREATE,
                [
                    {
                        "resource": "Release",
                        "code": "custom",
                        "field": "tag_name",
                        "message": "tag_name is not a valid tag",
                    },
                    {"resource": "Release", "code": "custom", "message": "Published releases must have a valid tag"},
                    {"resource": "Release", "code": "invalid", "field": "target_commitish"},
                ],
            )
        repo.tags[tag] = (sha, self.clock())

    # ---- releases -------------------------------------------------------------------------
    def _check_unique(self, repo: Repo, tag: str, rid: int | None) -> None:
        for other in repo.releases.values():
            if other["id"] != rid and not other["draft"] and other["tag_name"] == tag:
                raise validation("Release", "already_exists", "tag_name")

    @staticmethod
    def _check_fields(fields: dict[str, Any], doc: str) -> None:
        tag = fields.get("tag_name")
        if tag is not None and (not isinstance(tag, str) or not valid_ref_name(tag)):
            raise validation("Release", "custom", "tag_name", "tag_name is not a valid tag", doc)
        body = fields.get("body")
        if isinstance(body, str) and len(body) > MAX_BODY:
            raise validation("Release", "custom", "body", f"body is too long (maximum is {MAX_BODY} characters)", doc)
        ml = fields.get("make_latest")
        if ml is not None and ml not in MAKE_LATEST:
            raise ApiError(422, f"Invalid request.\n\n{ml!r} is not a member of {list(MAKE_LATEST)}.", doc)
        for key in ("draft", "prerelease", "generate_release_notes"):
            if key in fields and not isinstance(fields[key], bool):
                raise ApiError(
                    422, f"Invalid request.\n\nFor 'properties/{key}', {fields[key]!r} is not a boolean.", doc
                )

    def _notes(self, repo: Repo, tag: str, html: str, previous: str | None = None) -> str:
        prev = [r for r in repo.releases.values() if not r["draft"] and r["tag_name"] != tag]
        prev.sort(key=lambda r: (r["created_at"], r["id"]))
        base = f"{html}/{repo.full_name}"
        since = previous or (prev[-1]["tag_name"] if prev else None)
        if since:
            return f"## What's Changed\n* Changes since {since}\n\n**Full Changelog**: {base}/compare/{since}...{tag}"
        return f"## What's Changed\n* First release\n\n**Full Changelog**: {base}/commits/{tag}"

    def generate_notes(self, full_name: str, fields: dict[str, Any], html: str = "") -> dict[str, str]:
        """POST /releases/generate-notes: the notes GitHub would write, without a release."""
        tag = fields.get("tag_name")
        if not isinstance(tag, str):
            raise ApiError(422, 'Invalid request.\n\n"tag_name" wasn\'t supplied.', DOC_CREATE)
        previous = fields.get("previous_tag_name")
        with self.lock:
            repo = self.repo(full_name)
            if previous is not None and previous not in repo.tags:
                raise validation(
                    "Release", "invalid", "previous_tag_name", f"previous tag {previous} was not found", DOC_CREATE
                )
            return {"name": tag, "body": self._notes(repo, tag, html, previous)}

    def create_release(self, full_name: str, fields: dict[str, Any], html: str = "", seeded: bool = False) -> Record:
        if not isinstance(fields.get("tag_name"), str):
            raise ApiError(422, 'Invalid request.\n\n"tag_name" wasn\'t supplied.', DOC_CREATE)
        self._check_fields(fields, DOC_CREATE)
        with self.lock:
            repo = self.repo(full_name)
            tag = fields["tag_name"]
            draft = bool(fields.get("draft", False))
            commitish = fields.get("target_commitish") or repo.default_branch
            if not draft:
                self._check_unique(repo, tag, None)
                self._ensure_tag(repo, tag, commitish)
            body = fields.get("body")
            if fields.get("generate_release_notes"):
                notes = self._notes(repo, tag, html)
                body = f"{body}\n\n{notes}" if body else notes
            self._next_release += 1
            now = self.wall() - (3600 if seeded else 0)  # seeded state stands for an earlier day's work
            rel: Record = {
                "id": self._next_release,
                "tag_name": tag,
                "target_commitish": commitish,
                "name": fields.get("name"),
                "body": body,
                "draft": draft,
                "prerelease": bool(fields.get("prerelease", False)),
                "created_at": now,
                "updated_at": now,
                "published_at": None if draft else now,
                "make_latest": fields.get("make_latest") or "true",
                "latest_mark": None,
                "slug": self.hex(20),
                "immutable": bool(not draft and repo.immutable),
                "discussion_category_name": fields.get("discussion_category_name"),
                "assets": (),
            }
            if not draft and rel["make_latest"] == "true" and not rel["prerelease"]:
                rel["latest_mark"] = self.clock()
            self._commit(repo, rel, rel["id"], seeded)
            if not draft and self.on_publish and not seeded:
                self.on_publish(repo.full_name, rel)
            return rel

    def get_release(self, full_name: str, rid: int, lagged: bool = True, read: ReadView | None = None) -> Record:
        with self.lock:
            rel = self.view(self.repo(full_name), lagged, read).get(rid)
            if rel is None:
                raise not_found()
            return rel

    def update_release(self, full_name: str, rid: int, fields: dict[str, Any], html: str = "") -> Record:
        self._check_fields(fields, DOC_UPDATE)
        with self.lock:
            repo = self.repo(full_name)
            old = repo.releases.get(rid)
            if old is None:
                raise not_found()
            rel = dict(old)
            if self._untags(old, fields):
                rel["tag_name"] = f"untagged-{old['slug']}"
            for key in (
                "tag_name",
                "target_commitish",
                "name",
                "body",
                "prerelease",
                "draft",
                "make_latest",
                "discussion_category_name",
            ):
                if key in fields and (fields[key] is not None or key in ("name", "body")):
                    rel[key] = fields[key]
            if old["immutable"] and (rel["tag_name"] != old["tag_name"] or rel["draft"]):
                raise ApiError(422, "Cannot modify the tag or draft state of an immutable release.", DOC_UPDATE)
            publishing = old["draft"] and not rel["draft"]
            if not rel["draft"]:
                self._check_unique(repo, rel["tag_name"], rid)
                if publishing or rel["tag_name"] != old["tag_name"]:
                    self._ensure_tag(repo, rel["tag_name"], rel["target_commitish"])
            now = self.wall()
            rel["updated_at"] = now
            if publishing:
                rel["published_at"] = now
                rel["immutable"] = repo.immutable
            if rel["draft"]:
                rel["published_at"] = None
            if fields.get("make_latest") == "true" or (publishing and rel["make_latest"] == "true"):
                rel["latest_mark"] = self.clock()
            self._commit(repo, rel, rid)
            if publishing and self.on_publish:
                self.on_publish(repo.full_name, rel)
            return rel

    def draft_again(self, full_name: str, rid: int) -> Record | None:
        """The racing drafter's write (RULES.md): a published release back to a draft, its tag
        kept; None when there is nothing to flip (gone, a draft already, or immutable)."""
        with self.lock:
            repo = self.repos.get(full_name.lower())
            rel = repo.releases.get(rid) if repo else None
            if repo is None or rel is None or rel["draft"] or rel["immutable"]:
                return None
            flipped = dict(rel, draft=True, published_at=None, updated_at=self.wall())
            self._commit(repo, flipped, rid)
            return flipped

    def _untags(self, old: Record, fields: dict[str, Any]) -> bool:
        """Does this PATCH detach a draft from its tag (RULES.md, "a draft edited without tag_name")?

        Reported: a draft edited without `tag_name` that stays a draft. Not applied to the PATCH
        that publishes it: the widely used create-draft-then-publish flow omits `tag_name` there.
        """
        stays_draft = fields.get("draft") is not False
        return self.untag_edited_drafts and old["draft"] and stays_draft and "tag_name" not in fields

    def delete_release(self, full_name: str, rid: int) -> None:
        with self.lock:
            repo = self.repo(full_name)
            rel = repo.releases.get(rid)
            if rel is None:
                raise not_found()
            for asset in rel["assets"]:
                self._drop_asset_file(asset)
            if rel["immutable"] and not rel["draft"]:
                repo.burned.add(rel["tag_name"])
            self._commit(repo, None, rid)

    def latest(self, full_name: str, read: ReadView | None = None) -> Record:
        """Newest published non-prerelease; an explicit make_latest=true wins over age."""
        with self.lock:
            cands = [
                r
                for r in self.view(self.repo(full_name), read=read).values()
                if not r["draft"] and not r["prerelease"] and r["make_latest"] != "false"
            ]
            if not cands:
                raise not_found()
            return max(cands, key=lambda r: (r["latest_mark"] or 0.0, r["created_at"], r["id"]))

    def by_tag(self, full_name: str, tag: str, read: ReadView | None = None) -> Record:
        with self.lock:
            for rel in sorted(self.view(self.repo(full_name), read=read).values(), key=lambda r: r["id"]):
                if rel["tag_name"] == tag and not rel["draft"]:
                    return rel
            raise not_found()

    def listing(self, full_name: str, read: ReadView | None = None) -> list[Record]:
        with self.lock:
            rels = list(self.view(self.repo(full_name), read=read).values())
        rels.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
        return rels

    # ---- assets ---------------------------------------------------------------------------
    def _find_asset(
        self, full_name: str, aid: int, lagged: bool, read: ReadView | None = None
    ) -> tuple[Repo, Record, Record]:
        repo = self.repo(full_name)
        loc = self.asset_index.get(aid)
        if loc is None or loc[0] != repo.full_name.lower():
            raise not_found()
        rel = self.view(repo, lagged, read).get(loc[1])
        for asset in rel["assets"] if rel else ():
            if asset["id"] == aid:
                return repo, rel, asset
        raise not_found()

    def get_asset(
        self, full_name: str, aid: int, lagged: bool = True, read: ReadView | None = None
    ) -> tuple[Record, Record]:
        with self.lock:
            _, rel, asset = self._find_asset(full_name, aid, lagged, read)
            return rel, asset

    def _replace_asset(self, repo: Repo, rel: Record, asset: Record | None, aid: int, seeded: bool = False) -> Record:
        assets = [a for a in rel["assets"] if a["id"] != aid]
        if asset is not None:
            assets.append(asset)
        assets.sort(key=lambda a: a["id"])
        new = dict(rel, assets=tuple(assets))
        self._commit(repo, new, rel["id"], seeded)
        return new

    @staticmethod
    def _check_mutable(rel: Record, doc: str) -> None:
        if rel["immutable"] and not rel["draft"]:
            raise ApiError(422, "Cannot upload assets to an immutable release.", doc)

    def start_upload(
        self, full_name: str, rid: int, name: str, label: str | None, content_type: str, seeded: bool = False
    ) -> Record:
        """Register a "starter" asset; it stays that way if the upload never completes."""
        with self.lock:
            repo = self.repo(full_name)
            rel = repo.releases.get(rid)
            if rel is None:
                raise not_found()
            if not seeded:
                self._check_mutable(rel, DOC_UPLOAD)
            name = github_asset_name(name)
            if any(a["name"] == name for a in rel["assets"]):
                raise validation("ReleaseAsset", "already_exists", "name", doc=DOC_UPLOAD)
            self._next_asset += 1
            aid = self._next_asset
            now = self.wall()
            asset: Record = {
                "id": aid,
                "name": name,
                "label": label or "",
                "content_type": content_type,
                "state": "starter",
                "size": 0,
                "digest": None,
                "download_count": 0,
                "created_at": now,
                "updated_at": now,
                "path": os.path.join(self.tmpdir, f"asset-{aid}"),
            }
            self.asset_index[aid] = (repo.full_name.lower(), rid)
            self._replace_asset(repo, rel, asset, aid, seeded)
            return asset

    def finish_upload(self, full_name: str, aid: int, size: int, digest: str | None, seeded: bool = False) -> Record:
        """The upload is complete; `digest` is its hex sha256 (None: an asset from before GitHub reported digests)."""
        with self.lock:
            repo, _, asset = self._find_asset(full_name, aid, lagged=False)
            rel = repo.releases[self.asset_index[aid][1]]
            reported = f"sha256:{digest}" if digest is not None else None
            asset = dict(asset, state="uploaded", size=size, digest=reported, updated_at=self.wall())
            self._replace_asset(repo, rel, asset, aid, seeded)
            return asset

    def update_asset(self, full_name: str, aid: int, fields: dict[str, Any]) -> tuple[Record, Record]:
        with self.lock:
            repo, rel, asset = self._find_asset(full_name, aid, lagged=False)
            self._check_mutable(rel, DOC_ASSET)
            asset = dict(asset)
            if isinstance(fields.get("name"), str):
                name = github_asset_name(fields["name"])
                if any(a["name"] == name and a["id"] != aid for a in rel["assets"]):
                    raise validation("ReleaseAsset", "already_exists", "name", doc=DOC_ASSET)
                asset["name"] = name
            if "label" in fields:
                asset["label"] = fields["label"] or ""
            if isinstance(fields.get("state"), str):
                asset["state"] = fields["state"]
            asset["updated_at"] = self.wall()
            rel = self._replace_asset(repo, rel, asset, aid)
            return rel, asset

    def delete_asset(self, full_name: str, aid: int) -> None:
        with self.lock:
            repo, rel, asset = self._find_asset(full_name, aid, lagged=False)
            self._check_mutable(rel, DOC_ASSET)
            self._replace_asset(repo, rel, None, aid)
            self._drop_asset_file(asset)

    def _drop_asset_file(self, asset: Record) -> None:
        if max(self.lag, self.view_lag) <= 0:  # lagged readers may still download it
            with contextlib.suppress(OSError):
                os.unlink(asset["path"])
