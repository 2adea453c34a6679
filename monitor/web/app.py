"""Starlette routes: read-only views for everyone, actions only with the configured token."""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from monitor import metrics
from monitor.runtime import Runtime
from monitor.web.atom import watchlist_feed
from monitor.web.page import render_index
from storage.queries import list_hits
from storage.reports import recent_story_hits

MAX_LIMIT = 1000
FEED_ENTRIES = 50


class DaemonView(Protocol):
    """What the HTTP side needs from the daemon."""

    @property
    def runtime(self) -> Runtime: ...

    def health(self) -> tuple[bool, dict[str, Any]]: ...

    def reload(self, reason: str) -> tuple[bool, list[str]]: ...


class BadRequest(Exception):
    """A query parameter that cannot be used; answered with 400 and the reason."""


def _daemon(request: Request) -> DaemonView:
    return request.app.state.daemon


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"since must be an ISO date or time, got {value!r}") from exc
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _limit(value: str | None, default: int = 100) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}, got {value!r}")
    return int(value)


def healthz(request: Request) -> Response:
    ok, info = _daemon(request).health()
    return JSONResponse(info, status_code=200 if ok else 503)


def metrics_text(request: Request) -> Response:
    body = metrics.render(lambda: _daemon(request).runtime.db)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


def api_hits(request: Request) -> Response:
    q = request.query_params
    try:
        since, limit = _since(q.get("since")), _limit(q.get("limit"))
    except BadRequest as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    with _daemon(request).runtime.db.read() as s:
        rows = list_hits(s, q.get("watchlist") or None, q.get("entity") or None, since, limit)
    hits = [r.as_dict() for r in rows]
    return JSONResponse({"count": len(hits), "hits": hits})


def atom(request: Request) -> Response:
    rt = _daemon(request).runtime
    name = request.path_params["name"]
    watchlist = next((w for w in rt.watchlists if w.name == name), None)
    if watchlist is None:
        return JSONResponse({"error": f"no watchlist named {name!r}"}, status_code=404)
    with rt.db.read() as s:
        stories = recent_story_hits(s, name, FEED_ENTRIES)
    self_url = str(request.url.replace(query=""))
    page_url = str(request.url_for("index"))
    return Response(watchlist_feed(watchlist, stories, self_url, page_url),
                    media_type="application/atom+xml; charset=utf-8")


def index(request: Request) -> Response:
    daemon = _daemon(request)
    _, health = daemon.health()
    return HTMLResponse(render_index(daemon.runtime, health, request.query_params.get("watchlist"),
                                     lambda n: str(request.url_for("atom", name=n))))


def _authorized(request: Request) -> Response | None:
    """None when the bearer token matches the config's; else the refusal to send."""
    token = _daemon(request).runtime.config.http.token
    if not token:
        return JSONResponse({"error": "actions are disabled: set [http] token in the config"},
                            status_code=403)
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return JSONResponse({"error": "missing or wrong bearer token"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    return None


def reload(request: Request) -> Response:
    if (refusal := _authorized(request)) is not None:
        return refusal
    ok, problems = _daemon(request).reload("HTTP request")
    return Response(json.dumps({"reloaded": ok, "problems": problems}),
                    status_code=200 if ok else 422, media_type="application/json")


def create_app(daemon: DaemonView) -> Starlette:
    """The ASGI app serving ``daemon``'s current runtime (it follows reloads)."""
    app = Starlette(routes=[
        Route("/", index, name="index"),
        Route("/healthz", healthz),
        Route("/metrics", metrics_text),
        Route("/api/hits", api_hits),
        Route("/api/reload", reload, methods=["POST"]),
        Route("/watchlists/{name}/hits.atom", atom, name="atom"),
    ])
    app.state.daemon = daemon
    return app
