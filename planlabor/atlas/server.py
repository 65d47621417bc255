"""``planlabor serve``: the atlas and its API (FastAPI), public by default.

Routes (all documented in the OpenAPI description at ``/api/openapi.json``, viewer at
``/api/docs``):

- ``/`` the atlas; ``/api/atlas/meta|geo/{layer}|values/{layer}`` its payloads;
- REST/JSON: ``/api/layers``, ``/api/layers/{layer}/areas`` (GeoJSON), ``/api/indicators``,
  ``/api/indicators/{id}``, ``/api/values``, ``/api/timeseries``, ``/api/profile/{layer}/{area}``,
  ``/api/download`` (CSV, XLSX, GeoJSON of exactly one indicator, layer and period);
- OGC API – Features (Part 1 Core, Part 2 CRS) under ``/ogc``: :mod:`planlabor.atlas.ogc`
  (pygeoapi over precomputed features; QGIS and GDAL load the layers).

Every value goes through :func:`planlabor.io.export.collect_values`; the public view gets only
public indicators with suppression applied.  Payloads are built once per view and cached as
compressed bytes, so the API answers from memory.

The routes live in one module per concept, each with an ``install(ctx)`` function over one
:class:`~planlabor.atlas.context.ServerContext`: :mod:`~planlabor.atlas.routes_api` (OpenAPI,
errors, API viewer), :mod:`~planlabor.atlas.login` (session), :mod:`~planlabor.atlas.routes_atlas`
(the atlas page and payloads), :mod:`~planlabor.atlas.routes_public` (REST, downloads),
:mod:`~planlabor.atlas.ogc` and :mod:`~planlabor.atlas.network_api`; the data service is
:mod:`~planlabor.atlas.service`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import FastAPI

from planlabor.atlas import routes_api, routes_atlas, routes_public
from planlabor.atlas.access import LiveWorkspace
from planlabor.atlas.cache import FastPath
from planlabor.atlas.context import ServerContext
from planlabor.atlas.data import AtlasSource
from planlabor.atlas.login import Login
from planlabor.atlas.login import install as install_login
from planlabor.atlas.ogc import mount_ogc
from planlabor.atlas.security import SecurityHeaders
from planlabor.atlas.service import AtlasService
from planlabor.atlas.sessions import AUTH_FILE, AuthStore
from planlabor.config import ServerSection

__all__ = ["AtlasService", "create_app"]


def create_app(
    src: AtlasSource,
    internal: bool = False,
    warm: bool = False,
    secure_cookies: bool = False,
    live: LiveWorkspace | None = None,
    auth: AuthStore | None = None,
    settings: ServerSection | None = None,
) -> FastAPI:
    """The atlas application.

    Public by default.  With ``internal`` a login (users of the workspace, ``planlabor user add``)
    opens the internal view: internal indicators and unsuppressed values, for this session only.
    ``secure_cookies`` marks the session cookie HTTPS-only (behind TLS); ``warm`` builds the
    public caches in the background at start.  With ``live`` the store is opened only while an
    answer is built (``planlabor serve``; see :mod:`planlabor.atlas.access`); ``auth`` holds the
    users and sessions (default: the workspace's ``atlas-auth.sqlite``); ``settings`` the
    session lifetime, idle timeout and cache size (``[server]`` in ``planlabor.toml``).
    """
    settings = settings or ServerSection()
    svc = AtlasService(src, live, int(settings.cache_mb * (1 << 20)))
    if internal and auth is None:
        auth = AuthStore(Path(src.root or ".") / AUTH_FILE)
    login = Login(
        auth if internal else None, settings.session_hours * 3600, settings.idle_minutes * 60, secure_cookies
    )
    app = FastAPI(
        title=f"planlabor Sozialatlas – {src.title}",
        version="1",
        description="Öffentliche Indikatoren, Gebiete und Zeitreihen; kleine Fallzahlen gesperrt.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # our own page (routes_api): Swagger UI without inline script (CSP)
        redoc_url=None,
    )
    app.state.service, app.state.login = svc, login
    app.router.on_shutdown.extend([live.close] if live else [])  # its pool and watcher end with the app
    app.openapi = lambda: routes_api.openapi_spec(app)  # type: ignore[method-assign]
    app.add_middleware(FastPath, entries=lambda: svc.responses)  # inside: its answers get the headers
    app.add_middleware(SecurityHeaders, on_request=svc.check)
    ctx = ServerContext(app, svc, src, login)

    # ---- routers, one line per concept (order matters only where paths overlap)
    install_login(app, login, src.title)
    if internal and src.root:
        from planlabor.werkstatt import install as install_werkstatt

        app.state.werkstatt = install_werkstatt(
            app, login, Path(src.root), keep_hours=settings.keep_hours, audit_days=settings.audit_days
        )
    routes_api.install_errors(app)
    routes_api.install_docs(ctx)
    routes_atlas.install_files(ctx)
    routes_atlas.install(ctx)
    routes_public.install(ctx)
    ogc = app.state.ogc = mount_ogc(app, svc, login.public_view)
    from planlabor.atlas.network_api import mount_network  # street network, internal view only

    mount_network(app)
    from planlabor.atlas.groups_api import mount_groups  # named area groups, internal view only

    mount_groups(app)
    from planlabor.atlas.routes_beteiligung import install as install_beteiligung  # issue 21

    install_beteiligung(app, Path(src.root) if src.root else None)
    # ---- further concepts (Beteiligung, area groups, …): add `module.install(ctx)` above this line

    if warm:

        def _warm() -> None:
            import gc

            svc.warm(freeze=False)  # first: payloads and value frames (shared folder when built there)
            ogc.warm()
            gc.collect()  # long-lived from here on: out of the garbage collector's way (pauses)
            gc.freeze()

        threading.Thread(target=_warm, name="atlas-warm", daemon=True).start()
    return app
