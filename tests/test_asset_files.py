"""Unit tests of release_action.asset_files: collecting, naming and hashing the files to attach."""

from __future__ import annotations

import base64
import glob
import hashlib
import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from release_action import asset_files, file_globs, local_files
from release_action.asset_files import (
    CHUNK,
    MAX_ASSET_SIZE,
    MAX_ASSETS,
    MAX_LABEL,
    FileBody,
    collect,
    content_type,
    describe_size,
    github_asset_name,
    label_problem,
    sha256_of_stream,
    split_label,
)
from release_action.asset_sync import AssetError, upload
from release_action.budget import BudgetExhausted, Deadline
from release_action.token_guard import Scanner, forms
from release_action.wording import InputError
from release_bench.sandbox import github_asset_name as sandbox_asset_name
from release_bench.sandbox.state import REPORTED_ASSET_NAMES
from tests.fs_helpers import no_hang, unprivileged


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


@pytest.mark.parametrize(("given", "stored"), NAMES + [(up, stored) for up, stored, _ in REPORTED_ASSET_NAMES])
def test_asset_names_are_renamed_as_github_renames_them(given, stored):
    assert github_asset_name(given) == stored
    # A deliberate cross-check: the simulator's rule is written apart from the action's, so a
    # wrong rule in either shows up here rather than agreeing with itself in the e2e tests.
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
    with open(tmp_path / "f", "rb") as stream:
        assert sha256_of_stream(stream) == hashlib.sha256(data).hexdigest()


def test_collect_expands_recursive_globs_to_files_only_sorted_and_deduplicated(tmp_path):
    tmp_path = tmp_path.resolve()
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


# -- `PATH#LABEL` lines ---------------------------------------------------------------------------

SPLITS = [
    # (a `files` line, its glob, its label: None asks for none, "" for no label)
    ("dist/app.zip", "dist/app.zip", None),
    ("dist/app.zip#Linux build", "dist/app.zip", "Linux build"),
    ("dist/app.zip # Linux build ", "dist/app.zip", "Linux build"),  # blanks around either part dropped
    ("dist/*.whl#Wheel", "dist/*.whl", "Wheel"),  # a glob's matches all take the label
    ("dist/app.zip#", "dist/app.zip", ""),  # `PATH#`: no label
    ("dist/app.zip#C# build #2", "dist/app.zip", "C# build #2"),  # the first `#` splits; the label keeps the rest
    ("dist/[#]1.zip", "dist/[#]1.zip", None),  # `[#]`: a `#` of the file name
    ("dist/[#]1.zip#First", "dist/[#]1.zip", "First"),
    ("dist/v[0-9]#[#]2.zip#x", "dist/v[0-9]", "[#]2.zip#x"),  # only a bracket expression shields a `#`
    ("dist/a[!#]b#L", "dist/a[!#]b", "L"),  # a negated set
    ("dist/a[]#]b#L", "dist/a[]#]b", "L"),  # `]` first in a set is a member, so the set holds `#`
    ("dist/a[#b#L", "dist/a[", "b#L"),  # an unclosed `[` is a plain character
    ("C:/dist/app.exe#Windows", "C:/dist/app.exe", "Windows"),
]


@pytest.mark.parametrize(("line", "pattern", "label"), SPLITS, ids=[row[0] for row in SPLITS])
def test_a_files_line_is_a_glob_and_an_optional_label(line, pattern, label):
    assert split_label(line) == (pattern, label)


@pytest.mark.parametrize(
    ("label", "says"),
    [
        ("x" * (MAX_LABEL + 1), f"{MAX_LABEL + 1} characters long"),
        ("a\tb", "character 2 is U+0009"),
        ("a\x1b[31mred", "character 2 is U+001B"),  # a terminal escape
        ("a\x85b", "U+0085"),  # NEL, a C1 control
        ("setup\u202eexe.txt", "character 6 is U+202E"),  # right-to-left override: reads as another name
        ("a\u200bb", "U+200B"),  # zero-width space: invisible
        ("a\u2028b", "U+2028"),  # line separator
        ("a\udcffb", "U+DCFF"),  # a byte of the environment that is not UTF-8
        ("a\ue000b", "U+E000"),  # private use
    ],
)
def test_a_label_github_would_show_wrongly_is_refused(label, says):
    problem = label_problem(label)
    assert problem is not None and says in problem


