"""Read and check the action's inputs, all of them, before the first request.

The runner hands inputs over as ``INPUT_<NAME>`` environment variables (the command sets the
same from its flags). `read_inputs` runs a few small readers, each for one part of the run:

    read_tag, read_notes, read_release → decide.Desired (the release asked for)
    read_connection                    → Connection (token, repository, api_url, timeout)
    read_files                         → Files (the `files` matched and hashed, the `checksums` name)
    read_policy                        → Policy (how the run behaves: dry_run, overwrite_files,
                                                 remove_other_assets, verify_tag)

and hands over `Asked`: the Desired state itself and what the run needs beyond it. Each reader
records every problem it finds and goes on, skipping only the checks a problem makes
meaningless (no notes file is read when `notes` is set too); `read_inputs` then raises one
InputError holding every problem, so one run reports all bad inputs (one `::error::` each),
before any request. Problems are `words` (wording.py): they name inputs as the user set them.

Adding an input:
1. declare it in contract.py (its kind decides its flag and its generic check), then run
   `python -m release_bench.action_files` (action.yml, portable/action.yml, README tables);
2. read it in the reader its value belongs to: `r.value(name)` is the value checked by its
   kind (None once a problem is recorded: skip what depends on it); record further problems
   with `r.problem(words(...))`. A field of the release goes into decide.Desired and into the
   dict read_tag / read_notes / read_release returns; anything else into the record of
   read_connection, read_files or read_policy;
3. give it rows in tests/test_inputs.py's VALID and INVALID tables (a test holds every
   declared input to having them).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from release_action import changelog, local_files, notes, origin, platforms
from release_action.asset_files import LocalFile, collect, github_asset_name
from release_action.budget import Deadline
from release_action.contract import EXPRESSION_ENV, INPUTS, MAX_BODY, Kind
from release_action.decide import Desired
from release_action.remote import (
    ENTERPRISE_TOKENS,
    GITHUB_API,
    GITHUB_TOKENS,
    REMOTE_HOST_VARIABLE,
    is_github_api,
    likely_ssh_alias,
)
from release_action.token_guard import found_in
from release_action.wording import InputError, Mode, Words, as_words, mode_of, words

__all__ = ["Asked", "Connection", "Files", "InputError", "Policy", "read_inputs"]

# A UTF-8 character is at most 4 bytes: a longer notes file cannot be MAX_BODY characters.
MAX_NOTES_FILE_BYTES = 4 * MAX_BODY
# A changelog holds every release's notes; only the tag's section must fit in a body.
MAX_CHANGELOG_BYTES = 16 * 1024 * 1024

TRUE = ("true", "True", "TRUE")
FALSE = ("false", "False", "FALSE")
MAKE_LATEST = INPUTS["make_latest"].choices
# GitHub's account names: letters, digits and single inner hyphens, at most 39 characters;
# a managed user (Enterprise Managed Users) carries an `_shortcode` suffix.
OWNER = re.compile(r"^(?=.{1,39}$)[A-Za-z0-9](?:-?[A-Za-z0-9])*(?:_[A-Za-z0-9]+)?$")
# Repository names: letters, digits, '.', '_' and '-', at most 100; never '.' or '..'.
REPO_NAME = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$")
# git check-ref-format: no control characters, space, ~ ^ : ? * [ or backslash anywhere.
REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


# -- what the inputs ask for -----------------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """Where the run talks to, and for how long."""

    token: str = field(repr=False)  # never in a repr, so never in a log through one
    repository: str
    api_url: str
    timeout_seconds: float


@dataclass(frozen=True)
class Files:
    """The `files` asked for: the patterns, and the files they matched, checked and hashed."""

    patterns: tuple[str, ...] = ()
    working_directory: Path | None = None
    local: tuple[LocalFile, ...] = ()  # in upload order: the lines' order, each line's matches by path
    warnings: tuple[Words, ...] = ()  # a pattern that matched nothing, with fail_on_unmatched_files: false
    checksums: str = ""  # the name of the checksums asset the action keeps; "" none


@dataclass(frozen=True)
class Policy:
    """How the run goes about it."""

    dry_run: bool
    overwrite_files: bool
    remove_other_assets: bool = False
    verify_tag: bool = False  # the tag must be in the repository before anything is written


@dataclass(frozen=True)
class Asked:
    """Everything the inputs ask for, checked: the release itself and what the run needs beyond it."""

    desired: Desired
    connection: Connection
    files: Files
    policy: Policy
    notices: tuple[Words, ...] = ()  # what the action changed about an input (`refs/tags/v1` read as `v1`)
    changelog: changelog.Section | None = None  # the section of `changelog_file` the notes are
    # The run's time budget, started as soon as `timeout_seconds` was read: collecting the files spends it too.
    deadline: Deadline | None = field(default=None, compare=False)


# -- reading ---------------------------------------------------------------------------------


class Reader:
    """The environment's inputs, read as declared (contract.INPUTS), and the problems found so far."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[Words] = []
        self.notices: list[Words] = []
        self.workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
        # Where local files may be read from (the workspace, RUNNER_TEMP); see local_files.
        self.roots = local_files.roots_of(env, self.workspace)
        # Where relative paths start: the workspace; for the command, its current directory (in the workspace).
        base = env.get(local_files.BASE_VARIABLE) if mode_of(env) is Mode.COMMAND else None
        self.base = Path(base) if base else self.workspace

    def problem(self, message: Words | str) -> None:
        self.problems.append(as_words(message))

    def notice(self, message: Words | str) -> None:
        self.notices.append(as_words(message))

    def raw(self, name: str) -> str:
        """The input's text: as given, else its default as the runner would fill it in."""
        spec = INPUTS[name]
        value = self.env.get(spec.variable)
        if value is None:  # not run by the runner: fall back as the runner would
            value = spec.default
        if value in EXPRESSION_ENV:
            value = self.env.get(EXPRESSION_ENV[value], "")
        return value if spec.verbatim else value.strip()

    def value(self, name: str) -> Any:
        """The input's value by its kind (bool, str, float, tuple of lines), or None after recording why not."""
        spec, text = INPUTS[name], self.raw(name)
        if spec.kind is Kind.BOOLEAN:
            if text in TRUE or text in FALSE:
                return text in TRUE
            self.problem(words("Input `{input}` is {value!r}; use true or false.", input=spec, value=text))
        elif spec.kind is Kind.CHOICE:
            if text in spec.choices:
                return text
            choices = ", ".join(spec.choices[:-1]) + " or " + spec.choices[-1]
            close = difflib.get_close_matches(text.lower(), spec.choices, n=1, cutoff=0.6)
            guess = f" (did you mean {close[0]}?)" if close else ""
            self.problem(
                words(
                    "Input `{input}` is {value!r}; use {choices}{guess}.",
                    input=spec,
                    value=text,
                    choices=choices,
                    guess=guess,
                )
            )
        elif spec.kind is Kind.NUMBER:
            try:
                number = float(text)
            except ValueError:
                number = float("nan")
            if spec.low <= number <= spec.high:
                return number
            self.problem(
                words(
                    "Input `{input}` is {value!r}; use a number of {unit} from {low} to {high}.",
                    input=spec,
                    value=text,
                    unit=spec.unit,
                    low=f"{spec.low:g}",
                    high=f"{spec.high:g}",
                )
            )
        elif spec.kind is Kind.LINES:
            lines = (line.strip() for line in text.splitlines())
            return tuple(line for line in lines if line and not line.startswith("#"))
        else:
            return text
        return None


