"""Helpers of the attack suite: a small atlas workspace, a real server on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from planlabor.io.importer import ImportOptions
from planlabor.workspace import Workspace
from tests.conftest import write

PASSWORD = "sehr-geheim-2026"
INTERNAL = "intern"  # public = false in GRID_CATALOG


def fill(ws: Workspace, tmp: Path) -> Workspace:
    """Observations and indicators on the grid workspace (areas A1–A4)."""
    ws.import_table(
        write(
            tmp / "werte.csv",
            "id;ew;kinder;sgb2;publ;idx\nA1;1000;100;2;10;1,5\nA2;3000;600;300;20;-0,5\n"
            "A3;1500;50;40;;2\nA4;2000;100;60;-9999;x\n",
        ),
        ImportOptions(layer="gebiet", period="2021-12-31"),
    )
    ws.compute()
    return ws


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yields the base URL."""
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        th.join(10)


def wait_http(url: str, seconds: float = 60) -> None:
    """Wait until ``url`` answers (a server started in another process)."""
    import httpx

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(url)
