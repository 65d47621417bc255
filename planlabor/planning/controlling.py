"""Controlling (Sozialplanung und Controlling): costs and cases per product, Kennzahlen and
Soll/Ist against the targets of contracts (Kontraktmanagement).

* :func:`read_klr` reads a KLR export (CSV/XLSX, one row per product × cost centre × period,
  optionally × area) with German or machine number formats.
* :func:`store_klr` keeps the rows (versioned: a new import of the same product and period
  supersedes the old one, which stays retrievable) and, where rows carry an area key, stores
  ``ctrl_<produkt>_kosten`` and ``ctrl_<produkt>_faelle`` as observations so that the Kennzahlen
  become catalog indicators (atlas, reports, exports) like any other.  A business year (``2024``)
  is stored at the stock date at its end (``2024-12-31``) so that it meets the population.
* :func:`kennzahlen_catalog` writes the indicators: cost per case and cases per 1,000 of a
  reference population.
* :func:`soll_ist` compares the city-wide Kennzahlen with the targets: traffic light and trend.

Traffic light (Ampel) for a target ``soll`` with tolerance ``t`` (per cent):
``hoch_ist_schlecht`` (costs): green if Ist ≤ Soll, yellow if Ist ≤ Soll × (1 + t/100), else red;
``hoch_ist_gut`` (e.g. cases reached): green if Ist ≥ Soll, yellow if Ist ≥ Soll × (1 − t/100),
else red.  Trend: change against the previous period of the same product; below 1 % it is
steady (→).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from planlabor.errors import InputError
from planlabor.io.files import file_sha256
from planlabor.io.geo import read_attribute_table
from planlabor.io.periods import parse_period
from planlabor.planning.numbers import german_number
from planlabor.store import Store

KLR_GUESS = {
    "product": ("produkt", "product", "produktnummer", "leistung"),
    "cost_centre": ("kostenstelle", "kst", "cost_centre"),
    "period": ("zeitraum", "jahr", "periode", "period", "haushaltsjahr"),
    "costs": ("kosten", "ist_kosten", "aufwand", "ist", "costs"),
    "cases": ("faelle", "fälle", "fallzahl", "plaetze", "plätze", "cases"),
    "area": ("gebiet", "raumid", "area_id", "bezirk", "sozialraum"),
}
OPTION = {"product": "produkt", "period": "zeitraum", "costs": "kosten", "cases": "faelle", "area": "gebiet"}
KENNZAHLEN = {
    "kosten_je_fall": ("Kosten je Fall", "€ je Fall", "hoch_ist_schlecht"),
    "faelle_je_1000": ("Fälle je 1.000 Einwohner:innen", "je 1.000", "neutral"),
    "kosten": ("Kosten", "€", "hoch_ist_schlecht"),
    "faelle": ("Fälle", "Fälle", "neutral"),
}


def slug(text: str) -> str:
    s = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")[:40] or "produkt"


def _num(value: Any, path: Path, row: int, column: str, minimum: float | None = None) -> float:
    """A German or machine number; empty is NaN (missing); ``inf``/``nan`` text and values below
    ``minimum`` are refused with the cell named."""
    where = {"file": path, "row": row, "column": column}
    number = german_number(
        value, where, minimum, "Der Wert", "ist kein Betrag und keine Fallzahl.",
        "eine Zahl wie 1234567,89 oder 1.234.567,89 (oder leer)",
    )  # fmt: skip
    return float("nan") if number is None else number


def _col(df: pd.DataFrame, wanted: str | None, key: str, path: Path, required: bool) -> str | None:
    lower = {str(c).lower(): str(c) for c in df.columns if c != "_line"}
    if wanted:
        if wanted.lower() in lower:
            return lower[wanted.lower()]
        raise InputError(
            f"Die Spalte {wanted!r} gibt es nicht.",
            file=path,
            row=1,
            column=wanted,
            expected="eine dieser Spalten: " + ", ".join(lower.values()),
        )
    for g in KLR_GUESS[key]:
        if g in lower:
            return lower[g]
    if required:
        raise InputError(
            f"Keine Spalte für {key} gefunden.",
            file=path,
            row=1,
            expected="eine Spalte wie " + " oder ".join(KLR_GUESS[key][:3]),
            hint=f"Nennen Sie sie mit --{OPTION.get(key, key)}-spalte.",
        )
    return None


def read_klr(path: str | Path, columns: dict[str, str | None] | None = None) -> pd.DataFrame:
    """A KLR export as rows product, cost_centre, period, area_id, costs, cases (with the file row)."""
    path = Path(path)
    columns = columns or {}
    df = read_attribute_table(path)
    cols = {
        k: _col(df, columns.get(k), k, path, required=k in ("product", "period", "costs", "cases"))
        for k in KLR_GUESS
    }
    out = []
    for i, rec in enumerate(df.to_dict("records")):
        row = int(rec.get("_line") or i + 2)
        product = str(rec[cols["product"]] or "").strip()
        if not product:
            raise InputError(
                "Das Produkt fehlt.", file=path, row=row, column=cols["product"], expected="ein Produktname"
            )
        raw_period = str(rec[cols["period"]] or "").strip()
        try:
            period = parse_period(raw_period)
        except ValueError:
            raise InputError(
                f"{raw_period!r} ist kein Zeitraum.",
                file=path,
                row=row,
                column=cols["period"],
                expected="ein Jahr (2024), Halbjahr (2024-H1), Monat (2024-06) oder Stichtag",
            ) from None
        out.append(
            {
                "row": row,
                "product": product,
                "cost_centre": (str(rec[cols["cost_centre"]]).strip() or None)
                if cols["cost_centre"]
                else None,
                "period": period,
                "area_id": str(rec[cols["area"]]).strip() if cols["area"] and rec[cols["area"]] else None,
                "costs": _num(rec[cols["costs"]], path, row, cols["costs"] or "", minimum=0),
                "cases": _num(rec[cols["cases"]], path, row, cols["cases"] or "", minimum=0),
            }
        )
    frame = pd.DataFrame(out)
    if frame.empty:
        raise InputError(
            "Die Datei enthält keine Zeilen.", file=path, row=2, expected="eine Zeile je Produkt und Zeitraum"
        )
    return frame


@dataclass
class KlrReport:
    import_id: int
    rows: int
    products: list[str]
    periods: list[str]
    areas: int
    observations: int
    superseded: int


def store_klr(store: Store, frame: pd.DataFrame, path: str | Path, layer: str | None) -> KlrReport:
    """Keep the rows (atomic, versioned) and the per-area sums as observations."""
    path = Path(path)
    _check_klr_areas(store, frame, path, layer)
    slices = frame[["product", "period"]].drop_duplicates()
    old = store.query_df("SELECT DISTINCT product, period FROM controlling WHERE superseded_by IS NULL")
    superseded = len(slices.merge(old, on=["product", "period"]))
    with store.transaction():
        import_id = store.log_new_import(
            "controlling",
            str(path),
            file_sha256(path),
            {"layer": layer},
            layer,
            rows_read=len(frame),
            values_imported=len(frame) * 2,
            message=", ".join(sorted(frame["product"].unique())[:10]),
        )
        store.execute_with(
            "UPDATE controlling SET superseded_by = ? WHERE superseded_by IS NULL "
            "AND (product, period) IN (SELECT product, period FROM _pl_slices)",
            {"_pl_slices": pa.Table.from_pandas(slices, preserve_index=False)},
            [import_id],
        )
        store.insert_arrow("controlling", _klr_rows(frame, import_id, layer))
    n_obs = 0
    keyed = frame[frame["area_id"].notna()]
    if not keyed.empty and layer:
        obs = _klr_observations(keyed, layer)
        store.record_observations("controlling-werte", layer, obs, {"import": import_id}, message=str(path))
        n_obs = len(obs)
    return KlrReport(
        import_id=import_id,
        rows=len(frame),
        products=sorted(frame["product"].unique()),
        periods=sorted(frame["period"].unique()),
        areas=int(frame["area_id"].nunique()),
        observations=n_obs,
        superseded=superseded,
    )


def _check_klr_areas(store: Store, frame: pd.DataFrame, path: Path, layer: str | None) -> None:
    """Rows with area keys need an existing ``layer`` that holds every key (else nothing is
    imported)."""
    if not frame["area_id"].notna().any():
        return
    if layer is None:
        raise InputError(
            "Die Fälle tragen Gebietsschlüssel; nennen Sie deren Raumebene mit --layer.", column="--layer"
        )
    if store.layer(layer) is None:
        raise InputError(f"Die Raumebene {layer!r} gibt es nicht.", column="--layer")
    known = set(store.areas(layer)["area_id"])
    bad = frame[frame["area_id"].notna() & ~frame["area_id"].isin(known)]
    if not bad.empty:
        first = bad.iloc[0]
        raise InputError(
            f"{bad['area_id'].nunique()} Gebietsschlüssel gibt es auf {layer!r} nicht, "
            f"z. B. {first['area_id']!r}. Nichts wurde importiert.",
            file=path,
            row=int(first["row"]),
            expected=f"Schlüssel der Raumebene {layer!r}",
        )


def _klr_rows(frame: pd.DataFrame, import_id: int, layer: str | None) -> pa.Table:
    """The rows of the ``controlling`` table for ``frame`` (layer only where an area is given)."""
    n = len(frame)
    has_area = frame["area_id"].notna().to_numpy()

    def text(col: str) -> pa.Array:
        return pa.array(frame[col].astype(object).where(frame[col].notna(), None).tolist(), pa.string())

    return pa.table(
        {
            "import_id": pa.array([import_id] * n, pa.int32()),
            "product": text("product"),
            "cost_centre": text("cost_centre"),
            "period": text("period"),
            "layer_id": pa.array([layer if k else None for k in has_area], pa.string()),
            "area_id": text("area_id"),
            "costs": pa.array(frame["costs"].to_numpy(), pa.float64(), from_pandas=True),
            "cases": pa.array(frame["cases"].to_numpy(), pa.float64(), from_pandas=True),
            "superseded_by": pa.nulls(n, pa.int32()),
        }
    )


def _klr_observations(keyed: pd.DataFrame, layer: str) -> pd.DataFrame:
    """Costs and cases summed per product, area and period as observations
    ``ctrl_<product>_kosten`` / ``_faelle`` (a business year at its 31.12.)."""
    sums = keyed.groupby(["product", "area_id", "period"], as_index=False)[["costs", "cases"]].sum(
        min_count=1
    )
    rows = []
    for what in ("costs", "cases"):
        suffix = "kosten" if what == "costs" else "faelle"
        rows.append(
            pd.DataFrame(
                {
                    "layer_id": layer,
                    "area_id": sums["area_id"],
                    "variable": "ctrl_" + sums["product"].map(slug) + "_" + suffix,
                    # a business year is matched to the stock at its end (31.12.)
                    "period": sums["period"].map(lambda p: f"{p}-12-31" if re.fullmatch(r"\d{4}", p) else p),
                    "value": sums[what],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def kennzahlen_catalog(
    products: list[str], reference: str | None, reference_name: str = ""
) -> dict[str, Any]:
    """Catalog entries (TOML-ready) for the Kennzahlen of ``products`` on their areas."""
    inds: list[dict[str, Any]] = []
    for p in products:
        s = slug(p)
        inds.append(
            {
                "id": f"ctrl_{s}_kosten_je_fall",
                "name": f"{p}: Kosten je Fall",
                "short_name": f"{p}: € je Fall",
                "theme": "Controlling",
                "unit": "€",
                "numerator": [f"ctrl_{s}_kosten"],
                "denominator": [f"ctrl_{s}_faelle"],
                "decimals": 0,
                "polarity": "hoch_ist_schlecht",
                "description": f"Kosten des Produkts {p} aus der Kosten- und Leistungsrechnung je Fall "
                "(Summe der Kosten / Summe der Fälle).",
                "source": "Kosten- und Leistungsrechnung (KLR)",
            }
        )
        inds.append(
            {
                "id": f"ctrl_{s}_faelle",
                "name": f"{p}: Fälle",
                "theme": "Controlling",
                "unit": "Fälle",
                "numerator": [f"ctrl_{s}_faelle"],
                "source": "Kosten- und Leistungsrechnung (KLR)",
            }
        )
        if reference:
            inds.append(
                {
                    "id": f"ctrl_{s}_faelle_je_1000",
                    "name": f"{p}: Fälle je 1.000 {reference_name or reference}",
                    "theme": "Controlling",
                    "unit": "je 1.000",
                    "numerator": [f"ctrl_{s}_faelle"],
                    "denominator": [reference],
                    "factor": 1000,
                    "source": "Kosten- und Leistungsrechnung (KLR); Einwohnerregister",
                }
            )
    return {"themes": ["Controlling"], "indicator": inds}


def read_targets(path: str | Path) -> pd.DataFrame:
    """Targets from contracts: produkt, kennzahl, zeitraum, soll, toleranz (%), richtung, kontrakt."""
    path = Path(path)
    df = read_attribute_table(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    for need in ("produkt", "kennzahl", "zeitraum", "soll"):
        if need not in df.columns:
            raise InputError(
                f"Die Spalte {need!r} fehlt.",
                file=path,
                row=1,
                column=need,
                expected="Spalten produkt, kennzahl, zeitraum, soll (und toleranz, richtung, kontrakt)",
            )
    out = []
    for i, rec in enumerate(df.to_dict("records")):
        row = int(rec.get("_line") or i + 2)
        k = str(rec["kennzahl"] or "").strip().lower()
        if k not in KENNZAHLEN:
            raise InputError(
                f"Die Kennzahl {k!r} ist unbekannt.",
                file=path,
                row=row,
                column="kennzahl",
                expected=", ".join(KENNZAHLEN),
            )
        try:
            period = parse_period(str(rec["zeitraum"]).strip())
        except ValueError:
            raise InputError(
                f"{rec['zeitraum']!r} ist kein Zeitraum.",
                file=path,
                row=row,
                column="zeitraum",
                expected="z. B. 2024",
            ) from None
        direction = str(rec.get("richtung") or KENNZAHLEN[k][2]).strip()
        if direction == "neutral":
            direction = "hoch_ist_gut"
        if direction not in ("hoch_ist_gut", "hoch_ist_schlecht"):
            raise InputError(
                f"Die Richtung {direction!r} ist unbekannt.",
                file=path,
                row=row,
                column="richtung",
                expected="hoch_ist_gut oder hoch_ist_schlecht",
            )
        tol = _num(rec.get("toleranz"), path, row, "toleranz", minimum=0)
        target = _num(rec["soll"], path, row, "soll")
        if np.isnan(target):
            raise InputError(
                "Der Soll-Wert fehlt.", file=path, row=row, column="soll", expected="eine Zahl wie 1.250,50"
            )
        out.append(
            {
                "product": str(rec["produkt"]).strip(),
                "kennzahl": k,
                "period": period,
                "target": target,
                "tolerance": 5.0 if np.isnan(tol) else tol,
                "direction": direction,
                "contract": str(rec.get("kontrakt") or "").strip(),
            }
        )
    return pd.DataFrame(out)


def store_targets(store: Store, targets: pd.DataFrame, path: str | Path) -> int:
    path = Path(path)
    with store.transaction():
        import_id = store.log_new_import(
            "controlling-soll",
            str(path),
            file_sha256(path),
            rows_read=len(targets),
            values_imported=len(targets),
        )
        for r in targets.to_dict("records"):
            store.execute(
                "UPDATE controlling_targets SET superseded_by = ? WHERE superseded_by IS NULL "
                "AND product = ? AND kennzahl = ? AND period = ?",
                [import_id, r["product"], r["kennzahl"], r["period"]],
            )
            store.execute(
                "INSERT INTO controlling_targets VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [
                    import_id,
                    r["product"],
                    r["kennzahl"],
                    r["period"],
                    r["target"],
                    r["tolerance"],
                    r["direction"],
                    r["contract"],
                ],
            )
    return import_id


def kennzahlen(store: Store, population: dict[str, float] | None = None) -> pd.DataFrame:
    """City-wide Kennzahlen per product and period (sums over cost centres and areas)."""
    df = store.query_df(
        "SELECT product, period, sum(costs) AS kosten, sum(cases) AS faelle FROM controlling "
        "WHERE superseded_by IS NULL GROUP BY product, period ORDER BY product, period"
    )
    df["kosten_je_fall"] = (df["kosten"] / df["faelle"]).where(df["faelle"] > 0)
    if population:
        df["faelle_je_1000"] = df["faelle"] / df["period"].map(population) * 1000
    return df


def ampel(ist: float, soll: float, tolerance: float, direction: str) -> str:
    """``gruen``, ``gelb`` or ``rot`` (see the module docstring)."""
    if np.isnan(ist):
        return "offen"
    if direction == "hoch_ist_schlecht":
        if ist <= soll:
            return "gruen"
        return "gelb" if ist <= soll * (1 + tolerance / 100) else "rot"
    if ist >= soll:
        return "gruen"
    return "gelb" if ist >= soll * (1 - tolerance / 100) else "rot"


def soll_ist(store: Store, population: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per target: Ist, deviation, traffic light and trend against the previous period."""
    targets = store.query_df(
        "SELECT * FROM controlling_targets WHERE superseded_by IS NULL ORDER BY product, kennzahl, period"
    )
    k = kennzahlen(store, population)
    rows = []
    for t in targets.to_dict("records"):
        series = k[k["product"] == t["product"]].set_index("period")
        col = t["kennzahl"]
        ist = float(series[col].get(t["period"], np.nan)) if col in series else np.nan
        earlier = [p for p in series.index if p < t["period"]]
        prev = float(series[col].get(earlier[-1], np.nan)) if earlier and col in series else np.nan
        change = (ist - prev) / prev * 100 if prev and not np.isnan(prev) and not np.isnan(ist) else np.nan
        if np.isnan(change):
            trend, better = "", None
        elif abs(change) < 1:
            trend, better = "→", None
        else:
            trend = "↑" if change > 0 else "↓"
            better = bool((change < 0) == (t["direction"] == "hoch_ist_schlecht"))
        rows.append(
            {
                "produkt": t["product"],
                "kennzahl": col,
                "bezeichnung": KENNZAHLEN[col][0],
                "zeitraum": t["period"],
                "soll": float(t["target"]),
                "ist": ist,
                "abweichung_prozent": (ist - t["target"]) / t["target"] * 100 if t["target"] else np.nan,
                "toleranz": float(t["tolerance"]),
                "richtung": t["direction"],
                "ampel": ampel(ist, float(t["target"]), float(t["tolerance"]), t["direction"]),
                "vorjahr": prev,
                "trend": trend,
                "trend_besser": better,
                "kontrakt": t["contract"],
            }
        )
    return pd.DataFrame(rows)
