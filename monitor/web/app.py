"""Starlette routes: read-only views for everyone, actions only with the configured token."""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from markupsafe import escape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from monitor.query import QueryError
from monitor.query.stored import hits_matching, watched_query
from monitor.service import metrics
from monitor.service.runtime import Runtime
from monitor.text import CONTROL_CHARS
from monitor.web.atom import watchlist_feed
from monitor.web.contracts import render_contracts
from monitor.web.headers import SecurityHeaders
from monitor.web.page import page_env, render_index
from monitor.web.trends_page import render_trends, trends_csv
from storage.errors import MonitorError
from storage.hits import (
    UnknownWatchlist,
    find_name,
    list_hits,
    parse_since,
    resolve_watchlist,
    stored_watchlists,
)
from storage.models import utcnow
from storage.reports import recent_story_hits

MAX_LIMIT = 1000
FEED_ENTRIES = 50


class DaemonView(Protocol):
    """What the HTTP side needs from the daemon."""

    @property
    def runtime(self) -> Runtime: ...

    def health(self) -> tuple[bool, dict[str, Any]]: ...

    def reload(self, reason: str) -> tuple[bool, list[str]]: ...


class BadRequest(MonitorError):
    """A query parameter that cannot be used; answered with 400 and the reason."""


def _daemon(request: Request) -> DaemonView:
    daemon: DaemonView = request.app.state.daemon
    return daemon


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_since(value)
    except ValueError as exc:
        raise BadRequest(f"since must be an ISO date or time, got {value!r}") from exc


def _text(request: Request, key: str) -> str | None:
    """A text parameter, None when absent or empty; control characters are a 400, not a 500."""
    value = request.query_params.get(key) or None
    if value is not None and CONTROL_CHARS.search(value):
        raise BadRequest(f"{key} must not contain control characters, got {value!r}")
    return value


def _watchlist(request: Request) -> str | None:
    """``?watchlist=`` as the configured (or stored) name it spells in any case."""
    value = _text(request, "watchlist")
    if value is None:
        return None
    rt = _daemon(request).runtime

    def stored() -> list[str]:
        with rt.db.read() as s:
            return stored_watchlists(s)

    return resolve_watchlist(value, [w.name for w in rt.watchlists], stored)


def feed_path(name: str) -> str:
    """A watchlist's Atom path, relative to the site root: every URL-hostile character encoded."""
    return f"watchlists/{quote(name, safe='')}/hits.atom"


def _url(request: Request, path: str = "") -> str:
    """``path`` under ``[http] public_url`` when set, else root-relative: never from ``Host``."""
    return (_daemon(request).runtime.config.http.public_url or "/") + path


def _csp(nonce: str) -> str:
    """Nothing loads or runs but the page's own nonce-tagged script and inline styles."""
    return (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
            "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _html_error(message: str, status: int) -> HTMLResponse:
    return HTMLResponse(f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{status}'
                        f' — ice-monitor</title><p>{escape(message)}</p><p><a href="./">all '
                        "hits</a></p></html>", status_code=status)


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
        entity, watchlist = _text(request, "entity"), _watchlist(request)
        text = _text(request, "query")
        query = text and watched_query(text, _daemon(request).runtime.watchlists)
    except BadRequest as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    except QueryError as exc:
        return JSONResponse({"error": f"query: {exc}", "column": exc.column}, status_code=400)
    except UnknownWatchlist as exc:
        return JSONResponse({"error": str(exc), "known": exc.known}, status_code=404)
    with _daemon(request).runtime.db.read() as s:
        rows = list_hits(s, watchlist, entity, since, None if query else limit)
        if query:
            rows = hits_matching(s, query, rows, limit)
    hits = [r.as_dict() for r in rows]
    return JSONResponse({"count": len(hits), "hits": hits})


def atom(request: Request) -> Response:
    rt = _daemon(request).runtime
    name = request.path_params["name"]
    found = find_name(name, [w.name for w in rt.watchlists])
    if found is None:
        exc = UnknownWatchlist(name, [w.name for w in rt.watchlists])
        return JSONResponse({"error": str(exc), "known": exc.known}, status_code=404)
    watchlist = next(w for w in rt.watchlists if w.name == found)
    with rt.db.read() as s:
        stories = recent_story_hits(s, found, FEED_ENTRIES)
    self_url = _url(request, feed_path(found))
    feed_id = (self_url if rt.config.http.public_url
               else uuid.uuid5(uuid.NAMESPACE_URL, f"ice-monitor:watchlist:{found}").urn)
    return Response(watchlist_feed(watchlist, stories, self_url, _url(request), feed_id),
                    media_type="application/atom+xml; charset=utf-8")


def index(request: Request) -> Response:
    daemon = _daemon(request)
    try:
        watchlist = _watchlist(request)
    except BadRequest as exc:
        return _html_error(str(exc), 400)
    except UnknownWatchlist as exc:
        return _html_error(str(exc), 404)
    _, health = daemon.health()
    nonce = secrets.token_urlsafe(18)
    page = render_index(daemon.runtime, health, watchlist,
                        lambda n: _url(request, feed_path(n)), nonce=nonce)
    return HTMLResponse(page, headers={"Content-Security-Policy": _csp(nonce)})


def contracts(request: Request) -> Response:
    """The Contracts view (public records: amounts per month per recipient, latest actions)."""
    nonce = secrets.token_urlsafe(18)  # the page runs no script: nothing carries it
    page = render_contracts(_daemon(request).runtime, page_env(), utcnow().date())
    return HTMLResponse(page, headers={"Content-Security-Policy": _csp(nonce)})


def trends(request: Request) -> Response:
    """Per entity: timeline with spikes, outlets, co-mentions; filters and a query box."""
    nonce = secrets.token_urlsafe(18)
    page, status = render_trends(_daemon(request).runtime, request, nonce)
    return HTMLResponse(page, status_code=status, headers={"Content-Security-Policy": _csp(nonce)})


def trends_export(request: Request) -> Response:
    return trends_csv(request, _daemon(request).runtime)


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


def create_app(daemon: DaemonView) -> ASGIApp:
    """The ASGI app serving ``daemon``'s current runtime (it follows reloads); the security
    headers wrap Starlette whole, so its 500s carry them too."""
    app = Starlette(routes=[
        Route("/", index, name="index"),
        Route("/contracts", contracts, name="contracts"),
        Route("/healthz", healthz),
        Route("/metrics", metrics_text),
        Route("/api/hits", api_hits),
        Route("/api/reload", reload, methods=["POST"]),
        Route("/trends", trends, name="trends"),
        Route("/trends.csv", trends_export),
        Route("/watchlists/{name:path}/hits.atom", atom, name="atom"),
    ])
    app.state.daemon = daemon
    return SecurityHeaders(app)
