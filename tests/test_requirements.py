"""The two locks in requirements/: every tool pinned and hashed, the runtime at one set of pins.

The image installs runtime.txt; the tests run against test.txt. A runtime package pinned
differently in the two would test one version and ship another.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)")
HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")
NAME = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)")
FIX = "re-compile as requirements/README.md says"


def canonical(name: str) -> str:
    """PEP 503: names differ only in case and runs of `-`, `_`, `.`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock(file: str) -> dict[str, tuple[str, frozenset[str]]]:
    """A compiled lock as {package: (version, hashes)}; any unpinned requirement fails the test."""
    pins: dict[str, tuple[str, set[str]]] = {}
    current = None
    for line in (REQUIREMENTS / file).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            match = PIN.match(line)
            assert match, f"{file}: not pinned with ==: {line!r}; {FIX}"
            current = canonical(match["name"])
            pins[current] = (match["version"], set())
        for digest in HASH.findall(line):
            assert current is not None, f"{file}: a hash before any requirement"
            pins[current][1].add(digest)
    return {name: (version, frozenset(hashes)) for name, (version, hashes) in pins.items()}


def direct(file: str) -> set[str]:
    """The packages an .in file asks for by name (options such as -r and -c left out)."""
    names = set()
    for line in (REQUIREMENTS / file).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(canonical(NAME.match(line)["name"]))
    return names


@pytest.mark.parametrize("file", ["runtime.txt", "build.txt", "test.txt", "release.txt"])
def test_every_package_in_a_lock_is_pinned_and_hashed(file):
    pins = lock(file)

    assert pins, f"{file} locks nothing"
    unhashed = sorted(name for name, (_, hashes) in pins.items() if not hashes)
    assert unhashed == [], f"{file}: no --hash for {unhashed}; {FIX}"


def test_the_test_lock_holds_the_runtime_at_exactly_the_runtime_locks_pins():
    runtime, test = lock("runtime.txt"), lock("test.txt")

    missing = sorted(set(runtime) - set(test))
    assert missing == [], f"test.txt lacks runtime packages {missing}; {FIX}"
    differ = {name: (runtime[name][0], test[name][0]) for name in runtime if runtime[name][0] != test[name][0]}
    assert differ == {}, f"runtime.txt and test.txt pin these differently (runtime, test): {differ}; {FIX}"
    other_files = sorted(name for name in runtime if runtime[name][1] != test[name][1])
    assert other_files == [], f"same versions, different files (hashes) for {other_files}; {FIX}"


@pytest.mark.parametrize(
    ("source", "compiled"),
    [("runtime.in", "runtime.txt"), ("build.in", "build.txt"), ("test.in", "test.txt"), ("release.in", "release.txt")],
)
def test_every_direct_requirement_is_in_its_lock(source, compiled):
    missing = sorted(direct(source) - set(lock(compiled)))

    assert missing == [], f"{source} asks for {missing}, which {compiled} does not lock; {FIX}"


def test_the_test_tools_take_the_runtime_from_its_lock():
    lines = [line.strip() for line in (REQUIREMENTS / "test.in").read_text(encoding="utf-8").splitlines()]

    assert "-c runtime.txt" in lines, "test.in must be constrained by runtime.txt, so both pin the same versions"
    assert "-r runtime.in" in lines, "test.in must install the runtime dependencies too"


WORKFLOWS = sorted((REQUIREMENTS.parent / ".github" / "workflows").glob("*.yml"))
INSTALLERS = re.compile(r"\b(pip3?|pipx|uv|npm|npx|gem|cargo|apt-get|apt|brew)\b\s+(install|add|sync|ci)\b")
FROM_A_LOCK = re.compile(r"python -m pip install (?:--require-hashes )?(?:--no-deps )?-r requirements/([\w.-]+\.txt)")


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_every_workflow_installs_only_from_a_hash_pinned_lock(workflow):
    """pip checks every hash of a file that carries them; an unpinned file (an .in) it takes as it comes."""
    installs = [
        line.strip()
        for line in workflow.read_text(encoding="utf-8").splitlines()
        if INSTALLERS.search(line) and not line.strip().startswith("#")
    ]
    for line in installs:
        found = FROM_A_LOCK.search(line)
        assert found, f"{workflow.name} installs otherwise than from a hash-pinned lock: {line!r}"
        pins = lock(found[1])
        assert pins and all(hashes for _, hashes in pins.values()), f"{workflow.name}: {found[1]} is not hash-pinned"


def test_an_install_from_an_unpinned_file_is_caught():
    line = "        run: python -m pip install -r requirements/runtime.in"
    assert INSTALLERS.search(line) and not FROM_A_LOCK.search(line)
