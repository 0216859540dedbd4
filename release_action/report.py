"""What a finished run reports: the step's outputs, the job summary and the closing log line.

Every field the server chose (URLs, names, digests, ids) and every warning is shown as data
(release_action.display): escaped in the summary's Markdown, a link only when it is a plain
http(s) URL on the web origin of the API the run used, on one line in the log.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from release_action.asset_files import describe_size
from release_action.asset_sync import output_of
from release_action.display import for_terminal, md_code, md_link, md_text
from release_action.origin import web_origin_of

VERBS = {
    "created": "Created",
    "updated": "Updated",
    "unchanged": "Checked (unchanged)",
    "skipped": "Left as it was (`if_exists: skip`):",
}


@dataclass(frozen=True)
class Requests:
    """The API requests a run made: what it spent of the token's rate limit."""

    total: int
    writes: int

    def as_json(self) -> str:
        """The `requests` output: machine-readable, so tests and the demo never parse the log."""
        return json.dumps({"total": self.total, "writes": self.writes})


@dataclass(frozen=True)
class Outcome:
    """How the run ended: the release as last read back, and what this run did to it.

    `status` is final where it is computed: `created`, `updated` (fields or assets changed),
    `unchanged` or `skipped` (if_exists: skip); in a dry run, what would happen.
    """

    release: dict
    status: str
    warnings: tuple[str, ...] = ()
    assets: tuple[dict, ...] = ()  # the release's assets from `files`, as GitHub lists them
    done: Mapping[str, str] = field(default_factory=dict)  # asset name → what this run did to it
    removed: tuple[str, ...] = ()  # assets this run deleted as not in `files` (remove_other_assets)

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


def summary_of(outcome: Outcome, tag: str, repository: str, requests: Requests, api_url: str = "") -> str:
    """The job summary (Markdown): what was done, a link to the release, the assets, the cost.

    `api_url` is the API the run used: links go only to its web origin (none without it).
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
        f"GitHub API requests: {requests.total} ({requests.writes} writes).",
        "",
    ]
    if outcome.assets:
        lines += ["| Asset | Size | sha256 | |", "|---|---|---|---|"]
        for asset in outcome.assets:
            name = str(asset.get("name"))
            size = asset.get("size")
            digest = str(asset.get("digest") or "").removeprefix("sha256:")[:16]
            cells = (
                md_link(name, asset.get("browser_download_url"), web, in_table=True),
                describe_size(size) if type(size) is int else md_text(str(size)),
                md_code(f"{digest}…", in_table=True) if re.fullmatch(r"[0-9a-f]+", digest) else md_text(digest),
                md_text(outcome.done.get(name, "unchanged")),
            )
            lines.append(f"| {' | '.join(cells)} |")
        lines.append("")
    if outcome.removed:
        names = ", ".join(md_code(name) for name in outcome.removed)
        count = len(outcome.removed)
        lines += [f"Removed {count} {'asset' if count == 1 else 'assets'} not in `files`: {names}.", ""]
    lines += [f"> [!WARNING]\n> {md_text(w)}\n" for w in outcome.warnings]
    return "\n".join(lines) + "\n"


def closing_line(outcome: Outcome, requests: Requests) -> str:
    """The log's last line, for a person reading it (programs read the `requests` output): one line, no escapes."""
    where = for_terminal(str(outcome.release.get("html_url") or "(new release)"))
    return f"{outcome.status}: {where} ({requests.total} API requests, {requests.writes} writes)"
