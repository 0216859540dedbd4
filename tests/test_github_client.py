"""Specification of the GitHub client: headers, pagination, retries, rate limits and errors,
where the token may go, and what a misbehaving server gets.

Every test of logic runs on a fake clock whose sleep only advances time, so the recorded
sleeps are the waits the client chose; nothing really waits. Tests about time and streaming
talk to a real server on a loopback socket, with budgets of a second or two.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import socket
import threading
import time
import zlib
from collections.abc import Iterator

import backoff
import pytest
import requests
import requests_mock

from release_action import __version__, bounded_json, transport
from release_action.budget import Backoff, BudgetExhausted, Deadline
from release_action.github import (
    API_ORIGIN,
    ASSET,
    MAX_PAGES,
    RELEASE,
    UPLOAD,
    WEB,
    GitHub,
    Write,
    fingerprint,
    github_time,
    shape_problem,
    url_problem,
)
from release_action.origin import Origin, UnsafeUrl, origin_of, upload_origin_problem, web_origin_of
from release_action.token_guard import TokenFound
from release_action.transport import (
    MAX_REDIRECTS,
    Conflict,
    GitHubError,
    OutcomeUnknown,
    RateLimited,
    Refused,
    Transport,
    UnexpectedAnswer,
)
from release_bench.harness import WALL_START, FakeClock

API = "https://api.github.com"
REPO = "octo/repo"
TOKEN = "ghs_clientTestToken0123456789"
RELEASES = f"{API}/repos/{REPO}/releases"
WALL0 = WALL_START  # the wall clock (epoch seconds) when a test starts


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch):
    def refuse(seconds):
        raise AssertionError(f"a test really slept {seconds}s")

    monkeypatch.setattr(time, "sleep", refuse)


@pytest.fixture
def fake():
    return FakeClock()


@pytest.fixture
def no_jitter(monkeypatch):
    """Backoff's full jitter picks uniformly below the cap; pin it to the cap to see the schedule."""
    monkeypatch.setattr(backoff, "full_jitter", lambda value: value)


@pytest.fixture
def make(fake):
    def build(seconds: float = 300, api_url: str = API) -> GitHub:
        deadline = Deadline(seconds, clock=fake.clock, sleep=fake.sleep)
        return GitHub(Transport(api_url, TOKEN, deadline, wall_clock=fake.wall), REPO)

    return build


@pytest.fixture
def m():
    with requests_mock.Mocker(real_http=False) as mocker:
        yield mocker


# -- what every request carries ---------------------------------------------------------------


def test_every_request_carries_the_bearer_token_the_media_type_the_api_version_and_a_versioned_agent(m, make):
    m.get(f"{RELEASES}/1", json={"id": 1})
    make().get_release(1)
    headers = m.last_request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "application/vnd.github+json"
    assert headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert headers["User-Agent"] == f"safe-release-action/{__version__}"


def test_every_request_has_a_connect_and_a_read_timeout(m, make):
    m.get(f"{RELEASES}/1", json={"id": 1})
    make().get_release(1)
    connect, read = m.last_request.timeout
    assert connect > 0 and read > 0


def test_a_netrc_entry_for_the_api_host_cannot_replace_the_token(m, make, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.github.com login someone password other-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    m.get(f"{RELEASES}/1", json={"id": 1})
    make().get_release(1)
    assert m.last_request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_the_token_does_not_show_in_the_sessions_repr(make):
    assert TOKEN not in repr(make().transport.session.auth)


def test_a_tag_is_looked_up_with_its_slashes_escaped(m, make):
    m.get(f"{RELEASES}/tags/release%2F1.0", json={"id": 4})
    assert make().get_release_by_tag("release/1.0") == {"id": 4}


@pytest.mark.parametrize("call", ["get_release", "get_release_by_tag"])
def test_a_404_read_means_no_such_release(m, make, call):
    m.get(requests_mock.ANY, status_code=404, json={"message": "Not Found"})
    assert getattr(make(), call)(1 if call == "get_release" else "v1") is None


# -- does the tag exist? (verify_tag) --------------------------------------------------------------

GIT_REF = f"{API}/repos/{REPO}/git/ref/tags"


def ref(name: str) -> dict:
    sha = "aa218f56b14c9653891f9e74264a383fa43fefbd"
    return {"ref": name, "node_id": "REF_x", "url": f"{API}/repos/{REPO}/git/{name}", "object": {"type": "commit",
            "sha": sha, "url": f"{API}/repos/{REPO}/git/commits/{sha}"}}  # fmt: skip


@pytest.mark.parametrize(
    ("tag", "path"),
    [("v1.2.3", "v1.2.3"), ("release/2024.5", "release/2024.5"), ("a#b+c@d", "a%23b%2Bc%40d"), ("é", "%C3%A9")],
)
def test_a_tag_exists_when_github_answers_its_exact_ref_read_with_its_slashes_kept(m, make, tag, path):
    m.get(f"{GIT_REF}/{path}", json=ref(f"refs/tags/{tag}"))
    assert make().tag_exists(tag) is True
    assert m.call_count == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest/git/refs#get-a-reference"}),
        (409, {"message": "Git Repository is empty.", "documentation_url": "https://docs.github.com/rest"}),
        (200, [ref("refs/tags/v1.0"), ref("refs/tags/v1.1")]),  # the older git/refs form's prefix matches
    ],
    ids=["404 no such ref", "409 empty repository", "a list of longer names"],
)
def test_a_tag_does_not_exist_when_github_answers_404_409_or_only_longer_names(m, make, status, body):
    m.get(f"{GIT_REF}/v1", status_code=status, json=body)
    assert make().tag_exists("v1") is False


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (ref("refs/tags/v10"), "the git reference 'refs/tags/v10'; expected refs/tags/v1"),
        ({"message": "hi"}, "an object without `ref`"),
        ("<html>", "expected a git reference"),
    ],
)
def test_an_answer_that_is_no_ref_of_the_tag_is_an_unexpected_answer_not_a_no(m, make, body, says):
    if isinstance(body, str):
        m.get(f"{GIT_REF}/v1", text=body)
    else:
        m.get(f"{GIT_REF}/v1", json=body)
    with pytest.raises(UnexpectedAnswer, match=re.escape(says)):
        make().tag_exists("v1")


@pytest.mark.parametrize(("status", "visible"), [(200, True), (404, False)])
def test_whether_the_repository_is_visible_is_one_read_of_it(m, make, status, visible):
    m.get(f"{API}/repos/{REPO}", status_code=status, json={"id": 1, "full_name": REPO} if visible else {})
    assert make().repository_visible() is visible


# -- pagination --------------------------------------------------------------------------------


def test_releases_are_listed_across_pages_by_following_link_next(m, make):
    page = f"{RELEASES}?per_page=100"
    m.get(
        page,
        complete_qs=True,
        json=[{"id": 30}, {"id": 29}],
        headers={"Link": f'<{page}&page=2>; rel="next", <{page}&page=3>; rel="last"'},
    )
    m.get(
        f"{page}&page=2",
        complete_qs=True,
        json=[{"id": 20}],
        headers={"Link": f'<{page}&page=3>; rel="next", <{page}&page=3>; rel="last"'},
    )
    m.get(f"{page}&page=3", complete_qs=True, json=[{"id": 10}], headers={"Link": f'<{page}>; rel="first"'})
    assert [r["id"] for r in make().iter_releases()] == [30, 29, 20, 10]
    assert m.call_count == 3


@pytest.mark.parametrize("elsewhere", ["https://evil.example/steal?page=2", "http://api.github.com/repos/x?page=2"])
def test_a_next_link_to_another_origin_is_refused_and_the_token_never_goes_there(m, make, elsewhere):
    m.get(f"{RELEASES}?per_page=100", json=[{"id": 1}], headers={"Link": f'<{elsewhere}>; rel="next"'})
    trap = m.get(elsewhere, json=[])
    with pytest.raises(
        UnexpectedAnswer,
        match=r"a Link to the next page that is refused .*: it is on .*, not on https://api\.github\.com",
    ):
        list(make().iter_releases())
    assert not trap.called
    assert all(r.scheme == "https" and r.netloc == "api.github.com" for r in m.request_history)


