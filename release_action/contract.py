"""The public contract, declared once: every input and every output of the action.

Everything else is made from this table or checked against it:

* `action.yml` and `portable/action.yml` (their `inputs:` and `outputs:` blocks, and the
  portable action's `INPUT_*` lines) and the README's Inputs and Outputs tables are written by
  `python -m release_bench.action_files`; tests/test_contract.py fails when they drift;
* the `safe-release` command's flags and `--help` (cli.py), by each input's kind;
* the generic part of reading an input (inputs.py: a boolean's spellings, a choice's values, a
  number's range, and the error that names them), and how an error names the input in a
  workflow (`notes_file`) or at a terminal (`--notes-file`, `GH_TOKEN`) (wording.py).

Adding an input: one `Input(...)` below, then its reader in inputs.py (see there).

Text here is trusted template text (wording.py): an input named in backticks, `notes_file`, is
written as the user's mode names it (`--notes-file` in `--help`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

MAX_BODY = 125_000  # GitHub refuses a longer release body with 422.


class Kind(Enum):
    """What an input holds: decides its flag, its generic check and how a default is shown."""

    BOOLEAN = "boolean"  # true/false (the YAML core spellings); the flag is --x / --no-x
    TEXT = "text"  # one line, surrounding blanks dropped (unless `verbatim`)
    LINES = "lines"  # one value a line; the flag takes several values and may be repeated
    CHOICE = "choice"  # one of `choices`
    NUMBER = "number"  # a number from `low` to `high`, in `unit`
    PATH = "path"  # a path relative to the workspace (the current directory for the command)


# Where a run outside the runner (the command, `docker run`) finds what the runner would
# substitute for an expression default.
EXPRESSION_ENV = {
    "${{ github.sha }}": "GITHUB_SHA",
    "${{ github.token }}": "GITHUB_TOKEN",
    "${{ github.repository }}": "GITHUB_REPOSITORY",
    "${{ github.api_url }}": "GITHUB_API_URL",
}


@dataclass(frozen=True)
class Input:
    """One input, as every interface shows it.

    description: what action.yml and `--help` say (one line; Markdown code in backticks).
    default: the text action.yml declares (the runner substitutes an expression such as
      `${{ github.sha }}`; elsewhere EXPRESSION_ENV names the variable read instead).
    default_text: what an empty default means, in words (action.yml adds "Default: …", the
      README shows it as the default).
    more: the README's further rules (after the description, in the Inputs table).
    command_default: what `--help` says instead of the default, where the command differs
      from a workflow (an expression default, a value the command infers).
    command_help: a further sentence for `--help` only.
    env: the command reads this input from these environment variables, first set wins, and
      offers no flag (the token: a flag would show in process lists and shell history).
    example: a value for hints that stand for an expression (`tag: ${{ github.ref_name }}`
      reads `--tag v1.2.3` at a terminal).
    """

    name: str
    description: str
    kind: Kind = Kind.TEXT
    default: str = ""
    choices: tuple[str, ...] = ()
    low: float = 0
    high: float = 0
    unit: str = ""
    verbatim: bool = False  # TEXT: passed on as given, blanks and all (Markdown)
    default_text: str = ""
    more: str = ""
    command_default: str = ""
    command_help: str = ""
    env: tuple[str, ...] = ()
    example: str = ""
    metavar: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def variable(self) -> str:
        """The environment variable the runner passes the input in."""
        return "INPUT_" + self.name.upper()

    @property
    def placeholder(self) -> str:
        """The flag's value in `--help` (and in a hint without an example)."""
        if self.metavar:
            return self.metavar
        if self.kind is Kind.CHOICE:
            return "{" + ",".join(self.choices) + "}"
        return {Kind.PATH: "PATH", Kind.NUMBER: self.unit.upper() or "NUMBER"}.get(self.kind, self.name.upper())

    @property
    def action_description(self) -> str:
        """The description action.yml declares."""
        return f"{self.description} Default: {self.default_text}." if self.default_text else self.description

    @property
    def shown_default(self) -> str:
        """The default as the README's table shows it."""
        if self.default_text:
            return self.default_text
        return f"`{self.default}`" if self.default else "empty"


