"""Index engine: standardisation, combination, classification, MSS 2021 contract."""

import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from planlabor.cli import cli
from planlabor.errors import ConfigError
from planlabor.indices.classify import ClassDef, ClassificationSpec, classify, find_interval, quantile_breaks
from planlabor.indices.combine import combine
from planlabor.indices.engine import apply_index
from planlabor.indices.explain import explain
from planlabor.indices.run import index_file
from planlabor.indices.spec import load_spec, parse_spec
from planlabor.indices.standardize import minmax, percentile_rank, zscore
from tests.conftest import write

# ------------------------------------------------------------------ standardise


def test_zscore_population_and_sample() -> None:
    x = np.array([13.0, 7.0, 11.0, 9.0, 10.0])
    assert zscore(x).tolist() == [1.5, -1.5, 0.5, -0.5, 0.0]
    sd1 = math.sqrt(20 / 4)
    assert zscore(x, ddof=1)[0] == pytest.approx(3 / sd1)
    assert np.isnan(zscore(np.array([1.0, np.nan, 3.0]))[1])


def test_weighted_zscore() -> None:
    x, w = np.array([1.0, 3.0]), np.array([3.0, 1.0])
    mean = (3 * 1 + 1 * 3) / 4
    sd = math.sqrt((3 * (1 - mean) ** 2 + 1 * (3 - mean) ** 2) / 4)
    assert zscore(x, weights=w).tolist() == pytest.approx([(1 - mean) / sd, (3 - mean) / sd])


def test_percentile_rank_and_minmax() -> None:
    assert percentile_rank(np.array([5.0, 1.0, 3.0, 3.0, np.nan])).tolist()[:4] == [1.0, 0.0, 1 / 3, 1 / 3]
    assert minmax(np.array([10.0, 20.0, 15.0])).tolist() == [0.0, 1.0, 0.5]


# ---------------------------------------------------------------------- combine


def test_combinations() -> None:
    m = np.array([[1.0, 4.0], [2.0, 8.0]])
    assert combine(m, "sum").tolist() == [5.0, 10.0]
    assert combine(m, "mean").tolist() == [2.5, 5.0]
    assert combine(m, "weighted_sum", np.array([2.0, 0.5])).tolist() == [4.0, 8.0]
    assert combine(m, "geometric_mean").tolist() == pytest.approx([2.0, 4.0])
    assert combine(m, "minimum").tolist() == [1.0, 2.0]


def test_pca_orientation_and_variance() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=200)
    m = np.column_stack([base + rng.normal(0, 0.1, 200), -base + rng.normal(0, 0.1, 200), base])
    scores = combine(m, "pca", orient=m[:, 0])
    assert np.corrcoef(scores, m[:, 0])[0, 1] > 0.99
    flipped = combine(m, "pca", orient=m[:, 1])
    assert np.corrcoef(flipped, m[:, 1])[0, 1] > 0.99


# --------------------------------------------------------------------- classify


def r_type9(x: list[float], p: float) -> float:
    """R quantile type 9 by its definition (Hyndman & Fan 1996), independent of numpy."""
    xs, n = sorted(x), len(x)
    m = p / 4 + 3 / 8
    j = math.floor(n * p + m)
    g = n * p + m - j
    lo = xs[min(max(j, 1), n) - 1]
    hi = xs[min(max(j + 1, 1), n) - 1]
    return (1 - g) * lo + g * hi


def test_quantile_type9_matches_definition() -> None:
    x = [3.1, 7.4, 1.2, 9.9, 5.5, 2.2, 8.8, 4.4, 6.6, 10.5, 0.3]
    breaks = quantile_breaks(np.array(x), 5, 9)
    assert breaks == pytest.approx([r_type9(x, p) for p in (0, 0.2, 0.4, 0.6, 0.8, 1.0)])


def test_find_interval_all_inside() -> None:
    b = [0.0, 1.0, 2.0, 3.0]
    assert find_interval(np.array([0.0, 0.5, 1.0, 2.9, 3.0, 99.0, -5.0]), b).tolist() == [1, 1, 2, 3, 3, 3, 1]


