"""What a finished run reports: the step's outputs, the job summary and the closing log line.

Every run writes a job summary. One that succeeded: what it did to the release, the fields it
changed (old → new, the notes only as "changed"), the assets, the requests. One that failed:
the error, what the run had written before it (github.Write, as recorded), and where the
README's Troubleshooting section says what to do about that error's title.

Every field the server chose (URLs, names, digests, ids), every warning and every error is
shown as data (release_action.display): escaped in the summary's Markdown, a link only when it
is a plain http(s) URL on the web origin of the API the run used, on one line in the log.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from release_action.asset_files import describe_size
from release_action.asset_sync import output_of
from release_action.display import for_terminal, md_code, md_link, md_text
from release_action.github import FIELDS, Write
from release_action.inputs import repository_problem
from release_action.origin import web_origin_of
from release_action.wording import Words, counted

VERBS = {
    "created": "Created",
    "updated": "Updated",
    "unchanged": "Checked (unchanged)",
    "skipped": "Left as it was (`if_exists: skip`):",
}
# The release's fields as the summary names them: as the inputs do.
FIELD_NAMES = {"name": "name", "body": "notes", "draft": "draft", "prerelease": "prerelease", "tag_name": "tag",
               "target_commitish": "target_commitish"}  # fmt: skip
# Where the action's README is, under Actions: the action's own repository (by the rule for the
# `repository` input) and ref, as the runner names them.
REF = re.compile(r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
SERVER = re.compile(r"^https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?$")


@dataclass(frozen=True)
class Requests:
    """The API requests a run made: what it spent of the token's rate limit."""

    total: int
    writes: int

    def as_json(self) -> str:
        """The `requests` output: machine-readable, so tests and the demo never parse the log."""
        return json.dumps({"total": self.total, "writes": self.writes})

    def summary_line(self) -> str:
        """The job summary's line: "GitHub API requests: 4 (1 write)."."""
        return f"GitHub API requests: {self.total} ({counted(self.writes, 'write')})."


@dataclass(frozen=True)
class Outcome:
    """How the run ended: the release as last read back, and what this run did to it.

    `status` is final where it is computed: `created`, `updated` (fields or assets changed),
    `unchanged` or `skipped` (if_exists: skip); in a dry run, what would happen.
    """

    release: dict
    status: str
    warnings: tuple[Words | str, ...] = ()  # str once main.run worded them for the reader
    assets: tuple[dict, ...] = ()  # the release's assets from `files`, as GitHub lists them
    done: Mapping[str, str] = field(default_factory=dict)  # asset name → what this run did to it
    removed: tuple[str, ...] = ()  # assets this run deleted as not in `files` (remove_other_assets)
    history: tuple[str, ...] = ()  # what this run did to other releases of the tag (engine.Result.history)

    def warned(self, warning: str) -> Outcome:
        return self if warning in self.warnings else dataclasses.replace(self, warnings=(warning, *self.warnings))


def outputs_of(outcome: Outcome, tag: str, requests: Requests) -> dict[str, str]:
    """The step's outputs: exactly contract.OUTPUTS, in its order (tests/test_contract.py holds the two equal)."""
    release = outcome.release
    return {
        "id": str(release.get("id", "")),
        "html_url": str(release.get("html_url", "")),
        "upload_url": str(release.get("upload_url", "")),
        "tarball_url": str(release.get("tarball_url") or ""),  # null for a draft: empty
        "zipball_url": str(release.get("zipball_url") or ""),
        "tag": tag,
        "status": outcome.status,
        "draft": "true" if release.get("draft") else "false",
        "prerelease": "true" if release.get("prerelease") else "false",
        "assets": json.dumps([output_of(a) for a in outcome.assets]),
        "requests": requests.as_json(),
    }


