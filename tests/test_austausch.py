"""Austausch (issue 20): dossier export → gallery → adopt into a fresh workspace; template diff;
Visitation; position papers; no internal value in any dossier file."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from planlabor.areas import AreaImportOptions
from planlabor.cli import cli
from planlabor.errors import InputError, WorkspaceError
from planlabor.exchange.compare import age_limits, concept_of, mark_differences
from planlabor.exchange.diff import changelog_entry, diff_templates
from planlabor.exchange.dossier import export_dossier, export_position_paper
from planlabor.exchange.gallery import build_gallery
from planlabor.exchange.model import (
    Description,
    Visitation,
    add_visitation,
    read_description,
    read_dossier,
    write_description,
)
from planlabor.io.importer import ImportOptions
from planlabor.workspace import Workspace
from tests.conftest import write

TOWN_CATALOG = """
themes = ["Familienarmut"]

[[indicator]]
id = "einwohner"
name = "Einwohner:innen"
theme = "Familienarmut"
numerator = ["ew"]
decimals = 0

[[indicator]]
id = "kinderarmut_u15"
name = "SGB-II-Quote unter 15-Jährige"
theme = "Familienarmut"
unit = "%"
numerator = ["sgb2_unter_15"]
denominator = ["ew_unter_15"]
factor = 100
min_count = 3
source = "Bundesagentur für Arbeit"

[[indicator]]
id = "geheimer_wert"
name = "Interne Fallzahl"
theme = "Familienarmut"
numerator = ["geheim"]
public = false

