"""Reading a race out of the sandbox's request log (release_bench/race.py)."""

from __future__ import annotations

from release_bench.race import evidence

RUNS = ["run-0", "run-1", "run-2", "run-3"]


def log(*entries: tuple[str | None, str]) -> list[dict]:
    return [{"client": client, "route": route} for client, route in entries]


def test_runs_one_after_the_other_did_not_evidence():
    one_by_one = log(
        ("run-0", "get_release_by_tag"),
        ("run-0", "list_releases"),
        ("run-0", "create_release"),
        ("run-1", "get_release_by_tag"),
        ("run-2", "get_release_by_tag"),
        ("run-3", "get_release_by_tag"),
    )
    seen = evidence(one_by_one, RUNS)
    assert not seen.raced
    assert seen.creators == ("run-0",) and seen.interleaved == ()
    assert (
        str(seen)
        == "1 of 4 runs sent a create, 1 was in the race for it; 0 had another run's requests between their own"
    )


def test_interleaved_runs_of_which_half_created_raced():
    together = log(
        ("run-0", "get_release_by_tag"),
        ("run-1", "get_release_by_tag"),
        ("write", "list_releases"),  # not a run: ignored
        ("run-0", "create_release"),
        ("run-1", "create_release"),
        ("run-2", "get_release_by_tag"),
        ("run-3", "get_release_by_tag"),
    )
    seen = evidence(together, RUNS)
    assert seen.raced
    assert seen.creators == ("run-0", "run-1") and seen.interleaved == ("run-0", "run-1")


def test_interleaving_without_enough_creates_is_not_a_evidence():
    seen = evidence(log(("run-0", "create_release"), ("run-1", "get_release_by_tag"), ("run-0", "get_release")), RUNS)
    assert seen.interleaved == ("run-0",) and not seen.raced


def test_runs_on_an_existing_release_race_on_another_write():
    together = log(("run-0", "get_release_by_tag"), ("run-1", "get_release_by_tag"), ("run-0", "update_release"),
                   ("run-1", "update_release"))  # fmt: skip
    assert not evidence(together, RUNS[:2]).raced  # no create: by the create, no race
    seen = evidence(together, RUNS[:2], "update_release")
    assert seen.raced and seen.creators == ("run-0", "run-1")
    assert str(seen) == (
        "2 of 2 runs sent update_release, 2 were in the race for it; 2 had another run's requests between their own"
    )


def test_runs_that_looked_before_the_first_create_landed_were_in_the_race_without_sending_one():
    """The lean race: runs that saw no release, paused, then found another's draft send no create."""
    lean = log(
        ("run-0", "get_release_by_tag"),
        ("run-1", "get_release_by_tag"),
        ("run-2", "list_releases"),
        ("run-0", "create_release"),
        ("run-3", "get_release_by_tag"),  # came after the create: not in the race
        ("run-1", "list_releases"),
        ("run-2", "list_releases"),
    )
    seen = evidence(lean, RUNS)
    assert seen.creators == ("run-0",) and seen.early == ("run-0", "run-1", "run-2")
    assert seen.contenders == ("run-0", "run-1", "run-2") and seen.raced
    assert not evidence(lean[3:], RUNS).raced  # the same runs, none of them before the create
