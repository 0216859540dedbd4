"""Specification of reading a git remote URL: which repository, on which host, with which API."""

from __future__ import annotations

import pytest

from release_action.remote import ENTERPRISE_TOKENS, GITHUB_TOKENS, Remote, parse_remote, token_variables


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
        ("https://[::1]:8443/team/tool.git", "[::1]:8443", "team/tool"),  # IPv6 keeps its brackets
        ("ssh://git@[fd00::5]:2222/team/tool.git", "[fd00::5]", "team/tool"),
        ("git@[fd00::5]:team/tool.git", "[fd00::5]", "team/tool"),  # git's scp-like form for IPv6
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
        "https://github.com/octo/demo\nhttps://evil.example/x/y",  # one URL, no line in it
        "https://github.com/octo/de mo",
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
        # Any other host may be GitHub Enterprise Server, a mirror or an SSH alias: never guessed.
        ("ghes.example.com", None),
        ("ghes.example.com:8443", None),
        ("gitlab.com", None),
        ("github.com:8443", None),
        ("evilgithub.com", None),
        ("github.com.evil.example", None),
        ("a.b.ghe.com", None),
        ("[::1]", None),
    ],
)
def test_the_api_is_inferred_for_githubs_own_hosts_only(host, api_url):
    assert Remote(host, "o/r").api_url == api_url


@pytest.mark.parametrize(
    ("api_url", "variables"),
    [
        ("https://api.github.com", GITHUB_TOKENS),
        ("https://API.GitHub.com/", GITHUB_TOKENS),
        ("https://api.octocorp.ghe.com", GITHUB_TOKENS),  # gh: a tenant takes GH_TOKEN
        ("https://ghes.example.com/api/v3", ENTERPRISE_TOKENS),
        ("https://github.com.evil.example", ENTERPRISE_TOKENS),
        ("https://evilgithub.com", ENTERPRISE_TOKENS),
        ("http://127.0.0.1:8765", ENTERPRISE_TOKENS),  # the simulator is not github.com either
        ("https://[::1]:8443/api/v3", ENTERPRISE_TOKENS),
        ("not a url", ENTERPRISE_TOKENS),
    ],
)
def test_the_token_is_read_from_the_variables_gh_reads_for_the_apis_host(api_url, variables):
    assert token_variables(api_url) == variables
    assert GITHUB_TOKENS == ("GH_TOKEN", "GITHUB_TOKEN")
    assert ENTERPRISE_TOKENS == ("GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")


def test_credentials_in_the_url_go_nowhere():
    remote = parse_remote("https://user:ghp_secret@ghes.example.com/team/tool.git")
    assert remote is not None and "secret" not in repr(remote) + str(remote.api_url)
