"""The engine with appended and sectioned notes, against a scripted GitHub on a fake clock.

Another writer is a hook that runs right after each of this run's writes: it drops our notes
(writing from an older body, as a racing run does), adds its own, or reverts the body. The
clock moves only by the round trips the fake charges and the waits the engine asks for, so the
waits themselves are checked, and nothing really sleeps.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

import pytest

from release_action.budget import Deadline
from release_action.decide import Desired
from release_action.engine import MAX_REPAIRS, NOTES_LAG_FLOOR, PROCESS_MARGIN, ConvergeError, Engine
from release_action.notes import PLACE_APPEND, begin_marker, end_marker, in_section
from release_action.wording import Mode
from release_bench.harness import FakeClock

TAG = "v1.0.0"
HALF_TRIP = 0.1  # each request's time, as the fake charges it


class ScriptedGitHub:
    """One published release, reads without lag, and `others` writing after each of our writes."""

    repository = "octo/demo"

    def __init__(self, clock: FakeClock, body: str) -> None:
        self.clock = clock
        self.release = {"id": 7, "tag_name": TAG, "draft": False, "prerelease": False, "name": TAG,
                        "body": body, "assets": [], "updated_at": self._stamp()}  # fmt: skip
        self.others: list[Callable[[str], str]] = []  # body after our write → the body another writer leaves
        self.patches: list[str] = []
        self.generated = 0
        self.read_delay = HALF_TRIP  # how long a read takes to answer

    def _stamp(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock.wall()))

    def _request(self) -> dict:
        self.clock.sleep(self.read_delay)
        return copy.deepcopy(self.release)

    def get_release_by_tag(self, tag: str) -> dict | None:
        return self._request() if tag == TAG else None

    def get_release(self, release_id: int) -> dict | None:
        return self._request()

    def iter_releases(self):
        yield self._request()

    def server_now(self) -> float:
        return self.clock.wall()

    def generate_notes(self, tag: str, target: str | None, previous: str | None) -> dict:
        self.generated += 1
        self.clock.sleep(HALF_TRIP)
        return {"name": tag, "body": "## What's Changed\n* a change"}

    def update_release(self, release_id: int, payload: dict) -> dict:
        self.clock.sleep(HALF_TRIP)
        self.release.update(payload, updated_at=self._stamp())
        self.patches.append(payload["body"])
        ours = copy.deepcopy(self.release)
        if self.others:
            other = self.others.pop(0)
            self.clock.now += 1.0  # the other writer lands a second later (a later updated_at)
            self.release.update(body=other(payload["body"]), updated_at=self._stamp())
        return ours


def engine_on(body: str) -> tuple[Engine, ScriptedGitHub, FakeClock, list[str]]:
    clock = FakeClock()
    github = ScriptedGitHub(clock, body)
    log: list[str] = []
    engine = Engine(github, deadline=Deadline(300, clock=clock.clock, sleep=clock.sleep), log=log.append)  # type: ignore[arg-type]
    return engine, github, clock, log


def test_a_write_of_appended_notes_is_read_back_and_outlasts_writes_from_older_bodies():
    engine, github, clock, _ = engine_on("Intro")

    result = engine.converge(Desired(tag=TAG, body="mine", placement=PLACE_APPEND))

    assert result.release["body"] == "Intro\n\nmine" and result.status == "updated"
    assert github.patches == ["Intro\n\nmine"]
    # Read back: the time from sending the write to the read's answer is the lag measured, but no
    # less than NOTES_LAG_FLOOR is waited out (a later read may be staler than this one). Then two
    # round trips (each as long as the write's) and the margin.
    lag, round_trip = max(2 * HALF_TRIP, NOTES_LAG_FLOOR), HALF_TRIP
    assert clock.sleeps[-2] == pytest.approx(lag + 2 * round_trip + PROCESS_MARGIN)


def test_a_lag_measured_longer_than_the_floor_is_waited_out_whole():
    engine, github, clock, _ = engine_on("Intro")
    github.read_delay = NOTES_LAG_FLOOR + 1.0  # every read answers that late: the lag measured is longer

    engine.converge(Desired(tag=TAG, body="mine", placement=PLACE_APPEND))

    assert clock.sleeps[-2] == pytest.approx(HALF_TRIP + NOTES_LAG_FLOOR + 1.0 + 2 * HALF_TRIP + PROCESS_MARGIN)


def test_notes_another_run_dropped_are_written_again_after_a_jittered_wait():
    engine, github, clock, log = engine_on("Intro")
    github.others = [lambda _ours: "Intro\n\ntheirs"]  # a run that read "Intro" before our write landed

    result = engine.converge(Desired(tag=TAG, body="mine", placement=PLACE_APPEND))

    assert result.release["body"] == "Intro\n\ntheirs\n\nmine"
    assert github.patches == ["Intro\n\nmine", "Intro\n\ntheirs\n\nmine"]
    assert any("dropped by another run's write" in line for line in log), log
    backoff = [s for s in clock.sleeps if s not in (HALF_TRIP, 1.0)]
    assert 0.25 <= backoff[0] <= 2.25, clock.sleeps  # jittered below 2 s, plus the floor
    assert result.warnings == []


def test_runs_that_keep_adding_their_own_notes_never_make_this_run_give_up():
    """Appends commute: ten drops by ten other runs, each adding its notes, are no fight."""
    engine, github, _, _ = engine_on("Intro")
    github.others = [lambda ours, i=i: ours.replace("\n\nmine", "") + f"\n\nrun {i}" for i in range(10)]

    result = engine.converge(Desired(tag=TAG, body="mine", placement=PLACE_APPEND))

    assert len(github.patches) == 11 > MAX_REPAIRS + 1
    body = result.release["body"]
    assert body.endswith("\n\nmine") and all(body.count(f"run {i}") == 1 for i in range(10)), body
    assert result.warnings == []


def test_a_writer_that_reverts_the_body_is_a_fight_bounded_like_any_other():
    engine, github, _, _ = engine_on("Intro")
    github.others = [lambda _ours: "Intro"] * 20  # back to exactly the body we wrote onto

    result = engine.converge(Desired(tag=TAG, body="mine", placement=PLACE_APPEND))

    assert len(github.patches) == MAX_REPAIRS + 1
    assert result.release["body"] == "Intro"
    assert result.warnings == [
        f"Another writer keeps changing the notes of release 7; after {MAX_REPAIRS} repairs the last writer "
        "wins: this run's notes (append) are not in the body."
    ]


def test_another_text_in_this_runs_section_is_a_fight_bounded_like_any_other():
    section = f"{begin_marker('linux')}\n{{}}\n{end_marker('linux')}"
    engine, github, _, _ = engine_on("Intro")
    github.others = [lambda _ours: "Intro\n\n" + section.format("theirs")] * 20

    result = engine.converge(Desired(tag=TAG, body="mine", placement=in_section("linux")))

    assert len(github.patches) == MAX_REPAIRS + 1
    assert "the last writer wins" in result.warnings[0]


def test_sections_of_other_names_added_by_others_are_no_fight():
    engine, github, _, _ = engine_on("Intro")
    github.others = [
        lambda _ours, i=i: (
            "Intro" + "".join(f"\n\n{begin_marker(f'os{j}')}\nx\n{end_marker(f'os{j}')}" for j in range(i))
        )
        for i in range(1, 8)
    ]

    result = engine.converge(Desired(tag=TAG, body="mine", placement=in_section("linux")))

    assert len(github.patches) == 8 and result.warnings == []
    assert result.release["body"].count(begin_marker("linux")) == 1


def test_generated_notes_are_asked_for_once_and_added_on_their_own():
    engine, github, _, _ = engine_on("Intro\n\n## What's Changed\n* a change")
    desired = Desired(tag=TAG, body="mine", placement=PLACE_APPEND, generate_notes=True)

    first = engine.converge(desired)
    engine.converge(desired)  # a second pass of the same run (as with assets): no second request

    assert github.generated == 1
    assert first.release["body"] == "Intro\n\n## What's Changed\n* a change\n\nmine"


def test_generated_notes_with_a_marker_line_end_the_run_naming_the_input_as_the_user_set_it():
    engine, github, _, _ = engine_on("Intro")
    github.generate_notes = lambda tag, target, previous: {"body": f"x\n{end_marker('linux')}"}

    with pytest.raises(ConvergeError) as caught:
        engine.converge(Desired(tag=TAG, body="mine", placement=PLACE_APPEND, generate_notes=True))

    (in_workflow,) = caught.value.messages(Mode.ACTION)
    (at_terminal,) = caught.value.messages(Mode.COMMAND)
    assert repr(end_marker("linux")) in in_workflow and "Set `generate_notes: false`" in in_workflow
    assert "Set --no-generate-notes" in at_terminal and "generate_notes" not in at_terminal
    assert github.patches == []
