"""Per-run read views over HTTP: each token holder may see its own picture of the lag window.

The store keeps every version (state.Store.window); a view picks, per read and per release,
one of those written within its lag. The clock is the test's, so no test waits on a machine.
"""

from __future__ import annotations

from collections import Counter

import requests

from release_bench.sandbox import Sandbox
from release_bench.sandbox.views import Fresh, Lagged, Scattered, Snapshot

REPO = "octo/demo"
R = f"/repos/{REPO}/releases"


class Client(requests.Session):
    """One run's session: its own token, so the sandbox knows whose view to serve."""

    def __init__(self, sb: Sandbox, token: str) -> None:
        super().__init__()
        self.base = sb.api_url
        self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        return super().request(method, self.base + url, *args, timeout=30, **kwargs)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def two_runs(sandbox: Sandbox) -> tuple[Client, Client]:
    return Client(sandbox, sandbox.issue_token("run-1")), Client(sandbox, sandbox.issue_token("run-2"))


def test_the_window_lists_each_releases_versions_within_the_lag(sandbox, gh):
    sandbox.store.clock = clock = Clock()
    old = gh.post(R, json={"tag_name": "old", "body": "1"}).json()
    clock.now += 10
    gh.patch(f"{R}/{old['id']}", json={"body": "2"})
    new = gh.post(R, json={"tag_name": "new", "draft": True}).json()
    gh.delete(f"{R}/{new['id']}")

    repo = sandbox.store.repo(REPO)
    window = sandbox.store.window(repo, 5.0)

    assert [v["body"] for v in window[old["id"]]] == ["1", "2"]  # as of 5 s ago, then the new one
    assert [v and v["tag_name"] for v in window[new["id"]]] == [None, "new", None]  # born and gone since
    assert sandbox.store.window(repo, 0.0)[old["id"]][0]["body"] == "2"  # no lag: the true state first


def test_each_holder_reads_through_its_own_view_and_the_shared_lag_stays_for_the_rest(sandbox, gh):
    sandbox.store.clock = clock = Clock()
    one, two = two_runs(sandbox)
    sandbox.set_lag(1.0)
    sandbox.set_read_view("run-1", Fresh())
    sandbox.set_read_view("run-2", Lagged(5.0))
    rel = gh.post(R, json={"tag_name": "v1"}).json()
    clock.now += 2

    assert one.get(f"{R}/{rel['id']}").status_code == 200  # fresh
    assert two.get(f"{R}/{rel['id']}").status_code == 404  # 5 s behind
    assert gh.get(f"{R}/{rel['id']}").status_code == 200  # the shared 1 s lag has passed

    sandbox.set_read_view("run-2", None)
    assert two.get(f"{R}/{rel['id']}").status_code == 200  # back on the shared lag


def test_a_scattered_view_shows_one_release_new_beside_another_old_and_is_seeded(sandbox, gh):
    sandbox.store.clock = clock = Clock()
    one, _ = two_runs(sandbox)
    first = gh.post(R, json={"tag_name": "a", "draft": True}).json()
    second = gh.post(R, json={"tag_name": "b", "draft": True}).json()
    clock.now += 0.5

    def pictures(seed: int) -> list[tuple[int, ...]]:
        sandbox.set_read_view("run-1", Scattered(1.0, seed))
        return [tuple(sorted(r["id"] for r in one.get(R).json())) for _ in range(40)]

    seen = Counter(pictures(3))
    # every combination occurs, the newer draft without the older one among them
    assert set(seen) == {(), (first["id"],), (second["id"],), (first["id"], second["id"])}
    assert pictures(3) == pictures(3)  # the same seed, the same pictures
    clock.now += 1.0
    assert set(pictures(4)) == {(first["id"], second["id"])}  # older than the lag: seen by all


def test_the_window_keeps_the_order_of_the_writes_and_each_moment_is_a_state_as_of_one_of_them(sandbox, gh):
    sandbox.store.clock = clock = Clock()
    old = gh.post(R, json={"tag_name": "old", "body": "1"}).json()
    clock.now += 10
    new = gh.post(R, json={"tag_name": "new", "draft": True}).json()
    gh.patch(f"{R}/{old['id']}", json={"body": "2"})

    window = sandbox.store.window(sandbox.store.repo(REPO), 5.0)
    moments = [{rid: rel and (rel.get("body") or rel["tag_name"]) for rid, rel in m.items()} for m in window.moments()]

    assert [rid for rid, _ in window.writes] == [new["id"], old["id"]]  # since the horizon, in order
    assert moments == [
        {old["id"]: "1", new["id"]: None},  # as of 5 s ago
        {old["id"]: "1", new["id"]: "new"},
        {old["id"]: "2", new["id"]: "new"},  # never "2" without "new": it was written after it
    ]
    assert window.only([old["id"]]).moments() == [{old["id"]: m[old["id"]]} for m in window.moments()[::2]]


def test_a_snapshot_view_never_shows_a_release_without_one_written_before_it_and_is_seeded(sandbox, gh):
    sandbox.store.clock = clock = Clock()
    one, _ = two_runs(sandbox)
    first = gh.post(R, json={"tag_name": "a", "draft": True}).json()
    second = gh.post(R, json={"tag_name": "b", "draft": True}).json()
    clock.now += 0.5

    def pictures(seed: int) -> list[tuple[int, ...]]:
        sandbox.set_read_view("run-1", Snapshot(1.0, seed))
        return [tuple(sorted(r["id"] for r in one.get(R).json())) for _ in range(40)]

    seen = Counter(pictures(3))
    assert set(seen) == {(), (first["id"],), (first["id"], second["id"])}  # never the second alone
    assert pictures(3) == pictures(3)
    clock.now += 1.0
    assert set(pictures(4)) == {(first["id"], second["id"])}


def test_an_asset_file_stays_downloadable_while_a_holders_view_may_still_show_it(sandbox, gh, up):
    sandbox.issue_token("run-1")
    sandbox.set_read_view("run-1", Lagged(60.0))
    rel = gh.post(R, json={"tag_name": "v1"}).json()
    asset = up(rel, "a.txt", b"abc").json()

    gh.delete(f"{R}/assets/{asset['id']}")

    assert sandbox.store.view_lag == 60.0
    with open(sandbox.store.repo(REPO).history[rel["id"]][-2][1]["assets"][0]["path"], "rb") as fh:
        assert fh.read() == b"abc"
