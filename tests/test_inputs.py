"""Specification of the action's inputs: every rule read_inputs enforces before any request.

The environment is built the way the runner builds it: every declared input is present as
INPUT_<NAME>, set to its default (expressions already substituted) unless the workflow set it.
The VALID and INVALID tables hold rows for every declared input (a test checks that); the
rest specifies the rules one by one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests_mock

from release_action import inputs as inputs_module
from release_action import local_files, notes
from release_action import main as main_module
from release_action.contract import INPUTS, Kind
from release_action.decide import Desired
from release_action.inputs import MAX_BODY, MAX_NOTES_FILE_BYTES, InputError, Reader, read_inputs
from release_action.wording import FLAGS_VARIABLE, Mode
from tests.fs_helpers import no_hang, unprivileged

TOKEN = "ghs_inputTestToken0123456789"
SHA = "0123456789abcdef0123456789abcdef01234567"

EXPRESSIONS = {
    "${{ github.sha }}": SHA,
    "${{ github.token }}": TOKEN,
    "${{ github.repository }}": "octo/repo",
    "${{ github.api_url }}": "https://api.github.com",
}


def runner_env(workspace: Path, **inputs: str) -> dict[str, str]:
    """What the runner passes a Docker action: every declared input, defaults substituted."""
    env = {f"INPUT_{name.upper()}": EXPRESSIONS.get(spec.default, spec.default) for name, spec in INPUTS.items()}
    env.update(
        {
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_SHA": SHA,
            "GITHUB_WORKSPACE": str(workspace),
            "INPUT_TAG": "v1.2.3",
        }
    )
    env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
    return env


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    (ws / "docs").mkdir(parents=True)
    (ws / "docs" / "notes.md").write_text("Héllo ✓\n\n- fixed `::` and 100%\n", encoding="utf-8")
    (ws / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    (ws / "long.md").write_text("x" * (MAX_BODY + 1), encoding="utf-8")
    (ws / "adir").mkdir()
    (ws / "environ.md").symlink_to("/proc/self/environ")
    (ws / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    return ws


CHANGELOG = """\
# Changelog

## [Unreleased]

## [1.2.3] - 2026-01-02

### Fixed
- the bug

## [1.2.2] - 2025-12-01

