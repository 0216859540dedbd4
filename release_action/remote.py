"""Which repository, and which API, a git remote URL points at; which token an API takes.

For `safe-release` run from a checkout. Pure string rules, table-tested: the command reads
`origin`'s URL as configured and hands it here. The URL may carry credentials
(`https://user:token@host/...`); nothing here returns or prints them.

The token goes only where the user said. The API is inferred from the remote only for
GitHub's own hosts (github.com, and NAME.ghe.com for GitHub Enterprise Cloud with data
residency); any other host (GitHub Enterprise Server, a mirror, an SSH alias, a hostile
`.git/config`) needs `--api-url`. And, as for `gh`, the token is chosen by the API's host:
GH_TOKEN / GITHUB_TOKEN for github.com and *.ghe.com, GH_ENTERPRISE_TOKEN /
GITHUB_ENTERPRISE_TOKEN for any other host (cli/go-gh pkg/auth/auth.go, `tokenForHost`), so a
github.com token (`gh auth token`) never reaches another server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# github.com itself, and its SSH-over-HTTPS-port host (ssh://git@ssh.github.com:443/owner/name).
GITHUB_HOSTS = ("github.com", "www.github.com", "ssh.github.com")
GITHUB_API = "https://api.github.com"
# GitHub Enterprise Cloud with data residency: NAME.ghe.com, its API at api.NAME.ghe.com.
GHE_COM = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.ghe\.com$")
URL_SCHEMES = ("https", "http", "ssh", "git", "git+ssh", "ssh+git")
# scp-like syntax, git's own: [user@]host:owner/name(.git), or [user@][IPv6]:owner/name.
# A one-letter "host" is a Windows drive.
SCP_LIKE = re.compile(
    r"^(?:[^@/:\[\]]+@)?(?:(?P<host>[^@/:\\\[\]]{2,})|\[(?P<ipv6>[0-9A-Fa-f:.]+)\]):(?!/)(?P<path>.+)$"
)
GITHUB_TOKENS = ("GH_TOKEN", "GITHUB_TOKEN")  # gh's order: GH_TOKEN wins when both are set
ENTERPRISE_TOKENS = ("GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")
# Set by cli.py for main() to report, with every other bad input: `origin` is on this host, which
# is not GitHub's, and no --api-url was given.
REMOTE_HOST_VARIABLE = "SAFE_RELEASE_REMOTE_HOST"


@dataclass(frozen=True)
class Remote:
    host: str  # lower-case, IPv6 in brackets, with the port only for http(s) remotes (where the web port is the API's)
    repository: str  # owner/name

    @property
    def api_url(self) -> str | None:
        """The REST API of the remote's host when the host is GitHub's own, else None.

        github.com → api.github.com; a GitHub Enterprise Cloud host with data residency
        (NAME.ghe.com) → api.NAME.ghe.com. Any other host may be GitHub Enterprise Server
        (https://HOST/api/v3), or not GitHub at all: only the user can say, with --api-url.
        """
        if self.host in GITHUB_HOSTS:
            return GITHUB_API
        if GHE_COM.match(self.host):
            return f"https://api.{self.host}"
        return None


def parse_remote(url: str) -> Remote | None:
    """The GitHub repository a remote URL names, or None (a local path, an unknown form)."""
    url = url.strip()
    if any(c <= " " or c == "\x7f" for c in url):  # one URL, no line or space in it
        return None
    if "://" in url:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:  # "host:notaport"
            return None
        if parts.scheme.lower() not in URL_SCHEMES or not parts.hostname:
            return None
        host = parts.hostname.lower()
        if ":" in host:  # an IPv6 address keeps its brackets
            host = f"[{host}]"
        if parts.scheme.lower() in ("https", "http") and port:
            host = f"{host}:{port}"
        path = parts.path
    elif match := SCP_LIKE.match(url):
        host = match["host"].lower() if match["host"] else f"[{match['ipv6'].lower()}]"
        path = match["path"]
    else:
        return None
    path = path.strip("/").removesuffix(".git")
    segments = path.split("/")
    if len(segments) != 2 or not all(segments):
        return None
    return Remote(host, "/".join(segments))


def likely_ssh_alias(host: str) -> bool:
    """A host name without a dot, no IP address nor localhost: `github-work` in git@github-work:o/r, a `Host`
    of ~/.ssh/config that only ssh resolves."""
    return bool(host) and "." not in host and ":" not in host and host != "localhost"


def is_github_api(api_url: str) -> bool:
    """Whether `api_url` is on github.com or a NAME.ghe.com host: the hosts GH_TOKEN is for.

    By host name, as gh decides (any *.github.com is github.com, any *.ghe.com is a tenant).
    """
    try:
        host = (urlsplit(api_url.strip()).hostname or "").lower()
    except ValueError:
        return False
    return host == "github.com" or host.endswith((".github.com", ".ghe.com"))


def token_variables(api_url: str) -> tuple[str, ...]:
    """The environment variables the token for `api_url` is read from, in order."""
    return GITHUB_TOKENS if is_github_api(api_url) else ENTERPRISE_TOKENS
