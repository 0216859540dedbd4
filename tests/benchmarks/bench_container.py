"""Benchmark the action's image (a script, not a test: pytest does not collect it).

    python -m tests.benchmarks.bench_container [--runs 7] [--image NAME] [--skip-build]

Measures, and prints as a Markdown table:
  * image size, and what our layers add over the base (`docker history`);
  * the compressed image, as a registry stores it and a runner pulls it: the gzip'd layers and
    config that `docker push` sent to release_bench.registry (the loopback stand-in for ghcr.io),
    in total and for our layers alone;
  * `docker run` start-to-exit on the "unchanged" path (median of N), against the
    in-process sandbox on 127.0.0.1 with `--network host`;
  * time to the first API request: from just before `docker run` is called, and from the
    container's own StartedAt, to the first request in the sandbox's log;
  * `python -X importtime` of the action inside the image, and a bare `python -c pass`
    container for the floor that Docker itself costs;
  * the whole job step both ways (median of N each, alternating, base image present in both):
    `image: Dockerfile`, where the runner builds with an empty build cache
    (`docker build --no-cache`: our layers rebuilt, the wheels downloaded from the package
    index) and then runs; and the prebuilt image, where it pulls by digest (our layers, from
    the loopback registry: no network, so the download of a real pull is not in it) and runs.
    The image itself is removed for the prebuilt measure, so run it last.

Goals: our layers <= 25 MB; container start -> first request <= 0.5 s.
Needs a Docker engine; exits 2 when none answers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from release_bench import base_image
from release_bench.harness import IN_CONTAINER, REPO, ROOT, WRITES, runner_env
from release_bench.registry import Registry
from release_bench.sandbox import Sandbox

MB = 1_000_000
LAYER_GOAL_MB = 25
FIRST_REQUEST_GOAL_S = 0.5


def sh(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    check: bool = True,
    timeout: float = 900,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        cmd, input=stdin, capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def parse_size(text: str) -> float:
    """`docker history` human sizes (docker uses SI units: kB, MB, GB) → bytes."""
    m = re.fullmatch(r"([\d.]+)\s*([kKMG]?B)", text.strip())
    if not m:
        return 0.0
    return float(m.group(1)) * {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9}[m.group(2)]


def parse_docker_time(stamp: str) -> float:
    """RFC 3339 with nanoseconds (docker inspect) → epoch seconds."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", stamp.strip())
    if not m:
        raise ValueError(stamp)
    base = dt.datetime.fromisoformat(m.group(1) + ("+00:00" if m.group(3) == "Z" else m.group(3)))
    frac = float("0." + m.group(2)) if m.group(2) else 0.0
    return base.timestamp() + frac


def layers(image: str, base: str) -> tuple[list[tuple[str, float]], float]:
    """Our layers (newest first) as (instruction, bytes), and their total."""
    fmt = "{{.ID}}\t{{.Size}}\t{{.CreatedBy}}"
    ours = sh(["docker", "history", "--no-trunc", "--format", fmt, image]).stdout.splitlines()
    theirs = sh(["docker", "history", "--no-trunc", "--format", fmt, base]).stdout.splitlines()
    extra = ours[: len(ours) - len(theirs)]
    rows = []
    for line in extra:
        _id, size, created = line.split("\t", 2)
        created = re.sub(r"^/bin/sh -c (#\(nop\)\s*)?", "", created).strip()
        rows.append((created[:70], parse_size(size)))
    return rows, sum(s for _, s in rows)


def image_size(image: str) -> int:
    return int(sh(["docker", "image", "inspect", "--format", "{{.Size}}", image]).stdout.strip())


def container_env(sb, tag: str, fc: Path) -> tuple[dict[str, str], list[str]]:
    """The docker client's environment (the step's values ride in it) and the `-e NAME` flags naming them."""
    values = runner_env(
        sb.api_url, sb.token, IN_CONTAINER, {"name": "Bench", "notes": "Benchmark notes."}, tag=tag, every_input=True
    )
    (fc / "output").write_text("")
    (fc / "summary").write_text("")
    flags: list[str] = []
    for key in values:
        flags += ["-e", key]
    return {**os.environ, **values}, flags