@dataclass(frozen=True)
class Output:
    name: str
    description: str  # action.yml's, and the README's (followed by `more`)
    more: str = ""


def _by_name(*items: Input) -> dict[str, Input]:
    return {item.name: item for item in items}


INPUTS: dict[str, Input] = _by_name(
    Input(
        "tag",
        "Tag of the release.",
        default_text="the pushed tag when the workflow runs on a tag push",
        more=(
            "Must be a valid git tag name (`git check-ref-format`), not starting with `-`. `refs/tags/NAME` "
            "(the `${{ github.ref }}` slip) is taken as `NAME`, with a notice; any other `refs/…` is an error. "
            "An error when neither is given."
        ),
        command_default="Required, unless GITHUB_REF is refs/tags/NAME (then NAME).",
        example="v1.2.3",
    ),
    Input("name", "Release title.", default_text="the tag when the release is created; kept on update"),
    Input(
        "notes",
        "Release notes (Markdown). Empty keeps the existing notes on update.",
        verbatim=True,
        more=f"At most {MAX_BODY} characters (GitHub's limit).",
    ),
    Input(
        "notes_file",
        "UTF-8 file with the release notes, relative to the workspace. Not with `notes`.",
        kind=Kind.PATH,
        more=(
            "An absolute path works too. Must be a regular file inside the workspace or `RUNNER_TEMP`, symlinks "
            "followed (see [What the action reads](#what-the-action-reads)). Sent with LF line endings and no "
            "BOM, so Windows and Linux checkouts give one body."
        ),
    ),
    Input(
        "changelog_file",
        "Markdown changelog to take the notes from: the section under the heading for the tag. "
        "Not with `notes` or `notes_file`.",
        kind=Kind.PATH,
        more=(
            "The first heading of any level whose text, after an optional `[`, starts with the tag or the tag "
            "without its leading `v`, followed by the end, `]` or a space: `## [1.2.3] - 2026-01-02`, `## v1.2.3`, "
            "`# 1.2.3 (2026-01-02)`, and underlined (setext) headings. The section runs to the next heading of the "
            "same or a higher level; headings in fenced code blocks do not count. No such section, or an empty one, "
            "is an error that lists the headings nearest to the tag. The same file rules as `notes_file`. See "
            "[Release notes](#release-notes)."
        ),
        command_help="A heading such as '## [1.2.3] - 2026-01-02', '## v1.2.3' or '# 1.2.3 (2026-01-02)'.",
    ),
    Input(
        "append_notes",
        "Add the notes at the end of the release's body, after a blank line, unless the body already holds them. "
        "Not with `notes_section`.",
        kind=Kind.BOOLEAN,
        default="false",
        more=(
            "A re-run never adds them twice, and runs that append different notes at once each end with theirs "
            "in the body once. Generated notes (`generate_notes`) are added the same way, apart from `notes`. See "
            "[Release notes](#release-notes)."
        ),
    ),
    Input(
        "notes_section",
        "Keep the notes in the section of the body with this name: replaced in place, or added at the end.",
        more=(
            "Letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 64 (`linux-x86_64`). The "
            "section lies between two HTML comment lines, which GitHub does not show; the rest of the body is left "
            "as it is. Not with `append_notes`. See [Release notes](#release-notes)."
        ),
        command_help="NAME: letters, digits, '.', '_' and '-', at most 64. Not with --append-notes.",
        example="linux",
        metavar="NAME",
    ),
    Input(
        "generate_notes",
        "Let GitHub generate the notes when the release is created; `notes` is put first.",
        kind=Kind.BOOLEAN,
        default="false",
        more=(
            "An existing release keeps its body; with `append_notes` or `notes_section` the generated notes go "
            "where those put the notes (asked of GitHub once a run)."
        ),
    ),
    Input(
        "previous_tag",
        "Tag to generate notes from (with `generate_notes`).",
        more="`refs/tags/NAME` is taken as `NAME`, as for `tag`.",
        example="v1.1.0",
    ),
    Input(
        "draft",
        "Leave the release as a draft. A published release is never turned back into a draft.",
        kind=Kind.BOOLEAN,
        default="false",
        more="Asking for a draft of a published release gives a warning instead.",
    ),
    Input("prerelease", "Mark the release as a pre-release.", kind=Kind.BOOLEAN, default="false"),
    Input(
        "if_exists",
        "What to do when the tag already has a published release that this run did not make: `update` it, "
        "`skip` it (write nothing, succeed) or `fail`.",
        kind=Kind.CHOICE,
        choices=("update", "skip", "fail"),
        default="update",
        more=(
            "`skip` ends with `status: skipped` and outputs that describe that release; `fail` ends with an error "
            "that names it. Either way nothing is written to it. A draft of the tag is adopted in every mode. Of "
            "runs racing on a new tag under `fail`, one succeeds and the others fail, deleting what they made "
            "(see [Coming from another action](#coming-from-another-action))."
        ),
    ),
    Input(
        "make_latest",
        "`true`, `false` or `legacy` (GitHub picks by date and version).",
        kind=Kind.CHOICE,
        choices=("true", "false", "legacy"),
        default="legacy",
        more=(
            "Sent when the release is published. `legacy` keeps a re-run of an old tag's workflow from "
            'stealing "latest".'
        ),
    ),
    Input(
        "target_commitish",
        "Commit or branch the tag is created at if it does not exist yet.",
        default="${{ github.sha }}",
        more="The default makes the tag point at the commit that was built.",
        command_default="Default: GITHUB_SHA when set, else GitHub's default branch.",
        metavar="COMMIT",
    ),
    Input(
        "verify_tag",
        "Fail, before writing anything, unless the tag already exists in the repository.",
        kind=Kind.BOOLEAN,
        default="false",
        more=(
            "One more API request. Without it a tag that does not exist yet is created at `target_commitish` when "
            "the release is published, so a mistyped tag makes a release at that commit."
        ),
    ),
    Input("discussion_category", "Create a discussion in this category when the release is published."),
    Input(
        "token",
        "Token with `contents: write` on the repository.",
        default="${{ github.token }}",
        more="Printable ASCII. Never printed; masked in the log.",
        env=("GH_TOKEN", "GITHUB_TOKEN"),  # gh's order: GH_TOKEN wins when both are set
    ),
    Input(
        "repository",
        "Repository as `owner/name`.",
        default="${{ github.repository }}",
        more=(
            "By GitHub's naming rules: the owner letters, digits and single inner hyphens, at most 39 (a managed "
            "user's `_shortcode` suffix allowed); the name letters, digits, `.`, `_` and `-`, at most 100, not "
            "`.` or `..`."
        ),
        command_default=(
            "Default: the `origin` remote of the current directory's git checkout, else GITHUB_REPOSITORY."
        ),
        example="OWNER/NAME",
    ),
    Input(
        "api_url",
        "REST API base URL (GitHub Enterprise Server: `https://HOST/api/v3`).",
        default="${{ github.api_url }}",
        more=(
            "Plain `http` only to a loopback host (the token never crosses a network in clear text). No "
            "credentials, query or fragment; errors never echo credentials."
        ),
        command_default=(
            "Default: when the repository comes from the remote, its host's API if the host is GitHub's "
            "(api.github.com for github.com, api.NAME.ghe.com for NAME.ghe.com; any other host needs this "
            "flag); else GITHUB_API_URL, else https://api.github.com."
        ),
        example="https://HOST/api/v3",
        metavar="URL",
    ),
    Input(
        "dry_run",
        "Observe and print the plan field by field; write nothing.",
        kind=Kind.BOOLEAN,
        default="false",
        more=(
            "The plan lists the writes in the order a real run would make them (with `files`: the release "
            "as a draft, the uploads, then the publish), ends in one verdict, and goes to the job summary too. "
            "The outputs are the ones the real run would give: `status` is the verdict, `draft` and "
            "`prerelease` the state the plan ends in, and `id` and the URLs are empty for a release it would "
            "create. It only reads: what GitHub refuses only when asked to write (a token without write "
            "permission, a `target_commitish` that is no branch or commit) shows in the real run."
        ),
    ),
    Input(
        "timeout_seconds",
        "Total time budget for retries and convergence, in seconds.",
        kind=Kind.NUMBER,
        default="300",
        low=1,  # below a second no request can finish
        high=6 * 3600,  # a job's own limit: a longer budget is a typo
        unit="seconds",
        more=(
            "It bounds the whole run: every request (each answer in full, however slowly a server sends it), "
            "retries, rate-limit waits and convergence. 1 to 21600 seconds (6 hours, a job's own limit). The "
            "run ends within it plus a few seconds, with an error that says what was slow."
        ),
    ),
    Input(
        "files",
        "Files to attach: newline-separated globs (`**` recursive), relative to `working_directory`.",
        kind=Kind.LINES,
        more=(
            "`PATH#LABEL` uploads with a label, the text GitHub shows instead of the file name (`PATH#` removes "
            "one); a `#` that belongs to a file name is written `[#]`, and a line starting with `#` is a comment "
            "(see [Assets](#assets)). Uploaded in the order the lines list them. Every match must be a regular "
            "file inside the workspace or `RUNNER_TEMP`; at most 1000 files, each at most 2 GiB (GitHub's limits). "
            "`/` or `\\` separate directories on every runner; two files whose asset names differ only by case "
            "are refused (GitHub takes them for one name)."
        ),
        command_help="Repeat the flag or give several patterns; quote globs.",
        metavar="PATTERN",
    ),
    Input(
        "working_directory",
        "Directory the `files` globs are relative to.",
        kind=Kind.PATH,
        default_text="the workspace",
        more="Must be inside the workspace.",
    ),
    Input(
        "overwrite_files",
        "Replace an existing asset whose content differs; `false` fails instead.",
        kind=Kind.BOOLEAN,
        default="true",
    ),
    Input(
        "remove_other_assets",
        "Once every file of `files` is uploaded and verified, delete the release's assets that no `files` line "
        "produced.",
        kind=Kind.BOOLEAN,
        default="false",
        more=(
            "A release not yet published is published only after that. Needs `files`. Never in a build matrix "
            "whose jobs each upload part of the files: each job would delete the others' (see [Assets](#assets))."
        ),
    ),
    Input(
        "checksums",
        "Name of an asset that lists the sha256 of every other asset of the release, one `sha256sum -c` line "
        "each, such as `SHA256SUMS`; kept in step with the assets.",
        more=(
            "One line `<sha256>  <name>` per asset, sorted by name (byte order), from GitHub's digest of each: the "
            "files of this run and the assets other runs or people added alike. Rewritten when an asset or its "
            "digest changes, left alone otherwise; a release not yet published is published only once it matches. "
            "A name as GitHub stores it (letters, digits, `.`, `_`, `+`, `-`), not one of the `files`; never "
            "removed by `remove_other_assets`. Works without `files` too (see [Assets](#assets))."
        ),
        metavar="NAME",
    ),
    Input(
        "fail_on_unmatched_files",
        "Fail, before writing anything, when a `files` pattern matches nothing.",
        kind=Kind.BOOLEAN,
        default="true",
        more="`false` warns instead.",
    ),
)


