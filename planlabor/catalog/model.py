"""Indicator definitions as data.

Three kinds, inferred from the fields given:

* **Quote** (``numerator`` and ``denominator``): value = Σ numerator / Σ denominator × factor.
  Aggregated up the hierarchy as the ratio of sums, never as the mean of ratios.
* **Anzahl** (``numerator`` only): a count, summed up the hierarchy.
* **Übernommener Wert** (``variable``): a value imported as published (e.g. an MSS
  share).  Not aggregatable, unless a ``weight`` variable is declared; then the
  weighted mean is used.

Example (TOML)::

    [[indicator]]
    id = "anteil_auslaender"
    name = "Anteil Ausländer:innen"
    theme = "Migration und Integration"
    unit = "%"
    numerator = ["inhabitants_foreigners"]
    denominator = ["inhabitants"]
    factor = 100
    polarity = "neutral"
    source = "Amt für Statistik Berlin-Brandenburg, Einwohnerregisterstatistik"
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from planlabor.errors import ConfigError

Polarity = Literal["hoch_ist_gut", "hoch_ist_schlecht", "neutral"]
Kind = Literal["quote", "anzahl", "wert"]


def _split_sum(value: object) -> object:
    if isinstance(value, str):
        return [v.strip() for v in value.split("+") if v.strip()]
    return value


class IndicatorDefinition(BaseModel):
    """One declared indicator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)
    name: str = Field(min_length=1)
    theme: str = "Allgemein"
    unit: str = ""
    numerator: list[str] = Field(default_factory=list)
    denominator: list[str] = Field(default_factory=list)
    factor: float = 1.0
    variable: str | None = None
    weight: str | None = None
    polarity: Polarity = "neutral"
    description: str = ""
    source: str = ""
    min_count: int | None = Field(default=None, ge=1)
    public: bool = True
    decimals: int = Field(default=1, ge=0, le=6)
    short_name: str | None = None
    derived_from: str | None = None  # set for the outputs of a declared index
    harmonisation: str = ""  # how differing national definitions were made comparable (D-A-CH)

    _split_num = field_validator("numerator", "denominator", mode="before")(_split_sum)

    @model_validator(mode="before")
    @classmethod
    def _default_decimals(cls, data: object) -> object:
        # counts are shown without decimals unless the catalog says otherwise
        if isinstance(data, dict) and "decimals" not in data:
            is_count = data.get("numerator") and not data.get("denominator") and not data.get("variable")
            data = {**data, "decimals": 0 if is_count else 1}
        return data

    @model_validator(mode="after")
    def _check_kind(self) -> IndicatorDefinition:
        if self.variable and (self.numerator or self.denominator):
            raise ValueError("entweder 'variable' (übernommener Wert) oder 'numerator'/'denominator'")
        if not self.variable and not self.numerator and not self.derived_from:
            raise ValueError("'numerator' (Zähler) oder 'variable' fehlt")
        if self.denominator and not self.numerator:
            raise ValueError("ein Nenner braucht einen Zähler")
        if self.weight and not self.variable:
            raise ValueError("'weight' gilt nur für übernommene Werte ('variable')")
        return self

    @property
    def kind(self) -> Kind:
        if self.variable or self.derived_from:
            return "wert"
        return "quote" if self.denominator else "anzahl"

    @property
    def aggregatable(self) -> bool:
        return self.kind != "wert" or self.weight is not None

    def variables(self) -> list[str]:
        out = [*self.numerator, *self.denominator]
        if self.variable:
            out.append(self.variable)
        if self.weight:
            out.append(self.weight)
        return list(dict.fromkeys(out))

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()[:16]


class DataItem(BaseModel):
    """A variable that a statistics office or department must deliver for a catalog: one line
    of the data-request checklist (Datenanforderung)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)
    name: str = Field(min_length=1)
    unit: str = "Personen"
    definition: str = ""  # Abgrenzung: who or what is counted
    supplier: str = ""  # Datenhalter, e.g. "Bundesagentur für Arbeit, Statistik-Service"
    level: str = "kleinräumig (Gebietsschlüssel der Raumebene)"
    periodicity: str = "jährlich, Stichtag 31.12."
    note: str = ""


class RelationDef(BaseModel):
    """An exact relation between variables: ``total`` = Σ ``parts`` in every area.

    The suppression must know it: whoever knows that residents are the sum of the age bands
    recovers a suppressed band from the others (see docs/geheimhaltung.md).  Differences
    (a = b − c) are written as b = a + c; shares of one denominator that add up to 100 % as
    denominator = Σ numerators.  Relations that hold in the data are also found without a
    declaration.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    total: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    parts: list[str] = Field(min_length=1)
    description: str = ""

    _split_parts = field_validator("parts", mode="before")(_split_sum)


