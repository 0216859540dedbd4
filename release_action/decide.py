"""What to do next: a pure function of what is wanted and what GitHub was seen to hold.

No I/O and no clock of its own, so every rule is a row in a table test. The engine calls it
on every pass; each answer is one step (one write at most), and `Done` only when what was
seen is what was asked for. See docs/design.md for the table and why racing runs agree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from release_action import notes
from release_action.notes import PLACE_REPLACE, Placement

# A release this run created but cannot see yet is taken to be hidden by read lag for this
# long; only after it is a new create right (the release must have been deleted).
LAG_WINDOW = 30.0


@dataclass(frozen=True)
class Desired:
    tag: str
    name: str | None = None  # None: the tag on create, whatever it is on update
    body: str | None = None  # this run's notes; None: leave the body as it is
    placement: Placement = PLACE_REPLACE  # how the notes go into the body (notes.py)
    draft: bool = False
    prerelease: bool = False
    target_commitish: str | None = None
    make_latest: str = "legacy"
    discussion_category: str | None = None
    generate_notes: bool = False
    previous_tag: str | None = None  # base of generated notes (the engine asks GitHub for them)
    # GitHub's generated notes, fetched by the engine before deciding where the notes are
    # appended or kept in a section (replacing, GitHub writes them into the body on create)
    generated_notes: str | None = None

    @property
    def texts(self) -> tuple[str, ...]:
        """The run's notes as the placement adds them: its notes, then generated notes."""
        return tuple(t for t in (self.body, self.generated_notes) if t and t.strip())


@dataclass(frozen=True)
class Release:
    """The fields of a release that matter for deciding."""

    id: int
    tag_name: str
    draft: bool
    prerelease: bool = False
    name: str | None = None
    body: str | None = None
    target_commitish: str | None = None
    asset_count: int = 0

    @classmethod
    def from_json(cls, data: dict) -> Release:
        return cls(
            id=int(data["id"]),
            tag_name=data.get("tag_name") or "",
            draft=bool(data.get("draft")),
            prerelease=bool(data.get("prerelease")),
            name=data.get("name"),
            body=data.get("body"),
            target_commitish=data.get("target_commitish"),
            asset_count=len(data.get("assets") or ()),
        )


@dataclass(frozen=True)
class Observed:
    """What one observation found for the tag.

    `published` is the tag's one published release, if any. `drafts` are the drafts that
    belong to the tag: those carrying its name, and drafts this run made or adopted that lost
    the name (GitHub resets a draft's tag to `untagged-…` on some updates).
    """

    published: Release | None = None
    drafts: tuple[Release, ...] = ()


@dataclass(frozen=True)
class Context:
    """What the run itself knows, beyond the observation."""

    owned: frozenset[int] = frozenset()  # releases this run created
    age_of_own_create: float | None = None  # seconds since this run's last create
    conflict_seen: bool = False  # a create or publish was just refused as already_exists


# -- steps ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Create:
    payload: dict


@dataclass(frozen=True)
class Update:
    release_id: int
    payload: dict
    changes: dict = field(default_factory=dict)  # field → (observed, wanted), for the log


@dataclass(frozen=True)
class Delete:
    release_id: int
    reason: str


@dataclass(frozen=True)
class Wait:
    reason: str


@dataclass(frozen=True)
class Done:
    release_id: int


Step = Create | Update | Delete | Wait | Done


# -- the rules -----------------------------------------------------------------------------


def wanted_body(desired: Desired, body: str | None) -> str | None:
    """The body `desired` asks for, given the release's `body`; None: leave the body as it is.

    Replacing, generated notes are GitHub's to write on create: an existing body is kept. Appending
    or in a section, the body composed from the one seen (notes.compose; it raises TooLong).
    """
    if not desired.placement.commutes:
        return None if desired.body is None or desired.generate_notes else desired.body
    if not desired.texts:
        return None
    return notes.compose(body, desired.texts, desired.placement)


def differences(desired: Desired, release: Release) -> dict[str, tuple[object, object]]:
    """Fields whose observed value is not the wanted one: name → (observed, wanted)."""
    changes: dict[str, tuple[object, object]] = {}
    if desired.name is not None and release.name != desired.name:
        changes["name"] = (release.name, desired.name)
    body = wanted_body(desired, release.body)
    if body is not None and (release.body or "") != body:
        changes["body"] = (release.body, body)
    if release.prerelease != desired.prerelease:
        changes["prerelease"] = (release.prerelease, desired.prerelease)
    if release.draft:
        if release.tag_name != desired.tag:
            changes["tag_name"] = (release.tag_name, desired.tag)
        if desired.target_commitish and release.target_commitish != desired.target_commitish:
            changes["target_commitish"] = (release.target_commitish, desired.target_commitish)
        if not desired.draft:  # a published release is never drafted again: no draft=True here
            changes["draft"] = (True, False)
    return changes


