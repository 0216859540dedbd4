# safe-release-action: the image that GitHub's runner builds for `runs: using: docker`
# (and that release.yml publishes prebuilt to ghcr.io).
#
# No `USER` and no `WORKDIR` on purpose: the runner mounts the workspace at
# /github/workspace, passes `--workdir /github/workspace` itself and expects the
# container to run as root (GitHub's "Dockerfile support for GitHub Actions").
#
# The base, pinned by digest (a manifest list: linux/amd64 and linux/arm64), so that every build
# starts from the same bytes however often the tag is rebuilt. Dependabot's docker updates move the
# digest (.github/dependabot.yml); they read `FROM` lines only, never an ARG's default
# (dependabot-core#2057), so the reference is written here and only here. GitHub's runner
# (`image: Dockerfile`), release.yml and act build exactly this. An offline Docker engine that holds
# only a local `python:3.13-slim` builds this file with this one line naming that stand-in instead:
# release_bench/base_image.py does so for the tests and benchmarks, and says so.
FROM python:3.13-slim@sha256:7c61056e61ac89e852de05f3dc6fa51a6dd2181797bceed46aa725dd7cb2cd3b

LABEL org.opencontainers.image.title="safe-release-action" \
      org.opencontainers.image.description="Create or update the GitHub release for a tag, so that racing workflows converge on one release." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.vendor="safe-release-action contributors"

# PYTHONUNBUFFERED: log lines reach the job log at once, in order.
# PYTHONDONTWRITEBYTECODE: the container is thrown away after one run; the bytecode
#   compiled at build time below is still used.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

# Dependencies first (this layer changes only when requirements/runtime.txt does).
# Every wheel is hash-checked; --no-deps because runtime.txt already lists the whole tree.
COPY requirements/runtime.txt /app/requirements/runtime.txt
RUN pip install --no-cache-dir --require-hashes --no-deps -r /app/requirements/runtime.txt

# The action itself, whole (.dockerignore keeps tests, the bench and the rest out),
# then bytecode for it, so that a cold start does not compile anything.
COPY release_action /app/release_action
COPY entrypoint.py /app/entrypoint.py
RUN python -m compileall -q -j 0 /app

# Where the image came from, for `docker image inspect` and ghcr.io's link to the repository.
# release.yml passes the repository's URL, the commit and the version; a local build (the
# runner's for `image: Dockerfile`) leaves them empty. Last, so that they never cost a rebuild.
ARG SOURCE=""
ARG REVISION=""
ARG VERSION=""
LABEL org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"

ENTRYPOINT ["python", "/app/entrypoint.py"]