class IndexRef(BaseModel):
    """An index computed from catalog indicators by ``planlabor compute``.

    ``preset`` (``svi``, …), ``spec`` (a TOML file relative to the workspace) or an inline
    ``definition``; ``inputs`` maps the columns the index expects to indicator IDs.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=48)
    name: str
    layer: str
    inputs: dict[str, str]
    preset: str | None = None
    spec: str | None = None
    definition: dict[str, object] | None = None
    theme: str = "Sozialmonitoring"
    public: bool = True
    description: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> IndexRef:
        if sum(x is not None for x in (self.preset, self.spec, self.definition)) != 1:
            raise ValueError("ein Index braucht genau eines von 'preset', 'spec' oder 'definition'")
        return self


class Catalog(BaseModel):
    """All indicator definitions of a workspace, in declaration order."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    indicators: list[IndicatorDefinition] = Field(default_factory=list, alias="indicator")
    indices: list[IndexRef] = Field(default_factory=list, alias="index")
    themes: list[str] = Field(default_factory=list)
    data_items: list[DataItem] = Field(default_factory=list, alias="variable")
    relations: list[RelationDef] = Field(default_factory=list, alias="relation")
    derived: list[IndicatorDefinition] = Field(default_factory=list, exclude=True)

    @model_validator(mode="after")
    def _unique(self) -> Catalog:
        seen: set[str] = set()
        for ind in self.indicators:
            if ind.id in seen:
                raise ValueError(f"Indikator-ID {ind.id!r} ist doppelt")
            seen.add(ind.id)
        for ref in self.indices:
            missing = [i for i in ref.inputs.values() if i not in seen]
            if missing:
                raise ValueError(f"Index {ref.id!r}: unbekannte Indikatoren {', '.join(missing)}")
        return self

    def all_indicators(self) -> list[IndicatorDefinition]:
        """Declared indicators and the outputs of declared indices."""
        return [*self.indicators, *self.derived]

    def get(self, indicator_id: str) -> IndicatorDefinition | None:
        for ind in self.all_indicators():
            if ind.id == indicator_id:
                return ind
        return None

    def ids(self) -> list[str]:
        return [i.id for i in self.all_indicators()]

    def theme_list(self) -> list[str]:
        out = list(self.themes)
        for ind in self.all_indicators():
            if ind.theme not in out:
                out.append(ind.theme)
        return out


def _parse(text: str, origin: str) -> Catalog:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Der Katalog ist kein gültiges TOML: {exc}",
            file=origin,
            expected="TOML mit [[indicator]]-Einträgen",
        ) from exc
    try:
        return Catalog.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"]
        where = ".".join(str(p) for p in loc)
        ident = ""
        if len(loc) >= 2 and loc[0] == "indicator" and isinstance(loc[1], int):
            entries = raw.get("indicator", [])
            if loc[1] < len(entries):
                ident = f" (Indikator {entries[loc[1]].get('id', '?')!r})"
        raise ConfigError(
            f"Der Katalog ist ungültig{ident}: {where}: {err['msg']}",
            file=origin,
            column=where,
            expected="siehe docs/katalog.md",
            hint="Korrigieren Sie den Eintrag und prüfen Sie mit 'planlabor validate'.",
        ) from exc


def load_catalog(path: str | Path) -> Catalog:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            f"Die Katalogdatei {path} fehlt.",
            file=path,
            hint="Legen Sie sie an oder entfernen Sie sie aus 'catalog' in planlabor.toml.",
        ) from exc
    return _parse(text, str(path))


def load_catalog_files(paths: list[Path]) -> Catalog:
    """Merge several catalog files; IDs must be unique across them."""
    inds: list[IndicatorDefinition] = []
    refs: list[IndexRef] = []
    items: dict[str, DataItem] = {}
    relations: list[RelationDef] = []
    themes: list[str] = []
    for p in paths:
        if not p.exists():
            continue
        cat = load_catalog(p)
        inds.extend(cat.indicators)
        refs.extend(cat.indices)
        for item in cat.data_items:
            items.setdefault(item.id, item)
        relations.extend(r for r in cat.relations if r not in relations)
        themes.extend(t for t in cat.themes if t not in themes)
    try:
        return Catalog.model_validate(
            {
                "indicator": [i.model_dump() for i in inds],
                "index": [r.model_dump() for r in refs],
                "themes": themes,
                "variable": [i.model_dump() for i in items.values()],
                "relation": [r.model_dump() for r in relations],
            }
        )
    except ValidationError as exc:
        raise ConfigError(
            f"Die Kataloge widersprechen sich: {exc.errors()[0]['msg']}",
            hint="Jede Indikator-ID darf nur einmal vorkommen.",
        ) from exc


def template_text(name: str) -> str:
    """Text of a catalog template shipped with planlabor (e.g. ``berlin``)."""
    return resources.files("planlabor.catalog").joinpath(f"templates/{name}.toml").read_text("utf-8")
