"""release.yml trusts nothing it did not pin: every tool from a hash-pinned lock, every action by
commit, the tag on main, and the job that commits recomputing what it commits.

The shell of the steps that decide is run here as GitHub runs it (`bash -eo pipefail`), with
`gh` replaced by a stand-in that answers as GitHub would.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from test_requirements import lock

from release_bench import pin_image

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8"))
JOBS = WORKFLOW["jobs"]
IMAGE = "ghcr.io/octo/safe-release-action"
DIGEST = "sha256:" + "5a" * 32
SHA = "0123456789abcdef0123456789abcdef01234567"


def step(job: str, name: str) -> dict:
    [found] = [s for s in JOBS[job]["steps"] if s.get("name") == name]
    return found


def run_step(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """As the runner runs a `run:` step on Linux: bash --noprofile --norc -eo pipefail FILE."""
    path = cwd.parent / "step.sh"
    path.write_text(script, encoding="utf-8")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
        env={"PATH": os.environ["PATH"], "HOME": str(cwd.parent), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


# -- what the workflow installs and runs ------------------------------------------------------------


INSTALLERS = re.compile(r"\b(pip3?|pipx|uv|npm|npx|gem|go|cargo|apt-get|apt|brew|curl|wget)\b")


def test_every_tool_the_release_installs_comes_from_a_hash_pinned_lock():
    installs = []
    for job in JOBS.values():
        for s in job["steps"]:
            for line in s.get("run", "").splitlines():
                if INSTALLERS.search(line) and not line.lstrip().startswith("#"):
                    installs.append(line.strip())
    assert installs, "release.yml installs nothing? then this test checks nothing"
    for line in installs:
        match = re.fullmatch(r"python -m pip install --require-hashes --no-deps -r (requirements/[\w.-]+\.txt)", line)
        assert match, f"release.yml installs otherwise than from a hash-pinned lock: {line!r}"
        pins = lock(Path(match[1]).name)
        assert pins and all(hashes for _, hashes in pins.values()), f"{match[1]} is not hash-pinned"


def test_every_action_the_release_uses_is_pinned_by_commit():
    for name, job in JOBS.items():
        for s in job["steps"]:
            uses = s.get("uses")
            if uses and uses != "./":
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{name}: {uses} is not pinned by commit"


def test_the_release_tools_are_the_versions_ci_tests_with():
    release, test = lock("release.txt"), lock("test.txt")

    assert {"pyyaml", "check-jsonschema"} <= set(release)
    differ = {name: (release[name][0], test[name][0]) for name in release if release[name][0] != test[name][0]}
    assert differ == {}, f"release.txt and test.txt pin these differently: {differ}"


def writers() -> list[str]:
    return [name for name, job in JOBS.items() if "write" in (job.get("permissions") or {}).get("contents", "")]


def test_the_job_that_commits_installs_nothing_and_takes_no_other_jobs_output_but_the_digest():
    assert writers() == ["release"]
    job = JOBS["release"]
    text = yaml.safe_dump(job)
    # The digest, and pin's blob as one more equality check (never as content).
    assert set(re.findall(r"needs\.[\w-]+\.outputs\.[\w-]+", text)) == {
        "needs.image.outputs.digest",
        "needs.pin.outputs.blob",
    }
    assert step("release", "Recompute the release commit's action.yml from the tagged commit and the digest")[
        "env"
    ] == {"DIGEST": "${{ needs.image.outputs.digest }}", "PIN_BLOB": "${{ needs.pin.outputs.blob }}"}
    for s in job["steps"]:
        assert "setup-python" not in s.get("uses", "") and not INSTALLERS.search(s.get("run", "")), s


def test_the_jobs_that_install_tools_hold_no_token_that_can_write():
    installing = [name for name, job in JOBS.items() if any(INSTALLERS.search(s.get("run", "")) for s in job["steps"])]

    assert installing == ["pin"]
    for name in installing:
        assert set(JOBS[name]["permissions"].values()) <= {"read", "none"}, name


# -- the tag must be on main ------------------------------------------------------------------------


@pytest.fixture
def fake_gh(tmp_path):
    """A `gh` that records its arguments and prints $FAKE_GH_ANSWER (or fails, like gh, on a 404)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(
        '#!/bin/sh\necho "$@" >> "$FAKE_GH_LOG"\n'
        '[ -n "$FAKE_GH_FAIL" ] && { echo "gh: Not Found (HTTP 404)" >&2; exit 1; }\n'
        'printf "%s\\n" "$FAKE_GH_ANSWER"\n',
        encoding="utf-8",
    )
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    return bin_dir


