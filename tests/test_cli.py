"""Specification of the `safe-release` command: flags → the INPUT_* a runner would set → main(env).

In-process and fast; tests/e2e/test_cli.py runs the command built into a wheel.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
from pathlib import Path

import pytest
import requests_mock

from release_action import cli
from release_action.contract import INPUTS, Kind
from release_action.inputs import InputError, read_inputs
from release_action.remote import REMOTE_HOST_VARIABLE, Remote
from release_action.runner_io import format_outputs
from release_action.wording import FLAGS_VARIABLE, Mode

TOKENS = {"GH_TOKEN": "t0ken", "GH_ENTERPRISE_TOKEN": "ent0ken"}


def env_for(argv: list[str], env: dict[str, str] | None = None, remote: Remote | None = None) -> dict[str, str]:
    """The environment the command would run main() with, the git remote stubbed."""
    args = cli.parser().parse_args(argv)
    return cli.action_env(args, {**TOKENS, **(env or {})}, Path("."), io.StringIO(), lambda cwd: remote)


def inputs_of(env: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in env.items() if key.startswith("INPUT_")}


REPO_FLAGS = ["--tag", "v1", "--repository", "octo/demo"]


def test_a_flag_given_is_its_input_and_an_input_not_given_stays_unset_for_mains_defaults():
    assert inputs_of(env_for([*REPO_FLAGS, "--notes", "Hi"])) == {
        "INPUT_TAG": "v1",
        "INPUT_REPOSITORY": "octo/demo",
        "INPUT_NOTES": "Hi",
        "INPUT_API_URL": "https://api.github.com",  # always given: the API the token was chosen for
        "INPUT_TOKEN": "t0ken",
    }


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--draft"], "true"),
        (["--no-draft"], "false"),
        (["--draft", "--no-draft"], "false"),  # the last one wins
        ([], None),
    ],
)
def test_booleans_are_a_flag_and_its_no_form(flags, expected):
    assert env_for([*REPO_FLAGS, *flags]).get("INPUT_DRAFT") == expected


def test_files_are_repeatable_and_take_several_patterns_each():
    env = env_for([*REPO_FLAGS, "--files", "dist/*.whl", "dist/*.tar.gz", "--files", "sbom.json"])
    assert env["INPUT_FILES"] == "dist/*.whl\ndist/*.tar.gz\nsbom.json"


def test_the_callers_own_input_variables_never_leak_into_a_run_with_flags():
    env = env_for(REPO_FLAGS, {"INPUT_DRAFT": "true", "INPUT_FILES": "*", "HOME": "/h"})
    assert "INPUT_DRAFT" not in env and "INPUT_FILES" not in env and env["HOME"] == "/h"


GHES = "https://ghes.example.com/api/v3"


@pytest.mark.parametrize(
    ("api_url", "env", "token"),
    [
        (None, {"GH_TOKEN": "gh"}, "gh"),
        (None, {"GITHUB_TOKEN": "github"}, "github"),
        (None, {"GH_TOKEN": "gh", "GITHUB_TOKEN": "github"}, "gh"),  # gh's order
        (None, {"GH_TOKEN": " ", "GITHUB_TOKEN": "github"}, "github"),
        (None, {"GH_TOKEN": "gh", "GH_ENTERPRISE_TOKEN": "ghe"}, "gh"),
        ("https://api.octocorp.ghe.com", {"GH_TOKEN": "gh", "GH_ENTERPRISE_TOKEN": "ghe"}, "gh"),
        (GHES, {"GH_ENTERPRISE_TOKEN": "ghe", "GH_TOKEN": "gh"}, "ghe"),
        (GHES, {"GITHUB_ENTERPRISE_TOKEN": "github-e", "GITHUB_TOKEN": "github"}, "github-e"),
        (GHES, {"GH_ENTERPRISE_TOKEN": "ghe", "GITHUB_ENTERPRISE_TOKEN": "github-e"}, "ghe"),  # gh's order
        (GHES, {"GH_TOKEN": "gh", "GITHUB_TOKEN": "github"}, ""),  # github.com's tokens never go elsewhere
        ("http://127.0.0.1:8765", {"GH_ENTERPRISE_TOKEN": "ghe", "GH_TOKEN": "gh"}, "ghe"),
    ],
)
def test_the_token_is_read_as_gh_reads_it_for_the_apis_host(api_url, env, token):
    args = cli.parser().parse_args([*REPO_FLAGS, *(["--api-url", api_url] if api_url else [])])
    run_env = cli.action_env(args, env, Path("."), io.StringIO(), lambda cwd: None)
    assert run_env["INPUT_TOKEN"] == token
    if not token:  # main() reports it, and never falls back on GITHUB_TOKEN (the input's default)
        with pytest.raises(InputError):
            read_inputs({**run_env, "GITHUB_WORKSPACE": "."})


def test_there_is_no_token_flag_and_without_a_token_the_input_is_empty_for_main_to_report():
    assert "--token" not in cli.parser().format_help()
    args = cli.parser().parse_args(REPO_FLAGS)
    assert cli.action_env(args, {"GH_TOKEN": " "}, Path("."), io.StringIO(), lambda cwd: None)["INPUT_TOKEN"] == ""


def test_a_run_started_with_flags_is_marked_so_that_errors_name_flags():
    assert env_for(REPO_FLAGS)[FLAGS_VARIABLE] == "1"


def run_command(argv: list[str], env: dict[str, str], tmp_path: Path, capsys) -> tuple[int, str, str, int]:
    """The command in-process, started with flags in `tmp_path`: exit code, stdout, stderr, requests sent."""
    with requests_mock.Mocker(real_http=False) as m:
        code = cli.run_with_flags(cli.parser().parse_args(argv), {"GITHUB_WORKSPACE": str(tmp_path), **env}, tmp_path)
    out, err = capsys.readouterr()
    return code, out, err, m.call_count


def errors_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error: ")]


def test_three_bad_flags_give_three_errors_on_stderr_in_one_run_and_nothing_is_sent(tmp_path, capsys):
    argv = [*REPO_FLAGS, "--tag", "a..b", "--make-latest", "always", "--timeout-seconds", "0"]
    code, out, err, sent = run_command(argv, {"GH_TOKEN": "t0ken"}, tmp_path, capsys)
    assert (code, sent, errors_in(out)) == (2, 0, [])
    assert [line.split()[1] for line in errors_in(err)] == ["--tag", "--make-latest", "--timeout-seconds"], err
    assert "Input `" not in err and "t0ken" not in out + err


def test_no_tag_token_or_repository_are_three_errors_that_say_what_to_give(tmp_path, capsys):
    code, out, err, sent = run_command([], {}, tmp_path, capsys)
    assert (code, sent, errors_in(out)) == (2, 0, [])
    assert errors_in(err) == [
        "error: No tag: give the release's tag, for example --tag v1.2.3.",
        "error: No token: export GH_TOKEN (for example `export GH_TOKEN=$(gh auth token)`) or GITHUB_TOKEN, "
        "holding a token with `contents: write` on the repository.",
        "error: No repository: give --repository OWNER/NAME, or run the command inside a git checkout whose "
        "`origin` remote is on a GitHub host.",
    ]


def test_a_tag_is_required_unless_the_run_is_on_a_tag_push(tmp_path, capsys):
    assert "INPUT_TAG" not in env_for(["--repository", "octo/demo"], {"GITHUB_REF": "refs/tags/v2"})
    for env in ({}, {"GITHUB_REF": "refs/heads/main"}):
        code, _out, err, sent = run_command(["--repository", "octo/demo"], {"GH_TOKEN": "t", **env}, tmp_path, capsys)
        assert (code, sent, errors_in(err)) == (
            2,
            0,
            ["error: No tag: give the release's tag, for example --tag v1.2.3."],
        )


def test_a_github_token_is_never_sent_to_another_host_and_the_error_says_why(tmp_path, capsys):
    argv = [*REPO_FLAGS, "--api-url", GHES]
    code, out, err, sent = run_command(argv, {"GH_TOKEN": "ghp_github_only"}, tmp_path, capsys)
    assert (code, sent) == (2, 0)
    assert errors_in(err) == [
        f"error: No token for {GHES}: that API is not github.com's, so the token comes from GH_ENTERPRISE_TOKEN "
        "or GITHUB_ENTERPRISE_TOKEN, as gh reads it. GH_TOKEN is set, but it is for github.com and is never sent "
        "to another host. Export GH_ENTERPRISE_TOKEN holding a token of that server with `contents: write` on the "
        "repository."
    ]
    assert "ghp_github_only" not in out + err


@pytest.mark.parametrize(
    ("host", "api_url", "token"),
    [
        ("github.com", "https://api.github.com", "t0ken"),
        ("octocorp.ghe.com", "https://api.octocorp.ghe.com", "t0ken"),
    ],
)
def test_the_repository_and_for_githubs_own_hosts_the_api_come_from_the_git_remote(host, api_url, token):
    env = env_for(["--tag", "v1"], remote=Remote(host, "team/tool"))
    assert (env["INPUT_REPOSITORY"], env["INPUT_API_URL"], env["INPUT_TOKEN"]) == ("team/tool", api_url, token)
    assert REMOTE_HOST_VARIABLE not in env


@pytest.mark.parametrize("host", ["ghes.example.com", "gitlab.example.com:8443", "[fd00::5]"])
def test_a_remote_on_any_other_host_needs_api_url_and_main_says_so(host):
    env = env_for(["--tag", "v1"], {"GITHUB_WORKSPACE": "."}, remote=Remote(host, "team/tool"))
    assert (env[REMOTE_HOST_VARIABLE], env["INPUT_TOKEN"]) == (host, "")  # no token chosen for a guessed API
    with pytest.raises(InputError) as caught:
        read_inputs(env)
    assert [problem.render(Mode.COMMAND) for problem in caught.value.problems] == [
        f"The `origin` remote is on {host}, which is not github.com or NAME.ghe.com, so the command will not "
        f"guess its API, nor send it a token: for GitHub Enterprise Server give --api-url https://{host}/api/v3 "
        "and export GH_ENTERPRISE_TOKEN; for a repository on github.com give --repository OWNER/NAME."
    ]
    env = env_for(["--tag", "v1", "--api-url", f"https://{host}/api/v3"], remote=Remote(host, "team/tool"))
    assert (env["INPUT_API_URL"], env["INPUT_TOKEN"]) == (f"https://{host}/api/v3", "ent0ken")
    assert REMOTE_HOST_VARIABLE not in env


def test_a_remote_on_a_host_without_a_dot_is_named_as_a_likely_ssh_alias_with_the_fixes():
    env = env_for(["--tag", "v1"], remote=Remote("github-work", "octo/demo"))  # git@github-work:octo/demo.git
    assert (env[REMOTE_HOST_VARIABLE], env["INPUT_TOKEN"]) == ("github-work", "")
    with pytest.raises(InputError) as caught:
        read_inputs(env)
    (problem,) = [problem.render(Mode.COMMAND) for problem in caught.value.problems]
    assert problem.startswith("The `origin` remote is on github-work, which has no dot: it looks like an SSH host ")
    assert "~/.ssh/config" in problem and "give --repository octo/demo (and export GH_TOKEN)" in problem
    assert "give --api-url https://HOST/api/v3 with the real host name (the alias's `HostName`)" in problem


def test_the_line_naming_the_remotes_repository_is_no_workflow_command():
    # A hostile .git/config names any path on github.com; under Actions that line goes to stdout as it is.
    log = io.StringIO()
    args = cli.parser().parse_args(["--tag", "v1"])
    remote = cli.parse_remote("git@github.com:o/r##[warning]PWNED.git")
    env = cli.action_env(args, {**TOKENS, "GITHUB_ACTIONS": "true"}, Path("."), log, lambda cwd: remote)
    assert env["INPUT_REPOSITORY"] == "o/r##[warning]PWNED"  # for main() to refuse, as bad input
    assert log.getvalue() == "repository o/r##\\[warning]PWNED at https://api.github.com (from git remote origin)\n"


def test_the_remote_host_variable_is_the_commands_alone():
    env = env_for(REPO_FLAGS, {REMOTE_HOST_VARIABLE: "x.example"})
    assert REMOTE_HOST_VARIABLE not in env  # one set by the caller is dropped
    base = {"INPUT_TAG": "v1", "INPUT_TOKEN": "t", "INPUT_REPOSITORY": "o/r", "GITHUB_WORKSPACE": "."}
    assert read_inputs({**base, REMOTE_HOST_VARIABLE: "x.example"}).connection.repository == "o/r"  # not a command


def test_an_explicit_api_url_wins_over_the_remotes_host():
    env = env_for(["--tag", "v1", "--api-url", "http://127.0.0.1:1"], remote=Remote("github.com", "o/r"))
    assert (env["INPUT_REPOSITORY"], env["INPUT_API_URL"]) == ("o/r", "http://127.0.0.1:1")
    assert env["INPUT_TOKEN"] == "ent0ken"  # the simulator is not github.com


@pytest.mark.parametrize(
    ("env", "api_url", "token"),
    [
        ({}, "https://api.github.com", "t0ken"),
        ({"GITHUB_API_URL": GHES}, GHES, "ent0ken"),
    ],
)
def test_an_explicit_repository_takes_the_api_from_github_api_url_else_api_github_com(env, api_url, token):
    env = env_for([*REPO_FLAGS], env, remote=Remote("ghes.example.com", "team/tool"))
    assert (env["INPUT_REPOSITORY"], env["INPUT_API_URL"], env["INPUT_TOKEN"]) == ("octo/demo", api_url, token)


# -- where git comes from, and what of `origin` is read ------------------------------------------


def test_git_is_found_only_in_absolute_path_entries(tmp_path, monkeypatch):
    here, bin_dir = tmp_path / "cwd", tmp_path / "bin"
    for directory in (here, bin_dir):
        directory.mkdir()
        (directory / "git").write_text("#!/bin/sh\n")
        (directory / "git").chmod(0o755)
    (tmp_path / "bin-not-executable").mkdir()
    (tmp_path / "bin-not-executable" / "git").write_text("")
    monkeypatch.chdir(here)
    entries = ["", ".", "cwd", str(tmp_path / "bin-not-executable"), str(bin_dir)]
    assert cli.find_program("git", os.pathsep.join(entries)) == str(bin_dir / "git")
    assert cli.find_program("git", os.pathsep.join(["", ".", "./"])) is None


def test_origin_is_read_as_configured_without_insteadof_rewrites(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)  # this repository's config only
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("remote", "add", "origin", "https://github.com/octo/demo.git")
    git("remote", "set-url", "--add", "origin", "https://mirror.example/octo/other.git")  # a second URL
    git("config", "url.https://evil.example/.insteadOf", "https://github.com/")
    assert cli.origin_remote(tmp_path) == Remote("github.com", "octo/demo")
    git("remote", "remove", "origin")
    assert cli.origin_remote(tmp_path) is None


# -- the workspace: the checkout's top level --------------------------------------------------------


def test_the_workspace_is_the_checkouts_top_level_and_paths_start_from_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, capture_output=True)
    sub = tmp_path / "docs" / "site"
    sub.mkdir(parents=True)
    assert cli.checkout_top(sub).resolve() == tmp_path.resolve()
    (tmp_path / "N.md").write_text("Notes from the top.\n", encoding="utf-8")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.zip").write_bytes(b"zip")
    args = cli.parse_flags([*REPO_FLAGS, "--notes-file", "../../N.md", "--files", "../../dist/*.zip"])
    env = cli.action_env(args, {"GH_TOKEN": "t"}, sub, io.StringIO(), lambda cwd: None)
    assert Path(env["GITHUB_WORKSPACE"]).resolve() == tmp_path.resolve()
    asked = read_inputs(env)
    assert asked.desired.body == "Notes from the top.\n"
    assert [file.name for file in asked.files.local] == ["app.zip"]
    with pytest.raises(InputError) as caught:  # still nothing from outside the checkout
        read_inputs(cli.action_env(cli.parse_flags([*REPO_FLAGS, "--notes-file", "../../../N.md"]), {"GH_TOKEN": "t"},
                                   sub, io.StringIO(), lambda cwd: None))  # fmt: skip
    (problem,) = caught.value.messages(Mode.COMMAND)
    assert problem.startswith("--notes-file: '../../../N.md' ") and f"({tmp_path.resolve()})" in problem


@pytest.mark.parametrize(
    ("cwd", "env", "top", "workspace"),
    [
        ("/w/repo/sub", {}, "/w/repo", "/w/repo"),  # inside a checkout: its top level
        ("/w/plain", {}, None, "/w/plain"),  # no checkout: the current directory
        ("/w/repo/sub", {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": "/w"}, "/w/repo", "/w"),  # the runner's
        ("/elsewhere", {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": "/w"}, None, "/elsewhere"),  # not below it
        ("/w/repo/sub", {"GITHUB_WORKSPACE": "/w"}, "/w/repo", "/w/repo"),  # not under Actions: a stray variable
    ],
)
def test_the_workspace_rule(cwd, env, top, workspace):
    found = cli.workspace_of(Path(cwd), env, lambda _cwd: Path(top) if top else None)
    assert found == Path(workspace)


def test_without_a_remote_the_repository_is_github_repository():
    env = env_for(["--tag", "v1"], {"GITHUB_REPOSITORY": "o/r", "GITHUB_WORKSPACE": "."})
    assert "INPUT_REPOSITORY" not in env  # main falls back on GITHUB_REPOSITORY as for the action's default
    assert read_inputs(env).connection.repository == "o/r"


def test_abbreviated_flags_are_refused():
    with pytest.raises(SystemExit) as exc:
        cli.parser().parse_args(["--tag", "v1", "--notes-f", "x"])
    assert exc.value.code == 2


def test_every_unknown_flag_is_an_error_on_stderr_with_the_flag_it_may_have_meant(capsys):
    argv = ["--taag", "v1", "--notes-f", "x", "--dry-rn", "--no-darft", "--repository=o/r", "--frobnicate=1", "stray"]
    with pytest.raises(SystemExit) as exc:
        cli.parse_flags(argv)
    out, err = capsys.readouterr()
    assert (exc.value.code, out) == (2, "")
    assert [line for line in err.splitlines() if line.startswith("safe-release: error: ")] == [
        "safe-release: error: unknown flag '--taag'; did you mean --tag?",
        "safe-release: error: unknown flag '--notes-f'; did you mean --notes-file?",
        "safe-release: error: unknown flag '--dry-rn'; did you mean --dry-run?",
        "safe-release: error: unknown flag '--no-darft'; did you mean --no-draft?",
        "safe-release: error: unknown flag '--frobnicate' (see safe-release --help)",
        "safe-release: error: unexpected argument 'stray': the command takes flags only (see safe-release --help)",
    ]
    assert err.startswith("usage: safe-release")


def test_known_flags_parse_as_before():
    args = cli.parse_flags(["--tag", "v1", "--files", "a", "b", "--no-draft"])
    assert (args.tag, args.files, args.draft) == ("v1", ["a", "b"], False)


@pytest.mark.parametrize(
    ("argv", "env", "as_action"),
    [
        ([], {"GITHUB_ACTIONS": "true"}, True),
        ([], {"INPUT_TAG": "v1"}, True),
        ([], {}, False),  # a terminal: flags mode, which asks for --tag
        (["--tag", "v1"], {"GITHUB_ACTIONS": "true", "INPUT_TAG": "v2"}, False),  # flags always win
    ],
)
def test_it_runs_as_the_action_when_a_runner_started_it_without_flags(argv, env, as_action):
    assert cli.started_by_runner(argv, env) is as_action


def test_an_input_is_a_boolean_flag_exactly_when_main_reads_it_as_a_boolean():
    """The flags' kinds come from contract.INPUTS; read_inputs is the authority on which inputs are booleans."""
    base = {"INPUT_TAG": "v1", "INPUT_TOKEN": "t", "INPUT_REPOSITORY": "o/r", "GITHUB_WORKSPACE": "."}
    read_as_boolean = set()
    for name in INPUTS:
        try:
            read_inputs({**base, f"INPUT_{name.upper()}": "maybe"})
        except InputError as exc:
            if "use true or false" in str(exc):
                read_as_boolean.add(name)
    assert read_as_boolean == {name for name, spec in INPUTS.items() if spec.kind is Kind.BOOLEAN}