- older
"""


def names_input(message: str, name: str) -> bool:
    """The message names the input as the user writes it in the workflow: `name` or `name: …`."""
    return re.search(rf"`{re.escape(name)}[`:]", message) is not None


# -- the tag ---------------------------------------------------------------------------------


def test_the_tag_input_is_the_release_tag(workspace):
    assert read_inputs(runner_env(workspace, tag="v2.0.0")).desired.tag == "v2.0.0"


def test_without_a_tag_input_the_pushed_tag_from_github_ref_is_used(workspace):
    env = runner_env(workspace, tag="")
    env["GITHUB_REF"] = "refs/tags/release/2024.5.0"
    assert read_inputs(env).desired.tag == "release/2024.5.0"


def test_the_tag_input_wins_over_the_pushed_tag(workspace):
    env = runner_env(workspace, tag="v9")
    env["GITHUB_REF"] = "refs/tags/v1"
    assert read_inputs(env).desired.tag == "v9"


@pytest.mark.parametrize("ref", ["refs/heads/main", "refs/pull/7/merge", None])
def test_without_a_tag_input_or_a_tag_push_it_is_an_error_naming_tag(workspace, ref):
    env = runner_env(workspace, tag="")
    if ref is None:
        del env["GITHUB_REF"]
    else:
        env["GITHUB_REF"] = ref
    with pytest.raises(InputError) as caught:
        read_inputs(env)
    assert names_input(str(caught.value), "tag")
    assert (ref or "unset") in str(caught.value)


BAD_TAGS = [
    "-x",  # git tag refuses a leading '-' (it reads as an option)
    "a..b",
    "a b",
    "a~",
    "a^",
    "a:",
    "a?",
    "a*",
    "a[",
    "a\\b",
    "x.lock",
    "a.lock/b",
    ".x",
    "a/.b",
    "a/",
    "/a",
    "a//b",
    "a.",
    "@",  # a tag named like HEAD's shorthand is refused (stricter than git, deliberately)
    "a@{b",
    "a\x01b",
    "a\tb",
    "a\x7fb",
]
GOOD_TAGS = ["v1.2.3", "release/2024.5.0", "v1.0.0-rc.1+build", "a@b", "v1_b-c", "é", "{a}", "a/-b"]


@pytest.mark.parametrize("tag", BAD_TAGS)
def test_a_tag_that_git_check_ref_format_refuses_is_an_error_naming_tag(workspace, tag):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, tag=tag))
    assert names_input(str(caught.value), "tag")


@pytest.mark.parametrize("tag", BAD_TAGS[:-3])  # a control character cannot ride in GITHUB_REF
def test_a_malformed_pushed_tag_from_github_ref_is_refused_too(workspace, tag):
    env = runner_env(workspace, tag="")
    env["GITHUB_REF"] = f"refs/tags/{tag}"
    with pytest.raises(InputError, match="`tag`"):
        read_inputs(env)


@pytest.mark.parametrize("tag", GOOD_TAGS)
def test_a_well_formed_tag_is_accepted_as_is(workspace, tag):
    assert read_inputs(runner_env(workspace, tag=tag)).desired.tag == tag


def test_a_tag_given_as_refs_tags_name_is_the_tag_name_with_a_notice(workspace):
    inputs = read_inputs(runner_env(workspace, tag="refs/tags/v9"))
    assert inputs.desired.tag == "v9"
    (notice,) = map(str, inputs.notices)
    assert names_input(notice, "tag") and "'refs/tags/v9'" in notice and "'v9'" in notice
    assert "github.ref_name" in notice  # says how to avoid it


def test_a_plain_tag_gives_no_notice(workspace):
    assert read_inputs(runner_env(workspace, tag="v9")).notices == ()


@pytest.mark.parametrize("tag", ["refs/heads/main", "refs/pull/7/merge", "refs/remotes/o/v1", "refs/tags/", "refs/v1"])
def test_any_other_full_ref_as_tag_is_refused(workspace, tag):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, tag=tag))
    assert names_input(str(caught.value), "tag")
    assert repr(tag) in str(caught.value)


def test_refs_tags_is_stripped_once_only(workspace):
    with pytest.raises(InputError, match="`tag`"):
        read_inputs(runner_env(workspace, tag="refs/tags/refs/heads/x"))


def test_a_previous_tag_given_as_refs_tags_name_is_the_tag_name_with_a_notice(workspace):
    inputs = read_inputs(runner_env(workspace, previous_tag="refs/tags/v1.0.0", generate_notes="true"))
    assert inputs.desired.previous_tag == "v1.0.0"
    assert len(inputs.notices) == 1 and names_input(str(inputs.notices[0]), "previous_tag")


# Where the action is deliberately stricter than `git check-ref-format refs/tags/NAME`.
STRICTER_THAN_GIT = {"-x", "@"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize("tag", [t for t in BAD_TAGS + GOOD_TAGS if "\x00" not in t])
def test_tag_validity_agrees_with_git_check_ref_format(workspace, tag):
    git = subprocess.run(["git", "check-ref-format", f"refs/tags/{tag}"], capture_output=True, check=False)
    git_accepts = git.returncode == 0
    try:
        read_inputs(runner_env(workspace, tag=tag))
        we_accept = True
    except InputError:
        we_accept = False
    if tag in STRICTER_THAN_GIT:
        assert git_accepts and not we_accept
    else:
        assert we_accept == git_accepts


# -- booleans --------------------------------------------------------------------------------

BOOLEANS = [
    "append_notes",
    "generate_notes",
    "draft",
    "prerelease",
    "verify_tag",
    "dry_run",
    "overwrite_files",
    "remove_other_assets",
    "fail_on_unmatched_files",
]


def boolean_read(env: dict[str, str], name: str) -> bool:
    """The boolean input `name` as read_inputs reads it: where it ends up in what it hands over."""
    if name == "fail_on_unmatched_files":  # whether a pattern that matches nothing is an error or a warning
        try:
            asked = read_inputs({**env, "INPUT_FILES": "docs/*\nnothing/*"})
        except InputError as exc:
            assert "'nothing/*' matches no file" in str(exc)
            return True
        assert "'nothing/*' matches no file" in str(asked.files.warnings[0])
        return False
    if name == "remove_other_assets":  # needs `files` (with none, it would delete every asset)
        env = {**env, "INPUT_FILES": "docs/*"}
    asked = read_inputs(env)
    if name == "append_notes":  # where the notes go
        return asked.desired.placement == notes.PLACE_APPEND
    policy = ("dry_run", "overwrite_files", "remove_other_assets", "verify_tag")
    return getattr(asked.policy if name in policy else asked.desired, name)


def test_the_boolean_inputs_are_those_declared_boolean():
    assert [name for name, spec in INPUTS.items() if spec.kind is Kind.BOOLEAN] == BOOLEANS


@pytest.mark.parametrize("name", BOOLEANS)
@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("FALSE", False)],
)
def test_booleans_accept_exactly_the_yaml_core_spellings_of_true_and_false(workspace, name, text, value):
    assert boolean_read(runner_env(workspace, **{name: text}), name) is value


@pytest.mark.parametrize("name", BOOLEANS)
@pytest.mark.parametrize("text", ["yes", "no", "1", "0", "on", "off", "tRUE", "y", ""])
def test_any_other_boolean_spelling_is_an_error_naming_the_input(workspace, name, text):
    # '' can only come from a workflow writing `draft: ''` (the runner fills in the default
    # otherwise); refusing it is right: the user wrote something that is not a boolean.
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, **{name: text}))
    assert names_input(str(caught.value), name)
    assert repr(text) in str(caught.value)


# -- repository, notes, api_url, timeout, make_latest, previous_tag, token --------------------


GOOD_REPOSITORIES = [
    "octo/repo",
    "o/r.js",
    "Octo-Org/my_repo.v2",
    "a1/-",
    "a-b-c/.github",  # a name may start with '.', it just is not '.' or '..'
    "a/...",
    "octocat_acme/repo",  # a managed user (Enterprise Managed Users): handle_shortcode
    "x" * 39 + "/" + "y" * 100,
]
BAD_REPOSITORIES = [
    "octo",
    "octo/repo/extra",
    "/repo",
    "octo/",
    "oc to/repo",
    "-octo/repo",
    "octo-/repo",
    "oc--to/repo",
    "oc.to/repo",
    "_octo/repo",
    "octo_/repo",
    "x" * 40 + "/repo",
    "octo/" + "y" * 101,
    "a/..",
    "a/.",
    "../repo",
    "octo/re po",
    "octo/rep%2fo",
    "octo/répo",
    "",
    "https://github.com/octo/repo",
]


@pytest.mark.parametrize("repository", GOOD_REPOSITORIES)
def test_repository_is_owner_slash_name(workspace, repository):
    assert read_inputs(runner_env(workspace, repository=repository)).connection.repository == repository


@pytest.mark.parametrize("repository", BAD_REPOSITORIES)
def test_a_repository_not_following_githubs_naming_rules_is_an_error(workspace, repository):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, repository=repository))
    assert names_input(str(caught.value), "repository")
    assert repr(repository) in str(caught.value)


def test_notes_of_exactly_githubs_limit_are_accepted(workspace):
    assert read_inputs(runner_env(workspace, notes="x" * MAX_BODY)).desired.body == "x" * MAX_BODY


def test_notes_over_125000_characters_are_an_error_naming_notes(workspace):
    assert MAX_BODY == 125_000
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, notes="x" * (MAX_BODY + 1)))
    assert names_input(str(caught.value), "notes")
    assert "125000" in str(caught.value)


def test_empty_notes_mean_keep_the_existing_body(workspace):
    assert read_inputs(runner_env(workspace, notes="")).desired.body is None


def test_notes_are_passed_verbatim_not_stripped(workspace):
    assert read_inputs(runner_env(workspace, notes="  - item\n")).desired.body == "  - item\n"


def test_notes_file_is_read_as_utf8_relative_to_the_workspace(workspace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the workspace: the path must be resolved against it
    inputs = read_inputs(runner_env(workspace, notes_file="docs/notes.md"))
    assert inputs.desired.body == "Héllo ✓\n\n- fixed `::` and 100%\n"


def test_a_notes_file_from_a_windows_checkout_gives_the_same_body_as_from_linux(workspace):
    """CRLF (core.autocrlf) and a BOM would make a matrix's jobs rewrite each other's body."""
    (workspace / "docs" / "crlf.md").write_bytes(b"\xef\xbb\xbf## Changes\r\n\r\n- one\r\n")
    (workspace / "docs" / "lf.md").write_bytes(b"## Changes\n\n- one\n")
    crlf = read_inputs(runner_env(workspace, notes_file="docs/crlf.md")).desired.body
    assert crlf == read_inputs(runner_env(workspace, notes_file="docs/lf.md")).desired.body == "## Changes\n\n- one\n"


def test_notes_and_notes_file_together_are_an_error(workspace):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, notes="hi", notes_file="docs/notes.md"))
    assert names_input(str(caught.value), "notes") and names_input(str(caught.value), "notes_file")


@pytest.mark.parametrize("notes_file", ["missing.md", "latin1.md", "adir", "long.md"])
def test_a_notes_file_that_is_missing_not_utf8_a_directory_or_too_long_is_an_error(workspace, notes_file):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, notes_file=notes_file))
    assert names_input(str(caught.value), "notes_file")
    assert notes_file in str(caught.value) or "125000" in str(caught.value)


# -- local files: notes_file -------------------------------------------------------------------
# One rule (release_action.local_files): the path, every symlink followed, must lead inside the
# workspace or RUNNER_TEMP, to a regular file. Anything else is refused before any request,
# and the refusal names the input and the path as given.

SECRET = "do-not-publish-this"


@pytest.fixture
def places(tmp_path: Path, workspace: Path) -> dict[str, Path]:
    """A workspace, a RUNNER_TEMP beside it, and a secret outside both."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(SECRET)
    temp = tmp_path / "runner_temp"
    temp.mkdir()
    (temp / "notes.md").write_text("from RUNNER_TEMP")
    return {"workspace": workspace, "outside": outside, "temp": temp}


