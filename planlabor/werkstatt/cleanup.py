"""Bounded disk for the Werkstatt: uploads, job states and job outputs older than a few hours are
removed, and what stays is readable by the server's account only.

The Werkstatt keeps files in the workspace folder ``werkstatt/``: uploads (``uploads/<token>/``)
until they are imported, the state of each job (``jobs/<id>.json``) and the outputs of jobs
(reports in ``berichte/``, tables of analyses in ``analysen/``).  None of them is the record of
the workspace (that is the store, the import log and the audit log), so they go after ``hours``
(default 24, ``[server] keep_hours``, ``planlabor serve --dateien-stunden``).  The last built atlas and
dossier stay: they are replaced by the next build.  A job still queued or running is never
removed.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

WERKSTATT = Path("werkstatt")
SWEPT = ("uploads", "jobs", "berichte", "analysen")


@dataclass
class Swept:
    removed: int  # files and folders removed
    freed: int  # bytes
    kept: int  # entries kept (now owner-only)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _owner_only(path: Path) -> None:
    """Files 0600, folders 0700 (other accounts on the machine read none of it)."""
    os.chmod(path, 0o700 if path.is_dir() else 0o600)
    if path.is_dir():
        for p in path.rglob("*"):
            os.chmod(p, 0o700 if p.is_dir() else 0o600)


def sweep(
    root: Path, hours: float = 24.0, live: set[str] | frozenset[str] = frozenset(), now: float | None = None
) -> Swept:
    """Remove entries of the Werkstatt folders of ``root`` last changed more than ``hours`` ago
    (except the jobs in ``live`` and their files); make the rest owner-only."""
    limit = (now if now is not None else time.time()) - hours * 3600
    removed = freed = kept = 0
    for name in SWEPT:
        folder = Path(root) / WERKSTATT / name
        if not folder.is_dir():
            continue
        os.chmod(folder, 0o700)
        for entry in folder.iterdir():
            if entry.name.split(".")[0] in live:
                continue
            try:
                if entry.lstat().st_mtime < limit:
                    freed += _size(entry)
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                    removed += 1
                else:
                    _owner_only(entry)
                    kept += 1
            except FileNotFoundError:  # removed by a parallel sweep
                continue
    return Swept(removed, freed, kept)