@pytest.mark.parametrize("label", ["Linux build", "x" * MAX_LABEL, "Überblick (x86-64) ✓", "::warning::x", "##[error]"])
def test_plain_text_is_a_label_workflow_command_markers_too(label):
    """The log defuses `::` and `##[` where a label is printed (runner_io.neutralise): not refused here."""
    assert label_problem(label) is None


def test_collect_gives_each_file_the_label_of_its_line(tmp_path):
    make(tmp_path, {"dist/a.zip": b"a", "dist/b.zip": b"b", "dist/notes.txt": b"n", "dist/#1.zip": b"h"})
    files = collect(["dist/[ab].zip#Archive", "dist/notes.txt", "dist/[#]1.zip#Hash"], tmp_path, True)
    assert [(f.name, f.label) for f in files] == [
        ("a.zip", "Archive"),
        ("b.zip", "Archive"),
        ("notes.txt", None),
        ("default.1.zip", "Hash"),  # GitHub renames `#1.zip`
    ]


def test_a_file_name_with_a_hash_is_matched_by_writing_it_in_brackets(tmp_path):
    make(tmp_path, {"dist/#1.zip": b"h", "dist/x1.zip": b"x"})
    (file,) = collect(["dist/[#]1.zip#First"], tmp_path, True)
    assert (file.path.name, file.label) == ("#1.zip", "First")


def test_a_label_given_by_a_later_line_applies_where_the_first_line_put_the_file(tmp_path):
    make(tmp_path, {"dist/a.zip": b"a", "dist/b.zip": b"b"})
    files = collect(["dist/*.zip", "dist/b.zip#The b"], tmp_path, True)
    assert [(f.name, f.label) for f in files] == [("a.zip", None), ("b.zip", "The b")]


def test_two_different_labels_for_one_file_are_an_input_error_naming_both_lines(tmp_path):
    make(tmp_path, {"dist/a.zip": b"a"})
    with pytest.raises(InputError, match=r"'dist/\*#One' and by 'dist/a\.zip#Two'.*two different labels"):
        collect(["dist/*#One", "dist/a.zip#Two"], tmp_path, True)


def test_a_refused_label_is_an_input_error_before_any_file_is_hashed(tmp_path, monkeypatch):
    make(tmp_path, {"dist/a.zip": b"a"})
    monkeypatch.setattr(asset_files, "sha256_of_stream", lambda *_args: pytest.fail("hashed"))
    with pytest.raises(InputError, match=r"Input `files`: the label of 'dist/a\.zip#a\\x1bb' is refused"):
        collect(["dist/a.zip#a\x1bb"], tmp_path, True)


# -- the order: the lines' order, each line's matches sorted by path ---------------------------------


def test_files_come_in_the_order_of_the_lines_each_lines_matches_sorted(tmp_path):
    make(tmp_path, {"dist/z.txt": b"z", "dist/b.zip": b"b", "dist/a.zip": b"a", "dist/sub/c.zip": b"c", "m.md": b"m"})
    files = collect(["dist/z.txt", "m.md", "dist/**/*.zip"], tmp_path, True)
    assert [f.name for f in files] == ["z.txt", "m.md", "a.zip", "b.zip", "c.zip"]


def test_a_file_two_lines_match_comes_where_the_first_line_puts_it(tmp_path):
    make(tmp_path, {"dist/a.zip": b"a", "dist/b.zip": b"b", "README.md": b"r"})
    files = collect(["dist/b.zip", "README.md", "dist/*.zip"], tmp_path, True)
    assert [f.name for f in files] == ["b.zip", "README.md", "a.zip"]


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


def test_two_files_whose_names_differ_only_by_case_are_an_input_error(tmp_path):
    """GitHub takes App.zip and app.zip for one asset name; on macOS and Windows they are one file."""
    make(tmp_path, {"dist/App.zip": b"1", "dist/app.zip": b"2"})
    with pytest.raises(InputError, match=r"'App\.zip' and 'app\.zip'.*ignores case"):
        collect(["dist/*.zip"], tmp_path, True)