def test_a_next_link_back_to_a_page_already_read_ends_the_list_in_an_error(m, make):
    first, second = f"{RELEASES}?per_page=100", f"{RELEASES}?per_page=100&page=2"
    m.get(first, complete_qs=True, json=[{"id": 2}], headers={"Link": f'<{second}>; rel="next"'})
    m.get(second, complete_qs=True, json=[{"id": 1}], headers={"Link": f'<{first}>; rel="next"'})
    with pytest.raises(UnexpectedAnswer, match="a Link to a page already read"):
        list(make().iter_releases())
    assert m.call_count == 2


def test_a_list_is_never_read_past_the_pages_github_lists(m, make):
    logged: list[str] = []

    def page(request, context):
        number = int(request.qs.get("page", ["1"])[0])
        context.headers["Link"] = f'<{RELEASES}?per_page=100&page={number + 1}>; rel="next"'
        return [{"id": number}]

    m.get(RELEASES, json=page)
    client = make()
    client.log = logged.append
    assert [r["id"] for r in client.iter_releases()] == list(range(1, MAX_PAGES + 1))
    assert m.call_count == MAX_PAGES == 10
    assert "at most 1000 items" in logged[-1]


# -- retries of reads --------------------------------------------------------------------------


def test_a_read_answered_500_502_503_is_retried_with_growing_backoff(m, make, fake, no_jitter):
    m.get(f"{RELEASES}/1", [{"status_code": 500}, {"status_code": 502}, {"status_code": 503}, {"json": {"id": 1}}])
    assert make().get_release(1) == {"id": 1}
    assert m.call_count == 4
    assert fake.sleeps == [0.5, 1.0, 2.0]


def test_a_read_that_fails_to_connect_or_times_out_is_retried_with_growing_backoff(m, make, fake, no_jitter):
    m.get(
        f"{RELEASES}/1",
        [
            {"exc": requests.ConnectionError},
            {"exc": requests.ReadTimeout},
            {"exc": requests.ConnectTimeout},
            {"json": {"id": 1}},
        ],
    )
    assert make().get_release(1) == {"id": 1}
    assert fake.sleeps == [0.5, 1.0, 2.0]


def test_the_backoff_is_capped_at_16_seconds(m, make, fake, no_jitter):
    m.get(f"{RELEASES}/1", [{"status_code": 503}] * 7 + [{"json": {"id": 1}}])
    make(seconds=3600).get_release(1)
    assert fake.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 16.0]


def test_backoff_is_jittered_below_the_growing_cap(m, make, fake):
    m.get(f"{RELEASES}/1", [{"status_code": 502}] * 5 + [{"json": {"id": 1}}])
    make().get_release(1)
    caps = [0.5, 1.0, 2.0, 4.0, 8.0]
    assert len(fake.sleeps) == 5
    assert all(0 <= s <= cap for s, cap in zip(fake.sleeps, caps, strict=True))


def test_a_client_error_other_than_a_rate_limit_is_not_retried(m, make, fake):
    m.get(f"{RELEASES}/1", status_code=400, json={"message": "Bad Request"})
    with pytest.raises(GitHubError) as caught:
        make().get_release(1)
    assert caught.value.status == 400
    assert m.call_count == 1 and fake.sleeps == []


def test_retries_stop_when_the_budget_is_spent(m, make, fake, no_jitter):
    m.get(f"{RELEASES}/1", status_code=503)
    with pytest.raises(BudgetExhausted, match="timeout_seconds"):
        make(seconds=10).get_release(1)
    assert fake.now - fake.start <= 10
    assert fake.sleeps == [0.5, 1.0, 2.0, 4.0]  # the next wait, 8 s, no longer fits


# -- writes whose outcome is unknown are never repeated --------------------------------------------

WRITES = [
    ("create", lambda gh: gh.create_release({"tag_name": "v1"}), "POST", RELEASES),
    ("update", lambda gh: gh.update_release(7, {"name": "x"}), "PATCH", f"{RELEASES}/7"),
    ("delete", lambda gh: gh.delete_release(7), "DELETE", f"{RELEASES}/7"),
]


@pytest.mark.parametrize(("what", "call", "method", "url"), WRITES, ids=[w[0] for w in WRITES])
@pytest.mark.parametrize(
    "answer",
    [
        {"status_code": 500},
        {"status_code": 502},
        {"status_code": 503},
        {"status_code": 504},
        {"exc": requests.ReadTimeout},
        {"exc": requests.ConnectionError},
    ],
    ids=["500", "502", "503", "504", "ReadTimeout", "ConnectionError"],
)
def test_a_write_whose_answer_is_lost_raises_outcome_unknown_after_exactly_one_request(
    m, make, fake, what, call, method, url, answer
):
    m.register_uri(method, url, [answer, {"status_code": 201, "json": {"id": 7}}])
    with pytest.raises(OutcomeUnknown):
        call(make())
    assert m.call_count == 1
    assert fake.sleeps == []


def test_a_write_that_never_connected_is_retried_since_it_was_never_sent(m, make, fake, no_jitter):
    m.post(RELEASES, [{"exc": requests.ConnectTimeout}, {"status_code": 201, "json": {"id": 7}}])
    assert make().create_release({"tag_name": "v1"}) == {"id": 7}
    assert m.call_count == 2
    assert fake.sleeps == [0.5]


# -- rate limits -------------------------------------------------------------------------------

SECONDARY = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes and try again."}


@pytest.mark.parametrize(
    "limited",
    [
        {"status_code": 429, "headers": {"Retry-After": "7"}, "json": {"message": "Too Many Requests"}},
        {"status_code": 403, "headers": {"Retry-After": "7"}, "json": SECONDARY},
    ],
    ids=["429", "403-secondary"],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_rate_limit_answer_is_waited_out_for_retry_after_then_retried(m, make, fake, limited, method):
    # GitHub refused the request without acting on it, so even a write is safe to repeat.
    url = f"{RELEASES}/1" if method == "GET" else RELEASES
    m.register_uri(method, url, [limited, {"status_code": 200, "json": {"id": 1}}])
    gh = make()
    result = gh.get_release(1) if method == "GET" else gh.create_release({"tag_name": "v1"})
    assert result == {"id": 1}
    assert fake.sleeps == [7.0]
    assert m.call_count == 2


@pytest.mark.parametrize(
    "limited",
    [
        {"status_code": 429, "json": {"message": "Too Many Requests"}},
        {"status_code": 403, "json": SECONDARY},
    ],
    ids=["429", "403-secondary"],
)
def test_a_rate_limit_without_retry_after_waits_60_seconds(m, make, fake, limited):
    m.get(f"{RELEASES}/1", [limited, {"json": {"id": 1}}])
    make().get_release(1)
    assert fake.sleeps == [60.0]


def test_a_retry_after_of_zero_answered_again_and_again_is_retried_once_a_second_not_in_a_busy_loop(m, make, fake):
    limited = {"status_code": 429, "headers": {"Retry-After": "0"}, "json": {"message": "Too Many Requests"}}
    m.get(f"{RELEASES}/1", [limited] * 3 + [{"json": {"id": 1}}])
    assert make().get_release(1) == {"id": 1}
    assert fake.sleeps == [1.0] * 3


def test_a_retry_after_longer_than_the_budget_fails_at_once_without_waiting(m, make, fake):
    m.get(f"{RELEASES}/1", status_code=429, headers={"Retry-After": "120"})
    with pytest.raises(BudgetExhausted):
        make(seconds=60).get_release(1)
    assert fake.sleeps == []
    assert m.call_count == 1


def test_a_primary_rate_limit_waits_until_the_reset_when_that_fits_the_budget(m, make, fake):
    reset = WALL0 + 120
    retried_at: list[float] = []

    def after_reset(request, context):
        retried_at.append(fake.wall())
        return {"id": 1}

    m.get(
        f"{RELEASES}/1",
        [
            {
                "status_code": 403,
                "json": {"message": "API rate limit exceeded"},
                "headers": {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(reset))},
            },
            {"json": after_reset},
        ],
    )
    assert make(seconds=300).get_release(1) == {"id": 1}
    assert len(fake.sleeps) == 1
    assert reset <= retried_at[0] <= reset + 2


def test_a_primary_rate_limit_that_resets_after_the_budget_fails_saying_when_it_resets(m, make, fake):
    reset = int(WALL0 + 3600)
    m.get(
        f"{RELEASES}/1",
        status_code=403,
        json={"message": "API rate limit exceeded"},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )
    with pytest.raises(RateLimited) as caught:
        make(seconds=300).get_release(1)
    assert time.strftime("%H:%M:%S UTC", time.gmtime(reset)) in str(caught.value)
    assert "timeout_seconds" in str(caught.value)
    assert fake.sleeps == [] and m.call_count == 1


