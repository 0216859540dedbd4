"""Specification of the action's inputs: every rule read_inputs enforces before any request.

The environment is built the way the runner builds it: every declared input is present as
INPUT_<NAME>, set to its default (expressions already substituted) unless the workflow set it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests_mock

from release_action import main as main_module
from release_action.inputs import INPUTS, MAX_BODY, InputError, read_inputs

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
    return ws


def names_input(message: str, name: str) -> bool:
    """The message names the input as the user writes it in the workflow: `name` or `name: …`."""
    return re.search(rf"`{re.escape(name)}[`:]", message) is not None


# -- the tag ---------------------------------------------------------------------------------


def test_the_tag_input_is_the_release_tag(workspace):
    assert read_inputs(runner_env(workspace, tag="v2.0.0")).tag == "v2.0.0"


def test_without_a_tag_input_the_pushed_tag_from_github_ref_is_used(workspace):
    env = runner_env(workspace, tag="")
    env["GITHUB_REF"] = "refs/tags/release/2024.5.0"
    assert read_inputs(env).tag == "release/2024.5.0"


def test_the_tag_input_wins_over_the_pushed_tag(workspace):
    env = runner_env(workspace, tag="v9")
    env["GITHUB_REF"] = "refs/tags/v1"
    assert read_inputs(env).tag == "v9"


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
    assert read_inputs(runner_env(workspace, tag=tag)).tag == tag


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

BOOLEANS = ["generate_notes", "draft", "prerelease", "dry_run", "overwrite_files", "fail_on_unmatched_files"]


@pytest.mark.parametrize("name", BOOLEANS)
@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("FALSE", False)],
)
def test_booleans_accept_exactly_the_yaml_core_spellings_of_true_and_false(workspace, name, text, value):
    inputs = read_inputs(runner_env(workspace, **{name: text}))
    assert getattr(inputs, name) is value


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


@pytest.mark.parametrize("repository", ["octo/repo", "o/r.js", "Octo-Org/my_repo.v2", "a1/-"])
def test_repository_is_owner_slash_name(workspace, repository):
    assert read_inputs(runner_env(workspace, repository=repository)).repository == repository


@pytest.mark.parametrize(
    "repository",
    ["octo", "octo/repo/extra", "/repo", "octo/", "oc to/repo", "-octo/repo", "", "https://github.com/octo/repo"],
)
def test_a_repository_not_of_the_form_owner_slash_name_is_an_error(workspace, repository):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, repository=repository))
    assert names_input(str(caught.value), "repository")


def test_notes_of_exactly_githubs_limit_are_accepted(workspace):
    assert read_inputs(runner_env(workspace, notes="x" * MAX_BODY)).notes == "x" * MAX_BODY


def test_notes_over_125000_characters_are_an_error_naming_notes(workspace):
    assert MAX_BODY == 125_000
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, notes="x" * (MAX_BODY + 1)))
    assert names_input(str(caught.value), "notes")
    assert "125000" in str(caught.value)


def test_empty_notes_mean_keep_the_existing_body(workspace):
    assert read_inputs(runner_env(workspace, notes="")).notes is None


def test_notes_are_passed_verbatim_not_stripped(workspace):
    assert read_inputs(runner_env(workspace, notes="  - item\n")).notes == "  - item\n"


def test_notes_file_is_read_as_utf8_relative_to_the_workspace(workspace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the workspace: the path must be resolved against it
    inputs = read_inputs(runner_env(workspace, notes_file="docs/notes.md"))
    assert inputs.notes == "Héllo ✓\n\n- fixed `::` and 100%\n"


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
    assert read_inputs(runner_env(workspace, api_url=api_url)).api_url == expected


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


def test_timeout_seconds_is_a_number_of_seconds(workspace):
    assert read_inputs(runner_env(workspace, timeout_seconds="90.5")).timeout_seconds == 90.5
    assert read_inputs(runner_env(workspace)).timeout_seconds == 300


@pytest.mark.parametrize("timeout", ["abc", "", "0", "-5", "nan", "inf", "100000", "5m"])
def test_a_timeout_that_is_not_a_positive_bounded_number_is_an_error(workspace, timeout):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, timeout_seconds=timeout))
    assert names_input(str(caught.value), "timeout_seconds")


@pytest.mark.parametrize("value", ["true", "false", "legacy"])
def test_make_latest_is_true_false_or_legacy(workspace, value):
    assert read_inputs(runner_env(workspace, make_latest=value)).make_latest == value


@pytest.mark.parametrize("value", ["yes", "latest", "", "1"])
def test_any_other_make_latest_is_an_error(workspace, value):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, make_latest=value))
    assert names_input(str(caught.value), "make_latest")


def test_previous_tag_without_generate_notes_is_an_error(workspace):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, previous_tag="v1.0.0"))
    assert names_input(str(caught.value), "previous_tag")


def test_previous_tag_with_generate_notes_is_accepted(workspace):
    inputs = read_inputs(runner_env(workspace, previous_tag="v1.0.0", generate_notes="true"))
    assert (inputs.previous_tag, inputs.generate_notes) == ("v1.0.0", True)


def test_a_malformed_previous_tag_is_an_error(workspace):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, previous_tag="a..b", generate_notes="true"))
    assert names_input(str(caught.value), "previous_tag")


def test_a_missing_token_is_an_error_naming_token(workspace):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, token=""))
    assert names_input(str(caught.value), "token")


def test_a_token_with_whitespace_is_an_error_that_does_not_echo_it(workspace):
    with pytest.raises(InputError) as caught:
        read_inputs(runner_env(workspace, token="ghs_abc def"))
    assert names_input(str(caught.value), "token")
    assert "ghs_abc" not in str(caught.value)


def test_outside_the_runner_expression_defaults_fall_back_to_github_variables(workspace):
    env = {
        "INPUT_TAG": "v1",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "octo/repo",
        "GITHUB_SHA": SHA,
        "GITHUB_WORKSPACE": str(workspace),
    }
    inputs = read_inputs(env)
    assert (inputs.token, inputs.repository, inputs.target_commitish) == (TOKEN, "octo/repo", SHA)
    assert inputs.api_url == "https://api.github.com"


def test_defaults_describe_a_published_release_named_by_github_on_create(workspace):
    inputs = read_inputs(runner_env(workspace))
    assert inputs.name is None and inputs.notes is None
    assert (inputs.draft, inputs.prerelease, inputs.dry_run, inputs.generate_notes) == (False,) * 4
    assert inputs.make_latest == "legacy"
    assert inputs.target_commitish == SHA


def test_the_inputs_repr_never_shows_the_token(workspace):
    inputs = read_inputs(runner_env(workspace))
    assert inputs.token == TOKEN
    assert TOKEN not in repr(inputs)
    assert TOKEN not in str(inputs)
    assert TOKEN not in f"{inputs}"


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
    ("previous_tag", {"previous_tag": "v1.0.0"}),
    ("token", {"token": ""}),
    ("target_commitish", {"target_commitish": "main branch"}),
    ("working_directory", {"files": "dist/*", "working_directory": "nowhere"}),
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
    assert TOKEN not in out