def test_a_pattern_with_backslashes_matches_as_on_a_windows_runner(tmp_path):
    """One `files:` block serves a whole build matrix, whichever separator it was written with."""
    make(tmp_path, {"dist/app.exe": b"1"})
    assert [f.name for f in collect(["dist\\*.exe"], tmp_path, True)] == ["app.exe"]


def test_a_windows_drive_pattern_on_linux_is_refused_with_what_to_write(tmp_path):
    with pytest.raises(InputError, match=r"Windows drive path.*relative to the workspace"):
        collect(["C:/dist/*.exe"], tmp_path, True)


def test_one_file_matched_by_two_spellings_is_one_asset(tmp_path):
    """Keyed by (device, inode): a path spelt in another case on macOS is still the same file."""
    make(tmp_path, {"dist/app.zip": b"1"})
    (tmp_path / "link").symlink_to(tmp_path / "dist")
    assert [f.name for f in collect(["dist/*.zip", "link/app.zip"], tmp_path, True)] == ["app.zip"]


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


# -- which files may be attached: the one rule of release_action.local_files ---------------------
# Every match must lead (symlinks followed) inside the allowed roots and be a regular file;
# one match that does not refuses the whole run, before any request.

SECRET = b"do-not-publish-this"


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """A workspace with dist/, a RUNNER_TEMP beside it, and a secret outside both."""
    base = tmp_path.resolve()
    ws, temp, outside = base / "ws", base / "temp", base / "outside"
    make(ws, {"dist/app.zip": b"app", "dist/notes.txt": b"n"})
    make(temp, {"built.tar.gz": b"tgz"})
    make(outside, {"secret.txt": SECRET, "sub/deeper.txt": SECRET})
    return {"ws": ws, "temp": temp, "outside": outside}


def plant(tree: dict[str, Path], kind: str) -> str:
    """Put one hostile or special thing where `dist/*`-like patterns find it; return the pattern."""
    ws, outside = tree["ws"], tree["outside"]
    if kind == "climbing glob":
        return "../outside/*"
    if kind == "absolute glob elsewhere":
        return str(outside / "*.txt")
    if kind == "/etc/host*":
        return "/etc/host*"
    if kind == "symlink to /proc/self/environ":
        (ws / "dist" / "env.txt").symlink_to("/proc/self/environ")
        return "dist/*"
    if kind == "symlink to a file outside":
        (ws / "dist" / "leak.txt").symlink_to(outside / "secret.txt")
        return "dist/*.txt"
    if kind == "symlinked directory leading outside, under **":
        (ws / "dist" / "more").symlink_to(outside, target_is_directory=True)
        return "dist/**"
    if kind == "dangling symlink":
        (ws / "dist" / "gone.zip").symlink_to(ws / "never-built.zip")
        return "dist/*"
    if kind == "a FIFO":
        os.mkfifo(ws / "dist" / "pipe.zip")
        return "dist/*"
    if kind == "a socket":
        import socket

        short = Path(tempfile.mkdtemp(dir=ws / "dist"))  # AF_UNIX paths are short
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(short / "s"))
        return "dist/**"
    if kind == "symlink to /dev/null":
        (ws / "dist" / "null.zip").symlink_to("/dev/null")
        return "dist/*"
    raise AssertionError(kind)


REFUSED_MATCHES = [
    ("climbing glob", "outside"),
    ("absolute glob elsewhere", "outside"),
    ("/etc/host*", "outside"),
    ("symlink to /proc/self/environ", "outside"),
    ("symlink to a file outside", "outside"),
    ("symlinked directory leading outside, under **", "outside"),
    ("dangling symlink", "does not exist"),
    ("a FIFO", "is a FIFO"),
    ("a socket", "is a socket"),
    ("symlink to /dev/null", "outside"),
]


@pytest.mark.parametrize(("kind", "says"), REFUSED_MATCHES, ids=[k for k, _ in REFUSED_MATCHES])
@pytest.mark.parametrize("fail_on_unmatched", [True, False])
def test_a_match_that_is_not_a_regular_file_inside_the_roots_refuses_the_run(tree, kind, says, fail_on_unmatched):
    pattern = plant(tree, kind)
    warnings: list[str] = []
    roots = [tree["ws"], tree["temp"]]
    with no_hang(), pytest.raises(InputError) as caught:
        collect([pattern], tree["ws"], fail_on_unmatched, warn=warnings.append, roots=roots)
    message = str(caught.value)
    assert "Input `files`" in message
    assert says in message
    assert SECRET.decode() not in message
    assert warnings == []  # refused, not passed over with a warning


