"""Specification of the Linux/macOS/Windows rules, with the platform-neutral path types.

PureWindowsPath and PurePosixPath make every rule testable on any machine; HOST picks the
running machine's flavour where the rules are applied.
"""

from __future__ import annotations

import ast
import codecs
import io
import os
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from release_action.platforms import (
    HOST,
    asset_key,
    case_collisions,
    long_path,
    normalise_pattern,
    notes_text,
    pattern_problem,
)

WIN, POSIX = PureWindowsPath, PurePosixPath


def test_host_is_the_running_machines_flavour():
    assert HOST is (PureWindowsPath if os.name == "nt" else PurePosixPath)


# -- patterns ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "normalised"),
    [
        ("dist/*.whl", "dist/*.whl"),
        (r"dist\*.whl", "dist/*.whl"),
        (r"build\**\*.exe", "build/**/*.exe"),
        (r"C:\a\repo\dist\app.exe", "C:/a/repo/dist/app.exe"),
        (r"\\server\share\app.zip", "//server/share/app.zip"),
        ("out/[ab]?.zip", "out/[ab]?.zip"),
    ],
)
def test_either_separator_gives_one_pattern_for_every_runner(pattern, normalised):
    assert normalise_pattern(pattern) == normalised


@pytest.mark.parametrize(
    ("pattern", "flavour", "problem"),
    [
        ("dist/*.whl", WIN, None),
        ("dist/*.whl", POSIX, None),
        ("C:/a/repo/dist/*.exe", WIN, None),  # ${{ github.workspace }}/dist/*.exe on Windows
        ("D:/a/_temp/notes.md", WIN, None),
        ("//server/share/app.zip", WIN, None),
        ("/home/runner/work/repo/repo/dist/*", POSIX, None),
        ("C:dist/*.exe", WIN, "current directory of drive C"),
        ("C:", WIN, "current directory of drive C"),
        ("/dist/*.exe", WIN, "root of the current drive"),
        ("C:/dist/*.exe", POSIX, "Windows drive path"),
        ("c:", POSIX, "Windows drive path"),
        ("//?/C:/very/long/path", WIN, "device path"),
        ("//./pipe/x", WIN, "device path"),
        ("dist/\x00.zip", POSIX, "NUL"),
    ],
)
def test_patterns_that_mean_nothing_sure_on_the_runner_are_refused(pattern, flavour, problem):
    found = pattern_problem(pattern, flavour)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_a_pattern_is_checked_after_normalising():
    assert pattern_problem(normalise_pattern(r"C:\a\repo\dist\*.exe"), WIN) is None
    assert "drive C" in pattern_problem(normalise_pattern(r"C:dist\*.exe"), WIN)


# -- asset names and case ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "collisions"),
    [
        (["app.zip", "app.tar.gz"], []),
        (["App.zip", "app.zip"], [("App.zip", "app.zip")]),
        (["README.md", "app.exe", "readme.MD", "Readme.md"], [("README.md", "readme.MD", "Readme.md")]),
        (["a.zip", "a.zip"], []),  # the same name twice is one asset, not a collision
        (["x.ZIP", "y.zip", "X.zip", "Y.ZIP"], [("x.ZIP", "X.zip"), ("y.zip", "Y.ZIP")]),
    ],
)
def test_names_that_differ_only_by_case_collide(names, collisions):
    assert case_collisions(names) == collisions


def test_the_asset_key_ignores_case():
    assert asset_key("MyApp-1.0.EXE") == asset_key("myapp-1.0.exe")
    assert asset_key("a.zip") != asset_key("b.zip")


# -- long paths --------------------------------------------------------------------------------

DEEP = "C:\\a\\" + "\\".join(["segment-of-a-deep-build-tree"] * 10) + "\\app.exe"


