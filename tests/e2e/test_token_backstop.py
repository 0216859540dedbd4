"""A backstop on every byte published: no notes, name or asset that holds the job's token.

Whatever a path rule misses (a build that embedded the token, a copy of `.git/config`, notes
that quote it), the run refuses to publish the token in any form the runner or
actions/checkout stores it: the raw token, and `AUTHORIZATION: basic <base64 of
x-access-token:TOKEN>`, which checkout writes into `.git/config` (or a git-credentials file
in RUNNER_TEMP). The error names the file or the input and never the token; local notes and
files are refused before the first request, so nothing is written.
"""

from __future__ import annotations

import base64

import pytest

from release_bench.sandbox import Hostile, Sandbox

from .conftest import REPO, TAG, Action, assert_converged, writes

MIB = 1 << 20


def checkout_header(token: str) -> str:
    """The line actions/checkout writes into .git/config (src/git-auth-helper.ts)."""
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return f'[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic {basic}\n'


def assert_refused_unsent(sb: Sandbox, run, *phrases: str) -> None:
    """Exit 2, one error holding every phrase, the token nowhere in the log, not one request."""
    assert run.code == 2, run
    assert len(run.errors) == 1, run
    for phrase in phrases:
        assert phrase in run.errors[0], run
    assert_token_not_logged(sb, run)
    assert "Traceback" not in run.stderr
    assert sb.log == [], "a request was made"


def assert_token_not_logged(sb: Sandbox, run) -> None:
    """Neither form of the token in the log, but in the ::add-mask:: that has the runner hide it."""
    logged = "\n".join(line for line in run.stdout.splitlines() if not line.startswith("::add-mask::"))
    for form in (sb.token, base64.b64encode(f"x-access-token:{sb.token}".encode()).decode()[:40]):
        assert form not in logged + run.stderr


NOTES = {
    "raw": lambda token: f"Deployed with {token}\n",
    "checkout-config": checkout_header,
}


@pytest.mark.parametrize("form", NOTES.keys())
def test_a_notes_file_holding_the_token_is_refused_before_any_request(sb: Sandbox, action: Action, form: str):
    (action.workdir / "notes.md").write_text(NOTES[form](sb.token))

    run = action.run({"tag": TAG, "notes_file": "notes.md"})

    assert_refused_unsent(sb, run, "`notes_file`", "'notes.md'", "token")


def test_a_changelog_section_holding_the_token_is_refused_before_any_request(sb: Sandbox, action: Action):
    changelog = f"# Changelog\n\n## {TAG}\n\n- fixed the deploy ({sb.token})\n\n## v0.9.0\n\n- first\n"
    (action.workdir / "CHANGELOG.md").write_text(changelog)

    run = action.run({"tag": TAG, "changelog_file": "CHANGELOG.md"})

    assert_refused_unsent(sb, run, "`changelog_file`", "'CHANGELOG.md'", "token")


@pytest.mark.parametrize(("name", "value"), [("notes", "raw"), ("name", "raw"), ("notes", "checkout-config")])
def test_notes_or_a_name_holding_the_token_are_refused_before_any_request(
    sb: Sandbox, action: Action, name: str, value: str
):
    run = action.run({"tag": TAG, name: NOTES[value](sb.token)})

    assert_refused_unsent(sb, run, f"`{name}`", "token")


def test_generated_notes_holding_the_token_are_refused_before_the_release_is_written(sb: Sandbox, action: Action):
    sb.push_tag(REPO, "v0.9.0")
    sb.add_fault("generate_notes", "answer", answer=Hostile(edit=lambda notes: {**notes, "body": f"leak: {sb.token}"}))

    run = action.run({"tag": TAG, "generate_notes": "true", "previous_tag": "v0.9.0"})

    assert run.code == 1, run
    assert len(run.errors) == 1 and "generated" in run.errors[0] and "token" in run.errors[0], run
    assert_token_not_logged(sb, run)
    assert sb.count(route="generate_notes") == 1
    assert [e["route"] for e in writes(sb)] == ["generate_notes"], "the release was written"


PLACES = {
    "at-the-start": 0,
    "across-a-chunk-boundary": MIB - 7,  # the read size of the hash: the token spans two reads
    "at-the-end": 3 * MIB - 40,
}


@pytest.mark.parametrize("place", PLACES.keys())
@pytest.mark.parametrize("form", ["raw", "checkout-config"])
def test_an_asset_holding_the_token_is_refused_before_any_request(sb: Sandbox, action: Action, place: str, form: str):
    secret = (sb.token if form == "raw" else checkout_header(sb.token)).encode()
    data = bytearray(3 * MIB)
    at = min(PLACES[place], len(data) - len(secret))
    data[at : at + len(secret)] = secret
    dist = action.workdir / "dist"
    dist.mkdir()
    (dist / "app.bin").write_bytes(b"clean")
    (dist / "app.tar").write_bytes(bytes(data))

    run = action.run({"tag": TAG, "files": "dist/*"})

    assert_refused_unsent(sb, run, "`files`", "dist/app.tar", "token")
    assert "app.bin" not in run.errors[0]


def test_an_asset_with_only_part_of_the_token_is_published(sb: Sandbox, action: Action):
    data = bytes(MIB - 20) + sb.token[:-1].encode() + bytes(100)  # one character short, across the boundary
    (action.workdir / "app.bin").write_bytes(data)

    run = action.run({"tag": TAG, "files": "app.bin"})

    release = assert_converged(sb, [run])
    assert [a["name"] for a in release["assets"]] == ["app.bin"]


def test_the_token_file_itself_named_in_files_is_refused(sb: Sandbox, action: Action):
    # A build that wrote the token into its output by mistake: caught whatever the path.
    (action.workdir / "token.txt").write_text(sb.token)

    run = action.run({"tag": TAG, "files": "*.txt"})

    assert_refused_unsent(sb, run, "'token.txt'", "token")
