"""Fachthemen: D-A-CH set-up and comparison, Wirkungsanalyse and controlling at realistic size.

No targets are named in issue #8; the figures show that each step is interactive:

* ``planlabor dach setup`` on the shared D-A-CH files (2,643 areas on 6 layers, 5 Eurostat tables,
  6 Basel tables) and ``compute`` on them;
* peers of Berlin among 462 NUTS 3 regions;
* an effect estimate on 542 areas × 10 periods: 4 measure areas (placebo inference over all
  210 combinations of the 10 comparison areas) and 40 measure areas (cluster-robust);
* a KLR export of 50,000 rows (product × cost centre × year × area) with Kennzahlen per area.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DACH = Path(__file__).resolve().parent.parent / "tests" / "data" / "dach"


def _panel(
    n_areas: int, periods: int, treated: int, seed: int = 1
) -> tuple[pd.DataFrame, list[str], list[str]]:
    rng = np.random.default_rng(seed)
    level = rng.normal(20, 5, n_areas)
    rows = []
    for i in range(n_areas):
        for t in range(periods):
            rows.append(
                (
                    f"{i:08d}",
                    f"{2015 + t}-12-31",
                    level[i] + 0.3 * t + rng.normal(0, 0.5) + (1.5 if i < treated and t >= 5 else 0),
                )
            )
    df = pd.DataFrame(rows, columns=["area_id", "period", "value"])
    ids = sorted(df["area_id"].unique())
    return df, ids[:treated], ids[treated:]


def main() -> dict[str, float]:
    from planlabor.atlas.data import source_of
    from planlabor.planning.effects import choose_controls, estimate_effect
    from planlabor.reports.vergleich import compare_region
    from planlabor.workspace import Workspace

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="planlabor-fach-") as tmp:
        ws = Workspace.init(Path(tmp) / "dach", name="D-A-CH")
        t0 = time.perf_counter()
        rep = ws.setup_dach(DACH)
        out["dach_setup_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        comp = ws.compute()
        out["dach_compute_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        c = compare_region(source_of(ws), "nuts3", "DE300", per_group=2)
        out["peers_s"] = time.perf_counter() - t0
        ws.close()
        print(
            f"dach setup: {out['dach_setup_s']:.1f} s ({sum(rep.layers.values()):,} Gebiete auf {len(rep.layers)} Ebenen, "
            f"{sum(rep.tables.values()):,} Werte); compute {out['dach_compute_s']:.1f} s ({comp.values_written:,} Werte); "
            f"Vergleichsregionen für Berlin {out['peers_s'] * 1000:.0f} ms ({', '.join(c.peers.table['area_id'][1:4])} …)"
        )
    for treated in (4, 40):
        df, t, _rest = _panel(542, 10, treated)
        feats = df[df["period"] == "2019-12-31"].set_index("area_id")[["value"]]
        t0 = time.perf_counter()
        controls = choose_controls(feats, t, k=10 if treated == 4 else 80)
        r = estimate_effect(df, t, controls, "2020-12-31")
        elapsed = time.perf_counter() - t0
        out[f"effect_{treated}_s"] = elapsed
        print(
            f"Wirkungsanalyse 542 Gebiete × 10 Zeiträume, {treated} Maßnahmengebiete, {len(controls)} Vergleichsgebiete: "
            f"{elapsed:.2f} s ({r.inference}, {len(r.placebo)} Placebo-Läufe); Schätzung {r.estimate:.2f} (wahr 1,50), "
            f"KI {r.ci_low:.2f} bis {r.ci_high:.2f}"
        )
    with tempfile.TemporaryDirectory(prefix="planlabor-klr-") as tmp:
        folder = Path(tmp)
        areas = [f"{i:03d}" for i in range(500)]
        pd.DataFrame({"id": areas, "name": areas}).to_csv(folder / "areas.csv", index=False, sep=";")
        ws = Workspace.init(folder / "ws", name="KLR")
        from planlabor.areas import AreaImportOptions

        ws.import_areas(
            folder / "areas.csv", AreaImportOptions(layer="sozialraum", id_column="id", name_column="name")
        )
        rng = np.random.default_rng(3)
        n = 50_000
        klr = pd.DataFrame(
            {
                "Produkt": rng.choice([f"Produkt {k}" for k in range(10)], n),
                "Kostenstelle": rng.choice([f"KST {k}" for k in range(10)], n),
                "Jahr": rng.choice(["2022", "2023", "2024", "2025"], n),
                "Gebiet": rng.choice(areas, n),
                "Kosten": [
                    f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
                    for v in rng.uniform(1e3, 1e5, n)
                ],
                "Fälle": rng.integers(1, 50, n),
            }
        )
        klr.to_csv(folder / "klr.csv", index=False, sep=";")
        t0 = time.perf_counter()
        r = ws.import_controlling(folder / "klr.csv", layer="sozialraum")
        out["klr_import_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        comp = ws.compute()
        out["klr_compute_s"] = time.perf_counter() - t0
        ws.close()
        print(
            f"KLR-Export {n:,} Zeilen, 10 Produkte, 500 Gebiete: Import {out['klr_import_s']:.1f} s "
            f"({r.observations:,} Werte je Gebiet), Kennzahlen berechnet in {out['klr_compute_s']:.1f} s "
            f"({comp.values_written:,} Werte)"
        )
    return out
