"""Specification of reading a git remote URL: which repository, on which host, with which API."""

from __future__ import annotations

import pytest

from release_action.remote import Remote, parse_remote


@pytest.mark.parametrize(
    ("url", "host", "repository"),
    [
        ("https://github.com/octo/demo.git", "github.com", "octo/demo"),
        ("https://github.com/octo/demo", "github.com", "octo/demo"),
        ("https://github.com/octo/demo/", "github.com", "octo/demo"),
        ("https://GitHub.com/Octo/Demo.git\n", "github.com", "Octo/Demo"),  # git's answer ends in a newline
        ("https://x-access-token:ghs_secret@github.com/octo/demo.git", "github.com", "octo/demo"),
        ("git@github.com:octo/demo.git", "github.com", "octo/demo"),
        ("github.com:octo/demo", "github.com", "octo/demo"),
        ("ssh://git@github.com/octo/demo.git", "github.com", "octo/demo"),
        ("ssh://git@ssh.github.com:443/octo/demo.git", "ssh.github.com", "octo/demo"),
        ("git://github.com/octo/demo.git", "github.com", "octo/demo"),
        ("https://ghes.example.com/team/tool.git", "ghes.example.com", "team/tool"),
        ("https://ghes.example.com:8443/team/tool.git", "ghes.example.com:8443", "team/tool"),
        ("git@ghes.example.com:team/tool.git", "ghes.example.com", "team/tool"),
        ("ssh://git@ghes.example.com:2222/team/tool.git", "ghes.example.com", "team/tool"),  # ssh port is not the API's
        ("https://octocorp.ghe.com/team/tool", "octocorp.ghe.com", "team/tool"),
        ("https://github.com/octo/demo.js.git", "github.com", "octo/demo.js"),
    ],
)
def test_a_github_remote_names_its_host_and_repository(url, host, repository):
    assert parse_remote(url) == Remote(host, repository)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "/srv/git/demo.git",
        "../demo",
        "file:///srv/git/octo/demo.git",
        r"C:\src\octo\demo",  # a Windows path, not host "C"
        "C:/src/demo",
        "https://github.com/octo",
        "https://github.com/octo/demo/tree/main",
        "https://github.com:notaport/octo/demo",
    ],
)
def test_anything_else_names_no_repository(url):
    assert parse_remote(url) is None


@pytest.mark.parametrize(
    ("host", "api_url"),
    [
        ("github.com", "https://api.github.com"),
        ("www.github.com", "https://api.github.com"),
        ("ssh.github.com", "https://api.github.com"),
        ("octocorp.ghe.com", "https://api.octocorp.ghe.com"),  # GitHub Enterprise Cloud, data residency
        ("ghes.example.com", "https://ghes.example.com/api/v3"),  # GitHub Enterprise Server
        ("ghes.example.com:8443", "https://ghes.example.com:8443/api/v3"),
    ],
)
def test_the_api_is_the_hosts_api(host, api_url):
    assert Remote(host, "o/r").api_url == api_url


def test_credentials_in_the_url_go_nowhere():
    remote = parse_remote("https://user:ghp_secret@ghes.example.com/team/tool.git")
    assert remote is not None and "secret" not in repr(remote) + remote.api_url
