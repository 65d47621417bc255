"""Atlas bauen und ausliefern: atlas build, serve

Registered on the main command group of :mod:`planlabor.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from planlabor.cli import PlanlaborGroup, _de, cli


# --------------------------------------------------------------------- atlas
@cli.group(cls=PlanlaborGroup)
def atlas() -> None:
    """Den öffentlichen Sozialatlas als statischen Ordner bauen."""


@atlas.command("build")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False), help="Zielordner (wird neu angelegt)."
)
@click.pass_context
def atlas_build(ctx: click.Context, out: str) -> None:
    """Statischen öffentlichen Atlas bauen: ein Ordner für jeden Webspace.

    Öffnet auch direkt von der Festplatte; enthält nur öffentliche Indikatoren mit gesperrten
    kleinen Fallzahlen.

    \b
    Beispiel:
      planlabor atlas build --out atlas/
      # ansehen: atlas/index.html im Browser öffnen
    """
    from planlabor.app.publish import publish_atlas

    r = publish_atlas(ctx.obj.get("dir"), out)
    click.echo(
        f"Atlas gebaut in {r.out}: {r.files} Dateien, {_de(r.bytes / 1e6, 1)} MB "
        f"({_de(r.zipped_bytes / 1e6, 2)} MB gepackt), {len(r.layers)} Raumebenen, "
        f"{r.indicators} Indikatoren, "
        f"{_de(r.seconds, 1)} s"
    )
    click.echo(f"  Öffnen: {Path(r.out).resolve() / 'index.html'}")


def _serve(
    root: Path | None,
    ctx: click.Context | None,
    host: str,
    port: int,
    internal: bool = False,
    https: bool = False,
    workers: int = 1,
    overrides: dict[str, Any] | None = None,
) -> None:
    import os

    import uvicorn

    from planlabor.atlas.workers import ENV, build_app, prepare, worker_env
    from planlabor.workspace import find_workspace

    folder = find_workspace(Path((ctx.obj.get("dir") if ctx is not None else root) or "."))
    _prepare(folder, prepare)
    click.echo(f"Sozialatlas: http://{host}:{port}/  (API: http://{host}:{port}/api/docs; Ende mit Strg+C)")
    if internal:
        click.echo(f"  Interne Ansicht nach Anmeldung: http://{host}:{port}/login")
    # bounded: idle keep-alive connections close after 5 s, at most 1,000 at once (then 503)
    limits: dict[str, Any] = {"log_level": "warning", "timeout_keep_alive": 5, "limit_concurrency": 1000}
    if workers > 1:
        os.environ[ENV] = worker_env(folder, internal, https, overrides)
        click.echo(f"  {workers} Prozesse")
        uvicorn.run(
            "planlabor.atlas.workers:app_factory",
            factory=True,
            workers=workers,
            # a worker busy loading (or on a loaded machine) is not hung: replaced after 60 s, not 5
            timeout_worker_healthcheck=60,
            host=host,
            port=port,
            **limits,
        )
        return
    uvicorn.run(build_app(folder, internal, https, overrides), host=host, port=port, **limits)


def _prepare(folder: Path, prepare: Any) -> None:
    """Build the public atlas data once for all processes, and say so (``serve``'s start log)."""
    import logging

    click.echo("Bereite die Daten des Atlas vor (einmal für alle Prozesse) …")
    try:
        r = prepare(folder)
    except Exception as exc:  # the server still starts; its processes build on demand
        logging.getLogger("planlabor.server").warning("Vorbereitung fehlgeschlagen: %s", exc)
        click.echo(f"  Vorbereitung nicht möglich ({exc}); die Prozesse bauen die Daten bei Bedarf.")
        return
    where = f" in {r['folder']}" if r["folder"] else " (nur im Speicher: kein gemeinsamer Ordner)"
    click.echo(
        f"  {r['payloads']} Datenpakete und {r['frames']} Wertetabellen in {_de(r['seconds'], 1)} s{where}"
        + (f"; {r['pruned']} veraltete Stände entfernt" if r["pruned"] else "")
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse, an der der Server lauscht.")
@click.option("--port", type=int, default=8765, show_default=True, help="Port.")
@click.option("--internal", is_flag=True, help="Anmeldung für die interne Ansicht anbieten.")
@click.option("--https", is_flag=True, help="Sitzungs-Cookie nur über HTTPS senden (hinter TLS).")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Parallele Server-Prozesse."
)
@click.option(
    "--aufbewahrung",
    type=click.IntRange(1, 36500),
    metavar="TAGE",
    help="Einträge des Änderungsprotokolls nach TAGE Tagen löschen "
    "(sonst: [server] audit_days; ohne: behalten).",
)
@click.option(
    "--sitzung-stunden",
    type=click.FloatRange(0, 720, min_open=True),
    metavar="STUNDEN",
    help="Anmeldungen enden nach STUNDEN (sonst: [server] session_hours, 8).",
)
@click.option(
    "--dateien-stunden",
    type=click.FloatRange(0, 8760, min_open=True),
    metavar="STUNDEN",
    help="Hochgeladene Dateien, Aufträge und Berichte der Werkstatt nach STUNDEN löschen "
    "(sonst: [server] keep_hours, 24).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    internal: bool,
    https: bool,
    workers: int,
    aufbewahrung: int | None,
    sitzung_stunden: float | None,
    dateien_stunden: float | None,
) -> None:
    """Atlas und API starten (FastAPI): Karte, Profile, Vergleich, Tabellen, Downloads, OGC API – Features.

    \b
    Beispiel:
      planlabor serve --port 8765
      # im Browser: http://127.0.0.1:8765/ ; in QGIS: OGC API – Features http://127.0.0.1:8765/ogc
      planlabor serve --internal --host 0.0.0.0 --https   # hinter einem TLS-Proxy
      planlabor serve --workers 4            # mehrere Prozesse (gemeinsamer Speicher auf PostgreSQL)
      planlabor serve --internal --aufbewahrung 365 --sitzung-stunden 4
    """
    given = {"audit_days": aufbewahrung, "session_hours": sitzung_stunden, "keep_hours": dateien_stunden}
    _serve(None, ctx, host, port, internal, https, workers, {k: v for k, v in given.items() if v is not None})
