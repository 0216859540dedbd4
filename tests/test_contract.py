"""Specification of the public contract: action.yml and the code agree on inputs and outputs, and
the three ways to run the action (action.yml, portable/action.yml, the `safe-release` command)
offer the same inputs and outputs, all made from one declaration (release_action/contract.py)."""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from release_action import cli
from release_action.contract import INPUTS, OUTPUTS, Kind
from release_action.report import Outcome, Requests, outputs_of
from release_bench import action_files

ROOT = Path(__file__).resolve().parent.parent
ACTION_YML = ROOT / "action.yml"
PORTABLE_YML = ROOT / "portable" / "action.yml"

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


def code_outputs() -> list[str]:
    release = {"id": 1, "html_url": "h", "upload_url": "u", "draft": False, "prerelease": False}
    return list(outputs_of(Outcome(release, "created"), "v1", Requests(4, 1)))


def test_action_yml_declares_exactly_the_inputs_the_code_reads(action):
    assert set(action["inputs"]) == set(INPUTS)


def test_action_yml_defaults_are_the_codes_defaults(action):
    declared = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    assert declared == {name: spec.default for name, spec in INPUTS.items()}


def test_action_yml_says_what_the_declaration_says_in_its_order(action):
    assert [(name, spec["description"]) for name, spec in action["inputs"].items()] == [
        (name, spec.action_description) for name, spec in INPUTS.items()
    ]
    assert [(name, spec["description"]) for name, spec in action["outputs"].items()] == [
        (name, output.description) for name, output in OUTPUTS.items()
    ]


def test_each_input_is_declared_as_its_kind_needs():
    for name, spec in INPUTS.items():
        assert name == spec.name and re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert spec.description.endswith(".") and "\n" not in spec.description, name
        if spec.kind is Kind.BOOLEAN:
            assert spec.default in ("true", "false"), name
        if spec.kind is Kind.CHOICE:
            assert len(spec.choices) >= 2 and spec.default in spec.choices, name
        if spec.kind is Kind.NUMBER:
            assert spec.unit and spec.low <= float(spec.default) <= spec.high, name
        if spec.default.startswith("${{"):  # what the command does instead must be said, or be the variable
            assert spec.command_default or spec.env, name


def test_the_contracts_inputs_and_outputs_are_all_there(action):
    assert set(action["inputs"]) >= CONTRACT_INPUTS
    assert set(action["outputs"]) >= CONTRACT_OUTPUTS


def test_input_names_are_snake_case_so_no_hyphen_reaches_the_environment(action):
    assert all(name == name.lower() and "-" not in name for name in action["inputs"])


def test_every_input_is_optional_and_described(action):
    for name, spec in action["inputs"].items():
        assert spec.get("required", False) is False, name
        assert str(spec.get("description", "")).strip(), name


def test_the_outputs_the_code_writes_are_exactly_the_declared_outputs_in_order(action):
    assert code_outputs() == list(OUTPUTS) == list(action["outputs"])


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


