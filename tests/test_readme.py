"""Every workflow in the README passes actionlint as a user would copy it: a ```yaml block that is a
whole workflow as it is, a block that is a list of steps inside a minimal workflow. `uses: ./` and
`uses: ./portable` are checked against this repository's own action.yml files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.MULTILINE | re.DOTALL)
WRAPPER = """\
name: readme-steps
on:
  push:
    tags: ["v*"]
permissions:
  contents: write
jobs:
  example:
    runs-on: ubuntu-latest
    steps:
"""


def kind(text: str) -> str:
    doc = yaml.safe_load(text)
    if isinstance(doc, dict) and "jobs" in doc:
        return "workflow"
    if isinstance(doc, list) and doc and all(isinstance(s, dict) and ("uses" in s or "run" in s) for s in doc):
        return "steps"
    return "other"  # e.g. an excerpt of action.yml


def blocks() -> list[tuple[int, str, str]]:
    """(line, kind, the block as a workflow) for each ```yaml block that is a workflow or a step list."""
    found = []
    for match in BLOCK.finditer(README):
        line = README.count("\n", 0, match.start()) + 1
        text = textwrap.dedent(match.group(1))
        what = kind(text)
        if what == "workflow":
            found.append((line, what, text))
        elif what == "steps":
            found.append((line, what, WRAPPER + textwrap.indent(text, " " * 6)))
    return found


def actionlint() -> str:
    """actionlint from requirements/test.txt: beside this Python first, then on PATH."""
    for candidate in (Path(sys.executable).parent / "actionlint", Path(sys.executable).parent / "actionlint.exe"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: python -m pip install -r requirements/test.txt", pytrace=False)
    return found


def test_the_readme_shows_whole_workflows_and_step_lists():
    kinds = [what for _, what, _ in blocks()]
    # The quick start and the build matrix; the act section's steps (`uses: ./` and `./portable`).
    assert kinds.count("workflow") >= 2 and kinds.count("steps") >= 1, kinds
    assert any("uses: ./portable" in text for _, what, text in blocks() if what == "steps")


@pytest.mark.parametrize(("line", "what", "workflow"), blocks(), ids=[f"line {n} ({w})" for n, w, _ in blocks()])
def test_each_workflow_in_the_readme_passes_actionlint(tmp_path, line, what, workflow):
    # A project of its own: actionlint finds it by `.git`, and reads `uses: ./` and `uses: ./portable`
    # from the action files beside it.
    (tmp_path / ".git").mkdir()
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / "portable").mkdir()
    for name in ("action.yml", "Dockerfile", "portable/action.yml"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    path = tmp_path / ".github" / "workflows" / f"readme-{line}.yml"
    path.write_text(workflow, encoding="utf-8")

    proc = subprocess.run(
        [actionlint(), "-no-color", "-oneline", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert proc.returncode == 0, f"README.md line {line} ({what}):\n{proc.stdout}{proc.stderr}\n{workflow}"


# -- "Coming from another action": the peers' inputs and outputs, each with ours ----------------------

# What each peer's action.yml declares, in its order, at the version the README names (read from
# their repositories: softprops/action-gh-release at tag v3.0.0, commit b4309332; ncipollo/release-action
# at tag v1.21.0, commit 339a8189; neither changed its action.yml since, up to their main of July 2026).
PEERS = {
    "softprops/action-gh-release": (
        "v3.0.0",
        ["body", "body_path", "name", "tag_name", "draft", "prerelease", "preserve_order", "files",
         "working_directory", "overwrite_files", "fail_on_unmatched_files", "repository", "token",
         "target_commitish", "discussion_category_name", "generate_release_notes", "previous_tag", "append_body",
         "make_latest"],
        ["url", "id", "upload_url", "assets"],
    ),
    "ncipollo/release-action": (
        "v1.21.0",
        ["allowUpdates", "artifactErrorsFailBuild", "artifact", "artifacts", "artifactContentType", "body",
         "bodyFile", "commit", "discussionCategory", "draft", "generateReleaseNotes",
         "generateReleaseNotesPreviousTag", "immutableCreate", "makeLatest", "name", "omitBody",
         "omitBodyDuringUpdate", "omitDraftDuringUpdate", "omitName", "omitNameDuringUpdate",
         "omitPrereleaseDuringUpdate", "owner", "prerelease", "removeArtifacts", "replacesArtifacts", "repo",
         "skipIfReleaseExists", "tag", "token", "updateOnlyUnreleased"],
        ["id", "html_url", "upload_url", "tarball_url", "zipball_url", "assets"],
    ),
}  # fmt: skip
# Code in the tables that names neither input nor output: values, and a field of GitHub's assets.
VALUES = {"true", "false", "legacy", "update", "skip", "fail", "browser_download_url"}
CODE = re.compile(r"`([^`\n]+)`")
NAME = re.compile(r"([a-z][A-Za-z0-9_]*)(?:: .+)?")  # `name` or `name: value`
PEER_TABLE = re.compile(r"^\*\*(?P<peer>[\w.-]+/[\w.-]+)\*\* \((?P<version>v[\d.]+)\):\n\n(?P<table>(?:\|.*\n)+)", re.M)


def section(readme: str) -> str:
    return readme.split("\n## Coming from another action\n", 1)[1].split("\n## ", 1)[0]


def names_in(text: str) -> list[str]:
    """The input or output names the code spans of `text` hold (`notes`, `if_exists: skip`)."""
    return [match[1] for span in CODE.findall(text) if (match := NAME.fullmatch(span))]


def peer_tables(text: str) -> dict[str, tuple[str, list[tuple[str, bool, str, str]]]]:
    """peer → (version, rows): (their name, is an output, what to write here, what differs)."""
    tables = {}
    for match in PEER_TABLE.finditer(text):
        rows = []
        for line in match["table"].splitlines()[2:]:  # past the header and its rule
            theirs, here, differs = (cell.strip() for cell in line.strip().strip("|").split("|"))
            (name,) = names_in(theirs)
            rows.append((name, theirs.endswith("(output)"), here, differs))
        tables[match["peer"]] = (match["version"], rows)
    return tables


def problems(text: str, inputs: set[str], outputs: set[str]) -> list[str]:
    """Where the section names an input or output of ours that `inputs` and `outputs` (action.yml) lack."""
    found = []
    ours = inputs | outputs
    theirs = {name for _, their_inputs, their_outputs in PEERS.values() for name in their_inputs + their_outputs}
    for peer, (_, rows) in peer_tables(text).items():
        for name, output, here, _ in rows:
            if not here.startswith(("not needed: ", "not supported: ")) and not names_in(here):
                found.append(f"{peer} {name}: says neither a name of ours nor 'not needed: …' / 'not supported: …'")
            if output:  # what to read here instead: an output of ours
                found += [f"{peer} {name}: `{n}` is no output" for n in names_in(here) if n not in outputs]
            else:
                wrong = [n for n in names_in(here) if n not in inputs | VALUES]
                found += [f"{peer} {name}: `{n}` is no input" for n in wrong]
    found += [f"`{n}` is neither ours nor theirs" for n in names_in(text) if n not in ours | theirs | VALUES]
    return found


def action_names() -> tuple[set[str], set[str]]:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return set(action["inputs"]), set(action["outputs"])


def test_coming_from_another_action_has_one_table_per_peer_listing_all_their_inputs_and_outputs():
    tables = peer_tables(section(README))
    assert list(tables) == list(PEERS)
    for peer, (version, their_inputs, their_outputs) in PEERS.items():
        listed_version, rows = tables[peer]
        assert listed_version == version, peer
        assert [name for name, output, _, _ in rows if not output] == their_inputs, peer
        assert [name for name, output, _, _ in rows if output] == their_outputs, peer


def test_every_input_and_output_of_ours_the_tables_name_is_one_action_yml_declares():
    inputs, outputs = action_names()
    assert problems(section(README), inputs, outputs) == []


def test_a_renamed_input_or_output_of_ours_makes_the_tables_wrong():
    inputs, outputs = action_names()
    assert "softprops/action-gh-release body_path: `notes_file` is no input" in problems(
        section(README), inputs - {"notes_file"} | {"notes_path"}, outputs
    )
    assert "ncipollo/release-action tarball_url: `tarball_url` is no output" in problems(
        section(README), inputs, outputs - {"tarball_url"}
    )
    assert "`if_exists` is neither ours nor theirs" in problems(section(README), inputs - {"if_exists"}, outputs)


# -- "Development": the layout names every module there is -------------------------------------------


def development(readme: str) -> str:
    return readme.split("\n## Development\n", 1)[1].split("\n## ", 1)[0]


def unlisted_modules(text: str) -> list[str]:
    """The modules of release_action/ and release_bench/ (sandbox/ included) that `text` does not name.

    A sandbox module counts as named only in the bullet that lists `sandbox/`, since several of its
    names (cli.py, core.py) are also names of the other packages' modules."""
    sandbox = re.search(r"^- `sandbox/`.*?(?=^- |\Z)", text, re.M | re.S)
    missing = []
    for path in sorted((ROOT / "release_action").glob("*.py")) + sorted((ROOT / "release_bench").rglob("*.py")):
        if path.name == "__init__.py":
            continue
        where = sandbox[0] if sandbox and path.parent.name == "sandbox" else text
        if f"`{path.name}`" not in where:
            missing.append(str(path.relative_to(ROOT)))
    return missing


def test_the_development_section_names_every_module_of_both_packages():
    assert unlisted_modules(development(README)) == []


def test_a_module_the_development_section_leaves_out_is_found():
    text = development(README)
    assert unlisted_modules(text.replace("`token_guard.py`", "")) == ["release_action/token_guard.py"]
    assert unlisted_modules(text.replace("`views.py`", "")) == ["release_bench/sandbox/views.py"]
