# syntax=docker/dockerfile:1
# One image for every part of Zentrale; the arguments choose which (see `zentrale --help`):
#   zentrale gateway | zentrale <service> api|worker|migrate|await-migrations | zentrale keys
# Build from the repository root: docker build -t zentrale .

FROM python:3.11-slim-bookworm AS builder

# The virtual environment lives where the final image runs it, and its interpreter is the base image's.
ENV UV_PROJECT_ENVIRONMENT=/opt/zentrale \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
RUN pip install --no-cache-dir --disable-pip-version-check "uv>=0.5,<1"

WORKDIR /src
# Dependencies first, from the lock file alone: this layer is rebuilt only when they change.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
# Then Zentrale itself, installed as a wheel (not linked to /src, which the final image does not have).
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable


FROM python:3.11-slim-bookworm

RUN groupadd --system --gid 10001 zentrale \
    && useradd --system --uid 10001 --gid zentrale --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin zentrale

COPY --from=builder /opt/zentrale /opt/zentrale

# The bytecode was compiled at build time; the root file system is read-only at run time.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/zentrale/bin:$PATH

USER 10001:10001
# 8080: an API or the gateway; 9090: a worker's health and metrics.
EXPOSE 8080 9090
ENTRYPOINT ["zentrale"]