def test_manual_classes_bounds_zero_and_no_value() -> None:
    spec = load_spec("mss2021").component[0].classification
    assert spec is not None
    c = classify(np.array([-1.0000001, -1.0, 1.0, 1.0000001, 1.5, 1.5000001, np.nan]), spec)
    assert c.codes.tolist() == [1, 2, 2, 3, 3, 4, None]
    assert c.labels.tolist()[-1] == "kein Wert"
    z = classify(
        np.array([0.0, 1.0, 2.0, 3.0, 4.0]), ClassificationSpec(method="quantile", k=2, zero_class=True)
    )
    assert z.codes.tolist()[0] == 0 and z.labels.tolist()[0] == "0"
    assert z.breaks[0] == 1.0  # the zero does not move the breaks


def test_manual_classes_must_tile() -> None:
    with pytest.raises(ValueError, match="beiden oder keiner"):
        ClassificationSpec(
            method="manual",
            classes=[
                ClassDef(code=1, label="a", upper=0, upper_inclusive=True),
                ClassDef(code=2, label="b", lower=0, lower_inclusive=True),
            ],
        )
    with pytest.raises(ValueError, match="Lücke"):
        ClassificationSpec(
            method="manual",
            classes=[ClassDef(code=1, label="a", upper=0), ClassDef(code=2, label="b", lower=1)],
        )


@pytest.mark.parametrize("method", ["equal_interval", "jenks", "stddev"])
def test_mapclassify_methods(method: str) -> None:
    x = np.array([1.0, 2.0, 2.5, 10.0, 11.0, 12.0, 30.0, 31.0, np.nan])
    c = classify(x, ClassificationSpec(method=method, k=3))
    codes = [v for v in c.codes.tolist() if v is not None]
    assert len(codes) == 8 and min(codes) >= 1
    assert codes == sorted(codes)  # monotone in the value
    if method == "jenks":
        assert codes == [1, 1, 1, 2, 2, 2, 3, 3]
    if method == "equal_interval":
        assert c.breaks == pytest.approx([11.0, 21.0, 31.0])


def test_series_scope_pools_periods() -> None:
    spec = parse_spec(
        """
id = "t"
name = "T"
period_column = "jahr"
[[component]]
id = "c"
name = "C"
standardize = "none"
inputs = [{ column = "x" }]
[component.classification]
method = "quantile"
k = 2
scope = "series"
""",
        "t",
    )
    import pandas as pd

    df = pd.DataFrame(
        {"id": ["a", "b", "a", "b"], "jahr": ["2020", "2020", "2021", "2021"], "x": [1.0, 2.0, 10.0, 20.0]}
    )
    res = apply_index(spec, df).table.sort_values(["period", "id"])
    assert res["c__class"].tolist() == [1, 1, 2, 2]  # 2020 all low against the pooled breaks


# ----------------------------------------------------------------------- MSS 2021

HEADER = (
    "ZEIT,PLR_ID,PLR_NAME,EW,BEZ_ID,"
    + ",".join(f"{k}{i},{k}{i}_SD_GR,{k}{i}_AG_GR" for k in "SD" for i in (1, 2, 3, 4))
    + ",KOM"
)


def mss_row(plr: str, name: str, ew: int, s: float, d: float, kom: str = "gültig") -> str:
    def block(v: float | None) -> str:
        return ",," if v is None else f"{v:g},1,1"

    if kom != "gültig":
        vals = ",".join(["-9999"] * 24)
    else:
        vals = ",".join([block(s), ",,", block(s), block(s), block(d), ",,", block(d), block(d)])
    name_field = f'"{name}"' if "," in name else name
    return f'202012,"{plr}",{name_field},{ew},"{plr[:2]}",{vals},{kom}'


