"""decide(desired, observed, context) as a table: one row per rule of the upsert."""

from __future__ import annotations

import dataclasses

import pytest

from release_action.contract import MAX_BODY
from release_action.decide import (
    ADOPTED_HIDDEN,
    LAG_WINDOW,
    NEW_ID,
    NOT_LISTED,
    OWN_HIDDEN,
    STAGGER,
    STAGGER_SECONDS,
    Context,
    Create,
    Delete,
    Desired,
    Done,
    Observed,
    Refuse,
    Release,
    Skip,
    Update,
    Wait,
    apply,
    decide,
    plan,
)
from release_action.notes import PLACE_APPEND, TooLong, begin_marker, end_marker, in_section

TAG = "v1.0.0"
WANT = Desired(tag=TAG, name="Release 1", body="notes", target_commitish="abc123")
WANT_DRAFT = Desired(tag=TAG, name="Release 1", body="notes", draft=True, target_commitish="abc123")
OLD = LAG_WINDOW + 1  # seconds since a release last changed: left over by a run that is over
YOUNG = LAG_WINDOW - 1  # ... its run may still be going
STAGGERED = Context(staggered=True)  # this run has paused once before creating a draft
APPEND = Desired(tag=TAG, body="linux: ok", placement=PLACE_APPEND)
LINUX = Desired(tag=TAG, body="linux: ok", placement=in_section("linux"))
SECTION = f"{begin_marker('linux')}\nlinux: ok\n{end_marker('linux')}"


def published(id_: int = 10, **fields) -> Release:
    values = {"name": "Release 1", "body": "notes", "prerelease": False, "target_commitish": "main"}
    return Release(id=id_, tag_name=TAG, draft=False, **{**values, **fields})


def draft(id_: int, **fields) -> Release:
    values = {"name": "Release 1", "body": "notes", "prerelease": False, "target_commitish": "abc123"}
    return Release(id=id_, tag_name=fields.pop("tag_name", TAG), draft=True, **{**values, **fields})


WANT_FAIL = dataclasses.replace(WANT, if_exists="fail")
WANT_SKIP = dataclasses.replace(WANT, if_exists="skip")
HELD_FAIL = dataclasses.replace(WANT_FAIL, draft=True, held=True)  # a draft until the assets are in
PUBLISH = {"draft": False, "tag_name": TAG, "make_latest": "legacy"}

# The create for WANT: published at once, so GitHub's one-published-per-tag lock decides races.
CREATE_WANT = Create(
    {
        "tag_name": TAG,
        "name": "Release 1",
        "draft": False,
        "prerelease": False,
        "make_latest": "legacy",
        "body": "notes",
        "target_commitish": "abc123",
    }
)

