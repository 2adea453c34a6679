# The monitor daemon: slim Python, non-root, SQLite in /data unless the config says otherwise.
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
    && useradd --system --uid 10001 --home /app monitor \
    && mkdir -p /data && chown monitor /data

USER monitor
VOLUME ["/data", "/app/watchlists"]

HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["monitor", "health"]

CMD ["monitor", "run"]
