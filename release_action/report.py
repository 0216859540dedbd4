"""What a finished run reports: the step's outputs, the job summary and the closing log line."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from release_action.asset_files import describe_size
from release_action.asset_sync import output_of

VERBS = {"created": "Created", "updated": "Updated", "unchanged": "Checked (unchanged)"}


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

    `status` is final where it is computed: `created`, `updated` (fields or assets changed)
    or `unchanged`; in a dry run, what would happen.
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
        "tag": tag,
        "status": outcome.status,
        "draft": "true" if release.get("draft") else "false",
        "prerelease": "true" if release.get("prerelease") else "false",
        "assets": json.dumps([output_of(a) for a in outcome.assets]),
        "requests": requests.as_json(),
    }


def summary_of(outcome: Outcome, tag: str, repository: str, requests: Requests) -> str:
    """The job summary (Markdown): what was done, a link to the release, the assets, the cost."""
    release = outcome.release
    state = "draft" if release.get("draft") else "published"
    lines = [
        "### Release",
        "",
        f"{VERBS[outcome.status]} the {state} release [{tag}]({release.get('html_url', '')}) "
        f"of `{repository}` (id {release.get('id')}).",
        "",
        f"GitHub API requests: {requests.total} ({requests.writes} writes).",
        "",
    ]
    if outcome.assets:
        lines += ["| Asset | Size | sha256 | |", "|---|---|---|---|"]
        for asset in outcome.assets:
            what = outcome.done.get(asset["name"], "unchanged")
            digest = str(asset.get("digest") or "").removeprefix("sha256:")[:16]
            name = str(asset["name"]).replace("|", "\\|")
            lines.append(
                f"| [{name}]({asset.get('browser_download_url', '')}) | "
                f"{describe_size(int(asset.get('size') or 0))} | `{digest}…` | {what} |"
            )
        lines.append("")
    if outcome.removed:  # GitHub's asset names hold only [A-Za-z0-9._+-]: no Markdown in them
        names = ", ".join(f"`{name}`" for name in outcome.removed)
        count = len(outcome.removed)
        lines += [f"Removed {count} {'asset' if count == 1 else 'assets'} not in `files`: {names}.", ""]
    lines += [f"> [!WARNING]\n> {w}\n" for w in outcome.warnings]
    return "\n".join(lines) + "\n"


def closing_line(outcome: Outcome, requests: Requests) -> str:
    """The log's last line, for a person reading it (programs read the `requests` output)."""
    where = outcome.release.get("html_url") or "(new release)"
    return f"{outcome.status}: {where} ({requests.total} API requests, {requests.writes} writes)"
