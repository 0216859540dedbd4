"""The action and the simulator each know GitHub's rules on their own, on purpose; here they must agree.

The simulator never imports the action (it would then agree with any mistake the action makes),
so the facts both hold (the body limit, `make_latest`'s values, git's ref-name rules, the asset
renaming rule in tests/test_asset_files.py) are written twice and held equal here.
"""

from __future__ import annotations

import pytest

from release_action.inputs import MAKE_LATEST, MAX_BODY, ref_problem
from release_bench.sandbox import state


def test_the_body_limit_is_the_one_the_simulator_enforces():
    assert MAX_BODY == state.MAX_BODY == 125_000


def test_make_latest_takes_the_values_the_simulator_accepts():
    assert set(MAKE_LATEST) == set(state.MAKE_LATEST)


REF_NAMES = [
    "v1", "v1.0.0-rc.1", "rel/1", "a@b", "ü", "refs/tags/v1",
    "", "a..b", "a.lock", "@", "a@{b", "a b", "a~", "a^", "a:b", "a?", "a*", "a[", "a\\b",
    ".a", "a/.b", "a.", "/a", "a/", "a//b", "a\x7f",
]  # fmt: skip


@pytest.mark.parametrize("name", REF_NAMES)
def test_a_tag_name_the_action_accepts_is_one_github_accepts_and_the_reverse(name):
    assert (ref_problem(name) is None) == state.valid_ref_name(name)


def test_the_action_alone_also_refuses_a_leading_dash_which_git_tag_refuses():
    """GitHub's API would store `-x`; `git tag -x` cannot make it, so the action refuses it first."""
    assert ref_problem("-x") is not None and state.valid_ref_name("-x")
