"""Command line: parse options, call one use case of :mod:`planlabor.app`, print.

One module per command group (``planlabor/cli/<group>.py``) registers its commands on
:data:`cli` when imported below; a new group is a new module and one import line here.
Modules import only click at the top and the library inside each command, so
``planlabor --help`` starts fast (``bench/bench_cli.py``).

Exit codes: 0 success, 1 bad input (message names file, row, column and what
was expected), 2 usage error.
"""

from __future__ import annotations

import json
import logging
import tempfile
import traceback
from datetime import date
from pathlib import Path
from typing import Any

import click

from planlabor import __version__
from planlabor.errors import InputError, PlanlaborError

log = logging.getLogger("planlabor")


class _UserError(click.ClickException):
    exit_code = 1

    def __init__(self, err: PlanlaborError) -> None:
        super().__init__(err.message)
        self.err = err

    def show(self, file: Any = None) -> None:
        click.echo(self.err.render(), err=True)


class _InternalError(click.ClickException):
    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"Interner Fehler: {self.message}", err=True)


class PlanlaborGroup(click.Group):
    """Turns library errors into friendly messages and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PlanlaborError as exc:
            log.debug("Fehler", exc_info=exc)
            raise _UserError(exc) from exc
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # output piped into e.g. `head` that stopped reading: end quietly
            import os
            import sys

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except Exception as exc:
            path = _crash_log(ctx, traceback.format_exc())
            raise _InternalError(
                f"{type(exc).__name__}: {exc}. Das ist ein Programmfehler; Details in {path}. "
                "Bitte melden Sie ihn mit dieser Datei."
            ) from exc


def _crash_log(ctx: click.Context, text: str) -> Path:
    """Write the details of a crash to a new owner-only file: in the workspace's ``fehler/``
    folder, or (no workspace) a uniquely named file in the user's temporary folder."""
    import os
    from datetime import datetime

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        from planlabor.workspace import find_workspace

        root = ctx.find_root()
        folder = find_workspace(Path((root.obj or {}).get("dir") or ".")) / "fehler"
        folder.mkdir(mode=0o700, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"fehler-{stamp}-", suffix=".log", dir=folder)  # unique, 0600
        path = Path(name)
    except (PlanlaborError, OSError):
        fd, name = tempfile.mkstemp(prefix=f"planlabor-fehler-{stamp}-", suffix=".log")
        path = Path(name)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def _workspace(ctx: click.Context, read_only: bool = False) -> Any:
    from planlabor.workspace import Workspace

    ws = Workspace.open(ctx.obj.get("dir"), read_only=read_only)
    ctx.call_on_close(ws.close)
    return ws


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    from planlabor.app.fields import pairs

    return pairs(values, option)


def _lists(values: tuple[str, ...], option: str) -> dict[str, list[str]]:
    """``COL=a,b`` options as {COL: [a, b]}."""
    from planlabor.app.fields import lists

    return lists(values, option)


def _record(text: str) -> int:
    if not text.strip().isdigit():
        raise InputError(
            f"--set-key {text!r}: vor dem = steht die Nummer des Datensatzes.",
            column="--set-key",
            expected="NR=SCHLÜSSEL, z. B. 124=04030417",
        )
    return int(text)


def _date(value: str | None, option: str) -> date | None:
    from planlabor.app.fields import day

    return day(value, option)


def _echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


@click.group(cls=PlanlaborGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--workspace",
    "workspace_dir",
    type=click.Path(file_okay=False),
    help="Ordner des Arbeitsbereichs (sonst der aktuelle Ordner oder darüber).",
)
@click.option("-v", "--verbose", is_flag=True, help="Technische Details ausgeben.")
@click.version_option(version=__version__, package_name="planlabor")  # no metadata lookup
@click.pass_context
def cli(ctx: click.Context, workspace_dir: str | None, verbose: bool) -> None:
    """planlabor: Sozialmonitoring, Raumanalyse, Planung, Atlas und Berichte.

    \b
    Beispiel:
      planlabor init berlin --name "Berlin"
      cd berlin && planlabor areas import plr.shp --layer plr --id-column PLR_ID
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
    ctx.ensure_object(dict)
    ctx.obj["dir"] = workspace_dir


def _de(value: Any, decimals: int = 0) -> str:
    from planlabor.io.export import format_number_de

    return format_number_de(float(value), decimals)


def _periods_list(text: str | None) -> list[str] | None:
    from planlabor.io.periods import parse_period_option

    if not text:
        return None
    return [parse_period_option(p.strip(), stichtag=True) for p in text.split(",") if p.strip()]


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``planlabor`` command (click exits with the code)."""
    cli.main(args=argv, prog_name="planlabor")


#: the modules of the command groups, imported in this order (each registers its commands on cli;
#: ``reports`` before ``fach``, which adds to the report group)
COMMAND_MODULES = (
    "workspace",
    "imports",
    "areas",
    "compute",
    "analysis",
    "projection",
    "atlas",
    "reports",
    "templates",
    "demo",
    "daten",
    "fach",
    "grid",
    "user",
)


def _register() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"planlabor.cli.{name}")


_register()
report: click.Group = cli.commands["report"]  # type: ignore[assignment]  # extended by other modules

from planlabor import cli_austausch as _cli_austausch  # noqa: E402,F401  (dossier, galerie)
from planlabor import cli_geheimhaltung as _cli_geheimhaltung  # noqa: E402,F401  (geheimhaltung …)
from planlabor import cli_gruppen as _cli_gruppen  # noqa: E402,F401  (gruppe liste|anlegen|loeschen)
from planlabor import cli_netz as _cli_netz  # noqa: E402,F401  (network commands)
from planlabor import cli_store as _cli_store  # noqa: E402,F401  (store copy/publish, audit)
