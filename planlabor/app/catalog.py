"""Use cases of the indicator catalog: list, check against the data, add or edit an indicator,
theme sets from the shipped templates, template import and export.

An indicator saved here is written to the workspace's first catalog file (``catalog.toml``, the
file ``planlabor validate`` and ``planlabor compute`` read) and validated with the whole catalog
before the file is replaced; a failing check changes nothing.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from planlabor.app import Where, opened
from planlabor.app.audit import record
from planlabor.app.users import require_themes
from planlabor.errors import ConfigError, InputError

#: form fields of an indicator (in the order of the form)
FIELDS = ("id", "name", "theme", "unit", "numerator", "denominator", "factor", "polarity", "min_count")
POLARITY = {"hoch_ist_gut": "hoch ist gut", "hoch_ist_schlecht": "hoch ist schlecht", "neutral": "neutral"}
PREVIEW_ROWS = 5


def overview(where: Where) -> dict[str, Any]:
    """Indicators (declared and from indices), indices, themes and the shipped templates."""
    from planlabor.catalog.exchange import SHIPPED

    with opened(where, read_only=True) as ws:
        cat = ws.catalog()
        own = {i.id for i in cat.indicators}
        rows = [
            {
                "id": i.id, "name": i.name, "theme": i.theme, "unit": i.unit, "kind": i.kind,
                "public": i.public, "polarity": POLARITY[i.polarity], "editable": i.id in own,
                "formula": _formula(i.numerator, i.denominator, i.factor, i.variable),
            }
            for i in cat.all_indicators()
        ]  # fmt: skip
        indices = [{"id": r.id, "name": r.name, "layer": r.layer, "theme": r.theme} for r in cat.indices]
        return {"indicators": rows, "indices": indices, "themes": cat.theme_list(), "templates": SHIPPED}


def _formula(num: list[str], den: list[str], factor: float, variable: str | None) -> str:
    if variable:
        return variable
    text = " + ".join(num)
    if den:
        text = f"({text}) / ({' + '.join(den)})"
    return f"{text} × {factor:g}" if factor != 1 else text


def definition(where: Where, indicator_id: str) -> dict[str, str]:
    """The form fields of a declared indicator (to edit it)."""
    with opened(where, read_only=True) as ws:
        ind = next((i for i in ws.catalog().indicators if i.id == indicator_id), None)
    if ind is None:
        raise InputError(f"Den Indikator {indicator_id!r} gibt es im Katalog nicht.", column="id")
    return {
        "id": ind.id, "name": ind.name, "theme": ind.theme, "unit": ind.unit,
        "numerator": " + ".join(ind.numerator), "denominator": " + ".join(ind.denominator),
        "factor": f"{ind.factor:g}", "polarity": ind.polarity,
        "min_count": "" if ind.min_count is None else str(ind.min_count),
        "public": "1" if ind.public else "", "decimals": str(ind.decimals),
    }  # fmt: skip


def indicator_from_form(fields: dict[str, str]) -> dict[str, Any]:
    """The catalog entry of a filled form, checked field by field (German error per field)."""
    from planlabor.catalog.model import IndicatorDefinition

    entry: dict[str, Any] = {k: fields.get(k, "").strip() for k in ("id", "name", "theme", "unit")}
    entry["theme"] = entry["theme"] or "Allgemein"
    entry["numerator"] = [v.strip() for v in fields.get("numerator", "").split("+") if v.strip()]
    entry["denominator"] = [v.strip() for v in fields.get("denominator", "").split("+") if v.strip()]
    entry["polarity"] = fields.get("polarity") or "neutral"
    entry["public"] = bool(fields.get("public"))
    for key, kind in (("factor", float), ("min_count", int), ("decimals", int)):
        text = fields.get(key, "").strip().replace(",", ".")
        if text:
            try:
                entry[key] = kind(text)
            except ValueError:
                raise InputError(
                    f"{key}: {text!r} ist keine Zahl.", column=key, expected="eine Zahl, z. B. 100"
                ) from None
    if "factor" not in entry:  # an empty field: percent for a ratio, the count itself without denominator
        entry["factor"] = 100.0 if entry["denominator"] else 1.0
    try:
        IndicatorDefinition.model_validate(entry)
    except ValidationError as exc:
        err = exc.errors()[0]
        col = ".".join(str(p) for p in err["loc"]) or "numerator"
        raise InputError(
            f"Der Indikator ist ungültig: {col}: {err['msg']}", column=col, expected="siehe docs/katalog.md"
        ) from exc
    return {k: v for k, v in entry.items() if v not in ("", [])}


def check(where: Where, fields: dict[str, str], layer: str | None = None) -> dict[str, Any]:
    """Live validation of a form against the data: the problems (field → message), the
    variables and whether they exist on the layer, the periods with all variables, and a
    preview of the first values of the newest period with the count a minimum would suppress."""
    try:
        entry = indicator_from_form(fields)
    except InputError as err:
        return {"ok": False, "errors": {err.column or "id": err.message}, "variables": [], "periods": []}
    variables = [*entry.get("numerator", []), *entry.get("denominator", [])]
    with opened(where, read_only=True) as ws:
        known = {i.id for i in ws.catalog().all_indicators()}
        layer = layer or _base_layer(ws)
        have = _variables_on(ws, layer)
        periods = _periods(ws, layer, variables) if variables else []
        preview = _preview(ws, layer, entry, periods[-1]) if periods else None
        default_min = ws.rules().min_count
    errors: dict[str, str] = {}
    missing = [v for v in variables if v not in have]
    if missing:
        errors["numerator" if missing[0] in entry.get("numerator", []) else "denominator"] = (
            f"Auf der Raumebene {layer!r} gibt es keine Variable {', '.join(missing)}."
        )
    elif variables and not periods:
        errors["denominator"] = "Zähler und Nenner haben keinen gemeinsamen Zeitraum."
    out: dict[str, Any] = {
        "ok": not errors, "errors": errors, "layer": layer, "exists": entry["id"] in known,
        "variables": [{"id": v, "present": v in have} for v in variables], "periods": periods,
    }  # fmt: skip
    if preview is not None:
        out["preview"] = _suppressed(preview, entry, default_min)
    return out


def _base_layer(ws: Any) -> str | None:
    df = ws.store.query_df(
        "SELECT layer_id, count(*) AS n FROM observations WHERE superseded_by IS NULL "
        "GROUP BY layer_id ORDER BY n DESC LIMIT 1"
    )
    return None if df.empty else str(df["layer_id"].iloc[0])


def _variables_on(ws: Any, layer: str | None) -> set[str]:
    df = ws.store.query_df(
        "SELECT DISTINCT variable FROM observations WHERE superseded_by IS NULL AND layer_id = ?", [layer]
    )
    return set(df["variable"])


def _periods(ws: Any, layer: str | None, variables: list[str]) -> list[str]:
    marks = ", ".join("?" for _ in variables)
    df = ws.store.query_df(
        f"SELECT period FROM observations WHERE superseded_by IS NULL AND layer_id = ? "
        f"AND variable IN ({marks}) GROUP BY period HAVING count(DISTINCT variable) = ? ORDER BY period",
        [layer, *variables, len(set(variables))],
    )
    return [str(p) for p in df["period"]]


def _preview(ws: Any, layer: str | None, entry: dict[str, Any], period: str) -> list[dict[str, Any]]:
    """Numerator and denominator sums per area of one period (raw, not yet suppressed)."""
    num, den = entry.get("numerator", []), entry.get("denominator", [])
    marks = ", ".join("?" for _ in (*num, *den))
    df = ws.store.query_df(
        f"SELECT area_id, variable, value FROM observations WHERE superseded_by IS NULL "
        f"AND layer_id = ? AND period = ? AND variable IN ({marks}) ORDER BY area_id",
        [layer, period, *num, *den],
    )
    wide = df.pivot_table(index="area_id", columns="variable", values="value", aggfunc="sum")
    rows = []
    for area, rec in wide.iterrows():
        n = float(sum(rec.get(v, 0.0) for v in num))
        d = float(sum(rec.get(v, 0.0) for v in den)) if den else None
        rows.append({"area_id": str(area), "period": period, "numerator": n, "denominator": d})
    return rows


def _suppressed(rows: list[dict[str, Any]], entry: dict[str, Any], default_min: int) -> dict[str, Any]:
    """The first values and how many areas the minimum count suppresses (numerator or
    denominator below it) — the same rule as the publication's primary suppression."""
    minimum = int(entry.get("min_count") or default_min)
    factor = float(entry.get("factor", 1.0))
    count = 0
    first: list[dict[str, Any]] = []
    for r in rows:
        small = r["numerator"] < minimum or (r["denominator"] is not None and r["denominator"] < minimum)
        count += small
        if len(first) < PREVIEW_ROWS:
            if r["denominator"] is None:
                value = None if small else r["numerator"]
            else:
                value = None if small or not r["denominator"] else r["numerator"] / r["denominator"] * factor
            first.append({"area_id": r["area_id"], "value": value, "suppressed": small})
    return {"period": rows[0]["period"] if rows else None, "areas": len(rows), "suppressed": count,
            "min_count": minimum, "values": first}  # fmt: skip


