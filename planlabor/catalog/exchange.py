"""Method templates (Planungsvorlagen): a workspace's catalog and index definitions as one
versioned file that another municipality imports.

The file is TOML: a ``[template]`` header (format, version, name, author workspace, date,
planlabor version) followed by ``themes``, ``[[indicator]]`` and ``[[index]]`` exactly as in a
catalog, with every index definition inlined so that the file is self-contained.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from planlabor.catalog.model import Catalog
from planlabor.errors import ConfigError, InputError, NotFoundError

FORMAT = "planlabor-vorlage"
FORMAT_VERSION = 1
SHIPPED = {
    "berlin": "Startkatalog Berlin (Demo): Altersstruktur, Migration, Kita, MSS-Kontextindikatoren",
    "familienarmut": "Familienarmut: SGB-II-Quote U15, Alleinerziehende, Familien im Leistungsbezug",
    "wohnen": "Wohnen: Mietbelastung, Sozialwohnungen, Wohnfläche, Wohnmobilität, Wohndauer",
    "bildung": "Bildung: Betreuungsquoten, Sprachförderbedarf (ESU), Übergänge, ohne Abschluss",
    "integration": "Migration und Integration (nach dem Integrationsmonitoring der Länder)",
    "inklusion": "Inklusion: Schwerbehinderung, Eingliederungshilfe, Inklusionsanteil, barrierefreie Kitas",
    "jugendhilfe": "Jugendhilfe: Hilfen zur Erziehung je 1.000 U21 nach Hilfeart, § 35a, § 42, § 8a",
    "arbeit": "Arbeit: Arbeitslosigkeit, Langzeitarbeitslose, SGB-II-Quote, Beschäftigung, Berufsabschluss",
    "armut": "Armut und Reichtum: SGB II/XII, Grundsicherung im Alter, Eingliederungshilfe, Überschuldung",
    "dach": "D-A-CH-Vergleich auf NUTS 3/2: harmonisierte Bevölkerungs-, Wirtschafts- und Sozialindikatoren",
}
THEME_SETS = [
    "familienarmut",
    "wohnen",
    "bildung",
    "integration",
    "inklusion",
    "jugendhilfe",
    "arbeit",
    "armut",
]


@dataclass
class TemplateReport:
    name: str
    version: str
    indicators: int
    indices: int
    written_to: str | None = None
    ready: list[str] = field(default_factory=list)  # indicators whose variables the target has
    missing: dict[str, list[str]] = field(default_factory=dict)  # indicator → variables missing
    conflicts: list[str] = field(default_factory=list)
    layout: str = ""  # what happened to the report layout of the template


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items() if v is not None and v != [] and v != {} and v != ""}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def catalog_toml(catalog: Catalog) -> str:
    """A catalog as TOML text (indicators and indices, as a catalog file holds them)."""
    doc = {
        "themes": catalog.themes,
        "indicator": [i.model_dump(exclude={"derived_from"}) for i in catalog.indicators],
        "index": [r.model_dump() for r in catalog.indices],
        "variable": [v.model_dump() for v in catalog.data_items],
    }
    return str(tomli_w.dumps(_clean(doc)))


def export_template(
    catalog: Catalog,
    specs: dict[str, dict[str, Any]],
    out: Path,
    name: str,
    version: str,
    workspace: str,
    software: str,
    description: str = "",
    report: dict[str, Any] | None = None,
) -> Path:
    """Write ``catalog`` (with the index definitions ``specs`` inlined) and the report layout
    (``[report]`` of planlabor.toml, without the logo file) as a template file."""
    indices = []
    for ref in catalog.indices:
        data = ref.model_dump(exclude={"preset", "spec", "definition"})
        data["definition"] = specs[ref.id]
        indices.append(data)
    doc = {
        "template": {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "name": name,
            "version": version,
            "workspace": workspace,
            "created": datetime.now().replace(microsecond=0).isoformat(),
            "software": software,
            "description": description,
        },
        "themes": catalog.themes,
        "indicator": [i.model_dump(exclude={"derived_from"}) for i in catalog.indicators],
        "index": indices,
        "variable": [v.model_dump() for v in catalog.data_items],
        "report": report,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(tomli_w.dumps(_clean(doc)), encoding="utf-8")
    return out


def read_template(source: str | Path) -> tuple[dict[str, Any], Catalog]:
    """A template file or a shipped template name: its header and its catalog."""
    if str(source) in SHIPPED:
        text = resources.files("planlabor.catalog").joinpath(f"templates/{source}.toml").read_text("utf-8")
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "name": str(source),
            "version": "mitgeliefert",
        }
        raw = tomllib.loads(text)
        origin = f"Vorlage {source}"
    else:
        path = Path(source)
        if not path.exists():
            raise NotFoundError(
                f"Die Vorlage {source!r} gibt es nicht.",
                expected="eine Vorlagendatei oder eine mitgelieferte: " + ", ".join(SHIPPED),
            )
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"Die Vorlage ist keine gültige TOML-Datei: {exc}", file=path) from exc
        header = raw.pop("template", None)
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise InputError(
                "Die Datei ist keine planlabor-Vorlage (Abschnitt [template] fehlt).",
                file=path,
                expected=f'[template] mit format = "{FORMAT}"',
            )
        if int(str(header.get("format_version", 0))) > FORMAT_VERSION:
            raise InputError(
                f"Die Vorlage hat das neuere Format {header.get('format_version')}.",
                file=path,
                hint="Aktualisieren Sie planlabor.",
            )
        origin = str(path)
    layout = raw.pop("report", None)
    if isinstance(layout, dict):
        header["_report"] = layout
    try:
        return header, Catalog.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(
            f"Die Vorlage ist ungültig: {'.'.join(map(str, err['loc']))}: {err['msg']}", file=origin
        ) from exc


def slug(text: str) -> str:
    s = re.sub(
        r"[^a-z0-9]+",
        "_",
        text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss"),
    ).strip("_")
    return s or "vorlage"


def validate_against(catalog: Catalog, existing: Catalog, variables: set[str]) -> TemplateReport:
    """What of ``catalog`` the target can compute with its data, and which IDs collide."""
    rep = TemplateReport(
        name="", version="", indicators=len(catalog.indicators), indices=len(catalog.indices)
    )
    known = set(existing.ids()) | {r.id for r in existing.indices}
    rep.conflicts = [i.id for i in catalog.indicators if i.id in known] + [
        r.id for r in catalog.indices if r.id in known
    ]
    for ind in catalog.indicators:
        miss = [v for v in ind.variables() if v not in variables]
        if miss:
            rep.missing[ind.id] = miss
        else:
            rep.ready.append(ind.id)
    return rep


def add_catalog_to_config(config_path: Path, relative: str) -> None:
    """Append ``relative`` to the ``catalog = [...]`` list of planlabor.toml, keeping its comments."""
    text = config_path.read_text(encoding="utf-8")
    m = re.search(r"^catalog\s*=\s*\[(.*?)\]\s*$", text, flags=re.M | re.S)
    if not m:
        raise ConfigError(
            "In planlabor.toml steht keine Zeile 'catalog = [...]'.",
            file=config_path,
            hint=f'Tragen Sie die Vorlage selbst ein: catalog = ["catalog.toml", "{relative}"]',
        )
    entries = tomllib.loads(f"x = [{m.group(1)}]")["x"]
    if relative in entries:
        return
    entries.append(relative)
    new = "catalog = [" + ", ".join(f'"{e}"' for e in entries) + "]"
    config_path.write_text(text[: m.start()] + new + text[m.end() :], encoding="utf-8")