def summary_of(
    outcome: Outcome, tag: str, repository: str, requests: Requests, api_url: str = "", writes: Sequence[Write] = ()
) -> str:
    """The job summary (Markdown): what was done, a link to the release, the fields changed, the assets, the cost.

    `api_url` is the API the run used: links go only to its web origin (none without it).
    `writes` are the writes the run made (github.GitHub.writes): the fields it changed come from them.
    """
    release = outcome.release
    web = web_origin_of(api_url)
    state = "draft" if release.get("draft") else "published"
    lines = [
        "### Release",
        "",
        f"{VERBS[outcome.status]} the {state} release {md_link(tag, release.get('html_url'), web)} "
        f"of {md_code(repository)} (id {md_text(str(release.get('id')))}).",
        "",
        *changes_table(changes_of(writes, release.get("id"))),
        *assets_table(outcome, web),
        *removed_line(outcome),
        requests.summary_line(),
        "",
    ]
    if outcome.history:  # a release this run made lost the race: say so, beside the status
        lines += [f"This run also {md_text('; '.join(outcome.history))}.", ""]
    lines += [f"> [!WARNING]\n> {md_text(w)}\n" for w in outcome.warnings]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Change:
    """A field of the release this run changed: from what it was (None: the run created the release) to what it is."""

    field: str  # as github.FIELDS names it ("body" is the notes)
    before: object
    after: object


def changes_of(writes: Sequence[Write], release_id: object) -> list[Change]:
    """The fields this run changed on the release `release_id`, in FIELDS order: first value seen → last written.

    A release the run created shows every field its create set, from None. A field that a later
    write of this run set back to where it started did not change. Writes whose answer was lost
    are not counted (the final release, read back, shows what holds).
    """
    ours = [w for w in writes if w.release_id == release_id and not w.lost and w.kind in ("create", "update")]
    created = any(w.kind == "create" for w in ours)
    first: dict[str, object] = {}
    last: dict[str, object] = {}
    for write in ours:
        for name, before, after in write.changes:
            first.setdefault(name, before)
            last[name] = after
    return [Change(n, first[n], last[n]) for n in FIELDS if n in last and (created or first[n] != last[n])]


def shown_value(name: str, value: object, *, before: bool = False) -> str:
    """A field's value in a summary cell: booleans as the runner writes them, text as code, the notes never."""
    if name == "body":
        return "(not shown)" if before else ("changed" if value else "none")
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or value == "":
        return "none"
    return md_code(str(value), in_table=True)


def changes_table(changes: Sequence[Change]) -> list[str]:
    """The changed fields as a Markdown table (and a blank line), or nothing when none changed."""
    if not changes:
        return []
    lines = ["| Field | Before | After |", "|---|---|---|"]
    for change in changes:
        created = change.before is None
        was = "(new)" if created else shown_value(change.field, change.before, before=True)
        now = shown_value(change.field, change.after)
        if created and change.field == "body":
            now = "set" if change.after else "none"
        lines.append(f"| {FIELD_NAMES[change.field]} | {was} | {now} |")
    return [*lines, ""]


def assets_table(outcome: Outcome, web: object) -> list[str]:
    """The assets from `files` and what this run did to each (and a blank line), or nothing without files."""
    if not outcome.assets:
        return []
    lines = ["| Asset | Size | sha256 | |", "|---|---|---|---|"]
    for asset in outcome.assets:
        name = str(asset.get("name"))
        size = asset.get("size")
        digest = str(asset.get("digest") or "").removeprefix("sha256:")[:16]
        cells = (
            md_link(name, asset.get("browser_download_url"), web, in_table=True),  # type: ignore[arg-type]
            describe_size(size) if type(size) is int else md_text(str(size)),
            md_code(f"{digest}…", in_table=True) if re.fullmatch(r"[0-9a-f]+", digest) else md_text(digest),
            md_text(outcome.done.get(name, "unchanged")),
        )
        lines.append(f"| {' | '.join(cells)} |")
    return [*lines, ""]


def removed_line(outcome: Outcome) -> list[str]:
    """The assets `remove_other_assets` deleted (and a blank line), or nothing."""
    if not outcome.removed:
        return []
    names = ", ".join(md_code(name) for name in outcome.removed)
    return [f"Removed {counted(len(outcome.removed), 'asset')} not in `files`: {names}.", ""]


