"""The Berlin demo builds from shipped data and writes its exports."""

from pathlib import Path

import pandas as pd
import pytest

from planlabor.demo import build_demo
from planlabor.errors import WorkspaceError
from planlabor.workspace import Workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return build_demo(tmp_path_factory.mktemp("d") / "demo")


def test_demo_layers_and_hierarchy(demo: dict) -> None:
    with Workspace.open(demo["root"]) as ws:
        counts = {r["layer"]: (r["areas"], r["with_parent"]) for r in ws.status()["layers"]}
        assert counts == {
            "stadt": (1, 0),
            "bezirk": (12, 12),
            "pgr": (58, 58),
            "bzr": (143, 143),
            "plr": (542, 542),
            "plr2006": (448, 0),
            # the D-A-CH comparison view on NUTS 3
            "staat": (3, 0),
            "nuts2": (54, 54),
            "nuts3": (462, 462),
        }
        periods = next(o for o in ws.status()["observations"] if o["layer"] == "plr")["periods"]
        assert periods[0] == "2019-12-31" and "2021-06-30" in periods and "2025-12-31" in periods
        assert periods[-1] == "2040-12-31"  # the projection
        assert demo["ambiguous_pgr"] == []
        assert demo["kitas"] == 2880


def test_demo_exports(demo: dict) -> None:
    out = Path(demo["exports"])
    names = {p.name for p in out.iterdir()}
    assert {
        "plr_intern.csv",
        "plr_oeffentlich_excel.csv",
        "bzr_oeffentlich.xlsx",
        "plr_2024-12-31_oeffentlich.geojson",
        "plr_2024-12-31_oeffentlich.gpkg",
    } <= names
    intern = pd.read_csv(out / "plr_intern.csv", dtype={"area_id": str}, low_memory=False)
    row = intern[(intern["area_id"] == "01100101") & (intern["period"] == "2021-12-31")].iloc[0]
    assert row["einwohner"] == 3406
    public = (out / "plr_oeffentlich_excel.csv").read_text(encoding="utf-8-sig")
    assert "Kinder unter 1 Jahr" not in public  # internal indicator
    assert "kinder_unter_1" in intern.columns  # but in the internal export


def test_demo_public_outputs_pass_the_audit(demo: dict) -> None:
    """Done when (issue 14): the audit finds no disclosed cell in any public output of the demo."""
    from planlabor.testing import assert_confidential, assert_no_missing_as_text

    out = Path(demo["exports"])
    public = sorted(p for p in out.iterdir() if "oeffentlich" in p.name)
    assert len(public) >= 8
    with Workspace.open(demo["root"]) as ws:
        rep = assert_confidential(ws, *public)
        assert_no_missing_as_text(ws)  # every file the demo imports: no empty cell stored as "nan"
    assert int(rep.findings["sensitive"].sum()) > 100 and "Datei" in " ".join(rep.sources)


def test_demo_refuses_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "wichtig.txt").write_text("nicht löschen")
    with pytest.raises(WorkspaceError):
        build_demo(tmp_path / "x")
    assert (tmp_path / "x" / "wichtig.txt").exists()


def test_demo_index_typology_sensitivity(demo: dict) -> None:
    import numpy as np

    from planlabor.indices.standardize import zscore

    out = Path(demo["exports"])
    with Workspace.open(demo["root"]) as ws:
        idx = ws.store.indicator_values(
            "plr", ["armutsindex_status", "armutsindex_status_klasse"], ["2020-12-31"]
        ).pivot(index="area_id", columns="indicator_id", values="value")
        ki = ws.store.observations("plr", ["KI_01", "KI_02", "KI_03", "KI_07"], ["2020-12-31"]).pivot(
            index="area_id", columns="variable", values="value"
        )
        ok = ki.notna().all(axis=1)
        expected = zscore(sum(zscore(ki.loc[ok, c].to_numpy()) for c in ki.columns))
        assert np.allclose(idx.loc[ok[ok].index, "armutsindex_status"].to_numpy(), expected)
        assert idx["armutsindex_status"].isna().sum() == 6  # the six PLR published as invalid
        typ = ws.store.observations("plr", ["typ_kontext"]).dropna(subset=["value"])
        assert sorted(typ["value"].unique().tolist()) == [1.0, 2.0, 3.0, 4.0, 5.0]
        assert "typology" in ws.imports()["kind"].tolist()
    sens = pd.read_csv(out / "sensitivitaet_armutsindex.csv")
    assert len(sens) == 12 and (sens["gebiete"] == 536).all()
    assert "Typ 1" in (out / "typologie_profile.txt").read_text(encoding="utf-8")
    public = pd.read_csv(out / "plr_oeffentlich_excel.csv", sep=";", encoding="utf-8-sig", dtype=str)
    assert "Armutsindex (Kontextindikatoren, MSS-Verfahren): Armutsstatus (Index)" in public.columns


def test_demo_rebase_and_segregation(demo: dict) -> None:
    err = demo["rebase_error"]
    assert err["total_rebased"] == err["total_actual"] == 3_769_962
    assert err["mape"] < 0.025 and err["within_5pct"] > 0.9
    assert demo["segregation"]["2021-12-31"] == pytest.approx(0.2367, abs=1e-4)
    assert demo["segregation"]["2024-12-31"] == pytest.approx(0.2108, abs=1e-4)
    with Workspace.open(demo["root"]) as ws:
        series = ws.store.indicator_values("plr", ["einwohner"]).query("area_id == '01100101'")
        periods = sorted(series["period"])
        assert periods[0] == "2019-12-31" and periods[-1] == "2024-12-31"
        flags = dict(zip(series["period"], series["flag"], strict=True))
        assert flags["2019-12-31"] == "geschaetzt" and not isinstance(flags["2024-12-31"], str)


