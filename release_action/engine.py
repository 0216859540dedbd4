"""The reconcile loop: observe → decide → act → verify, until GitHub holds what was asked.

Level-triggered: every pass reads the world, asks `decide` for one step and takes it. Any
failure a racing writer or a flaky network can cause (a 422 already_exists, a write whose
answer was lost, a read that lags) is answered the same way: look again.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from release_action import notes
from release_action.budget import SETTLE_SECONDS, Backoff, Deadline
from release_action.decide import (
    LAG_WINDOW,
    Context,
    Create,
    Delete,
    Desired,
    Done,
    Observed,
    Refuse,
    Release,
    Skip,
    Step,
    Update,
    Wait,
    decide,
    differences,
    plan,
)
from release_action.errors import TITLE_PREFIX, ActionError
from release_action.github import GitHub, github_time
from release_action.step_lines import Scene, said, value_for_log
from release_action.transport import Conflict, GitHubError, OutcomeUnknown
from release_action.wording import Words, words

MAX_TAG_REFUSALS = 5  # a tag pushed moments ago settles within seconds; past ~10 s it will not come
MAX_REPAIRS = 3  # times a field is rewritten after someone else changed it, before giving up
# Appends and sections of other names commute: a run whose notes another run's write dropped
# (that run wrote from a body read before ours landed) writes them again while others keep
# adding theirs. This bounds only a runaway; a writer that reverts the body counts as above.
MAX_COMMUTING_REPAIRS = 30
STAMP_RESOLUTION = 1.0  # GitHub's updated_at is in whole seconds
PROCESS_MARGIN = 0.5  # a racing run's time between reading the body and sending its write, beyond the network
# After writing appended or sectioned notes, the read lag waited out is at least this: one fresh
# read does not make the next one fresh (reads may come from replicas lagging by different times),
# so the lag measured by the first read back is no bound. The settle is the lag the guarantees
# assume for writes racing with ours. (The explorer's "2 runs appending their notes" found a run
# ending on a stale read of its own write after the other run's write had dropped its notes.)
NOTES_LAG_FLOOR = SETTLE_SECONDS
UNTAGGED = "untagged-"


def stays_published(tag: str) -> str:
    """The warning for a run that asked for a draft of a release that is already published."""
    return (
        f"The release for {tag} is already published; it stays published "
        "(a published release is never turned back into a draft)."
    )


class ConvergeError(ActionError):
    """The release could not be brought to the wanted state; the message says why."""

    title = f"{TITLE_PREFIX}: the release could not be made as asked"


class ReleaseExists(ConvergeError):
    """`if_exists: fail`, and the tag's release was published by someone else: nothing was written to it."""

    title = f"{TITLE_PREFIX}: the release exists already"


class TagMissing(ConvergeError):
    """`verify_tag: true`, and the tag is not in the repository: nothing was written."""

    title = f"{TITLE_PREFIX}: the tag does not exist"


def release_exists(tag: str, release: dict) -> Words:
    """The error of `if_exists: fail` when the tag's release was published by someone else."""
    return words(
        "The release for {tag} is already published (release {id}: {url}) and `if_exists: fail` is set: nothing "
        "was written to it. Release a new tag, or set `if_exists: update` to update it or `if_exists: skip` to "
        "leave it as it is.",
        tag=tag,
        id=release.get("id"),
        url=release.get("html_url") or "no URL given",
    )


def tag_missing(tag: str, repository: str) -> Words:
    """The error of `verify_tag` when the tag is not in the repository."""
    return words(
        "The tag {tag} does not exist in {repository} and `verify_tag: true` is set: nothing was written. Push the "
        "tag before this step (or run the workflow on the tag's push), or drop `verify_tag` to have GitHub create "
        "the tag at `target_commitish` when the release is published.",
        command="The tag {tag} does not exist in {repository} and `verify_tag: true` is set: nothing was written. "
        "Push it first (`git push origin {tag}`), or leave out `verify_tag` to have GitHub create it at "
        "`target_commitish` when the release is published.",
        tag=tag,
        repository=repository,
    )


def repository_not_found(repository: str) -> Words:
    return words(
        "Repository {repository} was not found: the token cannot see it. Check the `repository` "
        "input, and that the token has access to it.",
        command="Repository {repository} was not found: the token cannot see it. Check "
        "`repository` (or the `origin` remote it was read from), and that the token has access "
        "to it.",
        repository=repository,
    )


