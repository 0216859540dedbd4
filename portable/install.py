"""Install `safe-release` for the portable action, into a virtual environment under RUNNER_TEMP.

Run by a Python the action picked (the runner's own 3.11+, or actions/setup-python's), with
the action's folder in ACTION_PATH. Stdlib only; the same code on Linux, macOS and Windows.

1. The environment is made without pip (fast, and no ensurepip needed); this Python's pip
   installs into it (`pip --python ENV`).
2. The runtime requirements, hash-pinned: requirements/runtime.txt, --require-hashes --no-deps.
3. The build backend, hash-pinned: requirements/build.txt. The package is then built with
   --no-build-isolation --no-index, so nothing unpinned is fetched at run time.
4. The package, --no-deps, from the action's own checkout, copied to RUNNER_TEMP first: a
   setuptools build writes `build/` and `*.egg-info` beside its sources, and for
   `uses: ./portable` that checkout is the job's workspace.

A later step of the same job with the same action files reuses the environment. Writes
`command=<path of safe-release>` to GITHUB_OUTPUT.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

# What a build of the package reads (pyproject.toml takes its dependencies from runtime.in).
SOURCES = ("pyproject.toml", "README.md", "requirements/runtime.in", "release_action")
PINNED = ("requirements/runtime.txt", "requirements/build.txt")
DONE = "safe-release-installed"  # written last: its presence means the environment is whole
WINDOWS = os.name == "nt"


class InstallError(Exception):
    """The environment could not be made; the message says why."""


def fingerprint(root: Path) -> str:
    """A digest of everything the environment is made from, and of the Python making it."""
    digest = hashlib.sha256(f"{sys.version}\0{sys.executable}\0".encode())
    for name in (*SOURCES, *PINNED):
        path = root / name
        files = sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def executable(env: Path, name: str) -> Path:
    return env / "Scripts" / f"{name}.exe" if WINDOWS else env / "bin" / name


def pip(env: Path, *args: str) -> None:
    argv = [sys.executable, "-m", "pip", "--python", str(executable(env, "python"))]
    argv += ["install", "--no-input", "--disable-pip-version-check", *args]
    print("+ " + " ".join(argv), flush=True)
    proc = subprocess.run(argv, check=False)
    if proc.returncode != 0:
        raise InstallError(
            f"Installing safe-release failed: pip exited {proc.returncode} (its log is above). "
            "The runner must reach the package index (PyPI, or the one PIP_INDEX_URL names)."
        )


def install(root: Path, env: Path) -> None:
    venv.EnvBuilder(with_pip=False, clear=True, symlinks=not WINDOWS).create(env)
    pip(env, "--require-hashes", "--no-deps", "--only-binary", ":all:", *(f"-r{root / p}" for p in PINNED))
    with tempfile.TemporaryDirectory(prefix="safe-release-src-") as tmp:
        source = Path(tmp)
        for name in SOURCES:
            if (root / name).is_dir():
                shutil.copytree(root / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(root / name, source / name)
        pip(env, "--no-deps", "--no-build-isolation", "--no-index", str(source))
    (env / DONE).touch()


def main() -> int:
    started = time.monotonic()
    root = Path(os.environ["ACTION_PATH"]).resolve().parent  # portable/.. : the action's checkout
    temp = Path(os.environ.get("RUNNER_TEMP") or tempfile.gettempdir())
    env = temp / f"safe-release-{fingerprint(root)}"
    command = executable(env, "safe-release")
    if (env / DONE).is_file() and command.is_file():
        print(f"safe-release is installed already: {command}")
    else:
        print(f"::group::Install safe-release into {env} (Python {sys.version.split()[0]}, {sys.executable})")
        try:
            install(root, env)
        except InstallError as exc:
            print(f"::endgroup::\n::error title=safe-release-action (portable)::{exc}", flush=True)
            return 1
        print(f"::endgroup::\ninstalled {command} in {time.monotonic() - started:.1f} s", flush=True)
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8", newline="") as stream:
        stream.write(f"command={command}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
