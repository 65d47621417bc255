"""A small per-workspace cache of what every Sozialraumprofil needs and no single profile should
compute again (issue #22, point 2): the location maps' ground picture and the outline of every
area. One JSON file per layer in ``.planlabor-cache/`` beside the store, tagged with the store's
version (the generation of a PostgreSQL store, size and time of the DuckDB file and its WAL); a
file of another version is ignored and rewritten. Only geometry of the areas is kept, no values.

Most store changes (an import of values, ``compute``) leave the areas as they are: a file of
another version that was written from the same geometries (:func:`fingerprint` of the layer's
outlines, kept in the file) is taken again and re-tagged with the new version, so the first
profile after such a change costs one query of the outlines instead of drawing the maps anew.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
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


def fingerprint(ids: Iterable[Any], wkb: Iterable[Any]) -> str:
    """A hash of the areas' ids and outlines (WKB): equal exactly when the geometry is."""
    h = hashlib.blake2b(digest_size=16)
    for area_id, geom in zip(ids, wkb, strict=True):
        h.update(str(area_id).encode("utf-8") + b"\0")
        h.update(b"" if geom is None else bytes(geom))
        h.update(b"\1")
    return h.hexdigest()


def _read(store: Any, root: Path | str | None, name: str) -> dict[str, Any] | None:
    folder = folder_of(store, root)
    if folder is None:
        return None
    try:
        data = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("payload"), dict) else None


def load(store: Any, root: Path | str | None, name: str) -> dict[str, Any] | None:
    """The cached ``name`` if it was written for the store as it is now."""
    version = store_version(store)
    data = _read(store, root, name) if version is not None else None
    return data["payload"] if data is not None and data.get("version") == version else None


def load_same_geometry(store: Any, root: Path | str | None, name: str, key: str) -> dict[str, Any] | None:
    """The cached ``name`` of any version if it was written from geometries of fingerprint
    ``key`` (then re-tagged with the store's current version)."""
    data = _read(store, root, name)
    if data is None or data.get("geometry") != key:
        return None
    save(store, root, name, data["payload"], key)
    return dict(data["payload"])


def save(
    store: Any, root: Path | str | None, name: str, payload: dict[str, Any], geometry: str | None = None
) -> None:
    """Write ``name`` for the store's current version (atomically; a folder that cannot be
    written leaves the cache out, nothing else changes)."""
    folder, version = folder_of(store, root), store_version(store)
    if folder is None or version is None:
        return
    try:
        folder.mkdir(mode=0o700, exist_ok=True)  # owner-only, like the store
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"version": version, "geometry": geometry, "payload": payload}, f)
        os.replace(tmp, folder / f"{name}.json")
    except OSError:
        return
