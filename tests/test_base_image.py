"""The Dockerfile's base: pinned by digest, on a `FROM` line Dependabot reads; the stand-in an
offline engine builds from changes that one line and only where the pinned image is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from release_bench import base_image

ROOT = Path(__file__).resolve().parents[1]
DIGEST = "sha256:" + "0123456789abcdef" * 4
PINNED = f"python:3.13-slim@{DIGEST}"


def test_the_dockerfile_pins_its_base_by_digest_on_its_one_from_line():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    reference = base_image.pinned(text)

    assert reference.startswith("python:3.13-slim@sha256:")
    # Dependabot's docker updates read `FROM image:tag@digest` lines, never an ARG's default.
    assert f"\nFROM {reference}\n" in text
    assert "ARG BASE" not in text and "${" not in text.split(f"FROM {reference}")[0]


@pytest.mark.parametrize(
    "dockerfile",
    [
        "FROM python:3.13-slim\n",  # a tag moves
        "FROM python@" + DIGEST + "\n",  # a digest alone: Dependabot cannot tell which tag to follow
        "ARG BASE=" + PINNED + "\nFROM ${BASE}\n",  # Dependabot never sees it
        f"FROM {PINNED} AS a\nFROM {PINNED}\n",  # two FROM lines: which one is the base?
        "RUN true\n",
    ],
    ids=["tag only", "digest only", "arg", "two stages", "no FROM"],
)
def test_anything_but_one_pinned_from_line_is_refused(dockerfile):
    with pytest.raises(base_image.BaseImageError, match="exactly one"):
        base_image.pinned(dockerfile)


def test_the_stand_in_is_the_tag_alone():
    assert base_image.stand_in(PINNED) == "python:3.13-slim"


@pytest.fixture
def checkout(tmp_path):
    (tmp_path / "Dockerfile").write_text(f"# base\nFROM {PINNED}\nRUN echo FROM {PINNED}\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("held", "base"),
    [
        ({PINNED, "python:3.13-slim"}, PINNED),  # the pinned one whenever it is there
        ({PINNED}, PINNED),
        ({"python:3.13-slim"}, "python:3.13-slim"),  # offline: the stand-in, and only then
        (set(), PINNED),  # neither: the build pulls the pinned one (or says why it cannot)
    ],
    ids=["both", "pinned", "stand-in only", "neither"],
)
def test_the_stand_in_is_used_only_when_the_pinned_image_is_absent(monkeypatch, checkout, held, base):
    monkeypatch.setattr(base_image, "present", lambda image: image in held)

    argv, stdin, used = base_image.build_command("t:1", "--no-cache", root=checkout)

    assert used == base
    if base == PINNED:
        assert argv == ["docker", "build", "--no-cache", "-t", "t:1", "-f", "./Dockerfile", "."]
        assert stdin is None
    else:
        assert argv == ["docker", "build", "--no-cache", "-t", "t:1", "-f", "-", "."]
        # One line changed, the FROM; the same reference elsewhere in the file is left alone.
        assert stdin == f"# base\nFROM python:3.13-slim\nRUN echo FROM {PINNED}\n"
    assert ("stand-in" in base_image.note(used)) == (base != PINNED)