# -- errors that say what to do ----------------------------------------------------------------


def test_a_401_names_the_token_input(m, make):
    m.get(f"{RELEASES}/1", status_code=401, json={"message": "Bad credentials"})
    with pytest.raises(GitHubError) as caught:
        make().get_release(1)
    assert caught.value.status == 401
    assert "`token`" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_a_403_not_accessible_by_integration_asks_for_contents_write(m, make, fake):
    m.post(RELEASES, status_code=403, json={"message": "Resource not accessible by integration"})
    with pytest.raises(GitHubError) as caught:
        make().create_release({"tag_name": "v1"})
    assert "permissions: contents: write" in str(caught.value)
    assert m.call_count == 1 and fake.sleeps == []


def test_a_422_already_exists_is_a_conflict(m, make):
    m.post(
        RELEASES,
        status_code=422,
        json={
            "message": "Validation Failed",
            "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}],
        },
    )
    with pytest.raises(Conflict) as caught:
        make().create_release({"tag_name": "v1"})
    assert caught.value.has_error_code("already_exists", "tag_name")


def test_another_422_is_an_error_but_not_a_conflict(m, make):
    m.post(
        RELEASES,
        status_code=422,
        json={
            "message": "Validation Failed",
            "errors": [
                {
                    "resource": "Release",
                    "code": "custom",
                    "field": "tag_name",
                    "message": "Published releases must have a valid tag",
                }
            ],
        },
    )
    with pytest.raises(GitHubError) as caught:
        make().create_release({"tag_name": "v1"})
    assert not isinstance(caught.value, Conflict)


def test_an_error_message_carries_the_status_githubs_message_and_its_errors(m, make):
    m.post(
        RELEASES,
        status_code=422,
        json={
            "message": "Validation Failed",
            "errors": [
                {"resource": "Release", "code": "custom", "field": "body", "message": "body is too long"},
                {"resource": "Release", "code": "invalid", "field": "target_commitish"},
            ],
        },
    )
    with pytest.raises(GitHubError) as caught:
        make().create_release({"tag_name": "v1"})
    text = str(caught.value)
    assert "422" in text and "Validation Failed" in text
    assert "body is too long" in text
    assert "Release target_commitish invalid" in text
    assert caught.value.status == 422


def test_an_error_without_a_json_body_still_says_the_status_and_reason(m, make):
    m.get(f"{RELEASES}/1", status_code=400, text="<html>nope</html>", reason="Bad Request")
    with pytest.raises(GitHubError) as caught:
        make().get_release(1)
    assert "400" in str(caught.value) and "Bad Request" in str(caught.value)


# -- uploads -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_url", "upload_url"),
    [
        (API, "https://uploads.github.com/repos/octo/repo/releases/1/assets{?name,label}"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/uploads/repos/o/r/releases/1/assets"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/uploads/repos/octo/repo/releases/1/assets{?name,label}"),
    ],
    ids=["github.com", "ghes", "loopback-sandbox"],
)
def test_an_upload_goes_to_the_release_upload_host_of_the_same_site(m, make, api_url, upload_url):
    base = upload_url.split("{")[0]
    m.post(f"{base}?name=app.tar.gz", complete_qs=True, status_code=201, json={"id": 9, "name": "app.tar.gz"})
    gh = make(api_url=api_url)
    asset = gh.upload_asset(upload_url, "app.tar.gz", io.BytesIO(b"data"), 4, "application/gzip")
    assert asset == {"id": 9, "name": "app.tar.gz"}
    assert m.last_request.headers["Content-Type"] == "application/gzip"
    assert m.last_request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_an_upload_with_a_label_sends_it_in_the_query_and_none_sends_no_label(m, make):
    base = "https://uploads.github.com/repos/octo/repo/releases/1/assets"
    labelled = m.post(
        f"{base}?name=app.tar.gz&label=Linux+%28x86-64%29+%23+%26+%3F",
        complete_qs=True,
        status_code=201,
        json={"id": 9, "name": "app.tar.gz", "label": "Linux (x86-64) # & ?"},
    )
    gh = make()
    gh.upload_asset(base + "{?name,label}", "app.tar.gz", io.BytesIO(b"data"), 4, "x/y", "Linux (x86-64) # & ?")
    assert labelled.call_count == 1
    m.post(f"{base}?name=b.zip", complete_qs=True, status_code=201, json={"id": 10, "name": "b.zip", "label": ""})
    for label in (None, ""):
        assert gh.upload_asset(base, "b.zip", io.BytesIO(b"b"), 1, "x/y", label)["label"] == ""


def test_a_label_is_changed_with_one_patch_of_the_asset(m, make):
    m.patch(f"{RELEASES}/assets/9", json={"id": 9, "name": "app.tar.gz", "label": "Linux"})
    assert make().update_asset(9, {"label": "Linux"}) == {"id": 9, "name": "app.tar.gz", "label": "Linux"}
    assert m.last_request.method == "PATCH" and m.last_request.json() == {"label": "Linux"}


