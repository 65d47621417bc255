"""The import report as text a planner checks before importing (dry run) and after."""

from __future__ import annotations

from typing import Any

from planlabor.io.periods import format_period_de

STATE_TEXT = {
    "Ebene ohne Raumebene": "andere Ebene ohne eigene Raumebene – übersprungen",
    "keine Werte": "nur Fehlwert-Zeichen – übersprungen",
    "aufgelöst": "Gebiet gibt es nicht mehr – übersprungen",
    "Gebietsänderung": "früheres Gebiet – dem Nachfolger zugerechnet",
}


def _n(x: int) -> str:
    return f"{x:,}".replace(",", ".")


def _periods(periods: list[str]) -> str:
    if len(periods) <= 6:
        return ", ".join(format_period_de(p) for p in periods)
    return f"{format_period_de(periods[0])} … {format_period_de(periods[-1])} ({len(periods)} Zeiträume)"


def report_lines(r: Any) -> list[str]:
    """All lines of the report (German)."""
    title = "Probelauf (nichts importiert)" if r.dry_run else f"Import Nr. {r.import_id}"
    out = [f"{title}: {r.file}", f"  Format: {r.format_title or r.format} – {r.dialect}"]
    out += [f"  Erkannt: {line}" for line in r.layout]
    out.append(f"  Datenzeilen: {_n(r.rows)}; Schlüssel aus: {r.id_column}; Zeitraum aus: {r.period_source}")
    out.append(f"  Zeiträume: {_periods(r.periods)}")
    out.append(f"  Variablen ({len(r.variables)}):")
    for v in r.variables[:40]:
        info = r.variable_labels.get(v) or {}
        label = info.get("label") or ""
        unit = f" [{info['unit']}]" if info.get("unit") else ""
        out.append(f"    {v}" + (f" – {label}{unit}" if label and label != v else unit))
    if len(r.variables) > 40:
        out.append(f"    … und {len(r.variables) - 40} weitere")
    for col, why in list(r.skipped_columns.items())[:20]:
        out.append(f"  nicht importiert: Spalte {col} ({why})")
    out.append(f"  Werte: {_n(r.n_values)}")
    if r.flag_counts:
        out.append("  Kennungen statt Zahlen: " + ", ".join(f"{k} {_n(v)}" for k, v in r.flag_counts.items()))
    out.append(f"  Gebiete: {r.areas_matched} von {r.areas_in_layer} der Raumebene {r.layer!r} gefunden")
    forms = {k: v for k, v in r.key_forms.items() if k != "Schlüssel"}
    if forms:
        out.append(
            "  Schlüssel in anderer Schreibweise erkannt: " + ", ".join(f"{k} {v}" for k, v in forms.items())
        )
    for layer, n in r.other_layers.items():
        out.append(f"  andere Ebene: {n} Gebiet(e) der Raumebene {layer!r} mit importiert")
    out += _skipped_keys(r.skipped_keys)
    if r.unmatched:
        out.append(f"  UNBEKANNTE Schlüssel ({len(r.unmatched)}):")
        for key, lines in list(r.unmatched.items())[:20]:
            out.append(f"    {key} (Zeile {', '.join(map(str, lines[:5]))})")
    if r.skipped_rows:
        out.append(
            f"  {len(r.skipped_rows)} Zeile(n) ohne Werte übersprungen, z. B. Zeile {r.skipped_rows[0][0]}"
        )
    if r.quarantined:
        out.append(
            f"  {_n(r.quarantined)} Werte zurückgestellt (planlabor quarantine --import {r.import_id})"
        )
    if r.superseded_slices:
        out.append(
            f"  {r.superseded_slices} frühere Fassung(en) ersetzt; zurückholen mit 'planlabor revert NR'"
        )
    out += [f"  Hinweis: {w}" for w in r.warnings]
    return out


def _skipped_keys(items: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    by_state: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_state.setdefault(item["state"], []).append(item)
    for state, group in by_state.items():
        out.append(f"  {len(group)} Zeile(n): {STATE_TEXT.get(state, state)}")
        for item in group[:8]:
            who = " ".join(str(x) for x in (item.get("key"), item.get("name")) if x)
            how = f" ({item['how']})" if item.get("how") and f"({item['how']})" not in who else ""
            out.append(f"    {who}{how}, Zeile {', '.join(map(str, item['lines'][:3]))}")
        if len(group) > 8:
            out.append(f"    … und {len(group) - 8} weitere")
    return out
