# The monitor daemon: slim Python, non-root, SQLite in /data unless the config says otherwise.
# SIGTERM (docker stop) stops it cleanly within 10 s; SIGHUP or editing watchlists reloads.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    MONITOR_CONFIG=/app/config.toml

WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY storage ./storage
COPY notifiers ./notifiers
RUN pip install --no-compile ".[postgres]" && rm -rf build

COPY watchlists ./watchlists
COPY config.example.toml ./config.example.toml
RUN sed 's#^url = "sqlite:///data/monitor.db"#url = "sqlite:////data/monitor.db"#' \
        config.example.toml > config.toml \
    && printf '\n[http]\nlisten = "0.0.0.0:8080"\n' >> config.toml \
    && useradd --system --uid 10001 --home /app monitor \
    && mkdir -p /data && chown monitor /data

USER monitor
VOLUME ["/data", "/app/watchlists"]
# /healthz, /metrics, /api/hits, /watchlists/NAME/hits.atom and the hits page.
EXPOSE 8080

# `monitor health` asks the daemon's /healthz when [http] listen is set (as here).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["monitor", "health"]

CMD ["monitor", "run"]
