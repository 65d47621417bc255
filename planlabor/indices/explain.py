"""The method of an index in plain German (``planlabor index PRESET --explain``)."""

from __future__ import annotations

from planlabor.indices.classify import ClassificationSpec
from planlabor.indices.spec import ComponentSpec, IndexSpec

_STD = {
    "z": "z-standardisiert (Abweichung vom Mittelwert in Standardabweichungen)",
    "percentile_rank": "in Perzentilränge von 0 bis 1 umgerechnet",
    "minmax": "auf 0 bis 1 skaliert (Minimum 0, Maximum 1)",
    "none": "unverändert übernommen",
}
_COMBINE = {
    "sum": "addiert",
    "mean": "gemittelt",
    "weighted_sum": "gewichtet addiert",
    "weighted_mean": "gewichtet gemittelt",
    "geometric_mean": "geometrisch gemittelt",
    "minimum": "zum kleinsten Wert zusammengefasst",
    "pca": "zur ersten Hauptkomponente zusammengefasst (Hauptkomponentenanalyse)",
}


def _classes(c: ClassificationSpec) -> list[str]:
    if c.method == "manual":
        return [f"  - {cl.label} (Code {cl.code}): {cl.describe()}" for cl in c.classes or []]
    if c.groups:
        groups = "; ".join(
            f"{(c.labels or [])[g] if c.labels and g < len(c.labels) else g + 1}: Klassen "
            + ", ".join(map(str, m))
            for g, m in enumerate(c.groups)
        )
        return [f"  - {c.k} Quantile (R-Typ {c.quantile_type}) je Zeitraum, zusammengefasst zu {groups}"]
    names = {
        "quantile": f"{c.k} gleich große Gruppen (Quantile, R-Typ {c.quantile_type})",
        "equal_interval": f"{c.k} gleich breite Klassen",
        "jenks": f"{c.k} natürliche Brüche (Jenks)",
        "stddev": "Klassen nach Standardabweichungen um den Mittelwert",
    }
    scope = "über die ganze Zeitreihe" if c.scope == "series" else "je Zeitraum"
    return [f"  - {names[c.method]}, Grenzen {scope}"]


def _component(comp: ComponentSpec) -> list[str]:
    lines = [f"{comp.name}:"]
    for i in comp.inputs:
        pol = "hoher Wert erhöht den Index" if i.polarity == "+" else "hoher Wert senkt den Index"
        w = f", Gewicht {i.weight:g}".replace(".", ",") if i.weight != 1 else ""
        log = ", logarithmiert" if i.log else ""
        lines.append(f"  - {i.name or i.column} ({i.column}{log}; {pol}{w})")
    sd = "Standardabweichung der Grundgesamtheit" if comp.ddof == 0 else "Stichproben-Standardabweichung"
    std = _STD[comp.standardize] + (f" mit der {sd}" if comp.standardize == "z" else "")
    if comp.weighted_by:
        std += f", gewichtet mit {comp.weighted_by}"
    lines.append(f"  Jeder Indikator wird {std}.")
    pooled = (
        ", geschätzt über alle Zeiträume gemeinsam (gepoolt), Werte je Zeitraum mit denselben Gewichten"
        if comp.fit == "pooled"
        else ""
    )
    lines.append(
        f"  Die Werte werden {_COMBINE[comp.combine]}"
        + (f" (Richtung wie {comp.orient})" if comp.orient else "")
        + pooled
        + "."
    )
    if comp.rescale != "none":
        lines.append(f"  Das Ergebnis wird erneut {_STD[comp.rescale]}.")
    if comp.classification:
        lines.append("  Klassen:")
        lines.extend(_classes(comp.classification))
    return lines


def explain(spec: IndexSpec) -> str:
    lines = [spec.name, "=" * len(spec.name)]
    if spec.description:
        lines += ["", spec.description]
    if spec.source:
        lines += ["", f"Quelle: {spec.source}"]
    lines += ["", "Ausschluss:"]
    for r in spec.exclude:
        if r.keep is not None:
            lines.append(
                f"  - Gebiete, deren {r.column} nicht {' oder '.join(repr(k) for k in r.keep)} ist"
                + (f" ({r.reason})" if r.reason else "")
            )
        else:
            lines.append(
                f"  - Gebiete mit {r.column} unter {r.min:g}" + (f" ({r.reason})" if r.reason else "")
            )
    if spec.missing_codes:
        lines.append("  - Gebiete mit Fehlwert-Code " + ", ".join(f"{c:g}" for c in spec.missing_codes))
    if spec.impute == "random_intercept":
        lines += [
            "",
            "Fehlende Werte einer Zeitreihe werden mit einem linearen Random-Intercept-Modell "
            "(gemeinsamer Trend, eigenes Niveau je Gebiet) geschätzt; geschätzte Werte gehen nicht "
            "in die Schätzung der Hauptkomponenten ein.",
        ]
    if not spec.exclude and not spec.missing_codes:
        lines.append("  - keiner")
    for comp in spec.component:
        lines += ["", *_component(comp)]
    if spec.total:
        t = spec.total
        lines += [
            "",
            f"{t.name}: die Komponenten {', '.join(t.components)} werden {_COMBINE[t.combine]}"
            + (f" und {_STD[t.rescale]}" if t.rescale != "none" else "")
            + ".",
        ]
        if t.classification:
            lines += ["  Klassen:", *_classes(t.classification)]
        for name, c in t.more_classes.items():
            lines += [f"  Weitere Klassen ({name}):", *_classes(c)]
        if t.aggregate == "population":
            lines.append(
                "  Höhere Ebenen: mit der Bevölkerung gewichtetes Mittel der Gebiete darunter, "
                "je Zeitraum erneut auf 0 bis 1 skaliert und neu eingeteilt."
            )
    if spec.matrix:
        m = spec.matrix
        lines += [
            "",
            f"Gesamtindex: Kombination der Klassen von {m.rows} und {m.cols}; "
            f"Code = {m.code_factor} × {m.rows} + {m.cols}; ausgeschlossene Gebiete: "
            f"„{m.excluded_label}“.",
        ]
    lines += ["", "Eingeteilt wird immer der ungerundete Indexwert."]
    return "\n".join(lines)
