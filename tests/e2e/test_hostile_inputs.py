"""Hostile and careless inputs against the real entrypoint: refused before the first request.

Each case is one of issue 8's examples. A refusal is exit code 2, exactly one `::error::`
naming the input, no traceback, and not one request in the sandbox's log: nothing written,
nothing sent, not even a read. The one input that is repaired, `tag: refs/tags/v9`, makes a
release tagged `v9` and says so in a notice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import REPO, Action, assert_converged, releases_for

SECRET = "do-not-publish-this"


def symlink_to_environ(workdir: Path) -> dict[str, str]:
    (workdir / "NOTES.md").symlink_to("/proc/self/environ")
    return {"notes_file": "NOTES.md"}


def absolute_notes_file(workdir: Path) -> dict[str, str]:
    outside = workdir.parent / f"{workdir.name}-outside.md"  # beside the workspace, not in it
    outside.write_text(SECRET)
    return {"notes_file": str(outside)}


def climbing_glob(workdir: Path) -> dict[str, str]:
    return {"files": "../../etc/*"}


def absolute_glob(workdir: Path) -> dict[str, str]:
    return {"files": "/etc/host*"}


def plain(inputs: dict[str, str]) -> Callable[[Path], dict[str, str]]:
    return lambda workdir: inputs


REFUSED = [
    ("notes_file", "a symlink to /proc/self/environ", symlink_to_environ, "outside"),
    ("notes_file", "an absolute path outside the workspace", absolute_notes_file, "outside"),
    ("files", "../../etc/*", climbing_glob, "outside"),
    ("files", "/etc/host*", absolute_glob, "outside"),
    ("tag", "refs/heads/main", plain({"tag": "refs/heads/main"}), "'refs/heads/main'"),
    ("repository", "a/..", plain({"repository": "a/.."}), "not '.' or '..'"),
    ("timeout_seconds", "0.5", plain({"timeout_seconds": "0.5"}), "from 1 to 21600"),
    ("token", "a non-ASCII token", plain({"token": "ghs_caf\u00e9\u2603"}), "non-ASCII"),
    ("api_url", "http://[::1", plain({"api_url": "http://[::1"}), "not a valid URL"),
    ("api_url", "credentials and a bad port", plain({"api_url": "http://user:hunter2@127.0.0.1:99999"}), "***@"),
]


@pytest.mark.parametrize(("name", "case", "setup", "says"), REFUSED, ids=[case for _, case, _, _ in REFUSED])
def test_a_hostile_input_is_refused_before_the_first_request(sb, action: Action, name, case, setup, says):
    run = action.run(setup(action.workdir))

    assert run.code == 2, run
    assert len(run.errors) == 1, run
    assert re.search(rf"`{name}[`:]", run.errors[0]), run.errors[0]
    assert says in run.errors[0], run.errors[0]
    assert "Traceback" not in run.stderr and run.stderr.strip() == "", run
    assert sb.log == [], "a refused run sent a request"
    assert sb.releases(REPO) == []
    log = "\n".join(line for line in run.stdout.splitlines() if not line.startswith("::add-mask::"))
    for leaked in (sb.token, SECRET, "INPUT_", "hunter2", "root:x:0:0"):
        assert leaked not in log, (leaked, run)
    assert run.outputs == {}


def test_tag_refs_tags_name_creates_the_release_for_name_with_a_notice(sb, action: Action):
    run = action.run({"tag": "refs/tags/v9"})

    release = assert_converged(sb, [run], tag="v9")
    assert release["tag_name"] == "v9"
    assert releases_for(sb, "refs/tags/v9") == []
    notices = [line for line in run.stdout.splitlines() if line.startswith("::notice")]
    assert len(notices) == 1 and "refs/tags/v9" in notices[0] and "'v9'" in notices[0], run
    assert run.stderr.strip() == "", run
