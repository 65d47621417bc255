"""Input tables of the projection, validated with errors that name file, row and column.

Layouts (CSV with ``;`` or ``,``, or XLSX; decimal comma or point; header names as shown):

- life table: ``alter;geschlecht;qx`` – ages 0…100 (100 = 100 and older) for ``m`` and ``w``,
  q(x) the probability of dying within the year of age (0–1);
- fertility: ``alter;rate`` – births per woman and year for the ages 15…49 (other ages 0);
- new housing (first occupancy): ``gebiet;jahr;personen`` – extra residents moving into new
  dwellings per area and year;
- city totals (top-down adjustment): ``jahr;einwohner``;
- scenarios: a TOML file with ``[[szenario]]`` tables (``id``, ``name``, ``basis`` =
  natuerlich | extern | intern, factors ``geburten``, ``sterblichkeit``, ``aussenwanderung``,
  ``binnenwanderung``, and the file names ``neubau`` and ``eckwerte`` relative to the TOML).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.io.geo import read_attribute_table
from planlabor.projection import defaults as d
from planlabor.projection.model import VARIANTS, Scenario

_ID = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_GERMAN_THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}(\.\d{3})+(,\d+)?$")


def _table(path: str | Path, columns: list[str], what: str) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise InputError(f"Die Datei für {what} gibt es nicht: {path}", file=path)
    df = read_attribute_table(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"Der Tabelle für {what} fehlen die Spalten {', '.join(missing)}.",
            file=path,
            row=1,
            expected=";".join(columns),
        )
    return df


def _area_ids(df: pd.DataFrame, path: Path) -> pd.Series:
    """The ``gebiet`` column as keys; an empty cell is an error naming its row (never ``"nan"``)."""
    from planlabor.io.missing import text_column

    ids = text_column(df["gebiet"])
    empty = ids.eq("").to_numpy()
    if empty.any():
        i = int(empty.nonzero()[0][0])
        raise InputError(
            "Der Gebietsschlüssel fehlt.",
            file=path,
            row=int(df["_line"].iloc[i]),
            column="gebiet",
            expected="der Schlüssel eines Gebiets der Ebene",
        )
    return ids


def _number(df: pd.DataFrame, col: str, path: Path, what: str, low: float, high: float) -> np.ndarray:
    out = np.empty(len(df))
    for i, (line, raw) in enumerate(zip(df["_line"], df[col], strict=True)):
        text = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw).strip()
        if _GERMAN_THOUSANDS.match(text) or "," in text:  # 4.000.000 or 1.234,5 or 0,01
            text = text.replace(".", "").replace(",", ".")
        try:
            v = float(text)
        except ValueError:
            v = float("nan")
        if not np.isfinite(v) or v < low or v > high:
            raise InputError(
                f"{what}: {raw!r} ist kein zulässiger Wert.",
                file=path,
                row=int(line),
                column=col,
                expected=f"eine Zahl von {low:g} bis {high:g}",
            )
        out[i] = v
    return out


def read_life_table(path: str | Path) -> np.ndarray:
    """q(x) of shape (2, 101) from ``alter;geschlecht;qx``."""
    path = Path(path)
    df = _table(path, ["alter", "geschlecht", "qx"], "die Sterbetafel")
    ages = _number(df, "alter", path, "Alter", 0, d.MAX_AGE).astype(int)
    q = _number(df, "qx", path, "Sterbewahrscheinlichkeit", 0, 1)
    out = np.full((2, d.MAX_AGE + 1), np.nan)
    for line, sex, age, v in zip(df["_line"], df["geschlecht"], ages, q, strict=True):
        s = str(sex).strip().lower()
        if s not in ("m", "w"):
            raise InputError(
                f"Geschlecht {sex!r} ist nicht bekannt.", file=path, row=int(line), column="geschlecht",
                expected="m oder w",
            )  # fmt: skip
        out[0 if s == "m" else 1, age] = v
    gaps = [f"{'mw'[s]} {a}" for s in range(2) for a in range(d.MAX_AGE + 1) if np.isnan(out[s, a])]
    if gaps:
        raise InputError(
            f"Der Sterbetafel fehlen Alter: {', '.join(gaps[:8])}{' …' if len(gaps) > 8 else ''}.",
            file=path,
            expected="je Geschlecht eine Zeile für jedes Alter 0 bis 100",
        )
    return out


def read_fertility(path: str | Path) -> np.ndarray:
    """Age-specific fertility rates (101,) from ``alter;rate``."""
    path = Path(path)
    df = _table(path, ["alter", "rate"], "die Geburtenziffern")
    ages = _number(df, "alter", path, "Alter", 0, d.MAX_AGE).astype(int)
    rates = _number(df, "rate", path, "Geburtenziffer", 0, 0.5)
    out = np.zeros(d.MAX_AGE + 1)
    out[ages] = rates
    if out.sum() <= 0:
        raise InputError(
            "Alle Geburtenziffern sind 0.", file=path, expected="Raten je Frau und Jahr, 15 bis 49"
        )
    return out


def read_housing(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    df = _table(path, ["gebiet", "jahr", "personen"], "den Neubau (Erstbezug)")
    return pd.DataFrame(
        {
            "area_id": _area_ids(df, path),
            "jahr": _number(df, "jahr", path, "Jahr", 1900, 2200).astype(int),
            "personen": _number(df, "personen", path, "Personen", 0, 1e7),
        }
    )


def read_city_totals(path: str | Path) -> dict[int, float]:
    path = Path(path)
    df = _table(path, ["jahr", "einwohner"], "die Eckwerte der Stadt")
    years = _number(df, "jahr", path, "Jahr", 1900, 2200).astype(int)
    return dict(
        zip(years.tolist(), _number(df, "einwohner", path, "Einwohner", 1, 1e9).tolist(), strict=True)
    )


_FACTORS = {"geburten": "fertility", "sterblichkeit": "mortality", "aussenwanderung": "external",
            "binnenwanderung": "internal"}  # fmt: skip


def _beside(path: Path, item: dict[str, Any], key: str, within: Path | None) -> Path:
    """The table a scenario names (relative to the scenario file); with ``within`` it must lie in
    that folder (a file uploaded in the Werkstatt names only the tables uploaded with it)."""
    table = path.parent / str(item[key])
    if within is not None and not table.resolve().is_relative_to(Path(within).resolve()):
        raise InputError(
            f"Die Szenariodatei nennt bei {key} die Datei {item[key]!r}; "
            "sie wurde nicht mit ihr hochgeladen.",
            file=path.name,
            column=key,
            expected="nur den Namen einer mit hochgeladenen Tabelle, z. B. neubau.csv",
        )
    return table


def read_scenarios(path: str | Path, within: str | Path | None = None) -> list[Scenario]:
    """User scenarios from a TOML file (see the module docstring)."""
    path = Path(path)
    folder = Path(within) if within is not None else None
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"Die Szenariodatei gibt es nicht: {path}", file=path) from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"Die Szenariodatei ist kein gültiges TOML: {e}", file=path) from None
    items = data.get("szenario")
    if not isinstance(items, list) or not items:
        raise InputError(
            "Die Szenariodatei enthält keine Szenarien.", file=path, expected="[[szenario]]-Tabellen"
        )
    out: list[Scenario] = []
    for i, item in enumerate(items, start=1):
        where = f"Szenario {i}"
        unknown = set(item) - {"id", "name", "basis", "neubau", "eckwerte", *_FACTORS}
        if unknown:
            raise InputError(
                f"{where}: unbekannte Angaben {', '.join(sorted(unknown))}.",
                file=path,
                expected="id, name, basis, geburten, sterblichkeit, aussenwanderung, binnenwanderung, "
                "neubau, eckwerte",
            )
        sid = str(item.get("id", ""))
        if not _ID.match(sid) or sid in VARIANTS:
            raise InputError(
                f"{where}: die Kennung {sid!r} ist nicht zulässig.",
                file=path,
                column="id",
                expected="Kleinbuchstaben, Ziffern, _; nicht natuerlich/extern/intern",
            )
        kwargs: dict[str, Any] = {}
        for key, attr in _FACTORS.items():
            if key in item:
                v = item[key]
                if not isinstance(v, int | float) or isinstance(v, bool):
                    raise InputError(f"{where}: {key} = {v!r} ist keine Zahl.", file=path, column=key)
                kwargs[attr] = float(v)
        housing = read_housing(_beside(path, item, "neubau", folder)) if "neubau" in item else None
        totals = read_city_totals(_beside(path, item, "eckwerte", folder)) if "eckwerte" in item else None
        out.append(
            Scenario(
                sid,
                str(item.get("name", sid)),
                str(item.get("basis", "intern")),
                housing=housing,
                city_totals=totals,
                **kwargs,
            )
        )
    ids = [s.id for s in out]
    if len(set(ids)) != len(ids):
        raise InputError("Szenariokennungen kommen doppelt vor.", file=path, column="id")
    return out