def test_help_describes_each_flag_with_its_inputs_description_in_flag_words():
    text = cli.describe("notes_file")
    assert text.startswith("UTF-8 file with the release notes") and "Not with --notes." in text
    assert cli.describe("overwrite_files").endswith("Default: on.")
    assert cli.describe("make_latest").endswith("Default: legacy.")
    assert "GITHUB_SHA" in cli.describe("target_commitish")  # not the runner's ${{ github.sha }}
    assert "${{" not in cli.parser().format_help()


# -- what a person sees ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("plain line", "plain line"),
        ("::group::Converge the release", "== Converge the release"),
        ("::endgroup::", None),
        ("::error title=safe-release-action failed::No%0Aluck 100%25", "error: No\nluck 100%"),
        ("::warning::careful", "warning: careful"),
        ("::add-mask::s3cret", None),  # the secret is never shown
        ("note \x1b[31mred\x1b[0m", "note red"),  # no terminal escapes from the API
        ("url \x1b]52;c;cm0K\x07\x9d52;c;cm0K\x9c\x07", "url \\x07"),  # clipboard writes cut out, BEL shown
        ("::warning::a%0A\x1b[2Jb", "warning: a\nb"),  # an annotation's own line break stays
        ("col\tumns", "col\tumns"),
    ],
)
def test_workflow_commands_become_plain_lines_for_a_person(line, shown):
    assert cli.for_person(line) == shown