@dataclass
class Result:
    release: dict  # the release as last read back
    status: str  # created | updated | unchanged | skipped (if_exists: skip): what this run did to `release`
    warnings: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)  # what this run did to other releases of the tag


def _says(exc: GitHubError, phrase: str) -> bool:
    """Whether GitHub's message, or one of its errors[] (where a 422 puts it), has `phrase`."""
    texts = [exc.message] + [str(e.get("message", "")) if isinstance(e, dict) else str(e) for e in exc.errors]
    return any(phrase in text.lower() for text in texts)


def too_long(desired: Desired, exc: notes.TooLong) -> Words:
    """The error for notes that would make the body longer than GitHub accepts."""
    how = "`notes_section: {name}`" if desired.placement.kind == notes.SECTION else "`append_notes: true`"
    return words(
        "The release body of {tag} would be {length} characters with this run's notes added (" + how + "); "
        "GitHub accepts at most {limit}. Shorten the notes, or remove old text from the release's body.",
        tag=desired.tag,
        length=exc.length,
        name=desired.placement.section,
        limit=notes.MAX_BODY,
    )


def describe(step: Step, desired: Desired) -> list[str]:
    """The step field by field, as the log prints it when the run takes it (step_lines.py words it)."""
    return said(step, Scene(desired.tag, desired.placement)).log_lines()


@dataclass
class Memory:
    """What a run has learnt across passes that one observation cannot show (read lag hides it).

    Ids: `owned` this run created, `published` it sent a publish for, `known` drafts created or
    taken on (read by id when a list lags), `listed` of its own that a list it read has shown,
    `deleted` by this run, `settled` read back once racing writes had time to land. Times on the
    deadline's clock. Counters bound the repairs (MAX_REPAIRS) and the retries of a tag GitHub
    does not see yet (MAX_TAG_REFUSALS).
    """

    owned: set[int] = field(default_factory=set)
    published: set[int] = field(default_factory=set)  # drafts this run sent `draft: false` (maybe lost answers)
    known: set[int] = field(default_factory=set)
    listed: set[int] = field(default_factory=set)
    adopted: dict[int, float] = field(default_factory=dict)  # release id → when first taken on (not made here)
    deleted: set[int] = field(default_factory=set)
    settled: set[int] = field(default_factory=set)
    created_at: float | None = None  # our last create
    create_lost: bool = False  # a create's answer was lost: a draft we cannot name may be ours
    staggered: bool = False  # paused once before creating a draft (decide.STAGGER)
    conflict_at: float | None = None  # our last 422 already_exists: a published release exists
    lost_create_at: float | None = None  # GitHub's clock before a create of ours that went unanswered
    written_at: dict[int, str] = field(default_factory=dict)  # release id → updated_at of our last write
    writes_to: Counter[int] = field(default_factory=Counter)
    field_writes: Counter[str] = field(default_factory=Counter)
    tag_refusals: int = 0  # 422 "valid tag": a tag just pushed, or one that never will be
    body_base: str | None = None  # the body our last write of appended or sectioned notes was made from
    commuting_repairs: int = 0  # writes of those notes again after another run's write dropped them
    backed_off: bool = False  # waited (jittered) since the notes were found dropped: write now
    lost_race: bool = False  # a create or publish of ours was refused (already_exists): others write here too
    made_unanswered: set[int] = field(default_factory=set)  # under update: made by a create whose answer was lost