@pytest.mark.parametrize(
    ("api_url", "upload_url"),
    [
        (API, "https://uploads.evil.example/repos/octo/repo/releases/1/assets{?name,label}"),
        (API, "https://uploads.github.com.evil.example/assets"),
        (API, "http://uploads.github.com/repos/octo/repo/releases/1/assets"),
        ("https://ghe.example.com/api/v3", "http://ghe.example.com/api/uploads/repos/o/r/releases/1/assets"),
        ("http://127.0.0.1:8080", "http://uploads.example.com/assets"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:9090/repos/octo/repo/releases/1/assets{?name,label}"),
    ],
    ids=[
        "unrelated-host",
        "lookalike-host",
        "plain-http-github",
        "plain-http-ghes",
        "loopback-api-remote",
        "loopback-api-other-port",
    ],
)
def test_an_upload_to_another_host_or_over_plain_http_is_refused_before_sending(m, make, api_url, upload_url):
    with pytest.raises(Refused, match="refusing to send the token to this upload_url"):
        make(api_url=api_url).upload_asset(upload_url, "a.bin", io.BytesIO(b"x"), 1, "text/plain")
    assert m.call_count == 0


def test_an_upload_retried_after_a_rate_limit_sends_the_whole_file_again(m, make, fake):
    received: list[bytes] = []

    def answer(status):
        def callback(request, context):
            received.append(request.body.read())
            context.status_code = status
            if status == 429:
                context.headers["Retry-After"] = "1"
            return {"id": 9, "name": "a.bin"}

        return callback

    m.post("https://uploads.github.com/assets", [{"json": answer(429)}, {"json": answer(201)}])
    make().upload_asset("https://uploads.github.com/assets{?name}", "a.bin", io.BytesIO(b"payload"), 7, "x/y")
    assert received == [b"payload", b"payload"]
    assert fake.sleeps == [1.0]


# -- the write throttle --------------------------------------------------------------------------


def test_the_write_throttle_keeps_at_most_80_writes_in_any_60_seconds(m, make, fake):
    sent_at: list[float] = []

    def created(request, context):
        sent_at.append(fake.now)
        context.status_code = 201
        return {"id": len(sent_at)}

    m.post(RELEASES, json=created)
    gh = make(seconds=1000)
    for _ in range(170):
        gh.create_release({"tag_name": "v1"})
    assert len(sent_at) == 170
    for i, start in enumerate(sent_at):
        in_window = [t for t in sent_at[i:] if t < start + 60]
        assert len(in_window) <= 80
    assert fake.sleeps == [60.0, 60.0]


def test_the_throttle_waits_only_for_the_oldest_write_to_leave_the_window(m, make, fake):
    m.post(RELEASES, status_code=201, json={"id": 1})
    gh = make(seconds=1000)
    for _ in range(80):
        gh.create_release({})
    fake.now += 45  # time passes without writes
    gh.create_release({})
    assert fake.sleeps == [15.0]


def test_reads_are_not_throttled(m, make, fake):
    m.get(f"{RELEASES}/1", json={"id": 1})
    gh = make()
    for _ in range(200):
        gh.get_release(1)
    assert fake.sleeps == []


def test_requests_and_writes_are_counted(m, make):
    m.get(f"{RELEASES}/1", json={"id": 1})
    m.patch(f"{RELEASES}/1", json={"id": 1})
    gh = make()
    gh.get_release(1)
    gh.update_release(1, {"name": "n"})
    assert (gh.transport.requests_made, gh.transport.writes_made) == (2, 1)


# -- what the run wrote ----------------------------------------------------------------------------

UPLOADS = "https://uploads.github.com/repos/octo/repo/releases/7/assets"


def test_every_write_is_recorded_with_the_fields_it_changed_from_what_was_last_read(m, make):
    old = {"id": 7, "tag_name": "v1", "name": "Beta", "body": "Old notes.", "draft": True, "prerelease": False}
    m.get(f"{RELEASES}/tags/v1", status_code=404, json={"message": "Not Found"})
    m.get(f"{RELEASES}?per_page=100", json=[old])
    m.patch(f"{RELEASES}/7", json={**old, "name": "v1", "body": "New notes.", "draft": False})
    m.get(f"{RELEASES}/7/assets?per_page=100", json=[{"id": 70, "name": "old.zip"}])
    m.delete(f"{RELEASES}/assets/70", status_code=204)
    m.post(f"{UPLOADS}?name=app.zip", status_code=201, json={"id": 71, "name": "app.zip"})
    m.delete(f"{RELEASES}/8", status_code=404, json={"message": "Not Found"})  # gone already: not a write made
    gh = make()
    assert gh.get_release_by_tag("v1") is None
    list(gh.iter_releases())
    gh.update_release(7, {"tag_name": "v1", "name": "v1", "body": "New notes.", "draft": False, "make_latest": "true"})
    gh.list_assets(7)
    gh.delete_asset(70)
    gh.upload_asset(UPLOADS + "{?name,label}", "app.zip", io.BytesIO(b"x"), 1, "application/zip")
    gh.delete_release(8)
    digest = {"Old notes.": fingerprint("Old notes."), "New notes.": fingerprint("New notes.")}
    assert gh.writes == [
        Write("update", 7, "v1", (("name", "Beta", "v1"), ("body", digest["Old notes."], digest["New notes."]),
                                  ("draft", True, False))),
        Write("delete asset", None, "old.zip"),
        Write("upload", None, "app.zip"),
    ]  # fmt: skip
    assert "Old notes." not in repr(gh.writes) and "Old notes." not in repr(gh.seen)  # notes as a digest only


def test_a_create_is_recorded_with_its_id_and_the_fields_it_set(m, make):
    m.post(RELEASES, status_code=201, json={"id": 9, "tag_name": "v2", "draft": True})
    gh = make()
    gh.create_release({"tag_name": "v2", "name": "v2", "draft": True, "prerelease": False, "make_latest": "legacy"})
    assert gh.writes == [
        Write("create", 9, "v2", (("name", None, "v2"), ("draft", None, True), ("prerelease", None, False),
                                  ("tag_name", None, "v2")))
    ]  # fmt: skip


def test_a_write_whose_answer_is_lost_is_recorded_as_lost(m, make):
    m.post(RELEASES, status_code=502)
    gh = make()
    with pytest.raises(OutcomeUnknown):
        gh.create_release({"tag_name": "v3", "draft": False})
    assert gh.writes == [Write("create", None, "v3", (("draft", None, False), ("tag_name", None, "v3")), lost=True)]


def test_a_write_github_refused_is_not_recorded(m, make):
    m.post(RELEASES, status_code=403, json={"message": "Resource not accessible by integration"})
    gh = make()
    with pytest.raises(GitHubError):
        gh.create_release({"tag_name": "v4"})
    assert gh.writes == []


# -- the deadline --------------------------------------------------------------------------------


def test_a_wait_longer_than_the_remaining_budget_raises_without_sleeping(fake):
    deadline = Deadline(10, clock=fake.clock, sleep=fake.sleep)
    deadline.wait(4, "a")
    with pytest.raises(BudgetExhausted, match="timeout_seconds"):
        deadline.wait(7, "b")
    assert fake.sleeps == [4]
    assert deadline.remaining() == 6


def test_github_clock_comes_from_the_date_header_of_the_last_answer(m, make):
    client = make()
    assert client.server_now() is None
    m.get(f"{RELEASES}/1", json={"id": 1}, headers={"Date": "Fri, 10 May 2024 16:00:05 GMT"})
    client.get_release(1)
    assert client.server_now() == github_time("2024-05-10T16:00:05Z") == 1715356805.0


def test_github_time_reads_githubs_timestamps_and_refuses_anything_else():
    assert github_time("2024-05-10T16:00:00Z") == 1715356800.0
    assert github_time(None) is None
    assert github_time("yesterday") is None


def test_listing_stops_quietly_where_github_stops_listing_at_1000_results(m, make):
    page_10 = f"{RELEASES}?per_page=100&page=10"
    page_11 = f"{RELEASES}?per_page=100&page=11"
    m.get(f"{RELEASES}?per_page=100", json=[{"id": 1}], headers={"Link": f'<{page_10}>; rel="next"'})
    m.get(page_10, json=[{"id": 2}], headers={"Link": f'<{page_11}>; rel="next"'})
    m.get(page_11, status_code=422, json={"message": "Only the first 1000 results are available."})
    assert [r["id"] for r in make().iter_releases()] == [1, 2]


def test_a_422_on_the_first_page_of_a_list_is_an_error(m, make):
    m.get(f"{RELEASES}?per_page=100", status_code=422, json={"message": "Validation Failed"})
    with pytest.raises(GitHubError):
        list(make().iter_releases())


# -- the deadline bounds every wait and every request as a whole ---------------------------------


def test_a_settle_waits_two_seconds_or_a_quarter_of_what_is_left(fake):
    Deadline(10, clock=fake.clock, sleep=fake.sleep).settle("a")
    Deadline(4, clock=fake.clock, sleep=fake.sleep).settle("b")
    assert fake.sleeps == [2.0, 1.0]


def test_backoff_doubles_from_the_first_wait_up_to_its_cap_plus_a_floor(fake, no_jitter):
    waits = Backoff(Deadline(100, clock=fake.clock, sleep=fake.sleep), first=0.25, cap=1, floor=0.1)
    for _ in range(4):
        waits.wait("x")
    assert fake.sleeps == pytest.approx([0.35, 0.6, 1.1, 1.1])


def test_a_call_inside_the_budget_returns_its_value_or_raises_its_error():
    deadline = Deadline(5)
    assert deadline.call(lambda: 42, "the answer") == 42
    with pytest.raises(KeyError):
        deadline.call(lambda: {}["missing"], "the answer")


def test_a_call_slower_than_what_is_left_of_the_budget_is_abandoned_when_the_budget_ends():
    release = threading.Event()
    deadline = Deadline(0.3)
    start = time.monotonic()
    with pytest.raises(BudgetExhausted, match=r"`timeout_seconds` \(0.3\) ran out .* waiting for the slow thing"):
        deadline.call(lambda: release.wait(10), "the slow thing")
    assert time.monotonic() - start < 1.0
    release.set()


def test_a_call_on_a_spent_budget_is_never_started(fake):
    deadline = Deadline(1, clock=fake.clock, sleep=fake.sleep)
    fake.now += 1
    started: list[bool] = []
    with pytest.raises(BudgetExhausted, match="ran out before the answer"):
        deadline.call(lambda: started.append(True), "the answer")
    assert started == []


def test_socket_timeouts_shrink_to_what_is_left_of_the_budget(m, make, fake):
    m.get(f"{RELEASES}/1", json={"id": 1})
    client = make(seconds=300)
    fake.now += 299.5
    client.get_release(1)
    assert m.last_request.timeout == (0.5, 0.5)


# -- where the token goes: the origin rule, as pure functions ------------------------------------

ORIGINS = [
    ("https://api.github.com", Origin("https", "api.github.com", 443)),
    ("https://API.GitHub.com/repos/o/r?per_page=100", Origin("https", "api.github.com", 443)),
    ("https://uploads.github.com:443/x", Origin("https", "uploads.github.com", 443)),
    ("https://uploads.github.com:444/x", Origin("https", "uploads.github.com", 444)),  # the rule refuses it
    ("https://ghe.example.com/api/uploads/repos/o/r", Origin("https", "ghe.example.com", 443)),
    ("http://127.0.0.1:8080/x", Origin("http", "127.0.0.1", 8080)),
    ("http://[::1]:9/x", Origin("http", "::1", 9)),
    ("https://uploads.github.com/x?@evil.example", Origin("https", "uploads.github.com", 443)),
    # urllib3 (what requests connects with) reads evil.example, urlsplit uploads.github.com:
    ("https://evil.example\\@uploads.github.com/x", None),
    ("https://evil.example\\uploads.github.com/x", None),
    ("https://user@uploads.github.com/x", None),
    ("https://:secret@uploads.github.com/x", None),
    ("https://uploads.github.com@evil.example/x", None),
    ("https://uploads.github.com%2f@evil.example/x", None),
    ("https://uploads%2egithub.com/x", None),
    ("https://[::1%25lo]/x", None),
    ("https://uploads.github.com /x", None),
    ("https://uploads.github.com\t.evil.example/x", None),
    ("https://uploads.github.com\n/x", None),
    ("https://uplоads.github.com/x", None),  # a Cyrillic о
    ("https://uploads.github.com./x", None),
    ("https://ghe_1.corp.example/api/v3", Origin("https", "ghe_1.corp.example", 443)),
    ("https://uploads.github.com:99999/x", None),
    ("https://uploads.github.com:0/x", None),
    ("https://uploads.github.com:443:443/x", None),
    ("ftp://uploads.github.com/x", None),
    ("//uploads.github.com/x", None),
    ("https:///x", None),
    ("/repos/o/r", None),
]


@pytest.mark.parametrize(("url", "origin"), ORIGINS, ids=[repr(u) for u, _ in ORIGINS])
def test_the_origin_of_a_url_is_read_as_the_http_stack_connects_or_refused_when_in_doubt(url, origin):
    if origin is None:
        with pytest.raises(UnsafeUrl):
            origin_of(url)
    else:
        assert origin_of(url) == origin


UPLOAD_ORIGINS = [
    ("https://api.github.com", "https://uploads.github.com", True),
    ("https://api.github.com", "https://uploads.github.com:443", True),
    ("https://api.github.com", "https://api.github.com", True),
    ("https://api.github.com", "https://uploads.github.com:444", False),
    ("https://api.github.com", "http://uploads.github.com", False),
    ("https://api.github.com", "https://uploads.evil.example", False),
    ("https://api.github.com", "https://uploads.github.com.evil.example", False),
    ("https://api.github.com", "https://evil-uploads.github.com", False),
    ("https://api.github.com", "https://github.com", False),
    ("https://api.github.com", "http://127.0.0.1:9090", False),
    ("https://ghe.example.com", "https://ghe.example.com", True),
    ("https://ghe.example.com", "https://uploads.ghe.example.com", False),
    ("https://ghe.example.com:8443", "https://ghe.example.com:8443", True),
    ("https://ghe.example.com:8443", "https://ghe.example.com", False),
    ("https://api.ghe.example.com", "https://uploads.ghe.example.com", True),
    # A loopback API (the simulator) serves uploads on its own origin, as GHES does: another
    # port of the same address is another origin, refused like any other.
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080", True),
    ("http://[::1]:8080", "http://[::1]:8080", True),
    ("http://127.0.0.1:8080", "http://127.0.0.1:9090", False),
    ("http://[::1]:8080", "http://[::1]:9090", False),
    ("http://127.0.0.1:8080", "http://127.0.0.2:9090", False),
    ("http://127.0.0.1:8080", "http://localhost:9090", False),
    ("http://127.0.0.1:8080", "http://uploads.example.com", False),
]


@pytest.mark.parametrize(("api", "upload", "allowed"), UPLOAD_ORIGINS)
def test_uploads_go_only_where_github_puts_the_uploads_of_the_api(api, upload, allowed):
    assert (upload_origin_problem(origin_of(api), origin_of(upload)) is None) is allowed


@pytest.mark.parametrize("api_url", ["https://api.github.com:0", "https://api.github.com\\@evil.example"])
def test_an_api_url_whose_origin_is_in_doubt_gets_no_token(api_url, fake):
    with pytest.raises(Refused, match="refusing to send the token to `api_url`"):
        Transport(api_url, TOKEN, Deadline(10, clock=fake.clock, sleep=fake.sleep))


# -- where the token goes: redirects ------------------------------------------------------------


def test_a_redirect_within_the_api_origin_is_followed_with_the_token(m, make):
    m.get(f"{RELEASES}/tags/v1", status_code=301, headers={"Location": f"{API}/repos/octo/renamed/releases/tags/v1"})
    m.get(f"{API}/repos/octo/renamed/releases/tags/v1", json={"id": 4})
    assert make().get_release_by_tag("v1") == {"id": 4}
    assert [r.headers["Authorization"] for r in m.request_history] == [f"Bearer {TOKEN}"] * 2


def test_a_307_for_a_write_is_followed_with_its_method_and_body(m, make):
    m.patch(f"{RELEASES}/7", status_code=307, headers={"Location": "/repos/octo/renamed/releases/7"})
    m.patch(f"{API}/repos/octo/renamed/releases/7", json={"id": 7})
    assert make().update_release(7, {"name": "n"}) == {"id": 7}
    assert [(r.method, r.json()) for r in m.request_history] == [("PATCH", {"name": "n"})] * 2


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://evil.example/repos/octo/repo/releases/1",
        "http://api.github.com/repos/octo/repo/releases/1",
        "https://api.github.com:444/repos/octo/repo/releases/1",
    ],
)
def test_a_redirect_to_another_origin_is_refused_and_nothing_is_sent_there(m, make, elsewhere):
    m.get(f"{RELEASES}/1", status_code=302, headers={"Location": elsewhere})
    trap = m.get(requests_mock.ANY, json={"id": 1})
    m.get(f"{RELEASES}/1", status_code=302, headers={"Location": elsewhere})
    with pytest.raises(Refused, match="refusing to send the token to this redirect target"):
        make().get_release(1)
    assert [r.url for r in m.request_history] == [f"{RELEASES}/1"]
    assert trap.call_count == 0


