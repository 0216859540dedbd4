"""Behaviour of the releases endpoints over real HTTP."""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from release_bench.sandbox import Sandbox
from release_bench.sandbox.state import REPORTED_ASSET_NAMES, github_asset_name

REPO = "octo/demo"
R = f"/repos/{REPO}/releases"


def test_auth_and_common_headers(sandbox, gh):
    assert requests.get(sandbox.api_url + R, timeout=10).status_code == 401
    bad = requests.get(sandbox.api_url + R, headers={"Authorization": "token nope"}, timeout=10)
    assert bad.status_code == 401
    assert bad.json()["message"] == "Bad credentials"
    assert bad.json()["status"] == "401"
    ro = {"Authorization": f"token {sandbox.readonly_token}"}
    assert requests.get(sandbox.api_url + R, headers=ro, timeout=10).status_code == 200
    denied = requests.post(sandbox.api_url + R, json={"tag_name": "v1"}, headers=ro, timeout=10)
    assert denied.status_code == 403
    assert denied.json()["message"] == "Resource not accessible by integration"
    assert sandbox.releases(REPO) == []
    r1, r2 = gh.get(R), gh.get(R)
    for r in (r1, r2):
        assert r.headers["Content-Type"] == "application/json; charset=utf-8"
        assert r.headers["x-github-request-id"]
        assert r.headers["x-ratelimit-resource"] == "core"
        assert int(r.headers["x-ratelimit-reset"]) > time.time()
    assert int(r2.headers["x-ratelimit-remaining"]) == int(r1.headers["x-ratelimit-remaining"]) - 1
    assert int(r2.headers["x-ratelimit-used"]) == int(r1.headers["x-ratelimit-used"]) + 1
    assert int(r2.headers["x-ratelimit-limit"]) == 5000
    rl = gh.get("/rate_limit").json()
    assert rl["resources"]["core"]["limit"] == 5000


def test_unknown_repo_and_route(gh):
    r = gh.get("/repos/octo/missing/releases")
    assert r.status_code == 404
    assert r.json()["message"] == "Not Found"
    assert gh.get("/nope").status_code == 404
    assert gh.put(R).status_code == 404
    repo = gh.get(f"/repos/{REPO}").json()
    assert repo["full_name"] == REPO
    assert repo["default_branch"] == "main"


def test_create_published(sandbox, gh):
    r = gh.post(R, json={"tag_name": "v1.0.0", "name": "One", "body": "hello"})
    assert r.status_code == 201
    rel = r.json()
    assert r.headers["Location"] == rel["url"] == f"{sandbox.api_url}{R}/{rel['id']}"
    assert rel["upload_url"] == (f"{sandbox.uploads_url}/repos/{REPO}/releases/{rel['id']}/assets{{?name,label}}")
    assert rel["html_url"].endswith(f"/{REPO}/releases/tag/v1.0.0")
    assert rel["tarball_url"].endswith("/tarball/v1.0.0")
    assert rel["draft"] is False and rel["published_at"] and rel["immutable"] is False
    assert rel["target_commitish"] == "main"
    assert rel["author"]["login"] and rel["node_id"]
    assert "v1.0.0" in sandbox.tags(REPO)
    again = gh.post(R, json={"tag_name": "v1.0.0"})
    assert again.status_code == 422
    assert again.json()["message"] == "Validation Failed"
    assert again.json()["errors"] == [{"resource": "Release", "code": "already_exists", "field": "tag_name"}]
    assert again.json()["status"] == "422"
    assert len(sandbox.releases(REPO)) == 1


