"""The dry run: what a real run would write, in the order it would write it, and one verdict.

Nothing is written. The plan is made of the decisions the real run makes (decide.plan: each
step applied to what one observation found, as if nobody else wrote), in the real run's order.
With `files` that is AssetRun's (publish_assets.py): the release created or kept as a draft,
then the uploads, then the publish. Each step is said as step_lines.py says it when the real run
takes it, with "would" before it.

The verdict is the `status` the real run would report (decided by the same rules as
Engine._result and status_with_assets), and the release the plan describes is the one it would
leave (its draft and prerelease as planned; no id or URL for a release it would create), so
a dry run's outputs are the ones the real run then gives, unless another writer moves first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from release_action.asset_decide import Keep
from release_action.decide import NEW_ID, Create, Desired, Done, Observed, Refuse, Skip, Step, Update, apply
from release_action.display import md_code, md_text
from release_action.engine import Engine, ReleaseExists, release_exists
from release_action.report import Requests
from release_action.step_lines import Line, Name, Said, Scene, kept, line, said
from release_action.wording import counted

# Plans the asset steps for a release (its JSON; {} for a release the plan would create).
AssetPlanner = Callable[[dict], Sequence[object]]

# The verdict per status: what a real run would end with ({release} is "the new release" or "release N").
VERDICTS = {
    "created": "would create a new release for tag {tag} ({state})",
    "updated": "would update {release} ({state})",
    "unchanged": "nothing to write: {release} is as asked ({state})",
    "skipped": "nothing to write: {release} is already published, and if_exists is skip",
}
CLEANUP_ONLY = "{release} is as asked ({state}); would only delete other drafts of the tag"


@dataclass(frozen=True)
class Plan:
    """What a real run would do, step by step, and how it would end."""

    scene: Scene
    items: tuple[Said, ...]
    status: str  # the real run's `status`: the verdict
    release: dict  # the release as the plan leaves it (draft, prerelease; id and URLs if it exists)
    release_id: int | None  # the release the run would end on (NEW_ID: one it creates), None if unknown
    failure: Exception | None = None  # the error the real run would end with (the dry run ends so too)

    @property
    def writes(self) -> int:
        return sum(item.writes for item in self.items)

    def verdict(self) -> Line:
        if self.release_id is None:
            return line("would wait first; nothing after that can be planned")
        state = "a draft" if self.release.get("draft") else "published"
        if self.release.get("prerelease"):
            state += ", a pre-release"
        template = VERDICTS.get(self.status, "status " + self.status)
        if self.status == "unchanged" and self.writes:
            template = CLEANUP_ONLY
        named = self.scene.release(self.release_id)
        return line(template.replace("{release}", named).replace("{state}", state), tag=Name(self.scene.tag))

    def log_lines(self) -> list[str]:
        return [text for item in self.items for text in item.log_lines(would=True)]

    def closing_line(self, requests: Requests) -> str:
        """The log's last line: the verdict, on one line."""
        planned = f", {counted(self.writes, 'write')} planned, none made" if self.writes else ""
        return (
            f"dry run: {self.verdict().for_log()}; status {self.status}{planned} "
            f"({counted(requests.total, 'API request')})"
        )

    def summary(self, repository: str, requests: Requests, warnings: Sequence[str] = ()) -> str:
        """The job summary (Markdown), every outside value escaped (display.py): the steps, then the verdict."""
        lines = ["### Release plan (dry run)", ""]
        where = f"the release of {md_code(repository)} for tag {md_code(self.scene.tag)}"
        if self.items:
            lines += [f"Nothing was written. What a run would do to {where}, in the order it would do it:", ""]
            lines += [text for item in self.items for text in item.markdown_lines()]
        else:
            lines += [f"Nothing was written, and a run would write nothing to {where}."]
        planned = f", {md_text(counted(self.writes, 'write'))} planned" if self.writes else ""
        lines += [
            "",
            f"**Verdict:** {self.verdict().for_markdown()}; status {md_code(self.status)}{planned}.",
            "",
            f"GitHub API requests: {requests.total} ({counted(requests.writes, 'write')}).",
            "",
        ]
        lines += [f"> [!WARNING]\n> {md_text(w)}\n" for w in warnings]
        return "\n".join(lines) + "\n"


def plan_run(engine: Engine, desired: Desired, *, assets: AssetPlanner | None = None) -> Plan:
    """Observe once, and plan what the real run would do from there (with `assets`: as AssetRun does)."""
    scene = Scene(desired.tag, desired.placement)
    desired = engine.with_generated(desired)  # appended or in a section: GitHub's notes, as the real run takes them
    observed = engine.observe(desired)
    goal = desired
    if assets is not None:  # held as a draft until the assets are in, as AssetRun holds it
        goal = dataclasses.replace(desired, draft=True, held=not desired.draft)
    steps = engine.planned(goal, observed)
    observed = after(steps, observed)
    items = [said(step, scene) for step in steps if not isinstance(step, Done | Skip)]
    if isinstance(steps[-1], Refuse):  # if_exists: fail
        failure = ReleaseExists(release_exists(desired.tag, engine.cache.get(steps[-1].release_id, {})))
        return Plan(scene, tuple(items), "", {}, None, failure)
    asset_writes = 0
    if assets is not None and isinstance(steps[-1], Done):
        release_id = steps[-1].release_id
        asset_items = asset_said(assets({} if release_id == NEW_ID else engine.cache.get(release_id, {})), scene)
        asset_writes = sum(item.writes for item in asset_items)
        items += asset_items
        held = observed.find(release_id)
        if held is not None and held.draft and not desired.draft:  # once the assets are in: publish
            publish = engine.planned(desired, observed)
            observed = after(publish, observed)
            steps += publish
            items += [said(step, scene) for step in publish if not isinstance(step, Done)]
    end = steps[-1].release_id if isinstance(steps[-1], Done | Skip) else None
    return Plan(scene, tuple(items), status_of(steps, end, asset_writes), release_as_left(engine, observed, end), end)


def after(steps: Sequence[Step], observed: Observed) -> Observed:
    """What GitHub would hold after `steps`, if nobody else wrote."""
    for step in steps:
        observed = apply(step, observed)
    return observed


def status_of(steps: Sequence[Step], release_id: int | None, asset_writes: int) -> str:
    """The status the real run would report: created if it creates the release, updated if it
    writes to it (fields or assets), else unchanged (deleting other drafts changes nothing of it)."""
    if isinstance(steps[-1], Skip):
        return "skipped"
    if any(isinstance(step, Create) for step in steps):
        return "created"
    if asset_writes or any(isinstance(step, Update) and step.release_id == release_id for step in steps):
        return "updated"
    return "unchanged"


def release_as_left(engine: Engine, observed: Observed, release_id: int | None) -> dict:
    """The release for the outputs: as last read, with draft and prerelease as the plan leaves them."""
    release = None if release_id is None else observed.find(release_id)
    if release is None:
        return {}
    known = {} if release_id == NEW_ID else engine.cache.get(release_id, {})
    return {**known, "draft": release.draft, "prerelease": release.prerelease}


def asset_said(steps: Sequence[object], scene: Scene) -> list[Said]:
    """The asset steps in words, in the order they would be taken; the assets kept as they are, in one line."""
    keeps = [step for step in steps if isinstance(step, Keep)]
    items = [said(step, scene) for step in steps if not isinstance(step, Keep)]
    return items + ([kept(keeps)] if keeps else [])