def plant(places: dict[str, Path], kind: str) -> str:
    """Make one hostile or special `notes_file` in the workspace; return the input's value."""
    ws, outside = places["workspace"], places["outside"]
    if kind == "symlink to /proc/self/environ":
        return "environ.md"
    if kind == "absolute path elsewhere":
        return str(outside / "secret.md")
    if kind == "/etc/passwd":
        return "/etc/passwd"
    if kind == "relative path climbing out":
        return "../outside/secret.md"
    if kind == "symlink to a file outside":
        (ws / "NOTES.md").symlink_to(outside / "secret.md")
        return "NOTES.md"
    if kind == "symlinked directory leading outside":
        (ws / "linked").symlink_to(outside, target_is_directory=True)
        return "linked/secret.md"
    if kind == "relative symlink climbing out":
        (ws / "up.md").symlink_to("../outside/secret.md")
        return "up.md"
    if kind == "symlink to /dev/zero":
        (ws / "zero.md").symlink_to("/dev/zero")
        return "zero.md"
    if kind == "symlink into RUNNER_TEMP":  # a symlink in the workspace stays in the workspace
        (ws / "temp.md").symlink_to(places["temp"] / "notes.md")
        return "temp.md"
    if kind == "dangling symlink":
        (ws / "gone.md").symlink_to(ws / "never-made.md")
        return "gone.md"
    if kind == "symlink loop":
        (ws / "loop-a").symlink_to(ws / "loop-b")
        (ws / "loop-b").symlink_to(ws / "loop-a")
        return "loop-a"
    if kind == "a directory":
        return "adir"
    if kind == "a FIFO":
        os.mkfifo(ws / "pipe.md")
        return "pipe.md"
    if kind == "a file over the byte cap":
        (ws / "huge.md").write_bytes(b"x" * (MAX_NOTES_FILE_BYTES + 1))
        return "huge.md"
    raise AssertionError(kind)


REFUSED_NOTES_FILES = [
    ("symlink to /proc/self/environ", "outside"),
    ("absolute path elsewhere", "outside"),
    ("/etc/passwd", "outside"),
    ("relative path climbing out", "outside"),
    ("symlink to a file outside", "outside"),
    ("symlinked directory leading outside", "outside"),
    ("relative symlink climbing out", "outside"),
    ("symlink to /dev/zero", "outside"),
    ("symlink into RUNNER_TEMP", "leads into RUNNER_TEMP"),
    ("dangling symlink", "does not exist"),
    ("symlink loop", "cannot be resolved"),
    ("a directory", "is a directory"),
    ("a FIFO", "is a FIFO"),
    ("a file over the byte cap", f"larger than {MAX_NOTES_FILE_BYTES} bytes"),
]


@pytest.mark.parametrize(("kind", "says"), REFUSED_NOTES_FILES, ids=[k for k, _ in REFUSED_NOTES_FILES])
def test_a_notes_file_that_is_not_a_regular_file_inside_the_workspace_is_refused(places, kind, says):
    notes_file = plant(places, kind)
    env = runner_env(places["workspace"], notes_file=notes_file)
    env["RUNNER_TEMP"] = str(places["temp"])
    with no_hang(), pytest.raises(InputError) as caught:
        read_inputs(env)
    message = str(caught.value)
    assert names_input(message, "notes_file")
    assert repr(notes_file) in message  # the path as the workflow spelled it
    assert says in message
    assert SECRET not in message and TOKEN not in message


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("relative path inside", "Héllo ✓\n\n- fixed `::` and 100%\n"),
        ("absolute path inside the workspace", "Héllo ✓\n\n- fixed `::` and 100%\n"),
        ("symlink to a file inside the workspace", "Héllo ✓\n\n- fixed `::` and 100%\n"),
        ("absolute path in RUNNER_TEMP", "from RUNNER_TEMP"),
    ],
)
def test_a_notes_file_inside_the_workspace_or_runner_temp_is_read(places, kind, body):
    ws, temp = places["workspace"], places["temp"]
    notes_file = {
        "relative path inside": "docs/notes.md",
        "absolute path inside the workspace": str(ws / "docs" / "notes.md"),
        "symlink to a file inside the workspace": "current.md",
        "absolute path in RUNNER_TEMP": str(temp / "notes.md"),
    }[kind]
    (ws / "current.md").symlink_to("docs/notes.md")
    env = runner_env(ws, notes_file=notes_file)
    env["RUNNER_TEMP"] = str(temp)
    assert read_inputs(env).desired.body == body


def test_without_runner_temp_only_the_workspace_is_allowed(places):
    with pytest.raises(InputError, match="outside"):
        read_inputs(runner_env(places["workspace"], notes_file=str(places["temp"] / "notes.md")))


def test_an_unreadable_notes_file_is_an_input_error():
    # A directory only `nobody` can traverse: pytest's own tmp_path is private to root.
    ws = Path(tempfile.mkdtemp(prefix="unreadable-"))
    try:
        ws.chmod(0o755)
        (ws / "notes.md").write_text("secret")
        (ws / "notes.md").chmod(0o000)
        env = runner_env(ws, notes_file="notes.md")

        result = unprivileged(lambda: read_inputs(env))

        assert result.startswith("InputError: "), result
        assert names_input(result, "notes_file") and "'notes.md'" in result
        assert "cannot be read (permission denied)" in result
    finally:
        shutil.rmtree(ws)


def test_the_notes_file_is_read_with_a_cap_never_whole(tmp_path):
    big = tmp_path / "big.md"
    limit = 100_000
    big.write_bytes(b"x" * (20 * limit))
    io = Path("/proc/self/io")

    def bytes_read() -> int:
        return int(re.search(r"^rchar: (\d+)$", io.read_text(), re.M).group(1))

    before = bytes_read()
    with pytest.raises(local_files.TooLarge):
        local_files.read_capped(big, [tmp_path], limit)
    read = bytes_read() - before

    # limit + 1 bytes of the file, plus the first reading of /proc/self/io itself (< 1 KiB)
    assert limit + 1 <= read < limit + 1 + 1024, read


def test_the_byte_cap_follows_from_githubs_character_limit():
    # UTF-8 spends at most 4 bytes on a character: more bytes cannot be MAX_BODY characters.
    assert MAX_NOTES_FILE_BYTES == 4 * MAX_BODY
    assert len(("\U0001f600" * MAX_BODY).encode("utf-8")) == MAX_NOTES_FILE_BYTES


def test_a_notes_file_within_the_byte_cap_but_over_the_character_limit_is_refused(workspace):
    (workspace / "wide.md").write_text("é" * (MAX_BODY + 1), encoding="utf-8")
    with pytest.raises(InputError, match=str(MAX_BODY)) as caught:
        read_inputs(runner_env(workspace, notes_file="wide.md"))
    assert names_input(str(caught.value), "notes_file")


# -- working_directory -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("working_directory", "says"),
    [
        ("../outside", "outside"),
        ("/etc", "outside"),
        ("escape", "outside"),  # a symlink in the workspace to a directory outside
        ("nowhere", "does not exist"),
        ("docs/notes.md", "not a directory"),
    ],
)
def test_a_working_directory_not_inside_the_workspace_is_refused(places, working_directory, says):
    (places["workspace"] / "escape").symlink_to(places["outside"], target_is_directory=True)
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(places["workspace"], files="*", working_directory=working_directory))
    assert names_input(str(caught.value), "working_directory")
    assert says in str(caught.value)