def read_inputs(env: Mapping[str, str] | None = None) -> Asked:
    """What the inputs ask for, or InputError holding every problem found."""
    r = Reader(os.environ if env is None else env)
    tag = read_tag(r)
    fields, section = read_notes(r, tag.get("tag"))
    release = read_release(r)
    connection = read_connection(r)
    token = connection.token if connection is not None else None
    deadline = Deadline(connection.timeout_seconds) if connection is not None else None
    refuse_the_token(r, token, fields.get("body"), release.get("name"))
    files = read_files(r, token, deadline)
    policy = read_policy(r, files)
    if r.problems or connection is None or files is None or policy is None:
        raise InputError(*r.problems)
    return Asked(Desired(**tag, **fields, **release), connection, files, policy, tuple(r.notices), section, deadline)


# -- the release: tag, notes, fields → decide.Desired ----------------------------------------


def read_tag(r: Reader) -> dict[str, Any]:
    tag = tag_name(r, "tag")
    if tag == "":
        ref = r.env.get("GITHUB_REF", "")
        if not ref.startswith("refs/tags/"):
            r.problem(
                words(
                    "No tag: set the `tag` input, or run the workflow on a tag push (GITHUB_REF is {ref!r}).",
                    command="No tag: give the release's tag, for example `tag: ${{ github.ref_name }}`.",
                    ref=ref or "unset",
                )
            )
            return {}
        tag = ref.removeprefix("refs/tags/")
    if tag is None:
        return {}
    if problem := ref_problem(tag):
        r.problem(words("Input `tag` {tag!r} is not a valid git tag name: {problem}.", tag=tag, problem=problem))
        return {}
    return {"tag": tag}


