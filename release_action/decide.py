"""What to do next: a pure function of what is wanted and what GitHub was seen to hold.

No I/O and no clock of its own, so every rule is a row in a table test. The engine calls it
on every pass; each answer is one step (one write at most), and `Done` only when what was
seen is what was asked for. See docs/design.md for the table and why racing runs agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from release_action import notes
from release_action.notes import PLACE_REPLACE, Placement

# A release this run created but cannot see yet is taken to be hidden by read lag for this
# long; only after it is a new create right (the release must have been deleted). Another
# run's empty draft unchanged for longer is debris of a run that is over: anyone may delete it.
LAG_WINDOW = 30.0
# Drafts have no lock: runs that all find nothing would each create one, and all but one
# would then have to delete theirs. A run about to create a draft first pauses a random time
# up to this long and looks again, so that most racing runs find the first one's draft.
STAGGER_SECONDS = 4.0
STAGGER = "no release yet; pausing a moment, then looking again, so that racing runs make one draft, not one each"
NOT_LISTED = "this run's draft is not in the list of releases yet: an older draft may still be hidden (read lag)"
ADOPTED_HIDDEN = "the release this run took on is not visible (read lag)"
OWN_HIDDEN = "a release this run created is not visible (read lag): looking again, so as not to leave it behind"


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
    # A published release of the tag that this run did not publish: `update` it, `skip` it
    # (write nothing to it, succeed) or `fail`. Drafts of the tag are adopted in every mode.
    if_exists: str = "update"
    # A draft only until this run's assets are in, then published (publish_assets.AssetRun).
    held: bool = False
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

    @property
    def releases(self) -> tuple[Release, ...]:
        """Every release observed: the published one first, then the drafts."""
        return (self.published, *self.drafts) if self.published is not None else self.drafts

    def find(self, release_id: int) -> Release | None:
        return next((r for r in self.releases if r.id == release_id), None)


@dataclass(frozen=True)
class Context:
    """What the run itself knows, beyond the observation."""

    owned: frozenset[int] = frozenset()  # releases this run created
    age_of_own_create: float | None = None  # seconds since this run's last create
    conflict_seen: bool = False  # a create or publish was just refused as already_exists
    published: frozenset[int] = frozenset()  # drafts this run published (sent `draft: false`)
    # release id → seconds since it last changed, by GitHub's clock (its updated_at against
    # the answer's Date); a release missing here counts as changed moments ago
    ages: Mapping[int, float] = field(default_factory=dict)
    create_lost: bool = False  # a create of this run's had its answer lost: it may own a draft it cannot name
    staggered: bool = False  # this run has paused once before creating a draft
    # Drafts this run created that no list it read has shown yet (it saw them by id): a list that
    # shows one shows every draft created before it, so until then an older draft may be hidden.
    unlisted: frozenset[int] = frozenset()
    # Seconds since this run last took on (updated, or ended on) a release it did not create;
    # None: it took on none. Until LAG_WINDOW has passed, not seeing it is read lag.
    age_of_adoption: float | None = None
    # Releases this run created, and did not delete, that the observation does not show: hidden
    # by read lag (until LAG_WINDOW after the create), or deleted by another writer.
    hidden: frozenset[int] = frozenset()

    def leaves_behind(self) -> bool:
        """Would ending now leave a release of this run's behind, unseen, that it must delete?"""
        return bool(self.hidden) and (self.age_of_own_create or 0.0) < LAG_WINDOW

    def made(self, release_id: int) -> bool:
        """Did this run create or publish the release? Then it is no release that "already exists"."""
        return release_id in self.owned or release_id in self.published


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
    spread: float = 0.0  # > 0: wait a random time up to this long (to break a tie between runs)


@dataclass(frozen=True)
class Done:
    release_id: int


@dataclass(frozen=True)
class Skip:
    """`if_exists: skip`: the tag's release was published by someone else; write nothing to it."""

    release_id: int


@dataclass(frozen=True)
class Refuse:
    """`if_exists: fail`: the tag's release was published by someone else; the run fails."""

    release_id: int


Step = Create | Update | Delete | Wait | Done | Skip | Refuse


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


def debris(drafts: tuple[Release, ...], keep: int | None, context: Context) -> list[Release]:
    """Drafts to delete, besides `keep`: the ones this run made, whatever they hold, and empty
    ones of other runs only when they are left over (unchanged for longer than LAG_WINDOW).

    A young draft of another run is its owner's to delete: that run is still going and will,
    so racing runs never delete the same draft twice. After a create whose answer was lost,
    every young empty draft may be the one this run made: those go too.
    """

    def left_over(draft: Release) -> bool:
        return draft.asset_count == 0 and (context.create_lost or context.ages.get(draft.id, 0.0) > LAG_WINDOW)

    return [d for d in drafts if d.id != keep and (d.id in context.owned or left_over(d))]


