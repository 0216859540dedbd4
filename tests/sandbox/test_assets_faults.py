"""Assets, uploads (under the API's /api/uploads), faults and the CLI, over real HTTP."""

from __future__ import annotations

import hashlib
import io
import os
import shlex
import socket
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from urllib.parse import urlsplit

import pytest
import requests

from release_bench.sandbox import Sandbox, github_asset_name, valid_ref_name
from release_bench.sandbox.cli import build_parser, main, ready_lines

REPO = "octo/demo"
R = f"/repos/{REPO}/releases"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("plain.tar.gz", "plain.tar.gz"),
        ("my file (1).zip", "my.file.1.zip"),
        ("a~b:c", "a.b.c"),
        (".env", "default.env"),
        ("trail.", "trail"),
        ("v1+x_y-z", "v1+x_y-z"),
        ("ünï.txt", "default.n.txt"),
        ("a..b", "a.b"),
    ],
)
def test_github_asset_name(given, stored):
    assert github_asset_name(given) == stored


def test_valid_ref_name():
    assert valid_ref_name("v1.2.3") and valid_ref_name("rel/1") and valid_ref_name("a@b")
    assert not any(map(valid_ref_name, ["", "a..b", ".x", "x/.y", "a.lock", "a^", "a\\b"]))


def test_upload_list_get_patch_download_delete(sandbox, gh, up):
    rel = gh.post(R, json={"tag_name": "v1"}).json()
    data = b"Hello, world!\n"
    r = up(rel, "my file.txt", data, "text/plain")
    assert r.status_code == 201
    asset = r.json()
    assert r.url.startswith(f"{sandbox.api_url}/api/uploads/")  # the API's own origin, as on GHES
    assert asset["name"] == "my.file.txt" and asset["state"] == "uploaded"
    assert asset["size"] == len(data) and asset["content_type"] == "text/plain"
    assert asset["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert asset["url"] == f"{sandbox.api_url}{R}/assets/{asset['id']}"
    dup = up(rel, "my file.txt", b"x")
    assert dup.status_code == 422
    assert dup.json()["errors"] == [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}]
    listed = gh.get(f"{R}/{rel['id']}/assets").json()
    assert [a["id"] for a in listed] == [asset["id"]]
    assert gh.get(f"{R}/{rel['id']}").json()["assets"][0]["id"] == asset["id"]
    assert gh.get(f"{R}/assets/{asset['id']}").json()["name"] == "my.file.txt"
    raw = gh.get(f"{R}/assets/{asset['id']}", headers={"Accept": "application/octet-stream"})
    assert raw.status_code == 200 and raw.content == data
    assert requests.get(asset["browser_download_url"], timeout=10).content == data
    assert sandbox.count(route="download_asset") == 1
    patched = gh.patch(f"{R}/assets/{asset['id']}", json={"name": "new name.txt", "label": "L"})
    assert patched.json()["name"] == "new.name.txt" and patched.json()["label"] == "L"
    assert gh.delete(f"{R}/assets/{asset['id']}").status_code == 204
    assert gh.get(f"{R}/assets/{asset['id']}").status_code == 404
    assert gh.get(f"{R}/{rel['id']}/assets").json() == []
    assert up({"upload_url": rel["upload_url"].replace(str(rel["id"]), "1")}, "x").status_code == 404
    # uploads are taken under /api/uploads only, not at /repos/...
    assert gh.post(f"{R}/{rel['id']}/assets", params={"name": "x"}, data=b"1").status_code == 404


def test_upload_needs_length_and_write_token(sandbox, gh):
    rel = gh.post(R, json={"tag_name": "v1"}).json()
    url = rel["upload_url"].split("{")[0] + "?name=a.txt"
    chunked = gh.post(url, data=iter([b"abc"]))
    assert chunked.status_code == 411
    ro = requests.post(url, data=b"x", timeout=10, headers={"Authorization": f"token {sandbox.readonly_token}"})
    assert ro.status_code == 403
    assert requests.post(url, data=b"x", timeout=10).status_code == 401


def test_large_streamed_upload(sandbox, gh, up):
    rel = gh.post(R, json={"tag_name": "big"}).json()
    size = 64 << 20
    digest = hashlib.sha256()

    def body():
        block = bytes(1 << 20)
        for _ in range(size >> 20):
            digest.update(block)
            yield block

    url = rel["upload_url"].split("{")[0]
    r = gh.post(
        url,
        params={"name": "zeros.bin"},
        data=body(),
        headers={"Content-Length": str(size), "Content-Type": "application/zip"},
    )
    assert r.status_code == 201
    assert r.json()["size"] == size
    assert r.json()["digest"] == "sha256:" + digest.hexdigest()