def save_indicator(where: Where, fields: dict[str, str], by: str | None = None) -> str:
    """Add or replace an indicator in the workspace's catalog file; validated with the whole
    catalog before the file is replaced (atomically)."""
    entry = indicator_from_form(fields)
    with opened(where, read_only=True) as ws:
        path = ws.catalog_paths()[0]
        others = ws.catalog_paths()[1:]
        root = ws.root
    doc = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    old = [e.get("theme", "Allgemein") for e in doc.get("indicator", []) if e.get("id") == entry["id"]]
    require_themes(root, by, {entry["theme"], *old}, f"Der Indikator {entry['id']!r}")
    entries = [e for e in doc.get("indicator", []) if e.get("id") != entry["id"]]
    replaced = len(entries) != len(doc.get("indicator", []))
    position = next((i for i, e in enumerate(doc.get("indicator", [])) if e.get("id") == entry["id"]), None)
    entries.insert(len(entries) if position is None else position, entry)
    doc["indicator"] = entries
    _write_checked(path, tomli_w.dumps(doc), others)
    record(root, by, "catalog", indicator=entry["id"], replaced=replaced)
    return str(entry["id"])


def _write_checked(path: Path, text: str, others: list[Path]) -> None:
    from planlabor.catalog.model import load_catalog_files

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".catalog-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            load_catalog_files([Path(tmp), *others])
        except ConfigError as err:
            raise ConfigError(err.message, file=str(path), hint="Der Katalog wurde nicht geändert.") from err
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def apply_template(where: Where, source: str | Path, by: str | None = None) -> Any:
    """Take a template (a shipped name like ``jugendhilfe`` or a file) into the workspace."""
    from planlabor.catalog.exchange import read_template

    _, incoming = read_template(source)
    require_themes(where, by, {i.theme for i in incoming.indicators}, "Die Vorlage")
    with opened(where) as ws:
        report = ws.import_template(source, dry_run=False)
        root = ws.root
    record(root, by, "template", source=Path(str(source)).name, indicators=report.indicators)
    return report


def export_template(where: Where, out: Path) -> Path:
    """The workspace's catalog and index definitions as one template file."""
    with opened(where, read_only=True) as ws:
        return Path(ws.export_template(out))
