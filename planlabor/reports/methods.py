"""The method appendix: every indicator with its formula in German words, its sources and the
rules of the report (split from :mod:`planlabor.reports.render`, which lays out profiles and the
Sozialbericht)."""

from __future__ import annotations

from typing import Any

from planlabor.io.periods import format_period_de
from planlabor.reports.data import ReportData
from planlabor.reports.render import Layout, render_page


def variable_de(var: str, catalog: Any) -> str:
    """A data field by its German name from the catalog (``[[variable]]``), else its key."""
    for item in getattr(catalog, "data_items", []):
        if item.id == var:
            return str(item.name)
    return var


def formula_de(numerator: list[str], denominator: list[str], factor: float, catalog: Any) -> str:
    """``(A + B) / (C + D) × 100`` with the fields' German names; sums in parentheses.

    >>> formula_de(["a", "b"], ["c"], 100, None)
    '(a + b) / c × 100'
    """

    def part(vs: list[str]) -> str:
        text = " + ".join(variable_de(v, catalog) for v in vs)
        return f"({text})" if len(vs) > 1 else text

    out = part(numerator) if not denominator else f"{part(numerator)} / {part(denominator)}"
    if not denominator and len(numerator) > 1:
        out = "Summe " + out
    return out + (f" × {factor:g}".replace(".", ",") if factor != 1 else "")


def methods_html(data: ReportData, layout: Layout) -> str:
    """Method appendix: every indicator's definition, formula, source and data dates, and the
    confidentiality rule."""
    rule, themes = methods_data(data)
    return render_page("methods.html.j2", layout, "Methodenanhang", rule=rule, themes=themes)


def methods_data(data: ReportData) -> tuple[str, list[tuple[str, list[dict[str, Any]]]]]:
    """The confidentiality rule and, per theme, each indicator's definition, formula, source and
    data dates (the method appendix of every engine)."""
    rules = data.src.rules
    rule = (
        f"Fallzahlen unter {rules.min_count} (Indikatoren können eine eigene Mindestfallzahl haben) werden "
        f"in veröffentlichten Ausgaben gesperrt und als {rules.marker} gezeigt"
        + ("; damit sie nicht aus Summen zurückgerechnet werden können, wird je Gruppe mindestens ein "
           "weiterer Wert gegengesperrt (sekundäre Sperrung)" if rules.secondary else "")
        + ". Gesperrte Werte erscheinen nie als 0."
    )  # fmt: skip
    periods = data.src.store.query_df(
        "SELECT indicator_id, min(period) AS a, max(period) AS b FROM indicator_values "
        "WHERE value IS NOT NULL GROUP BY 1"
    ).set_index("indicator_id")
    themes: dict[str, list[dict[str, Any]]] = {}
    for i in data.indicators():
        if i.numerator and i.denominator:
            formula = (
                formula_de(i.numerator, i.denominator, i.factor, data.src.catalog)
                + " (Verhältnis der Summen)"
            )
        elif i.numerator:
            formula = formula_de(i.numerator, [], i.factor, data.src.catalog)
        elif i.variable:
            formula = f"übernommener Wert {variable_de(i.variable, data.src.catalog)}" + (
                f", gewichtet mit {variable_de(i.weight, data.src.catalog)}" if i.weight else ""
            )
        else:
            formula = f"Ergebnis des Index {i.derived_from or ''}".strip()
        span = ""
        if i.id in periods.index:
            a, b = periods.loc[i.id, "a"], periods.loc[i.id, "b"]
            span = format_period_de(str(a)) + ("" if a == b else f" bis {format_period_de(str(b))}")
        themes.setdefault(i.theme, []).append(
            {
                "id": i.id,
                "name": i.name,
                "unit": i.unit,
                "description": i.description,
                "source": i.source,
                "formula": formula,
                "periods": span,
                "public": i.public,
                "harmonisation": i.harmonisation,
            }
        )
    order = list(data.src.catalog.themes) + sorted(set(themes) - set(data.src.catalog.themes))
    return rule, [(t, themes[t]) for t in order if t in themes]
