"""Login, logout and the session of the internal view (routes of ``planlabor serve --internal``).

The session cookie ``planlabor_session`` holds a random token; who is signed in is looked up in
the auth file at every request (:class:`~planlabor.atlas.sessions.AuthStore`, a few microseconds),
so logout, ``planlabor user remove`` and ``planlabor user passwd`` end a session at once.
Before login, the CSRF token of the login form is a signed random value in the cookie
``planlabor_csrf`` (double submit); after login it is the session's own token.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
import secrets

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from planlabor.atlas.auth import ROLES, Throttle, verify
from planlabor.atlas.sessions import AuthStore, Session

SESSION_COOKIE = "planlabor_session"
CSRF_COOKIE = "planlabor_csrf"
#: where a login may lead back to (the Werkstatt pages); anything else goes to the atlas
NEXT = re.compile(r"^/werkstatt(/[a-z-]+)?$")


def _next(value: object) -> str:
    text = str(value or "")
    return text if NEXT.match(text) else ""


class Login:
    """Sessions of one server: who is signed in, CSRF tokens, the login throttle."""

    def __init__(self, auth: AuthStore | None, lifetime: float, idle: float, secure_cookies: bool) -> None:
        self.auth = auth
        self.lifetime = lifetime
        self.idle = idle
        self.secure = secure_cookies
        self.throttle = Throttle()
        self._key = secrets.token_bytes(32)  # signs pre-login CSRF tokens (this process only)

    # ------------------------------------------------------------ who is it
    def session(self, request: Request) -> Session | None:
        if self.auth is None:
            return None
        if "planlabor.session" not in request.scope:
            token = request.cookies.get(SESSION_COOKIE)
            request.scope["planlabor.session"] = (
                self.auth.session(token, self.lifetime, self.idle) if token else None
            )
        found: Session | None = request.scope["planlabor.session"]
        return found

    def public_view(self, request: Request) -> bool:
        s = self.session(request)
        return s is None or s.role not in ROLES

    # ------------------------------------------------------------------ CSRF
    def _sign(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def _anonymous(self, request: Request) -> str | None:
        value = request.cookies.get(CSRF_COOKIE, "")
        nonce, _, sig = value.partition(".")
        if nonce and len(value) < 200 and hmac.compare_digest(sig, self._sign(nonce)):
            return value
        return None

    def csrf(self, request: Request) -> tuple[str, bool]:
        """The token for a form, and whether it is new (then set it with :meth:`give`)."""
        s = self.session(request)
        if s is not None:
            return s.csrf, False
        have = self._anonymous(request)
        if have:
            return have, False
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._sign(nonce)}", True

    def give(self, response: Response, token: str, new: bool) -> Response:
        if new:
            response.set_cookie(
                CSRF_COOKIE, token, httponly=True, samesite="strict", secure=self.secure, path="/"
            )
        return response

    def check_csrf(self, request: Request, sent: str) -> None:
        origin = request.headers.get("origin")
        if origin and origin != "null" and origin.rstrip("/") != str(request.base_url).rstrip("/"):
            raise HTTPException(403, "Anfrage von fremder Herkunft abgelehnt.")
        s = self.session(request)
        expected = s.csrf if s is not None else self._anonymous(request)
        if not expected or not hmac.compare_digest(expected, sent or ""):
            raise HTTPException(
                403, "Sicherheitsmerkmal (CSRF) fehlt oder ist falsch. Laden Sie die Seite neu."
            )


def install(app: FastAPI, login: Login, title: str) -> None:
    """The routes ``/api/session`` and, for the internal view, ``/login`` and ``/logout``."""
    internal = login.auth is not None

    @app.get("/api/session", tags=["Anmeldung"], summary="Angemeldete Person und CSRF-Merkmal")
    async def session_info(request: Request) -> Response:
        if not internal:
            return JSONResponse({"internal_mode": False, "user": None, "role": None, "csrf": None})
        s = login.session(request)
        token, new = login.csrf(request)
        body = {
            "internal_mode": True,
            "user": s.user if s else None,
            "role": s.role if s else None,
            "csrf": token,
        }
        return login.give(JSONResponse(body, headers={"Cache-Control": "no-store"}), token, new)

    if not internal:
        return
    auth = login.auth
    assert auth is not None

    def page(
        request: Request, error: str | None, status: int = 200, nxt: str = "", **headers: str
    ) -> Response:
        token, new = login.csrf(request)
        resp = HTMLResponse(
            _login_page(title, token, error, nxt),
            status_code=status,
            headers={"Cache-Control": "no-store", **headers},
        )
        return login.give(resp, token, new)

    @app.get("/login", include_in_schema=False)
    async def login_form(request: Request) -> Response:
        return page(request, None, nxt=_next(request.query_params.get("next")))

    @app.post("/login", include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        form = await request.form()
        login.check_csrf(request, str(form.get("csrf", "")))
        nxt = _next(form.get("next"))
        name = str(form.get("username", ""))[:64]
        password = str(form.get("password", ""))[:1024]
        client = request.client.host if request.client else "?"
        keys = (f"user:{name.lower()}", f"ip:{client}")
        wait = login.throttle.attempt(*keys)  # counted before the check: parallel tries wait too
        if wait > 0:
            text = f"Zu viele Fehlversuche. Bitte {int(wait) + 1} s warten."
            return page(request, text, 429, nxt, **{"Retry-After": str(int(wait) + 1)})
        role = await run_in_threadpool(verify, auth, name, password)
        if role is None:
            return page(request, "Benutzername oder Passwort ist falsch.", 401, nxt)
        login.throttle.success(*keys)
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            auth.end(old)
        auth.purge(login.lifetime, login.idle)
        token, _ = auth.start(name, role)  # a fresh session: no session fixation
        return _signed_in(login, token, nxt)

    @app.post("/logout", include_in_schema=False)
    async def sign_out(request: Request) -> Response:
        form = await request.form()
        login.check_csrf(request, str(form.get("csrf", "")))
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            auth.end(token)
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp


def _signed_in(login: Login, token: str, nxt: str) -> Response:
    """The redirect after a login: the session cookie set, the pre-login CSRF cookie gone."""
    resp = RedirectResponse(nxt or "/", status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(1, int(login.lifetime)),
        httponly=True,
        samesite="strict",
        secure=login.secure,
        path="/",
    )
    resp.delete_cookie(CSRF_COOKIE, path="/")
    return resp


def _login_page(title: str, csrf: str, error: str | None, nxt: str = "") -> str:
    msg = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    back = f'<input type="hidden" name="next" value="{html.escape(nxt)}">' if nxt else ""
    return f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Anmelden – {html.escape(title)}</title><link rel="stylesheet" href="atlas.css"></head>
<body class="login"><main id="main" class="login-box">
<h1>Interne Ansicht: {html.escape(title)}</h1>{msg}
<form method="post" action="login">
<input type="hidden" name="csrf" value="{html.escape(csrf)}">{back}
<div class="field"><label for="username">Benutzername</label>
<input id="username" name="username" autocomplete="username" required maxlength="64"></div>
<div class="field"><label for="password">Passwort</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></div>
<button type="submit">Anmelden</button> <a href="./">Zurück zum öffentlichen Atlas</a>
</form></main></body></html>"""