def test_without_roots_the_working_directory_is_the_only_root(tree):
    with pytest.raises(InputError, match="outside"):
        collect(["../temp/*"], tree["ws"], True)


def test_files_in_runner_temp_are_attached_when_it_is_a_root(tree):
    (file,) = collect([str(tree["temp"] / "*.tar.gz")], tree["ws"], True, roots=[tree["ws"], tree["temp"]])
    assert file.path == tree["temp"] / "built.tar.gz"
    assert file.sha256 == hashlib.sha256(b"tgz").hexdigest()


def test_a_symlink_to_a_file_inside_is_attached_under_its_own_name_from_the_resolved_file(tree):
    (tree["ws"] / "dist" / "app-latest.zip").symlink_to("app.zip")
    files = collect(["dist/app-latest.zip"], tree["ws"], True, roots=[tree["ws"]])
    (file,) = files
    assert file.name == "app-latest.zip"
    assert file.path == tree["ws"] / "dist" / "app.zip"  # what was checked is what is read
    assert file.identity == local_files.identity_of(os.stat(tree["ws"] / "dist" / "app.zip"))


def test_a_symlink_and_its_target_matched_together_are_one_file(tree):
    (tree["ws"] / "dist" / "app-latest.zip").symlink_to("app.zip")
    files = collect(["dist/*.zip"], tree["ws"], True, roots=[tree["ws"]])
    assert [(f.name, f.path.name) for f in files] == [("app-latest.zip", "app.zip")]


def test_an_unreadable_file_refuses_the_run():
    # pytest's tmp_path is private to root; `nobody` must be able to reach the file.
    ws = Path(tempfile.mkdtemp(prefix="unreadable-")).resolve()
    try:
        ws.chmod(0o755)
        make(ws, {"dist/app.zip": b"app"})
        (ws / "dist").chmod(0o755)
        (ws / "dist" / "app.zip").chmod(0o000)

        result = unprivileged(lambda: collect(["dist/*"], ws, True, roots=[ws]))

        assert result.startswith("InputError: Input `files`:"), result
        assert "'dist/app.zip' cannot be read (permission denied)" in result
    finally:
        shutil.rmtree(ws)


# -- GitHub's limits, before the first write ------------------------------------------------------


def test_the_limits_are_githubs():
    # "About releases", Storage and bandwidth quotas: 1000 assets per release; each file
    # under 2 GiB (the API: "size must be less than or equal to 2147483648").
    assert MAX_ASSETS == 1000
    assert MAX_ASSET_SIZE == 2_147_483_648


def test_as_many_files_as_a_release_holds_are_collected(tmp_path):
    make(tmp_path, {f"dist/f{i:04}.txt": b"" for i in range(MAX_ASSETS)})
    assert len(collect(["dist/*"], tmp_path, True)) == MAX_ASSETS


def test_more_files_than_a_release_holds_refuse_the_run_before_hashing(tmp_path, monkeypatch):
    make(tmp_path, {f"dist/f{i:04}.txt": b"" for i in range(MAX_ASSETS + 1)})
    monkeypatch.setattr(asset_files, "sha256_of_stream", lambda *_args: pytest.fail("hashed"))
    with pytest.raises(InputError) as caught:
        collect(["dist/*"], tmp_path, True)
    assert "Input `files`" in str(caught.value)
    assert f"{MAX_ASSETS + 1} files" in str(caught.value) and f"at most {MAX_ASSETS}" in str(caught.value)


def test_a_file_over_githubs_size_limit_refuses_the_run_before_any_file_is_hashed(tmp_path, monkeypatch):
    make(tmp_path, {"dist/a-small.txt": b"x"})
    with open(tmp_path / "dist" / "b-huge.bin", "wb") as stream:
        stream.truncate(MAX_ASSET_SIZE + 1)  # sparse: no disk space
    monkeypatch.setattr(asset_files, "sha256_of_stream", lambda *_args: pytest.fail("hashed"))
    with pytest.raises(InputError) as caught:
        collect(["dist/*"], tmp_path, True)
    assert "'dist/b-huge.bin'" in str(caught.value) and "2.0 GiB" in str(caught.value)


