"""Whether waiting can help a request that never reached the server, and the error when it cannot.

Three ways of failing to connect do not mend in the minutes a retry schedule spans: a refused
connection (nothing listens at that host and port), a host name that does not resolve (a typo,
an SSH host alias, no DNS) and a TLS certificate that does not verify (a private CA, a proxy
that inspects TLS). The transport tries such a request QUICK_TRIES times, QUICK_WAIT seconds
apart (a server restarting, a resolver hiccup), then ends the run with `Unreachable`, which names
the host and what to check, in the run's words. Nothing was sent, so this holds for writes too.
Timeouts, resets and 5xx answers are not judged here: they keep the transport's retries.

`cause_of` is a pure function of the exception, tested as a table (tests/test_reach.py).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from enum import Enum
from urllib.parse import urlsplit

import requests
from urllib3.util.ssl_match_hostname import CertificateError

from release_action.errors import TITLE_PREFIX, ActionError
from release_action.remote import likely_ssh_alias
from release_action.wording import Words, words

QUICK_TRIES = 3  # in all, the first included
QUICK_WAIT = 0.5  # seconds between them: a few quick tries, well under any budget
MAX_LINKS = 32  # an exception's chain is short; a cycle or a freak chain ends the walk


class Cause(Enum):
    REFUSED = "connection refused"
    NO_SUCH_HOST = "host name not found"
    CERTIFICATE = "TLS certificate not verified"


def links(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps: its cause and context, exceptions among its args, urllib3's `reason`."""
    todo, seen = [exc], set()
    while todo and len(seen) < MAX_LINKS:
        link = todo.pop(0)
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        wrapped = [link.__cause__, link.__context__, getattr(link, "reason", None), *getattr(link, "args", ())]
        todo += [w for w in wrapped if isinstance(w, BaseException)]


def cause_of(exc: BaseException) -> Cause | None:
    """Why a request failed to connect, when waiting cannot help; None for anything else (retried)."""
    for link in links(exc):
        if isinstance(link, ssl.SSLCertVerificationError | CertificateError):
            return Cause.CERTIFICATE
        if isinstance(link, socket.gaierror):
            return Cause.NO_SUCH_HOST
        if isinstance(link, ConnectionRefusedError):
            return Cause.REFUSED
    return None


def through_proxy(exc: BaseException) -> bool:
    return any(isinstance(link, requests.exceptions.ProxyError) for link in links(exc))


def certificate_problem(exc: BaseException) -> str:
    """What OpenSSL said about the certificate ("self-signed certificate"), or ""."""
    for link in links(exc):
        if isinstance(link, ssl.SSLCertVerificationError):
            return str(link.verify_message or link.reason or "")
        if isinstance(link, CertificateError):
            return str(link)
    return ""


class Unreachable(ActionError):
    """GitHub's API could not be reached, and waiting would not help: the host, the cause, what to check."""

    title = f"{TITLE_PREFIX}: GitHub's API cannot be reached"

    def __init__(self, message: Words, cause: Cause, host: str) -> None:
        super().__init__(message)
        self.cause = cause
        self.host = host


def unreachable(exc: BaseException, url: str, api_url: str, tries: int, seconds: float) -> Unreachable:
    """The error that ends a run whose request to `url` failed `tries` times for a cause of `cause_of(exc)`."""
    cause = cause_of(exc) or Cause.REFUSED
    parts = urlsplit(url)
    host = parts.hostname or ""
    where = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    values = {
        "where": where,
        "host": host,
        "api_url": api_url,
        "tried": f"{tries} tries in {seconds:.1f}s",
        "problem": certificate_problem(exc) or "the certificate chain",
    }
    check_api = "Check `api_url` ({api_url}); for GitHub Enterprise Server it is https://HOST/api/v3."
    check_remote = (
        "Check `api_url` ({api_url}), or where the command took the API from the `origin` remote, "
        "`git remote get-url origin`; for GitHub Enterprise Server the API is https://HOST/api/v3."
    )
    if through_proxy(exc):
        found = "refused the connection" if cause is Cause.REFUSED else "could not be reached"
        text = (
            f"The proxy set for {{where}} (HTTPS_PROXY or HTTP_PROXY) {found} ({{tried}}). Check those variables, "
            "and NO_PROXY, which lists the hosts reached without the proxy."
        )
        return Unreachable(words(text, **values), cause, host)
    if cause is Cause.REFUSED:
        said = "{where} refused the connection ({tried}): nothing listens at that host and port."
        network = " On a self-hosted runner, check its firewall and proxy settings (HTTPS_PROXY, NO_PROXY)."
        template, command = f"{said} {check_api}{network}", f"{said} {check_remote} Check any proxy (HTTPS_PROXY)."
    elif cause is Cause.NO_SUCH_HOST:
        said = "The host name {host} could not be resolved ({tried}): no such host, or no DNS for it."
        if likely_ssh_alias(host):
            alias = (
                " {host} has no dot: it looks like an SSH host alias (a `Host` entry in ~/.ssh/config, as in "
                "git@{host}:OWNER/NAME), which only ssh knows."
            )
            template = f"{said}{alias} Give `api_url` with the real host name (the alias's `HostName`)."
            command = (
                f"{said}{alias} Give --api-url with the real host name (the alias's `HostName`): "
                "https://HOST/api/v3 for GitHub Enterprise Server; for a repository on github.com, give "
                "--repository OWNER/NAME --api-url https://api.github.com."
            )
        else:
            template = f"{said} {check_api} On a self-hosted runner, check its DNS and proxy settings (HTTPS_PROXY)."
            command = f"{said} {check_remote} Check the network's DNS, and any proxy (HTTPS_PROXY)."
    else:
        said = "The TLS certificate of {where} could not be verified ({problem}; {tried})."
        fix = (
            " If it comes from a private certificate authority (common for GitHub Enterprise Server, and for "
            "proxies that inspect TLS), give the runner that authority's certificate: set REQUESTS_CA_BUNDLE "
            "to its file in the step's `env`. Else check `api_url` ({api_url})."
        )
        command_fix = (
            " If it comes from a private certificate authority (common for GitHub Enterprise Server, and for "
            "proxies that inspect TLS), export REQUESTS_CA_BUNDLE=/path/to/that-authority.pem. "
            "Else check `api_url` ({api_url})."
        )
        template, command = said + fix, said + command_fix
    return Unreachable(words(template, command=command, **values), cause, host)
