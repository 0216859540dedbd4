"""The Dockerfile's base image, and the stand-in an offline Docker engine builds from instead.

The Dockerfile names its base by digest (`FROM python:3.13-slim@sha256:…`): GitHub's runner,
release.yml and act build exactly that, pulling it when it is missing. An engine that reaches no
registry cannot pull it; it may hold a local image under the tag alone (`python:3.13-slim`, the
stand-in). Then, and only when the pinned image is not present, the container tests and the
benchmarks build the Dockerfile with its `FROM` line naming the stand-in, every other line as it
is, and say so. Everything here asks the Docker engine; nothing pulls.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# `FROM name:tag@sha256:<64 hex>`, the whole line: the one form the Dockerfile may use.
PINNED_FROM = re.compile(r"FROM (?P<reference>(?P<tag>[a-z0-9][a-z0-9._/-]*:[\w][\w.-]*)@sha256:[0-9a-f]{64})")


class BaseImageError(ValueError):
    """The Dockerfile's FROM is not one digest-pinned reference."""


def pinned(dockerfile: str) -> str:
    """The digest-pinned reference of the Dockerfile's one `FROM` line."""
    froms = [line.rstrip() for line in dockerfile.splitlines() if line.upper().startswith("FROM")]
    if len(froms) != 1 or not (match := PINNED_FROM.fullmatch(froms[0])):
        raise BaseImageError(f"want exactly one `FROM name:tag@sha256:<64 hex>` line; found {froms}")
    return match["reference"]


def stand_in(reference: str) -> str:
    """The tag alone: `python:3.13-slim@sha256:…` → `python:3.13-slim`."""
    return reference.partition("@")[0]


def present(image: str) -> bool:
    """Whether the Docker engine holds `image` (never pulls)."""
    proc = subprocess.run(["docker", "image", "inspect", image], capture_output=True, check=False, timeout=60)
    return proc.returncode == 0


def for_this_engine(root: Path = ROOT) -> str:
    """The base to build from here: the pinned reference when the engine holds it; else the stand-in
    when the engine holds that; else the pinned one again (the build then pulls it, or says why not)."""
    reference = pinned((root / "Dockerfile").read_text(encoding="utf-8"))
    if present(reference) or not present(stand_in(reference)):
        return reference
    return stand_in(reference)


def dockerfile(base: str, root: Path = ROOT) -> str:
    """The Dockerfile's text with its `FROM` naming `base`; every other byte as it is."""
    text = (root / "Dockerfile").read_text(encoding="utf-8")
    reference = pinned(text)
    return text.replace(f"FROM {reference}\n", f"FROM {base}\n", 1)


def build_command(tag: str, *options: str, root: Path = ROOT) -> tuple[list[str], str | None, str]:
    """`docker build` of the Dockerfile as the runner builds it, from the base `for_this_engine`:
    (argv to run in `root`, the Dockerfile to give it on stdin or None, the base it starts from).
    With the pinned base the argv names ./Dockerfile itself; with the stand-in it reads the same
    text, one line changed, from stdin (`-f -`), the build context being the checkout either way."""
    base = for_this_engine(root)
    if base == pinned((root / "Dockerfile").read_text(encoding="utf-8")):
        return ["docker", "build", *options, "-t", tag, "-f", "./Dockerfile", "."], None, base
    return ["docker", "build", *options, "-t", tag, "-f", "-", "."], dockerfile(base, root), base


def note(base: str) -> str:
    """One line on what a build started from, for a test's or a benchmark's output."""
    if "@sha256:" in base:
        return f"base image: {base} (the Dockerfile's pinned digest)"
    return f"base image: {base}, a local stand-in: the Dockerfile's pinned digest is not present here"
