"""Specification of failing fast: which connection failures end a run after a few quick tries, and what the error says.

The causes are judged from exceptions as requests raises them: real ones where a loopback
socket can produce them (a refused port, a server whose certificate is self-signed), and the
same chain built by hand where it cannot (a name lookup that fails, a proxy). The schedule is
measured on a fake clock: nothing here really waits.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import requests_mock
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError

from release_action import reach
from release_action.budget import Deadline
from release_action.failures import failure_of
from release_action.github import GitHub
from release_action.reach import Cause, Unreachable, cause_of, unreachable
from release_action.remote import likely_ssh_alias
from release_action.transport import OutcomeUnknown, Transport
from release_action.wording import Mode
from release_bench.harness import FakeClock
from tests import tls_helpers

API = "https://ghes.example.com/api/v3"
RELEASES = f"{API}/repos/octo/repo/releases"


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def real_error(url: str, **kwargs) -> requests.RequestException:
    try:
        requests.get(url, timeout=5, **kwargs)
    except requests.RequestException as exc:
        return exc
    raise AssertionError(f"{url} answered")


def name_not_found(host: str = "ghes.example.com") -> requests.ConnectionError:
    """What requests raises when the host name does not resolve (urllib3 2's chain, built by hand)."""
    lookup = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    resolution = NameResolutionError(host, None, lookup)  # type: ignore[arg-type]
    resolution.__cause__ = lookup
    return requests.ConnectionError(MaxRetryError(None, "/", resolution))  # type: ignore[arg-type]


def refused_by_proxy() -> requests.exceptions.ProxyError:
    refused = ConnectionRefusedError(111, "Connection refused")
    connection = NewConnectionError(None, "Failed to establish a new connection: [Errno 111]")  # type: ignore[arg-type]
    connection.__cause__ = refused
    return requests.exceptions.ProxyError(MaxRetryError(None, "/", connection))  # type: ignore[arg-type]


# -- which failures end the run ------------------------------------------------------------------

JUDGED = [
    pytest.param(lambda: real_error(f"http://127.0.0.1:{refused_port()}/"), Cause.REFUSED, id="refused (real)"),
    pytest.param(name_not_found, Cause.NO_SUCH_HOST, id="name not found"),
    pytest.param(refused_by_proxy, Cause.REFUSED, id="the proxy refused"),
    pytest.param(lambda: requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104))),
                 None, id="reset: retried"),
    pytest.param(lambda: requests.ConnectionError("no cause at all"), None, id="bare: retried"),
    pytest.param(lambda: requests.ReadTimeout("read timed out"), None, id="read timeout: retried"),
    pytest.param(lambda: requests.ConnectTimeout("connect timed out"), None, id="connect timeout: retried"),
    pytest.param(lambda: requests.exceptions.SSLError(ssl.SSLEOFError(8, "EOF occurred in violation of protocol")),
                 None, id="TLS cut short: retried"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "cause"), JUDGED)
def test_only_a_refused_connection_an_unknown_host_or_a_bad_certificate_stop_the_retries(make, cause):
    assert cause_of(make()) is cause


def test_a_chain_that_loops_is_walked_once():
    a, b = ValueError("a"), ValueError("b")
    a.__context__, b.__context__ = b, a
    assert cause_of(a) is None


@pytest.mark.parametrize(
    ("host", "alias"),
    [("github-work", True), ("ghes", True), ("github.com", False), ("localhost", False), ("::1", False), ("", False)],
)
def test_a_host_without_a_dot_is_likely_an_ssh_alias(host, alias):
    assert likely_ssh_alias(host) is alias


# -- a real certificate that does not verify -------------------------------------------------------