@pytest.mark.parametrize(
    "garbled",
    [
        "https://evil.example\\@api.github.com/repos/octo/repo/releases/1",  # read two ways
        "https://api.github.com:443:/repos/octo/repo/releases/1",  # no port at all
        "https://api.github.com\n/repos",
    ],
)
def test_a_redirect_to_a_url_read_two_ways_or_not_at_all_is_an_unexpected_answer(m, make, garbled):
    m.get(f"{RELEASES}/1", status_code=307, headers={"Location": garbled})
    with pytest.raises(
        UnexpectedAnswer, match=r"a redirect whose Location is refused .* expected a URL on https://api\."
    ) as e:
        make().get_release(1)
    assert e.value.status == 307
    assert m.call_count == 1


def test_redirects_are_followed_a_few_times_only(m, make):
    m.get(f"{RELEASES}/1", status_code=301, headers={"Location": f"{RELEASES}/1"})
    with pytest.raises(UnexpectedAnswer, match=f"more than {MAX_REDIRECTS} redirects"):
        make().get_release(1)
    assert m.call_count == MAX_REDIRECTS + 1


def test_a_write_is_never_turned_into_a_get_by_a_redirect(m, make):
    m.post(RELEASES, status_code=301, headers={"Location": f"{API}/repos/octo/renamed/releases"})
    with pytest.raises(UnexpectedAnswer, match="a redirect a POST cannot follow"):
        make().create_release({"tag_name": "v1"})
    assert m.call_count == 1


# -- where the token goes: uploads ---------------------------------------------------------------


@pytest.mark.parametrize(
    "upload_url",
    [
        "https://evil.example\\@uploads.github.com/repos/octo/repo/releases/1/assets{?name,label}",
        "https://uploads.github.com:444/repos/octo/repo/releases/1/assets{?name,label}",
        "https://x@uploads.github.com/repos/octo/repo/releases/1/assets",
        "https://uploads%2egithub.com/repos/octo/repo/releases/1/assets",
    ],
)
def test_an_upload_url_that_could_reach_another_origin_is_refused_before_sending(m, make, upload_url):
    with pytest.raises(Refused, match="refusing to send the token to this upload_url"):
        make().upload_asset(upload_url, "a.bin", io.BytesIO(b"x"), 1, "text/plain")
    assert m.call_count == 0