def read_notes(r: Reader, tag: str | None) -> tuple[dict[str, Any], changelog.Section | None]:
    """The notes and how they go into the body; and the changelog section they came from, if any."""
    text, notes_file, changelog_file = r.value("notes"), r.value("notes_file"), r.value("changelog_file")
    given = [name for name in ("notes", "notes_file", "changelog_file") if r.raw(name).strip()]
    body: str | None = text
    source = "notes"
    section: changelog.Section | None = None
    if len(given) > 1:
        if len(given) == 3:
            r.problem("Set only one of `notes`, `notes_file` and `changelog_file`.")
        elif given == ["notes", "notes_file"]:
            r.problem("Set either `notes` or `notes_file`, not both.")
        else:
            r.problem(words("Set either `{a}` or `changelog_file`, not both.", a=INPUTS[given[0]]))
        body = None
    elif notes_file:
        body, source = file_text(r, "notes_file", notes_file, MAX_NOTES_FILE_BYTES), "notes_file"
    elif changelog_file:
        source = "changelog_file"
        content = file_text(r, "changelog_file", changelog_file, MAX_CHANGELOG_BYTES)
        section = changelog_section(r, changelog_file, content, tag) if content is not None else None
        body = section.text if section else None
    if body is not None and len(body) > MAX_BODY:
        r.problem(
            words(
                "Input `{input}`: the release notes are {length} characters; GitHub accepts at most {limit}. "
                "Shorten them, or link to a changelog instead.",
                input=INPUTS[source],
                length=len(body),
                limit=MAX_BODY,
            )
        )
    placement = notes_placement(r, body, source)
    generate_notes = r.value("generate_notes")
    previous_tag = tag_name(r, "previous_tag")
    if previous_tag:
        if generate_notes is False:
            r.problem("Input `previous_tag` only applies with `generate_notes: true`.")
        if problem := ref_problem(previous_tag):
            r.problem(
                words(
                    "Input `previous_tag` {tag!r} is not a valid tag name: {problem}.",
                    tag=previous_tag,
                    problem=problem,
                )
            )
    fields = {
        "body": body if body and body.strip() else None,  # None: GitHub's body is left as it is
        "placement": placement,
        "generate_notes": generate_notes,
        "previous_tag": previous_tag or None,
    }
    return fields, section


def notes_placement(r: Reader, body: str | None, source: str) -> notes.Placement:
    """Where the notes go: `append_notes`, `notes_section`, or the whole body."""
    append, name = r.value("append_notes"), r.value("notes_section")
    placement = notes.PLACE_REPLACE
    if name and (problem := notes.section_name_problem(name)):
        r.problem(words("Input `notes_section` {name!r} is not a section name: {problem}.", name=name, problem=problem))
    elif name and append:
        r.problem(
            "Set either `notes_section` or `append_notes: true`, not both: a section is replaced in place, "
            "appended notes are added after the body."
        )
    elif name:
        placement = notes.in_section(name)
    elif append:
        placement = notes.PLACE_APPEND
    if placement.commutes and body and (line := notes.marker_line(body)):
        r.problem(
            words(
                "Input `{input}`: the notes hold the line {line!r}, which reads as a section marker of this action "
                "and would confuse where sections begin and end. Remove that line from the notes.",
                input=INPUTS[source],
                line=line,
            )
        )
    if placement.kind == notes.SECTION and body and not r.problems:
        try:
            notes.compose(None, [body], placement)
        except notes.TooLong as exc:
            r.problem(
                words(
                    "Input `{input}`: the notes and the section's two marker lines are {length} characters; "
                    "GitHub accepts at most {limit}. Shorten the notes.",
                    input=INPUTS[source],
                    length=exc.length,
                    limit=MAX_BODY,
                )
            )
    return placement