@pytest.mark.parametrize("working_directory", ["docs", "inner", "."])
def test_a_working_directory_inside_the_workspace_is_resolved(workspace, working_directory):
    (workspace / "inner").symlink_to(workspace / "docs", target_is_directory=True)
    (workspace / "environ.md").unlink()  # "*" in the workspace itself would match it (and refuse it)
    inputs = read_inputs(runner_env(workspace, files="*", working_directory=working_directory))
    expected = {"docs": "docs", "inner": "docs", ".": ""}[working_directory]
    assert inputs.files.working_directory == (workspace / expected).resolve()
    assert inputs.files.local and {file.path.parent for file in inputs.files.local} == {
        (workspace / expected).resolve()
    }


def test_the_roots_are_the_workspace_and_runner_temp(workspace, tmp_path):
    env = runner_env(workspace)
    assert Reader(env).roots == (workspace.resolve(),)
    env["RUNNER_TEMP"] = str(tmp_path)
    assert Reader(env).roots == (workspace.resolve(), tmp_path.resolve())


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("https://api.github.com", "https://api.github.com"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost", "http://localhost"),
        ("http://[::1]:9000/api", "http://[::1]:9000/api"),
    ],
)
def test_api_url_is_https_or_plain_http_only_to_a_loopback_host(workspace, api_url, expected):
    assert read_inputs(runner_env(workspace, api_url=api_url)).connection.api_url == expected


@pytest.mark.parametrize(
    "api_url",
    [
        "http://example.com",
        "http://10.0.0.1:8080",
        "http://localhost.example.com",
        "ftp://api.github.com",
        "api.github.com",
        "https://user:pass@api.github.com",
        "https://api.github.com/?x=1",
    ],
)
def test_an_api_url_that_could_leak_the_token_is_an_error(workspace, api_url):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, api_url=api_url))
    assert names_input(str(caught.value), "api_url")


@pytest.mark.parametrize(
    "api_url",
    [
        "http://[::1",
        "http://[::1]:9000:1",
        "https://api.github.com:99999",
        "https://api.github.com:abc",
        "https://api.github.com:0",
        "https://[nothex]/",
        "https://evil.example\\@api.github.com",
        "https://api.github.com\\evil",
        "https://api. github.com",
    ],
)
def test_an_api_url_that_does_not_parse_is_an_input_error(workspace, api_url):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, api_url=api_url))
    assert names_input(str(caught.value), "api_url")


@pytest.mark.parametrize(
    "api_url",
    [
        "https://user:hunter2@api.github.com",
        "https://hunter2@api.github.com",
        "https://user:hunter2@[::1",
        "http://user:hunter2@127.0.0.1:99999",
        "https://user:hunter2@ghe.example.com:abc/api/v3",
        "https://user:hunter2@a@api.github.com",
        "ftp://user:hunter2@api.github.com",
    ],
)
def test_an_api_url_error_never_echoes_credentials(workspace, api_url):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, api_url=api_url))
    assert names_input(str(caught.value), "api_url")
    assert "hunter2" not in str(caught.value) and "user" not in str(caught.value)


def test_timeout_seconds_is_a_number_of_seconds(workspace):
    assert read_inputs(runner_env(workspace, timeout_seconds="90.5")).connection.timeout_seconds == 90.5
    assert read_inputs(runner_env(workspace)).connection.timeout_seconds == 300


@pytest.mark.parametrize("timeout", ["1", "21600", "1.0", "300"])
def test_a_timeout_within_the_documented_range_is_accepted(workspace, timeout):
    assert read_inputs(runner_env(workspace, timeout_seconds=timeout)).connection.timeout_seconds == float(timeout)


@pytest.mark.parametrize("timeout", ["abc", "", "0", "0.5", "0.999", "-5", "nan", "inf", "21600.5", "100000", "5m"])
def test_a_timeout_outside_the_documented_range_is_an_error_that_states_it(workspace, timeout):
    assert INPUTS["timeout_seconds"].high == 21600
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, timeout_seconds=timeout))
    assert names_input(str(caught.value), "timeout_seconds")
    assert "from 1 to 21600" in str(caught.value)


def test_the_readme_states_the_timeout_range_the_action_enforces():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| `timeout_seconds` |")]
    assert "1 to 21600" in row


@pytest.mark.parametrize("value", ["true", "false", "legacy"])
def test_make_latest_is_true_false_or_legacy(workspace, value):
    assert read_inputs(runner_env(workspace, make_latest=value)).desired.make_latest == value


@pytest.mark.parametrize("value", ["yes", "latest", "", "1"])
def test_any_other_make_latest_is_an_error(workspace, value):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, make_latest=value))
    assert names_input(str(caught.value), "make_latest")


@pytest.mark.parametrize(
    ("value", "guess"),
    [("ture", " (did you mean true?)"), ("Legacy", " (did you mean legacy?)"), ("fals", " (did you mean false?)"),
     ("always", ""), ("", "")],
)  # fmt: skip
def test_a_choice_off_the_list_names_the_nearest_one(workspace, value, guess):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, make_latest=value))
    assert str(caught.value) == f"Input `make_latest` is {value!r}; use true, false or legacy{guess}."


def test_previous_tag_without_generate_notes_is_an_error(workspace):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, previous_tag="v1.0.0"))
    assert names_input(str(caught.value), "previous_tag")


def test_previous_tag_with_generate_notes_is_accepted(workspace):
    inputs = read_inputs(runner_env(workspace, previous_tag="v1.0.0", generate_notes="true"))
    assert (inputs.desired.previous_tag, inputs.desired.generate_notes) == ("v1.0.0", True)


def test_a_malformed_previous_tag_is_an_error(workspace):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, previous_tag="a..b", generate_notes="true"))
    assert names_input(str(caught.value), "previous_tag")


def test_a_missing_token_is_an_error_naming_token(workspace):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, token=""))
    assert names_input(str(caught.value), "token")


@pytest.mark.parametrize(
    "token",
    [
        "ghs_abc def",
        "ghs_abc\tdef",
        "ghs_abc\x00def",
        "ghs_abc\x7fdef",
        "ghs_abcédef",
        "ghs_abc☃def",
        "ghs_abc\u00a0def",
    ],
)
def test_a_token_that_is_not_printable_ascii_is_an_error_that_does_not_echo_it(workspace, token):
    # http.client encodes headers as Latin-1: a non-ASCII token would end in a traceback.
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, token=token))
    assert names_input(str(caught.value), "token")
    assert token not in str(caught.value) and "ghs_abc" not in str(caught.value)


def test_every_printable_ascii_character_is_allowed_in_a_token(workspace):
    token = "".join(chr(c) for c in range(0x21, 0x7F))
    assert read_inputs(runner_env(workspace, token=token)).connection.token == token


def test_outside_the_runner_expression_defaults_fall_back_to_github_variables(workspace):
    env = {
        "INPUT_TAG": "v1",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "octo/repo",
        "GITHUB_SHA": SHA,
        "GITHUB_WORKSPACE": str(workspace),
    }
    inputs = read_inputs(env)
    assert (inputs.connection.token, inputs.connection.repository) == (TOKEN, "octo/repo")
    assert (inputs.desired.target_commitish, inputs.connection.api_url) == (SHA, "https://api.github.com")