# -- a run that failed ---------------------------------------------------------------------------


def described(write: Write) -> str:
    """One write in words, for the list of what a failed run wrote (plain text: escape it to show it)."""
    release = f"release {write.release_id}" if write.release_id is not None else "the release"
    of_tag = f" for {write.subject}" if write.subject else ""
    if write.kind == "create":
        draft = dict((n, after) for n, _before, after in write.changes).get("draft")
        text = f"created {release}{of_tag}" + (" as a draft" if draft else "")
    elif write.kind == "update":
        fields = [
            f"{FIELD_NAMES[n]} → {shown_value(n, after)}" if isinstance(after, bool) else FIELD_NAMES[n]
            for n, _before, after in write.changes
        ]
        text = f"updated {release}{of_tag}" + (f": {', '.join(fields)}" if fields else "")
    elif write.kind == "delete":
        text = f"deleted {release}{of_tag}"
    elif write.kind == "upload":
        text = f"uploaded the asset {write.subject}"
    elif write.kind == "update asset":
        text = f"changed the label of the asset {write.subject}"
    else:
        text = f"deleted the asset {write.subject}"
    if write.lost:
        text += " (sent, but its answer was lost: it may or may not have happened)"
    return text


def anchor(heading: str) -> str:
    """The id GitHub gives a Markdown heading: lower case, punctuation but `-` and `_` dropped, spaces as `-`."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def troubleshooting_url(title: str, env: Mapping[str, str]) -> str | None:
    """The README's Troubleshooting entry for `title`, in the action's own repository at the ref the run used.

    Known under Actions from GITHUB_ACTION_REPOSITORY and GITHUB_ACTION_REF (on GITHUB_SERVER_URL);
    None where the runner does not name them (a local `uses: ./`, a terminal) or names them oddly.
    """
    repository = env.get("GITHUB_ACTION_REPOSITORY", "")
    ref = env.get("GITHUB_ACTION_REF", "")
    server = env.get("GITHUB_SERVER_URL", "") or "https://github.com"
    if repository_problem(repository) or not SERVER.match(server) or (ref and not REF.match(ref)):
        return None
    where = f"blob/{ref}/README.md" if ref else ""
    return f"{server}/{repository}{'/' if where else ''}{where}#{anchor(title)}"


def failure_summary(
    title: str,
    messages: Sequence[str],
    writes: Sequence[Write],
    requests: Requests | None,
    troubleshooting: str | None,
) -> str:
    """The job summary of a failed run (Markdown): the error, what was written before it, where to read more.

    `requests` is None when the run failed before its first request (bad input).
    """
    lines = ["### Release", "", f"**Failed:** {md_text(title)}", ""]
    lines += [f"> [!CAUTION]\n> {md_text(message)}\n" for message in messages]
    if writes:
        lines += ["Written before the failure:", ""]
        lines += [f"- {md_text(described(write))}" for write in writes]
        lines.append("")
    else:
        lines += ["Nothing was written.", ""]
    if requests is not None:
        lines += [requests.summary_line(), ""]
    if troubleshooting:
        lines += [f"What to do: see [{md_text(title)}]({troubleshooting}) in the README's Troubleshooting.", ""]
    else:
        lines += [f"What to do: see {md_text(title)} under Troubleshooting in safe-release-action's README.", ""]
    return "\n".join(lines) + "\n"


def closing_line(outcome: Outcome, requests: Requests) -> str:
    """The log's last line, for a person reading it (programs read the `requests` output): one line, no escapes."""
    where = for_terminal(str(outcome.release.get("html_url") or "(new release)"))
    spent = f"{counted(requests.total, 'API request')}, {counted(requests.writes, 'write')}"
    also = f"; this run also {'; '.join(outcome.history)}" if outcome.history else ""
    return f"{outcome.status}: {where} ({spent}){also}"