@pytest.mark.parametrize(
    ("path", "flavour", "opened_as"),
    [
        ("C:\\a\\repo\\app.exe", WIN, "C:\\a\\repo\\app.exe"),
        ("C:/a/repo/app.exe", WIN, "C:\\a\\repo\\app.exe"),
        (DEEP, WIN, "\\\\?\\" + DEEP),
        (DEEP.replace("\\", "/"), WIN, "\\\\?\\" + DEEP),
        ("\\\\?\\" + DEEP, WIN, "\\\\?\\" + DEEP),  # already extended
        ("\\\\server\\share" + DEEP[2:], WIN, "\\\\?\\UNC\\server\\share" + DEEP[2:]),
        ("/home/runner/" + "x/" * 200 + "app", POSIX, "/home/runner/" + "x/" * 200 + "app"),
    ],
)
def test_paths_past_max_path_are_opened_in_their_extended_form_on_windows(path, flavour, opened_as):
    assert long_path(path, flavour) == opened_as


def test_a_long_relative_path_is_left_for_the_caller_to_resolve_first():
    relative = "dist\\" + "d\\" * 200 + "app.exe"
    assert long_path(relative, WIN) == relative


# -- notes files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"## v1\n- fix\n", "## v1\n- fix\n"),
        (b"## v1\r\n- fix\r\n", "## v1\n- fix\n"),  # a Windows checkout (core.autocrlf)
        (b"old\rmac\r", "old\nmac\n"),
        (codecs.BOM_UTF8 + b"## v1\r\n", "## v1\n"),  # a Windows editor's BOM
        ("café ☕\r\n".encode(), "café ☕\n"),
        (b"keep \xc2\xa0 and \t tabs", "keep \xa0 and \t tabs"),
    ],
)
def test_notes_files_give_one_body_on_every_runner(data, text):
    assert notes_text(data) == text


def test_a_notes_file_that_is_not_utf8_is_an_error():
    with pytest.raises(UnicodeDecodeError):
        notes_text("café".encode("cp1252"))


# -- files written for the runner --------------------------------------------------------------


def text_writes(source: str) -> list[ast.Call]:
    """The open() calls in `source` that write or append text."""
    calls = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
            mode = (
                node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
            )
            if isinstance(mode, ast.Constant) and set(mode.value) & set("wax") and "b" not in mode.value:
                calls.append(node)
    return calls


def test_files_for_the_runner_are_utf8_without_bom_and_end_lines_in_lf_on_every_runner():
    r"""GITHUB_OUTPUT and the step summary: the runner splits them on "\n"; Windows text mode would write "\r\n".

    encoding="utf-8" writes no BOM (unlike "utf-8-sig" or PowerShell's defaults); newline=""
    turns Windows' "\n" → "\r\n" translation off. Checked in the source, since on Linux and
    macOS both spellings write the same bytes.
    """
    package = Path(__file__).resolve().parents[1] / "release_action"
    checked = 0
    for module in sorted(package.glob("*.py")):
        for call in text_writes(module.read_text(encoding="utf-8")):
            keywords = {k.arg: k.value.value for k in call.keywords if isinstance(k.value, ast.Constant)}
            where = f"{module.name}:{call.lineno}"
            assert keywords.get("encoding") == "utf-8", f"{where}: open() for writing without encoding='utf-8'"
            assert keywords.get("newline") == "", f"{where}: open() for writing without newline=''"
            checked += 1
    assert checked >= 1  # Runner._append: the one writer of GITHUB_OUTPUT and GITHUB_STEP_SUMMARY


def test_outputs_written_to_a_file_are_exactly_utf8_bytes_with_lf(tmp_path):
    from release_action.runner_io import Runner

    path = tmp_path / "output"
    path.write_bytes(b"")
    Runner({"GITHUB_OUTPUT": str(path)}, out=io.StringIO()).set_outputs({"notes": "é\nline"})
    data = path.read_bytes()
    assert not data.startswith(codecs.BOM_UTF8) and b"\r" not in data and "é\nline".encode() in data
