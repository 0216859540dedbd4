"""Read and validate the action's inputs, all of them, before the first request is made.

The runner hands inputs over as ``INPUT_<NAME>`` environment variables. Every check that can
fail on the user's input happens here, so that bad input never leaves a half-done release.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from release_action import local_files, origin, platforms

MAX_BODY = 125_000  # GitHub refuses a longer release body with 422.
# A UTF-8 character is at most 4 bytes: a longer notes file cannot be MAX_BODY characters.
MAX_NOTES_FILE_BYTES = 4 * MAX_BODY
MIN_TIMEOUT = 1  # below a second no request can finish
MAX_TIMEOUT = 6 * 3600  # a job's own limit: a longer budget is a typo


class InputError(ValueError):
    """An input is wrong; the message names the input and says how to fix it."""


@dataclass(frozen=True)
class Spec:
    default: str
    description: str


# The public contract: action.yml declares exactly these inputs with exactly these defaults
# (a test holds the two together). Expression defaults are what the runner substitutes.
INPUTS: dict[str, Spec] = {
    "tag": Spec("", "Tag of the release. Default: the pushed tag when the workflow runs on a tag push."),
    "name": Spec("", "Release title. Default: the tag when the release is created; kept on update."),
    "notes": Spec("", "Release notes (Markdown). Empty keeps the existing notes on update."),
    "notes_file": Spec("", "UTF-8 file with the release notes, relative to the workspace. Not with `notes`."),
    "generate_notes": Spec("false", "Let GitHub generate the notes when the release is created; `notes` is put first."),
    "previous_tag": Spec("", "Tag to generate notes from (with `generate_notes`)."),
    "draft": Spec("false", "Leave the release as a draft. A published release is never turned back into a draft."),
    "prerelease": Spec("false", "Mark the release as a pre-release."),
    "make_latest": Spec("legacy", "`true`, `false` or `legacy` (GitHub picks by date and version)."),
    "target_commitish": Spec("${{ github.sha }}", "Commit or branch the tag is created at if it does not exist yet."),
    "discussion_category": Spec("", "Create a discussion in this category when the release is published."),
    "token": Spec("${{ github.token }}", "Token with `contents: write` on the repository."),
    "repository": Spec("${{ github.repository }}", "Repository as `owner/name`."),
    "api_url": Spec("${{ github.api_url }}", "REST API base URL (GitHub Enterprise Server: `https://HOST/api/v3`)."),
    "dry_run": Spec("false", "Observe and print the plan field by field; write nothing."),
    "timeout_seconds": Spec("300", "Total time budget for retries and convergence, in seconds."),
    "files": Spec("", "Files to attach: newline-separated globs (`**` recursive), relative to `working_directory`."),
    "working_directory": Spec("", "Directory the `files` globs are relative to. Default: the workspace."),
    "overwrite_files": Spec("true", "Replace an existing asset whose content differs; `false` fails instead."),
    "fail_on_unmatched_files": Spec("true", "Fail, before writing anything, when a `files` pattern matches nothing."),
}

# Where a local run (no runner to substitute expressions) finds the value instead.
EXPRESSION_ENV = {
    "${{ github.sha }}": "GITHUB_SHA",
    "${{ github.token }}": "GITHUB_TOKEN",
    "${{ github.repository }}": "GITHUB_REPOSITORY",
    "${{ github.api_url }}": "GITHUB_API_URL",
}

TRUE = ("true", "True", "TRUE")
FALSE = ("false", "False", "FALSE")
MAKE_LATEST = ("true", "false", "legacy")
# GitHub's account names: letters, digits and single inner hyphens, at most 39 characters;
# a managed user (Enterprise Managed Users) carries an `_shortcode` suffix.
OWNER = re.compile(r"^(?=.{1,39}$)[A-Za-z0-9](?:-?[A-Za-z0-9])*(?:_[A-Za-z0-9]+)?$")
# Repository names: letters, digits, '.', '_' and '-', at most 100; never '.' or '..'.
REPO_NAME = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$")
# git check-ref-format: no control characters, space, ~ ^ : ? * [ or backslash anywhere.
REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


@dataclass(frozen=True)
class Inputs:
    tag: str
    name: str | None  # None: the tag on create, the current title on update
    notes: str | None  # None: GitHub's body is left as it is
    generate_notes: bool
    previous_tag: str | None
    draft: bool
    prerelease: bool
    make_latest: str
    target_commitish: str | None
    discussion_category: str | None
    token: str
    repository: str
    api_url: str
    dry_run: bool
    timeout_seconds: float
    files: tuple[str, ...]
    working_directory: Path
    overwrite_files: bool
    fail_on_unmatched_files: bool
    # Where local files may be read from (the workspace, RUNNER_TEMP); see local_files.
    roots: tuple[Path, ...] = ()
    # What the action changed about the input, for the log (e.g. a `refs/tags/` prefix dropped).
    notices: tuple[str, ...] = ()

    def __repr__(self) -> str:  # never let the token reach a log through repr()
        return f"Inputs(tag={self.tag!r}, repository={self.repository!r}, api_url={self.api_url!r})"


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


def tag_input(name: str, value: str, notices: list[str]) -> str:
    """A tag input as a tag name: `refs/tags/NAME` (the `${{ github.ref }}` slip) becomes NAME."""
    if value.startswith("refs/tags/") and value != "refs/tags/":
        short = value.removeprefix("refs/tags/")
        notices.append(
            f"Input `{name}` is the full ref {value!r}; using the tag name {short!r}. "
            "Pass `${{ github.ref_name }}` to avoid this notice."
        )
        value = short
    if value.startswith("refs/"):
        raise InputError(
            f"Input `{name}` is {value!r}, a full ref that is not a tag: of full refs only "
            "`refs/tags/NAME` is accepted (as NAME). Pass the tag name, e.g. `${{ github.ref_name }}` "
            "on a tag push."
        )
    return value


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


def api_url_input(value: str) -> str:
    """The `api_url` input, checked by the rule the client connects by (origin.py), so that a
    URL it would refuse is bad input (exit 2) here, before any request, never echoing credentials."""
    api_url = value.rstrip("/") or "https://api.github.com"
    shown = masked(api_url)
    try:
        where = origin.origin_of(api_url)
    except origin.UnsafeUrl as exc:
        if "user name or password" in str(exc):
            raise InputError(
                f"Input `api_url` {shown!r} must not carry credentials; pass the token as `token`."
            ) from None
        raise InputError(
            f"Input `api_url` {shown!r} is not a valid URL: {exc}. Give the API's base URL, such as "
            "https://api.github.com or https://HOST/api/v3 for GitHub Enterprise Server."
        ) from None
    if where.scheme == "http" and not where.loopback:
        raise InputError(
            f"Input `api_url` {shown!r} uses plain http to a non-loopback host: the token "
            "would cross the network in clear text. Use https."
        )
    parts = urlsplit(api_url)  # origin_of has parsed it already: this cannot raise
    if parts.query or parts.fragment or api_url.endswith(("?", "#")):
        raise InputError(f"Input `api_url` {shown!r} must not carry a query or a fragment.")
    return api_url


def read_inputs(env: Mapping[str, str] | None = None) -> Inputs:
    """Build Inputs from the environment, or raise InputError naming the first bad input."""
    env = os.environ if env is None else env

    def raw(name: str) -> str:
        value = env.get(f"INPUT_{name.upper()}")
        if value is None:  # not run by the runner: fall back as the runner would
            value = INPUTS[name].default
        if value in EXPRESSION_ENV:
            value = env.get(EXPRESSION_ENV[value], "")
        return value.strip() if name not in ("notes",) else value

    def boolean(name: str) -> bool:
        value = raw(name)
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        raise InputError(f"Input `{name}` is {value!r}; use true or false.")

    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    roots = local_files.roots_of(env, workspace)
    notices: list[str] = []

    tag = tag_input("tag", raw("tag"), notices)
    if not tag:
        ref = env.get("GITHUB_REF", "")
        if ref.startswith("refs/tags/"):
            tag = ref.removeprefix("refs/tags/")
        else:
            raise InputError(
                f"No tag: set the `tag` input, or run the workflow on a tag push (GITHUB_REF is {ref or 'unset'!r})."
            )
    if problem := ref_problem(tag):
        raise InputError(f"Input `tag` {tag!r} is not a valid git tag name: {problem}.")

    notes_text = raw("notes")
    notes_file = raw("notes_file")
    if notes_file:
        if notes_text.strip():
            raise InputError("Set either `notes` or `notes_file`, not both.")
        try:
            data = local_files.read_capped(workspace / notes_file, roots, MAX_NOTES_FILE_BYTES)
        except local_files.TooLarge as exc:
            raise InputError(
                f"Input `notes_file`: {notes_file!r} {exc}, so it holds more than the {MAX_BODY} "
                "characters GitHub accepts. Shorten the notes, or link to a changelog instead."
            ) from None
        except local_files.Refused as exc:
            raise InputError(
                f"Input `notes_file`: {notes_file!r} {exc}. The notes file must be a regular file inside "
                f"the workspace ({roots[0]}) or RUNNER_TEMP; check the path, and that the file is "
                "created before this step."
            ) from None
        try:
            notes_text = platforms.notes_text(data)  # one body from a Windows (CRLF, BOM) or Linux checkout
        except UnicodeDecodeError as exc:
            raise InputError(
                f"Input `notes_file`: {notes_file!r} is not UTF-8 ({exc.reason} at byte {exc.start}). Save it as UTF-8."
            ) from None
    if len(notes_text) > MAX_BODY:
        raise InputError(
            f"Input `{'notes_file' if notes_file else 'notes'}`: the release notes are "
            f"{len(notes_text)} characters; GitHub accepts at most "
            f"{MAX_BODY}. Shorten them, or link to a changelog instead."
        )

    generate_notes = boolean("generate_notes")
    previous_tag = tag_input("previous_tag", raw("previous_tag"), notices) or None
    if previous_tag is not None:
        if not generate_notes:
            raise InputError("Input `previous_tag` only applies with `generate_notes: true`.")
        if problem := ref_problem(previous_tag):
            raise InputError(f"Input `previous_tag` {previous_tag!r} is not a valid tag name: {problem}.")

    make_latest = raw("make_latest")
    if make_latest not in MAKE_LATEST:
        raise InputError(f"Input `make_latest` is {make_latest!r}; use true, false or legacy.")

    target = raw("target_commitish") or None
    if target is not None and REF_FORBIDDEN.search(target):
        raise InputError(f"Input `target_commitish` {target!r} is not a branch name or commit SHA.")

    token = raw("token")
    if not token:
        raise InputError(
            "No token: pass `token: ${{ secrets.GITHUB_TOKEN }}` (the default) or a token "
            "with `contents: write` on the repository."
        )
    if not all("!" <= c <= "~" for c in token):  # HTTP headers carry ASCII; a token is printable ASCII
        raise InputError(
            "Input `token` contains a space, a control character or a non-ASCII character; "
            "check the secret (a token is printable ASCII)."
        )

    repository = raw("repository")
    if problem := repository_problem(repository):
        raise InputError(f"Input `repository` is {repository!r}: {problem}.")

    api_url = api_url_input(raw("api_url"))

    timeout_text = raw("timeout_seconds")
    try:
        timeout = float(timeout_text)
    except ValueError:
        timeout = -1.0
    if not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
        raise InputError(
            f"Input `timeout_seconds` is {timeout_text!r}; use a number of seconds from {MIN_TIMEOUT} to {MAX_TIMEOUT}."
        )

    files = tuple(
        line.strip() for line in raw("files").splitlines() if line.strip() and not line.strip().startswith("#")
    )
    working_directory = workspace / raw("working_directory") if raw("working_directory") else workspace
    if files:
        try:
            working_directory = local_files.resolve_inside(working_directory, roots[:1])
        except local_files.Refused as exc:
            raise InputError(
                f"Input `working_directory` {raw('working_directory')!r} {exc}; it must be a directory "
                f"inside the workspace ({roots[0]})."
            ) from None
        if not working_directory.is_dir():
            raise InputError(f"Input `working_directory` {raw('working_directory')!r} is not a directory.")

    return Inputs(
        tag=tag,
        name=raw("name") or None,
        notes=notes_text if notes_text.strip() else None,
        generate_notes=generate_notes,
        previous_tag=previous_tag,
        draft=boolean("draft"),
        prerelease=boolean("prerelease"),
        make_latest=make_latest,
        target_commitish=target,
        discussion_category=raw("discussion_category") or None,
        token=token,
        repository=repository,
        api_url=api_url,
        dry_run=boolean("dry_run"),
        timeout_seconds=timeout,
        files=files,
        working_directory=working_directory,
        overwrite_files=boolean("overwrite_files"),
        fail_on_unmatched_files=boolean("fail_on_unmatched_files"),
        roots=roots,
        notices=tuple(notices),
    )
