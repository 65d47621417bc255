"""Exports of indicator values: CSV (machine and German Excel), XLSX, GeoJSON, GeoPackage.

With ``public=True`` only public indicators are written and the suppression of
:mod:`planlabor.confidentiality` is applied; suppressed cells carry the marker
(people's formats) or an empty value plus a status column (machine formats),
never 0.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from planlabor.catalog import Catalog, IndicatorDefinition
from planlabor.confidentiality import SuppressionRules
from planlabor.errors import InputError, NotFoundError
from planlabor.io.export_variables import refuse_public, variable_values
from planlabor.io.periods import format_period_de, sort_periods
from planlabor.io.safe_csv import key_for_excel, neutralise_frame, write_csv
from planlabor.store import Store

Format = Literal["csv", "xlsx", "geojson", "gpkg"]

#: How a status flag is shown to people (signs of German official statistics).
FLAG_SIGNS: dict[str, str] = {
    "fehlend": "",
    "unbekannt_oder_geheim": ".",
    "nichts_vorhanden": "-",
    "nicht_sinnvoll": "x",
    "nicht_sicher_genug": "/",
    "faellt_spaeter_an": "…",
    "ungueltig": "x",
    "gesperrt": "•",
    "nenner_null": "x",
}

FLAG_LEGEND: dict[str, str] = {
    "fehlend": "kein Wert geliefert",
    "unbekannt_oder_geheim": "Zahlenwert unbekannt oder geheim zu halten (.)",
    "nichts_vorhanden": "nichts vorhanden (-)",
    "nicht_sinnvoll": "Aussage nicht sinnvoll (x)",
    "nicht_sicher_genug": "Zahlenwert nicht sicher genug (/)",
    "faellt_spaeter_an": "Angabe fällt später an (…)",
    "ungueltig": "ungültig, vom Herausgeber ausgeschlossen (-9999)",
    "gesperrt": "vom Herausgeber gesperrt",
    "teilsumme": "Summe nur über die Teilgebiete mit Wert (unvollständig)",
    "nenner_null": "Nenner ist 0, Quote nicht berechenbar",
    "geschaetzt": "aus einem anderen Gebietssystem oder dem Zensus-Gitter anteilig umgerechnet (Schätzung)",
    "geschaetzt_unvollstaendig": "umgerechnet, nicht alle Teilflächen oder Gitterzellen hatten einen Wert",
    "ausgeschlossen": "vom Index ausgeschlossen",
    "prognose_klein": "Prognose für ein Gebiet unter der Mindestgröße (SIKURS: 8.000–10.000 "
    "Einwohner:innen), nur eingeschränkt belastbar",
}


@dataclass
class ExportOptions:
    layer: str
    out: Path
    format: Format = "csv"
    indicators: list[str] | None = None
    periods: list[str] | None = None
    public: bool = False
    csv_style: Literal["machine", "excel-de"] = "machine"
    shape: Literal["wide", "long"] = "wide"
    variables: list[str] | None = None  # imported variables instead of indicators (internal only)


@dataclass
class ExportReport:
    out: str
    format: str
    rows: int
    indicators: list[str]
    periods: list[str]
    suppressed_primary: int = 0
    suppressed_secondary: int = 0
    public: bool = False
    warnings: list[str] = field(default_factory=list)


def collect_values(
    store: Store,
    catalog: Catalog,
    layer: str,
    indicators: list[str] | None,
    periods: list[str] | None,
    public: bool,
    rules: SuppressionRules,
) -> pd.DataFrame:
    """Indicator values of one layer, with area names and parents; suppressed if public.

    This is the single entry point all published outputs use: with ``public`` the values come
    from :func:`planlabor.confidentiality.pattern.public_values`, which applies the
    workspace-wide suppression pattern (all layers, periods and linked indicators at once).
    """
    if store.layer(layer) is None:
        known = ", ".join(lay.layer_id for lay in store.layers()) or "(noch keine)"
        raise NotFoundError(
            f"Die Raumebene {layer!r} gibt es nicht.", column="--layer", expected=f"eine von: {known}"
        )
    chosen = _choose_indicators(catalog, indicators, public)
    if public:
        from planlabor.confidentiality.pattern import public_values

        df = public_values(store, catalog, rules, layer, [i.id for i in chosen], periods)
    else:
        df = store.indicator_values(layer, [i.id for i in chosen], periods)
        df["suppressed"] = None
    if periods:
        have = set(df["period"])
        absent = [p for p in periods if p not in have]
        if absent:
            raise NotFoundError(
                f"Für {', '.join(absent)} gibt es keine Werte auf {layer!r}.",
                column="--period",
                hint="Zeiträume im Arbeitsbereich zeigt 'planlabor status'.",
            )
    areas = store.areas(layer)
    return df.merge(areas.rename(columns={"name": "area_name"}), on="area_id", how="left")


def _choose_indicators(catalog: Catalog, wanted: list[str] | None, public: bool) -> list[IndicatorDefinition]:
    if wanted:
        out = []
        for wid in wanted:
            ind = catalog.get(wid)
            if ind is None:
                raise NotFoundError(
                    f"Den Indikator {wid!r} gibt es im Katalog nicht.",
                    column="--indicator",
                    expected="eine ID aus: " + ", ".join(catalog.ids()[:40]),
                )
            if public and not ind.public:
                raise InputError(
                    f"Der Indikator {wid!r} ist nicht öffentlich.",
                    column="--indicator",
                    hint="Lassen Sie --public weg für eine interne Ausgabe.",
                )
            out.append(ind)
        return out
    return [i for i in catalog.all_indicators() if i.public or not public]


def export(
    store: Store, catalog: Catalog, rules: SuppressionRules, opts: ExportOptions, meta: dict[str, str]
) -> ExportReport:
    """Write the values of one layer to ``opts.out``."""
    if opts.variables is not None:
        if opts.public:
            raise refuse_public()
        df, catalog = variable_values(store, opts.layer, opts.variables, opts.periods)
        opts = replace(opts, indicators=None)
    else:
        df = collect_values(store, catalog, opts.layer, opts.indicators, opts.periods, opts.public, rules)
    if df.empty:
        raise NotFoundError(
            f"Auf der Raumebene {opts.layer!r} gibt es keine Indikatorwerte"
            + (" für diese Zeiträume." if opts.periods else "."),
            hint="Rechnen Sie mit 'planlabor compute' (Indikatoren aus den importierten Variablen schlägt "
            "'planlabor catalog suggest' vor), oder exportieren Sie die importierten Variablen intern mit "
            "--variable NAME bzw. --all-variables.",
        )
    present = set(df["indicator_id"])
    ids = [i for i in (opts.indicators or catalog.ids()) if i in present]
    periods = sort_periods(df["period"].unique().tolist())
    defs = [catalog.get(i) for i in ids]
    report = ExportReport(
        out=str(opts.out),
        format=opts.format,
        rows=0,
        indicators=ids,
        periods=periods,
        suppressed_primary=int((df["suppressed"] == "primär").sum()),
        suppressed_secondary=int((df["suppressed"] == "sekundär").sum()),
        public=opts.public,
    )
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    if opts.format == "csv":
        table = _shape(
            df, ids, periods, opts, people=opts.csv_style == "excel-de", defs=defs, marker=rules.marker
        )
        if opts.csv_style == "excel-de":
            table = neutralise_frame(table)
            for key in ("Gebiet",):  # keys keep their leading zeros in Excel and LibreOffice
                table[key] = table[key].map(key_for_excel)
            table.to_csv(opts.out, sep=";", index=False, encoding="utf-8-sig")
        else:
            write_csv(table, opts.out, sep=",", index=False, encoding="utf-8", float_format="%.15g")
        report.rows = len(table)
    elif opts.format == "xlsx":
        report.rows = _write_xlsx(df, ids, periods, opts, defs, rules, meta)
    elif opts.format in ("geojson", "gpkg"):
        report.rows = _write_geo(store, df, ids, periods, opts, {d.id: d.decimals for d in defs if d})
    else:  # pragma: no cover - guarded by the CLI
        raise InputError(
            f"Unbekanntes Format {opts.format!r}.", column="--format", expected="csv, xlsx, geojson oder gpkg"
        )
    return report


def format_number_de(value: float, decimals: int) -> str:
    """German number format for people: 1234.5 → ``1.234,5``.

    >>> format_number_de(1234.5, 1)
    '1.234,5'
    >>> format_number_de(-0.04, 1)
    '0,0'
    """
    if round(value, decimals) == 0:
        value = 0.0  # no "-0,0" (e.g. the lower limit of a confidence interval)
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def _cell_people(value: Any, flag: Any, suppressed: Any, decimals: int, marker: str) -> str:
    if isinstance(suppressed, str):
        return marker
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return FLAG_SIGNS.get(str(flag), "") if isinstance(flag, str) else ""
    return format_number_de(float(value), decimals)


def _shape(
    df: pd.DataFrame,
    ids: list[str],
    periods: list[str],
    opts: ExportOptions,
    people: bool,
    defs: list[IndicatorDefinition | None],
    marker: str,
) -> pd.DataFrame:
    decimals = {d.id: d.decimals for d in defs if d}
    if opts.shape == "long":
        out = df[
            [
                "area_id",
                "area_name",
                "period",
                "indicator_id",
                "value",
                "numerator",
                "denominator",
                "flag",
                "suppressed",
            ]
        ].copy()
        out = out.sort_values(["indicator_id", "period", "area_id"])
        if people:
            out["value"] = [
                _cell_people(v, f, s, decimals.get(i, 1), marker)
                for v, f, s, i in zip(
                    out["value"], out["flag"], out["suppressed"], out["indicator_id"], strict=True
                )
            ]
            out["period"] = out["period"].map(format_period_de)
            out = out.drop(columns=["numerator", "denominator"])
        return out.rename(columns=_german_headers() if people else {})
    grid = _pivot(df, ids, periods)
    out = grid.rows.copy()
    by_id = {d.id: d for d in defs if d}
    for iid in ids:
        v, f, sup = grid.value[iid], grid.flag[iid], grid.suppressed[iid]
        if people:
            head = by_id[iid].name + (f" ({by_id[iid].unit})" if by_id[iid].unit else "")
            out[head] = [
                _cell_people(a, b, c, decimals.get(iid, 1), marker) for a, b, c in zip(v, f, sup, strict=True)
            ]
        else:
            out[iid] = v
            status = np.where(pd.notna(sup), np.char.add("gesperrt_", sup.astype(str)), f)
            if pd.notna(status).any():
                out[f"{iid}__status"] = status
    if people:
        out["period"] = out["period"].map(format_period_de)
        out = out.rename(columns={"area_id": "Gebiet", "area_name": "Name", "period": "Zeitraum"})
    return out


@dataclass
class _Grid:
    rows: pd.DataFrame
    value: dict[str, np.ndarray]
    flag: dict[str, np.ndarray]
    suppressed: dict[str, np.ndarray]


def _pivot(df: pd.DataFrame, ids: list[str], periods: list[str]) -> _Grid:
    """Values, flags and suppression as arrays aligned to one row per (area, period)."""
    rows = df[["area_id", "area_name", "period"]].drop_duplicates(["area_id", "period"])
    order = {p: i for i, p in enumerate(periods)}
    rows = rows.assign(_p=rows["period"].map(order)).sort_values(["_p", "area_id"])
    rows = rows.drop(columns="_p").reset_index(drop=True)
    key = pd.MultiIndex.from_frame(rows[["area_id", "period"]])
    value, flag, sup = {}, {}, {}
    for iid, sub in df.groupby("indicator_id", sort=False):
        if iid not in ids:
            continue
        sub = sub.set_index(["area_id", "period"]).reindex(key)
        value[str(iid)] = sub["value"].to_numpy(dtype=float)
        flag[str(iid)] = sub["flag"].to_numpy(dtype=object)
        sup[str(iid)] = sub["suppressed"].to_numpy(dtype=object)
    return _Grid(rows=rows, value=value, flag=flag, suppressed=sup)


def _german_headers() -> dict[str, str]:
    return {
        "area_id": "Gebiet",
        "area_name": "Name",
        "period": "Zeitraum",
        "indicator_id": "Indikator",
        "value": "Wert",
        "flag": "Status",
        "suppressed": "Geheimhaltung",
    }


def _write_xlsx(
    df: pd.DataFrame,
    ids: list[str],
    periods: list[str],
    opts: ExportOptions,
    defs: list[IndicatorDefinition | None],
    rules: SuppressionRules,
    meta: dict[str, str],
) -> int:
    """Write the XLSX export: sheet ``Daten`` (one row per area and period) and sheet
    ``Metadaten``; return the number of data rows."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(opts.out), {"constant_memory": True})
    head = wb.add_format(
        {"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"}
    )
    by_id = {d.id: d for d in defs if d}
    n_rows = _xlsx_data_sheet(wb, head, _pivot(df, ids, periods), ids, periods, opts, by_id, rules, meta)
    _xlsx_meta_sheet(wb, head, ids, periods, opts, by_id, rules, meta)
    wb.close()
    return n_rows


