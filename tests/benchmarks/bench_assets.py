"""Benchmark asset uploads (a script, not a test: pytest does not collect it).

    python -m tests.benchmarks.bench_assets [--runs 5] [--skip-2g]

Against the in-process sandbox on 127.0.0.1, prints Markdown tables of:
  * upload throughput of the action's upload code (`release_action.asset_sync.upload`: the
    GitHub client streaming the file with an exact Content-Length) against
    `curl --data-binary @file` to the same upload URL, median of N runs, and the ratio;
  * the action's peak RSS (`ru_maxrss` of a child process that imports the action and
    uploads one file) for 10 MB, 200 MB and 2 GiB (sparse) files, beside the same child
    doing no upload (the floor: the interpreter and the imports).

Both sides run as child processes, so each pays its own start-up; the time measured is
the upload request alone (the child times it; curl reports `time_total`).
`curl --data-binary @file` reads the whole file into memory first, so for 2 GiB it is
replaced by `curl -T file -X POST` (streams) and marked so.
Goals (issue 5): throughput >= 0.8 of curl's; peak memory flat across sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from release_bench.harness import REPO, ROOT
from release_bench.sandbox import Sandbox

MB = 1_000_000
SIZES = [("10 MB", 10 * MB, False), ("200 MB", 200 * MB, False), ("2 GiB (sparse)", 2 * 1024**3, True)]

CHILD = """
import json, resource, sys, time
from pathlib import Path
from release_action.asset_files import LocalFile
from release_action.asset_sync import upload
from release_action.budget import Deadline
from release_action.github import GitHub
from release_action.transport import Transport
api, token, upload_url, path, name, size = sys.argv[1:7]
github = GitHub(Transport(api, token, Deadline(3600)), "octo/demo")
took = 0.0
if path != "-":
    file = LocalFile(Path(path), name, int(size), "0" * 64, "application/octet-stream")
    start = time.perf_counter()
    upload(github, upload_url, file)
    took = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": took, "maxrss_kib": rss}))
"""


def make_file(directory: Path, size: int, sparse: bool) -> Path:
    path = directory / f"file-{size}.bin"
    with open(path, "wb") as stream:
        if sparse:
            stream.truncate(size)
        else:
            block = os.urandom(MB)
            for _ in range(size // MB):
                stream.write(block)
            stream.write(block[: size % MB])
    return path


def action_upload(sb: Sandbox, upload_url: str, path: Path | None, name: str, size: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", CHILD, sb.api_url, sb.token, upload_url, str(path or "-"), name, str(size)]
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(out.stdout)


def curl_upload(sb: Sandbox, upload_url: str, path: Path, name: str, stream: bool) -> float:
    base = upload_url.split("{", 1)[0]
    send = ["-T", str(path), "-X", "POST"] if stream else ["--data-binary", f"@{path}"]
    out = subprocess.run(
        [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{time_total}",
            *send,
            "-H",
            f"Authorization: Bearer {sb.token}",
            "-H",
            "Content-Type: application/octet-stream",
            "-H",
            "Expect:",
            f"{base}?name={name}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    code, seconds = out.stdout.split()
    if code != "201":
        raise SystemExit(f"curl upload answered {code}")
    return float(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-2g", action="store_true", help="leave out the 2 GiB file")
    args = parser.parse_args()
    sizes = [s for s in SIZES if not (args.skip_2g and s[1] > 1024**3)]

    with Sandbox(seed=1) as sb, tempfile.TemporaryDirectory(prefix="bench-assets-") as tmp:
        release = sb.seed_release(REPO, "v-bench", draft=True)
        upload_url = release["upload_url"]
        floor = action_upload(sb, upload_url, None, "", 0)["maxrss_kib"] / 1024
        throughput, memory = [], []
        for label, size, sparse in sizes:
            path = make_file(Path(tmp), size, sparse)
            ours, theirs, peaks = [], [], []
            for i in range(args.runs):
                result = action_upload(sb, upload_url, path, f"action-{size}-{i}.bin", size)
                ours.append(result["seconds"])
                peaks.append(result["maxrss_kib"] / 1024)
                theirs.append(curl_upload(sb, upload_url, path, f"curl-{size}-{i}.bin", stream=size > 1024**3))
            mine, curl = statistics.median(ours), statistics.median(theirs)
            throughput.append(
                f"| {label} | {size / MB / mine:,.0f} MB/s ({mine:.2f} s) | "
                f"{size / MB / curl:,.0f} MB/s ({curl:.2f} s){' (`-T`)' if size > 1024**3 else ''} | "
                f"{curl / mine:.2f} |"
            )
            memory.append(f"| {label} | {max(peaks):.1f} MiB | {max(peaks) - floor:+.1f} MiB |")
            path.unlink()

    print(f"### Upload throughput to the sandbox (median of {args.runs})\n")
    print("| file | action | curl --data-binary | ratio (action/curl) |")
    print("|---|---|---|---|")
    print("\n".join(throughput))
    print(f"\n### Peak RSS of the uploading process (floor without upload: {floor:.1f} MiB)\n")
    print("| file | peak RSS | over the floor |")
    print("|---|---|---|")
    print("\n".join(memory))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
