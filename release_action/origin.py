"""Where the token may go: the API's origin, and the upload origin GitHub uses beside it.

An origin is what a connection is made to: scheme, host and port. `origin_of` reads it the
way the HTTP stack will connect, and refuses any URL that could be read two ways: requests
connects by urllib3's parse, which disagrees with the standard library's on backslashes,
`@` and percent-encoded hosts (`https://evil.example\\@uploads.github.com/` is evil.example to
urllib3, uploads.github.com to urlsplit). Pure functions: the client applies them to every
URL before a request carries the token (API calls, uploads, pagination links, redirects).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

DEFAULT_PORTS = {"http": 80, "https": 443}
# Host names: dot-separated labels of letters, digits, inner hyphens (and underscores, which
# some internal DNS allows); no empty label, so no trailing dot.
HOSTNAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$")


class UnsafeUrl(ValueError):
    """A URL that is not plain http(s), or whose origin is not beyond doubt; the message says why."""


@dataclass(frozen=True)
class Origin:
    scheme: str  # "https" or "http"
    host: str  # lower case; an IPv6 address without its brackets
    port: int  # the scheme's default port filled in

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if DEFAULT_PORTS[self.scheme] == self.port else f":{self.port}"
        return f"{self.scheme}://{host}{port}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ipv6(host: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
    except ValueError:
        return False


def origin_of(url: str) -> Origin:
    """The origin a request to `url` connects to; UnsafeUrl when that is in any doubt."""
    if any(not " " < c < "\x7f" for c in url):
        raise UnsafeUrl("it holds a space, a control character or a non-ASCII character")
    if "\\" in url:
        raise UnsafeUrl("it holds a backslash, which parsers read differently")
    try:
        ours, theirs = parse_url(url), urlsplit(url)
        their_port = theirs.port
    except (LocationParseError, ValueError) as exc:
        raise UnsafeUrl("it cannot be parsed") from exc
    scheme = (ours.scheme or "").lower()
    if scheme not in DEFAULT_PORTS or theirs.scheme.lower() != scheme:
        raise UnsafeUrl("it is not an http or https URL")
    if ours.auth is not None or "@" in theirs.netloc:
        raise UnsafeUrl("it carries a user name or password")
    if "%" in theirs.netloc:
        raise UnsafeUrl("its host is percent-encoded")
    host = ours.host or ""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not (HOSTNAME.match(bare) or (_ipv6(bare) and host != bare)):
        raise UnsafeUrl("it has no valid host name or address")
    if bare != theirs.hostname:
        raise UnsafeUrl("parsers disagree about its host")
    port = DEFAULT_PORTS[scheme] if ours.port is None else ours.port
    if port != (DEFAULT_PORTS[scheme] if their_port is None else their_port) or not 0 < port < 65536:
        raise UnsafeUrl("parsers disagree about its port, or it is out of range")
    return Origin(scheme, bare, port)


def upload_origin_problem(api: Origin, upload: Origin) -> str | None:
    """Why `upload` is not where GitHub puts the uploads of the API at `api`, or None.

    GitHub's rule: uploads.<domain> for api.<domain> (github.com, *.ghe.com), over https on
    the API's port; or the API's own origin (GitHub Enterprise Server, at https://HOST/api/uploads,
    and the simulator, which serves uploads the same way). Nothing else, loopback included:
    another port is another origin.
    """
    if upload == api:
        return None
    if upload.scheme != "https":
        return "plain http would carry the token in clear text"
    sibling = api.host.startswith("api.") and upload.host == "uploads." + api.host.removeprefix("api.")
    if not sibling:
        return f"it is neither the API's origin {api} nor GitHub's upload host for it"
    if upload.port != api.port:
        return f"its port {upload.port} is not the API's port {api.port}"
    return None


def web_origin_of(api_url: str) -> Origin | None:
    """Where GitHub serves the web pages (html_url, browser_download_url) of the API at `api_url`, or None.

    GitHub's rule, as for uploads: api.<domain> at the root (api.github.com, api.NAME.ghe.com)
    serves <domain>; an API under a path (GitHub Enterprise Server's https://HOST/api/v3) and a
    loopback API (the simulator) serve pages on their own origin.
    """
    try:
        api = origin_of(api_url)
    except UnsafeUrl:
        return None
    if urlsplit(api_url).path.strip("/") == "" and api.host.startswith("api.") and not api.loopback:
        return Origin(api.scheme, api.host.removeprefix("api."), api.port)
    return api
