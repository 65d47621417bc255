"""Use cases of the spatial analyses and planning modules: segregation, hot spots, coverage,
typology, population projection and Kita plan.

Each function opens the workspace, runs the analysis of :mod:`planlabor.spatial`,
:mod:`planlabor.indices`, :mod:`planlabor.projection` or :mod:`planlabor.planning`, keeps its
results as observations (like the command line always did) and records who ran it.  The command
line (:mod:`planlabor.cli.analysis`, :mod:`planlabor.cli.projection`) prints the returned domain
results; the Werkstatt page *Analysen* shows them as tables (:mod:`planlabor.app.analysis_forms`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planlabor.app import Where, opened
from planlabor.app.audit import record
from planlabor.errors import InputError


@dataclass
class SegregationOutcome:
    layer: str
    results: list[Any]  # planlabor.spatial.segregation.SegregationResult per period
    change: dict[str, float] | None = None  # difference and p_value of D between two periods


def segregation(
    where: Where,
    layer: str,
    group: str,
    total: str,
    periods: list[str] | None = None,
    permutations: int = 0,
    spatial: bool = False,
    compare: tuple[str, str] | None = None,
    seed: int = 0,
    by: str | None = None,
    progress: Any = None,
) -> SegregationOutcome:
    """Dissimilarity, isolation, interaction, entropy and Gini of ``group`` (saved as ``lq_GROUP``
    per area and ``seg_MASS_GROUP`` on the top layer); with ``compare`` the change of D;
    ``progress(step, total, label)`` hears of every period."""
    from planlabor.io.periods import parse_period_option
    from planlabor.spatial import segregation as seg

    ps = [parse_period_option(p) for p in periods or []] or None
    with opened(where) as ws:
        results = seg.analyse(
            ws.store,
            layer,
            group,
            total,
            ps,
            permutations=permutations,
            spatial=spatial,
            seed=seed,
            progress=progress,
        )
        change = None
        if compare:
            pair = [parse_period_option(p) for p in compare]
            obs = ws.store.observations(layer, [group, total], pair)
            wide = obs.pivot_table(
                index=["period", "area_id"], columns="variable", values="value"
            ).reset_index()
            a, b = (wide[wide["period"] == p] for p in pair)
            change = seg.compare(a, b, group, total, permutations=permutations or 99, seed=seed)
    record(where, by, "segregation", layer=layer, group=group, periods=[r.period for r in results])
    return SegregationOutcome(layer, results, change)


def hotspots(
    where: Where,
    layer: str,
    variable: str,
    period: str,
    weights: str = "queen",
    threshold: float | None = None,
    permutations: int = 999,
    alpha: float = 0.05,
    fdr: bool = False,
    seed: int = 0,
    by: str | None = None,
    progress: Any = None,
) -> Any:
    """Moran's I, local clusters (LISA) and Getis-Ord Gi* of ``variable`` (an observed variable or
    a computed indicator); saved as ``lisa_``, ``lisa_p_`` and ``gi_z_VARIABLE``;
    ``progress(step, total, label)`` hears of every block of permutations."""
    from planlabor.io.periods import parse_period_option
    from planlabor.spatial.hotspots import analyse

    if weights not in ("queen", "rook", "distance"):
        raise InputError(
            f"Unbekannte Nachbarschaft {weights!r}.", column="--weights", expected="queen, rook oder distance"
        )
    with opened(where) as ws:
        r = analyse(
            ws.store,
            layer,
            variable,
            parse_period_option(period),
            weights,
            threshold,
            permutations,
            alpha,
            fdr,
            seed,
            progress=progress,
        )
    record(where, by, "hotspots", layer=layer, variable=variable, period=r.period)
    return r


def coverage(
    where: Where,
    facility_type: str,
    layer: str,
    demand: str,
    period: str,
    distance: float = 1000.0,
    within: float | None = None,
    decay: str = "gaussian",
    accessible: str | None = None,
    network: str | None = None,
    unit: str = "m",
    by: str | None = None,
    progress: Any = None,
) -> Any:
    """Distance to the nearest facility, share within reach and 2SFCA per area, by straight line or
    on the street network (``network``: fuss, rad, auto, rollstuhl; ``unit`` m or min);
    ``progress(step, total, label)`` hears of each step."""
    from planlabor.io.periods import parse_period_option
    from planlabor.spatial.coverage import analyse

    if decay not in ("gaussian", "none"):
        raise InputError(f"Unbekannter Abfall {decay!r}.", column="--decay", expected="gaussian oder none")
    with opened(where) as ws:
        backend = None
        if network:
            from planlabor.network import network_backend

            backend = network_backend(ws.store, network, unit)  # type: ignore[arg-type]
        elif unit != "m":
            raise InputError(
                "Minuten gibt es nur auf dem Straßennetz.", column="--unit", hint="Geben Sie --network an."
            )
        r = analyse(
            ws.store,
            layer,
            facility_type,
            demand,
            parse_period_option(period),
            distance,
            within,
            decay,  # type: ignore[arg-type]
            backend=backend,
            accessible=accessible,
            progress=progress,
        )
    record(where, by, "coverage", layer=layer, type=facility_type, demand=demand, period=r.period)
    return r


@dataclass
class TypologyOutcome:
    layer: str
    period: str
    variable: str
    result: Any  # planlabor.indices.typology.TypologyResult
    import_id: int
    names: dict[str, str] = field(default_factory=dict)


def typology(
    where: Where,
    layer: str,
    period: str,
    columns: list[str],
    k: int = 5,
    method: str = "kmeans",
    seed: int = 0,
    variable: str = "typ",
    by: str | None = None,
    progress: Any = None,
) -> TypologyOutcome:
    """Cluster the areas of ``layer`` on ``columns`` (variables or computed indicators) into ``k``
    types; saved as the observation ``variable`` (1 … k) for atlas, reports and the projection;
    ``progress(step, 3, label)`` hears of the values read, the types formed and the saving."""
    import re

    from planlabor.indices.typology import store_typology
    from planlabor.indices.typology import typology as cluster
    from planlabor.io.periods import parse_period_option

    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", variable):
        raise InputError(
            f"Der Name {variable!r} ist als Variable nicht zulässig.",
            column="variable",
            expected="Kleinbuchstaben, Ziffern und _, z. B. typ_kontext",
        )
    if len(columns) < 2:
        raise InputError("Eine Typisierung braucht mindestens zwei Merkmale.", column="columns")
    p = parse_period_option(period)
    with opened(where) as ws:
        tell = _steps_of(progress, 3)
        wide = _wide(ws, layer, columns, p)
        tell(1, 3, f"{len(columns)} Merkmale von {len(wide)} Gebieten gelesen")
        catalog = ws.catalog()
        names = {c: getattr(catalog.get(c), "name", c) for c in columns}
        res = cluster(wide.reset_index(), columns, k=k, method=method, seed=seed, names=names)
        silhouette = f"{res.silhouette:.2f}".replace(".", ",")
        tell(2, 3, f"{res.k} Typen gebildet ({method}), Silhouette {silhouette}")
        nr = store_typology(ws.store, layer, p, variable, wide.index.astype(str).tolist(), res)
        tell(3, 3, f"Typen als {variable} gespeichert (Import Nr. {nr})")
    record(where, by, "typology", layer=layer, period=p, variable=variable, k=k)
    return TypologyOutcome(layer, p, variable, res, nr, names)


def _wide(ws: Any, layer: str, columns: list[str], period: str) -> Any:
    """Values of ``columns`` (observed, else computed) per area of ``layer`` at ``period``."""
    import pandas as pd

    obs = ws.store.observations(layer, columns, [period])
    frames = [obs[["area_id", "variable", "value"]]] if not obs.empty else []
    missing = [c for c in columns if obs.empty or c not in set(obs["variable"])]
    if missing:
        ind = ws.store.indicator_values(layer, missing, [period])
        if not ind.empty:
            frames.append(ind.rename(columns={"indicator_id": "variable"})[["area_id", "variable", "value"]])
    if not frames:
        raise InputError(
            f"Auf {layer!r} gibt es am {period} keine Werte für {', '.join(columns)}.",
            hint="Variablen und Indikatoren zeigt 'planlabor status'.",
        )
    long = pd.concat(frames, ignore_index=True)
    wide = long.pivot_table(index="area_id", columns="variable", values="value", aggfunc="first")
    return wide.reindex(ws.store.areas(layer)["area_id"].astype(str))


def _steps_of(progress: Any, total: int) -> Any:
    """``progress`` with its total fixed to ``total`` (an inner step function counts its own
    steps first; the use case adds its last ones); a no-op without ``progress``."""

    def tell(step: int, _total: int, label: str | None = None) -> None:
        if progress is not None:
            progress(step, total, label)

    return tell


def projection_rates(tfr: float | None, life_table: str | None = None, fertility: str | None = None) -> Any:
    """The rates of a projection: defaults (TFR 1,35), a given TFR, a life table, fertility rates."""
    from planlabor.projection import defaults as dflt
    from planlabor.projection.inputs import read_fertility, read_life_table
    from planlabor.projection.model import Rates

    if tfr is not None and not 0.3 <= tfr <= 5:
        raise InputError(f"--tfr {tfr} ist nicht plausibel.", column="--tfr", expected="0,3 bis 5")
    rates = Rates.defaults(tfr if tfr is not None else dflt.TFR_DEFAULT)
    if life_table:
        rates.qx = read_life_table(life_table)
        rates.sources["sterbetafel"] = str(life_table)
    if fertility:
        rates.asfr = read_fertility(fertility)
        rates.sources["fruchtbarkeit"] = str(fertility)
    return rates


@dataclass
class ProjectionOutcome:
    run: Any  # planlabor.projection.run.ProjectionRun
    import_id: int | None
    scenarios: int


def _upload_folder(where: Where, path: str) -> Path | None:
    """The folder of a file uploaded in the Werkstatt (its tables must be uploaded with it), else
    None (on the command line a scenario file may name tables anywhere)."""
    from planlabor.app import root_of

    uploads = (root_of(where) / "werkstatt" / "uploads").resolve()
    folder = Path(path).resolve().parent
    return folder if folder.is_relative_to(uploads) else None


def projection(
    where: Where,
    layer: str,
    base: str,
    years: int = 20,
    calibrate: list[str] | None = None,
    tfr: float | None = None,
    types: str | None = None,
    shrinkage: float = 1000.0,
    min_size: int = 8000,
    life_table: str | None = None,
    fertility: str | None = None,
    scenarios: str | None = None,
    save: bool = True,
    by: str | None = None,
    progress: Any = None,
) -> ProjectionOutcome:
    """Small-area population projection (cohort components) in the three variants and any
    scenarios of a TOML file; saved as ``prog_VARIANTE_BAND`` unless ``save`` is false;
    ``progress(step, total, label)`` hears of the base stock, the rates, every year and the saving."""
    from planlabor.io.periods import parse_period_option
    from planlabor.projection.inputs import read_scenarios
    from planlabor.projection.model import base_scenarios
    from planlabor.projection.run import run_projection, save_projection

    if not 1 <= years <= 50:
        raise InputError(
            f"{years} Prognosejahre sind nicht vorgesehen.", column="--years", expected="1 bis 50"
        )
    rates = projection_rates(tfr, life_table, fertility)
    base = parse_period_option(base, stichtag=True)
    calibrate = [parse_period_option(p, stichtag=True) for p in calibrate or []] or None
    scen = base_scenarios() + (
        read_scenarios(scenarios, _upload_folder(where, scenarios)) if scenarios else []
    )
    with opened(where) as ws:
        steps = years + 2 + (1 if save else 0)  # base stock, rates, each year (run_projection), saving
        tell = _steps_of(progress, steps)
        run = run_projection(
            ws.store, layer, base, years, calibrate, scen, rates, types, shrinkage, min_size, progress=tell
        )
        import_id = None
        if save:
            settings = {
                "layer": layer,
                "base": run.base_period,
                "years": years,
                "calibration": run.calibration.periods if run.calibration else [],
                "scenarios": [s.id for s in scen],
                "types": types,
                "shrinkage": shrinkage,
                "min_size": min_size,
                "sources": rates.sources,
            }
            import_id = save_projection(ws.store, run, settings)
            tell(steps, steps, f"Prognose gespeichert (Import Nr. {import_id})")
    record(where, by, "project", layer=layer, base=run.base_period, years=years, saved=save)
    return ProjectionOutcome(run, import_id, len(scen))


def kita_plan(
    where: Where,
    layer: str,
    period: str | None = None,
    scenario: str | None = None,
    u3: list[float] | None = None,
    ue3: float = 95.0,
    usable_share: float = 1.0,
    places_period: str | None = None,
    new_places: str | None = None,
    by: str | None = None,
    progress: Any = None,
) -> list[Any]:
    """Kita need per area for a observed date (``period``) or, with ``scenario``, for the projected
    years (``period`` then lists dates, comma-separated; otherwise all); one plan per date;
    ``progress(step, total, label)`` hears of every date planned."""
    from planlabor.io.periods import parse_period_option
    from planlabor.planning.kita import plan, plan_years, read_new_places

    extra = read_new_places(new_places) if new_places else None
    pp = parse_period_option(places_period) if places_period else None
    periods = [parse_period_option(p.strip(), stichtag=True) for p in (period or "").split(",") if p.strip()]
    with opened(where) as ws:
        if scenario:
            periods = periods or sorted(set(ws.store.observations(layer, [f"prog_{scenario}_u3"])["period"]))
            if not periods:
                raise InputError(
                    f"Auf {layer!r} gibt es keine Prognose {scenario!r}.",
                    column="--prognose",
                    hint="Rechnen Sie zuerst 'planlabor project'.",
                )
            plans = plan_years(
                ws.store, layer, scenario, periods, u3 or None, ue3, usable_share, pp, extra,
                progress=progress,
            )  # fmt: skip
        else:
            if not periods:
                raise InputError("Geben Sie --period (Stichtag) oder --prognose an.", column="--period")
            plans = [plan(ws.store, layer, periods[0], u3 or None, ue3, usable_share, pp, new_places=extra)]
            _steps_of(progress, 1)(1, 1, f"Kita-Bedarf {plans[0].period} geplant")
    record(where, by, "plan kita", layer=layer, periods=[p.period for p in plans], scenario=scenario)
    return plans


def composite_index(
    where: Where,
    preset: str,
    input_file: str,
    levels: list[str] | None = None,
    by: str | None = None,
    progress: Any = None,
) -> Any:
    """Apply an index (a preset: mss2021, gisd, svi, headline) to a table, like ``planlabor index``;
    the result table is written beside the Werkstatt's analyses (``werkstatt/analysen/``);
    ``progress(step, total, label)`` hears of the table, every component and the file."""
    import secrets

    from planlabor.app import root_of
    from planlabor.indices.run import index_file
    from planlabor.indices.spec import PRESETS

    if preset not in PRESETS:
        raise InputError(
            f"Die Indexvorlage {preset!r} gibt es nicht.", column="PRESET", expected=", ".join(PRESETS)
        )
    folder = root_of(where) / "werkstatt" / "analysen"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    out = folder / f"index_{preset}_{secrets.token_hex(4)}.csv"
    r = index_file(preset, input_file, out, list(levels or []), progress=progress)
    record(where, by, "index", preset=preset, rows=r.rows, out=out.name)
    return r