def changelog_section(r: Reader, path: str, text: str, tag: str | None) -> changelog.Section | None:
    """The changelog's section for the tag, or None after recording why there is none."""
    if tag is None:  # the tag is wrong: its problem is recorded already
        return None
    try:
        return dataclasses.replace(changelog.find(text, tag), path=path)
    except changelog.Empty as exc:
        r.problem(
            words(
                "Input `changelog_file`: the section for {tag} in {path!r} (line {line}, {heading!r}) is empty. "
                "Write the release's changes under that heading.",
                tag=tag,
                path=path,
                line=exc.heading.line,
                heading=exc.heading.source,
            )
        )
    except changelog.NotFound as exc:
        if exc.nearest:
            near = "; ".join(f"line {h.line}: {h.source!r}" for h in exc.nearest)
            found = f"The headings nearest to the tag are {near}."
        else:
            found = "It has no headings."
        short = tag.removeprefix("v") if len(tag) > 1 else tag
        r.problem(
            words(
                "Input `changelog_file`: {path!r} has no section for {tag} (a heading such as '## [{short}]' or "
                "'## {tag}'). {found} Add the section, or check `tag`.",
                path=path,
                tag=tag,
                short=short,
                found=found,
            )
        )
    return None


def file_text(r: Reader, name: str, path: str, limit: int) -> str | None:
    """The text of the file input `name` names: by local_files' rule, UTF-8, LF line endings, no BOM."""
    what = {"notes_file": "notes file", "changelog_file": "changelog"}[name]
    try:
        data = local_files.read_capped(r.base / path, r.roots, limit)
    except local_files.TooLarge as exc:
        if name == "notes_file":
            r.problem(
                words(
                    "Input `notes_file`: {path!r} {why}, so it holds more than the {limit} characters GitHub "
                    "accepts. Shorten the notes, or link to a changelog instead.",
                    path=path,
                    why=exc,
                    limit=MAX_BODY,
                )
            )
        else:
            r.problem(
                words(
                    "Input `changelog_file`: {path!r} {why}; a changelog that large is refused. Point "
                    "`changelog_file` at a file that holds the latest releases.",
                    path=path,
                    why=exc,
                )
            )
        return None
    except local_files.Refused as exc:
        r.problem(
            words(
                "Input `{input}`: {path!r} {why}. The {what} must be a regular file inside the workspace "
                "({workspace}) or RUNNER_TEMP; check the path, and that the file is created before this step.",
                input=INPUTS[name],
                path=path,
                why=exc,
                what=what,
                workspace=r.roots[0],
            )
        )
        return None
    try:
        return platforms.notes_text(data)  # one body from a Windows (CRLF, BOM) or Linux checkout
    except UnicodeDecodeError as exc:
        r.problem(
            words(
                "Input `{input}`: {path!r} is not UTF-8 ({reason} at byte {start}). Save it as UTF-8.",
                input=INPUTS[name],
                path=path,
                reason=exc.reason,
                start=exc.start,
            )
        )
        return None


def read_release(r: Reader) -> dict[str, Any]:
    target = r.value("target_commitish") or None
    if target is not None and REF_FORBIDDEN.search(target):
        r.problem(words("Input `target_commitish` {value!r} is not a branch name or commit SHA.", value=target))
    return {
        "name": r.value("name") or None,  # None: the tag on create, the current title on update
        "draft": r.value("draft"),
        "prerelease": r.value("prerelease"),
        "make_latest": r.value("make_latest"),
        "target_commitish": target,
        "discussion_category": r.value("discussion_category") or None,
        "if_exists": r.value("if_exists"),
    }