def _xlsx_data_sheet(
    wb: Any,
    head: Any,
    grid: Any,
    ids: list[str],
    periods: list[str],
    opts: ExportOptions,
    by_id: dict[str, IndicatorDefinition],
    rules: SuppressionRules,
    meta: dict[str, str],
) -> int:
    """Sheet ``Daten``: key, name, period (dates as Excel dates) and one column per indicator
    (numbers with their decimals, suppressed values as the marker, flags as their sign), frozen
    header, filter and print setup; return the number of rows."""
    right = wb.add_format({"align": "right"})
    ws = wb.add_worksheet("Daten")
    headers = ["Gebiet", "Name", "Zeitraum"] + [
        f"{by_id[i].name}" + (f" ({by_id[i].unit})" if by_id[i].unit else "") for i in ids
    ]
    for c, h in enumerate(headers):
        ws.write(0, c, h, head)
    fmts = {
        i: wb.add_format(
            {"num_format": "#,##0" + ("." + "0" * by_id[i].decimals if by_id[i].decimals else "")}
        )
        for i in ids
    }
    labels = {p: format_period_de(p) for p in periods}
    days = {p: datetime.strptime(p, "%Y-%m-%d") for p in periods if re.fullmatch(r"\d{4}-\d{2}-\d{2}", p)}
    date_fmt = wb.add_format({"num_format": "dd.mm.yyyy", "align": "left"})
    rows = grid.rows
    for r, (aid, name, per) in enumerate(
        zip(rows["area_id"], rows["area_name"], rows["period"], strict=True), start=1
    ):
        ws.write_string(r, 0, str(aid))
        ws.write_string(r, 1, "" if pd.isna(name) else str(name))
        if per in days:
            ws.write_datetime(r, 2, days[per], date_fmt)
        else:
            ws.write_string(r, 2, labels[per])
        for c, iid in enumerate(ids, start=3):
            sup = grid.suppressed[iid][r - 1]
            v = grid.value[iid][r - 1]
            if isinstance(sup, str):
                ws.write_string(r, c, rules.marker, right)
            elif math.isnan(v):
                flag = grid.flag[iid][r - 1]
                ws.write_string(r, c, FLAG_SIGNS.get(flag, "") if isinstance(flag, str) else "", right)
            else:
                ws.write_number(r, c, float(v), fmts[iid])
    row = len(rows) + 1
    ws.freeze_panes(1, 3)
    ws.autofilter(0, 0, max(row - 1, 1), len(headers) - 1)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 32)
    ws.set_column(2, 2, 12)
    ws.set_column(3, len(headers) - 1, 16)
    ws.set_row(0, 45)
    _print_setup(ws, f"{meta.get('workspace', '')} · {opts.layer}")
    return len(rows)


