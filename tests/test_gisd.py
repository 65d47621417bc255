"""GISD as the RKI computes it, checked against an independent computation in this file.

RKI, GISD Readme (Release 2022/2025) and Michalski et al. (2022): per domain one principal
component of the centred and scaled indicators pooled over all years (estimated values left
out of the fit), oriented to unemployment; factor scores for every area and year; domains
rescaled to 0–1 per year and added with equal weights; the sum rescaled to 0–1 per year;
higher levels as population-weighted means rescaled per year; quintiles, deciles and gisd_k
per year (R quantile type 9).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planlabor.indices.engine import apply_index
from planlabor.indices.spec import load_spec

DOMAINS = {
    "bildung": [
        ("beschaeftigte_akademisch", -1, False),
        ("beschaeftigte_ohne_berufsabschluss", 1, False),
        ("schulabgaenger_ohne_abschluss", 1, False),
    ],
    "beschaeftigung": [
        ("arbeitslosenquote", 1, False),
        ("beschaeftigtenquote", -1, False),
        ("bruttoverdienst", -1, True),
    ],
    "einkommen": [
        ("einkommensteuer_je_ew", -1, True),
        ("haushaltseinkommen", -1, True),
        ("schuldnerquote", 1, False),
    ],
}


def panel(n: int = 40, years: tuple[int, ...] = (2016, 2017, 2018, 2019), seed: int = 7) -> pd.DataFrame:
    """Gemeinden over several years; the structure shifts between years, so that a component
    per year differs from the pooled one."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n)
    rows = []
    for k, year in enumerate(years):
        dep = base + 0.3 * k * rng.normal(size=n)
        e = lambda s: rng.normal(0, s, n)  # noqa: E731
        rows.append(
            pd.DataFrame(
                {
                    "id": [f"{i:05d}" for i in range(n)],
                    "name": [f"Gemeinde {i}" for i in range(n)],
                    "kreis": [f"K{i % 5}" for i in range(n)],
                    "jahr": str(year),
                    "einwohner": rng.integers(800, 60000, n).astype(float),
                    "beschaeftigte_akademisch": 18 - (4 + k) * dep + e(1.5),
                    "beschaeftigte_ohne_berufsabschluss": 12 + 3 * dep + e(1.0 + 0.5 * k),
                    "schulabgaenger_ohne_abschluss": 6 + 2 * dep + e(0.8),
                    "arbeitslosenquote": 6 + (2 + 0.5 * k) * dep + e(0.4),
                    "beschaeftigtenquote": 60 - 4 * dep + e(1.5),
                    "bruttoverdienst": np.exp(8 - 0.1 * dep + e(0.03)),
                    "einkommensteuer_je_ew": np.exp(6 - 0.2 * dep + e(0.06)),
                    "haushaltseinkommen": np.exp(7.5 - 0.1 * dep + e(0.03)),
                    "schuldnerquote": 9 + 2 * dep + e(0.6),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


# ------------------------------------------------------------------ independent computation


def _rescale(x: np.ndarray) -> np.ndarray:
    return (x - x.min()) / (x.max() - x.min())


def _q9_class(x: np.ndarray, k: int) -> np.ndarray:
    # R: quantile(x, probs = 0:k/k, type = 9); findInterval(x, q, all.inside = TRUE)
    n = len(x)
    xs = np.sort(x)
    breaks = []
    for p in np.linspace(0, 1, k + 1):
        h = n * p + p / 4 + 3 / 8  # type 9: m = p/4 + 3/8
        j = int(np.floor(h))
        g = h - j
        lo = xs[min(max(j - 1, 0), n - 1)]
        hi = xs[min(max(j, 0), n - 1)]
        breaks.append(lo + g * (hi - lo))
    idx = np.searchsorted(np.array(breaks), x, side="right")
    return np.clip(idx, 1, k)


def independent_gisd(df: pd.DataFrame, fit_rows: np.ndarray | None = None) -> pd.DataFrame:
    out = pd.DataFrame({"id": df["id"], "jahr": df["jahr"]})
    fit_rows = np.ones(len(df), dtype=bool) if fit_rows is None else fit_rows
    unemployment = df["arbeitslosenquote"].to_numpy(dtype=float)
    for dom, inputs in DOMAINS.items():
        cols = []
        for col, sign, log in inputs:
            x = df[col].to_numpy(dtype=float)
            cols.append(sign * (np.log(x) if log else x))
        m = np.column_stack(cols)
        fit = m[fit_rows]
        mean, sd = fit.mean(axis=0), fit.std(axis=0, ddof=1)
        z_fit = (fit - mean) / sd
        w = np.linalg.svd(z_fit, full_matrices=False)[2][0]
        if np.corrcoef(z_fit @ w, unemployment[fit_rows])[0, 1] < 0:
            w = -w
        score = ((m - mean) / sd) @ w
        out[dom] = np.nan
        for _, idx in out.groupby("jahr").groups.items():
            out.loc[idx, dom] = _rescale(score[np.asarray(out.index.get_indexer(idx))])
    total = out[list(DOMAINS)].sum(axis=1).to_numpy()
    out["total"] = np.nan
    for col in ("q5", "q10", "k"):
        out[col] = 0
    for _, idx in out.groupby("jahr").groups.items():
        pos = out.index.get_indexer(idx)
        t = _rescale(total[pos])
        out.loc[idx, "total"] = t
        q5 = _q9_class(t, 5)
        out.loc[idx, "q5"] = q5
        out.loc[idx, "q10"] = _q9_class(t, 10)
        out.loc[idx, "k"] = np.where(q5 == 1, 1, np.where(q5 == 5, 3, 2))
    return out


# ----------------------------------------------------------------------------------- tests


def test_pooled_pca_matches_the_independent_computation() -> None:
    df = panel()
    res = apply_index(load_spec("gisd"), df)
    t = res.table
    ref = independent_gisd(df)
    for dom in DOMAINS:
        assert np.allclose(t[dom].to_numpy(dtype=float), ref[dom].to_numpy(dtype=float), atol=1e-10)
    assert np.allclose(t["total"].to_numpy(dtype=float), ref["total"].to_numpy(dtype=float), atol=1e-10)
    assert t["total__class"].astype(int).tolist() == ref["q5"].astype(int).tolist()
    assert t["total__class_dezil"].astype(int).tolist() == ref["q10"].astype(int).tolist()
    assert t["total__class_k"].astype(int).tolist() == ref["k"].astype(int).tolist()
    # orientation: every domain correlates positively with unemployment, pooled and per year
    for dom in DOMAINS:
        assert np.corrcoef(t[dom].astype(float), df["arbeitslosenquote"])[0, 1] > 0
    # the loadings come from all years pooled: one component per year would differ
    per_year = apply_index(load_spec("gisd").model_copy(update={"component": [
        c.model_copy(update={"fit": "period"}) for c in load_spec("gisd").component
    ]}), df).table  # fmt: skip
    assert not np.allclose(per_year["bildung"].astype(float), t["bildung"].astype(float), atol=1e-6)
    assert set(res.fits) == set(DOMAINS) and all(0 < f.explained <= 1 for f in res.fits.values())


def test_classes_per_year() -> None:
    t = apply_index(load_spec("gisd"), panel()).table
    for _, g in t.groupby("period"):
        assert sorted(g["total__class"].value_counts().tolist()) == [8, 8, 8, 8, 8]  # 40 Gemeinden
        assert g["total"].min() == 0.0 and g["total"].max() == 1.0
        assert set(g["total__label_k"]) == {
            "niedrige Deprivation (unterstes Quintil)",
            "mittlere Deprivation (2.–4. Quintil)",
            "hohe Deprivation (oberstes Quintil)",
        }


def test_higher_level_population_weighted_and_rescaled() -> None:
    df = panel()
    spec = load_spec("gisd").model_copy(update={"level_columns": ["kreis"]})
    res = apply_index(spec, df)
    kreise = res.levels["kreis"]
    ref = independent_gisd(df).assign(kreis=df["kreis"], pop=df["einwohner"])
    for year, g in ref.groupby("jahr"):
        w = g.groupby("kreis").apply(lambda s: np.average(s["total"], weights=s["pop"]), include_groups=False)
        expected = _rescale(w.to_numpy())
        got = kreise[kreise["period"] == year].set_index("id").loc[w.index, "score"].to_numpy(dtype=float)
        assert np.allclose(got, expected, atol=1e-12)
        cls = kreise[kreise["period"] == year].set_index("id").loc[w.index, "class"].astype(int).to_numpy()
        assert cls.tolist() == _q9_class(expected, 5).tolist()


def test_empty_higher_level_cell_is_no_parent() -> None:
    df = panel()
    df["kreis"] = df["kreis"].astype(object)
    df.loc[df["id"] == df["id"].iloc[0], "kreis"] = None  # empty Kreis cells: the Gemeinde counts to none
    spec = load_spec("gisd").model_copy(update={"level_columns": ["kreis"]})
    ids = set(apply_index(spec, df).levels["kreis"]["id"])
    assert ids and not ids & {"nan", "None", ""}


def test_missing_values_estimated_and_left_out_of_the_fit() -> None:
    df = panel(n=30)
    truth = df["schuldnerquote"].copy()
    gone = (df["jahr"] == "2016") & (df.index % 3 == 0)
    df.loc[gone, "schuldnerquote"] = np.nan
    res = apply_index(load_spec("gisd"), df)
    t = res.table
    assert t["imputed"].sum() == gone.sum() and t.loc[gone, "total"].notna().all()
    assert "fehlende Werte" in " ".join(res.warnings)
    # estimates from the random-intercept model are close to the removed values
    import statsmodels.api as sm

    ok = ~gone.to_numpy()
    tt = df["jahr"].astype(int).to_numpy() - 2016
    fit = sm.MixedLM(
        df.loc[ok, "schuldnerquote"].to_numpy(),
        np.column_stack([np.ones(ok.sum()), tt[ok]]),
        groups=df.loc[ok, "id"],
    ).fit(reml=True)
    pred = [
        fit.fe_params[0]
        + fit.fe_params[1] * tt[i]
        + float(np.asarray(fit.random_effects[df.loc[i, "id"]])[0])
        for i in np.nonzero(gone.to_numpy())[0]
    ]
    # the pooled components were fitted without the rows with estimates
    est = df.copy()
    est.loc[gone, "schuldnerquote"] = pred
    ref = independent_gisd(est, fit_rows=~gone.to_numpy())
    assert np.allclose(t["einkommen"].astype(float), ref["einkommen"].astype(float), atol=1e-8)
    assert np.abs(np.array(pred) - truth[gone].to_numpy()).mean() < 2.0


def test_workspace_index_on_every_layer(tmp_path: Path) -> None:
    from tests.hierarchy import tree_workspace

    cols = [c for inputs in DOMAINS.values() for c, _, _ in inputs] + ["einwohner"]
    df = panel(n=16, years=(2018, 2019, 2020))
    tree = {
        "stadt": {"S": None},
        "bezirk": {f"B{i}": "S" for i in range(4)},
        "gebiet": {f"G{i:02d}": f"B{i % 4}" for i in range(16)},
    }
    catalog = "\n".join(f'[[indicator]]\nid = "{c}"\nname = "{c}"\nvariable = "{c}"\n' for c in cols)
    catalog += '\n[[index]]\nid = "gisd"\nname = "GISD"\nlayer = "gebiet"\npreset = "gisd"\n[index.inputs]\n'
    catalog += "\n".join(f'{c} = "{c}"' for c in cols)
    root = tmp_path / "ws"
    ws = tree_workspace(
        root, tree, {f"G{i:02d}": {"einwohner": 1000.0} for i in range(16)}, catalog, period="2018"
    )
    from planlabor.io.importer import ImportOptions
    from tests.conftest import write

    data = df.assign(id=[f"G{int(i):02d}" for i in df["id"]])[["id", "jahr", *cols]]
    src = write(tmp_path / "gisd.csv", data.to_csv(sep=";", index=False, decimal=","))
    ws.import_table(src, ImportOptions(layer="gebiet", period_column="jahr"))
    ws.compute()
    got = ws.store.indicator_values("bezirk", ["gisd_gesamt", "gisd_gesamt_klasse", "gisd_gesamt_k"])
    scores = got[got["indicator_id"] == "gisd_gesamt"]
    assert len(scores) == 4 * 3 and scores["value"].min() == 0.0 and scores["value"].max() == 1.0
    base = ws.store.indicator_values("gebiet", ["gisd_gesamt"]).merge(
        ws.store.indicator_values("gebiet", ["einwohner"])[["area_id", "period", "value"]],
        on=["area_id", "period"],
        suffixes=("", "_pop"),
    )
    y = base[base["period"] == "2019"].assign(
        b=lambda d: "B" + (d["area_id"].str[1:].astype(int) % 4).astype(str)
    )
    w = y.groupby("b").apply(lambda s: np.average(s["value"], weights=s["value_pop"]), include_groups=False)
    b19 = scores[scores["period"] == "2019"].set_index("area_id")["value"]
    assert np.allclose(b19.loc[w.index].to_numpy(), _rescale(w.to_numpy()))
    ws.close()


def test_quantile_type_9_like_r() -> None:
    """Hyndman & Fan (1996) type 9, as R's quantile(type = 9): m = p/4 + 3/8, j = ⌊np + m⌋,
    Q(p) = (1 − g)·x₍ⱼ₎ + g·x₍ⱼ₊₁₎ with g = np + m − j (worked by hand for p = 0.2, n = 10)."""
    from planlabor.indices.classify import quantile_breaks

    x = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.95, 0.5, 0.66, 0.05, 0.71])
    xs = np.sort(x)  # 0.05 0.1 0.2 0.35 0.4 0.5 0.66 0.71 0.8 0.95
    # p = 0.2: np + m = 2 + 0.05 + 0.375 = 2.425 → j = 2, g = 0.425 → x(2) + 0.425·(x(3) − x(2))
    q20 = xs[1] + 0.425 * (xs[2] - xs[1])
    breaks = quantile_breaks(x, 5, 9)
    assert breaks[0] == 0.05 and breaks[-1] == 0.95 and breaks[1] == pytest.approx(q20)
    assert breaks[1] == pytest.approx(0.1425)


def test_command_line_with_a_higher_level(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from planlabor.cli import cli

    src = tmp_path / "gemeinden.csv"
    panel(n=20, years=(2018, 2019)).to_csv(src, index=False)
    res = CliRunner().invoke(
        cli, ["index", "gisd", str(src), "--out", str(tmp_path / "gisd.csv"), "--ebene", "kreis"]
    )
    assert res.exit_code == 0, res.output
    kreise = pd.read_csv(tmp_path / "gisd_kreis.csv", dtype={"id": str})
    assert len(kreise) == 5 * 2 and set(kreise["class"]) <= {1, 2, 3, 4, 5}
    assert "Ebene kreis" in res.output
    bad = CliRunner().invoke(
        cli, ["index", "gisd", str(src), "--out", str(tmp_path / "x.csv"), "--ebene", "land"]
    )
    assert bad.exit_code == 1 and "land" in bad.output
