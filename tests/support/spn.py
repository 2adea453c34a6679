"""A loopback Wayback Machine Save Page Now (SPN2) answering as the real one does.

``POST /save`` (form ``url=…``, ``Accept: application/json``, optionally ``Authorization: LOW
access:secret``) answers ``{"url": …, "job_id": "spn2-…"}``; without the JSON Accept header the
real service answers its HTML page. ``GET /save/status/<job_id>`` answers ``{"status":
"pending", …}`` and then ``{"status": "success", "timestamp": "YYYYMMDDhhmmss",
"original_url": …, …}``; an unknown job is ``{"status": "error", "status_ext": …}``. When
``busy`` is above zero, that many submissions are answered 429 (too many requests) first.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from tests.support.servers import _Server

TIMESTAMP = "20261130121500"


class SpnServer:
    """Records every request as (method, path, form or None, headers)."""

    def __init__(self, busy: int = 0, pending_polls: int = 1) -> None:
        self.busy = busy
        self.pending_polls = pending_polls
        self.requests: list[tuple[str, str, dict[str, list[str]] | None, dict[str, str]]] = []
        self.jobs: dict[str, dict[str, object]] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, status: int, data: dict[str, object]) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                owner.requests.append(("POST", self.path, form, dict(self.headers)))
                if self.path != "/save":
                    self.send_error(404)
                    return
                if owner.busy > 0:
                    owner.busy -= 1
                    self.send_response(429)
                    self.send_header("Retry-After", "30")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if "application/json" not in self.headers.get("Accept", ""):
                    body = b"<html><body>Saving page now...</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                url = form.get("url", [""])[0]
                if not url:
                    self._json(200, {"status": "error", "status_ext": "error:invalid-url",
                                     "message": "Please provide a valid URL."})
                    return
                job = f"spn2-{uuid.uuid4().hex}"
                owner.jobs[job] = {"url": url, "polls": 0}
                self._json(200, {"url": url, "job_id": job})

            def do_GET(self) -> None:
                owner.requests.append(("GET", self.path, None, dict(self.headers)))
                prefix = "/save/status/"
                job_id = self.path[len(prefix):] if self.path.startswith(prefix) else ""
                job = owner.jobs.get(job_id)
                if job is None:
                    self._json(200, {"status": "error", "job_id": job_id,
                                     "status_ext": "error:not-found",
                                     "message": "Job not found."})
                    return
                job["polls"] = int(str(job["polls"])) + 1
                if int(str(job["polls"])) <= owner.pending_polls:
                    self._json(200, {"status": "pending", "job_id": job_id, "resources": []})
                    return
                self._json(200, {"status": "success", "job_id": job_id,
                                 "original_url": job["url"], "timestamp": TIMESTAMP,
                                 "duration_sec": 4.2, "resources": [job["url"]],
                                 "outlinks": {}})

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> SpnServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
