"""The simulator's tests: an authenticated requests session for the sandbox (tests/conftest.py starts it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from release_bench.sandbox import Sandbox

REPO = "octo/demo"


class Client(requests.Session):
    """A session that prefixes the sandbox API URL and sends the write token."""

    def __init__(self, sb: Sandbox, token: str | None = None) -> None:
        super().__init__()
        self.sb = sb
        self.headers["Authorization"] = f"Bearer {token or sb.token}"
        self.headers["Accept"] = "application/vnd.github+json"

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        if url.startswith("/"):
            url = self.sb.api_url + url
        kwargs.setdefault("timeout", 30)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def gh(sandbox: Sandbox) -> Iterator[Client]:
    with Client(sandbox) as client:
        yield client


def upload(gh: Client, rel: dict, name: str, data: bytes = b"hi", ctype: str = "text/plain") -> requests.Response:
    url = rel["upload_url"].split("{")[0]
    return gh.post(url, params={"name": name}, data=data, headers={"Content-Type": ctype})


@pytest.fixture
def up(gh: Client):
    """Upload helper bound to the session: up(release_json, name, data=..., ctype=...)."""
    return lambda rel, name, data=b"hi", ctype="text/plain": upload(gh, rel, name, data, ctype)