def publishes_once(desired: Desired) -> bool:
    """Is this a run that publishes, under `if_exists: skip` or `fail`?

    Then GitHub's one-published-release lock must decide between racing runs, and it decides
    only between different releases: a run that made a draft of its own keeps to it (it never
    adopts another run's draft in its place, nor deletes one), so that racing runs publish
    different drafts and exactly one publish succeeds.
    """
    return desired.if_exists != "update" and (desired.held or not desired.draft)


def decide(desired: Desired, observed: Observed, context: Context = Context()) -> Step:
    """The one next step that moves GitHub toward `desired`."""
    if observed.published is not None:
        release = observed.published
        if desired.if_exists != "update" and not context.made(release.id):
            # Published by someone else: nothing is written to it. Drafts this run made go first
            # (with their assets): the run leaves nothing behind.
            for draft in observed.drafts:
                if draft.id in context.owned:
                    return Delete(draft.id, f"this run's draft {draft.id} of tag {desired.tag}")
            if context.leaves_behind():
                return Wait(OWN_HIDDEN)
            return Skip(release.id) if desired.if_exists == "skip" else Refuse(release.id)
        changes = differences(desired, release)
        if changes:
            return Update(release.id, update_payload(desired, release, changes), changes)
        for draft in debris(observed.drafts, None, context):
            return Delete(draft.id, f"leftover draft {draft.id} of tag {desired.tag}")
        if context.leaves_behind():
            return Wait(OWN_HIDDEN)
        return Done(release.id)

    if context.conflict_seen:
        return Wait("GitHub says the tag has a published release, but reads do not show it yet")

    if observed.drafts:
        own = [d for d in observed.drafts if d.id in context.owned]
        once = publishes_once(desired) and bool(own)
        # Every run picks the same one, the oldest; under publishes_once, a run that made one keeps to its own.
        canonical = min(own if once else observed.drafts, key=lambda d: d.id)
        if not once and canonical.id in context.unlisted and (context.age_of_own_create or 0.0) < LAG_WINDOW:
            # Seen by id only: a list may lag further behind, and an older draft with it. A list
            # that shows this one shows every draft made before it: then the oldest is known.
            return Wait(NOT_LISTED)
        changes = differences(desired, canonical)
        if changes:
            return Update(canonical.id, update_payload(desired, canonical, changes), changes)
        for draft in debris(tuple(own) if once else observed.drafts, canonical.id, context):
            return Delete(draft.id, f"duplicate draft {draft.id} of tag {desired.tag}")
        if context.leaves_behind():
            return Wait(OWN_HIDDEN)
        return Done(canonical.id)

    if context.owned and (context.age_of_own_create or 0.0) < LAG_WINDOW:
        return Wait("the release this run created is not visible yet (read lag)")
    if context.age_of_adoption is not None and context.age_of_adoption < LAG_WINDOW:
        return Wait(ADOPTED_HIDDEN)
    if desired.draft and not context.staggered and not publishes_once(desired):
        # (Under publishes_once every run publishes a draft of its own: no pause to share one.)
        return Wait(STAGGER, spread=STAGGER_SECONDS)
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
        updated = [dataclasses.replace(r, **fields) if r.id == step.release_id else r for r in observed.releases]
        published = [r for r in updated if not r.draft]
        return Observed(published[0] if published else None, tuple(r for r in updated if r.draft))
    if isinstance(step, Delete):
        return Observed(observed.published, tuple(d for d in observed.drafts if d.id != step.release_id))
    return observed


def plan(desired: Desired, observed: Observed, context: Context = Context(), limit: int = 20) -> list[Step]:
    """Every step a run would take from `observed`, ending with Done, Wait, Skip or Refuse (a dry run's plan).

    What the planned steps make is the run's own, as the engine's memory holds it in a real run:
    the release a planned create makes (NEW_ID: it exists only in a plan, so only this run can have
    made it) and a draft a planned update publishes are no release that "already exists".
    """
    steps: list[Step] = []
    for _ in range(limit):
        if NEW_ID not in context.owned and observed.find(NEW_ID) is not None:
            context = dataclasses.replace(context, owned=context.owned | {NEW_ID})
        step = decide(desired, observed, context)
        if isinstance(step, Wait) and step.spread:  # a pause to break ties with racing runs: not a step
            context = dataclasses.replace(context, staggered=True)
            continue
        steps.append(step)
        if isinstance(step, Done | Wait | Skip | Refuse):
            break
        if isinstance(step, Update) and step.payload.get("draft") is False:
            context = dataclasses.replace(context, published=context.published | {step.release_id})
        observed = apply(step, observed)
    return steps
