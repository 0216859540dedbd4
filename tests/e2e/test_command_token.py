"""`safe-release` sends the token only where the user said: issue 14's remote attacks, replayed.

The command infers the repository (and, for github.com and NAME.ghe.com, the API) from the
`origin` remote of the checkout it runs in, and takes the token from the environment. Here
`origin` is hostile: a host that is not GitHub, or a `url.<base>.insteadOf` rule in the
checkout's own `.git/config` that rewrites github.com to another host. That host is a `Trap`
serving https with a certificate the command trusts (REQUESTS_CA_BUNDLE), as a real mirror's
would be; it must see no connection at all. The command runs as a subprocess, exactly as its
console script starts it, from this checkout's code.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from release_bench.harness import REPO, ROOT
from release_bench.sandbox import Trap
from tests.tls_helpers import self_signed

from .conftest import releases_for, writes

COMMAND = "import sys; from release_action.cli import main; sys.exit(main())"  # the console script
PROCESS_TIMEOUT = 120
GITHUB_ONLY = "ghp_a-github-com-token-from-gh-auth"  # what `gh auth token` gives: for github.com only


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 that the command is told to trust: (certificate, key)."""
    return self_signed(tmp_path_factory.mktemp("tls"), ca=True)


@pytest.fixture
def mirror(certificate: tuple[Path, Path]) -> Iterator[Trap]:
    """A host that is not GitHub, serving https with a certificate the command trusts."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with Trap(tls=context) as trap:
        yield trap


@pytest.fixture
def proxy() -> Iterator[Trap]:
    """An HTTPS_PROXY on loopback: a request meant for api.github.com stops here, never leaves the machine."""
    with Trap() as trap:
        yield trap


def env_for(certificate: tuple[Path, Path], **variables: str) -> dict[str, str]:
    """A terminal's environment: no runner, no token but those given, this checkout's code, git's own config only."""
    drop = ("INPUT_", "GITHUB_", "RUNNER_", "GH_", "GIT_")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(drop) and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ci")
    }
    return env | {
        "PYTHONPATH": str(ROOT),
        "REQUESTS_CA_BUNDLE": str(certificate[0]),  # the mirror's certificate is trusted, as a real one would be
        "NO_PROXY": "127.0.0.1,localhost",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        **variables,
    }


def git(checkout: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=checkout, env=env, check=True, capture_output=True, timeout=60)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    where = tmp_path / "checkout"
    where.mkdir()
    git(where, "init", "-q")
    return where


def command(checkout: Path, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", COMMAND, *flags],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )


def shown(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"


def test_an_origin_on_another_host_gets_no_token_and_the_command_asks_for_api_url(checkout, mirror, certificate):
    git(checkout, "remote", "add", "origin", f"{mirror.url}/{REPO}.git")

    proc = command(checkout, env_for(certificate, GH_TOKEN=GITHUB_ONLY), "--tag", "v1.0.0", "--timeout-seconds", "10")

    assert mirror.connections == 0, mirror.heads  # before: `Authorization: Bearer <GH_TOKEN>` over https
    assert proc.returncode == 2, shown(proc)
    assert "--api-url" in proc.stderr and f"127.0.0.1:{mirror.port}" in proc.stderr, shown(proc)
    assert GITHUB_ONLY not in proc.stdout + proc.stderr


def test_an_insteadof_rule_in_the_checkout_cannot_take_the_token_elsewhere(checkout, mirror, proxy, certificate):
    git(checkout, "remote", "add", "origin", f"https://github.com/{REPO}.git")
    git(checkout, "config", f"url.{mirror.url}/.insteadOf", "https://github.com/")  # what `git remote get-url` applies
    env = env_for(certificate, GH_TOKEN=GITHUB_ONLY, HTTPS_PROXY=proxy.url)

    proc = command(checkout, env, "--tag", "v1.0.0", "--timeout-seconds", "5")

    assert mirror.connections == 0, mirror.heads  # before: the token went to the mirror
    assert f"repository {REPO} at https://api.github.com (from git remote origin)" in proc.stdout, shown(proc)
    assert proxy.connections >= 1 and all(head.startswith(b"CONNECT api.github.com:443 ") for head in proxy.heads)
    assert not proxy.saw_token()  # the proxy sees only the tunnel's head, never the request inside it
    assert proc.returncode == 1, shown(proc)  # api.github.com is out of reach here, as asked


def test_another_hosts_api_takes_gh_enterprise_token_never_gh_token(checkout, sb, certificate):
    git(checkout, "remote", "add", "origin", f"git@git.example.test:{REPO}.git")
    flags = ["--tag", "v1.0.0", "--api-url", sb.api_url, "--notes", "n", "--timeout-seconds", "20"]

    refused = command(checkout, env_for(certificate, GH_TOKEN=sb.token), *flags)

    assert refused.returncode == 2, shown(refused)
    assert "GH_ENTERPRISE_TOKEN" in refused.stderr and "GH_TOKEN" in refused.stderr, shown(refused)
    assert sb.log == [], "the command sent GH_TOKEN to a host that is not GitHub's"

    env = env_for(certificate, GH_TOKEN=GITHUB_ONLY, GH_ENTERPRISE_TOKEN=sb.token)
    created = command(checkout, env, *flags)

    assert created.returncode == 0, shown(created)
    assert f"repository {REPO} at {sb.api_url} (from git remote origin)" in created.stdout
    assert len(releases_for(sb, "v1.0.0")) == 1
    assert {entry["client"] for entry in sb.log} == {"write"}  # every request carried GH_ENTERPRISE_TOKEN
    assert len(writes(sb)) == 1


def test_git_is_never_run_from_the_current_directory(checkout, sb, certificate):
    git(checkout, "remote", "add", "origin", f"git@github.com:{REPO}.git")
    planted = checkout / "git"  # what a cloned repository can carry; Windows runs it from the cwd
    ran = checkout.parent / "planted-git-ran"
    planted.write_text(f"#!{sys.executable}\nopen({str(ran)!r}, 'w').close()\nprint('https://github.com/evil/x')\n")
    planted.chmod(0o755)
    path = os.pathsep.join([".", "", os.environ.get("PATH", os.defpath)])  # relative entries first
    env = env_for(certificate, GH_TOKEN=sb.token, GH_ENTERPRISE_TOKEN=sb.token, PATH=path)

    proc = command(checkout, env, "--tag", "v1.0.0", "--api-url", sb.api_url, "--timeout-seconds", "20")

    assert not ran.exists(), "the command ran ./git"
    assert proc.returncode == 0, shown(proc)
    assert f"repository {REPO} at {sb.api_url} (from git remote origin)" in proc.stdout
