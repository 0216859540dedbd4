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
