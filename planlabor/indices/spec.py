"""Index definitions as data (TOML), validated by pydantic.

An index is declared, not coded: inputs with polarity and weight, standardisation,
exclusion rules, combination, rescaling, classification; several components (e.g. status
and dynamics) and optionally a total over components and a matrix of two components' classes.
See ``planlabor/indices/presets/*.toml`` for the published methods.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planlabor.errors import ConfigError, NotFoundError
from planlabor.indices.classify import ClassificationSpec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputSpec(_Strict):
    column: str
    name: str = ""
    polarity: Literal["+", "-"] = "+"
    weight: float = 1.0
    log: bool = False  # take the natural logarithm first (GISD: earnings, income, tax)
    change_periods: int | None = Field(default=None, ge=1)  # dynamics: change against N periods earlier


class ExclusionSpec(_Strict):
    """Exclude rows: by the values of a flag column (``keep``) or by a minimum (``min``)."""

    column: str
    keep: list[str] | None = None
    min: float | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _one(self) -> ExclusionSpec:
        if (self.keep is None) == (self.min is None):
            raise ValueError("Ausschluss braucht entweder 'keep' oder 'min'")
        return self


class ComponentSpec(_Strict):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    name: str
    inputs: list[InputSpec] = Field(min_length=1)
    standardize: Literal["z", "percentile_rank", "minmax", "none"] = "z"
    ddof: int = Field(default=0, ge=0, le=1)
    weighted_by: str | None = None
    combine: Literal["sum", "mean", "weighted_sum", "weighted_mean", "geometric_mean", "minimum", "pca"] = (
        "sum"
    )
    orient: str | None = None  # pca: the input the component must correlate positively with
    fit: Literal["period", "pooled"] = "period"  # pca: one component per period or on all pooled
    rescale: Literal["z", "minmax", "percentile_rank", "none"] = "none"
    classification: ClassificationSpec | None = None
    flag_above: float | None = None  # SVI: flag inputs above this percentile rank (e.g. 0.9)

    @model_validator(mode="after")
    def _pooled(self) -> ComponentSpec:
        if self.fit == "pooled" and (self.combine != "pca" or self.standardize != "none"):
            raise ValueError("fit = 'pooled' gilt für combine = 'pca' mit standardize = 'none'")
        return self


class TotalSpec(_Strict):
    name: str
    components: list[str]
    combine: Literal["sum", "mean", "weighted_sum", "minimum"] = "sum"
    weights: list[float] | None = None
    rescale: Literal["z", "minmax", "percentile_rank", "none"] = "none"
    classification: ClassificationSpec | None = None
    more_classes: dict[str, ClassificationSpec] = Field(default_factory=dict)  # e.g. deciles, gisd_k
    aggregate: Literal["none", "population"] = "none"  # higher levels: population-weighted mean


class MatrixSpec(_Strict):
    """Status × dynamics: a joint class from two classified components."""

    rows: str
    cols: str
    code_factor: int = 10
    label: str = "{row_code}{col_symbol}"
    text: str = "{row_name} {row_label} , {col_name} {col_label}"
    excluded_label: str = "ohne Zuordnung"


class IndexSpec(_Strict):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    name: str
    description: str = ""
    source: str = ""
    id_column: str = "id"
    name_column: str | None = None
    period_column: str | None = None
    population_column: str | None = None
    level_columns: list[str] = Field(default_factory=list)  # keys of higher levels (aggregation)
    impute: Literal["none", "random_intercept"] = "none"  # missing values of the time series
    missing_codes: list[float] = Field(default_factory=list)
    exclude: list[ExclusionSpec] = Field(default_factory=list)
    component: list[ComponentSpec] = Field(min_length=1)
    total: TotalSpec | None = None
    matrix: MatrixSpec | None = None

    @model_validator(mode="after")
    def _refs(self) -> IndexSpec:
        ids = [c.id for c in self.component]
        if len(set(ids)) != len(ids):
            raise ValueError("Komponenten-IDs müssen eindeutig sein")
        refs = list(self.total.components) if self.total else []
        if self.matrix:
            refs += [self.matrix.rows, self.matrix.cols]
            for cid in (self.matrix.rows, self.matrix.cols):
                comp = next((c for c in self.component if c.id == cid), None)
                if comp is not None and comp.classification is None:
                    raise ValueError(f"Matrix braucht eine Klassifikation der Komponente {cid!r}")
        unknown = [r for r in refs if r not in ids]
        if unknown:
            raise ValueError(f"unbekannte Komponente(n): {', '.join(unknown)}")
        if self.total and self.total.aggregate == "population" and not self.population_column:
            raise ValueError("bevölkerungsgewichtete Aggregation braucht 'population_column'")
        if self.impute != "none" and not self.period_column:
            raise ValueError("Fehlwertschätzung über die Zeit braucht 'period_column'")
        return self

    def input_columns(self) -> list[str]:
        return list(dict.fromkeys(i.column for c in self.component for i in c.inputs))


PRESETS = ("mss2021", "gisd", "svi", "headline")


def parse_spec(text: str, origin: str) -> IndexSpec:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Die Indexdefinition ist kein gültiges TOML: {exc}", file=origin) from exc
    try:
        return IndexSpec.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(
            f"Die Indexdefinition ist ungültig: {where}: {err['msg']}",
            file=origin,
            column=where or None,
            expected="siehe docs/indizes.md",
        ) from exc


def preset_text(name: str) -> str:
    return resources.files("planlabor.indices").joinpath(f"presets/{name}.toml").read_text("utf-8")


def load_spec(name_or_path: str | Path) -> IndexSpec:
    """A preset by name (``mss2021``, ``gisd``, ``svi``, ``headline``) or a spec file."""
    if str(name_or_path) in PRESETS:
        return parse_spec(preset_text(str(name_or_path)), f"preset:{name_or_path}")
    path = Path(name_or_path)
    if not path.exists():
        raise NotFoundError(
            f"{name_or_path!r} ist weder eine Vorlage noch eine Datei.",
            expected="eine Vorlage (" + ", ".join(PRESETS) + ") oder eine .toml-Indexdefinition",
        )
    return parse_spec(path.read_text(encoding="utf-8"), str(path))
