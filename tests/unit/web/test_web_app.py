"""The HTTP server in-process around a real (unstarted) Daemon: unhealthy and refused paths."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest

from monitor.service.daemon import Daemon
from monitor.service.runtime import load_runtime
from monitor.web import HttpServer, create_app
from tests.support.daemon import daemon_config
from tests.support.helpers import WATCHLISTS
from tests.support.servers import free_port

TOKEN = "in-process-token-0123456789"


class Client:
    """httpx against the app served by uvicorn on loopback."""

    def __init__(self, base: str):
        self.base = base

    def get(self, path: str, **kw) -> httpx.Response:
        return httpx.get(self.base + path, timeout=10, **kw)

    def post(self, path: str, **kw) -> httpx.Response:
        return httpx.post(self.base + path, timeout=10, **kw)


@pytest.fixture
def served(tmp_path, monkeypatch) -> Iterator[tuple[Daemon, Client]]:
    monkeypatch.setenv("MONITOR_HTTP_TOKEN", TOKEN)
    watchlists = tmp_path / "watchlists"
    shutil.copytree(WATCHLISTS, watchlists)
    config = daemon_config(tmp_path, [("http://127.0.0.1:9/feed.xml", "1h")], 8080,
                           f"sqlite:///{tmp_path / 'm.db'}", watchlists,
                           http_extra='token = "${MONITOR_HTTP_TOKEN}"')
    daemon = Daemon(load_runtime(config))
    port = free_port()
    server = HttpServer(create_app(daemon), "127.0.0.1", port)
    server.start()
    yield daemon, Client(f"http://127.0.0.1:{port}")
    server.stop()
    if daemon.scheduler.running:
        daemon.scheduler.shutdown(wait=False)
    daemon.rt.close()


def test_healthz_is_503_with_the_reason_when_scheduler_or_storage_is_down(tmp_path, served):
    daemon, client = served
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json()["reason"] == "scheduler is not running"

    daemon.scheduler.start()
    assert client.get("/healthz").status_code == 200

    daemon.rt.db.dispose()
    for path in tmp_path.glob("m.db*"):
        path.unlink()
    (tmp_path / "m.db").mkdir()  # SQLite cannot open a directory: storage is gone
    broken = client.get("/healthz")
    assert broken.status_code == 503
    assert broken.json()["reason"].startswith("storage does not answer")
    error = client.get("/api/hits")
    assert error.status_code == 500
    assert error.headers["x-content-type-options"] == "nosniff"
    assert error.headers["x-frame-options"] == "DENY"
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "monitor_storage_up 0.0" in metrics.text


def test_reload_over_http_refuses_a_broken_config_and_keeps_the_last_good(served):
    daemon, client = served
    good = daemon.rt
    config = good.config.path
    config.write_text(config.read_text() + "\n[[feeds]]\nurl = \"ftp://x\"\n")
    bad_line = len(config.read_text().splitlines())
    refused = client.post("/api/reload", headers={"Authorization": f"Bearer {TOKEN}"})
    assert refused.status_code == 422
    body = refused.json()
    assert body["reloaded"] is False
    assert body["problems"] == [f"{config}:{bad_line}: feed url must start with http:// "
                                "or https://, got 'ftp://x'"]
    assert daemon.rt is good
    assert client.get("/healthz").json()["last_reload_refused"] == body["problems"]