ROWS = [
    # (rule, desired, observed, context, expected step)
    (
        "nothing exists: create it published, GitHub's one-published-per-tag lock decides races",
        WANT,
        Observed(),
        Context(),
        CREATE_WANT,
    ),
    (
        "nothing exists and no name given: the title defaults to the tag",
        Desired(tag=TAG),
        Observed(),
        Context(),
        Create({"tag_name": TAG, "name": TAG, "draft": False, "prerelease": False, "make_latest": "legacy"}),
    ),
    (
        "nothing exists, draft wanted: pause a random moment and look again, drafts have no lock",
        WANT_DRAFT,
        Observed(),
        Context(),
        Wait(STAGGER, spread=STAGGER_SECONDS),
    ),
    (
        "nothing exists, draft wanted, after the pause: create a draft",
        WANT_DRAFT,
        Observed(),
        STAGGERED,
        Create(
            {
                "tag_name": TAG,
                "name": "Release 1",
                "draft": True,
                "prerelease": False,
                "make_latest": "legacy",
                "body": "notes",
                "target_commitish": "abc123",
            }
        ),
    ),
    (
        "generated notes and a discussion category go on the create",
        Desired(tag=TAG, generate_notes=True, discussion_category="Announcements"),
        Observed(),
        Context(),
        Create(
            {
                "tag_name": TAG,
                "name": TAG,
                "draft": False,
                "prerelease": False,
                "make_latest": "legacy",
                "generate_release_notes": True,
                "discussion_category_name": "Announcements",
            }
        ),
    ),
    (
        "published release as asked: done, no write",
        WANT,
        Observed(published()),
        Context(),
        Done(10),
    ),
    (
        "published release, target_commitish differs: ignored, the tag already exists",
        WANT,
        Observed(published(target_commitish="other")),
        Context(),
        Done(10),
    ),
    (
        "published release with other notes: patch only the body",
        WANT,
        Observed(published(body="old")),
        Context(),
        Update(10, {"body": "notes"}, {"body": ("old", "notes")}),
    ),
    (
        "empty notes wanted (None): the existing body is kept",
        Desired(tag=TAG),
        Observed(published(body="old", name="old title")),
        Context(),
        Done(10),
    ),
    (
        "generated notes: an existing release keeps its body (notes only seed the create)",
        Desired(tag=TAG, body="intro", generate_notes=True),
        Observed(published(name=TAG, body="generated")),
        Context(),
        Done(10),
    ),
    (
        "append: the notes are not in the body: patch it with them added at the end",
        APPEND,
        Observed(published(name=TAG, body="Intro")),
        Context(),
        Update(10, {"body": "Intro\n\nlinux: ok"}, {"body": ("Intro", "Intro\n\nlinux: ok")}),
    ),
    (
        "append: the notes are in the body already (CRLF after an edit on the web): done, no write",
        APPEND,
        Observed(published(name=TAG, body="Intro\r\n\r\nlinux: ok\r\n\r\nmacos: ok")),
        Context(),
        Done(10),
    ),
    (
        "append with generated notes: each text added unless there, the notes first",
        Desired(tag=TAG, body="mac", placement=PLACE_APPEND, generate_notes=True, generated_notes="GEN"),
        Observed(published(name=TAG, body="Intro\n\nGEN")),
        Context(),
        Update(10, {"body": "Intro\n\nGEN\n\nmac"}, {"body": ("Intro\n\nGEN", "Intro\n\nGEN\n\nmac")}),
    ),
    (
        "append, no release yet: created with the notes as its body",
        APPEND,
        Observed(),
        Context(),
        Create(
            {
                "tag_name": TAG,
                "name": TAG,
                "draft": False,
                "prerelease": False,
                "make_latest": "legacy",
                "body": "linux: ok",
            }
        ),
    ),
    (
        "append with generated notes, no release yet: the body composed, GitHub not asked to generate again",
        Desired(tag=TAG, body="mine", placement=PLACE_APPEND, generate_notes=True, generated_notes="GEN"),
        Observed(),
        Context(),
        Create(
            {
                "tag_name": TAG,
                "name": TAG,
                "draft": False,
                "prerelease": False,
                "make_latest": "legacy",
                "body": "mine\n\nGEN",
            }
        ),
    ),
    (
        "append without notes: the body is left as it is",
        Desired(tag=TAG, placement=PLACE_APPEND),
        Observed(published(name=TAG, body="Intro")),
        Context(),
        Done(10),
    ),
    (
        "section: missing, so added at the end",
        LINUX,
        Observed(published(name=TAG, body="Intro")),
        Context(),
        Update(10, {"body": f"Intro\n\n{SECTION}"}, {"body": ("Intro", f"Intro\n\n{SECTION}")}),
    ),
    (
        "section: there as asked, among others: done",
        LINUX,
        Observed(
            published(
                name=TAG,
                body=f"Intro\n\n{SECTION}\n\n<!-- safe-release:begin mac -->\nm\n<!-- safe-release:end mac -->",
            )
        ),
        Context(),
        Done(10),
    ),
    (
        "section: there with other content: replaced in place",
        LINUX,
        Observed(published(name=TAG, body=SECTION.replace("linux: ok", "old") + "\nafter")),
        Context(),
        Update(
            10,
            {"body": SECTION + "\nafter"},
            {"body": (SECTION.replace("linux: ok", "old") + "\nafter", SECTION + "\nafter")},
        ),
    ),
    (
        "section, adopting a draft: composed from the draft's body, with tag_name",
        dataclasses.replace(LINUX, draft=True),
        Observed(None, (draft(5, name=None, body="Drafted"),)),
        Context(),
        Update(5, {"body": f"Drafted\n\n{SECTION}", "tag_name": TAG}, {"body": ("Drafted", f"Drafted\n\n{SECTION}")}),
    ),
    (
        "section, no release yet: created holding the section alone",
        LINUX,
        Observed(),
        Context(),
        Create(
            {
                "tag_name": TAG,
                "name": TAG,
                "draft": False,
                "prerelease": False,
                "make_latest": "legacy",
                "body": SECTION,
            }
        ),
    ),
    (
        "published release, prerelease flag differs: patch it",
        Desired(tag=TAG, prerelease=True),
        Observed(published()),
        Context(),
        Update(10, {"prerelease": True}, {"prerelease": (False, True)}),
    ),
    (
        "draft wanted but the release is published: never turned back into a draft",
        WANT_DRAFT,
        Observed(published()),
        Context(),
        Done(10),
    ),
    (
        "published release plus an empty draft unchanged for longer than the lag window: delete it",
        WANT,
        Observed(published(), (draft(11),)),
        Context(ages={11: OLD}),
        Delete(11, f"leftover draft 11 of tag {TAG}"),
    ),
    (
        "published release plus another run's young empty draft: left to its run, still going",
        WANT,
        Observed(published(), (draft(11),)),
        Context(ages={11: YOUNG}),
        Done(10),
    ),
    (
        "published release plus an empty draft of unknown age: taken as young, left alone",
        WANT,
        Observed(published(), (draft(11),)),
        Context(),
        Done(10),
    ),
    (
        "published release plus this run's own empty draft made a moment ago: deleted",
        WANT,
        Observed(published(), (draft(11),)),
        Context(owned=frozenset({11}), ages={11: 0.0}),
        Delete(11, f"leftover draft 11 of tag {TAG}"),
    ),
    (
        "published release plus a young empty draft after a create whose answer was lost: it may be ours",
        WANT,
        Observed(published(), (draft(11),)),
        Context(ages={11: YOUNG}, create_lost=True),
        Delete(11, f"leftover draft 11 of tag {TAG}"),
    ),
    (
        "published release plus another run's draft holding assets: left alone",
        WANT,
        Observed(published(), (draft(11, asset_count=2),)),
        Context(),
        Done(10),
    ),
    (
        "published release plus an old draft holding assets: left alone, however old",
        WANT,
        Observed(published(), (draft(11, asset_count=2),)),
        Context(ages={11: OLD}, create_lost=True),
        Done(10),
    ),
    (
        "published release plus this run's own draft holding assets: deleted",
        WANT,
        Observed(published(), (draft(11, asset_count=2),)),
        Context(owned=frozenset({11})),
        Delete(11, f"leftover draft 11 of tag {TAG}"),
    ),
    (
        "fields first, debris after: a differing published release is patched before drafts go",
        WANT,
        Observed(published(name="x"), (draft(11),)),
        Context(ages={11: OLD}),
        Update(10, {"name": "Release 1"}, {"name": ("x", "Release 1")}),
    ),
    (
        "one draft, published wanted: adopt and publish it, with tag_name and publish settings",
        WANT,
        Observed(None, (draft(5),)),
        Context(),
        Update(5, {"draft": False, "tag_name": TAG, "make_latest": "legacy"}, {"draft": (True, False)}),
    ),
    (
        "several drafts: the oldest (lowest id) is the release, whatever order they were seen in",
        WANT,
        Observed(None, (draft(9), draft(5), draft(7))),
        Context(),
        Update(5, {"draft": False, "tag_name": TAG, "make_latest": "legacy"}, {"draft": (True, False)}),
    ),
    (
        "several drafts, draft wanted, oldest as asked: delete this run's own",
        WANT_DRAFT,
        Observed(None, (draft(9), draft(5))),
        Context(owned=frozenset({9}), ages={5: 0.0, 9: 0.0}),
        Delete(9, f"duplicate draft 9 of tag {TAG}"),
    ),
    (
        "several drafts, oldest as asked: another run's young duplicate is its own to delete",
        WANT_DRAFT,
        Observed(None, (draft(9), draft(5))),
        Context(ages={5: 0.0, 9: YOUNG}),
        Done(5),
    ),
    (
        "several drafts, oldest as asked: an old empty duplicate is deleted by whoever sees it",
        WANT_DRAFT,
        Observed(None, (draft(9), draft(5))),
        Context(ages={5: 0.0, 9: OLD}),
        Delete(9, f"duplicate draft 9 of tag {TAG}"),
    ),
    (
        "several drafts: this run's own duplicate goes even when it holds assets (only its own)",
        WANT_DRAFT,
        Observed(None, (draft(5), draft(9, asset_count=1))),
        Context(owned=frozenset({9})),
        Delete(9, f"duplicate draft 9 of tag {TAG}"),
    ),
    (
        "several drafts: this run's own is the oldest, so it stays; the others are their runs' to delete",
        WANT_DRAFT,
        Observed(None, (draft(9), draft(5))),
        Context(owned=frozenset({5})),
        Done(5),
    ),
    (
        "draft wanted and a single draft as asked: done",
        WANT_DRAFT,
        Observed(None, (draft(5),)),
        Context(),
        Done(5),
    ),
    (
        "a draft update always carries tag_name, or GitHub resets it to untagged-…",
        Desired(tag=TAG, body="new", draft=True),
        Observed(None, (draft(5),)),
        Context(),
        Update(5, {"body": "new", "tag_name": TAG}, {"body": ("notes", "new")}),
    ),
    (
        "a draft whose tag was reset to untagged-… gets its tag back",
        WANT_DRAFT,
        Observed(None, (draft(5, tag_name="untagged-0123456789abcdef0123"),)),
        Context(),
        Update(5, {"tag_name": TAG}, {"tag_name": ("untagged-0123456789abcdef0123", TAG)}),
    ),
    (
        "a draft's target_commitish is moved to the built commit before its tag is created",
        WANT_DRAFT,
        Observed(None, (draft(5, target_commitish="main"),)),
        Context(),
        Update(5, {"target_commitish": "abc123", "tag_name": TAG}, {"target_commitish": ("main", "abc123")}),
    ),
    (
        "publishing a draft sends the discussion category",
        Desired(tag=TAG, discussion_category="News"),
        Observed(None, (draft(5, name=TAG, body=""),)),
        Context(),
        Update(
            5,
            {"draft": False, "tag_name": TAG, "make_latest": "legacy", "discussion_category_name": "News"},
            {"draft": (True, False)},
        ),
    ),
    (
        "another run's draft with assets is never deleted, even when not the oldest, nor old",
        WANT_DRAFT,
        Observed(None, (draft(5), draft(6, asset_count=1))),
        Context(ages={6: OLD}),
        Done(5),
    ),
    (
        "a draft found after the pause is adopted: no draft of this run's own",
        WANT_DRAFT,
        Observed(None, (draft(5),)),
        STAGGERED,
        Done(5),
    ),
    (
        "published wanted: no pause, GitHub's lock decides between creates",
        WANT,
        Observed(),
        Context(staggered=False),
        CREATE_WANT,
    ),
    (
        "this run created a release it cannot see yet: wait, never create a second one",
        WANT,
        Observed(),
        Context(owned=frozenset({42}), age_of_own_create=1.0),
        Wait("the release this run created is not visible yet (read lag)"),
    ),
    (
        "this run's release is still absent long after the lag window: it was deleted, create again",
        WANT,
        Observed(),
        Context(owned=frozenset({42}), age_of_own_create=LAG_WINDOW + 1),
        CREATE_WANT,
    ),
    (
        "this run's draft is not visible yet: wait for it rather than pause to make another",
        WANT_DRAFT,
        Observed(),
        Context(owned=frozenset({42}), age_of_own_create=1.0),
        Wait("the release this run created is not visible yet (read lag)"),
    ),
    # -- read lag longer than the settle: what a list shows, and what it leaves out -----------
    (
        "this run's new draft seen by id but in no list yet: wait, an older draft may be hidden with it",
        WANT_DRAFT,
        Observed(None, (draft(9),)),
        Context(owned=frozenset({9}), age_of_own_create=2.0, unlisted=frozenset({9})),
        Wait(NOT_LISTED),
    ),
    (
        "this run's draft once a list has shown it: the list showed every older draft too, so it is the oldest",
        WANT_DRAFT,
        Observed(None, (draft(9),)),
        Context(owned=frozenset({9}), age_of_own_create=2.0),
        Done(9),
    ),
    (
        "this run's unlisted draft is not published either: it waits before an update too",
        WANT,
        Observed(None, (draft(9),)),
        Context(owned=frozenset({9}), age_of_own_create=2.0, unlisted=frozenset({9})),
        Wait(NOT_LISTED),
    ),
    (
        "an older draft is visible beside this run's unlisted one: adopt it, delete this run's",
        WANT_DRAFT,
        Observed(None, (draft(5), draft(9))),
        Context(owned=frozenset({9}), age_of_own_create=2.0, unlisted=frozenset({9})),
        Delete(9, f"duplicate draft 9 of tag {TAG}"),
    ),
    (
        "this run's draft still in no list after the lag window: no older draft can be hidden that long",
        WANT_DRAFT,
        Observed(None, (draft(9),)),
        Context(owned=frozenset({9}), age_of_own_create=LAG_WINDOW + 1, unlisted=frozenset({9})),
        Done(9),
    ),
    (
        "if_exists fail, held: a run keeps to its own draft anyway, no wait for the list",
        HELD_FAIL,
        Observed(None, (draft(9),)),
        Context(owned=frozenset({9}), age_of_own_create=2.0, unlisted=frozenset({9})),
        Done(9),
    ),
    (
        "nothing visible, but this run took on another run's release moments ago: read lag, never create",
        WANT,
        Observed(),
        Context(age_of_adoption=2.0),
        Wait(ADOPTED_HIDDEN),
    ),
    (
        "nothing visible, a draft wanted, a release taken on moments ago: wait, no pause to make one",
        WANT_DRAFT,
        Observed(),
        Context(age_of_adoption=2.0),
        Wait(ADOPTED_HIDDEN),
    ),
    (
        "the release this run took on is still absent long after the lag window: it was deleted, create",
        WANT,
        Observed(),
        Context(age_of_adoption=LAG_WINDOW + 1),
        CREATE_WANT,
    ),
    (
        "a release taken on does not hold back the one that is visible",
        WANT,
        Observed(published()),
        Context(age_of_adoption=2.0),
        Done(10),
    ),
    (
        "this run's own draft is hidden while another's older one shows: look again before ending, not to leave it",
        WANT_DRAFT,
        Observed(None, (draft(5),)),
        Context(owned=frozenset({9}), age_of_own_create=2.0, hidden=frozenset({9})),
        Wait(OWN_HIDDEN),
    ),
    (
        "the published release as asked, this run's draft hidden: look again before ending",
        WANT,
        Observed(published()),
        Context(owned=frozenset({9}), age_of_own_create=2.0, hidden=frozenset({9})),
        Wait(OWN_HIDDEN),
    ),
    (
        "if_exists skip: this run's hidden draft is found and deleted before the skip",
        WANT_SKIP,
        Observed(published()),
        Context(owned=frozenset({9}), age_of_own_create=2.0, hidden=frozenset({9})),
        Wait(OWN_HIDDEN),
    ),
    (
        "this run's draft still hidden after the lag window: another writer deleted it, the run ends",
        WANT_DRAFT,
        Observed(None, (draft(5),)),
        Context(owned=frozenset({9}), age_of_own_create=LAG_WINDOW + 1, hidden=frozenset({9})),
        Done(5),
    ),
    (
        "a create was refused as already_exists but nothing is visible: wait for the winner",
        WANT,
        Observed(),
        Context(conflict_seen=True),
        Wait("GitHub says the tag has a published release, but reads do not show it yet"),
    ),
    (
        "after a conflict, a visible draft is not published over the invisible winner",
        WANT,
        Observed(None, (draft(5),)),
        Context(conflict_seen=True),
        Wait("GitHub says the tag has a published release, but reads do not show it yet"),
    ),
    (
        "a conflict does not matter once the published release is visible",
        WANT,
        Observed(published()),
        Context(conflict_seen=True),
        Done(10),
    ),
    # -- if_exists: a published release this run did not make -----------------------------
    (
        "if_exists fail: a published release someone else made is refused, nothing written to it",
        WANT_FAIL,
        Observed(published(body="old")),
        Context(),
        Refuse(10),
    ),
    (
        "if_exists skip: a published release someone else made is skipped, however it differs",
        WANT_SKIP,
        Observed(published(body="old", name="other")),
        Context(),
        Skip(10),
    ),
    (
        "if_exists fail: the release this run created is no release that already exists",
        WANT_FAIL,
        Observed(published(body="old")),
        Context(owned=frozenset({10})),
        Update(10, {"body": "notes"}, {"body": ("old", "notes")}),
    ),
    (
        "if_exists fail: nor is a draft this run published",
        WANT_FAIL,
        Observed(published()),
        Context(published=frozenset({10})),
        Done(10),
    ),
    (
        "if_exists fail: this run's own draft goes first, assets and all: the loser leaves nothing behind",
        WANT_FAIL,
        Observed(published(), (draft(11, asset_count=2),)),
        Context(owned=frozenset({11})),
        Delete(11, f"this run's draft 11 of tag {TAG}"),
    ),
    (
        "if_exists skip: the same for a run that skips",
        WANT_SKIP,
        Observed(published(), (draft(12), draft(11, asset_count=2))),
        Context(owned=frozenset({11})),
        Delete(11, f"this run's draft 11 of tag {TAG}"),
    ),
    (
        "if_exists skip: other writers' drafts are none of its business",
        WANT_SKIP,
        Observed(published(), (draft(11),)),
        Context(),
        Skip(10),
    ),
    (
        "if_exists fail, nothing exists: create it published, GitHub's lock decides the race",
        WANT_FAIL,
        Observed(),
        Context(),
        CREATE_WANT,
    ),
    (
        "if_exists fail, a create refused and nothing visible yet: wait to see the winner",
        WANT_FAIL,
        Observed(None, (draft(11, asset_count=1),)),
        Context(owned=frozenset({11}), conflict_seen=True),
        Wait("GitHub says the tag has a published release, but reads do not show it yet"),
    ),
    (
        "if_exists fail: a draft of the tag is adopted and published",
        WANT_FAIL,
        Observed(None, (draft(5),)),
        Context(),
        Update(5, PUBLISH, {"draft": (True, False)}),
    ),
    (
        "if_exists fail, publishing: a run that made a draft publishes its own, not the oldest (the lock decides)",
        WANT_FAIL,
        Observed(None, (draft(5), draft(9))),
        Context(owned=frozenset({9})),
        Update(9, PUBLISH, {"draft": (True, False)}),
    ),
    (
        "if_exists fail, held as a draft for its assets: its own draft is the one, another run's is left alone",
        HELD_FAIL,
        Observed(None, (draft(5), draft(9))),
        Context(owned=frozenset({9})),
        Done(9),
    ),
    (
        "if_exists fail, held: of two drafts of its own, the oldest stays and the other goes",
        HELD_FAIL,
        Observed(None, (draft(5), draft(12), draft(9))),
        Context(owned=frozenset({9, 12})),
        Delete(12, f"duplicate draft 12 of tag {TAG}"),
    ),
    (
        "if_exists fail with draft: true asked: no publish to decide, so the oldest draft as ever",
        dataclasses.replace(WANT_DRAFT, if_exists="fail"),
        Observed(None, (draft(5), draft(9))),
        Context(owned=frozenset({9})),
        Delete(9, f"duplicate draft 9 of tag {TAG}"),
    ),
    (
        "if_exists update (the default), held: the oldest draft, whoever made it",
        dataclasses.replace(WANT, draft=True, held=True),
        Observed(None, (draft(5), draft(9))),
        Context(owned=frozenset({9})),
        Delete(9, f"duplicate draft 9 of tag {TAG}"),
    ),
    (
        "if_exists update, held, nothing exists: pause before the draft, so racing runs share one",
        dataclasses.replace(WANT, draft=True, held=True),
        Observed(),
        Context(),
        Wait(STAGGER, spread=STAGGER_SECONDS),
    ),
    (
        "if_exists fail, held, nothing exists: no pause, each racing run publishes a draft of its own",
        HELD_FAIL,
        Observed(),
        Context(),
        Create({**CREATE_WANT.payload, "draft": True}),
    ),
]