def _xlsx_meta_sheet(
    wb: Any,
    head: Any,
    ids: list[str],
    periods: list[str],
    opts: ExportOptions,
    by_id: dict[str, IndicatorDefinition],
    rules: SuppressionRules,
    meta: dict[str, str],
) -> None:
    """Sheet ``Metadaten``: what the export is (workspace, layer, periods, date, public or
    internal, confidentiality), the definition of each indicator and the legend of the signs."""
    ms = wb.add_worksheet("Metadaten")
    _print_setup(ms, f"{meta.get('workspace', '')} · Metadaten")
    ms.set_column(0, 0, 24)
    ms.set_column(1, 1, 40)
    ms.set_column(2, 8, 28)
    r = 0
    for k, v in [
        ("Arbeitsbereich", meta.get("workspace", "")),
        ("Raumebene", opts.layer),
        ("Zeiträume", ", ".join(format_period_de(p) for p in periods)),
        ("Erstellt", datetime.now().strftime("%d.%m.%Y %H:%M")),
        ("Ausgabe", "öffentlich (Geheimhaltung angewandt)" if opts.public else "intern"),
        ("Geheimhaltung", confidentiality_text(rules)),
        ("Software", meta.get("software", "planlabor")),
    ]:
        ms.write(r, 0, k, head)
        ms.write(r, 1, v)
        r += 1
    r += 1
    cols = ["ID", "Name", "Fachthema", "Einheit", "Definition", "Quelle", "Mindestfallzahl", "Polarität"]
    for c, h in enumerate([*cols, "Beschreibung"]):
        ms.write(r, c, h, head)
    r += 1
    for iid in ids:
        d = by_id[iid]
        ms.write_row(
            r,
            0,
            [
                d.id,
                d.name,
                d.theme,
                d.unit,
                definition_text(d),
                d.source,
                d.min_count or rules.min_count,
                d.polarity,
                d.description,
            ],
        )
        r += 1
    r += 1
    ms.write(r, 0, "Zeichen", head)
    ms.write(r, 1, "Bedeutung", head)
    r += 1
    ms.write_row(r, 0, [rules.marker, "gesperrt (Geheimhaltung)"])
    for flag, text in FLAG_LEGEND.items():
        r += 1
        ms.write_row(r, 0, [FLAG_SIGNS.get(flag, "Wert") or "(leer)", text])