def test_a_file_of_exactly_the_size_limit_is_accepted(tmp_path, monkeypatch):
    monkeypatch.setattr(asset_files, "MAX_ASSET_SIZE", 10)  # hashing 2 GiB here would cost seconds
    make(tmp_path, {"ten.bin": b"x" * 10, "eleven.bin": b"x" * 11})
    assert [f.size for f in collect(["ten.bin"], tmp_path, True)] == [10]
    with pytest.raises(InputError, match=r"eleven\.bin"):
        collect(["*.bin"], tmp_path, True)


# -- the upload reads the file that was hashed -----------------------------------------------------


@pytest.mark.parametrize("swap", ["replaced by another file", "replaced by a symlink", "deleted"])
def test_a_file_swapped_after_hashing_is_not_uploaded(tmp_path, swap):
    make(tmp_path, {"dist/app.zip": b"app", "other.zip": b"other"})
    (file,) = collect(["dist/*"], tmp_path, True)
    if swap == "replaced by another file":
        os.replace(tmp_path / "other.zip", file.path)
    elif swap == "replaced by a symlink":
        file.path.unlink()
        file.path.symlink_to(tmp_path / "other.zip")
    else:
        file.path.unlink()

    with pytest.raises(local_files.Refused):
        FileBody(file.path, file.size, file.identity)
    with pytest.raises(AssetError, match=r"app\.zip"):
        upload(None, "https://uploads.example/x{?name,label}", file)  # refused before any request


def test_the_file_that_was_hashed_is_the_one_uploaded(tmp_path):
    make(tmp_path, {"dist/app.zip": b"app"})
    (file,) = collect(["dist/*"], tmp_path, True)
    body = FileBody(file.path, file.size, file.identity)
    try:
        assert b"".join(body) == b"app"
    finally:
        body.close()


@pytest.mark.parametrize(
    ("size", "said"),
    [(0, "0 bytes"), (1, "1 byte"), (1023, "1023 bytes"), (2048, "2.0 KiB"), (3 * 1024**2, "3.0 MiB")],
)
def test_a_size_reads_in_words_with_the_right_plural(size, said):
    assert describe_size(size) == said


# -- the token backstop: no asset that holds the token -------------------------------------------

TOKEN = "ghs_" + "0123456789abcdefABCDEF0123456789abcd"


def checkout_form(token: str) -> bytes:
    """What actions/checkout writes into .git/config: base64 of x-access-token:TOKEN, padded."""
    return base64.b64encode(f"x-access-token:{token}".encode())


@pytest.mark.parametrize("form", ["raw", "checkout", "checkout-unpadded", "checkout-in-config"])
@pytest.mark.parametrize("at", [0, CHUNK - 30, CHUNK - 1, CHUNK, 2 * CHUNK + 5], ids=lambda at: f"at-{at}")
def test_a_file_that_holds_the_token_is_refused_wherever_it_sits(tmp_path, form, at):
    secret = {
        "raw": TOKEN.encode(),
        "checkout": checkout_form(TOKEN),
        "checkout-unpadded": checkout_form(TOKEN).rstrip(b"="),
        "checkout-in-config": b"\textraheader = AUTHORIZATION: basic " + checkout_form(TOKEN) + b"\n",
    }[form]
    data = bytearray(3 * CHUNK)
    data[at : at + len(secret)] = secret
    make(tmp_path, {"dist/app.bin": bytes(data), "dist/ok.txt": b"ok"})
    with pytest.raises(InputError, match=r"'dist/app.bin' holds the job's token \(the token") as caught:
        collect(["dist/*"], tmp_path, True, token=TOKEN)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    "near",
    [
        TOKEN[:-1].encode(),  # one character short
        TOKEN.upper().encode(),  # another token
        base64.b64encode(f"x-access-token:{TOKEN[:-3]}".encode()),  # base64 of a shorter one
        base64.b64encode(f"x{TOKEN}".encode()),  # the token, but not as checkout encodes it
    ],
)
def test_a_file_with_only_something_like_the_token_is_attached(tmp_path, near):
    make(tmp_path, {"app.bin": bytes(CHUNK - 10) + near + bytes(100)})
    (file,) = collect(["app.bin"], tmp_path, True, token=TOKEN)
    assert file.name == "app.bin"


