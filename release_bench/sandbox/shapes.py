"""Render internal records as GitHub's JSON objects (REST API version 2022-11-28).

URLs point at the sandbox: `api` for REST URLs, `uploads` for upload_url, and `html`
(the API base too, so browser_download_url is servable) for what github.com would host.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

from .state import Record, Repo

BOT_LOGIN = "github-actions[bot]"
BOT_ID = 41898282


@dataclass(frozen=True)
class Urls:
    """Where the sandbox is served; decides every URL field in the JSON."""

    api: str
    uploads: str
    html: str


def iso(ts: float | None) -> str | None:
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def node_id(prefix: str, num: int) -> str:
    return prefix + base64.b64encode(f"0:{num}".encode()).decode().rstrip("=")


def simple_user(urls: Urls, login: str = BOT_LOGIN, uid: int = BOT_ID, kind: str = "Bot") -> dict[str, Any]:
    u = f"{urls.api}/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": node_id("MDM6Qm90", uid),
        "avatar_url": "https://avatars.githubusercontent.com/in/15368?v=4",
        "gravatar_id": "",
        "url": u,
        "html_url": f"{urls.html}/apps/github-actions",
        "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}",
        "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs",
        "repos_url": f"{u}/repos",
        "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events",
        "type": kind,
        "user_view_type": "public",
        "site_admin": False,
    }


def url_tag(rel: Record) -> str:
    """Drafts live under "untagged-<hex>" URLs on GitHub until they are published."""
    return f"untagged-{rel['slug']}" if rel["draft"] else rel["tag_name"]


def asset_json(urls: Urls, repo: str, rel: Record, asset: Record) -> dict[str, Any]:
    return {
        "url": f"{urls.api}/repos/{repo}/releases/assets/{asset['id']}",
        "id": asset["id"],
        "node_id": node_id("RA_", asset["id"]),
        "name": asset["name"],
        "label": asset["label"],
        "uploader": simple_user(urls),
        "content_type": asset["content_type"],
        "state": asset["state"],
        "size": asset["size"],
        "digest": asset["digest"],
        "download_count": asset["download_count"],
        "created_at": iso(asset["created_at"]),
        "updated_at": iso(asset["updated_at"]),
        "browser_download_url": f"{urls.html}/{repo}/releases/download/{url_tag(rel)}/{asset['name']}",
    }


def release_json(urls: Urls, repo: str, rel: Record) -> dict[str, Any]:
    base = f"{urls.api}/repos/{repo}/releases/{rel['id']}"
    tag = rel["tag_name"]
    out: dict[str, Any] = {
        "url": base,
        "assets_url": f"{base}/assets",
        "upload_url": f"{urls.uploads}/repos/{repo}/releases/{rel['id']}/assets{{?name,label}}",
        "html_url": f"{urls.html}/{repo}/releases/tag/{url_tag(rel)}",
        "id": rel["id"],
        "author": simple_user(urls),
        "node_id": node_id("RE_", rel["id"]),
        "tag_name": tag,
        "target_commitish": rel["target_commitish"],
        "name": rel["name"],
        "draft": rel["draft"],
        "immutable": rel["immutable"],
        "prerelease": rel["prerelease"],
        "created_at": iso(rel["created_at"]),
        "updated_at": iso(rel["updated_at"]),
        "published_at": iso(rel["published_at"]),
        "assets": [asset_json(urls, repo, rel, a) for a in rel["assets"]],
        "tarball_url": None if rel["draft"] else f"{urls.api}/repos/{repo}/tarball/{tag}",
        "zipball_url": None if rel["draft"] else f"{urls.api}/repos/{repo}/zipball/{tag}",
        "body": rel["body"],
    }
    if rel.get("discussion_category_name") and not rel["draft"]:
        out["discussion_url"] = f"{urls.html}/{repo}/discussions/{rel['id']}"
    return out


def git_ref_json(urls: Urls, repo: str, ref: str, sha: str) -> dict[str, Any]:
    """A git reference (`ref` as `tags/NAME` or `heads/NAME`) pointing at a commit."""
    return {
        "ref": f"refs/{ref}",
        "node_id": node_id("REF_", sum(map(ord, ref))),
        "url": f"{urls.api}/repos/{repo}/git/refs/{ref}",
        "object": {"type": "commit", "sha": sha, "url": f"{urls.api}/repos/{repo}/git/commits/{sha}"},
    }


def repo_json(urls: Urls, repo: Repo) -> dict[str, Any]:
    owner, name = repo.full_name.split("/")
    u = f"{urls.api}/repos/{repo.full_name}"
    return {
        "id": repo.id,
        "node_id": node_id("R_", repo.id),
        "name": name,
        "full_name": repo.full_name,
        "private": False,
        "owner": simple_user(urls, owner, 9000 + repo.id % 1000, "Organization"),
        "html_url": f"{urls.html}/{repo.full_name}",
        "description": None,
        "fork": False,
        "url": u,
        "releases_url": f"{u}/releases{{/id}}",
        "tags_url": f"{u}/tags",
        "git_refs_url": f"{u}/git/refs{{/sha}}",
        "default_branch": repo.default_branch,
        "visibility": "public",
        "archived": False,
        "disabled": False,
        "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-01T00:00:00Z",
        "pushed_at": "2020-01-01T00:00:00Z",
    }