def test_defaults_describe_a_published_release_named_by_github_on_create(workspace):
    asked = read_inputs(runner_env(workspace))
    assert asked.desired == Desired(tag="v1.2.3", target_commitish=SHA)  # the decision's own defaults
    assert (asked.policy.dry_run, asked.policy.overwrite_files) == (False, True)
    assert (asked.files.patterns, asked.files.local, asked.notices) == ((), (), ())


def test_the_inputs_repr_never_shows_the_token(workspace):
    asked = read_inputs(runner_env(workspace))
    assert asked.connection.token == TOKEN
    for shown in (repr(asked), str(asked), f"{asked}", repr(asked.connection), str(asked.connection)):
        assert TOKEN not in shown
    assert "octo/repo" in repr(asked.connection)


# -- every bad input: a clear error from main, and not one request ------------------------------

BAD_INPUTS = [
    ("tag", {"tag": ""}),
    ("tag", {"tag": "a..b"}),
    ("tag", {"tag": "-x"}),
    ("draft", {"draft": "yes"}),
    ("draft", {"draft": ""}),
    ("prerelease", {"prerelease": "1"}),
    ("generate_notes", {"generate_notes": "on"}),
    ("dry_run", {"dry_run": "nope"}),
    ("repository", {"repository": "octo"}),
    ("notes", {"notes": "x" * (MAX_BODY + 1)}),
    ("notes_file", {"notes": "a", "notes_file": "docs/notes.md"}),
    ("notes_file", {"notes_file": "missing.md"}),
    ("notes_file", {"notes_file": "latin1.md"}),
    ("api_url", {"api_url": "http://example.com"}),
    ("timeout_seconds", {"timeout_seconds": "soon"}),
    ("make_latest", {"make_latest": "always"}),
    ("if_exists", {"if_exists": "Skip"}),
    ("verify_tag", {"verify_tag": "on"}),
    ("previous_tag", {"previous_tag": "v1.0.0"}),
    ("token", {"token": ""}),
    ("target_commitish", {"target_commitish": "main branch"}),
    ("working_directory", {"files": "dist/*", "working_directory": "nowhere"}),
    # hostile or careless input: each used to be accepted, or to end in a traceback
    ("notes_file", {"notes_file": "environ.md"}),  # a symlink to /proc/self/environ
    ("notes_file", {"notes_file": "/etc/passwd"}),
    ("notes_file", {"notes_file": "../../../../etc/hostname"}),
    ("notes_file", {"notes_file": "adir"}),
    ("working_directory", {"files": "*", "working_directory": "/etc"}),
    ("tag", {"tag": "refs/heads/main"}),
    ("repository", {"repository": "a/.."}),
    ("timeout_seconds", {"timeout_seconds": "0.5"}),
    ("token", {"token": "ghs_☃"}),
    ("api_url", {"api_url": "http://[::1"}),
    ("api_url", {"api_url": "https://api.github.com:99999"}),
    ("api_url", {"api_url": "https://u:hunter2@[::1"}),
]


@pytest.mark.parametrize(("name", "inputs"), BAD_INPUTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD_INPUTS)])
def test_every_bad_input_fails_the_step_with_an_error_annotation_before_any_request(workspace, capsys, name, inputs):
    env = runner_env(workspace, **inputs)
    with requests_mock.Mocker(real_http=False) as m:
        code = main_module.main(env)
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if line.startswith("::error")]
    assert code != 0
    assert len(errors) == 1
    assert names_input(errors[0], name)
    assert m.call_count == 0
    assert TOKEN not in out and "hunter2" not in out
    assert "INPUT_TOKEN" not in out  # nothing of the environment (/proc/self/environ) reached the log


# -- every input: a valid value and an invalid one, read by its reader ---------------------------

VALID = [
    ("tag", {"tag": "v2.0.0"}, lambda a: a.desired.tag, "v2.0.0"),
    ("tag", {"tag": "refs/tags/v2.0.0"}, lambda a: a.desired.tag, "v2.0.0"),
    ("name", {"name": " Big release "}, lambda a: a.desired.name, "Big release"),
    ("name", {"name": ""}, lambda a: a.desired.name, None),
    ("notes", {"notes": "  - item\n"}, lambda a: a.desired.body, "  - item\n"),
    ("notes_file", {"notes_file": " docs/notes.md "}, lambda a: a.desired.body, "Héllo ✓\n\n- fixed `::` and 100%\n"),
    ("changelog_file", {"changelog_file": "CHANGELOG.md"}, lambda a: a.desired.body, "### Fixed\n- the bug"),
    ("changelog_file", {"changelog_file": "CHANGELOG.md"}, lambda a: a.changelog.heading.source,
     "## [1.2.3] - 2026-01-02"),
    ("append_notes", {"append_notes": "true", "notes": "x"}, lambda a: a.desired.placement, notes.PLACE_APPEND),
    ("append_notes", {"append_notes": "false", "notes": "x"}, lambda a: a.desired.placement, notes.PLACE_REPLACE),
    ("notes_section", {"notes_section": " linux-x86_64 ", "notes": "x"}, lambda a: a.desired.placement,
     notes.in_section("linux-x86_64")),
    ("generate_notes", {"generate_notes": "True"}, lambda a: a.desired.generate_notes, True),
    ("previous_tag", {"previous_tag": "v0.9", "generate_notes": "true"}, lambda a: a.desired.previous_tag, "v0.9"),
    ("draft", {"draft": "TRUE"}, lambda a: a.desired.draft, True),
    ("prerelease", {"prerelease": "true"}, lambda a: a.desired.prerelease, True),
    ("if_exists", {"if_exists": "skip"}, lambda a: a.desired.if_exists, "skip"),
    ("if_exists", {"if_exists": " fail "}, lambda a: a.desired.if_exists, "fail"),
    ("if_exists", {}, lambda a: a.desired.if_exists, "update"),
    ("make_latest", {"make_latest": "false"}, lambda a: a.desired.make_latest, "false"),
    ("target_commitish", {"target_commitish": "release/1.x"}, lambda a: a.desired.target_commitish, "release/1.x"),
    ("target_commitish", {"target_commitish": ""}, lambda a: a.desired.target_commitish, None),
    ("verify_tag", {"verify_tag": "true"}, lambda a: a.policy.verify_tag, True),
    ("verify_tag", {}, lambda a: a.policy.verify_tag, False),
    ("discussion_category", {"discussion_category": "Announcements"}, lambda a: a.desired.discussion_category,
     "Announcements"),
    ("discussion_category", {"discussion_category": ""}, lambda a: a.desired.discussion_category, None),
    ("token", {"token": " ghp_other "}, lambda a: a.connection.token, "ghp_other"),
    ("repository", {"repository": "Octo-Org/my_repo.v2"}, lambda a: a.connection.repository, "Octo-Org/my_repo.v2"),
    ("api_url", {"api_url": "https://ghe.example.com/api/v3/"}, lambda a: a.connection.api_url,
     "https://ghe.example.com/api/v3"),
    ("api_url", {"api_url": ""}, lambda a: a.connection.api_url, "https://api.github.com"),
    ("dry_run", {"dry_run": "true"}, lambda a: a.policy.dry_run, True),
    ("timeout_seconds", {"timeout_seconds": "21600"}, lambda a: a.connection.timeout_seconds, 21600.0),
    ("files", {"files": "docs/*\n# a comment\n\n  latin1.md  "}, lambda a: a.files.patterns, ("docs/*", "latin1.md")),
    ("files", {"files": "docs/*"}, lambda a: [f.name for f in a.files.local], ["notes.md"]),
    ("working_directory", {"files": "*", "working_directory": "docs"}, lambda a: a.files.working_directory.name,
     "docs"),
    ("overwrite_files", {"overwrite_files": "false"}, lambda a: a.policy.overwrite_files, False),
    ("remove_other_assets", {"remove_other_assets": "true", "files": "docs/*"}, lambda a: a.policy.remove_other_assets,
     True),
    ("remove_other_assets", {}, lambda a: a.policy.remove_other_assets, False),
    ("files", {"files": "latin1.md\ndocs/*#Release notes\n"}, lambda a: [(f.name, f.label) for f in a.files.local],
     [("latin1.md", None), ("notes.md", "Release notes")]),
    ("fail_on_unmatched_files", {"fail_on_unmatched_files": "false", "files": "docs/*\nnothing/*"},
     lambda a: [f.name for f in a.files.local], ["notes.md"]),
    ("checksums", {"checksums": " SHA256SUMS "}, lambda a: a.files.checksums, "SHA256SUMS"),
    ("checksums", {}, lambda a: a.files.checksums, ""),
    ("checksums", {"checksums": "mytool-1.2.3_sha256.txt", "files": "docs/*"},
     lambda a: (a.files.checksums, [f.name for f in a.files.local]), ("mytool-1.2.3_sha256.txt", ["notes.md"])),
]  # fmt: skip