def _print_setup(ws: Any, title: str) -> None:
    """A4 landscape, all columns on one page width, header row on every page, page numbers."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
    ws.set_header("&L" + title.replace("&", "&&") + "&R" + datetime.now().strftime("%d.%m.%Y"))
    ws.set_footer("&CSeite &P von &N")


def definition_text(d: IndicatorDefinition) -> str:
    """Plain-German formula of an indicator, e.g. ``inhabitants_foreigners / inhabitants × 100``."""
    if d.kind == "wert":
        return f"übernommener Wert {d.variable}" + (f", gewichtet mit {d.weight}" if d.weight else "")
    num = " + ".join(d.numerator)
    if d.kind == "anzahl":
        return num if d.factor == 1 else f"{num} × {d.factor:g}"
    den = " + ".join(d.denominator)
    text = f"({num}) / ({den})" if len(d.numerator) > 1 or len(d.denominator) > 1 else f"{num} / {den}"
    return text + (f" × {d.factor:g}" if d.factor != 1 else "")


def confidentiality_text(rules: SuppressionRules) -> str:
    zero = "; 0 wird ebenfalls gesperrt" if rules.suppress_zero else ""
    sec = (
        "; zusätzlich sekundäre Sperrung über alle Ebenen, Zeiträume und verbundenen Indikatoren, "
        f"so dass kein gesperrter Wert enger als ±{rules.protection_percent:g} % bzw. "
        f"{rules.width():g} eingegrenzt werden kann"
        if rules.secondary
        else ""
    )
    return (
        f"Fallzahlen unter {rules.min_count} und daraus berechnete Anteile werden gesperrt "
        f"und mit {rules.marker!r} gekennzeichnet{zero}{sec}."
    )


def _write_geo(
    store: Store,
    df: pd.DataFrame,
    ids: list[str],
    periods: list[str],
    opts: ExportOptions,
    catalog_decimals: dict[str, int],
) -> int:
    import geopandas as gpd
    import shapely

    layer = store.layer(opts.layer)
    areas = store.areas(opts.layer, geometry=True)
    if layer is None or not layer.has_geometry or areas["geom"].isna().all():
        raise InputError(
            f"Die Raumebene {opts.layer!r} hat keine Geometrien.",
            column="--format",
            hint="Exportieren Sie als CSV oder XLSX, oder importieren Sie die Ebene aus einer Geodatei.",
        )
    cols: dict[str, Any] = {"area_id": areas["area_id"], "name": areas["name"]}
    multi = len(periods) > 1
    places = {i: (catalog_decimals.get(i, 2) + 2) for i in ids}
    grouped = dict(tuple(df.groupby(["indicator_id", "period"], sort=False)))
    for iid in ids:
        for p in periods:
            sub = grouped.get((iid, p))
            if sub is None:
                continue
            sub = sub.set_index("area_id")
            col = f"{iid}_{p}" if multi else iid
            cols[col] = areas["area_id"].map(sub["value"]).round(places[iid])  # no 47.793296089385471
            status = sub["suppressed"].where(sub["suppressed"].notna(), sub["flag"])
            if status.notna().any():
                cols[f"{col}__status"] = areas["area_id"].map(status)
    if not multi:
        # GeoPackage: a date-time column for day periods; GeoJSON: the ISO date as text
        day = re.fullmatch(r"\d{4}-\d{2}-\d{2}", periods[0])
        cols["period"] = pd.Series([periods[0]] * len(areas), index=areas.index)
        if day and opts.format == "gpkg":
            cols["period"] = pd.to_datetime(cols["period"])  # a DATETIME column, not text
    props = pd.DataFrame(cols)  # one frame at once: no fragmented inserts
    gdf = gpd.GeoDataFrame(props, geometry=shapely.from_wkb(areas["geom"].tolist()), crs=layer.crs)
    if opts.format == "geojson":
        gdf = gdf.to_crs("EPSG:4326")
        if opts.out.exists():
            opts.out.unlink()
        gdf.to_file(opts.out, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=7)
    else:
        # GeoPackage 1.2: read without the "user_version … may only be partially supported"
        # warning by the GDAL of QGIS 3.22 and other readers of the 1.2/1.3 generation
        gdf.to_file(opts.out, driver="GPKG", layer=opts.layer, engine="pyogrio", VERSION="1.2")
    return len(gdf)