@pytest.mark.parametrize("path", [ACTION_YML, PORTABLE_YML], ids=["action.yml", "portable/action.yml"])
def test_each_action_validates_against_the_action_metadata_schema(path):
    exe = shutil.which("check-jsonschema")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("check-jsonschema (a test dependency) is missing in CI")
        pytest.skip("check-jsonschema is not installed")
    result = subprocess.run(
        [exe, "--builtin-schema", "vendor.github-actions", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- the three interfaces: action.yml, portable/action.yml, the safe-release command -----------


@pytest.fixture(scope="module")
def portable() -> dict:
    return yaml.safe_load(PORTABLE_YML.read_text(encoding="utf-8"))


def portable_steps(portable: dict) -> dict[str, dict]:
    return {step.get("id", str(n)): step for n, step in enumerate(portable["runs"]["steps"])}


def test_the_portable_action_has_action_ymls_inputs_names_defaults_and_descriptions(action, portable):
    assert portable["inputs"] == action["inputs"]


def test_the_portable_action_has_action_ymls_outputs_each_from_the_commands_step(action, portable):
    assert list(portable["outputs"]) == list(action["outputs"])
    for name, spec in portable["outputs"].items():
        assert spec["description"] == action["outputs"][name]["description"], name
        assert spec["value"] == f"${{{{ steps.release.outputs.{name} }}}}", name


def test_the_portable_action_passes_every_input_through_the_environment_and_no_other_way(portable):
    release = portable_steps(portable)["release"]
    passed = {key: value for key, value in release["env"].items() if key.startswith("INPUT_")}
    assert passed == {f"INPUT_{name.upper()}": f"${{{{ inputs.{name} }}}}" for name in INPUTS}
    assert release["run"].strip() == '"$SAFE_RELEASE"'
    for step in portable["runs"]["steps"]:
        # An expression inside a script would be spliced into it as code (template injection).
        assert "${{" not in step.get("run", ""), step
        assert "inputs." not in str(step.get("run", "")), step


def test_the_portable_action_runs_bash_on_every_os_and_pins_what_it_uses_by_sha(portable):
    assert portable["runs"]["using"] == "composite"
    for step in portable["runs"]["steps"]:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step["shell"] == "bash", step  # Git Bash on Windows: one syntax for all three
    for line in PORTABLE_YML.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith(("uses:", "- uses:")):
            assert re.search(r"uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d", line), line


def test_the_portable_action_is_marketplace_ready(action, portable):
    for key in ("name", "description", "author"):
        assert str(portable.get(key, "")).strip(), key
    assert portable["branding"] == action["branding"]
    assert portable["name"] != action["name"]  # the Marketplace lists actions by name


def command_flags() -> dict[str, argparse.Action]:
    return {a.dest: a for a in cli.parser()._actions if a.option_strings}


def test_the_command_has_a_flag_for_every_input_but_the_token_and_no_other_but_its_own():
    flags = command_flags()
    from_env = {name: spec.env for name, spec in INPUTS.items() if spec.env}
    assert set(flags) == (set(INPUTS) - set(from_env)) | {"help", "json", "version"}
    assert from_env == {"token": ("GH_TOKEN", "GITHUB_TOKEN")}  # flags show in process lists
    for name in INPUTS.keys() - from_env.keys():
        assert flags[name].option_strings[0] == "--" + name.replace("_", "-"), name


def test_the_commands_help_is_the_inputs_descriptions_in_flag_words(action):
    flags = command_flags()
    for name, spec in action["inputs"].items():
        if INPUTS[name].env:
            continue
        first_sentence = spec["description"].split(". ")[0]
        for input_name in re.findall(r"`([a-z_]+)`", first_sentence):
            if input_name in INPUTS:
                first_sentence = first_sentence.replace(f"`{input_name}`", "--" + input_name.replace("_", "-"))
        assert flags[name].help.startswith(first_sentence), (name, flags[name].help)


def test_checksums_reaches_the_action_the_portable_action_and_the_command_alike(action, portable, tmp_path):
    """Issue 18's input, from its one declaration: `checksums` in both action files (default empty: off),
    passed by the portable action as INPUT_CHECKSUMS, and `--checksums NAME` at a terminal."""
    assert (
        action["inputs"]["checksums"]["default"] == ""
        and portable["inputs"]["checksums"] == action["inputs"]["checksums"]
    )
    assert portable_steps(portable)["release"]["env"]["INPUT_CHECKSUMS"] == "${{ inputs.checksums }}"
    assert command_flags()["checksums"].metavar == "NAME"
    args = cli.parser().parse_args(["--checksums", "SHA256SUMS"])
    env = cli.action_env(args, {}, tmp_path, io.StringIO(), remote_of=lambda _cwd: None)
    assert env["INPUT_CHECKSUMS"] == "SHA256SUMS"
    assert "then the `checksums` asset" in action["outputs"]["assets"]["description"]


def test_each_inputs_kind_makes_its_flag():
    for name, flag_action in command_flags().items():
        if name not in INPUTS:
            continue
        kind = INPUTS[name].kind
        if kind is Kind.BOOLEAN:
            assert flag_action.option_strings == [f"--{name.replace('_', '-')}", f"--no-{name.replace('_', '-')}"]
        elif kind is Kind.LINES:
            assert (flag_action.nargs, flag_action.metavar) == ("+", INPUTS[name].placeholder), name
        else:
            assert (flag_action.nargs, flag_action.metavar) == (None, INPUTS[name].placeholder), name


# -- the generated parts: written from the declaration, never by hand -------------------------------


def test_the_generated_parts_of_the_action_files_and_the_readme_are_the_declarations():
    stale = [str(path.relative_to(ROOT)) for path in action_files.stale(ROOT)]
    verb = "differs" if len(stale) == 1 else "differ"
    assert not stale, (
        f"{' and '.join(stale)} {verb} from release_action/contract.py: run python -m release_bench.action_files"
    )


def test_a_changed_declaration_changes_every_generated_file():
    changed = dict(INPUTS)
    changed["draft"] = dataclasses.replace(INPUTS["draft"], description="Something else entirely.")
    renamed = {name if name != "tag" else "tag_name": spec for name, spec in changed.items()}
    for path, text in action_files.expected(ROOT, inputs=renamed).items():
        assert text != action_files.read(path), path
    assert "Something else entirely." in action_files.expected(ROOT, inputs=changed)[ROOT / "README.md"]


SAMPLE = """\
# hand-written, kept
name: x
# BEGIN generated interface: anything
inputs: {}
stale: true
# END generated interface
runs:   # kept too, spacing and all
  using: docker\r
"""


def test_the_generator_rewrites_only_between_its_markers():
    text = action_files.regenerate(SAMPLE, ("interface",))
    before, _, rest = text.partition("# BEGIN generated interface: anything\n")
    generated, _, after = rest.partition("# END generated interface\n")
    assert before == "# hand-written, kept\nname: x\n"
    assert after == "runs:   # kept too, spacing and all\n  using: docker\r\n"
    parsed = yaml.safe_load(generated)
    assert list(parsed["inputs"]) == list(INPUTS) and list(parsed["outputs"]) == list(OUTPUTS)
    assert action_files.regenerate(text, ("interface",)) == text  # a second run changes nothing


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("name: x\n", "no generated block interface"),
        ("# BEGIN generated interface\ninputs: {}\n", "never closed"),
        ("# BEGIN generated input-env\n# END generated input-env\n", "unexpected generated block 'input-env'"),
    ],
)
def test_the_generator_refuses_a_file_whose_markers_are_missing_or_wrong(text, says):
    with pytest.raises(ValueError, match=says):
        action_files.regenerate(text, ("interface",))


@pytest.mark.parametrize("text", ["true", "False", "300", "'quoted'", "a: b", "a #b", "`code`", "-x", "", "x:"])
def test_a_generated_yaml_value_reads_back_as_the_same_string(text):
    assert yaml.safe_load(f"key: {action_files.scalar(text)}") == {"key": text}


def test_the_pinned_build_backend_is_one_pyproject_accepts():
    """The portable action builds with requirements/build.txt and no build isolation."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (requirement,) = pyproject["build-system"]["requires"]
    name, _, minimum = requirement.partition(">=")
    pins = re.findall(r"^([\w.-]+)==([\d.]+)", (ROOT / "requirements" / "build.txt").read_text(), re.M)
    assert [pin[0] for pin in pins] == [name]
    assert tuple(map(int, pins[0][1].split("."))) >= tuple(map(int, minimum.split(".")))