[[variable]]
id = "sgb2_unter_15"
name = "Nicht erwerbsfähige Leistungsberechtigte unter 15 Jahren"
supplier = "Bundesagentur für Arbeit, Statistik-Service"
"""
# planted internal values: the unpublished variable and a small count that is suppressed
SECRETS = ["918273", "827364", "736455", "645546", "918.273", "827.364", "918 273"]
DATA = (
    "id;ew;ew_unter_15;sgb2_unter_15;geheim\n"
    "A1;1237;211;2;918273\nA2;2345;302;61;827364\nA3;3456;403;88;736455\nA4;4567;504;97;645546\n"
)
SUPPRESSED = 2 / 211 * 100  # A1's quota: below the minimum count, never published


def _town(root: Path, catalog: str | None, data: str = DATA) -> Workspace:
    """A small town (4 areas in 2 districts) with the same data in every workspace."""
    ws = Workspace.init(root, name=root.name, municipality="Musterstadt", catalog_text=catalog)
    x0, y0 = 390000, 5820000
    geo = root.parent / f"{root.name}-geo"
    geo.mkdir()
    gpd.GeoDataFrame(
        {"id": ["D1", "D2"], "name": ["Nord", "Süd"]},
        geometry=[box(x0, y0, x0 + 2000, y0 + 1000), box(x0 + 2000, y0, x0 + 4000, y0 + 1000)],
        crs="EPSG:25833",
    ).to_file(geo / "bezirke.gpkg")
    gpd.GeoDataFrame(
        {
            "id": ["A1", "A2", "A3", "A4"],
            "name": ["Au", "Berg", "Chor", "Dorf"],
            "bez": ["D1", "D1", "D2", "D2"],
        },
        geometry=[box(x0 + i * 1000, y0, x0 + (i + 1) * 1000, y0 + 1000) for i in range(4)],
        crs="EPSG:25833",
    ).to_file(geo / "gebiete.gpkg")
    ws.import_areas(
        geo / "bezirke.gpkg", AreaImportOptions(layer="bezirk", id_column="id", name_column="name")
    )
    ws.import_areas(
        geo / "gebiete.gpkg",
        AreaImportOptions(
            layer="gebiet", id_column="id", name_column="name", parent_layer="bezirk", parent_column="bez"
        ),
    )
    ws.import_table(write(geo / "daten.csv", data), ImportOptions(layer="gebiet", period="2024-12-31"))
    ws.compute()
    return ws


DESC = """
titel = "Kinderarmut in Musterstadt"
kommune = "Musterstadt"
land = "AT"
raumtyp = "Mittelstadt"
methoden = ["Indikatorenkatalog"]
zusammenfassung = "Kinderarmut je Gebiet."
[beschreibung]
ziel = "Kinderarmut kleinräumig sehen."
beteiligung = "Jugendamt und Träger."
[kontakt]
stelle = "Sozialplanung"
"""


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return _town(tmp_path_factory.mktemp("quelle") / "musterstadt", TOWN_CATALOG)


@pytest.fixture(scope="module")
def town_dossier(town: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dossiers")
    desc = read_description(write(folder / "beschreibung.toml", DESC))
    rep = export_dossier(town, folder / "musterstadt", desc, report=True, atlas=True)
    assert rep.parts == ["atlas", "bericht", "vorlage"] and rep.indicators == 3
    (folder / "beschreibung.toml").unlink()
    return folder / "musterstadt"


def _values(ws: Workspace, ids: list[str]) -> dict[tuple[str, str], float]:
    df = ws.store.query_df(
        "SELECT area_id, indicator_id, value FROM indicator_values WHERE layer_id = 'gebiet'"
    )
    df = df[df["indicator_id"].isin(ids)]
    return {(r.area_id, r.indicator_id): round(float(r.value), 9) for r in df.itertuples()}


def test_round_trip_export_gallery_adopt(town: Workspace, town_dossier: Path, tmp_path: Path) -> None:
    d = read_dossier(town_dossier)
    assert d.titel == "Kinderarmut in Musterstadt" and d.land == "AT" and d.themen == ["Familienarmut"]
    assert d.beschreibung["beteiligung"] == "Jugendamt und Träger."
    assert d.geheimhaltung["ergebnis"] == "geprüft"  # the audit of issue 14 passed on the folder
    assert (town_dossier / "bericht.pdf").read_bytes()[:4] == b"%PDF"
    assert (town_dossier / "atlas" / "index.html").exists()
    site = tmp_path / "site"
    rep = build_gallery(town_dossier.parent, site)
    assert rep.dossiers == 1 and (site / "dossiers" / "musterstadt" / "vorlage.toml").exists()
    page = (site / "dossiers" / "musterstadt" / "index.html").read_text(encoding="utf-8")
    assert "Kinderarmut kleinräumig sehen." in page and "Österreich" in page
    assert 'href="bericht.pdf"' in page and 'href="atlas/index.html"' in page
    # a planner elsewhere: same data, empty catalog, one command from the gallery's copy
    target = _town(tmp_path / "andere", None)
    assert _values(target, ["kinderarmut_u15"]) == {}
    res = CliRunner().invoke(
        cli, ["--workspace", str(target.root), "template", "import", str(site / "dossiers" / "musterstadt")]
    )
    assert res.exit_code == 0, res.output
    assert "berechenbar mit den vorhandenen Daten: 3" in res.output
    assert "alle benötigten Variablen sind vorhanden" in res.output
    target.close()
    adopted = Workspace.open(tmp_path / "andere")
    adopted.compute()
    ids = ["einwohner", "kinderarmut_u15", "geheimer_wert"]
    assert _values(adopted, ids) == _values(town, ids) and len(_values(adopted, ids)) == 12
    adopted.close()


def test_adopt_lists_the_data_to_request(town_dossier: Path, tmp_path: Path) -> None:
    target = _town(tmp_path / "teil", None, data="id;ew\nA1;10\nA2;20\nA3;30\nA4;40\n")
    root = target.root
    target.close()
    res = CliRunner().invoke(cli, ["--workspace", str(root), "template", "import", f"{town_dossier}/"])
    assert res.exit_code == 0, res.output
    assert "es fehlen für kinderarmut_u15: sgb2_unter_15, ew_unter_15" in res.output
    assert "Datenanforderung (3 Variablen fehlen)" in res.output
    assert "[ ] sgb2_unter_15: Nicht erwerbsfähige Leistungsberechtigte unter 15 Jahren " in res.output
    assert "(Bundesagentur für Arbeit, Statistik-Service)" in res.output
    xlsx = root / "datenanforderung_kinderarmut_in_musterstadt.xlsx"
    assert xlsx.exists() and str(xlsx) in res.output


def _text_of(path: Path) -> str:
    if path.suffix == ".pdf":
        return subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    return path.read_bytes().decode("utf-8", errors="replace")


def test_no_internal_value_reaches_a_dossier(town: Workspace, town_dossier: Path) -> None:
    # the planted values are in the store ...
    raw = town.store.query_df("SELECT value FROM observations WHERE variable = 'geheim'")["value"]
    assert sorted(raw.astype(int).astype(str)) == sorted(SECRETS[:4])
    files = [p for p in town_dossier.rglob("*") if p.is_file() and "vendor" not in p.parts]
    assert len(files) > 5
    texts = {p: _text_of(p) for p in files}
    assert "SGB-II-Quote unter 15-Jährige" in texts[town_dossier / "bericht.pdf"]  # the text is readable
    suppressed = [f"{SUPPRESSED:.4f}", f"{SUPPRESSED:.4f}".replace(".", ","), repr(SUPPRESSED)[:8]]
    for path, text in texts.items():
        for secret in SECRETS + suppressed:
            assert secret not in text, f"{secret} steht in {path}"
    # ... and the atlas snapshot has A1's quota (and its sibling A2, secondary) only as suppressed
    js = (town_dossier / "atlas" / "data" / "values_gebiet.js").read_text(encoding="utf-8")
    payload = json.loads(js[js.index(",") + 1 : js.rindex(")")])
    assert "geheimer_wert" not in js
    text = json.dumps(payload)
    assert f"{SUPPRESSED:.2f}" not in text and "918273" not in text


def test_dossier_export_refuses_a_foreign_folder(town: Workspace, tmp_path: Path) -> None:
    write(tmp_path / "fremd" / "notiz.txt", "x")
    with pytest.raises(WorkspaceError, match="kein Dossier"):
        export_dossier(town, tmp_path / "fremd", Description(titel="X"), report=False, atlas=False)
    assert (tmp_path / "fremd" / "notiz.txt").exists()
    form = Description(titel="Y", land="CH", beschreibung={"ziel": "z"}, kontakt={"email": "a@b.ch"})
    assert read_description(write_description(form, tmp_path / "form.toml")) == form  # the Werkstatt form
    with pytest.raises(InputError, match=r"ungültig: unbekannte Abschnitte \['ziell'\]"):
        read_description(write(tmp_path / "b.toml", 'titel = "X"\n[beschreibung]\nziell = "y"\n'))


def test_visitation_stored_and_shown(town_dossier: Path, tmp_path: Path) -> None:
    import shutil
    from datetime import date

    folder = tmp_path / "dossiers" / "m"
    shutil.copytree(town_dossier, folder)
    review = Visitation(
        gutachter="K. Beispiel",
        institution="Sozialplanung Nachbarstadt",
        datum=date(2025, 6, 30),
        bewertung={"datenbasis": 4, "methode": 5, "uebertragbarkeit": 3},
        kommentar={"methode": "Definitionen offen gelegt."},
        fazit="Übertragbar.",
    )
    add_visitation(folder, review)
    assert read_dossier(folder).visitation == [review]
    raw = tomllib.loads((folder / "dossier.toml").read_text(encoding="utf-8"))
    assert raw["visitation"][0]["bewertung"]["methode"] == 5
    build_gallery(tmp_path / "dossiers", tmp_path / "site")
    page = (tmp_path / "site" / "dossiers" / "m" / "index.html").read_text(encoding="utf-8")
    assert "Begutachtet von K. Beispiel (Sozialplanung Nachbarstadt) am 30.06.2025" in page
    assert re.search(
        r"<th scope=\"row\">Methode</th><td>5 \(vorbildlich\)</td><td>Definitionen offen gelegt.", page
    )
    with pytest.raises(ValueError, match="Bewertung methode = 7"):
        Visitation(gutachter="x", datum=date(2025, 1, 1), bewertung={"methode": 7})


def test_template_diff_and_changelog(town: Workspace, tmp_path: Path) -> None:
    a = town.export_template(tmp_path / "v1.toml", version="1.0")
    text = a.read_text(encoding="utf-8").replace(
        'denominator = [\n    "ew_unter_15",\n]', 'denominator = [\n    "ew_unter_18",\n]'
    )
    text = text.replace('version = "1.0"', 'version = "2.0"')
    assert "ew_unter_18" in text
    b = write(tmp_path / "v2.toml", text)
    d = diff_templates(a, b)
    assert [(c.kind, c.id, c.what) for c in d.changes] == [("Indikator", "kinderarmut_u15", "geändert")]
    assert d.changes[0].fields == [("denominator", ["ew_unter_15"], ["ew_unter_18"])]
    entry = changelog_entry(d)
    assert entry.startswith("## Version 2.0 (") and "Nenner: ew_unter_15 → ew_unter_18" in entry
    res = CliRunner().invoke(
        cli, ["template", "diff", str(a), str(b), "--changelog", str(tmp_path / "CHANGELOG.md")]
    )
    assert res.exit_code == 0, res.output
    assert (
        "~ Indikator kinderarmut_u15: geändert" in res.output
        and "Nenner: ew_unter_15 → ew_unter_18" in res.output
    )
    assert "### Geändert" in (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    same = CliRunner().invoke(cli, ["template", "diff", "familienarmut", "familienarmut"])
    assert "keine Unterschiede" in same.output


def test_position_paper_is_adoptable(tmp_path: Path, ws: Workspace) -> None:
    desc = Description.model_validate(
        {
            "titel": "Kinderarmut messen",
            "art": "positionspapier",
            "empfehlung": [{"titel": "U15", "text": "…", "indikatoren": ["fa_sgb2_quote_u15"]}],
        }
    )
    rep = export_position_paper(desc, ["familienarmut"], tmp_path / "papier")
    assert rep.indicators == 1
    tpl = tomllib.loads((tmp_path / "papier" / "vorlage.toml").read_text(encoding="utf-8"))
    assert [i["id"] for i in tpl["indicator"]] == ["fa_sgb2_quote_u15"]
    assert {v["id"] for v in tpl["variable"]} == {"sgb2_nef_unter_15", "einwohner_unter_15"}
    r = ws.import_template(tmp_path / "papier")
    assert r.indicators == 1 and "fa_sgb2_quote_u15" in ws.catalog().ids()
    with pytest.raises(InputError, match="stehen in keiner Quelle: gibt_es_nicht"):
        bad = desc.model_dump() | {"empfehlung": [{"titel": "x", "indikatoren": ["gibt_es_nicht"]}]}
        export_position_paper(Description.model_validate(bad), ["familienarmut"], tmp_path / "p2")


def test_concepts_and_differences() -> None:
    u15 = {
        "id": "fa_sgb2_quote_u15",
        "name": "SGB-II-Quote unter 15-Jährige",
        "numerator": ["sgb2_nef_unter_15"],
    }
    assert concept_of(u15) == "Kinderarmut" and age_limits(u15) == "unter 15"
    assert concept_of({"id": "x", "name": "Anteil 6- bis unter 15-Jährige"}) is None
    assert concept_of({"id": "ki_03", "name": "Altersarmut"}) == "Altersarmut"
    assert concept_of({"id": "ki_01", "name": "Jugendarbeitslosigkeit"}) == "Jugendarbeitslosigkeit"
    assert concept_of({"id": "x", "name": "Beliebig"}, {"x": "Kinderarmut"}) == "Kinderarmut"
    assert (
        age_limits({"name": "Einwohner 15 bis unter 65", "numerator": ["ew_65_plus"]})
        == "15 bis unter 65, ab 65"
    )
    assert mark_differences(["a", "a", "b"]) == [False, False, True]
    assert mark_differences(["a", "b", "c"]) == [True, True, True]
    assert mark_differences(["a", "a"]) == [False, False]


def test_gallery_search_index_and_lists(tmp_path: Path) -> None:
    from planlabor.exchange.seed import build_seed

    reps = build_seed(tmp_path / "dossiers", themes=["familienarmut", "armut", "dach"])
    assert len(reps) == 4
    r = build_gallery(tmp_path / "dossiers", tmp_path / "site")
    assert r.dossiers == 4
    js = (tmp_path / "site" / "suche.js").read_text(encoding="utf-8")
    entries = json.loads(js[js.index("=") + 1 : js.rindex(";")])
    paper = next(e for e in entries if e["id"] == "positionspapier-kinderarmut")
    assert paper["facets"]["art"] == ["positionspapier"] and "fa_sgb2_quote_u15" in paper["text"]
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in index and 'src="suche.js"' in index
    assert '<option value="vorlage">Fachvorlage (3)</option>' in index
    checklist = (tmp_path / "site" / "planlabor.html").read_text(encoding="utf-8")
    assert "Welche Daten" in checklist and "Bundesagentur für Arbeit" in checklist
    with pytest.raises(WorkspaceError, match="keine früher gebaute Galerie"):
        build_gallery(tmp_path / "dossiers", tmp_path / "dossiers")


@pytest.mark.slow
def test_seed_dossier_of_the_berlin_demo(berlin: Workspace, tmp_path: Path) -> None:
    from planlabor.exchange.seed import build_seed, seed_file

    desc = read_description(seed_file("berlin.toml"))
    rep = export_dossier(berlin, tmp_path / "dossiers" / "berlin", desc, report=False)
    assert rep.parts == ["atlas", "vorlage"] and "Index (mss2021)" not in read_dossier(rep.out).methoden
    build_seed(tmp_path / "dossiers", themes=["armut", "familienarmut"])
    r = build_gallery(tmp_path / "dossiers", tmp_path / "site")
    assert r.dossiers == 4 and r.comparisons >= 2
    page = (tmp_path / "site" / "vergleich.html").read_text(encoding="utf-8")
    # Berlin publishes Altersarmut as a ready quota (MSS KI 3), the template computes it from counts
    alters = page[
        page.index('id="begriff-altersarmut"') : page.index(
            'id="begriff-', page.index('id="begriff-altersarmut"') + 5
        )
    ]
    assert (
        "Berlin: Sozialmonitoring Berlin (Demo) (ki_03)" in alters
        and "am_grundsicherung_alter_quote" in alters
    )
    assert '<td class="ab">' in alters and "einwohner_65_plus" in alters
    atlas = tmp_path / "site" / "dossiers" / "berlin" / "atlas" / "data"
    assert "kinder_unter_1" not in "".join(p.read_text(encoding="utf-8") for p in atlas.glob("*.js"))


def test_commands_dossier_visitation_galerie(tmp_path: Path) -> None:
    town = _town(tmp_path / "stadt", TOWN_CATALOG)
    town.close()  # the command opens it read-only
    run = CliRunner()
    res = run.invoke(cli, ["dossier", "beschreibung", "--out", str(tmp_path / "b.toml")])
    assert (
        res.exit_code == 0 and read_description(tmp_path / "b.toml").titel == "Sozialmonitoring Musterstadt"
    )
    ws = ["--workspace", str(town.root)]
    out = tmp_path / "dossiers" / "m"
    res = run.invoke(cli, [*ws, "dossier", "export", "--beschreibung", str(tmp_path / "b.toml"), "--ohne-bericht",
                           "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Teile: atlas, vorlage" in res.output and "Geheimhaltung: " in res.output
    blank = run.invoke(cli, ["dossier", "visitation", "--vorlage"]).output
    res = run.invoke(
        cli, ["dossier", "visitation", str(out), "--datei", str(write(tmp_path / "v.toml", blank))]
    )
    assert res.exit_code == 0 and "(1 insgesamt)" in res.output
    bad = run.invoke(
        cli, ["dossier", "visitation", str(out), "--datei", str(write(tmp_path / "w.toml", "x = 1\n"))]
    )
    assert bad.exit_code == 1 and "Die Visitation ist ungültig" in bad.output and "w.toml" in bad.output
    res = run.invoke(cli, ["galerie", "build", str(tmp_path / "dossiers"), "--out", str(tmp_path / "site")])
    assert res.exit_code == 0 and "1 Dossiers" in res.output
    res = run.invoke(cli, ["galerie", "checkliste", "--vorlage", "jugendhilfe"])
    assert res.exit_code == 0 and "1. Welche Daten" in res.output and "4. Welcher Bericht" in res.output
    md = tmp_path / "c.md"
    run.invoke(cli, ["galerie", "checkliste", "--out", str(md)])
    assert md.read_text(encoding="utf-8").startswith("# Planlabor: Checkliste") and "- [ ] " in md.read_text(
        "utf-8"
    )