class Engine:
    """Converges one tag's release; `memory` keeps what this run knows across passes."""

    def __init__(
        self,
        github: GitHub,
        *,
        deadline: Deadline,
        log: Callable[[str], None] = print,
        rng: random.Random | None = None,
    ) -> None:
        self.github = github
        self.deadline = deadline
        self.log = log
        self.rng = rng or random.Random()  # noqa: S311 (a pause to break ties, not a secret)
        self.memory = Memory()
        self.cache: dict[int, dict] = {}  # release id → its JSON as last seen
        self.warnings: list[str] = []
        self.generated: str | None = None  # GitHub's generated notes, once asked for (append, section)
        # Runs whose notes were dropped by each other's writes spread out before writing again.
        self.repair_waits = Backoff(deadline, first=2.0, cap=16.0, floor=0.25)

    # -- the loop --------------------------------------------------------------------------

    def converge(self, desired: Desired) -> Result:
        """Bring the tag's release to `desired`; return it as read back."""
        desired = self.with_generated(desired)
        try:
            return self._converge(desired)
        except notes.TooLong as exc:
            raise ConvergeError(too_long(desired, exc)) from exc

    def _converge(self, desired: Desired) -> Result:
        waits = Backoff(self.deadline, first=0.25, cap=4, floor=0.2)
        observed = self.observe(desired)
        while True:
            desired = self.relax(desired, observed)
            self._claim_lost_create(desired, observed)
            step = decide(desired, observed, self._context(observed))
            if isinstance(step, Done | Update):
                self._take_on(step.release_id)
            if isinstance(step, Skip):
                self.log(describe(step, desired)[0])
                return self._result(step.release_id, status="skipped")
            if isinstance(step, Refuse):
                raise ReleaseExists(release_exists(desired.tag, self.cache.get(step.release_id, {})))
            if isinstance(step, Done):
                if not self._in_flux(step.release_id):
                    return self._result(step.release_id)
                # Someone else changed it a moment ago: a race may still be under way (a
                # drafter flips a release right after its publish). Look once more, later.
                self.memory.settled.add(step.release_id)
                self.log(f"release {step.release_id} changed moments ago; checking it again once writes settle")
                self.deadline.settle("writes to settle")
                observed = self.observe(desired)
                continue
            if self._backs_off(step, desired):
                observed = self.observe(desired)  # a fresh body to write the notes onto
                continue
            for line in describe(step, desired):
                self.log(line)
            if isinstance(step, Wait) and step.spread:
                # Break the tie with runs that saw the same nothing: whoever looks again first
                # creates the draft, the others find it (the list shows published releases too).
                self.memory.staggered = True
                self.deadline.wait(min(self.rng.uniform(0, step.spread), self.deadline.remaining() / 4), step.reason)
                observed = self.observe(desired, by_tag=False)
                continue
            if isinstance(step, Wait):
                waits.wait(step.reason)
                observed = self.observe(desired)
                continue
            observed = self.act(step, desired, observed)

    def planned(self, desired: Desired, observed: Observed) -> list[Step]:
        """Every step this run would take from `observed` if nobody else wrote (a dry run's plan)."""
        try:
            return plan(self.relax(desired, observed), observed, self._context())
        except notes.TooLong as exc:  # the error the real run would end with
            raise ConvergeError(too_long(desired, exc)) from exc

    def act(self, step: Step, desired: Desired, observed: Observed) -> Observed:
        """Take one step; return a fresh observation (verified after a write, see `_after_write`)."""
        sent_at = self.github.server_now()  # GitHub's clock at the last answer: no later than this write
        try:
            if isinstance(step, Create):
                data = self.github.create_release(self._with_generated_notes(step.payload, desired))
                self.memory.owned.add(data["id"])
                self.memory.created_at = self.deadline.clock()
                publishes = not data.get("draft")
                return self._after_write(desired, data, publishes=publishes, created=True, seen=observed.drafts)
            if isinstance(step, Update):
                commuting = "body" in step.changes and desired.placement.commutes
                self.memory.backed_off = False
                self._count_repairs(step, desired)
                publishes = step.payload.get("draft") is False
                if publishes:  # ours from now on, even if the answer is lost: not a release that "exists"
                    self.memory.published.add(step.release_id)
                sent = self.deadline.clock()
                data = self.github.update_release(step.release_id, step.payload)
                return self._after_write(
                    desired,
                    data,
                    publishes=publishes,
                    created=False,
                    seen=observed.drafts,
                    body_sent=sent if commuting else None,
                )
            if isinstance(step, Delete):
                self.memory.deleted.add(step.release_id)  # gone, even while a lagging list still shows it
                self.github.delete_release(step.release_id)
                self.cache.pop(step.release_id, None)
                drafts = tuple(d for d in observed.drafts if d.id != step.release_id)
                return dataclasses.replace(observed, drafts=drafts)
        except Conflict as exc:
            self.log(f"{exc.message}: another run got there first; looking again")
            if isinstance(step, Update):
                self.memory.published.discard(step.release_id)  # refused: another release is the published one
            self.memory.conflict_at = self.deadline.clock()
            self.memory.lost_race = True
            # The winner's release may be drafted again by a racing drafter right after its
            # publish; a read made at once (and lagged) would still show it published, and
            # this run would end on a release that then vanishes. Settle first, as the winner
            # does before its verify read, so both see the same world.
            self.deadline.settle("the winner's release to settle")
            return self._observe_settled(desired)
        except OutcomeUnknown as exc:
            self.log(f"{exc}; its outcome is unknown, so looking again before anything else")
            if isinstance(step, Update):  # sent, and most likely taken: the status must not say "no write"
                self.memory.writes_to[step.release_id] += 1
            if isinstance(step, Create):
                self.memory.create_lost = True
                if not step.payload.get("draft"):
                    self.memory.lost_create_at = float("-inf") if sent_at is None else sent_at
            self.deadline.wait(SETTLE_SECONDS, "GitHub to settle after a lost answer")
            return self._observe_settled(desired)
        except GitHubError as exc:
            if exc.status == 404 and isinstance(step, Update | Delete):
                self.log(f"release {step.release_id} is gone (another run removed it); looking again")
            elif exc.status == 422 and exc.has_error_code("invalid", "target_commitish"):
                cannot = (
                    "GitHub cannot create the tag {tag} at `target_commitish` {target!r}: it is no branch or "
                    "commit of {repository} ({error})."
                )
                raise ConvergeError(
                    words(
                        cannot + " Push the tag before this step, or set `target_commitish` to an existing branch "
                        "or full commit SHA.",
                        command=cannot + " Push the tag first, or give `target_commitish` an existing branch or "
                        "full commit SHA.",
                        tag=desired.tag,
                        target=desired.target_commitish,
                        repository=self.github.repository,
                        error=exc,
                    )
                ) from exc
            elif exc.status == 422 and _says(exc, "used by an immutable release"):
                raise ConvergeError(
                    f"GitHub will not publish a release for {desired.tag}: the tag belonged to an immutable "
                    f"release that was deleted, and GitHub never lets such a tag be used again ({exc}). "
                    "Publish under a new tag (a new version)."
                ) from exc
            elif exc.status == 422 and _says(exc, "valid tag"):
                self.memory.tag_refusals += 1
                if self.memory.tag_refusals > MAX_TAG_REFUSALS:
                    refused = (
                        "GitHub refused to publish {tag} {times} times ({message}): the tag does not exist and "
                        "cannot be made."
                    )
                    raise ConvergeError(
                        words(
                            refused + " Push the tag before this step, or set `target_commitish` to an existing "
                            "branch or full commit SHA.",
                            command=refused + " Push the tag first, or give `target_commitish` an existing branch "
                            "or full commit SHA.",
                            tag=desired.tag,
                            times=self.memory.tag_refusals,
                            message=exc.message,
                        )
                    ) from exc
                self.log(f"{exc.message}: the tag may have just been pushed; retrying")
                self.deadline.wait(2.0, "the new tag to become visible to GitHub")
            else:
                raise
        return self.observe(desired)

    def _observe_settled(self, desired: Desired) -> Observed:
        """Observe after a settle wait: what is published now has had time for racing writes."""
        observed = self.observe(desired)
        if observed.published is not None:
            self.memory.settled.add(observed.published.id)
        return observed

    def _with_generated_notes(self, payload: dict, desired: Desired) -> dict:
        """The create API cannot take a base tag: ask for the notes, then create with them."""
        if not (desired.generate_notes and desired.previous_tag) or desired.placement.commutes:
            return payload
        answer = self.github.generate_notes(desired.tag, desired.target_commitish, desired.previous_tag)
        payload = {k: v for k, v in payload.items() if k != "generate_release_notes"}
        payload["body"] = "\n\n".join(p for p in (desired.body, answer.get("body")) if p)
        return payload

    def with_generated(self, desired: Desired) -> Desired:
        """Appending or in a section, generated notes are a text of the run like its notes: ask GitHub
        for them once (one request, which writes nothing), so that every pass composes the body from
        the same text, and a dry run plans with the text the real run would append."""
        if not (desired.generate_notes and desired.placement.commutes) or desired.generated_notes is not None:
            return desired
        if self.generated is None:
            answer = self.github.generate_notes(desired.tag, desired.target_commitish, desired.previous_tag)
            self.generated = answer.get("body") or ""
            if (line := notes.marker_line(self.generated)) is not None:
                raise ConvergeError(
                    words(
                        "GitHub's generated notes for {tag} hold the line {line!r}, which reads as a section "
                        "marker of this action. Set `generate_notes: false` and give the notes yourself.",
                        tag=desired.tag,
                        line=line,
                    )
                )
            self.log(f"generated notes: {len(self.generated)} characters from GitHub")
        return dataclasses.replace(desired, generated_notes=self.generated or None)

    # -- observing -------------------------------------------------------------------------

    def observe(self, desired: Desired, *, by_tag: bool = True) -> Observed:
        """The tag's published release (get-by-tag) and drafts (the list, all pages).

        The list is only read when get-by-tag finds nothing, since it costs a request per
        hundred releases and a published release makes any draft debris.
        """
        if by_tag:
            published = self.github.get_release_by_tag(desired.tag)
            if published is not None:
                self.memory.conflict_at = None
                self._remember(published)
                drafts = self._known_drafts(desired, skip={published["id"]})
                return Observed(Release.from_json(published), drafts)
            if self._context().conflict_seen:  # a published release exists: only lag hides it
                return Observed(None, self._known_drafts(desired, skip=set()))

        releases: dict[int, dict] = {}
        try:
            for data in self.github.iter_releases():
                if data["id"] in self.memory.owned:  # this list shows every release made before it too
                    self.memory.listed.add(data["id"])
                if data.get("tag_name") == desired.tag and data["id"] not in self.memory.deleted:
                    releases[data["id"]] = data
        except GitHubError as exc:
            if exc.status == 404:
                raise ConvergeError(repository_not_found(self.github.repository)) from exc
            raise
        releases = {release_id: self._not_older_than_ours(data) for release_id, data in releases.items()}
        pub = [d for d in releases.values() if not d.get("draft")]
        if pub:  # get-by-tag lagged behind the list
            drafts = tuple(Release.from_json(d) for d in releases.values() if d.get("draft"))
            return Observed(Release.from_json(pub[0]), drafts)
        drafts = [Release.from_json(d) for d in releases.values()]
        drafts += self._known_drafts(desired, skip=set(releases))
        return Observed(None, tuple(drafts))

    def _not_older_than_ours(self, data: dict) -> dict:
        """A listed release, unless the list predates this run's last write to it (read lag): then
        what that write answered, which is newer. Taking the lagging copy would make the run write
        the same change again on every pass until the lag passes (or the write limit stops it)."""
        written = self.memory.written_at.get(data["id"])
        ours = self.cache.get(data["id"])
        if written and ours is not None and (data.get("updated_at") or "") < written:
            return ours
        self._remember(data)
        return data

    def _known_drafts(self, desired: Desired, skip: set[int]) -> tuple[Release, ...]:
        """Drafts this run made or adopted that a tag lookup cannot find: read them by id.

        A draft whose tag was reset to untagged-… by another writer's update is still ours
        to repair; one that now carries another tag, or was published, is someone else's.
        """
        found = []
        for release_id in sorted(self.memory.known - skip - self.memory.deleted):
            data = self.read(release_id)
            if data is None:
                if not self._just_made(release_id):  # a 404 this soon after our create may be read lag
                    self.memory.known.discard(release_id)
                continue
            tag = data.get("tag_name") or ""
            if data.get("draft") and (tag == desired.tag or tag.startswith(UNTAGGED)):
                found.append(Release.from_json(data))
            else:
                self.memory.known.discard(release_id)
        return tuple(found)

    def read(self, release_id: int) -> dict | None:
        """Read a release by id, waiting out reads older than our own last write to it."""
        waits = Backoff(self.deadline, first=0.25, cap=4, floor=0.1)
        start = self.deadline.clock()
        while True:
            data = self.github.get_release(release_id)
            if data is None:
                self.cache.pop(release_id, None)
                return None
            written = self.memory.written_at.get(release_id)
            stale = written is not None and (data.get("updated_at") or "") < written
            if not stale or self.deadline.clock() - start > LAG_WINDOW:
                self._remember(data)
                return data
            waits.wait("a read to catch up")

    def _after_write(
        self,
        desired: Desired,
        data: dict,
        *,
        publishes: bool,
        created: bool,
        seen: tuple[Release, ...] = (),
        body_sent: float | None = None,
    ) -> Observed:
        """Verify a write by reading back: after a create or a publish, once racing writes settle.

        `seen` are the drafts the observation before the write found. When the write published
        one of them, the others are debris still to delete: they stay in the new observation
        (a delete of one already gone is harmless), or the loop would stop with them left behind.
        `body_sent`: when this write added appended or sectioned notes, the time it was sent
        (see `_outlast_racing_writes`).
        """
        release_id = data["id"]
        self.memory.known.add(release_id)
        self.memory.settled.add(release_id)
        self.memory.writes_to[release_id] += 1
        self.memory.written_at[release_id] = data.get("updated_at") or ""
        self._remember(data)
        fresh = None
        waited = 0.0
        if body_sent is not None:
            fresh, waited = self._outlast_racing_writes(desired, release_id, body_sent)
        if (publishes or created) and waited < SETTLE_SECONDS:
            self.deadline.settle("writes to settle")
        if data.get("draft"):
            # Still a draft: the list (one request) shows it beside any racing release.
            return self.observe(desired, by_tag=False)
        if fresh is None:
            fresh = self.read(release_id)
        if fresh is not None and not fresh.get("draft") and fresh.get("tag_name") == desired.tag:
            # GitHub keeps one published release per tag: this is the one.
            drafts = {d.id: d for d in seen if d.id != release_id and d.id not in self.memory.deleted}
            drafts.update((d.id, d) for d in self._known_drafts(desired, skip={release_id}))
            return Observed(Release.from_json(fresh), tuple(drafts.values()))
        return self.observe(desired)  # drafted again by another writer, or deleted

    def _outlast_racing_writes(self, desired: Desired, release_id: int, sent: float) -> tuple[dict | None, float]:
        """After writing appended or sectioned notes, wait until no write made from an older body can
        still land, so that the run's last read, which says whether its notes are in, is final.

        GitHub has no compare-and-swap on a body: another run that read the body before this write
        landed writes its own notes onto that older body and drops ours (a lost update). That write
        lands at most read lag + its round trip + its own processing after ours; our read must show
        the body as of after that. So: read back until the read shows this write or a later one,
        which bounds the read lag by the time since the write was sent; then wait that lag again,
        two round trips (the racing run's and ours, taken as long as this write's) and a margin.
        The caller's read after that sees every such write (docs/design.md, "Notes that commute").

        GitHub's updated_at counts whole seconds, so a read stamped in our write's second may still
        be an older version: one that holds our notes cannot be (it is ours, or built on ours); one
        that lacks them is read again a second later, when it must be new. A new read that lacks
        our notes ends the wait at once: they were dropped, and the loop writes them again.

        Returns that read (notes dropped) or None, and how long it waited since the write was sent.
        """
        round_trip = self.deadline.clock() - sent
        early = self.read(release_id)
        read_at = self.deadline.clock()
        lag = max(read_at - sent, NOTES_LAG_FLOOR)
        if early is not None and not self._holds(desired, early):
            if (early.get("updated_at") or "") <= self.memory.written_at.get(release_id, ""):
                self.deadline.wait(STAMP_RESOLUTION, "a read newer than this write's second")
                early = self.read(release_id)
            if early is not None and not self._holds(desired, early):
                return early, self.deadline.clock() - sent  # dropped: write them again, no need to wait
            lag += STAMP_RESOLUTION  # the first read was an older version from our second
        if early is None:
            return None, self.deadline.clock() - sent
        until = read_at + lag + 2 * round_trip + PROCESS_MARGIN
        wait = min(until - self.deadline.clock(), self.deadline.remaining() / 4)
        self.deadline.wait(max(0.0, wait), "writes to the notes made from an older body to land")
        return None, self.deadline.clock() - sent

    @staticmethod
    def _holds(desired: Desired, data: dict) -> bool:
        return notes.state(data.get("body"), desired.texts, desired.placement) == "holds"

    def _in_flux(self, release_id: int) -> bool:
        """Did another writer change this release within the settle window, by GitHub's clock?

        An identical re-run minutes after the release costs one read; a run that lands in the
        middle of a race, just after another run's publish, checks again after the settle.
        """
        if release_id in self.memory.settled:
            return False
        now = self.github.server_now()
        then = github_time(self.cache.get(release_id, {}).get("updated_at"))
        if now is None or then is None:
            return False
        return now - then <= SETTLE_SECONDS + 1  # both clocks tick in whole seconds

    # -- bookkeeping -----------------------------------------------------------------------

    def _remember(self, data: dict) -> None:
        self.cache[data["id"]] = data

    def _just_made(self, release_id: int) -> bool:
        """Did this run create the release less than LAG_WINDOW ago (so a read may still miss it)?"""
        created = self.memory.created_at
        return release_id in self.memory.owned and created is not None and self.deadline.clock() - created < LAG_WINDOW

    def _take_on(self, release_id: int) -> None:
        """The run is about to update or end on this release: one it did not create is remembered
        from now on (a draft is read by id when a lagging list leaves it out), and while it is
        young, not seeing it is read lag (decide's `age_of_adoption`), never a reason to create."""
        if release_id in self.memory.owned:
            return
        self.memory.adopted.setdefault(release_id, self.deadline.clock())
        if self.cache.get(release_id, {}).get("draft"):
            self.memory.known.add(release_id)

    def _context(self, observed: Observed | None = None) -> Context:
        """What the run knows beyond `observed`: with it, also which of its releases it does not show."""
        now = self.deadline.clock()
        conflict = self.memory.conflict_at is not None and now - self.memory.conflict_at < LAG_WINDOW
        age = None if self.memory.created_at is None else now - self.memory.created_at
        adopted = [at for rid, at in self.memory.adopted.items() if rid not in self.memory.deleted]
        return Context(
            frozenset(self.memory.owned),
            age,
            conflict,
            frozenset(self.memory.published),
            ages=self._ages(),
            create_lost=self.memory.create_lost,
            staggered=self.memory.staggered,
            unlisted=frozenset(self.memory.owned - self.memory.listed),
            age_of_adoption=now - max(adopted) if adopted else None,
            hidden=frozenset() if observed is None else frozenset(self._hidden(observed)),
        )

    def _hidden(self, observed: Observed) -> set[int]:
        """This run's releases, not deleted by it, that `observed` does not show."""
        shown = {r.id for r in observed.releases}
        return self.memory.owned - self.memory.deleted - shown

    def _ages(self) -> dict[int, float]:
        """Seconds since each release seen last changed, by GitHub's clock (as `_in_flux` judges)."""
        now = self.github.server_now()
        if now is None:
            return {}
        ages = {}
        for release_id, data in self.cache.items():
            changed = github_time(data.get("updated_at")) or github_time(data.get("created_at"))
            if changed is not None:
                ages[release_id] = max(0.0, now - changed)
        return ages

    def _claim_lost_create(self, desired: Desired, observed: Observed) -> None:
        """After a create of ours went unanswered, is the published release the one it made?

        The first published release seen after such a create is taken as ours when it is exactly
        what was asked and was created no earlier than the answer before the create (by GitHub's
        clock, in whole seconds; any time, when no answer told it). Under `if_exists: skip` or
        `fail` that decides whether the run succeeds; under `update` it changes only the status
        the run reports (`created`, not `unchanged`: the run did write), and the run goes on as
        for any release.
        """
        sent, release = self.memory.lost_create_at, observed.published
        if sent is None or release is None or self._context().made(release.id):
            return
        self.memory.lost_create_at = None
        created = github_time(self.cache.get(release.id, {}).get("created_at"))
        if created is not None and created >= sent - 1 and not differences(desired, release):
            self.log(f"release {release.id} was made by this run's create whose answer was lost")
            if desired.if_exists == "update":
                self.memory.made_unanswered.add(release.id)
            else:
                self.memory.owned.add(release.id)

    def require_tag(self, tag: str) -> None:
        """`verify_tag`: the tag must be in the repository already (one read), or the run ends here."""
        if self.github.tag_exists(tag):
            return
        if not self.github.repository_visible():  # a 404 for the ref may mean the repository is hidden
            raise ConvergeError(repository_not_found(self.github.repository))
        raise TagMissing(tag_missing(tag, self.github.repository))

    def _count_repairs(self, step: Update, desired: Desired) -> None:
        """Give up on a field another writer keeps changing; never on publishing.

        Appended or sectioned notes that another run's write dropped, while that run added its
        own, are no fight: both belong in the body, so writing ours again is counted apart and
        bounded only by MAX_COMMUTING_REPAIRS. A section someone else keeps giving other content,
        or a body someone keeps reverting, counts like any other field.
        """
        if self.memory.writes_to[step.release_id] == 0:
            self.memory.known.add(step.release_id)  # adopted
        for name in step.changes:
            if name == "body" and desired.placement.commutes:
                commuting = self._dropped(step, desired) and self.memory.commuting_repairs < MAX_COMMUTING_REPAIRS
                self.memory.body_base = step.changes["body"][0]  # type: ignore[assignment]
                if commuting:
                    self.memory.commuting_repairs += 1
                    continue
            self.memory.field_writes[name] += 1
            if self.memory.field_writes[name] <= MAX_REPAIRS + 1:
                continue
            if name == "draft":
                flipped = (
                    "Release {release} for {tag} went back to draft after {times} publishes: another workflow "
                    "keeps drafting this tag (a release-drafter job, or a second run of this action with "
                    "`draft: true`). Stop that workflow from updating published releases, then "
                )
                raise ConvergeError(
                    words(
                        flipped + "re-run this job.",
                        command=flipped + "run the command again.",
                        release=step.release_id,
                        tag=desired.tag,
                        times=MAX_REPAIRS + 1,
                    )
                )

    def _backs_off(self, step: Step, desired: Desired) -> bool:
        """Before writing appended or sectioned notes that another run's write dropped, wait a
        jittered, growing while (once per drop), so that runs racing on the body spread out instead
        of colliding again. So too before the first such write after a create or publish of ours was
        refused (a lost race): every loser looks again at the same moment, after the same settle."""
        if not isinstance(step, Update) or self.memory.backed_off or "body" not in step.changes:
            return False
        if self._dropped(step, desired):
            why = "this run's notes were dropped by another run's write (made from an older body); writing them again"
        elif self.memory.lost_race and self.memory.body_base is None and desired.placement.commutes:
            why = "other runs add their notes to this release too; spreading out the writes"
        else:
            return False
        self.memory.backed_off = True
        self.log(why)
        self.repair_waits.wait("racing runs to spread out their writes to the notes")
        return True

    def _dropped(self, step: Update, desired: Desired) -> bool:
        """Whether the body this step would write over lacks notes this run wrote before, and
        another writer changed it since (a lost update between racing runs, not a revert)."""
        base = self.memory.body_base
        if base is None or "body" not in step.changes:
            return False
        seen = step.changes["body"][0]
        if notes.state(seen, desired.texts, desired.placement) != "missing":  # type: ignore[arg-type]
            return False  # a section with other content: someone else wants it otherwise
        return notes.normal_lines(seen or "") != notes.normal_lines(base)  # type: ignore[arg-type]

    def relax(self, desired: Desired, observed: Observed) -> Desired:
        """After too many repairs of a field, accept what another writer set (last writer wins)."""
        target = observed.published or (min(observed.drafts, key=lambda d: d.id) if observed.drafts else None)
        if target is None:
            return desired
        changes: dict = {}
        for name in ("name", "body", "prerelease"):
            if self.memory.field_writes[name] > MAX_REPAIRS:
                changes[name] = getattr(target, name)
        if not changes:
            return desired
        for name, value in changes.items():
            if name == "body" and desired.placement.commutes:
                self._warn_once(
                    f"Another writer keeps changing the notes of release {target.id}; after {MAX_REPAIRS} repairs "
                    f"the last writer wins: this run's notes ({desired.placement}) are not in the body."
                )
                continue
            self._warn_once(
                f"Another writer keeps changing `{name}` of release {target.id}; after "
                f"{MAX_REPAIRS} repairs the last writer wins: {name} = {value_for_log(value)}."
            )
        if "body" in changes:
            changes["body"] = changes["body"] or ""
            changes["placement"] = notes.PLACE_REPLACE  # the body as it is, whatever it holds
        return dataclasses.replace(desired, **changes)

    def _warn_once(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def _result(self, release_id: int, status: str | None = None) -> Result:
        if status is None:
            if release_id in self.memory.owned or release_id in self.memory.made_unanswered:
                status = "created"
            else:
                status = "updated" if self.memory.writes_to[release_id] else "unchanged"
        return Result(self.cache[release_id], status, self.warnings, self._history(release_id))

    def _history(self, final: int) -> list[str]:
        """The releases this run created that are not the one it ends on, and what became of them.

        In a race a run's release can lose: a drafter turns it back into a draft, another run's
        create then goes through, and the run deletes its own draft. Its status speaks of the
        release it ends on (`unchanged`, often); this says what else it did.
        """
        lines = []
        for release_id in sorted(self.memory.owned - {final}):
            if release_id not in self.memory.deleted:
                lines.append(f"created release {release_id}; another run deleted it, and release {final} won")
            elif final in self.memory.owned:
                lines.append(f"created release {release_id}, then deleted it as a duplicate of release {final}")
            else:
                lines.append(f"created release {release_id}, then deleted it: another run's release {final} won")
        return lines