ON_MAIN = step("image", "Refuse a tag that is not on main")["run"]


@pytest.mark.parametrize("status", ["identical", "behind"])
def test_a_tag_on_main_passes(tmp_path, fake_gh, status):
    proc = on_main(tmp_path, fake_gh, FAKE_GH_ANSWER=status)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "::error::" not in proc.stdout
    assert (
        tmp_path / "gh.log"
    ).read_text() == f"api repos/octo/safe-release-action/compare/main...{SHA} --jq .status\n"


@pytest.mark.parametrize("status", ["ahead", "diverged"])
def test_a_tag_off_main_fails_with_one_clear_error(tmp_path, fake_gh, status):
    proc = on_main(tmp_path, fake_gh, FAKE_GH_ANSWER=status)

    assert proc.returncode == 1
    [error] = [line for line in proc.stdout.splitlines() if line.startswith("::error::")]
    assert f"v1.2.3 points at {SHA}, which is not on main" in error
    assert "tag a commit of main" in error


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"FAKE_GH_FAIL": "1"}, "::error::could not compare"),  # no branch main, or no access
        ({"FAKE_GH_ANSWER": "weird\n::warning::injected"}, "::error::could not tell whether"),
    ],
    ids=["gh fails", "unknown status"],
)
def test_when_it_cannot_tell_it_fails_and_repeats_nothing_github_said(tmp_path, fake_gh, answer, error):
    proc = on_main(tmp_path, fake_gh, **answer)

    assert proc.returncode == 1
    assert [line for line in proc.stdout.splitlines() if line.startswith("::")] == [
        line for line in proc.stdout.splitlines() if line.startswith(error)
    ]


def on_main(tmp_path: Path, fake_gh: Path, **answer: str) -> subprocess.CompletedProcess[str]:
    work = tmp_path / "work"
    work.mkdir()
    env = {
        "PATH": f"{fake_gh}:{os.environ['PATH']}",
        "FAKE_GH_LOG": str(tmp_path / "gh.log"),
        "GITHUB_REPOSITORY": "octo/safe-release-action",
        "GITHUB_SHA": SHA,
        "GITHUB_REF_NAME": "v1.2.3",
        "GH_TOKEN": "not-a-token",
        **answer,
    }
    return run_step(ON_MAIN, env, work)


# -- the job that commits recomputes what it commits ----------------------------------------------


RECOMPUTE = step("release", "Recompute the release commit's action.yml from the tagged commit and the digest")["run"]


def git(cwd: Path, *args: str) -> str:
    env = {"PATH": os.environ["PATH"], "HOME": str(cwd.parent), "GIT_CONFIG_NOSYSTEM": "1"}
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=60)
    return proc.stdout.strip()