@pytest.mark.parametrize(
    ("api_url", "named", "later"),
    [
        (API, "https://uploads.github.com/u/1/assets{?name}", "https://api.github.com/u/1/assets"),
        ("https://api.octo.ghe.com", "https://uploads.octo.ghe.com/u/1/assets{?name}", "https://api.octo.ghe.com/u/1"),
    ],
    ids=["github.com", "ghe.com"],
)
def test_the_upload_origin_is_the_one_the_first_release_read_names(m, make, api_url, named, later):
    m.get(f"{api_url}/repos/{REPO}/releases/1", json={"id": 1, "upload_url": named})
    m.get(f"{api_url}/repos/{REPO}/releases/2", json={"id": 2, "upload_url": f"{later}{{?name}}"})
    client = make(api_url=api_url)
    client.get_release(1)
    client.get_release(2)
    with pytest.raises(Refused, match="earlier answers named"):
        client.upload_asset(later, "a.bin", io.BytesIO(b"x"), 1, "text/plain")
    assert m.call_count == 2


# -- answers of the wrong shape ------------------------------------------------------------------

SHAPES = [
    ({"id": 1}, RELEASE, None),
    ({"id": 1, "name": None, "body": None, "draft": False, "assets": []}, RELEASE, None),
    ({"id": 1, "assets": [{"id": 2, "name": "a.bin", "digest": None}]}, RELEASE, None),
    ([{"id": 1}], RELEASE, "a JSON list"),
    (None, RELEASE, "JSON null"),
    ("release", RELEASE, "a JSON string"),
    ({}, RELEASE, "an object without `id`"),
    ({"id": "1"}, RELEASE, "an object whose `id` is a string"),
    ({"id": True}, RELEASE, "an object whose `id` is a boolean"),
    ({"id": 1.5}, RELEASE, "an object whose `id` is a number"),
    ({"id": 1, "draft": "false"}, RELEASE, "an object whose `draft` is a string"),
    ({"id": 1, "tag_name": 7}, RELEASE, "an object whose `tag_name` is a number"),
    ({"id": 1, "assets": {}}, RELEASE, "an object whose `assets` is an object"),
    ({"id": 1, "assets": ["a.bin"]}, RELEASE, "an object whose `assets` holds a JSON string"),
    ({"id": 1, "assets": [{"id": 2}]}, RELEASE, "an object whose `assets` holds an object without `name`"),
    ({"id": 2, "name": "a.bin", "size": "4"}, ASSET, "an object whose `size` is a string"),
    ({"id": 2, "name": "a.bin", "label": "Linux build"}, ASSET, None),
    ({"id": 2, "name": "a.bin", "label": ""}, ASSET, None),  # GitHub's "no label"
    ({"id": 2, "name": "a.bin", "label": None}, ASSET, None),  # nullable in the OpenAPI description
    ({"id": 2, "name": "a.bin", "label": 7}, ASSET, "an object whose `label` is a number"),
]


@pytest.mark.parametrize(("data", "shape", "problem"), SHAPES)
def test_what_is_wrong_with_an_answer_is_said_in_words(data, shape, problem):
    assert shape_problem(data, shape) == problem


def test_a_list_where_a_release_is_due_names_the_url_the_status_and_what_was_expected(m, make):
    m.get(f"{RELEASES}/1", json=[{"id": 1}])
    with pytest.raises(UnexpectedAnswer) as caught:
        make().get_release(1)
    text = str(caught.value)
    assert f"GET {RELEASES}/1 → 200" in text
    assert "GitHub, or a proxy in front of it, answered with a JSON list; expected a release" in text


@pytest.mark.parametrize(
    ("page", "says"),
    [({"id": 1}, "a JSON object; expected a list of releases"), ([{"id": 1}, [2]], "a JSON list; expected a release")],
    ids=["object-for-a-list", "item-not-an-object"],
)
def test_a_list_page_of_the_wrong_shape_is_an_unexpected_answer(m, make, page, says):
    m.get(f"{RELEASES}?per_page=100", json=page)
    with pytest.raises(UnexpectedAnswer, match=says):
        list(make().iter_releases())


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ({"text": "<html>Sign in</html>", "headers": {"Content-Type": "text/html"}}, "a text/html page, not JSON"),
        ({"text": ""}, "an empty body"),
        ({"text": "[" * 100_000 + "]" * 100_000}, "a body that is not JSON"),
        ({"text": '{"id": 1', "headers": {"Content-Type": "application/json"}}, "a body that is not JSON"),
        ({"text": "x", "headers": {"Content-Type": "::warning::x/y"}}, "a body that is not JSON"),
    ],
    ids=["html", "empty", "nested-too-deep", "truncated", "garbled-content-type"],
)
def test_a_200_that_is_not_json_is_an_unexpected_answer_not_a_network_error(m, make, answer, says):
    m.get(f"{RELEASES}/1", **answer)
    with pytest.raises(UnexpectedAnswer) as caught:
        make().get_release(1)
    assert not isinstance(caught.value, requests.RequestException)
    assert caught.value.status == 200
    assert says in str(caught.value) and "expected a release" in str(caught.value)
    assert "Sign in" not in str(caught.value), "the page's text is not repeated"