def one_run(image: str, sb, tag: str, work: Path) -> dict[str, float]:
    ws, fc = work / "ws", work / "fc"
    ws.mkdir(parents=True, exist_ok=True)
    fc.mkdir(parents=True, exist_ok=True)
    env, flags = container_env(sb, tag, fc)
    name = f"sra-bench-{uuid.uuid4().hex[:10]}"
    argv = [
        "docker",
        "run",
        "--name",
        name,
        "--workdir",
        "/github/workspace",
        "-v",
        f"{ws}:/github/workspace",
        "-v",
        f"{fc}:/github/file_commands",
        "--network",
        "host",
        *flags,
        image,
    ]
    seen = len(sb.log)
    t0 = time.time()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
    t1 = time.time()
    try:
        if proc.returncode != 0:
            sys.exit(f"docker run exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        started = parse_docker_time(sh(["docker", "inspect", "--format", "{{.State.StartedAt}}", name]).stdout)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    new = sb.log[seen:]
    first = min(float(entry["t"]) for entry in new) if new else float("nan")
    return {
        "wall": t1 - t0,
        "invoke_to_first": first - t0,
        "started_to_first": first - started,
        "requests": float(len(new)),
    }


def import_cost(image: str) -> tuple[float, list[tuple[str, float]]]:
    """Cumulative import time of release_action.main in the image (ms) and the heaviest
    third-party and stdlib imports under it (ms)."""
    proc = sh(
        [
            "docker",
            "run",
            "--rm",
            "--workdir",
            "/app",  # sys.path[0] = /app, as for /app/entrypoint.py
            "--entrypoint",
            "python",
            image,
            "-X",
            "importtime",
            "-c",
            "import release_action.main",
        ],
        check=False,
    )
    top: list[tuple[str, float]] = []
    heavy: list[tuple[str, float]] = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)", line)
        if not m:
            continue
        depth = (len(m.group(3)) - 1) // 2  # one space at the top, two more per level
        entry = (m.group(4), int(m.group(2)) / 1000)
        if depth == 0:
            top.append(entry)
        if depth <= 2 and not entry[0].startswith("release_action"):
            heavy.append(entry)  # what the action's own modules pull in
    total = sum(ms for _, ms in top)
    return total, sorted(heavy, key=lambda x: -x[1])[:6]


