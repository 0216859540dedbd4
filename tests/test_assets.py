"""Unit tests of release_action.assets: collecting, naming, hashing, and the per-file decision."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from release_action.assets import (
    CHUNK,
    FileBody,
    LocalFile,
    collect,
    content_type,
    github_asset_name,
    plan_file,
    sha256_of,
    starter_grace,
)
from release_action.inputs import InputError
from release_bench.sandbox import github_asset_name as sandbox_asset_name


def make(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


NAMES = [
    ("plain.tar.gz", "plain.tar.gz"),
    ("my file (1).zip", "my.file.1.zip"),
    ("a~b:c", "a.b.c"),
    (".env", "default.env"),
    ("trail.", "trail"),
    ("v1+x_y-z", "v1+x_y-z"),
    ("ünï.txt", "default.n.txt"),
    ("a..b", "a.b"),
    ("app [linux] #2.deb", "app.linux.2.deb"),
]


@pytest.mark.parametrize(("given", "stored"), NAMES)
def test_asset_names_are_renamed_as_github_renames_them(given, stored):
    assert github_asset_name(given) == stored
    assert github_asset_name(given) == sandbox_asset_name(given)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("app.tar.gz", "application/gzip"),
        ("app.zip", "application/zip"),
        ("notes.txt", "text/plain"),
        ("data.json", "application/json"),
        ("app.unknownext", "application/octet-stream"),
        ("LICENSE", "application/octet-stream"),
    ],
)
def test_content_type_comes_from_the_file_name(name, kind):
    assert content_type(name) == kind


def test_sha256_is_streamed_over_files_larger_than_one_chunk(tmp_path):
    data = bytes(range(256)) * (CHUNK // 256 * 3 + 7)
    (tmp_path / "f").write_bytes(data)
    assert sha256_of(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_collect_expands_recursive_globs_to_files_only_sorted_and_deduplicated(tmp_path):
    make(tmp_path, {"dist/b.zip": b"b", "dist/a.txt": b"a", "dist/sub/c.tar.gz": b"c", "other/x": b"x"})
    (tmp_path / "dist" / "emptydir").mkdir()

    files = collect(["dist/**", "dist/*.txt", "dist/**/*"], tmp_path, True)

    assert [f.path.relative_to(tmp_path).as_posix() for f in files] == [
        "dist/a.txt",
        "dist/b.zip",
        "dist/sub/c.tar.gz",
    ]
    a = files[0]
    assert (a.name, a.size, a.content_type) == ("a.txt", 1, "text/plain")
    assert a.digest == "sha256:" + hashlib.sha256(b"a").hexdigest()


def test_collect_gives_renamed_asset_names(tmp_path):
    make(tmp_path, {"my app (x64).zip": b"1"})
    (file,) = collect(["*.zip"], tmp_path, True)
    assert file.name == "my.app.x64.zip"


def test_an_unmatched_pattern_is_an_input_error_naming_it(tmp_path):
    make(tmp_path, {"dist/a.txt": b"a"})
    with pytest.raises(InputError, match=r"'build/\*\.whl' matches no file"):
        collect(["dist/*", "build/*.whl"], tmp_path, True)


def test_a_pattern_matching_only_directories_counts_as_unmatched(tmp_path):
    (tmp_path / "dist" / "sub").mkdir(parents=True)
    with pytest.raises(InputError, match="matches no file"):
        collect(["dist/*"], tmp_path, True)


def test_an_unmatched_pattern_only_warns_when_not_failing(tmp_path):
    make(tmp_path, {"dist/a.txt": b"a"})
    warnings: list[str] = []
    files = collect(["dist/*", "nothing/*"], tmp_path, False, warn=warnings.append)
    assert [f.name for f in files] == ["a.txt"]
    assert len(warnings) == 1 and "nothing/*" in warnings[0]


def test_two_files_with_one_asset_name_are_an_input_error(tmp_path):
    make(tmp_path, {"linux/app.zip": b"1", "mac/app.zip": b"2"})
    with pytest.raises(InputError, match=r"'app\.zip'"):
        collect(["**/*.zip"], tmp_path, True)


def test_two_files_that_collide_only_after_renaming_are_an_input_error(tmp_path):
    make(tmp_path, {"my file.zip": b"1", "my.file.zip": b"2"})
    with pytest.raises(InputError, match=r"'my\.file\.zip'"):
        collect(["*.zip"], tmp_path, True)


def test_file_body_reads_exactly_size_bytes_in_large_blocks_and_rewinds(tmp_path):
    data = b"x" * (CHUNK + 10) + b"tail that grew after hashing"
    (tmp_path / "f").write_bytes(data)
    body = FileBody(tmp_path / "f", CHUNK + 10)
    try:
        assert len(body) == CHUNK + 10
        first = body.read(16384)
        assert len(first) == CHUNK  # a 16 KiB request is answered with a whole MiB
        assert body.read(16384) == b"x" * 10
        assert body.read(16384) == b""
        body.seek(0)
        assert b"".join(body) == data[: CHUNK + 10]
    finally:
        body.close()


FILE = LocalFile(Path("a.zip"), "a.zip", 3, "ab" * 32, "application/zip")


def asset(**fields) -> dict:
    return {"id": 1, "name": "a.zip", "state": "uploaded", "size": 3, "digest": FILE.digest, **fields}


@pytest.mark.parametrize(
    ("observed", "options", "action"),
    [
        (None, {}, "upload"),
        (None, {"recently_ours": True}, "wait"),
        (None, {"locked": True}, "refuse"),
        (asset(), {}, "keep"),
        (asset(), {"locked": True}, "keep"),
        (asset(size=4), {}, "replace"),
        (asset(digest="sha256:" + "0" * 64), {}, "replace"),
        (asset(digest="sha256:" + "0" * 64), {"overwrite": False}, "refuse"),
        (asset(digest="sha256:" + "0" * 64), {"locked": True}, "refuse"),
        (asset(state="starter", digest=None, size=0), {"age": 1.0}, "wait"),
        (asset(state="starter", digest=None, size=0), {"age": 60.0}, "delete_starter"),
        (asset(state="starter", digest=None, size=0), {"age": None}, "delete_starter"),
        (asset(state="starter", digest=None, size=0), {"age": 1.0, "locked": True}, "refuse"),
    ],
)
def test_plan_file_decides_per_file(observed, options, action):
    kwargs = {"overwrite": True, "locked": False, "age": None, **options}
    assert plan_file(FILE, observed, **kwargs).action == action


def test_overwrite_refusal_says_how_to_fix_it():
    plan = plan_file(FILE, asset(size=9), overwrite=False, locked=False, age=None)
    assert "overwrite_files" in plan.reason and "a.zip" in plan.reason


def test_a_starters_grace_grows_with_the_file_size():
    assert starter_grace(0) == pytest.approx(10.0)
    assert starter_grace(2 * 1024**3) > 200
