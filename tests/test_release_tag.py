"""release_bench.release_tag: what a pushed version tag means to release.yml, as a table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from release_bench.release_tag import ReleaseTag, read

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("tag", "repository", "expected"),
    [
        (
            "v1.2.3",
            "octo/safe-release-action",
            ReleaseTag("v1.2.3", "v1.2", "v1", False, "ghcr.io/octo/safe-release-action"),
        ),
        ("v0.10.0", "Octo/Safe-Release", ReleaseTag("v0.10.0", "v0.10", "v0", False, "ghcr.io/octo/safe-release")),
        ("v2.0.0-rc.1", "o/n", ReleaseTag("v2.0.0-rc.1", "v2.0", "v2", True, "ghcr.io/o/n")),
        ("v12.34.56-beta-2", "o/n.x_y", ReleaseTag("v12.34.56-beta-2", "v12.34", "v12", True, "ghcr.io/o/n.x_y")),
    ],
)
def test_a_version_tag(tag, repository, expected):
    assert read(tag, repository) == expected


@pytest.mark.parametrize(
    ("tag", "repository", "error"),
    [
        ("v1.2", "o/n", "tag v1.2 is not vMAJOR.MINOR.PATCH"),
        ("1.2.3", "o/n", "tag 1.2.3 is not"),
        ("v1.2.3-", "o/n", "tag v1.2.3- is not"),
        ("v1.2.3+build", "o/n", "tag v1.2.3+build is not"),
        ("v1.2.3-rc_1", "o/n", "tag v1.2.3-rc_1 is not"),
        ("v1.2.3", "o", "GITHUB_REPOSITORY 'o' is not OWNER/NAME"),
        ("v1.2.3", "o/n\n::warning::x", "is not OWNER/NAME"),
    ],
)
def test_anything_else_is_refused_saying_what(tag, repository, error):
    with pytest.raises(ValueError, match=error.replace("+", r"\+")):
        read(tag, repository)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "release_bench.release_tag", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )


def test_the_command_prints_lines_for_github_output_and_github_env():
    proc = run("v3.1.4", "Octo/Demo")

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "version=v3.1.4\nminor=v3.1\nmajor=v3\nprerelease=false\nimage=ghcr.io/octo/demo\n"


def test_a_bad_tag_is_one_error_annotation_on_stderr_and_nothing_for_the_output_file():
    proc = run("v3.1", "octo/demo")

    assert proc.returncode == 1
    assert proc.stdout == ""  # the step appends stdout to $GITHUB_OUTPUT or $GITHUB_ENV
    assert proc.stderr.startswith("::error::tag v3.1 is not vMAJOR.MINOR.PATCH")
