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


def build_app(root: Path, internal: bool = False, https: bool = False) -> Any:
    """The atlas application of the workspace in ``root`` (what ``planlabor serve`` runs)."""
    from planlabor.atlas.access import LiveWorkspace
    from planlabor.atlas.server import create_app
    from planlabor.workspace import Workspace

    ws = Workspace.open(root, read_only=True)
    live = LiveWorkspace(ws.root)
    if internal:
        ws.auth()  # users of earlier versions move from the store into atlas-auth.sqlite (once)
    settings = ws.config.server
    ws.close()
    # the server opens the store only while it builds an answer: commands keep working meanwhile
    return create_app(
        live.source(), internal=internal, warm=True, secure_cookies=https, live=live, settings=settings
    )


def app_factory() -> Any:
    """Entry point of each worker process (``uvicorn … --factory``)."""
    spec = json.loads(os.environ[ENV])
    return build_app(Path(spec["root"]), bool(spec["internal"]), bool(spec["https"]))


def worker_env(root: Path, internal: bool, https: bool) -> str:
    return json.dumps({"root": str(root), "internal": internal, "https": https})
