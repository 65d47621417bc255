"""One description of the options of every analysis, and running an analysis from plain text
values (a form, a JSON body) to a plain result table.

:data:`ANALYSES` names each analysis with its options — the same names, defaults and choices as
the command line (``cli`` names the command; ``tests/test_werkstatt_analysen.py`` checks that
every option exists there with the same default).  The Werkstatt page *Analysen* draws its forms
from it; :func:`run_analysis` reads the values (German errors naming the field), calls the use case
of :mod:`planlabor.app.analyses` and returns an :class:`AnalysisResult`: summary lines, a table,
links into the internal atlas (layer, indicator and period in the permalink) and files.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from planlabor.app import Where, opened
from planlabor.errors import InputError

MAX_ROWS = 300


@dataclass(frozen=True)
class Option:
    """One option: the keyword of the use case, the command-line flag, a German label, its kind
    (text, int, float, choice, flag, layer, period, list, floats, file), default and choices."""

    name: str
    flag: str
    label: str
    kind: str = "text"
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()  # kind file: the file name endings accepted
    help: str = ""
    multiple: bool = False  # kind file: several files at once (e.g. scenarios with their tables)


@dataclass(frozen=True)
class Analysis:
    id: str
    title: str
    cli: str | None  # the command with the same options (None: only here and in Python)
    description: str
    options: tuple[Option, ...]
    run: Callable[..., Any]
    table: Callable[..., AnalysisResult]


@dataclass
class AnalysisResult:
    """What an analysis found, as plain data for a page or a JSON answer."""

    analysis: str
    title: str
    summary: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    total_rows: int = 0
    links: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def atlas_href(layer: str, indicator: str | None = None, period: str | None = None) -> str:
    """The internal atlas at ``layer`` (and ``indicator``, ``period``): the atlas's permalink."""
    parts = ([f"i={quote(indicator)}"] if indicator else []) + [f"l={quote(layer)}"]
    parts += [f"p={quote(period)}"] if period else []
    return "/#" + "&".join(parts)


def parse(options: Sequence[Option], values: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a use case from text values (``options``: its description); an
    :class:`InputError` naming the field (its label) where a value does not fit."""
    out: dict[str, Any] = {}
    for o in options:
        raw = values.get(o.name)
        text = "" if raw is None else str(raw).strip()
        if o.kind == "flag":
            out[o.name] = text.lower() in ("1", "on", "true", "ja")
            continue
        if not text:
            if o.required:
                raise InputError(f"Bitte füllen Sie „{o.label}“ aus.", column=o.flag, expected=o.help or None)
            out[o.name] = o.default
            continue
        out[o.name] = _value(o, text)
    return out


def _value(o: Option, text: str) -> Any:
    def number(t: str, kind: type) -> Any:
        try:
            return kind(t.replace(".", "").replace(",", ".") if kind is float and "," in t else t)
        except ValueError:
            raise InputError(
                f"„{o.label}“: {t!r} ist keine {'ganze ' if kind is int else ''}Zahl.",
                column=o.flag, expected="eine Zahl, z. B. " + ("999" if kind is int else "0,05"),
            ) from None  # fmt: skip

    if o.kind == "int":
        return number(text, int)
    if o.kind == "float":
        return number(text, float)
    if o.kind == "floats":
        return [number(t.strip(), float) for t in text.replace(";", " ").split() if t.strip()]
    if o.kind == "list":
        return [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]
    if o.kind == "choice" and text not in o.choices:
        raise InputError(
            f"„{o.label}“: {text!r} ist nicht vorgesehen.", column=o.flag, expected=", ".join(o.choices)
        )
    return text


def run_analysis(
    where: Where, analysis_id: str, values: dict[str, Any], by: str | None = None, progress: Any = None
) -> AnalysisResult:
    """Run the analysis ``analysis_id`` with ``values`` (text, as from a form); its table."""
    from planlabor.app.analysis_tables import ANALYSES

    a = ANALYSES.get(analysis_id)
    if a is None:
        raise InputError(f"Die Analyse {analysis_id!r} gibt es nicht.", expected=", ".join(ANALYSES))
    kw = parse(a.options, values)
    step = progress or (lambda *_: None)
    step(1, 3, "Eingaben geprüft, Analyse läuft")
    inner = [0]  # the analysis's own steps (e.g. blocks of permutations), between the first and the last two
    if progress is not None and "progress" in inspect.signature(a.run).parameters:

        def own(s: int, t: int, label: str | None = None) -> None:
            inner[0] = t
            step(1 + s, t + 3, label)

        kw["progress"] = own
    found = a.run(where, **kw, by=by)
    kw.pop("progress", None)
    step(2 + inner[0], 3 + inner[0], "Ergebnis als Tabelle")
    with opened(where, read_only=True) as ws:
        result = a.table(found, kw, ws.catalog())
        if kw.get("layer") and result.columns[:1] == ["Gebiet"] and "Name" not in result.columns:
            _add_names(result, ws.store.areas(kw["layer"]))
    _add_links(result, ws_layer=kw.get("layer"))
    step(3 + inner[0], 3 + inner[0], "Fertig")
    return result


def _add_names(result: AnalysisResult, areas: Any) -> None:
    """A column with the areas' names after their keys (people read names, not keys)."""
    names = dict(zip(areas["area_id"].astype(str), areas["name"], strict=True))
    result.columns.insert(1, "Name")
    for row in result.rows:
        name = names.get(str(row[0]))
        row.insert(1, name if isinstance(name, str) else None)


def indicators_using(catalog: Any, names: list[str]) -> list[Any]:
    """Catalog indicators that are one of ``names`` or are computed from one of them."""
    wanted = set(names)
    return [
        i for i in catalog.all_indicators() if i.id in wanted or wanted & set(i.numerator + i.denominator)
    ]


def _add_links(result: AnalysisResult, ws_layer: str | None) -> None:
    if ws_layer and not any(link["href"].startswith("/#l=") for link in result.links):
        result.links.append({"label": f"Raumebene {ws_layer} im Atlas öffnen", "href": atlas_href(ws_layer)})


def table_of(frame: Any, columns: dict[str, str], result: AnalysisResult) -> None:
    """The first :data:`MAX_ROWS` rows of ``frame`` (``columns``: column → German heading) into
    ``result`` (numbers as numbers, missing values as None)."""
    import math

    cols = [c for c in columns if c in frame.columns]
    result.columns = [columns[c] for c in cols]
    result.total_rows = len(frame)
    for row in frame[cols].head(MAX_ROWS).itertuples(index=False):
        result.rows.append([None if isinstance(v, float) and math.isnan(v) else _plain(v) for v in row])


def _plain(v: Any) -> Any:
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v if isinstance(v, int | float | str) or v is None else str(v)


def output_folder(where: Where) -> Path:
    from planlabor.app import root_of

    return root_of(where) / "werkstatt" / "analysen"