@pytest.fixture
def self_signed(tmp_path: Path) -> Iterator[str]:
    """An https server on loopback whose certificate no authority signed: its URL."""
    cert_file, key_file = tls_helpers.self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass  # the client gives up during the handshake
            except (OSError, ssl.SSLError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    server.close()


def test_a_certificate_that_does_not_verify_stops_the_retries_and_says_what_openssl_said(self_signed, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    exc = real_error(self_signed + "/")
    assert cause_of(exc) is Cause.CERTIFICATE
    error = unreachable(exc, self_signed + "/repos/o/r/releases", self_signed, 3, 1.0)
    message = error.messages(Mode.ACTION)[0]
    assert f"The TLS certificate of {self_signed} could not be verified (self-signed certificate" in message
    assert "REQUESTS_CA_BUNDLE" in message and "`api_url`" in message


# -- the schedule: a few quick tries, then one error --------------------------------------------------


@pytest.fixture
def fake() -> FakeClock:
    return FakeClock()


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch):
    def refuse(seconds):
        raise AssertionError(f"a test really slept {seconds}s")

    monkeypatch.setattr(time, "sleep", refuse)


def client(fake: FakeClock, seconds: float = 300) -> GitHub:
    deadline = Deadline(seconds, clock=fake.clock, sleep=fake.sleep)
    return GitHub(Transport(API, "t0ken", deadline, wall_clock=fake.wall), "octo/repo")


@pytest.mark.parametrize("failure", [name_not_found, refused_by_proxy], ids=["name not found", "proxy refused"])
@pytest.mark.parametrize(
    ("call", "method", "url"),
    [
        (lambda gh: gh.get_release(1), "GET", f"{RELEASES}/1"),
        (lambda gh: gh.create_release({"tag_name": "v1"}), "POST", RELEASES),  # never sent: no OutcomeUnknown
    ],
    ids=["read", "write"],
)
def test_a_request_that_cannot_connect_ends_the_run_after_three_quick_tries(fake, failure, call, method, url):
    with requests_mock.Mocker() as m:
        m.register_uri(method, url, exc=failure())
        with pytest.raises(Unreachable) as caught:
            call(client(fake))
    assert m.call_count == reach.QUICK_TRIES == 3
    assert fake.sleeps == [0.5, 0.5]  # by the run's own clock: a second in all
    assert "(3 tries in 1.0s)" in str(caught.value)


def test_a_quick_try_that_connects_goes_on_as_if_nothing_happened(fake):
    with requests_mock.Mocker() as m:
        m.get(f"{RELEASES}/1", [{"exc": name_not_found()}, {"json": {"id": 1}}])
        assert client(fake).get_release(1) == {"id": 1}
    assert fake.sleeps == [0.5]


def test_a_write_cut_off_after_connecting_still_has_an_unknown_outcome(fake):
    reset = requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104)))
    with requests_mock.Mocker() as m:
        m.post(RELEASES, exc=reset)
        with pytest.raises(OutcomeUnknown):
            client(fake).create_release({"tag_name": "v1"})
    assert m.call_count == 1


def test_a_refused_connection_on_a_small_budget_ends_in_the_budget_error_not_later(fake):
    with requests_mock.Mocker() as m:
        m.get(f"{RELEASES}/1", exc=name_not_found())
        with pytest.raises(Exception, match="timeout_seconds") as caught:
            client(fake, seconds=0.7).get_release(1)
    assert not isinstance(caught.value, Unreachable)  # the second wait did not fit: the budget says so


def test_a_real_refused_port_fails_in_about_a_second_of_real_time(monkeypatch):
    monkeypatch.undo()  # this one really waits: the quick tries, on the real clock
    url = f"http://127.0.0.1:{refused_port()}"
    start = time.monotonic()
    with pytest.raises(Unreachable) as caught:
        GitHub(Transport(url, "t0ken", Deadline(300)), "octo/repo").get_release(1)
    assert time.monotonic() - start < 10  # 1 s of waits; a loaded machine may add some
    assert caught.value.cause is Cause.REFUSED and caught.value.host == "127.0.0.1"


# -- what the error says -------------------------------------------------------------------------------


def words_of(exc: BaseException, url: str = f"{API}/repos/o/r/releases/tags/v1", api_url: str = API):
    error = unreachable(exc, url, api_url, 3, 1.0)
    return failure_of(error).message, failure_of(error, mode=Mode.COMMAND).message


def test_a_refused_connection_names_the_host_and_port_and_api_url_in_the_runs_words():
    url = f"http://127.0.0.1:{refused_port()}"
    action, command = words_of(real_error(url + "/"), url + "/repos/o/r/releases", url)
    assert action.startswith(f"{url} refused the connection (3 tries in 1.0s): nothing listens at that host and port.")
    assert f"Check `api_url` ({url})" in action and "HTTPS_PROXY" in action
    assert f"Check --api-url ({url})" in command and "`origin` remote" in command and "`api_url`" not in command


def test_an_unknown_host_is_named_with_what_to_check():
    action, command = words_of(name_not_found())
    assert action.startswith("The host name ghes.example.com could not be resolved (3 tries in 1.0s)")
    assert "Check `api_url` (https://ghes.example.com/api/v3)" in action and "DNS" in action
    assert "Check --api-url (https://ghes.example.com/api/v3)" in command and "git remote get-url origin" in command


def test_a_host_without_a_dot_is_named_as_a_likely_ssh_alias_with_the_fix():
    url = "https://github-work/api/v3"
    action, command = words_of(name_not_found("github-work"), url + "/repos/o/r/releases", url)
    assert "github-work has no dot: it looks like an SSH host alias" in action
    assert "~/.ssh/config" in action and "Give `api_url` with the real host name" in action
    assert "Give --api-url with the real host name" in command
    assert "--repository OWNER/NAME --api-url https://api.github.com" in command


def test_a_refusing_proxy_is_named_as_the_proxy():
    action, command = words_of(refused_by_proxy())
    assert action.startswith("The proxy set for https://ghes.example.com (HTTPS_PROXY or HTTP_PROXY) refused")
    assert "NO_PROXY" in action
    assert command.startswith("The proxy set for")


def test_the_error_has_its_own_title():
    error = unreachable(name_not_found(), f"{API}/x", API, 3, 1.0)
    assert failure_of(error).title == Unreachable.title == "safe-release-action: GitHub's API cannot be reached"
