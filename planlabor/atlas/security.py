"""Security headers on every answer of ``planlabor serve`` and a bound on request bodies.

A plain ASGI middleware (no per-request objects beyond the header list): the atlas page runs no
inline script (CSP ``script-src 'self'``), may not be framed (``frame-ancestors 'none'`` and
``X-Frame-Options: DENY``), answers are not MIME-sniffed and send no referrer.  MapLibre draws
with a web worker started from a ``blob:`` URL and images from ``data:``/``blob:``; the API viewer
at ``/api/docs`` loads Swagger UI from its CDN (only that page may).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "worker-src 'self' blob:; child-src 'self' blob:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    f"default-src 'self'; script-src 'self' {DOCS_CDN}; style-src 'self' {DOCS_CDN}; "
    f"img-src 'self' data: {DOCS_CDN} https://fastapi.tiangolo.com; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
MAX_BODY = 64 * 1024  # the server accepts only small forms (login, logout) …
#: … and files on the upload addresses of the Werkstatt (signed-in users only; checked before the
#: body is read)
UPLOADS = {
    "/werkstatt/daten/pruefen": 256 * 1024 * 1024,
    "/werkstatt/raumebenen/pruefen": 256 * 1024 * 1024,  # geometries: zipped Shapefile, GeoPackage
    "/werkstatt/katalog/vorlage": 4 * 1024 * 1024,  # a template (TOML)
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class SecurityHeaders:
    """Adds the headers above to every HTTP answer; refuses bodies over :data:`MAX_BODY`.

    ``on_request`` runs at the start of every request (the server uses it to notice a changed
    workspace at most once a second).
    """

    def __init__(self, app: Any, on_request: Callable[[], None] | None = None) -> None:
        self.app = app
        self.on_request = on_request
        self.csp = [(b"content-security-policy", CSP.encode())]
        self.docs_csp = [(b"content-security-policy", DOCS_CSP.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.on_request is not None:
            self.on_request()
        extra = HEADERS + (self.docs_csp if scope["path"] == "/api/docs" else self.csp)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in have
                ]
            await send(message)

        too_big = _body_too_big(scope)
        if too_big:
            await _refuse(send_with_headers, *too_big)
            return
        await self.app(scope, receive, send_with_headers)


def _body_too_big(scope: Scope) -> tuple[int, str] | None:
    length = None
    chunked = False
    limit = UPLOADS.get(scope.get("path", ""), MAX_BODY)
    for k, v in scope.get("headers", []):
        if k == b"content-length":
            try:
                length = int(v)
            except ValueError:
                return 400, "Ungültige Längenangabe (Content-Length)."
        elif k == b"transfer-encoding" and b"chunked" in v.lower():
            chunked = True
    if length is not None and length > limit:
        return 413, f"Die Anfrage ist zu groß (höchstens {limit // 1024:,} KB).".replace(",", ".")
    if chunked and length is None:
        return 411, "Anfragen mit Inhalt brauchen eine Längenangabe (Content-Length)."
    return None


async def _refuse(send: Send, status: int, text: str) -> None:
    import json

    body = json.dumps({"detail": text}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