HOSTILE_URL = "https://github.com/o/r/releases/tag/v1\n::warning::PWNED\r##[error]PWNED\x1b]52;c;cm0K\x07\x9b2J"


@pytest.mark.parametrize("in_actions", [True, False])
def test_the_outputs_table_shows_each_value_on_its_line_with_no_command_and_no_escape(capsys, in_actions):
    cli.print_outputs({"id": "1", "html_url": HOSTILE_URL}, as_json=False, in_actions=in_actions)
    lines = capsys.readouterr().out.split("\n")
    assert lines[0] == "id        1"
    legacy = "##\\[" if in_actions else "##["  # the runner reads `##[` anywhere in a line
    assert lines[1] == f"html_url  https://github.com/o/r/releases/tag/v1\\n::warning::PWNED\\r{legacy}error]PWNED"
    assert lines[2:] == [""]


def test_the_outputs_as_json_are_one_line_without_hidden_characters_or_commands(capsys):
    cli.print_outputs({"html_url": HOSTILE_URL + "\x9d52;c;eA==\x9c"}, as_json=True, in_actions=True)
    out = capsys.readouterr().out
    assert json.loads(out) == {"html_url": HOSTILE_URL + "\x9d52;c;eA==\x9c"}  # the value, exactly, for programs
    assert out.count("\n") == 1 and "##[" not in out
    assert not any(c < " " or "\x7f" <= c <= "\x9f" for c in out.rstrip("\n")), repr(out)


def test_the_person_log_passes_lines_on_as_they_complete_and_errors_to_their_own_stream():
    target, errors = io.StringIO(), io.StringIO()
    log = cli.PersonLog(target, errors_to=errors)
    log.write("::group::A\npartial")
    assert target.getvalue() == "== A\n"
    log.write(" line\n::endgroup::\n::error title=t::bad%0Ainput\n::warning::w\n")
    assert target.getvalue() == "== A\npartial line\nwarning: w\n"
    assert errors.getvalue() == "error: bad\ninput\n"


@pytest.mark.parametrize(
    "outputs",
    [
        {"id": "1", "status": "created"},
        {"notes": "two\nlines", "empty": "", "tricky": "a<<b\nghadelimiter_x\n=c"},
    ],
)
def test_outputs_read_back_are_the_outputs_written(outputs):
    assert cli.read_outputs(format_outputs(outputs)) == outputs


def test_json_flag_and_version_exist():
    args = cli.parser().parse_args([*REPO_FLAGS, "--json"])
    assert isinstance(args, argparse.Namespace) and args.json is True
    with pytest.raises(SystemExit) as exc:
        cli.parser().parse_args(["--version"])
    assert exc.value.code == 0
