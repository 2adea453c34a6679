"""The security headers every HTTP response carries, the server's own 503 and 500s included."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Referrer-Policy": "no-referrer"}


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every HTTP response (no sniffing, no framing, no referrer).

    Wrapped around the whole app, so Starlette's 500 for an unhandled error gets them too."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers.setdefault(key, value)
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


def raw_header_lines() -> bytes:
    """``SECURITY_HEADERS`` as HTTP/1.1 header lines, for responses written by hand."""
    return "".join(f"{k}: {v}\r\n" for k, v in SECURITY_HEADERS.items()).encode("ascii")