def run_mss(tmp_path: Path, rows: list[str]) -> list[str]:
    src = write(tmp_path / "in.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    index_file("mss2021", src, tmp_path / "out.csv")
    return (tmp_path / "out.csv").read_text(encoding="utf-8").split("\n")


OUT_HEADER = "ZEIT,PLR_ID,PLR_NAME,EW,BEZ_ID,SI_N,SI_V,DI_N,DI_V,SDI,SDI_N,SDI_V,KOM"


def test_mss_layout_and_boundaries_at_1_5(tmp_path: Path) -> None:
    # S1 = S3 = S4 = 13, 7, 11, 9, 10: z = 1.5, -1.5, 0.5, -0.5, 0 exactly, and so the Status-Index
    rows = [
        mss_row("01100101", "Stülerstraße", 3419, 13, 0.4),
        mss_row("01100102", "Großer Tiergarten", 1791, 7, -0.2),
        mss_row("01100103", "Lützowstraße, Nord", 5000, 11, 0.1),
        mss_row("01100104", "Körnerstraße", 4000, 9, 0.0),
        mss_row("01100105", "Nördlicher Landwehrkanal", 3000, 10, -0.3),
        mss_row("03400831", "Pankower Tor", 0, 0, 0, kom="ungültig (EW unter 300)"),
        mss_row("10100205", "Gewerbegebiet Bitterfelder Straße", 1262, 0, 0, kom="ungültig (Ausreißer)"),
    ]
    out = run_mss(tmp_path, rows)
    assert out[0] == OUT_HEADER and out[-1] == "" and len(out) == 9
    first = out[1].split(",")
    assert first[:5] == ["202012", '"01100101"', "Stülerstraße", "3419", '"01"']
    assert first[5:7] == ["3", "niedrig"]  # exactly +1.5 → niedrig (1 < x ≤ 1.5)
    assert out[2].split(",")[5:7] == ["1", "hoch"]  # exactly −1.5 → hoch
    assert out[3].startswith('202012,"01100103","Lützowstraße, Nord",5000,"01",2,mittel,')
    assert out[6] == (
        '202012,"03400831",Pankower Tor,0,"03",-9999,Planungsraum ohne Zuordnung,-9999,'
        "Planungsraum ohne Zuordnung,Planungsraum ohne Zuordnung,-9999,"
        "Planungsraum ohne Zuordnung,ungültig (EW unter 300)"
    )
    assert out[7].endswith(",ungültig (Ausreißer)") and ",-9999," in out[7]
    dyn = zscore(np.array([0.4, -0.2, 0.1, 0.0, -0.3]))
    di = zscore(3 * dyn)
    expected = ["5" if v > 1 else "1" if v < -1 else "3" for v in di]
    import csv

    assert [r[7] for r in csv.reader(out[1:6])] == expected


def test_mss_exactly_plus_minus_one(tmp_path: Path) -> None:
    rows = [
        mss_row(f"0110010{i}", f"PLR {i}", 1000, s, d)
        for i, (s, d) in enumerate([(11, 1), (9, -1), (11, 1), (9, -1)], start=1)
    ]
    out = run_mss(tmp_path, rows)
    for line in out[1:5]:
        f = line.split(",")
        assert f[5:12] == ["2", "mittel", "3", "stabil", "2+/-", "23", '"Status mittel ']
        assert line.endswith('"Status mittel , Dynamik stabil",gültig')


def test_mss_just_above_boundaries(tmp_path: Path) -> None:
    # status 14, 6, 11, 9, 10 → z(14) = 4 / sqrt(6.8) = 1.534 > 1.5; dynamics z(3) = 1.5 > 1
    rows = [
        mss_row("0110010" + str(i), f"P{i}", 1000, s, d)
        for i, (s, d) in enumerate([(14, 3), (6, -3), (11, 1), (9, -1), (10, 0)], start=1)
    ]
    out = run_mss(tmp_path, rows)
    f1, f2 = out[1].split(","), out[2].split(",")
    assert f1[5:11] == ["4", "sehr niedrig", "5", "negativ", "4-", "45"]
    assert f2[5:11] == ["1", "hoch", "1", "positiv", "1+", "11"]
    assert out[1].endswith('"Status sehr niedrig , Dynamik negativ",gültig')


def test_mss_min_population_rule(tmp_path: Path) -> None:
    rows = [
        mss_row("01100101", "A", 299, 10, 1),
        mss_row("01100102", "B", 300, 11, 2),
        mss_row("01100103", "C", 1000, 12, 3),
        mss_row("01100104", "D", 1000, 13, 4),
    ]
    out = run_mss(tmp_path, rows)
    assert ",-9999,Planungsraum ohne Zuordnung," in out[1]  # 299 residents, although KOM says gültig
    assert ",-9999," not in out[2]


def test_mss_bad_input_named(tmp_path: Path) -> None:
    from planlabor.errors import InputError

    src = write(
        tmp_path / "in.csv",
        HEADER + "\n" + mss_row("01100101", "A", 1000, 1, 1).replace(",1,1,1,", ",x,1,1,", 1) + "\n",
    )
    with pytest.raises(InputError) as exc:
        index_file("mss2021", src, tmp_path / "o.csv")
    assert exc.value.column == "S1" and exc.value.row == 2
    with pytest.raises(InputError):
        index_file("mss2021", write(tmp_path / "x.csv", "ZEIT,PLR_ID\n202012,1\n"), tmp_path / "o.csv")


def test_cli_index_and_explain(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["index", "mss2021", "--explain"])
    assert r.exit_code == 0 and "−1 ≤ x ≤ 1" in r.output and "1 < x ≤ 1,5" in r.output
    src = write(
        tmp_path / "in.csv",
        HEADER
        + "\n"
        + "\n".join(mss_row(f"0110010{i}", f"P{i}", 1000, 10 + i, i) for i in range(1, 6))
        + "\n",
    )
    r = runner.invoke(cli, ["index", "mss2021", str(src), "--out", str(tmp_path / "o.csv")])
    assert r.exit_code == 0 and "s_Indizes_MSS2021_homogen" in r.output
    r = runner.invoke(cli, ["index", "gibtsnicht", str(src), "--out", str(tmp_path / "o.csv")])
    assert r.exit_code == 1 and "Vorlage" in r.output


def test_spec_validation() -> None:
    base = 'id = "x"\nname = "X"\n[[component]]\nid = "a"\nname = "A"\ninputs = [{column = "v"}]\n'
    with pytest.raises(ConfigError, match="Matrix braucht eine Klassifikation"):
        parse_spec(base + '[matrix]\nrows = "a"\ncols = "a"\n', "x")
    with pytest.raises(ConfigError, match="unbekannte Komponente"):
        parse_spec(base + '[total]\nname = "T"\ncomponents = ["a", "b"]\n', "x")
    assert "Status" in explain(load_spec("mss2021"))


# ---------------------------------------------------------------- other presets


def _gisd_frame(n: int = 60, seed: int = 3):  # type: ignore[no-untyped-def]
    import pandas as pd

    rng = np.random.default_rng(seed)
    dep = rng.normal(size=n)  # latent deprivation
    noise = lambda s: rng.normal(0, s, n)  # noqa: E731
    return pd.DataFrame(
        {
            "id": [f"{i:05d}" for i in range(n)],
            "name": [f"G{i}" for i in range(n)],
            "jahr": "2021",
            "einwohner": rng.integers(1000, 50000, n),
            "beschaeftigte_akademisch": 20 - 5 * dep + noise(1),
            "beschaeftigte_ohne_berufsabschluss": 12 + 3 * dep + noise(1),
            "schulabgaenger_ohne_abschluss": 6 + 2 * dep + noise(0.5),
            "arbeitslosenquote": 6 + 2 * dep + noise(0.3),
            "beschaeftigtenquote": 60 - 4 * dep + noise(1),
            "bruttoverdienst": np.exp(8 - 0.1 * dep + noise(0.02)),
            "einkommensteuer_je_ew": np.exp(6 - 0.2 * dep + noise(0.05)),
            "haushaltseinkommen": np.exp(7.5 - 0.1 * dep + noise(0.02)),
            "schuldnerquote": 9 + 2 * dep + noise(0.5),
        }
    ), dep


def test_gisd_preset() -> None:
    df, dep = _gisd_frame()
    t = apply_index(load_spec("gisd"), df).table
    for dom in ("bildung", "beschaeftigung", "einkommen"):
        assert t[dom].min() == 0.0 and t[dom].max() == 1.0  # rescaled per year
        assert np.corrcoef(t[dom], df["arbeitslosenquote"])[0, 1] > 0  # oriented like unemployment
    assert t["total"].min() == 0.0 and t["total"].max() == 1.0
    assert np.corrcoef(t["total"], dep)[0, 1] > 0.95
    assert sorted(t["total__class"].value_counts().tolist()) == [12, 12, 12, 12, 12]
    expected = sum(t[d] for d in ("bildung", "beschaeftigung", "einkommen"))
    assert np.allclose(t["total"], (expected - expected.min()) / (expected.max() - expected.min()))


def test_svi_preset_flags() -> None:
    import pandas as pd

    cols = [i.column for i in load_spec("svi").component[0].inputs]
    n = 11
    df = pd.DataFrame(
        {
            "id": [str(i) for i in range(n)],
            "name": "x",
            "jahr": "2021",
            **{c: np.arange(n, dtype=float) for c in cols},
        }
    )
    df["wohnflaeche_je_ew"] = -np.arange(n, dtype=float)  # lower floor space = more vulnerable
    t = apply_index(load_spec("svi"), df).table
    assert t["svi"].tolist() == [i / 10 for i in range(n)]
    assert t["svi__flags"].tolist()[-1] == len(cols) and t["svi__flags"].tolist()[0] == 0


def test_headline_preset_and_explain() -> None:
    import pandas as pd

    df = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "name": "x",
            "jahr": "2021",
            "sgb2_quote": [10.0, 20.0, 30.0],
            "arbeitslosenquote": [5.0, 5.0, 10.0],
            "kita_versorgung": [90.0, 50.0, 70.0],
        }
    )
    t = apply_index(load_spec("headline"), df).table
    assert t["leitindikator"].tolist() == pytest.approx([0.0, (0.5 + 0 + 1) / 3, (1 + 1 + 0.5) / 3])
    for name in ("gisd", "svi", "headline"):
        assert "Quelle:" in explain(load_spec(name))


