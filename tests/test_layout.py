"""The house: `release_action/` is the action and only it; the bench beside it; no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("release_action", "release_bench")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every module `path` imports, anywhere in it (lazy and TYPE_CHECKING imports count too)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            for alias in node.names:  # `from . import shapes` imports a module; `from .core import X`, core
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    return {
        name: {m for m in imports_of(path, set(modules)) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_the_action_never_imports_the_bench():
    leaks = {name: sorted(deps) for name, deps in graph().items() if name.startswith("release_action")}
    leaks = {name: [d for d in deps if d.startswith("release_bench")] for name, deps in leaks.items()}
    assert {name: deps for name, deps in leaks.items() if deps} == {}


def test_the_image_is_built_from_the_action_alone():
    allowed = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")]
    assert sorted(allowed) == ["!entrypoint.py", "!release_action/", "!requirements/runtime.txt"]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles(package):
    edges = {name: deps for name, deps in graph().items() if name.startswith(package)}
    cycles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for dep in sorted(edges.get(node, ())):
            if state.get(dep) == "open":
                cycles.append([*trail[trail.index(dep) :], dep] if dep in trail else [node, dep])
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[node] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert cycles == []