@pytest.fixture
def tagged(tmp_path) -> tuple[Path, str]:
    """A checkout of a tagged commit: this repository's action.yml, committed. Its path and sha."""
    work = tmp_path / "checkout"
    work.mkdir()
    git(work, "init", "-q")
    (work / "action.yml").write_bytes((ROOT / "action.yml").read_bytes())
    (work / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    git(work, "add", "-A")
    git(work, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "tagged")
    return work, git(work, "rev-parse", "HEAD")


def pinned_by_pin_image() -> bytes:
    """What the pin job's tool (release_bench.pin_image, with its YAML check) makes of action.yml."""
    return pin_image.pin((ROOT / "action.yml").read_text(encoding="utf-8"), IMAGE, DIGEST).encode()


def blob_of(data: bytes, cwd: Path) -> str:
    proc = subprocess.run(["git", "hash-object", "--stdin"], input=data, cwd=cwd, capture_output=True, check=True)
    return proc.stdout.decode().strip()


def recompute(work: Path, sha: str, **overrides: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    files = {name: work.parent / name for name in ("output", "env")}
    for path in files.values():
        path.touch()
    env = {
        "GITHUB_SHA": sha,
        "IMAGE": IMAGE,
        "DIGEST": DIGEST,
        "PIN_BLOB": blob_of(pinned_by_pin_image(), work),
        "GITHUB_OUTPUT": str(files["output"]),
        "GITHUB_ENV": str(files["env"]),
        "GIT_CONFIG_NOSYSTEM": "1",
        **overrides,
    }
    proc = run_step(RECOMPUTE, env, work)
    return proc, {name: path.read_text(encoding="utf-8") for name, path in files.items()}


def test_the_recomputed_action_yml_is_byte_for_byte_what_pin_image_checked(tagged):
    work, sha = tagged

    proc, files = recompute(work, sha)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (work / "action.yml").read_bytes() == pinned_by_pin_image()
    outputs = dict(line.split("=", 1) for line in files["output"].splitlines())
    assert outputs["blob"] == blob_of(pinned_by_pin_image(), work)
    # The tree: the tagged commit's, with that action.yml and nothing else changed.
    changed = git(work, "diff-tree", "--name-only", "-r", git(work, "rev-parse", "HEAD^{tree}"), outputs["tree"])
    assert changed == "action.yml"
    assert files["env"] == f"DIGEST={DIGEST}\n"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"DIGEST": "sha256:abc"}, "the image job's digest is not"),
        ({"DIGEST": DIGEST + "\n::warning::x"}, "the image job's digest is not"),
        ({"DIGEST": DIGEST.upper()}, "the image job's digest is not"),
        ({"PIN_BLOB": "0" * 40}, "is not the one the pin job checked"),
        ({"IMAGE": "ghcr.io/octo/other"}, "is not the one the pin job checked"),
        ({"GITHUB_SHA": "f" * 40}, "the checkout is not"),
    ],
    ids=["short digest", "digest with a newline", "capital digest", "another blob", "another image", "another commit"],
)
def test_anything_but_the_tagged_source_and_a_well_formed_digest_writes_nothing(tagged, overrides, error):
    work, sha = tagged
    before = (work / "action.yml").read_bytes()

    proc, files = recompute(work, sha, **overrides)

    assert proc.returncode == 1
    [line] = [line for line in proc.stdout.splitlines() if line.startswith("::")]
    assert line.startswith("::error::") and error in line and line.endswith("nothing was written")
    assert files == {"output": "", "env": ""}
    assert git(work, "diff", "--cached", "--name-only") == ""  # nothing staged for a commit
    if "digest" in error or "checkout" in error:
        assert (work / "action.yml").read_bytes() == before


def test_an_action_yml_without_the_line_to_pin_is_refused(tagged):
    work, _ = tagged
    (work / "action.yml").write_bytes(pinned_by_pin_image())  # pinned already: nothing to pin
    git(work, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-am", "pinned")

    proc, files = recompute(work, git(work, "rev-parse", "HEAD"))

    assert proc.returncode == 1
    assert "::error::action.yml at" in proc.stdout and "no single '  image: Dockerfile' line" in proc.stdout
    assert files == {"output": "", "env": ""}


# -- Dependabot keeps the pins current ----------------------------------------------------------


def test_dependabot_covers_the_locks_the_base_image_and_the_actions():
    updates = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))["updates"]
    where = {u["package-ecosystem"]: {u["directory"]} if "directory" in u else set(u["directories"]) for u in updates}

    assert "/requirements" in where["pip"]  # release.txt with the other locks
    assert (ROOT / "requirements" / "release.txt").is_file() and (ROOT / "requirements" / "release.in").is_file()
    assert "/" in where["docker"]  # the Dockerfile's FROM
    assert {"/", "/portable"} <= where["github-actions"]
