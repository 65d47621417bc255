"""A small per-workspace cache of what every Sozialraumprofil needs and no single profile should
compute again (issue #22, point 2): the location maps' ground picture and the outline of every
area. One JSON file per layer in ``.planlabor-cache/`` beside the store, tagged with the store's
version (the generation of a PostgreSQL store, size and time of the DuckDB file and its WAL); a
file of another version is ignored and rewritten. Only geometry of the areas is kept, no values.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

FOLDER = ".planlabor-cache"


def store_version(store: Any) -> str | None:
    """A text that changes whenever the store changes (None: unknown, nothing is cached)."""
    gen = store.generation()
    if gen is not None:
        return f"g{gen}"
    path = getattr(store, "path", None)
    if not path or path == ":memory:":
        return None
    parts = []
    for f in (Path(path), Path(f"{path}.wal")):
        try:
            st = f.stat()
            parts.append(f"{st.st_mtime_ns}-{st.st_size}")
        except OSError:
            parts.append("-")
    return "f" + "_".join(parts)


def folder_of(store: Any, root: Path | str | None) -> Path | None:
    """The cache folder: beside the DuckDB file, else in the workspace."""
    path = getattr(store, "path", None)
    if path and path != ":memory:":
        return Path(path).parent / FOLDER
    return Path(root) / FOLDER if root else None


def load(store: Any, root: Path | str | None, name: str) -> dict[str, Any] | None:
    """The cached ``name`` if it was written for the store as it is now."""
    folder, version = folder_of(store, root), store_version(store)
    if folder is None or version is None:
        return None
    try:
        data = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("payload") if isinstance(data, dict) and data.get("version") == version else None


def save(store: Any, root: Path | str | None, name: str, payload: dict[str, Any]) -> None:
    """Write ``name`` for the store's current version (atomically; a folder that cannot be
    written leaves the cache out, nothing else changes)."""
    folder, version = folder_of(store, root), store_version(store)
    if folder is None or version is None:
        return
    try:
        folder.mkdir(mode=0o700, exist_ok=True)  # owner-only, like the store
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"version": version, "payload": payload}, f)
        os.replace(tmp, folder / f"{name}.json")
    except OSError:
        return