def tag_name(r: Reader, name: str) -> str | None:
    """A tag input as a tag name: `refs/tags/NAME` (the `${{ github.ref }}` slip) becomes NAME.

    None (a problem recorded) for any other full ref."""
    spec, value = INPUTS[name], r.raw(name)
    hint = "${{ github.ref_name }}" if name == "tag" else spec.example
    if value.startswith("refs/tags/") and value != "refs/tags/":
        short = value.removeprefix("refs/tags/")
        r.notice(
            words(
                "Input `{input}` is the full ref {value!r}; using the tag name {short!r}. "
                "Pass `{input}: {hint}` to avoid this notice.",
                command="Input `{input}` is the full ref {value!r}; using the tag name {short!r}. "
                "Pass `{input}: {short}` to avoid this notice.",
                input=spec,
                value=value,
                short=short,
                hint=hint,
            )
        )
        value = short
    if value.startswith("refs/"):
        r.problem(
            words(
                "Input `{input}` is {value!r}, a full ref that is not a tag: of full refs only `refs/tags/NAME` is "
                "accepted (as NAME). Pass the tag name, such as `{input}: {hint}`.",
                input=spec,
                value=value,
                hint=hint,
            )
        )
        return None
    return value


def ref_problem(name: str) -> str | None:
    """Why `name` is not a valid tag name by git check-ref-format's rules, or None."""
    if not name:
        return "it is empty"
    if name.startswith("-"):
        return "it starts with '-', which git tag refuses"
    if REF_FORBIDDEN.search(name):
        return "it contains a space, a control character or one of ~ ^ : ? * [ \\"
    if name == "@":
        return "it is '@'"
    if "@{" in name:
        return "it contains '@{'"
    if ".." in name:
        return "it contains '..'"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "it has an empty path component ('/' at an end, or '//')"
    if name.endswith("."):
        return "it ends with '.'"
    for part in name.split("/"):
        if part.startswith("."):
            return "a component starts with '.'"
        if part.endswith(".lock"):
            return "a component ends with '.lock'"
    return None


# -- the connection: token, repository, api_url, timeout_seconds -------------------------------


def read_connection(r: Reader) -> Connection | None:
    remote_host = r.env.get(REMOTE_HOST_VARIABLE) if mode_of(r.env) is Mode.COMMAND else None
    if remote_host and likely_ssh_alias(remote_host):  # git@github-work:o/r, a Host of ~/.ssh/config
        r.problem(
            words(
                "The `origin` remote is on {host}, which has no dot: it looks like an SSH host alias (a `Host` "
                "entry in ~/.ssh/config), which only ssh knows, so the command cannot tell which GitHub it stands "
                "for, nor send it a token. For a repository on github.com give `repository: {repository}` (and "
                "export GH_TOKEN); for GitHub Enterprise Server give `api_url: https://HOST/api/v3` with the real "
                "host name (the alias's `HostName`) and export GH_ENTERPRISE_TOKEN.",
                host=remote_host,
                repository=r.raw("repository") or "OWNER/NAME",
            )
        )
    elif remote_host:  # the command found `origin` on a host that is not GitHub's (cli.action_env)
        r.problem(
            words(
                "The `origin` remote is on {host}, which is not github.com or NAME.ghe.com, so the command will "
                "not guess its API, nor send it a token: for GitHub Enterprise Server give "
                "`api_url: https://{host}/api/v3` and export GH_ENTERPRISE_TOKEN; for a repository on github.com "
                "give `repository: OWNER/NAME`.",
                host=remote_host,
            )
        )
    token = r.value("token")
    if remote_host:
        token = None  # none was chosen: which API it would go to is the problem above
    elif not token:
        r.problem(no_token(r))
        token = None
    elif not all("!" <= c <= "~" for c in token):  # HTTP headers carry ASCII; a token is printable ASCII
        r.problem(
            "Input `token` contains a space, a control character or a non-ASCII character; "
            "check the secret (a token is printable ASCII)."
        )
        token = None

    repository = r.value("repository")
    if not repository:
        r.problem(
            words(
                "Input `repository` is '': use the form owner/name.",
                command="No repository: give `repository: OWNER/NAME`, or run the command inside a git checkout "
                "whose `origin` remote is on a GitHub host.",
            )
        )
        repository = None
    elif problem := repository_problem(repository):
        r.problem(words("Input `repository` is {value!r}: {problem}.", value=repository, problem=problem))
        repository = None

    api_url = api_url_input(r, r.value("api_url"))
    timeout = r.value("timeout_seconds")
    if token is None or repository is None or api_url is None or timeout is None:
        return None
    return Connection(token, repository, api_url, timeout)