def test_demo_kita_plan_and_coverage(demo: dict) -> None:
    t = demo["kita_plan"]
    assert t["kinder_u3"] == 98_006 and t["kinder_ue3"] == 110_932  # register 31.12.2024, fine bands
    assert t["versorgungsquote"] == pytest.approx(t["nutzbare_plaetze"] / (98_006 + 110_932) * 100)
    assert t["fehlplaetze_u3_50"] > 0 and t["saldo_u3_50"] > 0  # local shortfalls despite a city surplus
    assert 0.85 < demo["kita_share_500m"] < 0.97
    assert 0.2 < demo["moran_ki02"] < 0.35


def test_demo_projection_and_demand(demo: dict) -> None:
    p = demo["projection"]
    assert p["areas"] == 540  # two PLR are anonymised in the 2025 register extract
    assert 3_700_000 < p["ew_2040"] < 4_700_000
    assert set(p["kita_fehlplaetze_u3_50"]) == {f"{y}-12-31" for y in range(2026, 2031)}
    assert all(v > 0 for v in p["kita_fehlplaetze_u3_50"].values())
    assert 0 < p["pflegebeduerftige_2040"] < 400_000
    exports = Path(demo["exports"])
    t = pd.read_csv(exports / "kita_bedarfsplan_prognose_2026-2030.csv", dtype={"area_id": str})
    assert len(t) == 5 * 542 and t["stichtag"].nunique() == 5  # anonymised PLR: places, no children
    assert t["u3"].isna().sum() == 5 * 2
    with Workspace.open(Path(demo["root"]), read_only=True) as ws:  # the demo's store, either backend
        n = ws.store.query_df(
            "SELECT count(*) AS n FROM indicator_values WHERE indicator_id = 'prog_intern_u3' AND layer_id = 'bezirk'"
        )["n"][0]
    assert n == 12 * 15  # computed as catalog indicator on every level


def test_demo_writes_the_reports(demo: dict) -> None:
    folder = Path(demo["exports"]) / "berichte"
    assert (folder / "sozialbericht.pdf").read_bytes()[:5] == b"%PDF-"
    assert "Sozialbericht" in (folder / "sozialbericht.html").read_text(encoding="utf-8")
    assert (folder / "methodenanhang.pdf").stat().st_size > 10_000
    profiles = sorted((folder / "profile").glob("*.html"))
    assert len(profiles) == 542
    assert "Sozialraumprofil Stülerstraße" in (
        folder / "profile" / "sozialraumprofil_plr_01100101.html"
    ).read_text(encoding="utf-8")


def test_demo_fachthemen(demo: dict) -> None:
    """The demo's Fachthemen: measure with effect estimate, invented Kita controlling, action
    plan, D-A-CH comparison on NUTS 3 – each as an HTML report."""
    folder = Path(demo["exports"]) / "berichte"
    wirkung = (folder / "wirkung_M01.html").read_text(encoding="utf-8")
    assert "Gropiusstadt" in wirkung and "Konfidenzintervall" in wirkung and "<svg" in wirkung
    ctrl = (folder / "controlling_kita.html").read_text(encoding="utf-8")
    assert "Erfundene Beispielzahlen" in ctrl and "Kindertagesbetreuung" in ctrl
    assert {r["ampel"] for r in demo["controlling"]["ampel"]} <= {"gruen", "gelb", "rot"}
    vergleich = (folder / "vergleich_berlin_nuts3.html").read_text(encoding="utf-8")
    assert "Wien" in vergleich and "Schweiz" in vergleich and "Harmonisierung" in vergleich
    ap = (folder / "aktionsplan_unbrk.html").read_text(encoding="utf-8")
    assert "Überfällige Maßnahmen" in ap and "(Beispiel)" in ap
    assert demo["dach"]["layers"] == {"nuts2": 54, "staat": 3, "nuts3": 462}
    jh = pd.read_excel(folder / "datenanforderung_inklusion.xlsx", skiprows=2, engine="calamine").set_index(
        "Variable"
    )
    assert jh.loc["kita_anzahl", "Vorhanden"] == "ja" and jh.loc["schwerbehinderte", "Vorhanden"] == "nein"
    lo, hi = demo["effect"]["ci"]
    assert lo <= demo["effect"]["estimate"] <= hi


def test_demo_gallery_beside_the_atlas(demo: dict) -> None:
    """What 'make demo' adds after the atlas: the seeded gallery in galerie/ (issue 20)."""
    from planlabor.exchange.model import read_dossier
    from planlabor.exchange.seed import demo_gallery

    root = Path(demo["root"])
    g = demo_gallery(root)
    assert g.dossiers == 11 and (root / "galerie" / "index.html").exists()
    berlin = root / "galerie" / "dossiers" / "berlin-sozialmonitoring"
    d = read_dossier(berlin)
    assert d.visitation[0].bewertung["methode"] == 5 and d.inhalt["bericht"] == "bericht.pdf"
    # the public report of the demo is the one in the dossier
    assert (berlin / "bericht.pdf").read_bytes() == (
        root / "exporte" / "berichte" / "sozialbericht.pdf"
    ).read_bytes()
    assert "Kinderarmut" in (root / "galerie" / "vergleich.html").read_text(encoding="utf-8")