def test_an_html_404_from_a_proxy_is_not_taken_for_no_such_release(m, make):
    m.get(f"{RELEASES}/tags/v1", status_code=404, text="<html>blocked</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(UnexpectedAnswer, match="text/html page"):
        make().get_release_by_tag("v1")


def test_an_html_502_is_retried_like_any_502_and_the_budget_error_names_it(m, make, fake, no_jitter):
    m.get(f"{RELEASES}/1", status_code=502, text="<html>Bad gateway</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(BudgetExhausted, match=f"a retry after GET {RELEASES}/1 answered 502"):
        make(seconds=5).get_release(1)
    assert m.call_count == 4  # after waits of 0.5, 1 and 2 s; the next, 4 s, no longer fits


@pytest.mark.parametrize("reset", ["soon", "1e400", "nan", "", "-1", "1.5", "123456789012"])
def test_a_garbled_rate_limit_reset_is_an_error_without_a_wait_or_a_retry(m, make, fake, reset):
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    m.get(f"{RELEASES}/1", status_code=403, json={"message": "API rate limit exceeded"}, headers=headers)
    with pytest.raises(UnexpectedAnswer, match=r"x-ratelimit-reset: .*expected whole seconds"):
        make().get_release(1)
    assert m.call_count == 1 and fake.sleeps == []


@pytest.mark.parametrize("retry_after", ["soon", "nan", "1e400", "-5", "1.5", "Fri, 10 May 2024 16:00:05 GMT"])
def test_a_garbled_retry_after_is_an_error_without_a_wait_or_a_retry(m, make, fake, retry_after):
    m.get(f"{RELEASES}/1", status_code=429, json={"message": "Too Many Requests"}, headers={"Retry-After": retry_after})
    with pytest.raises(UnexpectedAnswer, match=r"retry-after: .*expected whole seconds"):
        make().get_release(1)
    assert m.call_count == 1 and fake.sleeps == []


# -- time and size, on a real socket -------------------------------------------------------------


class Slow:
    """A loopback HTTP server with one scripted answer: `head`, then `size` bytes of filler.

    The filler is sent `rate` bytes a second (None: at once), and so is the head unless
    `head_at_once`; `sent` counts what the client took before it hung up.
    """

    def __init__(self, head: bytes, size: int = 0, rate: float | None = None, head_at_once: bool = False) -> None:
        self.head, self.size, self.rate, self.head_at_once = head, size, rate, head_at_once
        self.sent = 0
        self.stopped = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self.sock.accept()
            with conn:
                conn.recv(65536)
                filler = b"x" * 65536
                if self.head_at_once:
                    conn.sendall(self.head)
                chunks = [b"" if self.head_at_once else self.head]
                chunks += [filler[: self.size - i] for i in range(0, self.size, len(filler))]
                for chunk in chunks:
                    step = 1 if self.rate else max(1, len(chunk))
                    for i in range(0, len(chunk), step):
                        if self.stopped.wait(1 / self.rate if self.rate else 0):
                            return
                        conn.sendall(chunk[i : i + step])
                        self.sent += step

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.fixture
def slow() -> Iterator[type[Slow]]:
    servers: list[Slow] = []

    def start(*args, **kwargs) -> Slow:
        servers.append(Slow(*args, **kwargs))
        return servers[-1]

    yield start  # type: ignore[misc]
    for server in servers:
        server.close()


OK_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"


@pytest.mark.parametrize("head_at_once", [True, False], ids=["body-trickles", "head-and-body-trickle"])
def test_a_request_is_bounded_as_a_whole_not_per_read_so_a_trickle_cannot_outlast_the_budget(slow, head_at_once):
    server = slow(OK_HEAD, size=1000, rate=20, head_at_once=head_at_once)
    client = GitHub(Transport(server.url, TOKEN, Deadline(1.0)), REPO)  # reads every 50 ms: no read timeout fires
    start = time.monotonic()
    with pytest.raises(BudgetExhausted, match=r"`timeout_seconds` \(1\) ran out .* the answer to GET http://127"):
        client.get_release(1)
    assert time.monotonic() - start < 1.8


def test_an_answer_declared_bigger_than_the_cap_is_refused_unread(slow):
    server = slow(b"HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\n", size=200 << 20)
    with pytest.raises(UnexpectedAnswer, match="a body declared as 209715200 bytes") as caught:
        GitHub(Transport(server.url, TOKEN, Deadline(10)), REPO).get_release(1)
    assert caught.value.status == 200
    assert server.sent < 32 << 20, "the client stopped reading at once"


def test_an_answer_that_streams_past_the_cap_is_refused_once_past_it(slow, monkeypatch):
    monkeypatch.setattr(transport, "MAX_ANSWER_BYTES", 1 << 20)
    server = slow(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", size=200 << 20)
    with pytest.raises(UnexpectedAnswer, match="a body of more than 1048576 bytes"):
        GitHub(Transport(server.url, TOKEN, Deadline(10)), REPO).get_release(1)
    assert server.sent < 32 << 20, "the client stopped reading soon after the cap"


HANG_UP = b""  # in Scripted's answers: the connection ends after the answer before it


class Scripted:
    """A loopback HTTP server that answers each request with the next of `answers` (raw bytes),
    on as few connections as the client uses (an answer followed by HANG_UP ends its connection);
    `connections` counts them."""

    def __init__(self, *answers: bytes) -> None:
        self.answers = list(answers)
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(5)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self.answers:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with contextlib.suppress(OSError), conn, conn.makefile("rb") as requests_in:  # a reset ends one
                while self.answers:
                    head = b""
                    while line := requests_in.readline():
                        head += line
                        if line == b"\r\n":
                            break
                    if not head:
                        break  # the client closed this connection
                    conn.sendall(self.answers.pop(0))
                    if self.answers[:1] == [HANG_UP]:
                        self.answers.pop(0)
                        break


def answer_of(body: bytes, *headers: str) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + "".join(f"{h}\r\n" for h in headers).encode()
        + (b"\r\n" + body)
    )


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def client_of(server: Scripted, seconds: float = 10) -> GitHub:
    return GitHub(Transport(server.url, TOKEN, Deadline(seconds)), REPO)


def test_a_chunked_answer_is_read_and_the_connection_kept_for_the_next_request():
    release = b'{"id": 1, "name": "' + b"n" * 100_000 + b'"}'
    server = Scripted(
        answer_of(chunked(release[:70_000], release[70_000:]), "Transfer-Encoding: chunked"),
        answer_of(b'{"id": 2}', "Content-Length: 9"),
    )
    client = client_of(server)
    assert client.get_release(1)["id"] == 1
    assert client.get_release(2) == {"id": 2}
    assert server.connections == 1, "the connection was not reused after a chunked answer"


@pytest.mark.parametrize("size_line", [b"-5", b"+5", b"0x5", b"5 5", b"fffffffff", b"", b"5;" + b"x" * 5000, b"\xff"])
def test_a_garbled_chunk_size_is_an_unexpected_answer_naming_it(size_line):
    server = Scripted(answer_of(size_line + b'\r\n{"id": 1}\r\n0\r\n\r\n', "Transfer-Encoding: chunked"))
    with pytest.raises(UnexpectedAnswer, match="a chunk size of") as caught:
        client_of(server).get_release(1)
    assert caught.value.status == 200


def test_a_chunk_longer_than_its_size_is_an_unexpected_answer():
    server = Scripted(answer_of(b'3\r\n{"id": 1}\r\n0\r\n\r\n', "Transfer-Encoding: chunked"))
    with pytest.raises(UnexpectedAnswer, match="a chunk longer than its chunk size says"):
        client_of(server).get_release(1)


CUT_AFTER_A_CHUNK = b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"id"'  # the connection ends before the CRLF


def test_a_read_whose_connection_ends_right_after_a_chunk_is_retried_not_taken_for_a_garbled_chunk():
    server = Scripted(b"HTTP/1.1 200 OK\r\n" + CUT_AFTER_A_CHUNK, HANG_UP, answer_of(b'{"id": 1}', "Content-Length: 9"))
    logged: list[str] = []
    client = client_of(server)
    client.transport.log = logged.append
    assert client.get_release(1) == {"id": 1}
    assert server.connections == 2
    assert "ChunkedEncodingError; retrying" in logged[0]


def test_a_write_whose_connection_ends_right_after_a_chunk_has_an_unknown_outcome():
    server = Scripted(b"HTTP/1.1 200 OK\r\n" + CUT_AFTER_A_CHUNK, HANG_UP)  # (a write without a body to send)
    with pytest.raises(OutcomeUnknown, match="ChunkedEncodingError after sending"):
        client_of(server).delete_release(1)


def test_a_chunked_answer_past_the_cap_is_refused_before_it_is_held(monkeypatch):
    monkeypatch.setattr(transport, "MAX_ANSWER_BYTES", 1 << 20)
    server = Scripted(answer_of(chunked(*[b"x" * 65536] * 40), "Transfer-Encoding: chunked"))
    with pytest.raises(UnexpectedAnswer, match="a body of more than 1048576 bytes;"):
        client_of(server).get_release(1)


def gzipped(data: bytes, wbits: int = 31) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzipped(b'{"id": 1}')),
        ("x-gzip", gzipped(b'{"id": 1}')),
        ("gzip", gzipped(b'{"id": 1,') + gzipped(b' "name": "two members"}')),  # RFC 1952 allows several
        ("deflate", gzipped(b'{"id": 1}', 15)),  # zlib-wrapped, as the RFC says
        ("deflate", gzipped(b'{"id": 1}', -15)),  # raw, as some servers send it
        ("identity", b'{"id": 1}'),
    ],
)
def test_a_compressed_answer_is_decoded(coding, body):
    server = Scripted(answer_of(body, f"Content-Encoding: {coding}", f"Content-Length: {len(body)}"))
    assert client_of(server).get_release(1)["id"] == 1


def test_a_gzip_bomb_is_refused_once_its_decoded_bytes_pass_the_cap(monkeypatch):
    monkeypatch.setattr(transport, "MAX_ANSWER_BYTES", 1 << 20)
    bomb = gzipped(bytes(64 << 20))  # 64 KiB that inflates to 64 MiB
    server = Scripted(answer_of(bomb, "Content-Encoding: gzip", f"Content-Length: {len(bomb)}"))
    with pytest.raises(UnexpectedAnswer, match=r"a body of more than 1048576 bytes \(decoded from gzip\)"):
        client_of(server).get_release(1)


@pytest.mark.parametrize(
    ("coding", "says"), [("br", "'br' coding, which was not asked for"), ("gzip", "not valid gzip")]
)
def test_a_body_that_cannot_be_decoded_is_an_unexpected_answer(coding, says):
    server = Scripted(answer_of(b"garbage!", f"Content-Encoding: {coding}", "Content-Length: 8"))
    with pytest.raises(UnexpectedAnswer, match=says):
        client_of(server).get_release(1)


def test_only_the_codings_decoded_here_are_asked_for(m, make):
    m.get(f"{RELEASES}/1", json={"id": 1})
    make().get_release(1)
    assert m.last_request.headers["Accept-Encoding"] == "gzip, deflate"


def test_a_redirect_s_body_is_never_read():
    # The 301 declares 1 GiB and sends 64 KiB of it; reading it would wait out the budget.
    moved = b"HTTP/1.1 301 Moved\r\nLocation: /repos/octo/repo/releases/2\r\nContent-Length: 1073741824\r\n\r\n"
    server = Scripted(moved + b"x" * 65536, answer_of(b'{"id": 2}', "Content-Length: 9"))
    start = time.monotonic()
    assert client_of(server, seconds=5).get_release(1) == {"id": 2}
    assert time.monotonic() - start < 4
    assert server.connections == 2, "the connection with the unread body was not dropped"


