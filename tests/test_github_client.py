"""Specification of the GitHub client: headers, pagination, retries, rate limits and errors.

Every test runs on a fake clock whose sleep only advances time, so the recorded sleeps are
the waits the client chose; nothing really waits.
"""

from __future__ import annotations

import io
import time

import backoff
import pytest
import requests
import requests_mock

from release_action import __version__
from release_action.github import (
    BudgetExhausted,
    Conflict,
    Deadline,
    GitHub,
    GitHubError,
    OutcomeUnknown,
    RateLimited,
    github_time,
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
        return GitHub(api_url, TOKEN, REPO, deadline, wall_clock=fake.wall)

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
    assert TOKEN not in repr(make().session.auth)


def test_a_tag_is_looked_up_with_its_slashes_escaped(m, make):
    m.get(f"{RELEASES}/tags/release%2F1.0", json={"id": 4})
    assert make().get_release_by_tag("release/1.0") == {"id": 4}


@pytest.mark.parametrize("call", ["get_release", "get_release_by_tag"])
def test_a_404_read_means_no_such_release(m, make, call):
    m.get(requests_mock.ANY, status_code=404, json={"message": "Not Found"})
    assert getattr(make(), call)(1 if call == "get_release" else "v1") is None


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
    with pytest.raises(GitHubError, match="refusing to send the token"):
        list(make().iter_releases())
    assert not trap.called
    assert all(r.scheme == "https" and r.netloc == "api.github.com" for r in m.request_history)


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
        ("http://127.0.0.1:8080", "http://127.0.0.1:9090/repos/octo/repo/releases/1/assets{?name,label}"),
    ],
    ids=["github.com", "ghes", "loopback-sandbox"],
)
def test_an_upload_goes_to_the_release_upload_host_of_the_same_site(m, make, api_url, upload_url):
    base = upload_url.split("{")[0]
    m.post(f"{base}?name=app.tar.gz", complete_qs=True, status_code=201, json={"id": 9})
    gh = make(api_url=api_url)
    asset = gh.upload_asset(upload_url, "app.tar.gz", io.BytesIO(b"data"), 4, "application/gzip")
    assert asset == {"id": 9}
    assert m.last_request.headers["Content-Type"] == "application/gzip"
    assert m.last_request.headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("api_url", "upload_url"),
    [
        (API, "https://uploads.evil.example/repos/octo/repo/releases/1/assets{?name,label}"),
        (API, "https://uploads.github.com.evil.example/assets"),
        (API, "http://uploads.github.com/repos/octo/repo/releases/1/assets"),
        ("https://ghe.example.com/api/v3", "http://ghe.example.com/api/uploads/repos/o/r/releases/1/assets"),
        ("http://127.0.0.1:8080", "http://uploads.example.com/assets"),
    ],
    ids=["unrelated-host", "lookalike-host", "plain-http-github", "plain-http-ghes", "loopback-api-remote"],
)
def test_an_upload_to_another_host_or_over_plain_http_is_refused_before_sending(m, make, api_url, upload_url):
    with pytest.raises(GitHubError, match="refusing to upload"):
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
            return {"id": 9}

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
    assert (gh.requests_made, gh.writes_made) == (2, 1)


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
