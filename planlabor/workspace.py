"""The Workspace: a folder with ``planlabor.toml`` and its store.

This object is the library's front door; the command line is a thin layer over it.

>>> import tempfile
>>> ws = Workspace.init(tempfile.mkdtemp(), name="Musterstadt")
>>> ws.config.workspace.name
'Musterstadt'
>>> ws.close()
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planlabor.catalog import Catalog, load_catalog_files
from planlabor.confidentiality import SuppressionRules
from planlabor.config import CONFIG_NAME, Config, load_config, render_config
from planlabor.errors import NotFoundError, WorkspaceError
from planlabor.store import Store, open_store


def find_workspace(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding ``planlabor.toml`` (like git)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise WorkspaceError(
        f"Hier ist kein planlabor-Arbeitsbereich ({CONFIG_NAME} fehlt in {here} und darüber).",
        hint="Legen Sie einen an mit 'planlabor init' oder wechseln Sie in den Ordner des "
        "Arbeitsbereichs (oder geben Sie ihn mit -C ORDNER an).",
    )


@dataclass
class Workspace:
    """An open workspace."""

    root: Path
    config: Config
    read_only: bool = False
    _store: Store | None = None
    _auth: Any = None

    # ----------------------------------------------------------- lifecycle
    @classmethod
    def init(
        cls,
        directory: str | Path,
        name: str | None = None,
        municipality: str = "",
        crs: str = "EPSG:25833",
        catalog_text: str | None = None,
        store: str | None = None,
    ) -> Workspace:
        """Create a workspace in ``directory`` (created if needed).

        ``store``: a PostgreSQL address (``postgresql://user@host/db?schema=name``) for a shared
        store on a server; default ``PLANLABOR_STORE`` from the environment, else a DuckDB file
        in the folder.
        """
        root = Path(directory).resolve()
        cfg_path = root / CONFIG_NAME
        if cfg_path.exists():
            raise WorkspaceError(
                f"In {root} gibt es schon einen Arbeitsbereich.",
                file=cfg_path,
                hint="Wählen Sie einen anderen Ordner oder arbeiten Sie im vorhandenen weiter.",
            )
        url = _store_url(store if store is not None else os.environ.get("PLANLABOR_STORE"))
        if url is not None:  # the schema first: a taken or unreachable one leaves no folder behind
            from planlabor.store import srid_of
            from planlabor.store.postgres import PostgresStore

            PostgresStore(url, srid=srid_of(crs), create=True, must_be_new=True).close()
        if not root.exists():
            # owner-only: the folder holds the store with unsuppressed values and the users file
            root.mkdir(parents=True, mode=0o700)
            os.chmod(root, 0o700)  # mkdir's mode is filtered by the umask
        cfg_path.write_text(
            render_config(name or root.name, municipality, crs, url.display() if url else None),
            encoding="utf-8",
        )
        catalog_path = root / "catalog.toml"
        if not catalog_path.exists():
            catalog_path.write_text(catalog_text or _EMPTY_CATALOG, encoding="utf-8")
        ws = cls.open(root)
        ws.store  # noqa: B018 - create the store file now
        return ws

    @classmethod
    def open(cls, directory: str | Path | None = None, read_only: bool = False) -> Workspace:
        root = find_workspace(Path(directory) if directory else None)
        return cls(root=root, config=load_config(root / CONFIG_NAME), read_only=read_only)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(
                self.config.store, self.root, read_only=self.read_only, crs=self.config.workspace.crs
            )
        return self._store

    def auth(self) -> Any:
        """Users and sessions of the internal atlas (:class:`planlabor.atlas.sessions.AuthStore`,
        the file ``atlas-auth.sqlite``; usable while ``planlabor serve`` runs)."""
        if self._auth is None:
            from planlabor.atlas.sessions import AUTH_FILE, AuthStore

            self._auth = AuthStore(self.root / AUTH_FILE)
            self._auth.adopt_legacy_users(lambda: self.store)
        return self._auth

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._auth is not None:
            self._auth.close()
            self._auth = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- catalog
    def catalog_paths(self) -> list[Path]:
        return [self.root / p for p in self.config.catalog]

    def catalog(self) -> Catalog:
        """The catalog with the output indicators of its declared indices."""
        from planlabor.indices.catalog_run import derive_outputs

        return derive_outputs(load_catalog_files(self.catalog_paths()), self.root)

    def finest_layer(self) -> str:
        """The layer commands use when none is given: the finest of the workspace."""
        from planlabor.areas.official import finest_layer

        infos = self.store.layers()
        counts = self.store.query_df("SELECT layer_id, count(*) AS n FROM areas GROUP BY layer_id")
        n = dict(zip(counts["layer_id"].astype(str), counts["n"].astype(int), strict=True))  # one query
        found = finest_layer(
            [(i.layer_id, i.parent_layer, n.get(i.layer_id, 0), i.has_geometry) for i in infos]
        )
        if found is None:
            raise WorkspaceError(
                "Der Arbeitsbereich hat noch keine Raumebene.",
                hint="Legen Sie eine an: planlabor areas import DATEI --layer EBENE --id-column SPALTE",
            )
        return found

    def rules(self) -> SuppressionRules:
        c = self.config.confidentiality
        return SuppressionRules(
            min_count=c.min_count,
            suppress_zero=c.suppress_zero,
            secondary=c.secondary,
            marker=c.marker,
            protection_percent=c.protection_percent,
            protection_width=c.protection_width,
        )

    # ------------------------------------------------------------- imports
    def import_table(self, path: str | Path, options: Any, dry_run: bool = False) -> Any:
        """Import observations (see :class:`planlabor.io.importer.ImportOptions`).

        A Zensus grid file is assigned to the areas of the layer by the cell centres
        (:func:`planlabor.spatial.grid_import.import_grid`) and returns that report.
        """
        from planlabor.io.importer import plan_and_import
        from planlabor.io.readers import detect, reader

        fmt = reader(options.format) if options.format else detect(Path(path))[0]
        if fmt.name == "zensus-gitter":
            from planlabor.spatial.grid_import import import_grid

            return import_grid(
                self.store, path, options.layer, period=options.period, rename=options.rename, dry_run=dry_run
            )

        return plan_and_import(
            self.store, path, options, missing_defaults=self.config.imports.missing_values, dry_run=dry_run
        )

    def import_areas(self, path: str | Path, options: Any) -> Any:
        from planlabor.areas import import_areas

        return import_areas(self.store, path, options, self.config.workspace.crs)

    def imports(self) -> pd.DataFrame:
        return self.store.imports()

    def revert(self, import_id: int) -> int:
        """Make the observations of an earlier import current again."""
        log = self.store.imports()
        rows = log[log["import_id"] == import_id]
        if rows.empty or rows["kind"].iloc[0] != "observations":
            raise NotFoundError(
                f"Einen Datenimport Nr. {import_id} gibt es nicht.",
                column="IMPORT_ID",
                hint="Die Importe zeigt 'planlabor log'.",
            )
        with self.store.transaction():
            n = self.store.activate_import(import_id)
            self.store.audit(
                "revert", str(rows["file"].iloc[0] or ""), import_id=import_id, details={"werte": n}
            )
            return n

    def quarantine(self, import_id: int | None = None) -> pd.DataFrame:
        sql = "SELECT * FROM quarantine"
        params: list[Any] = []
        if import_id is not None:
            sql += " WHERE import_id = ?"
            params.append(import_id)
        return self.store.query_df(sql + " ORDER BY import_id, source_row, variable", params)

    # ------------------------------------------------------------- compute
    def compute(self) -> Any:
        """Compute all indicators, then the indices declared in the catalog."""
        from planlabor.confidentiality.pattern import compute_pattern, store_pattern
        from planlabor.indicators import compute_indicators
        from planlabor.indices.catalog_run import compute_indices

        catalog = self.catalog()
        with self.store.keeping_scratch():  # the pattern reads the indicator step's observations
            report = compute_indicators(self.store, catalog)
            report.indices = compute_indices(self.store, catalog, self.root, report.compute_id)
            report.values_written += sum(report.indices.values())
            pattern = compute_pattern(self.store, catalog, self.rules(), self.root)
        store_pattern(self.store, pattern)
        report.suppressed = pattern.counts()
        self.store.audit(
            "compute", None, details={"berechnung": report.compute_id, "werte": report.values_written}
        )
        return report

    # -------------------------------------------------------------- export
    def export(self, options: Any) -> Any:
        from planlabor import __version__
        from planlabor.io.export import export

        meta = {"workspace": self.config.workspace.name, "software": f"planlabor {__version__}"}
        return export(self.store, self.catalog(), self.rules(), options, meta)

    # ------------------------------------------------------------ templates
    def export_template(
        self, out: str | Path, name: str | None = None, version: str = "1.0", description: str = ""
    ) -> Path:
        """Write this workspace's catalog and index definitions as one template file."""
        from planlabor import __version__
        from planlabor.catalog.exchange import export_template
        from planlabor.indices.catalog_run import spec_of

        catalog = load_catalog_files(self.catalog_paths())
        specs = {r.id: spec_of(r, self.root).model_dump(exclude_none=True) for r in catalog.indices}
        return export_template(
            catalog,
            specs,
            Path(out),
            name or self.config.workspace.name,
            version,
            self.config.workspace.name,
            f"planlabor {__version__}",
            description,
            self.config.report.model_dump(exclude={"logo"}),
        )

    def import_template(self, source: str | Path, dry_run: bool = False) -> Any:
        """Import a template (file or shipped name) as an extra catalog file of this workspace."""
        from planlabor.catalog.exchange import (
            add_catalog_to_config,
            catalog_toml,
            read_template,
            slug,
            validate_against,
        )
        from planlabor.errors import InputError

        header, catalog = read_template(source)
        have = set(self.store.query_df("SELECT DISTINCT variable FROM observations")["variable"])
        report = validate_against(catalog, self.catalog(), have)
        report.name, report.version = str(header.get("name", "")), str(header.get("version", ""))
        if report.conflicts and not dry_run:
            raise InputError(
                "Die Vorlage enthält IDs, die es im Arbeitsbereich schon gibt: "
                + ", ".join(report.conflicts[:10])
                + ".",
                file=str(source),
                hint="Benennen Sie die Einträge um oder entfernen Sie den alten Katalog.",
            )
        if dry_run:
            return report
        relative = f"vorlagen/{slug(report.name)}.toml"
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        text = f"# Importiert aus der Vorlage {report.name!r} (Version {report.version}).\n" + catalog_toml(
            catalog
        )
        target.write_text(text, encoding="utf-8")
        add_catalog_to_config(self.root / CONFIG_NAME, relative)
        report.layout = self._adopt_layout(header.get("_report"))
        from planlabor.config import load_config

        self.config = load_config(self.root / CONFIG_NAME)
        self.catalog()  # validates the merged catalog
        report.written_to = str(target)
        return report

    def _adopt_layout(self, layout: Any) -> str:
        """Take the template's report layout unless this workspace already has its own."""
        import tomllib

        import tomli_w

        from planlabor.config import ReportSection

        if not isinstance(layout, dict):
            return "keine Berichtsvorlage in der Vorlage"
        path = self.root / CONFIG_NAME
        text = path.read_text(encoding="utf-8")
        if "report" in tomllib.loads(text):
            return "eigenes Berichtslayout ([report]) behalten"
        clean = ReportSection.model_validate(layout).model_dump(exclude={"logo"}, exclude_defaults=True)
        path.write_text(text.rstrip("\n") + "\n\n[report]\n" + tomli_w.dumps(clean), encoding="utf-8")
        return "Berichtslayout ([report]) übernommen"

    # ------------------------------------------------- measures, controlling
    def register_measures(self, path: str | Path, kind: str = "massnahme") -> list[Any]:
        """Read a table of measures (or action-plan items) and register them as new versions."""
        from planlabor.planning.measures import check_measures, read_measures, register

        items = read_measures(path, kind)  # type: ignore[arg-type]
        check_measures(self.store, items, set(self.catalog().ids()))
        register(self.store, items, str(path))
        return items

    def import_controlling(
        self,
        path: str | Path,
        layer: str | None = None,
        columns: dict[str, str | None] | None = None,
        reference: str | None = None,
        reference_name: str = "",
    ) -> Any:
        """Import a KLR export; where rows carry area keys, the Kennzahlen become catalog
        indicators (file ``vorlagen/controlling.toml``; run :meth:`compute` afterwards)."""
        import tomllib

        import tomli_w

        from planlabor.catalog.exchange import add_catalog_to_config
        from planlabor.planning.controlling import kennzahlen_catalog, read_klr, store_klr

        frame = read_klr(path, columns)
        report = store_klr(self.store, frame, path, layer)
        if report.observations:
            target = self.root / "vorlagen" / "controlling.toml"
            # every product with area keys in the store, earlier imports included
            products = self.store.query_df(
                "SELECT DISTINCT product FROM controlling WHERE superseded_by IS NULL "
                "AND area_id IS NOT NULL ORDER BY product"
            )["product"].tolist()
            if reference is None and target.exists():  # keep the reference population chosen before
                old = tomllib.loads(target.read_text(encoding="utf-8")).get("indicator", [])
                per_1000 = [i for i in old if str(i["id"]).endswith("_faelle_je_1000")]
                if per_1000:
                    reference = per_1000[0]["denominator"][0]
                    reference_name = str(per_1000[0]["name"]).split("je 1.000 ", 1)[-1]
            doc = kennzahlen_catalog(products, reference, reference_name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(
                "# Kennzahlen aus der Kosten- und Leistungsrechnung "
                "(von 'planlabor controlling import' erzeugt).\n" + tomli_w.dumps(doc),
                encoding="utf-8",
            )
            add_catalog_to_config(self.root / CONFIG_NAME, "vorlagen/controlling.toml")
            self.config = load_config(self.root / CONFIG_NAME)
            self.catalog()
        return report

    # --------------------------------------------------------------- D-A-CH
    def setup_dach(
        self, source: str | Path, tables: bool = True, template: bool = True, lau: bool = True
    ) -> Any:
        """Set up the D-A-CH comparison from the ``dach`` data folder: the layers (NUTS 0/2/3,
        LAU Austria and Basel, Basel Wohnviertel), the Eurostat tables and the template ``dach``.
        Run :meth:`compute` afterwards."""
        from planlabor.areas.dach import eurostat_imports, import_dach_layers
        from planlabor.io.importer import ImportOptions
        from planlabor.io.table import ReadOptions

        source = Path(source)
        rep = import_dach_layers(self.store, source, self.config.workspace.crs, lau=lau)
        if tables:
            for path, select, prefix, layer in eurostat_imports(source):
                # codes of later NUTS versions (e.g. Thüringen 2024, DEG0Q …) have no 2021 area:
                # they wait in the quarantine instead of being lost
                opts = ImportOptions(
                    layer=layer,
                    read=ReadOptions(select=select, variable_prefix=prefix),
                    on_unmatched="quarantine",
                )
                r = self.import_table(path, opts)
                rep.tables[path.name] = r.n_values
                if r.quarantined:
                    rep.warnings.append(
                        f"{path.name}: {r.quarantined} Werte mit Schlüsseln ohne NUTS-2021-Gebiet "
                        f"({', '.join(list(r.unmatched)[:6])}) zurückgestellt, siehe 'planlabor quarantine'."
                    )
            if lau:
                from planlabor.areas.dach import BASEL_TABLES

                for name in BASEL_TABLES:
                    path = source / "ch" / "basel" / "data" / name
                    r = self.import_table(path, ImportOptions(layer="wohnviertel_bs"))
                    rep.tables[f"basel/{name}"] = r.n_values
        if template and self.catalog().get("dach_einwohner") is None:
            self.import_template("dach")
        return rep

    # -------------------------------------------------------------- status
    def status(self) -> dict[str, Any]:
        from planlabor.areas.layers import layer_summary
        from planlabor.io.periods import sort_periods

        obs = self.store.query_df(
            "SELECT layer_id, count(DISTINCT variable) AS variables, count(*) AS values "
            "FROM observations WHERE superseded_by IS NULL GROUP BY layer_id ORDER BY layer_id"
        )
        periods = self.store.query_df(
            "SELECT DISTINCT layer_id, period FROM observations WHERE superseded_by IS NULL"
        )
        obs["periods"] = [list(periods.loc[periods["layer_id"] == lay, "period"]) for lay in obs["layer_id"]]
        ind = self.store.query_df(
            "SELECT layer_id, count(DISTINCT indicator_id) AS indicators, count(*) AS values "
            "FROM indicator_values GROUP BY layer_id ORDER BY layer_id"
        )
        return {
            "workspace": self.config.workspace.name,
            "root": str(self.root),
            "layers": layer_summary(self.store),
            "observations": [
                {
                    "layer": r["layer_id"],
                    "variables": int(r["variables"]),
                    "periods": sort_periods(list(r["periods"])),
                    "values": int(r["values"]),
                }
                for r in obs.to_dict("records")
            ],
            "indicators": [
                {"layer": r["layer_id"], "indicators": int(r["indicators"]), "values": int(r["values"])}
                for r in ind.to_dict("records")
            ],
            "catalog": len(self.catalog().indicators),
        }

    def validate(self) -> list[str]:
        """Check config and catalog; return warnings (errors raise)."""
        catalog = self.catalog()
        warnings = []
        have = set(self.store.query_df("SELECT DISTINCT variable FROM observations")["variable"])
        for ind in catalog.indicators:
            miss = [v for v in ind.variables() if v not in have]
            if miss and have:
                warnings.append(f"Indikator {ind.id!r}: Variable(n) {', '.join(miss)} noch nicht importiert.")
        return warnings


def _store_url(text: str | None) -> Any:
    """The parsed PostgreSQL address of a new workspace (``*`` in the schema made unique)."""
    if not text:
        return None
    from planlabor.store.pgurl import StoreUrl

    return StoreUrl.parse(text).fresh()


_EMPTY_CATALOG = """# Indikatorkatalog. Jeder Eintrag beginnt mit [[indicator]]; siehe docs/katalog.md.
#
# [[indicator]]
# id = "anteil_auslaender"
# name = "Anteil Ausländer:innen"
# theme = "Migration und Integration"
# unit = "%"
# numerator = ["inhabitants_foreigners"]
# denominator = ["inhabitants"]
# factor = 100
# source = "Einwohnerregister"
"""
