"""``planlabor serve --workers N``: the same application in N processes (uvicorn's workers).

Each worker builds the application from the workspace folder (:func:`app_factory`, told where
by ``PLANLABOR_SERVE``), keeps its own caches and reads the store on its own connection.  With a
PostgreSQL store every worker reads concurrently (MVCC) and notices changes by the store's
changes counter; with a DuckDB file the workers open it read-only per build, as one process does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ENV = "PLANLABOR_SERVE"


def build_app(
    root: Path, internal: bool = False, https: bool = False, overrides: dict[str, Any] | None = None
) -> Any:
    """The atlas application of the workspace in ``root`` (what ``planlabor serve`` runs);
    ``overrides`` replace settings of ``[server]`` in ``planlabor.toml`` for this run (e.g.
    ``audit_days``, ``session_hours`` from the command line), validated like the file."""
    from planlabor.atlas.access import LiveWorkspace
    from planlabor.atlas.server import create_app
    from planlabor.workspace import Workspace

    ws = Workspace.open(root, read_only=True)
    live = LiveWorkspace(ws.root)
    if internal:
        ws.auth()  # users of earlier versions move from the store into atlas-auth.sqlite (once)
    settings = ws.config.server
    if overrides:
        settings = type(settings).model_validate({**settings.model_dump(), **overrides})
    ws.close()
    # the server opens the store only while it builds an answer: commands keep working meanwhile
    app = create_app(live.source(), internal=internal, secure_cookies=https, live=live, settings=settings)
    warm_now(app)
    return app


def warm_now(app: Any) -> None:
    """Load the public payloads and tables before the process takes its first connection (from
    the shared folder ``serve`` filled, :func:`prepare`), so no visitor waits for a build; logs
    when the process is ready."""
    import gc
    import logging
    import time

    t = time.perf_counter()
    app.state.service.warm(freeze=False)
    app.state.ogc.warm()
    gc.collect()  # long-lived from here on: out of the garbage collector's way (pauses)
    gc.freeze()
    msg = f"Prozess {os.getpid()} bereit ({time.perf_counter() - t:.1f} s)".replace(".", ",")
    logging.getLogger("planlabor.server").info(msg)
    print(f"  {msg}", flush=True)


def prepare(root: Path) -> dict[str, Any]:
    """Build the public atlas payloads and lookup tables once into the shared cache folder
    (:mod:`planlabor.cache`), before the worker processes start: each then reads them instead of
    building its own from the store.  Returns what was done (for ``serve``'s log): seconds,
    payload count, the folder, how many folders of older versions were removed."""
    import contextlib
    import time

    from planlabor.atlas.access import LiveWorkspace
    from planlabor.atlas.geo_download import geometries
    from planlabor.atlas.service import AtlasService
    from planlabor.errors import PlanlaborError

    t = time.perf_counter()
    live = LiveWorkspace(Path(root))
    try:
        svc = AtlasService(live.source(), live)
        svc.warm(freeze=False)
        for lay in svc.meta(True)["layers"]:
            svc.areas(lay["id"])  # the OGC tables' geometry and layer record
            svc.layer_info(lay["id"])
            with contextlib.suppress(PlanlaborError):  # a layer without geometry has no GeoJSON
                geometries(svc, lay["id"])  # the GeoJSON downloads' (planlabor.atlas.geo_download)
        pruned = svc.shared.prune() if svc.shared is not None else 0
        return {
            "seconds": time.perf_counter() - t,
            "payloads": len(svc.cache),
            "frames": len(svc.frames),
            "folder": str(svc.shared.dir) if svc.shared is not None else None,
            "pruned": pruned,
        }
    finally:
        live.close()


def app_factory() -> Any:
    """Entry point of each worker process (``uvicorn … --factory``)."""
    spec = json.loads(os.environ[ENV])
    return build_app(Path(spec["root"]), bool(spec["internal"]), bool(spec["https"]), spec.get("overrides"))


def worker_env(root: Path, internal: bool, https: bool, overrides: dict[str, Any] | None = None) -> str:
    return json.dumps({"root": str(root), "internal": internal, "https": https, "overrides": overrides or {}})
