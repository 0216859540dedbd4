"""Release notes end to end: from a file, the changelog or GitHub; replacing the body, appended, in a section."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import TAG, Action, assert_converged, writes


def test_notes_file_is_read_from_the_workspace_as_utf8(sb, action: Action) -> None:
    (action.workdir / "CHANGES.md").write_text("## Fixed\n* café ☕ bug\n", encoding="utf-8")
    run = action.run({"notes_file": "CHANGES.md"})
    release = assert_converged(sb, [run])
    assert release["body"] == "## Fixed\n* café ☕ bug\n"


def test_generated_notes_start_with_the_given_notes_and_compare_with_previous_tag(sb, action: Action) -> None:
    sb.push_tag("octo/demo", "v0.9.0")
    run = action.run({"notes": "Highlights first.", "generate_notes": "true", "previous_tag": "v0.9.0"})
    release = assert_converged(sb, [run])
    assert release["body"].startswith("Highlights first.\n\n")
    assert "compare/v0.9.0...v1.0.0" in release["body"]
    assert run.outputs["status"] == "created"


def test_generated_notes_are_kept_on_a_re_run(sb, action: Action) -> None:
    inputs = {"notes": "Intro", "generate_notes": "true"}
    first = action.run(inputs)
    body = assert_converged(sb, [first])["body"]
    assert "What's Changed" in body
    sb.clear_log()
    again = action.run(inputs)
    assert_converged(sb, [again])
    assert again.outputs["status"] == "unchanged"
    assert writes(sb) == []
    assert sb.releases("octo/demo")[0]["body"] == body
    assert TAG in body


# -- where the notes go: appended, or in a named section -----------------------------------------

REPO = "octo/demo"
LINUX_BEGIN, LINUX_END = "<!-- safe-release:begin linux -->", "<!-- safe-release:end linux -->"


def release_writes(sb) -> list[dict]:
    """Writes to releases: creates, updates and deletes (not a request for generated notes)."""
    return [e for e in writes(sb) if e["route"] != "generate_notes"]


def test_appended_notes_go_after_the_existing_body_and_a_rerun_writes_nothing(sb, action: Action) -> None:
    sb.seed_release(REPO, TAG, name=TAG, body="Written by hand.")
    inputs = {"notes": "* linux: ok\n", "append_notes": "true"}

    first = action.run(inputs)
    release = assert_converged(sb, [first])
    assert release["body"] == "Written by hand.\n\n* linux: ok"
    assert first.outputs["status"] == "updated"
    assert "notes: append 13 characters to the 16 there" in first.stdout, first
    sb.clear_log()

    again = action.run(inputs)
    assert_converged(sb, [again])
    assert again.outputs["status"] == "unchanged"
    assert writes(sb) == []
    assert sb.releases(REPO)[0]["body"] == "Written by hand.\n\n* linux: ok"


def test_appended_notes_are_found_after_the_body_was_saved_on_the_web_page(sb, action: Action) -> None:
    """The release page sends the body with CRLF line endings (and editors trim trailing blanks):
    the notes are still there, so nothing is appended again."""
    sb.seed_release(REPO, TAG, name=TAG, body="Intro\r\n\r\n* linux: ok\r\n* tests: pass\r\n")

    run = action.run({"notes": "* linux: ok  \n* tests: pass\n", "append_notes": "true"})

    assert_converged(sb, [run])
    assert run.outputs["status"] == "unchanged"
    assert writes(sb) == []


def test_a_new_release_made_by_an_append_holds_just_the_notes(sb, action: Action) -> None:
    run = action.run({"notes": "* linux: ok", "append_notes": "true"})
    assert assert_converged(sb, [run])["body"] == "* linux: ok"
    assert run.outputs["status"] == "created"


def test_appended_generated_notes_are_added_once_beside_each_runs_notes(sb, action: Action) -> None:
    """Two jobs of a matrix each append their line and ask for generated notes: GitHub's notes end
    in the body once; a re-run asks GitHub for them again (one request) and writes nothing."""
    linux = action.run({"notes": "* linux: ok", "append_notes": "true", "generate_notes": "true"})
    macos = action.run({"notes": "* macos: ok", "append_notes": "true", "generate_notes": "true"})
    body = assert_converged(sb, [linux, macos])["body"]
    assert body.count("## What's Changed") == 1, body
    assert body.startswith("* linux: ok\n\n## What's Changed") and body.endswith("\n\n* macos: ok"), body
    sb.clear_log()

    again = action.run({"notes": "* macos: ok", "append_notes": "true", "generate_notes": "true"})

    assert again.outputs["status"] == "unchanged"
    assert release_writes(sb) == []
    routes = [e["route"] for e in sb.log]
    assert routes.count("generate_notes") == 1 and set(routes) == {"generate_notes", "get_release_by_tag"}, routes
    assert sb.releases(REPO)[0]["body"] == body


@pytest.mark.parametrize("dry_run", ["false", "true"])
def test_notes_that_would_make_the_body_too_long_fail_clearly_writing_nothing(sb, action: Action, dry_run) -> None:
    """The dry run ends with the error the real run would give (it ended as "a bug" before)."""
    sb.seed_release(REPO, TAG, name=TAG, body="x" * 124_990)

    run = action.run({"notes": "* one more line of notes", "append_notes": "true", "dry_run": dry_run})

    assert run.code == 1, run
    (error,) = run.errors
    assert "would be 125016 characters" in error and "`append_notes: true`" in error and "125000" in error, run
    assert writes(sb) == []


def test_a_section_is_added_at_the_end_and_a_rerun_writes_nothing(sb, action: Action) -> None:
    sb.seed_release(REPO, TAG, name=TAG, body="Intro")
    inputs = {"notes": "linux: ok", "notes_section": "linux"}

    first = action.run(inputs)
    release = assert_converged(sb, [first])
    assert release["body"] == f"Intro\n\n{LINUX_BEGIN}\nlinux: ok\n{LINUX_END}"
    assert "notes: add section 'linux' (1 line)" in first.stdout, first
    sb.clear_log()

    again = action.run(inputs)
    assert again.outputs["status"] == "unchanged"
    assert writes(sb) == []


def test_a_changed_section_on_a_rerun_updates_only_its_own_section(sb, action: Action) -> None:
    before = (
        "Intro, edited by hand  \r\n"
        "\r\n"
        "<!-- safe-release:begin macos -->\nmacos: ok\n<!-- safe-release:end macos -->\n"
        "\n"
        f"{LINUX_BEGIN}\r\nlinux: build 1\r\n{LINUX_END}\r\n"
        "\r\n"
        "Footer\r\n"
    )
    sb.seed_release(REPO, TAG, name=TAG, body=before)

    run = action.run({"notes": "linux: build 2\n\n* faster", "notes_section": "linux"})

    release = assert_converged(sb, [run])
    assert run.outputs["status"] == "updated"
    assert release["body"] == before.replace("linux: build 1\r\n", "linux: build 2\n\n* faster\n")
    assert "notes: replace section 'linux' (3 lines)" in run.stdout, run
    assert [e["route"] for e in release_writes(sb)] == ["update_release"]


def test_section_and_append_together_are_refused_before_any_request(sb, action: Action) -> None:
    run = action.run({"notes": "x", "notes_section": "linux", "append_notes": "true"})

    assert run.code == 2, run
    (error,) = run.errors
    assert "Set either `notes_section` or `append_notes: true`, not both" in error, run
    assert sb.log == []


# -- notes from the changelog --------------------------------------------------------------------

CHANGELOGS = {
    "keep a changelog": (
        "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-02\n### Added\n- it\n\n## [0.9.0]\n- old\n"
    ),
    "## v1.0.0": "## v1.0.1\n- next\n## v1.0.0\n### Added\n- it\n## v0.9.0\n- old\n",
    "# 1.0.0 (date)": "# 1.0.0 (2026-01-02)\n\n### Added\n- it\n\n# 0.9.0 (2025-01-02)\n- old\n",
    "setext": "Changes\n=======\n\nv1.0.0\n------\n### Added\n- it\n\nv0.9.0\n------\n- old\n",
}


@pytest.mark.parametrize("style", list(CHANGELOGS))
def test_the_changelog_section_for_the_tag_is_the_body_and_a_rerun_writes_nothing(sb, action, style) -> None:
    (action.workdir / "CHANGELOG.md").write_text(CHANGELOGS[style], encoding="utf-8")

    first = action.run({"changelog_file": "CHANGELOG.md"})

    assert assert_converged(sb, [first])["body"] == "### Added\n- it"
    assert "notes: the section of CHANGELOG.md under" in first.stdout, first
    sb.clear_log()
    again = action.run({"changelog_file": "CHANGELOG.md"})
    assert again.outputs["status"] == "unchanged"
    assert writes(sb) == []


def test_a_changelog_without_the_tags_section_is_refused_before_any_request(sb, action: Action) -> None:
    (action.workdir / "CHANGELOG.md").write_text(CHANGELOGS["keep a changelog"], encoding="utf-8")

    run = action.run({"changelog_file": "CHANGELOG.md", "tag": "v1.1.0"})

    assert run.code == 2, run
    (error,) = run.errors
    assert "Input `changelog_file`: 'CHANGELOG.md' has no section for v1.1.0" in error, run
    assert "line 3: '## [Unreleased]'" in error and "line 5: '## [1.0.0] - 2026-01-02'" in error, run
    assert sb.log == []


def test_the_dry_run_shows_the_changelog_section_it_took(sb, action: Action) -> None:
    (action.workdir / "CHANGELOG.md").write_text(CHANGELOGS["keep a changelog"], encoding="utf-8")

    run = action.run({"changelog_file": "CHANGELOG.md", "dry_run": "true"})

    assert run.code == 0, run
    assert "notes: the section of CHANGELOG.md under '## [1.0.0] - 2026-01-02' (line 5, 2 lines):" in run.stdout
    assert "  | ### Added\n  | - it\n" in run.stdout, run
    assert writes(sb) == []


def test_changelog_notes_kept_in_a_section_of_a_release_made_by_hand(sb, action: Action) -> None:
    (action.workdir / "CHANGELOG.md").write_text(CHANGELOGS["## v1.0.0"], encoding="utf-8")
    sb.seed_release(REPO, TAG, name=TAG, body="Download below.")

    run = action.run({"changelog_file": "CHANGELOG.md", "notes_section": "changes"})

    body = assert_converged(sb, [run])["body"]
    assert body == (
        "Download below.\n\n<!-- safe-release:begin changes -->\n### Added\n- it\n<!-- safe-release:end changes -->"
    )


def test_a_dry_run_that_appends_generated_notes_plans_what_the_real_run_then_writes(sb, action: Action) -> None:
    """Appended (or in a section), GitHub's generated notes are a text of the run like its notes: the
    dry run asks GitHub for them too (a request that writes nothing), so its plan is the real run's."""
    sb.seed_release(REPO, TAG, name=TAG, body="Written by hand.")
    inputs = {"notes": "* linux: ok", "append_notes": "true", "generate_notes": "true"}

    dry = action.run({**inputs, "dry_run": "true"})

    assert dry.code == 0, dry
    assert release_writes(sb) == []
    assert dry.outputs["status"] == "updated", dry
    assert "would update release" in dry.stdout and "notes: append" in dry.stdout, dry
    planned = next(line for line in dry.stdout.splitlines() if "notes: append" in line)
    sb.clear_log()

    real = action.run(inputs)

    assert real.outputs["status"] == "updated"
    body = assert_converged(sb, [real])["body"]
    assert body.startswith("Written by hand.\n\n* linux: ok\n\n## What's Changed"), body
    assert planned.replace("would ", "").strip() in real.stdout, (planned, real.stdout)


@pytest.mark.parametrize("fault", ["500", "502_after_commit", "reset_after_commit"])
@pytest.mark.parametrize("placement", [{}, {"append_notes": "true"}], ids=["replace", "append"])
def test_a_lost_answer_to_generate_notes_is_asked_again_as_the_read_it_is(sb, action: Action, fault, placement):
    """generate-notes is a POST that writes nothing: a 5xx or a reset is retried like a read. It
    once failed an appending run ("a write's outcome is unknown") and, replacing the body, passed
    for a lost create (the run then took other drafts for maybe its own)."""
    sb.push_tag(REPO, "v0.9.0")
    sb.add_fault("generate_notes", fault)

    run = action.run({"notes": "Intro", "generate_notes": "true", "previous_tag": "v0.9.0", **placement})

    body = assert_converged(sb, [run])["body"]
    assert run.outputs["status"] == "created"
    assert "outcome is unknown" not in run.stdout, run
    assert body.startswith("Intro\n\n") and "compare/v0.9.0...v1.0.0" in body, body
    assert [e["route"] for e in writes(sb)].count("generate_notes") == 2  # the failed ask and its retry
    assert re.search(r"^created: \S+ \(\d+ API requests, 1 write\)$", run.stdout, re.M), run  # the create
