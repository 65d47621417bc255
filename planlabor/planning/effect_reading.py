"""The reading of an effect estimate (:mod:`planlabor.planning.effects`) in plain German: a
statement with interval and p-value, a judgement against the indicator's polarity, what the
test of the periods before the start says, the most favourable areas, and the limits of a
difference-in-differences estimate."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planlabor.planning.effects import EffectResult


def _de(v: float, decimals: int = 1) -> str:
    from planlabor.io.export import format_number_de

    return format_number_de(v, decimals)


def interpretation(
    r: EffectResult, name: str, unit: str, polarity: str, measure: str, start: date | None, decimals: int = 1
) -> dict[str, Any]:
    """The result in plain German: a statement, a judgement and the limits."""
    pts = "Prozentpunkte" if unit == "%" else (unit or "Einheiten")
    if r.estimate < 0:
        direction = "stärker gesunken (oder weniger gestiegen)"
    else:
        direction = "stärker gestiegen (oder weniger gesunken)"
    conf = round((1 - r.alpha) * 100)
    start_txt = start.strftime("%d.%m.%Y") if start else r.start_period
    statement = (
        f"Nach dem Beginn der Maßnahme „{measure}“ ({start_txt}) ist der Indikator „{name}“ in "
        f"{len(r.treated)} Maßnahmengebiet(en) um {_de(abs(r.estimate), decimals)} {pts} {direction} "
        f"als in {len(r.controls)} ähnlichen Vergleichsgebieten "
        f"({conf}-%-Konfidenzintervall {_de(r.ci_low, decimals)} bis {_de(r.ci_high, decimals)}; "
        f"p = {_de(r.p_value, 3)})."
    )
    method = (
        f"Intervall und p-Wert stammen aus {len(r.placebo)} Placebo-Schätzungen (Vergleichsgebiete, "
        "als hätten sie die Maßnahme gehabt), weil bei wenigen Maßnahmengebieten gruppierte "
        "Standardfehler zu optimistisch sind."
        if r.inference == "placebo"
        else "Standardfehler nach Gebieten gruppiert (cluster-robust)."
    )
    return {
        "statement": statement,
        "verdict": _verdict(r, polarity),
        "pretrend": _pretrend(r),
        "method": method,
        "limits": list(LIMITS),
        "factors": _factors(r, polarity, decimals),
    }


#: the limits of a difference-in-differences estimate, in plain German
LIMITS = (
    "Die Schätzung setzt voraus, dass sich die Maßnahmengebiete ohne die Maßnahme so entwickelt hätten "
    "wie die Vergleichsgebiete (parallele Trends). Das lässt sich nur für die Zeit vor dem Beginn prüfen.",
    "Gleichzeitige andere Programme, Neubau oder Zuzug können die Zusammensetzung der Bevölkerung ändern "
    "und werden der Maßnahme zugeschrieben, wenn sie nur die Maßnahmengebiete betreffen.",
    "Strahlt die Maßnahme auf benachbarte Vergleichsgebiete aus, wird die Wirkung unterschätzt.",
    "Die Daten sind Gebietswerte, keine Verläufe einzelner Familien: Die Analyse zeigt, ob sich das Gebiet "
    "verändert hat, nicht, ob die erreichten Menschen profitiert haben.",
    "Kleine Fallzahlen schwanken stark; gesperrte oder fehlende Werte verkleinern die Vergleichsgruppe.",
)


def _verdict(r: EffectResult, polarity: str) -> str:
    """Whether the difference is statistically secured and points in the wanted direction."""
    significant = r.p_value < r.alpha
    good = (r.estimate < 0 and polarity == "hoch_ist_schlecht") or (
        r.estimate > 0 and polarity == "hoch_ist_gut"
    )
    if not significant:
        return (
            f"Nicht gesichert (p ≥ {_de(r.alpha, 2)}): Eine Wirkung ist mit diesen Daten nicht nachweisbar. "
            "Das heißt nicht, dass es keine gibt – kleine Wirkungen gehen in der Streuung der Gebiete unter."
        )
    if polarity == "neutral":
        return "Der Unterschied ist statistisch gesichert; der Indikator hat keine Wertungsrichtung."
    if good:
        return "Der Unterschied ist statistisch gesichert und weist in die gewünschte Richtung."
    return "Der Unterschied ist statistisch gesichert, weist aber in die unerwünschte Richtung."


def _pretrend(r: EffectResult) -> str:
    """What the test of the periods before the start says about parallel trends."""
    if r.pre_trend_p is None:
        return "Mit nur einem Zeitraum vor dem Beginn lässt sich der parallele Verlauf vorher nicht prüfen."
    if r.pre_trend_p < 0.1:
        return (
            f"Vorsicht: Schon vor dem Beginn liefen Maßnahmen- und Vergleichsgebiete auseinander "
            f"(Vortest p = {_de(r.pre_trend_p, 3)}). Der geschätzte Effekt kann diesen Trend enthalten."
        )
    return (
        f"Vor dem Beginn verliefen Maßnahmen- und Vergleichsgebiete ähnlich "
        f"(Vortest p = {_de(r.pre_trend_p, 3)}); das stützt die Annahme paralleler Trends."
    )


def _factors(r: EffectResult, polarity: str, decimals: int) -> str | None:
    """The three measure areas with the most favourable development (None with one area)."""
    if len(r.by_area) <= 1:
        return None
    best = r.by_area.sort_values("estimate", ascending=polarity != "hoch_ist_gut").head(3)
    return (
        "Gebiete mit der günstigsten Entwicklung (Hinweise auf Erfolgsfaktoren, vor Ort zu prüfen): "
        + ", ".join(
            f"{a} ({_de(e, decimals)})" for a, e in zip(best["area_id"], best["estimate"], strict=True)
        )
        + "."
    )