OUTPUTS: dict[str, Output] = {
    output.name: output
    for output in (
        Output("id", "Numeric id of the release."),
        Output("html_url", "Web page of the release (for a draft, an `untagged-…` URL only its editors can open)."),
        Output("upload_url", "Asset upload URL template of the release."),
        Output(
            "tarball_url",
            "URL of the source code archive of the tag (`.tar.gz`), as GitHub gives it; empty when it gives none (a "
            "draft may have none).",
        ),
        Output(
            "zipball_url",
            "URL of the source code archive of the tag (`.zip`), as GitHub gives it; empty when it gives none (a "
            "draft may have none).",
        ),
        Output("tag", "Tag of the release."),
        Output(
            "status",
            "`created`, `updated`, `unchanged` (no write was needed) or `skipped` (`if_exists: skip` found the "
            "release published already). In a dry run: what would happen.",
            more="`updated` means fields or assets changed.",
        ),
        Output("draft", "`true` if the release is a draft, else `false`."),
        Output("prerelease", "`true` if the release is a pre-release, else `false`."),
        Output(
            "assets",
            "JSON list of the release's assets from `files`, in the order of `files`, then the `checksums` asset: "
            "name, label, id, size, digest, browser_download_url.",
        ),
        Output(
            "requests",
            'GitHub API requests this run made, as JSON: `{"total": N, "writes": M}` (what it spent of the rate '
            "limit).",
        ),
    )
}