def no_token(r: Reader) -> Words:
    """The missing token's problem; at a terminal, in the variables gh reads for the API's host."""
    action = (
        "No token: pass `token: ${{ secrets.GITHUB_TOKEN }}` (the default) or a token with "
        "`contents: write` on the repository."
    )
    api_url = r.raw("api_url").rstrip("/") or GITHUB_API
    if is_github_api(api_url):
        command = (
            "No token: export GH_TOKEN (for example `export GH_TOKEN=$(gh auth token)`) or "
            "GITHUB_TOKEN, holding a token with `contents: write` on the repository."
        )
        return words(action, command=command)
    stray = next((v for v in GITHUB_TOKENS if r.env.get(v, "").strip()), None)
    why = f" {stray} is set, but it is for github.com and is never sent to another host." if stray else ""
    command = (
        "No token for {api}: that API is not github.com's, so the token comes from "
        f"{' or '.join(ENTERPRISE_TOKENS)}, as gh reads it.{{why}} Export GH_ENTERPRISE_TOKEN holding a token "
        "of that server with `contents: write` on the repository."
    )
    return words(action, command=command, api=masked(api_url), why=why)


def repository_problem(repository: str) -> str | None:
    """Why `repository` is not a GitHub `owner/name`, or None."""
    owner, slash, name = repository.partition("/")
    if not slash:
        return "use the form owner/name"
    if not OWNER.match(owner):
        return (
            f"the owner {owner!r} is not a GitHub account name (letters, digits and single "
            "hyphens, not at either end, at most 39 characters)"
        )
    if not REPO_NAME.match(name):
        return (
            f"the name {name!r} is not a GitHub repository name (letters, digits, '.', '_' and "
            "'-', at most 100 characters, not '.' or '..')"
        )
    return None


