"""Specification of the local-file rules (release_action.local_files) that keep the runner's secrets unread.

The workspace and RUNNER_TEMP are where the runner and actions/checkout keep the job token
(`.git/config`, `git-credentials-<uuid>.config`, the event payload). Tables first (names),
then the rules on a real tree: a workspace, a RUNNER_TEMP beside it, and a place outside both.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from release_action import local_files
from release_action.local_files import Refused, is_git_name, links_on, resolve_inside, roots_of, runner_file

GUID = str(uuid.UUID(int=0x0B0E2C4A_1111_4222_8333_944445555666))


@pytest.mark.parametrize(
    "name",
    [
        ".git",
        ".GIT",
        ".Git",
        ".git.",
        ".git ",
        ".git. .",
        ".git::$INDEX_ALLOCATION",
        ".g\u200cit",
        "\ufeff.git",
        "GIT~1",
    ],
)
def test_every_spelling_of_dot_git_is_git(name):
    assert is_git_name(name)


@pytest.mark.parametrize(
    "name", ["git", ".github", ".gitignore", ".git-blame-ignore-revs", "x.git", "repo.git", "git~2"]
)
def test_names_that_only_look_alike_are_not_git(name):
    assert not is_git_name(name)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("_runner_file_commands", "`_`"),  # actions/runner FileCommandManager.cs
        ("_github_workflow", "`_`"),  # ExecutionContext.cs: event.json
        ("_github_home", "`_`"),  # ContainerActionHandler.cs
        ("_runner_hook_responses", "`_`"),  # ContainerHookManager.cs
        (f".docker_{GUID}", "GUID"),  # ContainerOperationProvider.cs: registry credentials
        (f"{GUID}.sh", "GUID"),  # ScriptHandler.cs: a `run:` script, expressions expanded
        (f"{GUID.upper()}.PS1", "GUID"),
        (f"dap_repl_{GUID}.cmd", "GUID"),  # DapReplExecutor.cs
        ("release-support", "diagnostic"),  # DiagnosticLogManager.cs
        (f"git-credentials-{GUID}.config", "git-credentials"),  # actions/checkout git-auth-helper.ts
        ("Git-Credentials-anything.config", "git-credentials"),
        (GUID, "GUID"),  # checkout's temporary HOME, or its ssh key
        (f"{GUID}_known_hosts", "GUID"),
    ],
)
def test_what_the_runner_and_checkout_make_in_runner_temp_is_theirs(name, says):
    why = runner_file(name)
    assert why is not None and says in why


@pytest.mark.parametrize("name", ["notes.md", "dist", "my_notes.md", "release-notes", "support", "0b0e2c4a.txt"])
def test_what_a_step_makes_in_runner_temp_is_the_users(name):
    assert runner_file(name) is None


# -- the rules on a real tree ------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    base = tmp_path.resolve()
    ws, temp, outside = base / "ws", base / "_temp", base / "outside"
    for directory in (ws / "docs", ws / ".git", temp / "_github_workflow", temp / "mine", outside):
        directory.mkdir(parents=True)
    (ws / "docs" / "notes.md").write_text("notes")
    (ws / ".git" / "config").write_text("[http]\n\textraheader = AUTHORIZATION: basic secret\n")
    (temp / "notes.md").write_text("made by a step")
    (temp / "mine" / "built.bin").write_text("built by a step")
    (temp / "_github_workflow" / "event.json").write_text("{}")
    (temp / f"git-credentials-{GUID}.config").write_text("secret")
    (outside / "secret.txt").write_text("secret")
    return {"ws": ws, "temp": temp, "outside": outside}


def roots(tree: dict[str, Path]) -> tuple[Path, ...]:
    return roots_of({"RUNNER_TEMP": str(tree["temp"])}, tree["ws"])


def refusal(tree: dict[str, Path], path: Path | str) -> str:
    with pytest.raises(Refused) as caught:
        resolve_inside(path, roots(tree))
    return str(caught.value)


def test_files_inside_either_root_and_symlinks_within_one_root_are_read(tree):
    ws, temp = tree["ws"], tree["temp"]
    (ws / "current.md").symlink_to("docs/notes.md")
    (temp / "latest.bin").symlink_to("mine/built.bin")
    (temp / "mine-too").symlink_to(temp / "mine", target_is_directory=True)
    assert resolve_inside(ws / "current.md", roots(tree)) == ws / "docs" / "notes.md"
    assert resolve_inside(temp / "notes.md", roots(tree)) == temp / "notes.md"
    assert resolve_inside(temp / "latest.bin", roots(tree)) == temp / "mine" / "built.bin"
    assert resolve_inside(temp / "mine-too" / "built.bin", roots(tree)) == temp / "mine" / "built.bin"


@pytest.mark.parametrize("as_folder", [False, True], ids=["file", "folder"])
def test_a_symlink_in_the_workspace_never_leads_into_runner_temp(tree, as_folder):
    ws, temp = tree["ws"], tree["temp"]
    if as_folder:
        (ws / "rt").symlink_to(temp, target_is_directory=True)
        path = ws / "rt" / "notes.md"  # a file a step made, yet reached through the workspace
    else:
        (ws / "notes.md").symlink_to(temp / "notes.md")
        path = ws / "notes.md"
    message = refusal(tree, path)
    assert f"passes through the symlink {str(path if not as_folder else ws / 'rt')!r} in the workspace" in message
    assert "leads into RUNNER_TEMP" in message
    assert "may lead only to somewhere inside the workspace" in message


def test_a_symlink_in_runner_temp_never_leads_into_the_workspace(tree):
    (tree["temp"] / "ws.md").symlink_to(tree["ws"] / "docs" / "notes.md")
    assert "a symlink in RUNNER_TEMP may lead only to somewhere inside RUNNER_TEMP" in refusal(
        tree, tree["temp"] / "ws.md"
    )


def test_dot_dot_after_a_symlink_climbs_from_its_target_as_the_system_does(tree):
    ws, temp = tree["ws"], tree["temp"]
    (ws / "link").symlink_to(temp / "mine", target_is_directory=True)
    # By its spelling ws/link/../notes.md is ws/notes.md; the system reads temp/notes.md.
    assert "leads into RUNNER_TEMP" in refusal(tree, f"{ws}/link/../notes.md")


def test_a_chain_that_leaves_and_comes_back_is_judged_by_where_it_ends(tree):
    ws, outside = tree["ws"], tree["outside"]
    (outside / "hop.md").symlink_to(ws / "docs" / "notes.md")
    (ws / "via.md").symlink_to(outside / "hop.md")
    assert resolve_inside(ws / "via.md", roots(tree)) == ws / "docs" / "notes.md"


def test_a_symlink_outside_the_roots_is_not_judged_so_an_aliased_workspace_works(tree, tmp_path):
    alias = tmp_path / "alias"  # as /var is /private/var on macOS
    alias.symlink_to(tree["ws"], target_is_directory=True)
    assert resolve_inside(alias / "docs" / "notes.md", roots(tree)) == tree["ws"] / "docs" / "notes.md"


def test_runner_temp_inside_the_workspace_is_still_off_limits_to_workspace_symlinks(tree):
    ws = tree["ws"]
    nested = ws / "tmp"
    nested.mkdir()
    (nested / "notes.md").write_text("made by a step")
    (ws / "n.md").symlink_to(nested / "notes.md")
    inner = roots_of({"RUNNER_TEMP": str(nested)}, ws)
    assert resolve_inside(nested / "notes.md", inner) == nested / "notes.md"
    with pytest.raises(Refused, match="leads into RUNNER_TEMP"):
        resolve_inside(ws / "n.md", inner)


def plant_git(ws: Path, kind: str) -> Path:
    if kind == "named outright":
        return ws / ".git" / "config"
    if kind == "a symlink to .git/config":
        (ws / "notes.md").symlink_to(".git/config")
        return ws / "notes.md"
    if kind == "a folder symlink to .git":
        (ws / "g").symlink_to(ws / ".git", target_is_directory=True)
        return ws / "g" / "config"
    if kind == "upper case":
        (ws / "sub" / ".GIT").mkdir(parents=True)
        (ws / "sub" / ".GIT" / "config").write_text("x")
        return ws / "sub" / ".GIT" / "config"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("named outright", "is inside a `.git` directory"),
        ("a symlink to .git/config", "leads to"),
        ("a folder symlink to .git", "leads to"),
        ("upper case", "is inside a `.git` directory"),
    ],
)
def test_nothing_under_a_git_directory_is_read(tree, kind, says):
    message = refusal(tree, plant_git(tree["ws"], kind))
    assert says in message and "`.git`" in message and "actions/checkout" in message
    assert "secret" not in message


@pytest.mark.parametrize(
    "spell",
    [
        lambda temp: temp / "_github_workflow" / "event.json",
        lambda temp: temp / f"git-credentials-{GUID}.config",
        lambda temp: (
            (temp / "mine" / "ev").symlink_to(temp / "_github_workflow", target_is_directory=True)
            or temp / "mine" / "ev" / "event.json"
        ),
    ],
    ids=["the event payload", "checkout's credentials", "through a symlink inside RUNNER_TEMP"],
)
def test_the_runners_files_in_runner_temp_are_never_read(tree, spell):
    message = refusal(tree, spell(tree["temp"]))
    assert "made in RUNNER_TEMP" in message and "only files your own steps made there are read" in message


def test_without_runner_temp_a_workspace_file_named_like_the_runners_is_the_users(tree):
    (tree["ws"] / "_github_workflow.md").write_text("mine")
    assert resolve_inside(tree["ws"] / "_github_workflow.md", roots(tree)).name == "_github_workflow.md"


def test_links_on_names_each_symlink_where_it_is_and_where_it_leads(tree):
    ws, temp = tree["ws"], tree["temp"]
    (ws / "a").symlink_to("docs", target_is_directory=True)
    (ws / "docs" / "b.md").symlink_to(temp / "notes.md")
    assert list(links_on(ws / "a" / "b.md")) == [(ws / "a", ws / "docs"), (ws / "docs" / "b.md", temp / "notes.md")]
    assert list(links_on(ws / "docs" / "notes.md")) == []


def test_read_capped_applies_the_same_rules(tree):
    (tree["ws"] / "notes.md").symlink_to(".git/config")
    with pytest.raises(Refused, match=r"`\.git`"):
        local_files.read_capped(tree["ws"] / "notes.md", roots(tree), 1000)
    assert os.path.exists(tree["ws"] / ".git" / "config")