def test_drafts(sandbox, gh):
    d1 = gh.post(R, json={"tag_name": "v2", "draft": True}).json()
    d2 = gh.post(R, json={"tag_name": "v2", "draft": True}).json()
    assert d1["id"] != d2["id"]
    assert d1["published_at"] is None and d1["tarball_url"] is None
    assert "/releases/tag/untagged-" in d1["html_url"]
    assert len(d1["html_url"].rsplit("untagged-", 1)[1]) == 20
    assert "v2" not in sandbox.tags(REPO)
    assert gh.get(f"{R}/tags/v2").status_code == 404
    assert gh.get(f"{R}/{d1['id']}").json()["draft"] is True
    # publish d1 (tag_name given), then d2 can't be published on the same tag
    pub = gh.patch(f"{R}/{d1['id']}", json={"tag_name": "v2", "draft": False})
    assert pub.status_code == 200 and pub.json()["published_at"]
    assert pub.json()["html_url"].endswith("/tag/v2")
    assert "v2" in sandbox.tags(REPO)
    clash = gh.patch(f"{R}/{d2['id']}", json={"tag_name": "v2", "draft": False})
    assert clash.status_code == 422
    assert clash.json()["errors"][0]["code"] == "already_exists"
    assert gh.get(f"{R}/tags/v2").json()["id"] == d1["id"]
    # published -> draft is allowed
    back = gh.patch(f"{R}/{d1['id']}", json={"draft": True})
    assert back.status_code == 200 and back.json()["draft"] is True
    assert back.json()["published_at"] is None


@pytest.mark.parametrize("stays_draft", [{}, {"draft": True}], ids=["draft-omitted", "draft-true"])
def test_a_draft_edited_without_tag_name_that_stays_a_draft_loses_its_tag(gh, stays_draft):
    d = gh.post(R, json={"tag_name": "v3", "draft": True}).json()
    r = gh.patch(f"{R}/{d['id']}", json={"body": "notes", **stays_draft}).json()
    assert r["tag_name"].startswith("untagged-") and len(r["tag_name"]) == 29
    assert r["body"] == "notes" and r["draft"] is True
    kept = gh.patch(f"{R}/{d['id']}", json={"tag_name": "v3", "name": "n"}).json()
    assert kept["tag_name"] == "v3" and kept["name"] == "n"
    pub = gh.post(R, json={"tag_name": "v4"}).json()
    assert gh.patch(f"{R}/{pub['id']}", json={"body": "x"}).json()["tag_name"] == "v4"


def test_the_patch_that_publishes_a_draft_keeps_its_tag_without_tag_name(sandbox, gh):
    d = gh.post(R, json={"tag_name": "v3", "draft": True, "body": "b"}).json()
    pub = gh.patch(f"{R}/{d['id']}", json={"draft": False, "make_latest": "true"})
    assert pub.status_code == 200
    assert pub.json()["tag_name"] == "v3" and pub.json()["draft"] is False
    assert pub.json()["html_url"].endswith("/releases/tag/v3")
    assert "v3" in sandbox.tags(REPO)
    assert gh.get(f"{R}/tags/v3").json()["id"] == d["id"]


def test_with_the_knob_off_an_edited_draft_keeps_its_tag():
    with Sandbox(seed=1, untag_edited_drafts=False) as sb:
        auth = {"Authorization": f"Bearer {sb.token}"}
        d = requests.post(sb.api_url + R, json={"tag_name": "v3", "draft": True}, headers=auth, timeout=10).json()
        r = requests.patch(f"{sb.api_url}{R}/{d['id']}", json={"body": "notes"}, headers=auth, timeout=10).json()
        assert r["tag_name"] == "v3" and r["draft"] is True


def test_validation_errors(gh):
    missing = gh.post(R, json={"name": "x"})
    assert missing.status_code == 422
    assert "tag_name" in missing.json()["message"]
    long = gh.post(R, json={"tag_name": "v1", "body": "x" * 125001})
    assert long.status_code == 422
    assert long.json()["errors"] == [
        {
            "resource": "Release",
            "code": "custom",
            "field": "body",
            "message": "body is too long (maximum is 125000 characters)",
        }
    ]
    assert gh.post(R, json={"tag_name": "v1", "body": "x" * 125000}).status_code == 201
    for bad in ("a..b", "a b", "x~1", "-/.x", "end.", "x.lock", "a//b", "@", "q?", "/a"):
        r = gh.post(R, json={"tag_name": bad})
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["field"] == "tag_name"
    assert gh.post(R, json={"tag_name": "release/v1-rc.1"}).status_code == 201
    nocommit = gh.post(R, json={"tag_name": "v9", "target_commitish": "nobranch"})
    assert nocommit.status_code == 422
    assert [(e["code"], e.get("field")) for e in nocommit.json()["errors"]] == [
        ("custom", "tag_name"),
        ("custom", None),
        ("invalid", "target_commitish"),
    ]
    sha = "a" * 40
    ok = gh.post(R, json={"tag_name": "v10", "target_commitish": sha})
    assert ok.status_code == 201
    assert gh.post(R, json={"tag_name": "v11", "make_latest": "maybe"}).status_code == 422
    assert gh.post(R, data="{not json").status_code == 400


