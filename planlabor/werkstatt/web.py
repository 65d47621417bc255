"""What every Werkstatt page shares: who is signed in, CSRF, templates, errors, static files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from planlabor.atlas.auth import WRITE_ROLES
from planlabor.atlas.sessions import Session
from planlabor.errors import PlanlaborError
from planlabor.werkstatt.jobs import Jobs, Writer

if TYPE_CHECKING:
    from planlabor.atlas.login import Login
    from planlabor.werkstatt import Page

HERE = Path(__file__).parent
STATIC = {"werkstatt.css": "text/css", "werkstatt.js": "text/javascript", "raumebenen.js": "text/javascript"}


class Werkstatt:
    """The Werkstatt of one server: the workspace, its writer, the templates, the pages."""

    def __init__(
        self,
        app: FastAPI,
        login: Login,
        root: Path,
        writer: Writer | None = None,
        keep_hours: float = 24.0,
        audit_days: int | None = None,
    ) -> None:
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        self.app = app
        self.login = login
        self.root = Path(root)
        self.writer = writer or Writer()
        self.jobs = Jobs(self.root, self.writer)
        self.pages: Sequence[Page] = ()
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
        )
        self.env.filters["de"] = _de
        self.env.filters["basename"] = lambda path: Path(str(path)).name  # no server paths shown
        app.router.on_shutdown.append(self.writer.close)
        self.keep_hours = keep_hours
        self.audit_days = audit_days
        self._swept = 0.0
        self.sweep()

    def sweep(self, every: float = 600.0) -> None:
        """Remove uploads and job files older than ``keep_hours`` and audit entries older than
        ``audit_days`` (at most every ``every`` seconds; :func:`planlabor.werkstatt.cleanup.sweep`,
        :func:`planlabor.app.audit.prune`)."""
        import time

        from planlabor.werkstatt.cleanup import sweep

        if time.time() - self._swept >= every:
            self._swept = time.time()
            sweep(self.root, self.keep_hours, self.jobs.live())
            if self.audit_days:
                from planlabor.app.audit import prune

                prune(self.root, self.audit_days)

    # ------------------------------------------------------------ sessions
    def user(self, request: Request) -> Session:
        """The signed-in user; otherwise 401 (the page sends people to the login)."""
        s = self.login.session(request)
        if s is None:
            raise HTTPException(401, "Bitte melden Sie sich an.")
        return s

    def writer_of(self, request: Request) -> Session:
        """The signed-in user if her role may change data; otherwise 403."""
        s = self.user(request)
        if s.role not in WRITE_ROLES:
            raise HTTPException(403, f"Ihre Rolle ({s.role}) darf nur ansehen, keine Daten ändern.")
        return s

    def admin_of(self, request: Request) -> Session:
        """The signed-in user if she is an admin; otherwise 403."""
        s = self.user(request)
        if s.role != "admin":
            raise HTTPException(403, "Nur eine Administratorin darf Benutzer:innen verwalten.")
        return s

    async def form(self, request: Request) -> Any:
        """The posted form after its CSRF token was checked."""
        form = await request.form()
        self.login.check_csrf(request, str(form.get("csrf", "")))
        return form

    async def run(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Run a use case in the workspace's writer without blocking the server."""
        return await run_in_threadpool(self.writer.run, fn, *args, **kw)

    # ------------------------------------------------------------- answers
    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        s = self.user(request)
        self.sweep()
        body = self.env.get_template(template).render(
            pages=[p for p in self.pages if s.role in p.roles],
            user=s.user,
            role=s.role,
            csrf=s.csrf,
            can_write=s.role in WRITE_ROLES,
            **context,
        )
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    def error_page(self, request: Request, template: str, err: PlanlaborError, **context: Any) -> Response:
        return self.page(request, template, 422, error=err, **context)

    # --------------------------------------------------------------- setup
    def install_pages(self, pages: Sequence[Page]) -> None:
        self.pages = list(pages)
        app = self.app

        @app.exception_handler(HTTPException)
        async def _http(request: Request, exc: HTTPException) -> Response:
            if exc.status_code == 401 and request.url.path.startswith("/werkstatt"):
                back = request.url.path if request.method == "GET" else "/werkstatt"
                return RedirectResponse(f"/login?next={quote(back)}", status_code=303)
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, exc)

        @app.get("/werkstatt", include_in_schema=False)
        def start(request: Request) -> Response:
            self.user(request)
            return RedirectResponse(f"/werkstatt/{self.pages[0].slug}", status_code=303)

        @app.get("/werkstatt/static/{name}", include_in_schema=False)
        def static(name: str) -> Response:
            if name not in STATIC:
                raise HTTPException(404, "Nicht gefunden.")
            return FileResponse(HERE / "static" / name, media_type=STATIC[name])

        for p in self.pages:
            p.install(self)


def _de(value: Any, decimals: int = 0) -> str:
    """A number in German form (1.234,5)."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        text = f"{value:,.{decimals}f}"
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return str(value)
