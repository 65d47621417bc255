"""Use cases of importing values: preview (dry run), import, the import log, revert, quarantine.

The options are the fields of ``planlabor import`` by their long names (``layer``, ``fmt``,
``id_column``, ``period``, ``map_key`` …; see :data:`FIELDS`); lists of ``A=B`` texts stay texts
here and are checked by :func:`import_options`, so the command line and the Werkstatt form
accept the same input and get the same German errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planlabor.app import Where, opened, root_of
from planlabor.app.audit import record
from planlabor.app.fields import lists, pairs

#: every option of an import with its default (the command line's, by its long name)
FIELDS: dict[str, Any] = {
    "layer": None,
    "fmt": None,
    "id_column": None,
    "period": None,
    "period_column": None,
    "stichtag": False,
    "sheet": None,
    "skip_rows": 0,
    "encoding": None,
    "delimiter": None,
    "decimal": None,
    "thousands": None,
    "columns": (),
    "exclude_column": (),
    "variable_column": None,
    "value_column": None,
    "missing": (),
    "on_unmatched": None,
    "map_key": (),
    "changes": None,
    "no_other_levels": False,
    "id_width": None,
    "rename": (),
    "select": (),
    "variable_prefix": None,
}


@dataclass
class ImportOutcome:
    """What an import did or (dry run) would do: the report as data and as German lines."""

    dry_run: bool
    import_id: int | None
    report: dict[str, Any]
    lines: list[str] = field(default_factory=list)


def import_options(given: Mapping[str, Any], default_unmatched: str = "auto") -> Any:
    """:class:`~planlabor.io.importer.ImportOptions` from the fields of :data:`FIELDS`."""
    from planlabor.io.importer import ImportOptions
    from planlabor.io.table import ReadOptions

    kw = {**FIELDS, **{k: v for k, v in given.items() if k in FIELDS}}
    return ImportOptions(
        layer=kw["layer"],
        format=kw["fmt"] or None,
        id_column=kw["id_column"] or None,
        period=kw["period"] or None,
        period_column=kw["period_column"] or None,
        stichtag=bool(kw["stichtag"]),
        variable_column=kw["variable_column"] or None,
        value_column=kw["value_column"] or None,
        columns=list(kw["columns"]) or None,
        exclude_columns=list(kw["exclude_column"]),
        read=ReadOptions(
            encoding=kw["encoding"] or None,
            delimiter=kw["delimiter"] or None,
            decimal=kw["decimal"] or None,
            thousands=kw["thousands"],
            sheet=kw["sheet"] or None,
            skip_rows=int(kw["skip_rows"] or 0),
            select=lists(kw["select"], "--select"),
            variable_prefix=kw["variable_prefix"] or None,
        ),
        missing_values=pairs(kw["missing"], "--missing") or None,
        on_unmatched=kw["on_unmatched"] or default_unmatched,  # type: ignore[arg-type]
        map_keys=pairs(kw["map_key"], "--map-key"),
        changes=kw["changes"] or None,
        other_levels=not kw["no_other_levels"],
        id_width=kw["id_width"] or None,
        rename=pairs(kw["rename"], "--rename"),
        variable_prefix=kw["variable_prefix"] or None,
    )


def _outcome(r: Any, dry_run: bool) -> ImportOutcome:
    from planlabor.io.import_text import report_lines

    lines = r.lines() if hasattr(r, "lines") else report_lines(r)
    return ImportOutcome(dry_run, getattr(r, "import_id", None), r.as_dict(), list(lines))


def preview_import(where: Where, file: str | Path, options: Mapping[str, Any]) -> ImportOutcome:
    """What importing ``file`` would do (recognised layout, variables, periods, keys), changing
    nothing."""
    with opened(where) as ws:
        opts = import_options(options, ws.config.imports.on_unmatched)
        return _outcome(ws.import_table(file, opts, dry_run=True), True)


def import_file(
    where: Where, file: str | Path, options: Mapping[str, Any], by: str | None = None, name: str | None = None
) -> ImportOutcome:
    """Import ``file`` (atomic and versioned); ``name`` is the file name to record (an upload).
    A user limited to some themes may import only variables of indicators of her themes
    (variables no indicator uses yet are free)."""
    from planlabor.app.users import themes_of

    scoped = themes_of(where, by) is not None
    with opened(where) as ws:
        opts = import_options(options, ws.config.imports.on_unmatched)
        if scoped:
            _check_scope(where, ws, by, ws.import_table(file, opts, dry_run=True).variables)
        out = _outcome(ws.import_table(file, opts, dry_run=False), False)
    record(where, by, "import", file=name or Path(file).name, layer=opts.layer, import_id=out.import_id)
    return out


def _check_scope(where: Where, ws: Any, by: str | None, variables: list[str]) -> None:
    """Refuse variables whose indicators all belong to themes outside ``by``'s scope."""
    from planlabor.app.users import require_themes, themes_of

    allowed = set(themes_of(where, by) or [])
    for var in variables:
        themes = {i.theme for i in ws.catalog().indicators if var in i.variables()}
        if themes and not themes & allowed:
            require_themes(where, by, themes, f"Die Variable {var!r}")


