"""Schema of ``planlabor.toml``, loading and validation.

The workspace file is validated by pydantic; every problem is reported with the
key path and what was expected (``planlabor validate``).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from planlabor.errors import ConfigError

CONFIG_NAME = "planlabor.toml"

#: Missing-value markers of German official statistics and common publishers,
#: mapped to the status flag stored instead of a number.
DEFAULT_MISSING_MARKERS: dict[str, str] = {
    "": "fehlend",
    "NA": "fehlend",
    "N/A": "fehlend",
    ".": "unbekannt_oder_geheim",
    "-": "nichts_vorhanden",
    "x": "nicht_sinnvoll",
    "X": "nicht_sinnvoll",
    "/": "nicht_sicher_genug",
    "…": "faellt_spaeter_an",
    "...": "faellt_spaeter_an",
    "-9999": "ungueltig",
    ":": "fehlend",
    "•": "gesperrt",
    "*": "gesperrt",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# EPSG codes of the DACH region accepted without asking pyproj (every CLI call reads the config):
# WGS 84, ETRS89, Web Mercator, LAEA Europe, ETRS89/UTM 31–33, Gauß-Krüger 2–5, MGI Austria
# (GK and Lambert), Swiss LV03/LV95
COMMON_EPSG = frozenset(
    {4326, 4258, 3857, 3035, 25831, 25832, 25833, 31466, 31467, 31468, 31469, 31254, 31255, 31256,
     31287, 21781, 2056}
)  # fmt: skip


class WorkspaceSection(_Strict):
    name: str = Field(min_length=1)
    municipality: str = ""
    crs: str = "EPSG:25833"
    language: Literal["de", "en"] = "de"

    @field_validator("crs")
    @classmethod
    def _crs_known(cls, value: str) -> str:
        code = value.strip().upper().removeprefix("EPSG:")
        if code.isdigit() and int(code) in COMMON_EPSG:  # no pyproj at start-up (0.1 s) for these
            return value
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            CRS.from_user_input(value)
        except CRSError as exc:
            raise ValueError(f"unbekanntes Koordinatenreferenzsystem {value!r}") from exc
        return value


class StoreSection(_Strict):
    backend: Literal["duckdb", "postgres"] = "duckdb"
    path: str = "planlabor.duckdb"
    # PostgreSQL: postgresql://user@host:port/db?schema=name; the password comes from PGPASSWORD
    # or ~/.pgpass, never from this file
    url: str | None = None
    dsn: str | None = None  # earlier name of url
    # working memory of the embedded database (beyond it, DuckDB spills to disk)
    memory_limit: str = Field(default="2GB", pattern=r"^\d+(\.\d+)?\s*(MB|GB|MiB|GiB)$")

    @model_validator(mode="after")
    def _url_for_postgres(self) -> StoreSection:
        from planlabor.store.pgurl import StoreUrl

        if self.url is None and self.dsn is not None:
            self.url = self.dsn
        if self.backend == "postgres":
            if not self.url:
                raise ValueError('backend "postgres" braucht url = "postgresql://benutzer@rechner/datenbank"')
            try:
                StoreUrl.parse(self.url, where="store.url")
            except ConfigError as exc:
                raise ValueError(exc.message) from exc
        return self

    def postgres_url(self) -> Any:
        """The parsed address (:class:`planlabor.store.pgurl.StoreUrl`) of a PostgreSQL store."""
        from planlabor.store.pgurl import StoreUrl

        return StoreUrl.parse(self.url or "", where="store.url")


class ConfidentialitySection(_Strict):
    min_count: int = Field(default=3, ge=1)
    marker: str = "•"
    suppress_zero: bool = False
    secondary: bool = True
    protection_percent: float = Field(default=10.0, ge=0, le=100)
    protection_width: float | None = Field(default=None, ge=0)
    # facility types shown only in the internal atlas (e.g. Frauenhäuser): never in public payloads
    internal_facilities: list[str] = Field(default_factory=list)


class ImportSection(_Strict):
    missing_values: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_MISSING_MARKERS))
    on_unmatched: Literal["auto", "refuse", "quarantine", "skip"] = "auto"


class ReportSection(_Strict):
    """Layout of the reports: the city's logo, colour, organisation and wording."""

    organisation: str = ""
    logo: str | None = None  # image file relative to the workspace
    accent: str = Field(default="#004f9f", pattern=r"^#[0-9a-fA-F]{6}$")
    font: str = Field(default="DejaVu Sans", pattern=r"^[A-Za-z0-9 \-]{1,60}$")  # an installed font family
    profile_title: str = "Sozialraumprofil"
    report_title: str = "Sozialbericht"
    key_indicators: list[str] = Field(default_factory=list)  # key figures on top of each profile
    series_indicators: list[str] = Field(default_factory=list)  # time series charts in profiles


