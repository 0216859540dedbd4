"""Fidelity against the real thing: recorded GitHub traffic, GitHub's OpenAPI schemas
(via githubkit's generated pydantic models) and an unmodified third-party client (PyGithub)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from release_bench.sandbox import Sandbox

REPO = "octo/demo"
R = f"/repos/{REPO}/releases"


# Recorded GitHub traffic, in the repository with its licence and provenance (see its README.md).
FIXTURES = Path(__file__).resolve().parent / "recorded" / "octokit-fixtures"


def same_shape(rec: Any, ours: Any, where: str = "$") -> None:
    """Every recorded field exists in ours with the same JSON type (null in the recording
    matches anything)."""
    if rec is None:
        return
    assert type(ours) is type(rec), f"{where}: {type(rec).__name__} vs {type(ours).__name__}"
    if isinstance(rec, dict):
        for key, val in rec.items():
            assert key in ours, f"{where}.{key} missing"
            same_shape(val, ours[key], f"{where}.{key}")
    elif isinstance(rec, list):
        assert len(ours) >= min(len(rec), 1), f"{where}: empty list"
        for i, (a, b) in enumerate(zip(rec, ours, strict=False)):
            same_shape(a, b, f"{where}[{i}]")


def learn_ids(rec: Any, ours: Any, ids: dict[tuple[str, int], int]) -> None:
    if isinstance(rec, dict) and isinstance(ours, dict):
        if isinstance(rec.get("id"), int) and "/releases/" in str(rec.get("url", "")):
            kind = "asset" if "/releases/assets/" in rec["url"] else "release"
            ids[(kind, rec["id"])] = ours["id"]
        for key, val in rec.items():
            learn_ids(val, ours.get(key), ids)
    elif isinstance(rec, list) and isinstance(ours, list):
        for a, b in zip(rec, ours, strict=False):
            learn_ids(a, b, ids)


@pytest.mark.parametrize("scenario", ["release-assets", "release-assets-conflict"])
def test_replay_octokit_fixtures(scenario):
    records = json.loads((FIXTURES / scenario / "normalized-fixture.json").read_text())
    full = f"octokit-fixture-org/{scenario}"
    with Sandbox(repos=(full,)) as sb:
        assets = [("test-upload.txt", b"Hello, world!\n")] if "conflict" in scenario else []
        seeded = sb.seed_release(full, "v1.0.0", name="Version 1.0.0", body="Initial release", assets=assets)
        ids = {("release", 1000): seeded["id"]}
        if assets:
            ids[("asset", 1000)] = seeded["assets"][0]["id"]
        for rec in records:
            path = re.sub(
                r"/releases/assets/(\d+)", lambda m: f"/releases/assets/{ids[('asset', int(m[1]))]}", rec["path"]
            )
            path = re.sub(r"/releases/(\d+)/", lambda m: f"/releases/{ids[('release', int(m[1]))]}/", path)
            base = sb.uploads_url if "uploads." in rec["scope"] else sb.api_url
            headers = {k: str(v) for k, v in rec["reqheaders"].items() if k in ("accept", "content-type")}
            headers["authorization"] = f"token {sb.token}"
            body = rec["body"]
            data = (body if isinstance(body, str) else json.dumps(body)).encode() if body else None
            resp = requests.request(rec["method"].upper(), base + path, data=data, headers=headers, timeout=10)
            where = f"{rec['method']} {rec['path']}"
            assert resp.status_code == rec["status"], where
            if rec["response"] not in ("", None):
                ours = resp.json()
                same_shape(rec["response"], ours, where)
                for key in ("tarball_url", "zipball_url"):  # the archive URLs as GitHub spells them
                    if isinstance(rec["response"], dict) and rec["response"].get(key):
                        assert ours[key] == rec["response"][key].replace("https://api.github.com", sb.api_url), where
                learn_ids(rec["response"], ours, ids)
                if rec["status"] < 300:
                    assert resp.headers["content-type"] == rec["headers"]["content-type"]


def _fields(model: Any) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


def test_openapi_schemas(sandbox, gh, up):
    models = pytest.importorskip("githubkit_schemas.v2022_11_28.models")
    rel = gh.post(
        R, json={"tag_name": "v1", "name": "n", "body": "b", "discussion_category_name": "Announcements"}
    ).json()
    up(rel, "a.txt", b"abc")
    gh.post(R, json={"tag_name": "v2", "draft": True, "prerelease": True})
    sandbox.seed_release(REPO, "v0")
    rel_keys, asset_keys = _fields(models.Release), _fields(models.ReleaseAsset)
    releases = [*gh.get(R).json(), gh.get(f"{R}/latest").json(), gh.get(f"{R}/tags/v1").json()]
    assert len(releases) == 5
    for doc in releases:
        models.Release.model_validate(doc)
        assert set(doc) <= rel_keys, set(doc) - rel_keys
        for asset in doc["assets"]:
            assert set(asset) <= asset_keys, set(asset) - asset_keys
    listed = gh.get(f"{R}/{rel['id']}/assets").json()
    assert listed
    for asset in [*listed, gh.get(f"{R}/assets/{listed[0]['id']}").json()]:
        models.ReleaseAsset.model_validate(asset)
    ref = gh.get(f"/repos/{REPO}/git/ref/tags/v1").json()  # the tag the publish of v1 made
    models.GitRef.model_validate(ref)
    assert set(ref) == _fields(models.GitRef) and set(ref["object"]) == _fields(models.GitRefPropObject)


def test_pygithub_unchanged(tmp_path):
    github = pytest.importorskip("github")
    # PyGithub only follows upload URLs on its own host:port or on sub-domains of the API
    # host; the sandbox serves uploads GHES-style under {api_url}/api/uploads.
    with Sandbox() as sb:
        gh = github.Github(
            auth=github.Auth.Token(sb.token),
            base_url=sb.api_url,
            retry=None,
            seconds_between_requests=0,
            seconds_between_writes=0,
        )
        repo = gh.get_repo(REPO)
        assert repo.full_name == REPO
        rel = repo.create_git_release("v1.0.0", "First", "notes", draft=True)
        assert rel.draft and rel.id
        rel = rel.update_release(name="First!", message="more notes", draft=False, tag_name="v1.0.0")
        assert not rel.draft and rel.name == "First!"
        assert [r.tag_name for r in repo.get_releases()] == ["v1.0.0"]
        assert repo.get_release("v1.0.0").id == rel.id
        assert repo.get_latest_release().id == rel.id
        f = tmp_path / "dist file.txt"
        f.write_bytes(b"payload")
        asset = rel.upload_asset(str(f), content_type="text/plain")
        assert asset.name == "dist.file.txt" and asset.size == 7
        assert sb.asset_bytes(REPO, asset.id) == b"payload"
        assert [a.name for a in rel.get_assets()] == ["dist.file.txt"]
        assert asset.delete_asset()
        rel.delete_release()
        assert sb.releases(REPO) == []
        assert {e["route"] for e in sb.log} >= {
            "create_release",
            "update_release",
            "upload_asset",
            "delete_asset",
            "delete_release",
            "list_releases",
        }
        gh.close()


@pytest.mark.parametrize("untag_edited_drafts", [True, False], ids=["untag-on", "untag-off"])
def test_softprops_action_gh_release_create_draft_then_publish(untag_edited_drafts):
    """The request flow of softprops/action-gh-release since v2.5.0 (src/github.ts: `release` →
    `createRelease` → `canonicalizeCreatedRelease`, then `upload`, then `finalizeRelease`), with
    the bodies its published bundle (v2.6.2, dist/index.js) sent when run unmodified against this
    sandbox. Its publishing PATCH is `{"draft": false}` with no tag_name; on GitHub, with
    thousands of repositories using it, that ends in a published release for the tag (RULES.md)."""
    with Sandbox(seed=1, untag_edited_drafts=untag_edited_drafts) as sb, requests.Session() as gh:
        gh.headers["Authorization"] = f"token {sb.token}"
        api = sb.api_url + R
        assert gh.get(f"{api}/tags/v1.0.0", timeout=10).status_code == 404
        created = gh.post(
            api,
            json={"tag_name": "v1.0.0", "name": "v1.0.0", "draft": True, "generate_release_notes": False},
            timeout=10,
        )
        assert created.status_code == 201
        draft = created.json()
        assert gh.get(f"{api}/tags/v1.0.0", timeout=10).status_code == 404  # drafts are not found by tag
        listed = gh.get(api, params={"per_page": 100}, timeout=10).json()
        assert [r["id"] for r in listed if r["tag_name"] == "v1.0.0"] == [draft["id"]]
        upload = draft["upload_url"].split("{")[0]
        asset = gh.post(upload, params={"name": "app.txt"}, data=b"hello\n", timeout=10)
        assert asset.status_code == 201

        published = gh.patch(f"{api}/{draft['id']}", json={"draft": False}, timeout=10)

        assert published.status_code == 200
        assert published.json()["tag_name"] == "v1.0.0" and published.json()["draft"] is False
        assert published.json()["html_url"].endswith("/releases/tag/v1.0.0")
        assets = gh.get(f"{api}/{draft['id']}/assets", params={"per_page": 100}, timeout=10).json()
        assert [a["name"] for a in assets] == ["app.txt"]
        by_tag = gh.get(f"{api}/tags/v1.0.0", timeout=10).json()
        assert by_tag["id"] == draft["id"] and by_tag["assets"][0]["name"] == "app.txt"
        assert [(r["tag_name"], r["draft"]) for r in sb.releases(REPO)] == [("v1.0.0", False)]
