"""Specification of what a run says it did besides its status: the releases it made that lost the race."""

from __future__ import annotations

import pytest

from release_action.engine import Engine


@pytest.mark.parametrize(
    ("owned", "deleted", "final", "history"),
    [
        ({7}, set(), 7, []),  # it created the release it ends on: its status says so
        (set(), {9}, 7, []),  # it deleted another run's leftover draft: nothing of its own lost
        ({5}, {5}, 7, ["created release 5, then deleted it: another run's release 7 won"]),
        ({5}, set(), 7, ["created release 5; another run deleted it, and release 7 won"]),
        ({5, 7}, {5}, 7, ["created release 5, then deleted it as a duplicate of release 7"]),
    ],
)
def test_a_release_this_run_made_that_is_not_the_one_it_ends_on_is_told(owned, deleted, final, history):
    engine = Engine(github=None, deadline=None)  # type: ignore[arg-type]  # the history reads only the memory
    engine.memory.owned, engine.memory.deleted = set(owned), set(deleted)
    assert engine._history(final) == history