class ServerSection(_Strict):
    """``planlabor serve``: sessions of the internal view, the answer cache and how long the audit
    log and the Werkstatt's files are kept (``planlabor serve --aufbewahrung``, ``--sitzung-stunden``
    override them for one run)."""

    session_hours: float = Field(default=8.0, gt=0, le=24 * 30)
    idle_minutes: float = Field(default=60.0, gt=0, le=24 * 60)
    cache_mb: float = Field(default=256.0, ge=1, le=16384)
    audit_days: int | None = Field(default=None, ge=1, le=36500)  # None: the audit log is kept
    keep_hours: float = Field(default=24.0, gt=0, le=24 * 365)  # Werkstatt uploads, job files, reports


class Config(_Strict):
    workspace: WorkspaceSection
    report: ReportSection = Field(default_factory=ReportSection)
    store: StoreSection = Field(default_factory=StoreSection)
    confidentiality: ConfidentialitySection = Field(default_factory=ConfidentialitySection)
    imports: ImportSection = Field(default_factory=ImportSection, alias="import")
    server: ServerSection = Field(default_factory=ServerSection)
    catalog: list[str] = Field(default_factory=lambda: ["catalog.toml"])

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _format_validation(exc: ValidationError, path: Path) -> ConfigError:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(Datei)"
        problems.append(f"{key}: {err['msg']}")
    first = exc.errors()[0]
    return ConfigError(
        "Die Arbeitsbereichsdatei ist ungültig: " + "; ".join(problems),
        file=path,
        column=".".join(str(p) for p in first["loc"]) or None,
        expected="siehe docs/konfiguration.md für alle Schlüssel und ihre Form",
        hint="Korrigieren Sie die genannten Schlüssel und prüfen Sie mit 'planlabor validate'.",
    )


def load_config(path: Path) -> Config:
    """Read and validate ``planlabor.toml``."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} fehlt.", file=path, hint="Legen Sie ihn mit 'planlabor init' an.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path.name} ist kein gültiges TOML: {exc}",
            file=path,
            expected='TOML-Syntax (schluessel = "wert")',
            hint="Prüfen Sie Anführungszeichen und Klammern in der genannten Zeile.",
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path.name} ist nicht UTF-8-kodiert.", file=path, hint="Speichern Sie die Datei als UTF-8."
        ) from exc
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise _format_validation(exc, path) from exc


def store_section_text(url: str | None = None) -> str:
    """The ``[store]`` section for a DuckDB file (``url`` None) or a PostgreSQL address."""
    if url is None:
        return '[store]\nbackend = "duckdb"\npath = "planlabor.duckdb"\n'
    return (
        "[store]\n"
        "# gemeinsamer Speicher auf dem Datenbankserver; das Passwort steht in ~/.pgpass oder\n"
        "# PGPASSWORD, nie hier\n"
        f'backend = "postgres"\nurl = {json.dumps(url)}\n'
    )


def render_config(
    name: str, municipality: str = "", crs: str = "EPSG:25833", store_url: str | None = None
) -> str:
    """The commented ``planlabor.toml`` that ``planlabor init`` writes (values as TOML strings, so a
    name with quotes or backslashes stays valid)."""

    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string

    return f"""# planlabor-Arbeitsbereich. Prüfen mit: planlabor validate

# Indikatorkatalog(e), relativ zum Arbeitsbereich
catalog = ["catalog.toml"]

[workspace]
name = {q(name)}
municipality = {q(municipality)}
# Koordinatenreferenzsystem des Arbeitsbereichs; Gebiete werden beim Import umprojiziert.
crs = {q(crs)}
language = "de"

{store_section_text(store_url)}
[confidentiality]
# Fallzahlen unter dieser Schwelle werden in allem Veröffentlichten gesperrt.
min_count = 3
marker = "•"
suppress_zero = false
secondary = true
# Schutzintervall: ein gesperrter Wert darf aus allem Veröffentlichten nicht enger als
# ±protection_percent % bzw. ±protection_width Fälle (Voreinstellung: min_count) eingrenzbar sein.
protection_percent = 10

[import]
# Unbekannte Gebietsschlüssel: "auto" stellt ihre Zeilen zurück, wenn die meisten Schlüssel passen,
# sonst wird abgelehnt; "refuse" lehnt immer ab; "quarantine" stellt immer zurück; "skip" lässt sie aus.
on_unmatched = "auto"
"""