# ------------------------------------------------------------- typology, sensitivity


def test_typology_recovers_groups_reproducibly() -> None:
    import pandas as pd

    from planlabor.indices.typology import typology

    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [5, 5], [0, 8]])
    sizes = [50, 30, 20]
    pts = np.vstack([c + rng.normal(0, 0.3, (n, 2)) for c, n in zip(centres, sizes, strict=True)])
    df = pd.DataFrame({"a": pts[:, 0], "b": pts[:, 1]})
    df.loc[3, "a"] = np.nan
    for method in ("kmeans", "ward"):
        r = typology(df, ["a", "b"], 3, method=method, seed=1, names={"a": "Merkmal A"})
        assert r.labels[3] is None
        assert r.profiles["gebiete"].tolist() == [49, 30, 20]  # numbered by size
        assert r.silhouette > 0.8
        again = typology(df, ["a", "b"], 3, method=method, seed=1)
        assert again.labels.tolist() == r.labels.tolist()
    assert "Typ 2 (30 Gebiete): überdurchschnittlich: Merkmal A" in r.descriptions[1]


def test_sensitivity_counts_class_changes() -> None:
    import pandas as pd

    from planlabor.indices.sensitivity import sensitivity

    spec = load_spec("mss2021")
    rng = np.random.default_rng(5)
    n = 200
    df = pd.DataFrame(
        {
            "ZEIT": "202012",
            "PLR_ID": [f"{i:08d}" for i in range(n)],
            "PLR_NAME": "x",
            "EW": 1000,
            "KOM": "gültig",
            **{c: rng.normal(10, 3, n) for c in ("S1", "S3", "S4")},
            **{c: rng.normal(0, 1, n) for c in ("D1", "D3", "D4")},
        }
    )
    res = sensitivity(spec, df, "status")
    assert len(res) == 9  # 3 inputs × (+20 %, −20 %, left out)
    assert (res["gebiete"] == n).all()
    assert ((res["anteil_klassenwechsel"] >= 0) & (res["anteil_klassenwechsel"] <= 1)).all()
    # by hand: S1 left out
    z = lambda v: (v - v.mean()) / v.std(ddof=0)  # noqa: E731
    manual = z(z(df["S3"]) + z(df["S4"]))
    base = z(z(df["S1"]) + z(df["S3"]) + z(df["S4"]))
    cls = lambda x: np.select([x < -1, x <= 1, x <= 1.5], [1, 2, 3], 4)  # noqa: E731
    expected = int((cls(manual) != cls(base)).sum())
    row = res[(res["indikator"] == "S1") & (res["aenderung"] == "weggelassen")].iloc[0]
    assert row["klassenwechsel"] == expected


