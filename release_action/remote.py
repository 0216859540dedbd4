"""Which repository, and which API, a git remote URL points at (for `safe-release` run from a checkout).

Pure string rules, table-tested: the command runs `git remote get-url origin` and hands the
answer here. The URL may carry credentials (`https://user:token@host/...`); nothing here
returns or prints them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# github.com itself, and its SSH-over-HTTPS-port host (ssh://git@ssh.github.com:443/owner/name).
GITHUB_HOSTS = ("github.com", "www.github.com", "ssh.github.com")
GITHUB_API = "https://api.github.com"
URL_SCHEMES = ("https", "http", "ssh", "git", "git+ssh", "ssh+git")
# scp-like syntax, git's own: [user@]host:owner/name(.git). A one-letter "host" is a Windows drive.
SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^@/:\\]{2,}):(?!/)(?P<path>.+)$")


@dataclass(frozen=True)
class Remote:
    host: str  # lower-case, with the port only for http(s) remotes (where the web port is the API's)
    repository: str  # owner/name

    @property
    def api_url(self) -> str:
        """The REST API of the remote's host.

        github.com → api.github.com; a GitHub Enterprise Cloud host with data residency
        (NAME.ghe.com) → api.NAME.ghe.com; any other host is taken for GitHub Enterprise
        Server, whose API is https://HOST/api/v3. An SSH host alias from ~/.ssh/config is
        not a real host: pass --api-url then.
        """
        if self.host in GITHUB_HOSTS:
            return GITHUB_API
        if self.host.endswith(".ghe.com"):
            return f"https://api.{self.host}"
        return f"https://{self.host}/api/v3"


def parse_remote(url: str) -> Remote | None:
    """The GitHub repository a remote URL names, or None (a local path, an unknown form)."""
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:  # "host:notaport"
            return None
        if parts.scheme.lower() not in URL_SCHEMES or not parts.hostname:
            return None
        host = parts.hostname.lower()
        if parts.scheme.lower() in ("https", "http") and port:
            host = f"{host}:{port}"
        path = parts.path
    elif match := SCP_LIKE.match(url):
        host, path = match["host"].lower(), match["path"]
    else:
        return None
    path = path.strip("/").removesuffix(".git")
    segments = path.split("/")
    if len(segments) != 2 or not all(segments):
        return None
    return Remote(host, "/".join(segments))
