"""Commands for the users of the internal atlas (``planlabor user …``), registered on the main
command group of :mod:`planlabor.cli`.

They work on the workspace's auth file (``atlas-auth.sqlite``), not on the store: they work while
``planlabor serve`` runs, and what they change (a removed user, a new password, ended sessions)
holds for the running server from its next request on.
"""

from __future__ import annotations

import sys

import click

from planlabor.cli import PlanlaborGroup, cli

THEMA_HELP = (
    "Nur dieses Fachthema ändern dürfen (mehrfach angebbar, z. B. --thema Jugendhilfe); "
    "ohne: alle Fachthemen."
)


def _scope(themes: list[str]) -> str:
    clean = [t.strip() for t in themes if t.strip()]
    return f" (Fachthemen: {', '.join(clean)})" if clean else ""


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.read().rstrip("\n")
    return str(click.prompt("Passwort", hide_input=True, confirmation_prompt="Passwort wiederholen"))


@cli.group(cls=PlanlaborGroup)
def user() -> None:
    """Benutzer:innen der internen Atlas-Ansicht verwalten (auch während 'planlabor serve' läuft)."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["intern", "admin", "editor", "viewer"]),
    default="intern",
    show_default=True,
    help="viewer: nur ansehen; editor/intern: Daten ändern; admin: auch Benutzer:innen verwalten.",
)
@click.option("--password-stdin", is_flag=True, help="Passwort aus der Standardeingabe lesen (für Skripte).")
@click.option("--thema", "themes", multiple=True, help=THEMA_HELP)
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, password_stdin: bool, themes: tuple[str, ...]) -> None:
    """Benutzer:in anlegen; das Passwort wird als argon2id-Hash gespeichert, nie im Klartext.

    \b
    Beispiel:
      planlabor user add mueller --role intern
      planlabor user add jugendamt --role editor --thema Jugendhilfe
      printf '%s' "$PASSWORT" | planlabor user add dienst --password-stdin
    """
    from planlabor.app.users import add_user, set_themes

    password = _password(password_stdin)
    add_user(ctx.obj.get("dir"), name, password, role)
    if themes:
        set_themes(ctx.obj.get("dir"), name, list(themes))
    click.echo(f"Benutzer:in {name!r} mit Rolle {role!r} angelegt{_scope(list(themes))}.")


@user.command("set")
@click.argument("name")
@click.option("--thema", "themes", multiple=True, help=THEMA_HELP)
@click.option("--alle-themen", is_flag=True, help="Die Beschränkung auf Fachthemen aufheben.")
@click.pass_context
def user_set(ctx: click.Context, name: str, themes: tuple[str, ...], alle_themen: bool) -> None:
    """Fachthemen einer Benutzer:in setzen (wie auf der Werkstatt-Seite Benutzer); protokolliert.

    \b
    Beispiel:
      planlabor user set jugendamt --thema Jugendhilfe --thema Bildung
      planlabor user set jugendamt --alle-themen
    """
    from planlabor.app.users import set_themes
    from planlabor.errors import InputError

    if bool(themes) == alle_themen:
        raise InputError(
            "Nennen Sie Fachthemen mit --thema oder heben Sie die Beschränkung mit --alle-themen auf.",
            expected="--thema THEMA (mehrfach) oder --alle-themen",
        )
    set_themes(ctx.obj.get("dir"), name, list(themes))
    click.echo(f"Benutzer:in {name!r} darf jetzt{_scope(list(themes)) or ' alle Fachthemen'} ändern.")


@user.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """Benutzer:innen, Rollen und offene Sitzungen anzeigen.

    \b
    Beispiel:
      planlabor user list
    """
    from planlabor.app.users import list_users

    users = list_users(ctx.obj.get("dir"))
    if not users:
        click.echo("Keine Benutzer:innen. Anlegen mit 'planlabor user add NAME'.")
    for u in users:
        themes = f"  Fachthemen: {u['themes']}" if u.get("themes") else ""
        click.echo(f"{u['name']:<24} {u['role']:<8} seit {u['created']}  Sitzungen: {u['sessions']}{themes}")


@user.command("remove")
@click.argument("name")
@click.pass_context
def user_remove(ctx: click.Context, name: str) -> None:
    """Benutzer:in entfernen; alle Sitzungen enden sofort, auch im laufenden Server.

    \b
    Beispiel:
      planlabor user remove mueller
    """
    from planlabor.app.users import remove_user

    remove_user(ctx.obj.get("dir"), name)
    click.echo(f"Benutzer:in {name!r} entfernt; ihre Sitzungen sind beendet.")


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Passwort aus der Standardeingabe lesen (für Skripte).")
@click.pass_context
def user_passwd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Neues Passwort setzen; alle Sitzungen der Person enden sofort.

    \b
    Beispiel:
      planlabor user passwd mueller
      printf '%s' "$NEUES_PASSWORT" | planlabor user passwd dienst --password-stdin
    """
    from planlabor.app.users import set_password

    set_password(ctx.obj.get("dir"), name, _password(password_stdin))
    click.echo(f"Neues Passwort für {name!r} gesetzt; ihre Sitzungen sind beendet.")


@user.command("logout")
@click.argument("name", required=False)
@click.option("--all", "everyone", is_flag=True, help="Die Sitzungen aller Benutzer:innen beenden.")
@click.pass_context
def user_logout(ctx: click.Context, name: str | None, everyone: bool) -> None:
    """Sitzungen beenden (einer Person oder mit --all aller), z. B. nach Verlust eines Geräts.

    \b
    Beispiel:
      planlabor user logout mueller
      planlabor user logout --all
    """
    from planlabor.errors import InputError

    if bool(name) == everyone:
        raise InputError("Nennen Sie genau eine Person oder --all.", expected="NAME oder --all")
    from planlabor.app.users import end_sessions

    n = end_sessions(ctx.obj.get("dir"), None if everyone else name)
    click.echo(f"{n} Sitzung(en) beendet.")
