"""Smoke-test one platform of a built image, run the way the runner runs a container action:

    python -m release_bench.smoke_image IMAGE --platform linux/arm64

release.yml runs it on the pushed manifest list, by digest, for each platform, before it moves
any tag. The image must be present for that platform (`docker pull --platform`); it is never
pulled here, so what is tested is what was pulled. Against the sandbox (release_bench.sandbox)
on 127.0.0.1, with `--network host`: the image's Python must be the platform's, a first run must
create the release and a second, identical run must find it unchanged and write nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from release_bench import harness
from release_bench.harness import IN_CONTAINER, parse_outputs
from release_bench.sandbox import Sandbox

REPO = "octo/smoke"
TAG = "v0.0.0-smoke"
MACHINE = {"amd64": "x86_64", "arm64": "aarch64"}  # Docker's architecture -> Python's platform.machine()
WRITES = ("POST", "PATCH", "PUT", "DELETE")


class SmokeError(Exception):
    """The image failed the smoke test; the message says how."""


def docker(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, env=env, timeout=timeout, check=False)


def runner_env(sb: Sandbox) -> dict[str, str]:
    """What the runner passes a container action (every input, defaults filled in), from the harness."""
    given = {"tag": TAG, "name": "Smoke test", "notes": "Made by release_bench.smoke_image."}
    return harness.runner_env(sb.api_url, sb.token, IN_CONTAINER, given, repository=REPO, tag=TAG, every_input=True)


def run_once(image: str, platform: str, sb: Sandbox, work: Path) -> dict[str, str]:
    ws, fc = work / "workspace", work / "file_commands"
    ws.mkdir(parents=True)
    fc.mkdir()
    (fc / "output").touch()
    (fc / "summary").touch()
    env = runner_env(sb)
    argv = ["run", "--rm", "--platform", platform, "--network", "host", "--workdir", "/github/workspace"]
    argv += ["-v", f"{ws}:/github/workspace", "-v", f"{fc}:/github/file_commands"]
    for key in env:
        argv += ["-e", key]  # values travel in the client's environment, as the runner passes them
    proc = docker(*argv, image, env={**os.environ, **env})
    if proc.returncode != 0:
        raise SmokeError(f"the action exited {proc.returncode}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return parse_outputs((fc / "output").read_text(encoding="utf-8"))


def smoke(image: str, platform: str) -> list[str]:
    """Run the smoke test; the lines of its report. Raises SmokeError."""
    os_arch = platform.split("/")
    if len(os_arch) < 2 or os_arch[0] != "linux" or os_arch[1] not in MACHINE:
        raise SmokeError(f"--platform {platform!r}: want linux/amd64 or linux/arm64")
    found = docker("image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", image, timeout=60)
    if found.returncode != 0:
        raise SmokeError(f"{image} is not present: `docker pull --platform {platform} {image}` first")
    if found.stdout.strip() != "/".join(os_arch[:2]):
        raise SmokeError(f"{image} here is {found.stdout.strip()}, not {platform}: pull it with --platform")
    machine = docker("run", "--rm", "--platform", platform, "--entrypoint", "python", image, "-c",
                     "import platform; print(platform.machine())")  # fmt: skip
    if machine.stdout.strip() != MACHINE[os_arch[1]]:
        raise SmokeError(f"the image's Python runs as {machine.stdout.strip()!r}: {machine.stderr[-500:]}")
    report = [f"{image} ({platform}): Python runs as {machine.stdout.strip()}"]
    sb = Sandbox(repos=(REPO,)).start()
    try:
        with tempfile.TemporaryDirectory(prefix="smoke-image-") as tmp:
            first = run_once(image, platform, sb, Path(tmp) / "first")
            writes = sum(sb.count(method=m) for m in WRITES)
            second = run_once(image, platform, sb, Path(tmp) / "second")
        releases = [r for r in sb.releases(REPO) if r["tag_name"] == TAG]
        if first.get("status") != "created" or len(releases) != 1 or str(releases[0]["id"]) != first.get("id"):
            raise SmokeError(f"the first run did not create one release: outputs {first}, releases {releases}")
        if releases[0]["draft"] or releases[0]["name"] != "Smoke test":
            raise SmokeError(f"the release is not as asked: {releases[0]}")
        if second.get("status") != "unchanged" or sum(sb.count(method=m) for m in WRITES) != writes:
            raise SmokeError(f"the identical second run was not a no-op: outputs {second}")
        report.append(f"first run: created release {first['id']}; second run: unchanged, no writes")
    finally:
        sb.stop()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release_bench.smoke_image", description=__doc__.split("\n\n")[0])
    parser.add_argument("image", help="the image, best by digest: ghcr.io/OWNER/NAME@sha256:…")
    parser.add_argument("--platform", required=True, help="linux/amd64 or linux/arm64")
    args = parser.parse_args(argv)
    try:
        report = smoke(args.image, args.platform)
    except (SmokeError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"smoke_image: FAILED: {exc}", file=sys.stderr)
        return 1
    print("\n".join(["smoke_image: OK", *report]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