# input → (inputs, words its one error holds)
INVALID = [
    ("tag", {"tag": "a..b"}, "is not a valid git tag name: it contains '..'"),
    ("notes", {"notes": "x" * (MAX_BODY + 1)}, f"{MAX_BODY + 1} characters; GitHub accepts at most {MAX_BODY}"),
    ("notes_file", {"notes_file": "missing.md"}, "'missing.md' does not exist"),
    ("changelog_file", {"changelog_file": "CHANGELOG.md", "tag": "v9.9.9"}, "'CHANGELOG.md' has no section for v9.9.9"),
    ("append_notes", {"append_notes": "yes"}, "is 'yes'; use true or false"),
    ("notes_section", {"notes_section": "linux x86"}, "'linux x86' is not a section name"),
    ("generate_notes", {"generate_notes": "yes"}, "is 'yes'; use true or false"),
    ("previous_tag", {"previous_tag": "a..b", "generate_notes": "true"}, "'a..b' is not a valid tag name"),
    ("draft", {"draft": "1"}, "is '1'; use true or false"),
    ("prerelease", {"prerelease": "no"}, "is 'no'; use true or false"),
    ("if_exists", {"if_exists": "overwrite"}, "is 'overwrite'; use update, skip or fail"),
    ("verify_tag", {"verify_tag": "yes"}, "is 'yes'; use true or false"),
    ("make_latest", {"make_latest": "latest"}, "is 'latest'; use true, false or legacy"),
    ("target_commitish", {"target_commitish": "main branch"}, "is not a branch name or commit SHA"),
    ("token", {"token": ""}, "No token"),
    ("repository", {"repository": "octo"}, "is 'octo': use the form owner/name"),
    ("api_url", {"api_url": "http://example.com"}, "plain http to a non-loopback host"),
    ("dry_run", {"dry_run": "maybe"}, "is 'maybe'; use true or false"),
    ("timeout_seconds", {"timeout_seconds": "5m"}, "is '5m'; use a number of seconds from 1 to 21600"),
    ("files", {"files": "nothing/*"}, "the pattern 'nothing/*' matches no file"),
    ("working_directory", {"files": "*", "working_directory": "nowhere"}, "'nowhere' does not exist"),
    ("overwrite_files", {"overwrite_files": "off"}, "is 'off'; use true or false"),
    ("remove_other_assets", {"remove_other_assets": "yes", "files": "docs/*"}, "is 'yes'; use true or false"),
    ("remove_other_assets", {"remove_other_assets": "true"}, "`files` is empty: the run would delete every asset"),
    (
        "remove_other_assets",
        {"remove_other_assets": "true", "files": "nothing/*", "fail_on_unmatched_files": "false"},
        "no `files` pattern matched a file: the run would delete every asset",
    ),
    (
        "files",
        {"files": "docs/*#bad\tlabel"},
        "the label of 'docs/*#bad\\tlabel' is refused: its character 4 is U+0009",
    ),
    ("fail_on_unmatched_files", {"fail_on_unmatched_files": "0"}, "is '0'; use true or false"),
    ("checksums", {"checksums": "my sums.txt"}, "'my sums.txt', which GitHub would store as 'my.sums.txt'"),
    ("checksums", {"checksums": ".sha256"}, "which GitHub would store as 'default.sha256'"),
    ("checksums", {"checksums": "dist/SHA256SUMS"}, "'dist/SHA256SUMS', a path: it is the name of the asset"),
    (
        "checksums",
        {"checksums": "NOTES.MD", "files": "docs/*"},
        "is 'NOTES.MD', the asset name of 'docs/notes.md', which `files` matches",
    ),
]
# Inputs every text is a valid value of, and why.
ANY_TEXT = {
    "name": "any title is a title",
    "discussion_category": "GitHub judges the category: an unknown one is GitHub's error, after the release is made",
}


def test_every_declared_input_has_rows_in_the_valid_and_invalid_tables():
    assert {row[0] for row in VALID} == set(INPUTS)
    assert {row[0] for row in INVALID} | set(ANY_TEXT) == set(INPUTS)
    assert not {row[0] for row in INVALID} & set(ANY_TEXT)


@pytest.mark.parametrize(("name", "inputs", "read", "expected"), VALID, ids=[f"{row[0]}={row[1]}" for row in VALID])
def test_a_valid_value_of_each_input_is_read_into_what_the_run_needs(workspace, name, inputs, read, expected):
    assert read(read_inputs(runner_env(workspace, **inputs))) == expected


@pytest.mark.parametrize(("name", "inputs", "says"), INVALID, ids=[row[0] for row in INVALID])
def test_an_invalid_value_of_each_input_is_one_problem_that_names_it(workspace, name, inputs, says):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, **inputs))
    (problem,) = caught.value.problems
    assert names_input(str(problem), name), str(problem)
    assert says in str(problem)


def test_read_inputs_hands_over_the_desired_release_itself(workspace):
    inputs = {
        "tag": "v3",
        "name": "Three",
        "notes": "Notes.",
        "generate_notes": "true",
        "previous_tag": "v2",
        "draft": "true",
        "prerelease": "true",
        "make_latest": "false",
        "target_commitish": "main",
        "discussion_category": "News",
        "if_exists": "fail",
    }
    assert read_inputs(runner_env(workspace, **inputs)).desired == Desired(
        tag="v3",
        name="Three",
        body="Notes.",
        draft=True,
        prerelease=True,
        target_commitish="main",
        make_latest="false",
        discussion_category="News",
        generate_notes=True,
        previous_tag="v2",
        if_exists="fail",
    )


# -- every bad input in one run ------------------------------------------------------------------

MANY_BAD = {
    "tag": "a..b",
    "notes_file": "missing.md",
    "draft": "1",
    "make_latest": "latest",
    "target_commitish": "main branch",
    "repository": "octo",
    "api_url": "http://example.com",
    "timeout_seconds": "5m",
    "overwrite_files": "off",
    "files": "nothing/*",
}