def test_the_scanner_finds_a_form_split_across_any_two_pieces():
    for form, _ in forms(TOKEN):
        stream = bytes(50) + form + bytes(50)
        for size in range(1, len(stream) + 1):
            scanner = Scanner(TOKEN)
            for start in range(0, len(stream), size):
                scanner.feed(bytearray(stream[start : start + size]) + form, min(size, len(stream) - start))
            assert scanner.found is not None, size
        scanner = Scanner(TOKEN)
        scanner.feed(bytearray(bytes(50)) + form, 50)  # what lies past `count` is not the stream's
        assert scanner.found is None


# -- pattern expansion: glob's rules, no symlink loop, within the deadline -----------------------

GLOB_PATTERNS = [
    "dist/**",
    "dist/**/*.zip",
    "**/*.zip",
    "**",
    "dist/*",
    "dist/.*",
    "dist/sub",
    "dist/nope",
    "dist/*/",
    "dist/**/",
    "dist/sub/../a.zip",
    "d*/s*/b.zip",
    "./dist/*.zip",
    "dist/*.[zZ]*",
    "dist/?.zip",
    "**/deep/*",
    "dist/**/l.bin",
    "dist/broken",
    "dist/[[]x].txt",
    "dist/**/**/*.txt",
]


@pytest.fixture
def globbed_tree(tmp_path):
    make(tmp_path, {n: n.encode() for n in ["dist/a.zip", "dist/A.ZIP", "dist/sub/b.zip", "dist/.hid", "dist/.hd/c.zip",
                                             "dist/sub/deep/x.txt", "dist/[x].txt", "build/linux/l.bin"]})  # fmt: skip
    (tmp_path / "dist" / "lnk").symlink_to("../build/linux")
    (tmp_path / "dist" / "broken").symlink_to("nowhere")
    return tmp_path


@pytest.mark.parametrize("pattern", GLOB_PATTERNS)
def test_a_pattern_matches_what_glob_matches(globbed_tree, pattern):
    by_glob = {hit.rstrip("/") for hit in glob.glob(pattern, root_dir=globbed_tree, recursive=True)} - {""}
    assert set(file_globs.expand(pattern, globbed_tree)) == by_glob


def test_double_star_does_not_go_round_a_directory_symlink_loop(tmp_path):
    make(tmp_path, {"dir/app.bin": b"a", "dir/sub/lib.bin": b"l"})
    for name in ("a", "b", "c"):
        (tmp_path / "dir" / name).symlink_to(".")  # glob: 3^40 paths
    (tmp_path / "dir" / "sub" / "up").symlink_to("..")
    assert sorted(file_globs.expand("dir/**", tmp_path)) == ["dir", "dir/app.bin", "dir/sub", "dir/sub/lib.bin"]
    assert [f.name for f in collect(["dir/**"], tmp_path, True)] == ["app.bin", "lib.bin"]


def test_collection_stops_when_the_deadline_ends(tmp_path):
    make(tmp_path, {"dist/a.bin": bytes(3 * CHUNK)})
    ticks = itertools.count(0, 0.4)  # each reading of the clock is 0.4 s later: listing at 0.4, hashing from 0.8
    with pytest.raises(BudgetExhausted, match=r"timeout_seconds \(1\) ran out while hashing the `files`"):
        collect(["dist/*"], tmp_path, True, deadline=Deadline(1, clock=lambda: next(ticks)))


def test_a_pattern_that_matches_too_many_paths_is_refused(tmp_path, monkeypatch):
    make(tmp_path, {f"d/{i}.bin": b"x" for i in range(30)})
    monkeypatch.setattr(asset_files, "MAX_PATHS", 20)
    with pytest.raises(InputError, match="matches more than 20 paths"):
        collect(["d/*"], tmp_path, True)


def test_a_token_too_short_to_be_github_s_is_not_looked_for(tmp_path):
    # GitHub's tokens have 40 characters or more; a test's "t" is in every other word.
    make(tmp_path, {"notes.txt": b"the tests pass"})
    assert [f.name for f in collect(["notes.txt"], tmp_path, True, token="t")] == ["notes.txt"]
    assert forms("x" * 15) == () and len(forms("x" * 16)) == 2