# -- proxies ------------------------------------------------------------------------------------


def test_https_proxy_is_used_for_an_https_api(m, make, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    m.get(f"{RELEASES}/1", json={"id": 1})
    make().get_release(1)
    assert m.last_request.proxies.get("https") == "http://proxy.example:3128"


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_no_proxy_is_used_for_a_loopback_api(m, make, monkeypatch, variable):
    monkeypatch.setenv(variable, "http://proxy.example:3128")
    m.get(f"http://127.0.0.1:8080/repos/{REPO}/releases/1", json={"id": 1})
    make(api_url="http://127.0.0.1:8080").get_release(1)
    assert m.last_request.proxies == {}


# -- JSON within bounds ---------------------------------------------------------------------------

PARSED = [
    b"[]",
    b" [ ]\n",
    b'[{"id": 1}, {"id": 2, "assets": [{"id": 3}]}]',
    b'[1, "a,]}[{", {"x": [1, 2]}, null, true, 1.5]',
    b'{"message": "Not Found", "errors": [{"code": "invalid"}]}',
    b'["\\"]\\\\", 2]',
    b'"text"',
]


@pytest.mark.parametrize("text", PARSED)
def test_json_within_bounds_is_what_json_loads_reads(text):
    assert bounded_json.loads(text, cap=1 << 20) == json.loads(text)


NOT_JSON = [b"", b"[", b"[1}", b"[1] [2]", b"[1,]", b'["abc', b'[{"a": 1}] x', b"{", b"nope"]


@pytest.mark.parametrize("text", NOT_JSON)
def test_what_is_not_json_is_refused_as_json_loads_refuses_it(text):
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        bounded_json.loads(text, cap=1 << 20)


COSTLY = [
    (b"[" + b"{}," * 30_000 + b"{}]", {}, "JSON of more than 26214 values"),
    (b'{"x": [' + b"1," * 30_000 + b"1]}", {}, "JSON of more than 26214 values"),
    (b"[" + b"1," * 100 + b"1]", {"max_items": 100}, "a list of more than 100 items"),
    (b'[{"id": 1}, "' + b"x" * 2000 + b'"]', {"max_item_bytes": 1000}, "a list item of more than 1000 bytes"),
]


@pytest.mark.parametrize(("text", "bounds", "says"), COSTLY)
def test_json_that_would_cost_too_much_to_parse_is_refused_unparsed(text, bounds, says):
    with pytest.raises(bounded_json.TooComplex, match=says):
        bounded_json.loads(text, cap=1 << 20, **bounds)


# -- URLs in answers ------------------------------------------------------------------------------

WEB_ORIGINS = [
    ("https://api.github.com", "https://github.com"),
    ("https://api.github.com/", "https://github.com"),
    ("https://api.octo.ghe.com", "https://octo.ghe.com"),
    ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
    ("https://api.corp.example/api/v3", "https://api.corp.example"),  # GHES on a host named api.*
    ("https://ghe.example.com:8443/api/v3", "https://ghe.example.com:8443"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),  # the simulator
]


@pytest.mark.parametrize(("api_url", "web"), WEB_ORIGINS)
def test_the_web_origin_is_where_github_serves_pages_for_the_api(api_url, web):
    assert str(web_origin_of(api_url)) == web


URLS = [
    # (api_url, field kind, url, allowed)
    (API, WEB, "https://github.com/octo/repo/releases/tag/v1", True),
    (API, WEB, "https://github.com/octo/repo/releases/download/v1/app.zip", True),
    (API, WEB, "https://api.github.com/octo/repo/releases/tag/v1", False),
    (API, WEB, "http://github.com/octo/repo/releases/tag/v1", False),
    (API, WEB, "https://github.com.evil.example/x", False),
    (API, WEB, "https://github.com/x\n::warning::y", False),
    (API, WEB, "https://github.com/x\x1b]52;c;eA==\x07", False),
    (API, WEB, "javascript:alert(1)", False),
    (API, WEB, "/octo/repo/releases/tag/v1", False),
    (API, UPLOAD, "https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}", True),
    (API, UPLOAD, "https://api.github.com/repos/o/r/releases/1/assets{?name,label}", True),
    (API, UPLOAD, "https://github.com/repos/o/r/releases/1/assets{?name,label}", False),
    ("https://api.octo.ghe.com", UPLOAD, "https://uploads.octo.ghe.com/repos/o/r/releases/1/assets", True),
    ("https://api.octo.ghe.com", WEB, "https://octo.ghe.com/o/r/releases/tag/v1", True),
    ("https://ghe.example.com/api/v3", WEB, "https://ghe.example.com/o/r/releases/tag/v1", True),
    ("https://ghe.example.com/api/v3", UPLOAD, "https://ghe.example.com/api/uploads/repos/o/r/releases/1/assets", True),
    ("http://127.0.0.1:8080", UPLOAD, "http://127.0.0.1:8080/api/uploads/repos/o/r/releases/1/assets", True),
    ("http://127.0.0.1:8080", UPLOAD, "http://127.0.0.1:9090/repos/o/r/releases/1/assets", False),
    ("http://127.0.0.1:8080", WEB, "http://127.0.0.1:8080/o/r/releases/tag/v1", True),
    ("http://127.0.0.1:8080", WEB, "http://localhost:8080/o/r/releases/tag/v1", False),
    (API, API_ORIGIN, "https://api.github.com/repositories/1/releases?per_page=100&page=2", True),
    (API, API_ORIGIN, "https://github.com/repositories/1/releases?page=2", False),
    (API, API_ORIGIN, "http://api.github.com/repositories/1/releases?page=2", False),
    (API, API_ORIGIN, "https://uploads.github.com/repositories/1/releases?page=2", False),
    ("https://ghe.example.com/api/v3", API_ORIGIN, "https://ghe.example.com/api/v3/repositories/1/releases", True),
]


@pytest.mark.parametrize(("api_url", "where", "url", "allowed"), URLS)
def test_a_url_from_an_answer_is_on_the_origin_github_uses_for_it(api_url, where, url, allowed):
    problem = url_problem(url, where, origin_of(api_url), web_origin_of(api_url))
    assert (problem is None) is allowed, problem


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda r: {**r, "html_url": "https://evil.example/r"}, "a release whose `html_url`"),
        (lambda r: {**r, "upload_url": "https://uploads.evil.example/a{?name}"}, "a release whose `upload_url`"),
        (
            lambda r: {**r, "assets": [{"id": 2, "name": "a", "browser_download_url": "https://x.example/a"}]},
            "a release asset whose `browser_download_url`",
        ),
    ],
)
def test_a_release_with_a_url_off_its_origin_is_an_unexpected_answer_naming_the_field(m, make, edit, field):
    release = {"id": 1, "html_url": "https://github.com/o/r/releases/tag/v1", "assets": []}
    m.get(f"{RELEASES}/1", json=edit(release))
    with pytest.raises(UnexpectedAnswer, match=field):
        make().get_release(1)


# -- the token backstop on what is sent to be published -----------------------------------------


@pytest.mark.parametrize("field", ["body", "name", "tag_name"])
def test_a_release_whose_text_holds_the_token_is_not_sent(m, fake, field):
    client = GitHub(Transport(API, TOKEN, Deadline(60, clock=fake.clock, sleep=fake.sleep)), REPO, secret=TOKEN)
    payload = {"tag_name": "v1", "name": "One", "body": "notes", field: f"leaked: {TOKEN}!"}
    with pytest.raises(TokenFound, match=f"holds the job's token in `{field}`") as caught:
        client.create_release(payload)
    with pytest.raises(TokenFound):
        client.update_release(1, payload)
    assert TOKEN not in str(caught.value)
    assert m.call_count == 0


def test_generated_notes_that_hold_the_token_are_refused_once_read(m, fake):
    checkout = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    m.post(f"{RELEASES}/generate-notes", json={"name": "v1", "body": f"AUTHORIZATION: basic {checkout}"})
    client = GitHub(Transport(API, TOKEN, Deadline(60, clock=fake.clock, sleep=fake.sleep)), REPO, secret=TOKEN)
    with pytest.raises(TokenFound, match=r"generated for v1 holds the job.s token in `body`.*actions/checkout"):
        client.generate_notes("v1", None, "v0")
    assert m.call_count == 1
