"""Moving a workspace between backends: ``planlabor store copy --to postgresql://… | --to DIR``.

Every table of ``schema.sql`` is copied in one transaction of the target and then verified:
the row count and a checksum of every table must be equal in source and target, else the copy
is rolled back (the new folder and schema removed) and a German error names the table.

The checksum is backend-neutral: every value in a canonical text form (floats by ``repr``,
so bit-exact; times ISO; bytes hex; NULL ``\\N``), the rows sorted, SHA-256 over them.  The
changes counter ``meta.generation`` (PostgreSQL only) is neither copied nor compared.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from planlabor.errors import StoreError
from planlabor.store.base import Store

#: keys of ``meta`` that belong to one store, not to the workspace
LOCAL_META = ("generation",)


@dataclass
class CopyReport:
    target: str
    folder: Path
    tables: dict[str, tuple[int, str]] = field(default_factory=dict)  # name → (rows, sha256)

    @property
    def rows(self) -> int:
        return sum(n for n, _ in self.tables.values())


def _canon(v: Any) -> str:
    if v is None:
        return "\\N"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).hex()
    if isinstance(v, datetime | date):
        return v.isoformat()
    return str(v)


def _select(table: str) -> str:
    if table == "meta":
        keys = ", ".join(f"'{k}'" for k in LOCAL_META)
        return f"SELECT * FROM meta WHERE key NOT IN ({keys})"
    return f"SELECT * FROM {table}"


def fingerprint(store: Store, table: str) -> tuple[int, str]:
    """(rows, SHA-256) of a table, equal on every backend for equal contents."""
    data = store.query_arrow(_select(table))
    columns = [[_canon(v) for v in col.to_pylist()] for col in data.columns]
    lines = sorted("\x1f".join(row) for row in zip(*columns, strict=True)) if columns else []
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return data.num_rows, digest.hexdigest()


def fingerprints(store: Store) -> dict[str, tuple[int, str]]:
    """Rows and checksum of every table of the store's schema."""
    return {t: fingerprint(store, t) for t in Store.table_names()}


def copy_tables(source: Store, target: Store) -> dict[str, tuple[int, str]]:
    """Copy every table into ``target`` (its rows replaced) and verify; returns the fingerprints."""
    with target.transaction():
        for table in Store.table_names():
            data = source.query_arrow(_select(table))
            target.execute(_select(table).replace("SELECT *", "DELETE", 1))
            if data.num_rows:
                target.insert_arrow(table, data)
        want = fingerprints(source)
        got = fingerprints(target)
        for table, (n, digest) in want.items():
            if got[table] != (n, digest):
                raise StoreError(
                    f"Die Kopie der Tabelle {table!r} weicht ab ({got[table][0]} statt {n} Zeilen oder "
                    "andere Prüfsumme); nichts wurde kopiert.",
                    hint="Melden Sie das bitte mit dieser Meldung an das planlabor-Team; der Ausgangs-"
                    "Arbeitsbereich ist unverändert.",
                )
        target.audit(
            "copy", None, details={"von": _describe(source), "zeilen": sum(n for n, _ in want.values())}
        )
    return want


def _describe(store: Store) -> str:
    url = getattr(store, "url", None)
    if url is not None:
        return str(url.display())
    return str(getattr(store, "path", "DuckDB"))


def copy_workspace(workspace: Any, target: str, folder: Path | None = None) -> CopyReport:
    """Copy ``workspace`` to a new workspace folder with the store ``target``.

    ``target``: a PostgreSQL address (the new folder is ``folder``, default the workspace's folder
    name + ``-server`` next to it) or a folder (a new DuckDB workspace there).  The files of the
    workspace (catalog, reports, users …) are copied, the store is not; the new ``planlabor.toml``
    names the new store.  The source is left unchanged.
    """
    from planlabor.config import CONFIG_NAME
    from planlabor.store.pgurl import StoreUrl, is_postgres_url
    from planlabor.workspace import Workspace

    src_root = Path(workspace.root)
    url = StoreUrl.parse(target).fresh() if is_postgres_url(target) else None
    dest = Path(folder) if folder else (src_root.parent / f"{src_root.name}-server" if url else Path(target))
    dest = dest.resolve()
    if (dest / CONFIG_NAME).exists() or dest == src_root:
        raise StoreError(
            f"Im Ordner {dest} gibt es schon einen Arbeitsbereich.",
            hint="Wählen Sie einen neuen, leeren Ordner für die Kopie.",
        )
    source = workspace.store
    skip = _store_files(workspace)
    created = False
    shutil.copytree(
        src_root, dest, ignore=lambda d, names: [n for n in names if Path(d, n) in skip], dirs_exist_ok=True
    )
    try:
        config = (src_root / CONFIG_NAME).read_text(encoding="utf-8")
        (dest / CONFIG_NAME).write_text(_with_store(config, url.display() if url else None), encoding="utf-8")
        if url is not None:
            from planlabor.store import srid_of
            from planlabor.store.postgres import PostgresStore

            crs = workspace.config.workspace.crs
            PostgresStore(url, srid=srid_of(crs), create=True, must_be_new=True).close()
            created = True
        copy = Workspace.open(dest)
        try:
            tables = copy_tables(source, copy.store)
        finally:
            copy.close()
    except BaseException:
        if created:
            _drop_schema(url)
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return CopyReport(url.display() if url else str(dest), dest, tables)


def _store_files(workspace: Any) -> set[Path]:
    section = workspace.config.store
    if section.backend != "duckdb":
        return set()
    path = Path(section.path)
    path = path if path.is_absolute() else Path(workspace.root) / path
    return {path, path.with_name(path.name + ".wal")}


def _with_store(config: str, url: str | None) -> str:
    """``planlabor.toml`` with its ``[store]`` section replaced."""
    import re

    from planlabor.config import store_section_text

    section = re.compile(r"^\[store\]\n(?:(?!\[).*\n?)*", re.MULTILINE)
    new = store_section_text(url) + "\n"
    return section.sub(lambda _m: new, config, count=1) if section.search(config) else config + "\n" + new


def _drop_schema(url: Any) -> None:
    import contextlib

    from planlabor.store.postgres import connect

    with contextlib.suppress(Exception), connect(url) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{url.schema}" CASCADE')