def bare_python(image: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.time()
        sh(["docker", "run", "--rm", "--entrypoint", "python", image, "-c", "pass"])
        times.append(time.time() - t0)
    return statistics.median(times)


def push(image: str, base_image_ref: str, registry, name: str) -> tuple[str, dict[str, int]]:
    """Push to the loopback registry: the digest reference, and the compressed sizes in bytes
    (`total`: config and layers; `ours`: the layers over the base)."""
    tagged = f"{registry.address}/{name}:bench"
    sh(["docker", "tag", image, tagged])
    out = sh(["docker", "push", tagged]).stdout
    sh(["docker", "image", "rm", tagged])
    m = re.search(r"digest: (sha256:[0-9a-f]{64})", out)
    if not m:
        sys.exit(f"docker push reported no digest:\n{out[-2000:]}")
    manifest = registry.manifest(name, m.group(1))
    sizes = [layer["size"] for layer in manifest["layers"]]
    inspect = ["docker", "image", "inspect", "--format", "{{json .RootFS.Layers}}", base_image_ref]
    base = len(json.loads(sh(inspect).stdout))
    return f"{registry.address}/{name}@{m.group(1)}", {
        "total": manifest["config"]["size"] + sum(sizes),
        "ours": sum(sizes[base:]),
    }


def job_steps(built_tag: str, ref: str, sb, release: str, work: Path, runs: int) -> dict[str, dict[str, float]]:
    """The job step both ways, alternating so that both meet the same load; medians.

    `image: Dockerfile`: build with an empty cache, then run. Prebuilt: pull by digest (the base
    layers present, ours not), then run. Each image is removed after its run."""
    times: dict[str, dict[str, list[float]]] = {k: {"prepare": [], "run": []} for k in ("built", "prebuilt")}
    build, dockerfile, _ = base_image.build_command(built_tag, "--no-cache", "-q")
    for i in range(runs):
        for way, prepare, stdin, image in (
            ("built", build, dockerfile, built_tag),
            ("prebuilt", ["docker", "pull", "-q", ref], None, ref),
        ):
            t0 = time.time()
            sh(prepare, stdin=stdin)
            times[way]["prepare"].append(time.time() - t0)
            times[way]["run"].append(one_run(image, sb, release, work / f"{way}{i}")["wall"])
            sh(["docker", "image", "rm", image])
    return {
        way: {
            "prepare": statistics.median(t["prepare"]),
            "run": statistics.median(t["run"]),
            "step": statistics.median(p + r for p, r in zip(t["prepare"], t["run"], strict=True)),
        }
        for way, t in times.items()
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="runs per timing (median reported)")
    ap.add_argument("--image", default="safe-release-action:bench")
    ap.add_argument("--skip-build", action="store_true", help="measure an already built --image")
    args = ap.parse_args()

    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        print("no Docker engine answers (`docker info` failed)", file=sys.stderr)
        return 2
    # The Dockerfile's pinned base, or, only where the engine does not hold it, the local stand-in
    # under the tag alone (release_bench.base_image); never pulled.
    base = base_image.for_this_engine()
    if not base_image.present(base):
        print(f"base image {base} is not present; pull it first (the benchmark never pulls)", file=sys.stderr)
        return 2
    print(base_image.note(base), file=sys.stderr)

    rows: list[tuple[str, str, str]] = []
    load_before = os.getloadavg()[0]
    if not args.skip_build:
        build, dockerfile, _ = base_image.build_command(args.image, "--no-cache")
        sh(build, stdin=dockerfile)

    size = image_size(args.image)
    ours, ours_total = layers(args.image, base)
    rows.append(("image size", f"{size / MB:.1f} MB", ""))
    rows.append(
        (
            "our layers over the base",
            f"{ours_total / MB:.2f} MB",
            "ok" if ours_total <= LAYER_GOAL_MB * MB else f"over {LAYER_GOAL_MB} MB",
        )
    )

    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"sra-bench-{os.getpid()}"
    sb = Sandbox(repos=(REPO,)).start()
    try:
        tag = "v0.0.0-bench"
        create = one_run(args.image, sb, tag, work / "create")
        results = [one_run(args.image, sb, tag, work / f"r{i}") for i in range(args.runs)]
        writes = sum(sb.count(method=m) for m in WRITES)
    finally:
        sb.stop()

    def med(key: str) -> float:
        return statistics.median(r[key] for r in results)

    floor = bare_python(args.image, args.runs)
    imp_ms, heavy = import_cost(args.image)
    first = med("started_to_first")
    rows.append(("first run (creates the release), wall", f"{create['wall']:.2f} s", ""))
    rows.append(
        (
            f"`docker run` start→exit, unchanged path (median of {args.runs})",
            f"{med('wall'):.2f} s",
            f"{med('requests'):.0f} requests/run",
        )
    )
    rows.append(("`docker run` of bare `python -c pass` (Docker's floor)", f"{floor:.2f} s", ""))
    rows.append(("`docker run` invoked → first API request (median)", f"{med('invoke_to_first'):.3f} s", ""))
    rows.append(
        (
            "container StartedAt → first API request (median)",
            f"{first:.3f} s",
            "ok" if first <= FIRST_REQUEST_GOAL_S else f"over {FIRST_REQUEST_GOAL_S} s",
        )
    )
    rows.append(
        (
            "import release_action.main in the image (-X importtime)",
            f"{imp_ms:.0f} ms",
            ", ".join(f"{n} {ms:.0f}" for n, ms in heavy),
        )
    )
    rows.append(("API writes across all runs (1 create expected)", str(writes), ""))

    # The job step both ways. Last: the prebuilt measure removes the image to pull it back.
    image_id = sh(["docker", "image", "inspect", "--format", "{{.Id}}", args.image]).stdout.strip()
    registry = Registry(work / "registry").start()
    sb = Sandbox(repos=(REPO,)).start()
    try:
        ref, packed = push(args.image, base, registry, "octo/safe-release-action")
        one_run(args.image, sb, tag, work / "step-create")  # the release exists: every step below is unchanged
        sh(["docker", "image", "rm", "-f", image_id])  # so that each pull downloads our layers
        steps = job_steps(f"{args.image}-step", ref, sb, tag, work, args.runs)
        built, prebuilt = steps["built"], steps["prebuilt"]
    finally:
        sb.stop()
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)
    rows.append(
        (
            "compressed image, as pushed and pulled (gzip'd layers + config)",
            f"{packed['total'] / MB:.1f} MB",
            f"our layers {packed['ours'] / MB:.2f} MB",
        )
    )
    rows.append(
        (
            f"job step, `image: Dockerfile`: build `--no-cache` + run (median of {args.runs})",
            f"{built['step']:.2f} s",
            f"build {built['prepare']:.2f} s, run {built['run']:.2f} s",
        )
    )
    rows.append(
        (
            f"job step, prebuilt: pull by digest + run (median of {args.runs})",
            f"{prebuilt['step']:.2f} s",
            f"pull {prebuilt['prepare']:.2f} s (loopback, base present), run {prebuilt['run']:.2f} s; "
            f"{built['step'] / prebuilt['step']:.1f}x faster",
        )
    )

    print(f"### safe-release-action image benchmark ({args.image})\n")
    load = f"1-minute load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    print(f"{os.cpu_count()} CPUs; {load}.\n")
    print("| measure | value | note |")
    print("| --- | --- | --- |")
    for measure, value, note in rows:
        print(f"| {measure} | {value} | {note} |")
    print("\nOur layers (newest first):\n")
    print("| layer | size |")
    print("| --- | --- |")
    for created, nbytes in ours:
        print(f"| `{created.replace('|', '/')}` | {nbytes / MB:.2f} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