def masked(url: str) -> str:
    """`url` fit to print: whatever precedes an '@' after the scheme (credentials) is hidden."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return f"{scheme}{sep}{rest}"


def api_url_input(r: Reader, value: str) -> str | None:
    """The `api_url` input, checked by the rule the client connects by (origin.py), so that a URL it
    would refuse is bad input (exit 2) here, before any request, never echoing credentials."""
    api_url = value.rstrip("/") or GITHUB_API
    shown = masked(api_url)
    try:
        where = origin.origin_of(api_url)
    except origin.UnsafeUrl as exc:
        if "user name or password" in str(exc):
            r.problem(
                words("Input `api_url` {url!r} must not carry credentials; pass the token as `token`.", url=shown)
            )
        else:
            r.problem(
                words(
                    "Input `api_url` {url!r} is not a valid URL: {why}. Give the API's base URL, such as "
                    "https://api.github.com or https://HOST/api/v3 for GitHub Enterprise Server.",
                    url=shown,
                    why=exc,
                )
            )
        return None
    if where.scheme == "http" and not where.loopback:
        r.problem(
            words(
                "Input `api_url` {url!r} uses plain http to a non-loopback host: the token would cross the "
                "network in clear text. Use https.",
                url=shown,
            )
        )
        return None
    parts = urlsplit(api_url)  # origin_of has parsed it already: this cannot raise
    if parts.query or parts.fragment or api_url.endswith(("?", "#")):
        r.problem(words("Input `api_url` {url!r} must not carry a query or a fragment.", url=shown))
        return None
    return api_url


# -- files, policy -----------------------------------------------------------------------------


def refuse_the_token(r: Reader, token: str | None, body: str | None, name: str | None) -> None:
    """The notes and the name are published as they are: a problem if either holds the token, in any
    form token_guard knows (the notes GitHub generates are checked where they are read: github.py)."""
    if not token:
        return
    source, path = "notes", ""
    for file_input in ("notes_file", "changelog_file"):  # where read_notes took the notes from, if a file
        if given := r.value(file_input):
            source, path = file_input, f"{given!r} "
            break
    for text, input_name, where in ((body, source, path), (name, "name", "")):
        if text and (form := found_in(text, token)) is not None:
            r.problem(
                words(
                    "Input `{input}` {path}holds the job's token ({form}); it is not published. Check where the "
                    "text comes from (a symlink to .git/config, a step that printed its environment), and leave "
                    "the token out of it.",
                    input=INPUTS[input_name],
                    path=where,
                    form=form,
                )
            )


def read_files(r: Reader, token: str | None, deadline: Deadline | None) -> Files | None:
    """The `files` matched, checked and hashed (asset_files.collect) within `deadline`, each scanned for
    `token`, and the `checksums` asset's name, or None after a problem with the files."""
    patterns = r.value("files")
    given = r.value("working_directory")
    fail_on_unmatched = r.value("fail_on_unmatched_files")
    checksums = checksums_name(r)
    if not patterns:
        return Files(checksums=checksums)
    working_directory = r.base / given if given else r.base
    try:
        working_directory = local_files.resolve_inside(working_directory, r.roots[:1])
    except local_files.Refused as exc:
        r.problem(
            words(
                "Input `working_directory` {path!r} {why}; it must be a directory inside the workspace ({workspace}).",
                path=given,
                why=exc,
                workspace=r.roots[0],
            )
        )
        return None
    if not working_directory.is_dir():
        r.problem(words("Input `working_directory` {path!r} is not a directory.", path=given))
        return None
    if fail_on_unmatched is None:
        return None
    warnings: list[Words] = []
    try:
        local = collect(
            patterns,
            working_directory,
            fail_on_unmatched,
            warn=lambda m: warnings.append(as_words(m)),
            roots=r.roots,
            token=token,
            deadline=deadline,
        )
    except InputError as exc:
        r.problems.extend(exc.problems)
        return None
    for file in local:
        if checksums and platforms.asset_key(file.name) == platforms.asset_key(checksums):
            r.problem(
                words(
                    "Input `checksums` is {name!r}, the asset name of {path!r}, which `files` matches: the action "
                    "writes the checksums asset itself. Drop that file from `files`, or give `checksums` another name.",
                    name=checksums,
                    path=file_path(file.path, working_directory),
                )
            )
    return Files(patterns, working_directory, tuple(local), tuple(warnings), checksums)


def checksums_name(r: Reader) -> str:
    """The `checksums` input: an asset name exactly as GitHub stores it, or "" (none, or a problem recorded)."""
    name = r.value("checksums")
    if not name or github_asset_name(name) == name:
        return name
    if "/" in name or "\\" in name:
        r.problem(
            words(
                "Input `checksums` is {name!r}, a path: it is the name of the asset the action writes (it makes the "
                "file itself). Give a name such as `checksums: SHA256SUMS`.",
                name=name,
            )
        )
    else:
        r.problem(
            words(
                "Input `checksums` is {name!r}, which GitHub would store as {stored!r} (an asset name holds letters, "
                "digits, `.`, `_`, `+` and `-`, and neither starts nor ends with `.`). Give `checksums: {stored}`.",
                name=name,
                stored=github_asset_name(name),
            )
        )
    return ""


def file_path(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def read_policy(r: Reader, files: Files | None) -> Policy | None:
    dry_run, overwrite_files = r.value("dry_run"), r.value("overwrite_files")
    remove_other_assets, verify_tag = r.value("remove_other_assets"), r.value("verify_tag")
    if remove_other_assets and files is not None and not files.local:
        # Every asset is "other" then: a typo in `files`, or a build that made nothing, would empty the release.
        if files.patterns:
            r.problem(
                "Input `remove_other_assets` is true, but no `files` pattern matched a file: the run would delete "
                "every asset of the release. Check the patterns and that the files are built before this step."
            )
        else:
            r.problem(
                "Input `remove_other_assets` is true, but `files` is empty: the run would delete every asset of "
                "the release. Set `files` to the files the release should hold."
            )
        return None
    if dry_run is None or overwrite_files is None or remove_other_assets is None or verify_tag is None:
        return None
    return Policy(
        dry_run=dry_run, overwrite_files=overwrite_files, remove_other_assets=remove_other_assets, verify_tag=verify_tag
    )