def test_catalog_index_computed_and_exported(grid_ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from planlabor.io.export import ExportOptions
    from planlabor.io.importer import ImportOptions

    cat = grid_ws.root / "catalog.toml"
    cat.write_text(
        cat.read_text(encoding="utf-8")
        + """
[[index]]
id = "leit"
name = "Leitindex"
layer = "gebiet"
preset = "headline"
[index.inputs]
sgb2_quote = "sgb2_quote"
arbeitslosenquote = "anteil_kinder"
kita_versorgung = "einwohner"
""",
        encoding="utf-8",
    )
    grid_ws.import_table(
        write(tmp_path / "d.csv", "id;ew;kinder;sgb2\nA1;100;10;5\nA2;300;60;30\nA3;50;5;1\nA4;80;4;8\n"),
        ImportOptions(layer="gebiet", period="2021"),
    )
    report = grid_ws.compute()
    assert report.indices["leit"] == 8  # index and class for 4 areas
    got = grid_ws.store.indicator_values("gebiet", ["leit_leitindikator"]).set_index("area_id")["value"]
    direct = apply_index(
        load_spec("headline"),
        pd.DataFrame(
            {
                "id": ["A1", "A2", "A3", "A4"],
                "jahr": "2021",
                "sgb2_quote": [5.0, 10.0, 2.0, 10.0],
                "arbeitslosenquote": [10.0, 20.0, 10.0, 5.0],
                "kita_versorgung": [100.0, 300.0, 50.0, 80.0],
            }
        ),
    ).table
    assert got.loc[["A1", "A2", "A3", "A4"]].tolist() == pytest.approx(direct["leitindikator"].tolist())
    out = tmp_path / "e.csv"
    grid_ws.export(
        ExportOptions(layer="gebiet", out=out, indicators=["leit_leitindikator", "leit_leitindikator_klasse"])
    )
    assert "leit_leitindikator_klasse" in out.read_text(encoding="utf-8")


def test_dynamics_as_change_over_periods() -> None:
    import pandas as pd

    spec = parse_spec(
        """
id = "dyn"
name = "Dynamik"
id_column = "id"
period_column = "stichtag"
[[component]]
id = "d"
name = "Dynamik"
standardize = "none"
combine = "sum"
inputs = [{ column = "alo", change_periods = 2 }]
""",
        "d",
    )
    df = pd.DataFrame(
        {
            "id": ["a", "b"] * 3,
            "stichtag": ["2018-12-31"] * 2 + ["2019-12-31"] * 2 + ["2020-12-31"] * 2,
            "alo": [10.0, 5.0, 11.0, 5.5, 12.5, 4.0],
        }
    )
    t = apply_index(spec, df).table
    last = t[t["period"] == "2020-12-31"].set_index("id")["d"]
    assert last.to_dict() == {"a": 2.5, "b": -1.0}  # percentage points over two years
    assert t[t["period"] == "2019-12-31"]["d"].isna().all()  # no value two periods earlier


def test_gisd_higher_level_weighted_and_rescaled() -> None:
    import pandas as pd

    from planlabor.indices.aggregate import aggregate_scores

    scores = pd.DataFrame(
        {
            "id": ["g1", "g2", "g3", "g4"],
            "period": "2021",
            "total": [0.0, 1.0, 0.5, 0.5],
            "population": [100.0, 300.0, 50.0, 50.0],
        }
    )
    out = aggregate_scores(scores, {"g1": "k1", "g2": "k1", "g3": "k2", "g4": "k2"}).set_index("id")
    # k1 = (0·100 + 1·300) / 400 = 0.75, k2 = 0.5 → rescaled: k1 = 1, k2 = 0
    assert out.loc["k1", "score"] == 1.0 and out.loc["k2", "score"] == 0.0
    raw = aggregate_scores(scores, {"g1": "k1", "g2": "k1", "g3": "k2", "g4": "k2"}, rescale=False)
    assert raw.set_index("id").loc["k1", "score"] == 0.75


def test_result_rows_keep_input_order_across_periods() -> None:
    import pandas as pd

    spec = parse_spec(
        'id = "o"\nname = "O"\nperiod_column = "jahr"\n[[component]]\nid = "c"\nname = "C"\n'
        'inputs = [{ column = "x" }]\n',
        "o",
    )
    df = pd.DataFrame(
        {"id": ["a", "b", "c", "d"], "jahr": ["2021", "2020", "2021", "2020"], "x": [1.0, 5.0, 3.0, 7.0]}
    )
    t = apply_index(spec, df).table
    assert t["id"].tolist() == ["a", "b", "c", "d"]
    assert t["c"].tolist() == pytest.approx([-1.0, -1.0, 1.0, 1.0])  # standardised within each period
