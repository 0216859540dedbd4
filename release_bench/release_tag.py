"""What a pushed version tag means to release.yml: the version, the moving tags it may update,
whether it is a pre-release, and the image it is published as.

    python3 -m release_bench.release_tag vMAJOR.MINOR.PATCH[-PRERELEASE] OWNER/NAME

prints `name=value` lines for `$GITHUB_OUTPUT` or `$GITHUB_ENV`, or one `::error::` line (on
stderr) and exits 1. The `image` job reads the tag here, and so does the job that makes the
release commit, itself: it trusts no other job's outputs but the image digest. Standard library
only, so that it runs on the runner's own python3 with nothing installed.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

TAG = re.compile(r"v(?P<major>[0-9]+)\.(?P<minor>[0-9]+)\.(?P<patch>[0-9]+)(?P<prerelease>-[0-9A-Za-z.-]+)?")
# GitHub's owner/name (GITHUB_REPOSITORY): what may follow `ghcr.io/` once lowercased.
REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ReleaseTag:
    version: str  # vX.Y.Z or vX.Y.Z-PRE: the tag itself
    minor: str  # vX.Y
    major: str  # vX
    prerelease: bool
    image: str  # ghcr.io/owner/name, lowercase (image names are)

    def lines(self) -> str:
        prerelease = "true" if self.prerelease else "false"
        return (
            f"version={self.version}\nminor={self.minor}\nmajor={self.major}\n"
            f"prerelease={prerelease}\nimage={self.image}\n"
        )


def read(tag: str, repository: str) -> ReleaseTag:
    """The release a tag asks for; ValueError, saying what is wrong, for anything else."""
    match = TAG.fullmatch(tag)
    if not match:
        raise ValueError(f"tag {tag} is not vMAJOR.MINOR.PATCH or vMAJOR.MINOR.PATCH-PRERELEASE")
    if not REPOSITORY.fullmatch(repository):
        raise ValueError(f"GITHUB_REPOSITORY {repository!r} is not OWNER/NAME")
    major = f"v{match['major']}"
    return ReleaseTag(
        version=tag,
        minor=f"{major}.{match['minor']}",
        major=major,
        prerelease=match["prerelease"] is not None,
        image=f"ghcr.io/{repository.lower()}",
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python3 -m release_bench.release_tag TAG OWNER/NAME", file=sys.stderr)
        return 2
    try:
        release = read(*args)
    except ValueError as exc:
        print(f"::error::{exc}", file=sys.stderr)
        return 1
    sys.stdout.write(release.lines())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