@pytest.mark.parametrize(("rule", "desired", "observed", "context", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_decide(rule: str, desired: Desired, observed: Observed, context: Context, expected) -> None:
    assert decide(desired, observed, context) == expected


def test_every_run_that_sees_the_same_drafts_picks_the_same_release() -> None:
    drafts = [draft(i) for i in (31, 7, 19, 12)]
    orders = (drafts, drafts[::-1], sorted(drafts, key=lambda d: str(d.id)))
    steps = [decide(WANT, Observed(None, tuple(order)), Context()) for order in orders]
    assert all(step == steps[0] for step in steps)
    assert steps[0].release_id == 7


def test_decide_never_asks_to_turn_a_published_release_into_a_draft() -> None:
    for release in (published(), published(body="x", name="y", prerelease=True)):
        step = decide(WANT_DRAFT, Observed(release), Context())
        assert not (isinstance(step, Update) and step.payload.get("draft") is True)


def test_release_from_github_json_counts_assets_and_reads_the_fields() -> None:
    data = {
        "id": 3,
        "tag_name": TAG,
        "draft": True,
        "prerelease": True,
        "name": None,
        "body": None,
        "target_commitish": "main",
        "assets": [{"id": 1}, {"id": 2}],
    }
    assert Release.from_json(data) == Release(3, TAG, True, True, None, None, "main", 2)


# -- plan: the dry run's whole sequence, by applying each step to what was seen -------------


def test_plan_adopts_the_oldest_draft_then_deletes_the_left_over_duplicates() -> None:
    observed = Observed(None, (draft(9), draft(5), draft(7, asset_count=1), draft(8)))
    steps = plan(WANT, observed, Context(ages={9: OLD, 7: OLD, 8: YOUNG}))
    assert steps == [
        Update(5, {"draft": False, "tag_name": TAG, "make_latest": "legacy"}, {"draft": (True, False)}),
        Delete(9, f"leftover draft 9 of tag {TAG}"),
        Done(5),
    ]


def test_plan_of_a_fresh_draft_is_one_create_without_the_pause() -> None:
    steps = plan(WANT_DRAFT, Observed())
    assert [type(s) for s in steps] == [Create, Done]


def test_plan_of_a_fresh_tag_is_one_create() -> None:
    steps = plan(WANT, Observed())
    assert [type(s) for s in steps] == [Create, Done]
    assert steps[-1] == Done(NEW_ID)


def test_plan_of_a_release_as_asked_is_nothing() -> None:
    assert plan(WANT, Observed(published())) == [Done(10)]


def test_plan_stops_at_a_wait_it_cannot_see_past() -> None:
    steps = plan(WANT, Observed(), Context(conflict_seen=True))
    assert steps == [Wait("GitHub says the tag has a published release, but reads do not show it yet")]


def test_apply_publishing_a_draft_makes_it_the_published_release() -> None:
    step = Update(5, {"draft": False, "tag_name": TAG, "body": "new"}, {})
    after = apply(step, Observed(None, (draft(5), draft(6))))
    assert after.published == draft(5, body="new").__class__(5, TAG, False, False, "Release 1", "new", "abc123")
    assert after.drafts == (draft(6),)


def test_plan_of_if_exists_skip_on_a_published_release_is_the_skip_alone() -> None:
    assert plan(WANT_SKIP, Observed(published(body="old"))) == [Skip(10)]


def test_plan_of_if_exists_fail_deletes_the_runs_own_draft_then_refuses() -> None:
    steps = plan(WANT_FAIL, Observed(published(), (draft(11, asset_count=1),)), Context(owned=frozenset({11})))
    assert steps == [Delete(11, f"this run's draft 11 of tag {TAG}"), Refuse(10)]


@pytest.mark.parametrize("mode", ["skip", "fail"])
def test_under_skip_and_fail_no_step_ever_writes_to_a_published_release_the_run_did_not_make(mode) -> None:
    want = dataclasses.replace(WANT, if_exists=mode)
    for release in (published(), published(body="x", name="y", prerelease=True)):
        for drafts in ((), (draft(11),), (draft(11, asset_count=1), draft(12))):
            for owned in (frozenset(), frozenset({11}), frozenset({11, 12})):
                step = decide(want, Observed(release, drafts), Context(owned=owned))
                assert not isinstance(step, Update | Create | Done), (release, drafts, owned, step)
                if isinstance(step, Delete):
                    assert step.release_id in owned


def test_notes_that_would_make_the_body_too_long_are_no_step_but_an_error() -> None:
    body = "x" * (MAX_BODY - 5)
    with pytest.raises(TooLong) as caught:
        decide(APPEND, Observed(published(name=TAG, body=body)), Context())
    assert caught.value.length == MAX_BODY - 5 + 2 + len("linux: ok")


def test_plan_of_an_append_is_one_update_then_done() -> None:
    steps = plan(APPEND, Observed(published(name=TAG, body="Intro")))
    assert steps == [Update(10, {"body": "Intro\n\nlinux: ok"}, {"body": ("Intro", "Intro\n\nlinux: ok")}), Done(10)]
