"""Specification of the public contract: action.yml and the code agree on inputs and outputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from release_action.inputs import INPUTS
from release_action.report import Outcome, Requests, outputs_of

ROOT = Path(__file__).resolve().parent.parent
ACTION_YML = ROOT / "action.yml"

# The names issue 2 fixes as the public contract: users' workflows depend on them.
CONTRACT_INPUTS = {
    "tag",
    "name",
    "notes",
    "notes_file",
    "generate_notes",
    "previous_tag",
    "draft",
    "prerelease",
    "make_latest",
    "target_commitish",
    "discussion_category",
    "token",
    "repository",
    "api_url",
    "dry_run",
    "timeout_seconds",
}
CONTRACT_OUTPUTS = {"id", "html_url", "upload_url", "tag", "status", "draft", "prerelease"}


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load(ACTION_YML.read_text(encoding="utf-8"))


def code_outputs() -> set[str]:
    release = {"id": 1, "html_url": "h", "upload_url": "u", "draft": False, "prerelease": False}
    return set(outputs_of(Outcome(release, "created"), "v1", Requests(4, 1)))


def test_action_yml_declares_exactly_the_inputs_the_code_reads(action):
    assert set(action["inputs"]) == set(INPUTS)


def test_action_yml_defaults_are_the_codes_defaults(action):
    declared = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    assert declared == {name: spec.default for name, spec in INPUTS.items()}


def test_the_contracts_inputs_and_outputs_are_all_there(action):
    assert set(action["inputs"]) >= CONTRACT_INPUTS
    assert set(action["outputs"]) >= CONTRACT_OUTPUTS


def test_input_names_are_snake_case_so_no_hyphen_reaches_the_environment(action):
    assert all(name == name.lower() and "-" not in name for name in action["inputs"])


def test_every_input_is_optional_and_described(action):
    for name, spec in action["inputs"].items():
        assert spec.get("required", False) is False, name
        assert str(spec.get("description", "")).strip(), name


def test_the_outputs_the_code_writes_are_exactly_action_ymls_outputs(action):
    assert code_outputs() == set(action["outputs"])


def test_every_output_is_described(action):
    assert all(str(spec.get("description", "")).strip() for spec in action["outputs"].values())


def test_outputs_are_strings_with_lowercase_booleans():
    release = {"id": 5, "html_url": "h", "upload_url": "u", "draft": True, "prerelease": False}
    outputs = outputs_of(Outcome(release, "updated"), "v1", Requests(3, 1))
    assert all(isinstance(v, str) for v in outputs.values())
    assert (outputs["id"], outputs["draft"], outputs["prerelease"], outputs["status"]) == (
        "5",
        "true",
        "false",
        "updated",
    )


def test_the_requests_output_is_json_with_the_total_and_the_writes():
    release = {"id": 5, "html_url": "h", "upload_url": "u", "draft": False, "prerelease": False}
    outputs = outputs_of(Outcome(release, "unchanged"), "v1", Requests(7, 2))
    assert json.loads(outputs["requests"]) == {"total": 7, "writes": 2}


def test_the_action_runs_the_dockerfile_and_is_marketplace_ready(action):
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    for key in ("name", "description", "author"):
        assert str(action.get(key, "")).strip(), key
    assert {"icon", "color"} <= set(action.get("branding", {}))


def test_action_yml_validates_against_the_action_metadata_schema():
    exe = shutil.which("check-jsonschema")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("check-jsonschema (a test dependency) is missing in CI")
        pytest.skip("check-jsonschema is not installed")
    result = subprocess.run(
        [exe, "--builtin-schema", "vendor.github-actions", str(ACTION_YML)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