def test_interrupted_upload_leaves_starter(sandbox, gh):
    rel = gh.post(R, json={"tag_name": "v1"}).json()
    up = urlsplit(sandbox.uploads_url)
    with socket.create_connection((up.hostname, up.port)) as s:
        s.sendall(
            (
                f"POST {up.path}/repos/{REPO}/releases/{rel['id']}/assets?name=cut.bin HTTP/1.1\r\n"
                f"Host: x\r\nAuthorization: token {sandbox.token}\r\n"
                "Content-Type: application/zip\r\nContent-Length: 1000\r\n\r\n"
            ).encode()
            + b"x" * 10
        )
    deadline = time.time() + 30  # a bound for a stuck server, not an expected time
    while time.time() < deadline and not sandbox.releases(REPO)[0]["assets"]:
        time.sleep(0.02)
    asset = sandbox.releases(REPO)[0]["assets"][0]
    assert asset["state"] == "starter" and asset["name"] == "cut.bin"
    assert gh.post(rel["upload_url"].split("{")[0], params={"name": "cut.bin"}, data=b"1").status_code == 422
    assert gh.delete(f"{R}/assets/{asset['id']}").status_code == 204


def test_scripted_faults(sandbox, gh):
    sandbox.add_fault("create_release", "502_after_commit")
    r = gh.post(R, json={"tag_name": "v1"})
    assert r.status_code == 502
    assert len(sandbox.releases(REPO)) == 1  # committed anyway
    sandbox.add_fault("create_release", "500", times=2)
    assert gh.post(R, json={"tag_name": "v2"}).status_code == 500
    assert gh.post(R, json={"tag_name": "v2"}).status_code == 500
    assert len(sandbox.releases(REPO)) == 1
    assert gh.post(R, json={"tag_name": "v2"}).status_code == 201
    sandbox.add_fault("create_release", "reset_after_commit")
    with pytest.raises(requests.ConnectionError):
        gh.post(R, json={"tag_name": "v3"})
    assert [r["tag_name"] for r in sandbox.releases(REPO)] == ["v1", "v2", "v3"]
    sandbox.add_fault("list_releases", "secondary_limit", retry_after=7)
    sec = gh.get(R)
    assert sec.status_code == 403 and sec.headers["Retry-After"] == "7"
    assert "secondary rate limit" in sec.json()["message"]
    sandbox.add_fault("list_releases", "primary_limit", reset_in=5)
    asked = time.time()
    prim = gh.get(R)
    answered = time.time()
    assert prim.status_code == 403 and prim.headers["x-ratelimit-remaining"] == "0"
    assert int(asked + 5) <= int(prim.headers["x-ratelimit-reset"]) <= int(answered + 5)
    assert prim.json()["message"].startswith("API rate limit exceeded for ")
    sandbox.add_fault("get_latest", "429", retry_after=3)
    many = gh.get(f"{R}/latest")
    assert many.status_code == 429 and many.headers["Retry-After"] == "3"
    sandbox.add_fault("update_release", "stall_after_commit", stall=0.3)
    t0 = time.time()
    assert gh.patch(f"{R}/{sandbox.releases(REPO)[0]['id']}", json={"body": "s"}).ok
    assert time.time() - t0 >= 0.3
    faults = [e["fault"] for e in sandbox.log if e["fault"]]
    assert faults == [
        "502_after_commit",
        "500",
        "500",
        "reset_after_commit",
        "secondary_limit",
        "primary_limit",
        "429",
        "stall_after_commit",
    ]
    with pytest.raises(ValueError):
        sandbox.add_fault("nope", "500")


def test_upload_fault_after_commit(sandbox, gh, up):
    rel = gh.post(R, json={"tag_name": "v1"}).json()
    sandbox.add_fault("upload_asset", "reset_after_commit")
    with pytest.raises(requests.ConnectionError):
        up(rel, "a.txt", b"abc")
    assert sandbox.releases(REPO)[0]["assets"][0]["state"] == "uploaded"
    aid = sandbox.releases(REPO)[0]["assets"][0]["id"]
    sandbox.add_fault("download_asset", "502_after_commit")
    raw = {"Accept": "application/octet-stream"}
    assert gh.get(f"{R}/assets/{aid}", headers=raw).status_code == 502
    assert gh.get(f"{R}/assets/{aid}", headers=raw).content == b"abc"
    sandbox.add_fault("upload_asset", "500")
    assert up(rel, "b.txt", b"abc").status_code == 500
    assert len(sandbox.releases(REPO)[0]["assets"]) == 1


def test_random_faults_are_seeded(sandbox, gh):
    def run(seed):
        with Sandbox(seed=3, fault_rate=0.5) as sb:
            sb.set_fault_rate(0.5, seed=seed)
            s = requests.Session()
            s.headers["Authorization"] = f"token {sb.token}"
            for i in range(30):
                try:
                    s.post(f"{sb.api_url}{R}", json={"tag_name": f"v{i}"}, timeout=10)
                    s.get(f"{sb.api_url}{R}", timeout=10)
                except requests.ConnectionError:
                    pass
            return [(e["route"], e["fault"]) for e in sb.log]

    a, b = run(11), run(11)
    assert a == b
    kinds = {f for _, f in a if f}
    assert kinds <= {"502_after_commit", "reset_after_commit", "500", "secondary_limit"}
    assert len(kinds) >= 3
    assert not {f for r, f in a if r == "list_releases"} & {"secondary_limit"}