def import_log(where: Where) -> list[dict[str, Any]]:
    """The import log, newest last: number, time, kind, layer, values, file, checksum, options."""
    with opened(where, read_only=True) as ws:
        df = ws.imports()
    out = []
    for r in df.to_dict("records"):
        out.append({str(k): (None if isinstance(v, float) and v != v else v) for k, v in r.items()})
    return out


def revert_import(where: Where, import_id: int, by: str | None = None) -> int:
    """Make the values of an earlier import current again; the number of values."""
    with opened(where) as ws:
        n = int(ws.revert(import_id))
    record(where, by, "revert", import_id=import_id, values=n)
    return n


def quarantine_summary(where: Where, import_id: int | None = None) -> list[dict[str, Any]]:
    """Held-back rows (unknown keys) by import and key: first row, number of values, reason."""
    with opened(where, read_only=True) as ws:
        df = ws.quarantine(import_id)
    if df.empty:
        return []
    summary = (
        df.groupby(["import_id", "area_id", "reason"])
        .agg(zeile=("source_row", "min"), werte=("variable", "count"))
        .reset_index()
    )
    return [{str(k): v for k, v in r.items()} for r in summary.to_dict("records")]


def keep_upload(folder: Path, name: str, data: bytes) -> Path:
    """Keep an uploaded file in ``folder`` under a safe form of its name (no path, no leading
    dot; a number before the name when it is taken); the path."""
    import re

    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).lstrip("._") or "upload"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path, n = folder / safe, 1
    while path.exists():
        n += 1
        path = folder / f"{n}-{safe}"
    path.write_bytes(data)
    path.chmod(0o600)  # owner-only from the start (the Werkstatt's sweep keeps it so)
    return path


#: files of imports with held-back rows, kept (with their options) until the keys are mapped
HELD = Path("werkstatt") / "quarantaene"


def hold_for_mapping(where: Where, import_id: int, path: Path, options: Mapping[str, Any]) -> Path:
    """Keep the file of an import whose unknown keys were held back, with its options, so the
    keys can be mapped and the file imported again (:func:`import_mapped`); the folder."""
    import json
    import shutil

    folder = root_of(where) / HELD / str(int(import_id))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.move(str(path), folder / path.name)
    (folder / "optionen.json").write_text(json.dumps(dict(options), ensure_ascii=False), encoding="utf-8")
    return folder


def held_imports(where: Where) -> list[dict[str, Any]]:
    """Imports with held-back keys whose file is kept: number, file name, keys (area_id, first
    row, values, reason) — newest first."""
    base = root_of(where) / HELD
    numbers = (
        sorted((int(p.name) for p in base.iterdir() if p.name.isdigit()), reverse=True)
        if base.is_dir()
        else []
    )
    out = []
    for nr in numbers:
        keys = quarantine_summary(where, nr)
        files = [p.name for p in (base / str(nr)).iterdir() if p.name != "optionen.json"]
        if keys and files:
            out.append({"import_id": nr, "file": files[0], "keys": keys})
    return out


def import_mapped(
    where: Where, import_id: int, mapping: Mapping[str, str], by: str | None = None
) -> ImportOutcome:
    """Import the kept file of import ``import_id`` again with its held-back keys mapped to area
    keys (``planlabor import … --map-key ALT=NEU``); the new import supersedes the old one."""
    import json
    import shutil

    from planlabor.errors import InputError

    folder = root_of(where) / HELD / str(int(import_id))
    files = [p for p in folder.iterdir() if p.name != "optionen.json"] if folder.is_dir() else []
    if not files:
        raise InputError(
            f"Die Datei des Imports Nr. {import_id} ist nicht mehr da.",
            hint="Importieren Sie die Datei erneut mit 'planlabor import … --map-key ALT=NEU'.",
        )
    pairs_ = {k.strip(): v.strip() for k, v in mapping.items() if k.strip() and v.strip()}
    if not pairs_:
        raise InputError(
            "Es ist kein Schlüssel zugeordnet.", column="key", expected="ein Gebietsschlüssel je Zeile"
        )
    options = json.loads((folder / "optionen.json").read_text(encoding="utf-8"))
    options["map_key"] = [*options.get("map_key", []), *(f"{k}={v}" for k, v in pairs_.items())]
    out = import_file(where, files[0], options, by=by, name=files[0].name)
    if out.report.get("quarantined"):
        hold_for_mapping(where, int(out.import_id or 0), files[0], options)
    shutil.rmtree(folder, ignore_errors=True)
    return out