def test_tag_created_at_target(sandbox, gh):
    sha = "b" * 40
    gh.post(R, json={"tag_name": "t1", "target_commitish": sha})
    assert sandbox.tags(REPO)["t1"] == sha
    pushed = sandbox.push_tag(REPO, "t2", "c" * 40)
    gh.post(R, json={"tag_name": "t2", "target_commitish": "main"})
    assert sandbox.tags(REPO)["t2"] == pushed == "c" * 40


def test_get_a_reference_answers_only_the_ref_of_exactly_that_name(sandbox, gh):
    refs = f"/repos/{REPO}/git/ref"
    pushed = sandbox.push_tag(REPO, "v1.0.0", "d" * 40)
    sandbox.push_tag(REPO, "release/2024.5")
    r = gh.get(f"{refs}/tags/v1.0.0")
    assert r.status_code == 200
    assert r.json() == {
        "ref": "refs/tags/v1.0.0",
        "node_id": r.json()["node_id"],
        "url": f"{sandbox.api_url}/repos/{REPO}/git/refs/tags/v1.0.0",
        "object": {"type": "commit", "sha": pushed, "url": f"{sandbox.api_url}/repos/{REPO}/git/commits/{pushed}"},
    }
    assert gh.get(f"{refs}/tags/release/2024.5").json()["ref"] == "refs/tags/release/2024.5"  # slashes as they are
    assert gh.get(f"{refs}/tags/release%2F2024.5").json()["ref"] == "refs/tags/release/2024.5"
    for missing in ("tags/v1", "tags/v1.0.0.1", "tags/release", "v1.0.0", "heads/v1.0.0", "tags/"):
        answer = gh.get(f"{refs}/{missing}")  # a prefix, a longer name, no namespace: none of them is the ref
        assert answer.status_code == 404, missing
        assert answer.json()["message"] == "Not Found"
    assert gh.get(f"{refs}/heads/main").json()["object"]["sha"] == sandbox.store.repo(REPO).branches["main"]
    assert gh.get(f"{refs}/tags/v2").status_code == 404
    gh.post(R, json={"tag_name": "v2", "draft": True})  # a draft makes no tag
    assert gh.get(f"{refs}/tags/v2").status_code == 404
    gh.post(R, json={"tag_name": "v2"})  # publishing does
    assert gh.get(f"{refs}/tags/v2").json()["object"]["sha"] == sandbox.tags(REPO)["v2"]
    assert gh.get(f"/repos/{REPO}/git/ref/tags/v1.0.0", headers={"Authorization": "token nope"}).status_code == 401


