"""Store addresses: ``postgresql://user@host:port/db?schema=name`` (PostgreSQL) or a folder/file.

The password never stands in the address (nor in ``planlabor.toml``): libpq reads it from the
environment (``PGPASSWORD``) or from ``~/.pgpass`` (``PGPASSFILE``).  Everything else is a libpq
connection URI; planlabor adds one parameter of its own, ``schema`` (the workspace's schema in
the database, default ``planlabor``), which it removes before connecting.  A ``*`` in the schema
name becomes a random suffix when the workspace is created (training and test workspaces).

>>> u = StoreUrl.parse("postgresql://anna@db.stadt.de/sozial?schema=monitoring")
>>> u.schema, u.conninfo
('monitoring', 'postgresql://anna@db.stadt.de/sozial')
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from planlabor.errors import ConfigError

DEFAULT_SCHEMA = "planlabor"
SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
PUBLIC_SUFFIX = "_oeffentlich"


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


@dataclass(frozen=True)
class StoreUrl:
    """A parsed PostgreSQL store address."""

    conninfo: str  # libpq URI without planlabor's own parameters
    schema: str

    @classmethod
    def parse(cls, url: str, schema: str | None = None, where: str = "--store") -> StoreUrl:
        if not is_postgres_url(url):
            raise ConfigError(
                f"{url!r} ist keine PostgreSQL-Adresse.",
                column=where,
                expected="postgresql://benutzer@rechner:5432/datenbank",
                hint="Geben Sie die Adresse der Datenbank an, die Ihre GIS-Abteilung betreibt.",
            )
        parts = urlsplit(url)
        if parts.password is not None:
            raise ConfigError(
                "Die Speicheradresse enthält ein Passwort; Passwörter gehören nicht in Adressen "
                "oder in planlabor.toml.",
                column=where,
                expected="postgresql://benutzer@rechner/datenbank (ohne :passwort)",
                hint="Legen Sie das Passwort in ~/.pgpass ab (Zeile rechner:port:datenbank:benutzer:"
                "passwort, Rechte 0600) oder setzen Sie die Umgebungsvariable PGPASSWORD.",
            )
        query = parse_qsl(parts.query, keep_blank_values=True)
        own = [v for k, v in query if k == "schema"]
        rest = [(k, v) for k, v in query if k != "schema"]
        name = schema or (own[-1] if own else DEFAULT_SCHEMA)
        check_schema(name.replace("*", "x"), where)
        conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest, safe="/"), ""))
        return cls(conninfo=conninfo, schema=name)

    def fresh(self) -> StoreUrl:
        """The same address with every ``*`` of the schema replaced by a random suffix."""
        if "*" not in self.schema:
            return self
        return StoreUrl(self.conninfo, self.schema.replace("*", secrets.token_hex(4)))

    @property
    def public_schema(self) -> str:
        return self.schema + PUBLIC_SUFFIX

    def display(self) -> str:
        """The address for messages and ``planlabor.toml`` (with ``schema``)."""
        parts = urlsplit(self.conninfo)
        query = [*parse_qsl(parts.query, keep_blank_values=True), ("schema", self.schema)]
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="/*"), ""))


def check_schema(name: str, where: str = "schema") -> str:
    if not SCHEMA_RE.match(name):
        raise ConfigError(
            f"{name!r} ist kein gültiger Schemaname.",
            column=where,
            expected="Kleinbuchstaben, Ziffern und _, höchstens 41 Zeichen, z. B. planlabor",
            hint="Wählen Sie einen Namen wie sozialmonitoring (…?schema=sozialmonitoring).",
        )
    return name