def update_payload(desired: Desired, release: Release, changes: dict) -> dict:
    payload = {key: wanted for key, (_seen, wanted) in changes.items()}
    if release.draft:
        payload["tag_name"] = desired.tag  # without it GitHub resets a draft's tag to untagged-…
    if payload.get("draft") is False:  # this update publishes: the publish-time settings go too
        payload["make_latest"] = desired.make_latest
        if desired.discussion_category:
            payload["discussion_category_name"] = desired.discussion_category
    return payload


def create_payload(desired: Desired) -> dict:
    payload: dict = {
        "tag_name": desired.tag,
        "name": desired.name if desired.name is not None else desired.tag,
        "draft": desired.draft,
        "prerelease": desired.prerelease,
        "make_latest": desired.make_latest,
    }
    if desired.placement.commutes:
        if desired.texts:  # composed from no body: the generated notes are in already
            payload["body"] = notes.compose(None, desired.texts, desired.placement)
    elif desired.body is not None:
        payload["body"] = desired.body
    if desired.target_commitish:
        payload["target_commitish"] = desired.target_commitish
    if desired.generate_notes and not desired.placement.commutes:
        payload["generate_release_notes"] = True
    if desired.discussion_category and not desired.draft:
        payload["discussion_category_name"] = desired.discussion_category
    return payload


def debris(drafts: tuple[Release, ...], keep: int | None, owned: frozenset[int]) -> list[Release]:
    """Drafts to delete: every other empty draft, and every other draft this run made."""
    return [d for d in drafts if d.id != keep and (d.asset_count == 0 or d.id in owned)]


def decide(desired: Desired, observed: Observed, context: Context = Context()) -> Step:
    """The one next step that moves GitHub toward `desired`."""
    if observed.published is not None:
        release = observed.published
        changes = differences(desired, release)
        if changes:
            return Update(release.id, update_payload(desired, release, changes), changes)
        for draft in debris(observed.drafts, None, context.owned):
            return Delete(draft.id, f"leftover draft {draft.id} of tag {desired.tag}")
        return Done(release.id)

    if context.conflict_seen:
        return Wait("GitHub says the tag has a published release, but reads do not show it yet")

    if observed.drafts:
        canonical = min(observed.drafts, key=lambda d: d.id)  # every run picks the same one
        changes = differences(desired, canonical)
        if changes:
            return Update(canonical.id, update_payload(desired, canonical, changes), changes)
        for draft in debris(observed.drafts, canonical.id, context.owned):
            return Delete(draft.id, f"duplicate draft {draft.id} of tag {desired.tag}")
        return Done(canonical.id)

    if context.owned and (context.age_of_own_create or 0.0) < LAG_WINDOW:
        return Wait("the release this run created is not visible yet (read lag)")
    return Create(create_payload(desired))


NEW_ID = 2**62  # stands for a release a planned create would make (the newest, so the highest id)


def apply(step: Step, observed: Observed) -> Observed:
    """What GitHub would hold after `step` if nobody else wrote: for planning a dry run."""
    if isinstance(step, Create):
        p = step.payload
        new = Release(
            NEW_ID,
            p["tag_name"],
            p["draft"],
            p["prerelease"],
            p.get("name"),
            p.get("body"),
            p.get("target_commitish"),
        )
        if new.draft:
            return Observed(observed.published, (*observed.drafts, new))
        return Observed(new, observed.drafts)
    if isinstance(step, Update):
        fields = {
            k: v
            for k, v in step.payload.items()
            if k in ("tag_name", "draft", "prerelease", "name", "body", "target_commitish")
        }
        releases = [r for r in (observed.published, *observed.drafts) if r is not None]
        updated = [dataclasses.replace(r, **fields) if r.id == step.release_id else r for r in releases]
        published = [r for r in updated if not r.draft]
        return Observed(published[0] if published else None, tuple(r for r in updated if r.draft))
    if isinstance(step, Delete):
        return Observed(observed.published, tuple(d for d in observed.drafts if d.id != step.release_id))
    return observed


def plan(desired: Desired, observed: Observed, context: Context = Context(), limit: int = 20) -> list[Step]:
    """Every step a run would take from `observed`, ending with Done or Wait (a dry run's plan)."""
    steps: list[Step] = []
    for _ in range(limit):
        step = decide(desired, observed, context)
        steps.append(step)
        if isinstance(step, Done | Wait):
            break
        observed = apply(step, observed)
    return steps