def test_every_bad_input_is_reported_in_one_run(workspace):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, **MANY_BAD))
    problems = [str(problem) for problem in caught.value.problems]
    assert len(problems) == len(MANY_BAD), problems
    for name in MANY_BAD:
        assert sum(names_input(problem, name) for problem in problems) >= 1, (name, problems)


@pytest.mark.parametrize(
    ("inputs", "reported", "not_reported"),
    [
        # notes and notes_file together: which file is beside the point
        ({"notes": "a", "notes_file": "missing.md"}, "not both", "does not exist"),
        # generate_notes unreadable: whether previous_tag applies is unknown
        ({"generate_notes": "yes", "previous_tag": "v1"}, "use true or false", "only applies"),
        # no working directory: nothing to match the patterns in
        ({"files": "nothing/*", "working_directory": "nowhere"}, "does not exist", "matches no file"),
        # whether an unmatched pattern is an error is unknown
        ({"files": "nothing/*", "fail_on_unmatched_files": "0"}, "use true or false", "matches no file"),
        # a full ref that is no tag: no further rule of tag names applies
        ({"tag": "refs/heads/main"}, "a full ref that is not a tag", "not a valid git tag name"),
    ],
)
def test_a_problem_that_makes_a_later_check_meaningless_skips_it(workspace, inputs, reported, not_reported):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, **inputs))
    (problem,) = caught.value.problems
    assert reported in str(problem) and not_reported not in str(problem)


THREE_BAD = {"tag": "a..b", "make_latest": "always", "timeout_seconds": "0"}


@pytest.mark.parametrize("mode", [Mode.ACTION, Mode.COMMAND])
def test_three_bad_inputs_end_the_run_with_three_errors_and_exit_2_before_any_request(workspace, capsys, mode):
    env = runner_env(workspace, **THREE_BAD)
    if mode is Mode.COMMAND:
        env[FLAGS_VARIABLE] = "1"  # as cli.py sets it for a run started with flags
    with requests_mock.Mocker(real_http=False) as m:
        code = main_module.main(env)
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if line.startswith("::error")]
    assert (code, m.call_count, len(errors)) == (2, 0, 3), out
    assert all(line.startswith("::error title=safe-release-action%3A invalid input::") for line in errors)
    for name, error in zip(THREE_BAD, errors, strict=True):
        if mode is Mode.ACTION:
            assert names_input(error, name), error
        else:
            assert f"::{INPUTS[name].flag} " in error and "Input `" not in error, error


# -- problems in the user's words: the workflow's inputs, or the command's flags and variables ---

# inputs, extra environment → (words under Actions, words with flags)
WORDED = [
    ({"tag": ""}, {}, "No tag: set the `tag` input", "No tag: give the release's tag, for example --tag v1.2.3."),
    ({"tag": "refs/heads/x"}, {}, "such as `tag: ${{ github.ref_name }}`", "such as --tag v1.2.3."),
    ({"token": ""}, {}, "pass `token: ${{ secrets.GITHUB_TOKEN }}`", "No token: export GH_TOKEN (for example"),
    ({"token": "a b"}, {}, "Input `token` contains a space", "GH_TOKEN contains a space"),
    ({"repository": ""}, {}, "Input `repository` is '': use the form owner/name.",
     "No repository: give --repository OWNER/NAME, or run the command inside a git checkout"),
    ({"notes": "a", "notes_file": "b"}, {}, "Set either `notes` or `notes_file`", "Set either --notes or --notes-file"),
    ({"previous_tag": "v1"}, {}, "Input `previous_tag` only applies with `generate_notes: true`.",
     "--previous-tag only applies with --generate-notes."),
    ({"files": "nothing/*"}, {}, "set `fail_on_unmatched_files: false`.", "set --no-fail-on-unmatched-files."),
    ({"files": "nothing/*"}, {}, "Input `files`: the pattern", "--files: the pattern"),
    ({"if_exists": "never"}, {}, "Input `if_exists` is 'never'; use update, skip or fail.",
     "--if-exists is 'never'; use update, skip or fail."),
    ({"verify_tag": "y"}, {}, "Input `verify_tag` is 'y'; use true or false.",
     "--verify-tag is 'y'; use true or false."),
    ({"api_url": "https://u:p@x.example"}, {}, "pass the token as `token`.", "pass the token as GH_TOKEN."),
    ({"checksums": "a b"}, {}, "Give `checksums: a.b`.", "Give --checksums a.b."),
    ({"checksums": "Long.md", "files": "long.md"}, {}, "Drop that file from `files`",
     "Drop that file from --files, or give --checksums another name."),
    ({"notes_section": "a", "append_notes": "true"}, {}, "Set either `notes_section` or `append_notes: true`",
     "Set either --notes-section or --append-notes"),
    ({"changelog_file": "CHANGELOG.md", "notes": "x"}, {}, "Set either `notes` or `changelog_file`",
     "Set either --notes or --changelog-file"),
    ({"changelog_file": "CHANGELOG.md", "tag": "v3"}, {}, "Add the section, or check `tag`.",
     "Add the section, or check --tag."),
]  # fmt: skip


@pytest.mark.parametrize(("inputs", "extra", "action", "command"), WORDED, ids=[a for _, _, a, _ in WORDED])
def test_a_problem_names_inputs_in_a_workflows_words_or_the_commands(workspace, inputs, extra, action, command):
    with pytest.raises(InputError) as caught:
        read_inputs({**runner_env(workspace, **inputs), **extra})
    (problem,) = caught.value.problems
    assert action in problem.render(Mode.ACTION)
    assert command in problem.render(Mode.COMMAND)
    assert "Input `" not in problem.render(Mode.COMMAND) and "${{" not in problem.render(Mode.COMMAND)


def test_the_refs_tags_notice_says_what_to_type_instead(workspace):
    (notice,) = read_inputs(runner_env(workspace, tag="refs/tags/v9")).notices
    assert notice.render(Mode.ACTION).endswith("Pass `tag: ${{ github.ref_name }}` to avoid this notice.")
    assert notice.render(Mode.COMMAND) == (
        "--tag is the full ref 'refs/tags/v9'; using the tag name 'v9'. Pass --tag v9 to avoid this notice."
    )


# -- where the notes go (append_notes, notes_section) and where they come from (changelog_file) --


def test_notes_section_and_append_notes_together_are_one_error_naming_both(workspace):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, notes="x", notes_section="linux", append_notes="true"))
    (problem,) = caught.value.problems
    assert names_input(str(problem), "notes_section") and names_input(str(problem), "append_notes")


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("linux x86", "use letters, digits"),
        ("-linux", "use letters, digits"),
        (".hidden", "use letters, digits"),
        ("a-->b", "use letters, digits"),
        ("ünï", "use letters, digits"),
        ("x" * 65, "65 characters long; at most 64"),
    ],
)
def test_a_section_name_outside_the_allowed_characters_is_an_error(workspace, name, says):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, notes="x", notes_section=name))
    (problem,) = caught.value.problems
    assert names_input(str(problem), "notes_section") and says in str(problem)


@pytest.mark.parametrize("name", ["linux", "linux-x86_64", "v1.2", "A", "9" * 64])
def test_a_section_name_of_letters_digits_dots_underscores_and_hyphens_is_accepted(workspace, name):
    assert read_inputs(runner_env(workspace, notes="x", notes_section=name)).desired.placement.section == name