def test_cli_prints_env_lines():
    stop = threading.Event()
    out = io.StringIO()

    def serve():
        with redirect_stdout(out):
            main(["--port", "0", "--repo", "o/r", "--token", "ghs_cli", "--lag", "0"], stop)

    th = threading.Thread(target=serve)
    th.start()
    deadline = time.time() + 30  # a bound for a stuck start, not an expected time
    while "INPUT_REPOSITORY" not in out.getvalue() and time.time() < deadline:
        time.sleep(0.02)
    text = out.getvalue()
    api = next(line.split("=", 1)[1] for line in text.splitlines() if line.startswith("INPUT_API_URL="))
    assert "INPUT_TOKEN=ghs_cli" in text and "INPUT_REPOSITORY=o/r" in text
    r = requests.get(f"{api}/repos/o/r/releases", headers={"Authorization": "token ghs_cli"}, timeout=10)
    assert r.status_code == 200
    stop.set()
    th.join(5)
    assert not th.is_alive()


def test_the_ready_lines_for_the_command_run_as_printed(tmp_path, monkeypatch, capsys):
    from release_action import cli

    with Sandbox(repos=["o/r"], token="ghs_ready") as sb:
        lines = ready_lines(sb.api_url, sb.token, "o/r")
        (export,) = [line for line in lines if line.startswith("export ")]
        (command,) = [line for line in lines if line.startswith("safe-release ")]
        name, _, value = export.removeprefix("export ").partition("=")
        assert name == "GH_ENTERPRISE_TOKEN"  # the simulator is not github.com: gh's variable for any other host
        for variable in [k for k in os.environ if k.startswith(("GH_", "GITHUB_", "INPUT_"))]:
            monkeypatch.delenv(variable)
        monkeypatch.setenv(name, shlex.split(value)[0])
        monkeypatch.chdir(tmp_path)  # no checkout here: the flags say everything
        assert cli.main(shlex.split(command)[1:]) == 0, capsys.readouterr()
        (release,) = sb.releases("o/r")
        assert (release["tag_name"], release["body"], release["draft"]) == ("v0.1.0", "Made by the command.", False)


def test_cli_knobs_parse_and_refuse_nonsense():
    args = build_parser().parse_args(["--latency", "0.05,0.2", "--no-untag-edited-drafts"])
    assert args.latency == (0.05, 0.2) and args.untag_edited_drafts is False
    defaults = build_parser().parse_args([])
    assert defaults.latency == (0.0, 0.0) and defaults.untag_edited_drafts is True
    assert build_parser().parse_args(["--latency", "0.1"]).latency == (0.1, 0.1)
    for bad in ("0.2,0.1", "-1", "fast"):
        with pytest.raises(SystemExit), redirect_stderr(io.StringIO()):
            build_parser().parse_args(["--latency", bad])


def test_a_label_is_sent_with_the_upload_and_changed_alone_by_patch(sandbox, gh):
    rel = gh.post(R, json={"tag_name": "v1"}).json()
    url = rel["upload_url"].split("{")[0]
    asset = gh.post(url, params={"name": "app.tar.gz", "label": "Linux (x86-64)"}, data=b"x").json()
    assert (asset["name"], asset["label"]) == ("app.tar.gz", "Linux (x86-64)")
    bare = gh.post(url, params={"name": "b.zip"}, data=b"b").json()
    assert bare["label"] == ""  # no label: an empty one, as GitHub shows it
    patched = gh.patch(f"{R}/assets/{asset['id']}", json={"label": "Linux"}).json()
    assert (patched["id"], patched["name"], patched["label"], patched["digest"]) == (
        asset["id"],
        "app.tar.gz",
        "Linux",
        asset["digest"],
    )
    assert gh.patch(f"{R}/assets/{asset['id']}", json={"label": ""}).json()["label"] == ""
    assert sandbox.count("POST", "upload_asset") == 2  # a label change is no upload


def test_an_immutable_published_release_refuses_a_label_change(sandbox, gh, up):
    sandbox.add_repo("octo/locked", immutable=True)
    locked = "/repos/octo/locked/releases"
    draft = gh.post(locked, json={"tag_name": "v1", "draft": True}).json()
    asset = up(draft, "a.txt").json()
    gh.patch(f"{locked}/{draft['id']}", json={"draft": False})
    answer = gh.patch(f"{locked}/assets/{asset['id']}", json={"label": "L"})
    assert answer.status_code == 422 and "immutable" in answer.json()["message"]