class Clock:
    """The sandbox's clock for lag and tag validity, moved by the test: no test waits on a
    machine's speed (a busy machine can take longer than a short lag between two requests)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_just_pushed_tag_is_not_valid_yet(sandbox, gh):
    sandbox.store.clock = clock = Clock()
    sandbox.push_tag(REPO, "fresh", valid_after=0.3)
    r = gh.post(R, json={"tag_name": "fresh"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"] == "Published releases must have a valid tag"
    assert gh.post(R, json={"tag_name": "fresh", "draft": True}).status_code == 201
    clock.now += 0.35
    assert gh.post(R, json={"tag_name": "fresh"}).status_code == 201


def test_generate_release_notes(gh):
    gh.post(R, json={"tag_name": "v1"})
    first = gh.get(f"{R}/tags/v1").json()
    r = gh.post(R, json={"tag_name": "v2", "body": "Intro", "generate_release_notes": True})
    body = r.json()["body"]
    assert body.startswith("Intro\n")
    assert "## What's Changed" in body
    assert f"/{REPO}/compare/v1...v2" in body
    assert first["body"] is None


def test_get_latest_and_by_tag(sandbox, gh):
    assert gh.get(f"{R}/latest").status_code == 404
    a = gh.post(R, json={"tag_name": "a"}).json()
    b = gh.post(R, json={"tag_name": "b"}).json()
    assert gh.get(f"{R}/latest").json()["id"] == b["id"]
    gh.post(R, json={"tag_name": "pre", "prerelease": True})
    gh.post(R, json={"tag_name": "nolatest", "make_latest": "false"})
    gh.post(R, json={"tag_name": "d", "draft": True})
    assert gh.get(f"{R}/latest").json()["id"] == b["id"]
    gh.patch(f"{R}/{a['id']}", json={"make_latest": "true"})
    assert gh.get(f"{R}/latest").json()["id"] == a["id"]
    assert gh.get(f"{R}/tags/b").json()["id"] == b["id"]
    assert gh.get(f"{R}/tags/zzz").status_code == 404
    assert gh.get(f"{R}/999").status_code == 404


def test_list_order_and_pagination(sandbox, gh):
    ids = [gh.post(R, json={"tag_name": f"v{i}", "draft": i % 2 == 0}).json()["id"] for i in range(7)]
    listed = gh.get(R).json()
    assert [r["id"] for r in listed] == ids[::-1]
    p1 = gh.get(R, params={"per_page": 3})
    assert [r["id"] for r in p1.json()] == ids[::-1][:3]
    assert p1.links["next"]["url"] == f"{sandbox.api_url}{R}?per_page=3&page=2"
    assert p1.links["last"]["url"].endswith("page=3")
    assert "prev" not in p1.links
    p3 = gh.get(p1.links["last"]["url"])
    assert [r["id"] for r in p3.json()] == ids[:1]
    assert "next" not in p3.links and p3.links["first"]["url"].endswith("page=1")
    assert gh.get(p3.links["prev"]["url"]).json()[0]["id"] == ids[3]
    assert len(gh.get(R, params={"per_page": 500}).json()) == 7
    assert gh.get(R, params={"per_page": 100, "page": 10}).status_code == 200
    big = gh.get(R, params={"per_page": 100, "page": 11})
    assert big.status_code == 422
    assert big.json()["message"] == "Only the first 1000 results are available."
    assert big.json()["documentation_url"] == "https://docs.github.com/rest/releases/releases#list-releases"


def test_the_list_cap_is_a_knob_for_repositories_reported_to_list_ten_thousand():
    with Sandbox(list_cap=10000) as sb:
        auth = {"Authorization": f"Bearer {sb.token}"}
        page = requests.get(sb.api_url + R, params={"per_page": 100, "page": 11}, headers=auth, timeout=30)
        assert page.status_code == 200
        beyond = requests.get(sb.api_url + R, params={"per_page": 100, "page": 101}, headers=auth, timeout=30)
        assert beyond.status_code == 422
        assert beyond.json()["message"] == "Only the first 10000 results are available."


def test_delete_release(sandbox, gh):
    rel = gh.post(R, json={"tag_name": "gone"}).json()
    assert gh.delete(f"{R}/{rel['id']}").status_code == 204
    assert gh.get(f"{R}/{rel['id']}").status_code == 404
    assert gh.delete(f"{R}/{rel['id']}").status_code == 404
    assert "gone" in sandbox.tags(REPO)  # deleting a release keeps its tag


def test_seed_release_and_true_state(sandbox, gh):
    seeded = sandbox.seed_release(
        REPO, "s1", name="Seed", body="b", assets=[("a.txt", b"abc"), ("b.bin", b"", "starter")]
    )
    assert seeded["name"] == "Seed"
    assert [a["state"] for a in seeded["assets"]] == ["uploaded", "starter"]
    assert sandbox.asset_bytes(REPO, seeded["assets"][0]["id"]) == b"abc"
    assert gh.get(f"{R}/tags/s1").json()["assets"][0]["name"] == "a.txt"
    assert sandbox.count() == 1  # seeding is not logged
    d = sandbox.seed_release(REPO, "s2", draft=True)
    assert [r["id"] for r in sandbox.releases(REPO)] == [seeded["id"], d["id"]]


def test_lag_hides_recent_writes(sandbox, gh):
    sandbox.store.clock = clock = Clock()
    old = sandbox.seed_release(REPO, "old")  # seeded state is back-dated: visible at once
    sandbox.set_lag(0.4)
    new = gh.post(R, json={"tag_name": "new"})
    assert new.status_code == 201
    assert gh.get(f"{R}/{new.json()['id']}").status_code == 404
    assert gh.get(f"{R}/tags/new").status_code == 404
    assert [r["id"] for r in gh.get(R).json()] == [old["id"]]
    # writes see the true state
    assert gh.post(R, json={"tag_name": "new"}).status_code == 422
    renamed = gh.patch(f"{R}/{old['id']}", json={"name": "renamed"})
    assert renamed.json()["name"] == "renamed"
    assert gh.get(f"{R}/{old['id']}").json()["name"] is None
    clock.now += 0.45
    assert gh.get(f"{R}/{new.json()['id']}").status_code == 200
    assert gh.get(f"{R}/{old['id']}").json()["name"] == "renamed"
    gh.delete(f"{R}/{old['id']}")
    assert gh.get(f"{R}/{old['id']}").status_code == 200
    sandbox.set_lag(0)
    assert gh.get(f"{R}/{old['id']}").status_code == 404


def test_drafter_flips_published_release_back(sandbox, gh):
    sandbox.start_drafter(REPO, "v5", flips=1, delay=0.05)
    rel = gh.post(R, json={"tag_name": "v5"}).json()
    assert rel["draft"] is False
    deadline = time.time() + 30  # a bound for a stuck timer, not an expected time
    while time.time() < deadline and not sandbox.releases(REPO)[0]["draft"]:
        time.sleep(0.02)
    flipped = sandbox.releases(REPO)[0]
    assert flipped["draft"] is True and flipped["tag_name"] == "v5"
    assert flipped["published_at"] is None
    again = gh.patch(f"{R}/{rel['id']}", json={"tag_name": "v5", "draft": False}).json()
    time.sleep(0.2)
    assert sandbox.releases(REPO)[0]["draft"] is False  # only one flip
    assert again["draft"] is False


def test_immutable_release(sandbox, gh, up):
    sandbox.add_repo("octo/locked", immutable=True)
    base = "/repos/octo/locked/releases"
    draft = gh.post(base, json={"tag_name": "v1", "draft": True}).json()
    assert draft["immutable"] is False
    asset = up(draft, "ok.txt").json()
    pub = gh.patch(f"{base}/{draft['id']}", json={"tag_name": "v1", "draft": False}).json()
    assert pub["immutable"] is True
    late = up(pub, "late.txt")
    assert late.status_code == 422
    assert late.json()["message"] == "Cannot upload assets to an immutable release."
    assert gh.delete(f"{base}/assets/{asset['id']}").status_code == 422
    assert gh.patch(f"{base}/assets/{asset['id']}", json={"name": "x"}).status_code == 422
    assert gh.patch(f"{base}/{pub['id']}", json={"body": "edited"}).status_code == 200
    sandbox.set_immutable(REPO, True)
    assert gh.post(R, json={"tag_name": "x"}).json()["immutable"] is True


def test_a_tag_of_a_deleted_immutable_release_is_never_published_again(sandbox, gh):
    sandbox.add_repo("octo/locked", immutable=True)
    base = "/repos/octo/locked/releases"
    first = gh.post(base, json={"tag_name": "v1"}).json()
    assert first["immutable"] is True
    assert gh.delete(f"{base}/{first['id']}").status_code == 204

    again = gh.post(base, json={"tag_name": "v1"})
    assert again.status_code == 422
    messages = [e.get("message") for e in again.json()["errors"]]
    assert messages == ["tag_name was used by an immutable release", "Published releases must have a valid tag"]
    draft = gh.post(base, json={"tag_name": "v1", "draft": True})  # a draft may carry it ...
    assert draft.status_code == 201
    publish = gh.patch(f"{base}/{draft.json()['id']}", json={"tag_name": "v1", "draft": False})
    assert publish.status_code == 422  # ... but is never published with it
    assert [e.get("field") for e in publish.json()["errors"]] == ["tag_name", None]

    with sandbox.store.lock:  # the tag deleted too: GitHub's ruleset refuses to create it again
        del sandbox.store.repo("octo/locked").tags["v1"]
    gone = gh.post(base, json={"tag_name": "v1"}).json()["errors"]
    assert [e.get("field") for e in gone] == ["pre_receive", "tag_name", None]
    assert "Cannot create ref due to creations being restricted." in gone[0]["message"]


def test_a_deleted_draft_or_mutable_release_leaves_its_tag_free(sandbox, gh):
    sandbox.add_repo("octo/locked", immutable=True)
    base = "/repos/octo/locked/releases"
    draft = gh.post(base, json={"tag_name": "v1", "draft": True}).json()
    assert gh.delete(f"{base}/{draft['id']}").status_code == 204
    assert gh.post(base, json={"tag_name": "v1"}).status_code == 201
    mutable = gh.post(R, json={"tag_name": "v2"}).json()
    assert gh.delete(f"{R}/{mutable['id']}").status_code == 204
    assert gh.post(R, json={"tag_name": "v2"}).status_code == 201


def test_log_and_count(sandbox, gh):
    gh.get(R, headers={"User-Agent": "ua-test"})
    gh.post(R, json={"tag_name": "v1"})
    gh.get("/nope")
    log = sandbox.log
    assert [e["route"] for e in log] == ["list_releases", "create_release", None]
    assert log[0]["user_agent"] == "ua-test" and log[0]["status"] == 200
    assert log[1]["method"] == "POST" and log[1]["fault"] is None and log[1]["t"] > 0
    assert sandbox.count() == 3
    assert sandbox.count(method="POST") == 1
    assert sandbox.count(route="list_releases") == 1
    sandbox.clear_log()
    assert sandbox.count() == 0


def test_issued_tokens_write_and_the_log_names_their_holder(sandbox, gh):
    token = sandbox.issue_token("run-1")
    assert token not in (sandbox.token, sandbox.readonly_token)
    mine = {"Authorization": f"token {token}"}
    assert requests.post(sandbox.api_url + R, json={"tag_name": "v1"}, headers=mine, timeout=10).status_code == 201
    gh.get(R)
    requests.get(sandbox.api_url + R, headers={"Authorization": f"token {sandbox.readonly_token}"}, timeout=10)
    requests.get(sandbox.api_url + R, timeout=10)
    assert [e["client"] for e in sandbox.log] == ["run-1", "write", "read", None]
    with pytest.raises(ValueError, match="already issued"):
        sandbox.issue_token("run-1")


def test_latency_delays_every_request_without_serialising_them():
    n, delay = 8, 0.25
    with Sandbox(seed=1, latency=(delay, delay)) as sb:
        auth = {"Authorization": f"token {sb.token}"}

        def timed_get(_: int) -> float:
            start = time.monotonic()
            assert requests.get(sb.api_url + R, headers=auth, timeout=10).status_code == 200
            return time.monotonic() - start

        start = time.monotonic()
        with ThreadPoolExecutor(n) as pool:
            each = list(pool.map(timed_get, range(n)))
        wall = time.monotonic() - start
    assert min(each) >= delay
    assert wall < n * delay * 0.75, f"{n} requests of {delay} s took {wall:.2f} s: they were serialised"


def test_latency_is_seeded_and_checked():
    draws = []
    for _ in range(2):
        with Sandbox(seed=3, latency=(0.01, 0.2)) as sb:
            draws.append([sb._delay() for _ in range(5)])
    assert draws[0] == draws[1] and len(set(draws[0])) == 5
    assert all(0.01 <= d <= 0.2 for d in draws[0])
    with pytest.raises(ValueError, match="latency"):
        Sandbox(latency=(0.2, 0.1))


def test_the_start_line_holds_each_runs_first_request_until_all_have_arrived():
    with Sandbox(seed=1) as sb:
        tokens = {h: sb.issue_token(h) for h in ("a", "b", "c")}
        sb.start_line(list(tokens))
        answered: dict[str, float] = {}

        def first_request(holder: str) -> None:
            auth = {"Authorization": f"token {tokens[holder]}"}
            assert requests.get(sb.api_url + R, headers=auth, timeout=10).status_code == 200
            answered[holder] = time.monotonic()

        with ThreadPoolExecutor(3) as pool:
            pool.submit(first_request, "a")
            pool.submit(first_request, "b")
            time.sleep(0.3)
            assert answered == {}, "held until the last run arrives"
            assert gh_get(sb).status_code == 200, "a request of no run passes"
            last_arrived = time.monotonic()
            pool.submit(first_request, "c")
        assert set(answered) == {"a", "b", "c"} and min(answered.values()) >= last_arrived
        started = time.monotonic()
        gh_get(sb, tokens["a"])
        assert time.monotonic() - started < 0.2, "later requests are not held"


def test_the_start_line_keeps_the_first_steps_of_every_run_in_lockstep():
    """Judged on when each request was sent and answered, not on which client thread woke first
    (two answers released together reach their threads in either order)."""
    with Sandbox(seed=1) as sb:
        tokens = {h: sb.issue_token(h) for h in ("a", "b")}
        sb.start_line(list(tokens), steps=2)
        sent: dict[str, list[float]] = {"a": [], "b": []}
        answered: dict[str, list[float]] = {"a": [], "b": []}
        a_is_through = threading.Event()

        def request(holder: str) -> None:
            sent[holder].append(time.monotonic())
            gh_get(sb, tokens[holder])
            answered[holder].append(time.monotonic())

        def run_a() -> None:
            for _ in range(3):
                request("a")
            a_is_through.set()

        def run_b() -> bool:
            request("b")
            time.sleep(0.3)  # slow before its second step: "a" must wait at the line for it
            request("b")
            free = a_is_through.wait(30)  # past the line, "a" goes on without waiting for "b"
            request("b")
            return free

        with ThreadPoolExecutor(2) as pool:
            pool.submit(run_a)
            b = pool.submit(run_b)
        for step in (0, 1):
            assert answered["a"][step] >= sent["b"][step], f"a's step {step + 1} was answered before b's was sent"
            assert answered["b"][step] >= sent["a"][step], f"b's step {step + 1} was answered before a's was sent"
        assert b.result(), "the third request of a run is free again: it never waits for the others"


def test_the_start_line_opens_after_its_timeout_when_a_run_never_comes():
    with Sandbox(seed=1) as sb:
        token = sb.issue_token("a")
        sb.issue_token("never")
        sb.start_line(["a", "never"], timeout=0.3)
        started = time.monotonic()
        assert gh_get(sb, token).status_code == 200
        assert 0.3 <= time.monotonic() - started < 2


def gh_get(sb: Sandbox, token: str | None = None) -> requests.Response:
    return requests.get(sb.api_url + R, headers={"Authorization": f"token {token or sb.token}"}, timeout=10)


@pytest.mark.parametrize(("uploaded", "stored", "reported_in"), REPORTED_ASSET_NAMES)
def test_the_simulator_stores_asset_names_as_users_saw_github_store_them(uploaded, stored, reported_in):
    assert github_asset_name(uploaded) == stored, reported_in


def test_seeded_assets_report_githubs_digest_or_none_as_before_june_2025(sandbox, gh):
    sandbox.seed_release(
        REPO, "v1", assets=[("new.zip", b"new\n"), ("old.zip", b"old\n", "old"), ("cut.zip", b"", "starter")]
    )
    (release,) = gh.get(R).json()
    listed = {a["name"]: a for a in gh.get(f"{R}/{release['id']}/assets").json()}
    assert listed["new.zip"]["digest"] == "sha256:" + hashlib.sha256(b"new\n").hexdigest()
    assert (listed["old.zip"]["state"], listed["old.zip"]["size"], listed["old.zip"]["digest"]) == ("uploaded", 4, None)
    assert (listed["cut.zip"]["state"], listed["cut.zip"]["digest"]) == ("starter", None)
    assert requests.get(listed["old.zip"]["browser_download_url"], timeout=10).content == b"old\n"