MARKER_NOTES = [
    "intro\n<!-- safe-release:end linux -->\nmore",
    "<!-- safe-release:begin other -->",
    "  <!--safe-release:BEGIN x-->  ",
]


@pytest.mark.parametrize("placement", [{"append_notes": "true"}, {"notes_section": "linux"}])
@pytest.mark.parametrize("text", MARKER_NOTES)
def test_notes_holding_a_section_marker_line_are_refused_where_markers_are_read(workspace, placement, text):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, notes=text, **placement))
    (problem,) = caught.value.problems
    assert names_input(str(problem), "notes") and "reads as a section marker" in str(problem)


def test_a_marker_line_in_a_changelog_section_is_refused_naming_changelog_file(workspace):
    (workspace / "C.md").write_text("## v1.2.3\n<!-- safe-release:end x -->\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, changelog_file="C.md", append_notes="true"))
    assert names_input(str(caught.value), "changelog_file")


def test_a_marker_inside_a_line_or_in_notes_that_replace_the_body_is_text(workspace):
    inline = "See `<!-- safe-release:begin NAME -->` in the docs."
    assert read_inputs(runner_env(workspace, notes=inline, append_notes="true")).desired.body == inline
    whole = "intro\n<!-- safe-release:begin linux -->\nx\n<!-- safe-release:end linux -->"
    assert read_inputs(runner_env(workspace, notes=whole)).desired.body == whole  # a body with sections, as given


def test_notes_that_with_the_section_markers_exceed_githubs_limit_are_an_error(workspace):
    assert read_inputs(runner_env(workspace, notes="x" * MAX_BODY)).desired.body  # alone they fit
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, notes="x" * MAX_BODY, notes_section="linux"))
    (problem,) = caught.value.problems
    assert names_input(str(problem), "notes") and "two marker lines" in str(problem) and str(MAX_BODY) in str(problem)


def test_append_notes_without_notes_leaves_the_body_as_it_is(workspace):
    asked = read_inputs(runner_env(workspace, append_notes="true"))
    assert asked.desired.body is None and asked.desired.texts == ()


@pytest.mark.parametrize(
    "inputs",
    [
        {"changelog_file": "CHANGELOG.md", "notes": "x"},
        {"changelog_file": "CHANGELOG.md", "notes_file": "docs/notes.md"},
        {"changelog_file": "CHANGELOG.md", "notes": "x", "notes_file": "docs/notes.md"},
    ],
)
def test_changelog_file_with_notes_or_notes_file_is_one_error_naming_them(workspace, inputs):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, **inputs))
    (problem,) = caught.value.problems
    assert all(names_input(str(problem), name) for name in inputs), str(problem)


def test_changelog_file_combines_with_append_notes_and_notes_section(workspace):
    asked = read_inputs(runner_env(workspace, changelog_file="CHANGELOG.md", notes_section="changes"))
    assert (asked.desired.body, asked.desired.placement) == ("### Fixed\n- the bug", notes.in_section("changes"))
    asked = read_inputs(runner_env(workspace, changelog_file="CHANGELOG.md", append_notes="true"))
    assert (asked.desired.body, asked.desired.placement) == ("### Fixed\n- the bug", notes.PLACE_APPEND)


def test_a_changelog_section_is_found_for_the_tag_without_its_v_and_reported(workspace):
    asked = read_inputs(runner_env(workspace, changelog_file="CHANGELOG.md", tag="v1.2.2"))
    assert asked.desired.body == "- older"
    assert asked.changelog.describe() == "the section of CHANGELOG.md under '## [1.2.2] - 2025-12-01' (line 10, 1 line)"


def test_a_changelog_from_a_windows_checkout_gives_the_same_notes(workspace):
    (workspace / "W.md").write_bytes(CHANGELOG.replace("\n", "\r\n").encode("utf-8-sig"))
    assert read_inputs(runner_env(workspace, changelog_file="W.md")).desired.body == "### Fixed\n- the bug"


def test_no_section_for_the_tag_is_an_error_naming_the_file_and_the_nearest_headings(workspace):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, changelog_file="CHANGELOG.md", tag="v1.2.4"))
    (problem,) = caught.value.problems
    message = str(problem)
    assert names_input(message, "changelog_file") and "'CHANGELOG.md' has no section for v1.2.4" in message
    assert "a heading such as '## [1.2.4]' or '## v1.2.4'" in message
    assert (
        "The headings nearest to the tag are line 3: '## [Unreleased]'; line 5: '## [1.2.3] - 2026-01-02'; "
        "line 10: '## [1.2.2] - 2025-12-01'." in message
    )


def test_an_empty_section_for_the_tag_is_an_error_naming_its_line(workspace):
    (workspace / "E.md").write_text("# Changes\n\n## v1.2.3\n\n   \n## v1.2.2\n- old\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, changelog_file="E.md"))
    (problem,) = caught.value.problems
    assert "the section for v1.2.3 in 'E.md' (line 3, '## v1.2.3') is empty" in str(problem)


def test_a_changelog_without_headings_says_so(workspace):
    (workspace / "N.md").write_text("just text\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"It has no headings\."):
        read_inputs(runner_env(workspace, changelog_file="N.md"))


def test_a_bad_tag_is_reported_alone_not_as_a_missing_changelog_section(workspace):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, changelog_file="CHANGELOG.md", tag="a..b"))
    (problem,) = caught.value.problems
    assert names_input(str(problem), "tag")


@pytest.mark.parametrize(("kind", "says"), REFUSED_NOTES_FILES[:-1], ids=[k for k, _ in REFUSED_NOTES_FILES[:-1]])
def test_a_changelog_file_is_read_by_the_rule_for_notes_file(places, kind, says):
    path = plant(places, kind)
    env = runner_env(places["workspace"], changelog_file=path)
    env["RUNNER_TEMP"] = str(places["temp"])
    with no_hang(), pytest.raises(InputError) as caught:
        read_inputs(env)
    message = str(caught.value)
    assert names_input(message, "changelog_file") and repr(path) in message and says in message
    assert SECRET not in message and TOKEN not in message


def test_a_changelog_file_over_its_byte_cap_is_refused_without_reading_it_all(workspace, monkeypatch):
    monkeypatch.setattr(inputs_module, "MAX_CHANGELOG_BYTES", 100)
    (workspace / "BIG.md").write_text("## v1.2.3\n" + "x" * 200, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, changelog_file="BIG.md"))
    assert "larger than 100 bytes" in str(caught.value) and names_input(str(caught.value), "changelog_file")


def test_a_changelog_larger_than_a_body_is_read_when_the_section_fits(workspace):
    history = "".join(f"## v0.{i}.0\n" + "- an old change\n" * 80 for i in range(400))
    (workspace / "H.md").write_text("## v1.2.3\n- new\n" + history, encoding="utf-8")
    assert len(history) > MAX_NOTES_FILE_BYTES
    assert read_inputs(runner_env(workspace, changelog_file="H.md")).desired.body == "- new"


def test_a_changelog_that_is_not_utf8_is_refused(workspace):
    with pytest.raises(InputError, match="is not UTF-8") as caught:
        read_inputs(runner_env(workspace, changelog_file="latin1.md"))
    assert names_input(str(caught.value), "changelog_file")
