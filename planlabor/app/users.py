"""Use cases of managing the users of the internal atlas and the Werkstatt (audited)."""

from __future__ import annotations

from planlabor.app import Where, auth_store
from planlabor.app.audit import record


def add_user(where: Where, name: str, password: str, role: str = "intern", by: str | None = None) -> None:
    from planlabor.atlas.auth import add_user as add

    with auth_store(where) as auth:
        add(auth, name, password, role)
    record(where, by, "user add", name=name, role=role)


def list_users(where: Where) -> list[dict[str, str]]:
    """Name, role, created, open sessions and themes (empty: all) of every user."""
    from planlabor.atlas.auth import list_users as listed

    with auth_store(where) as auth:
        return [{**u, "themes": ", ".join(auth.themes(u["name"]) or [])} for u in listed(auth)]


def remove_user(where: Where, name: str, by: str | None = None) -> None:
    """Remove a user; her sessions end at once, also in a running server."""
    from planlabor.atlas.auth import remove_user as remove

    with auth_store(where) as auth:
        remove(auth, name)
    record(where, by, "user remove", name=name)


def set_password(where: Where, name: str, password: str, by: str | None = None) -> None:
    """A new password; the user's sessions end at once."""
    from planlabor.atlas.auth import set_password as setpw

    with auth_store(where) as auth:
        setpw(auth, name, password)
    record(where, by, "user passwd", name=name)


def end_sessions(where: Where, name: str | None, by: str | None = None) -> int:
    """End the sessions of ``name`` (or of everyone: None); how many ended."""
    with auth_store(where) as auth:
        n = int(auth.end_all(name))
    record(where, by, "user logout", name=name or "(alle)", sessions=n)
    return n


def set_themes(where: Where, name: str, themes: list[str] | None, by: str | None = None) -> None:
    """Limit what ``name`` may change to the given themes (e.g. the Jugendamt: Jugendhilfe);
    None or empty: every theme."""
    from planlabor.errors import NotFoundError

    clean = [t.strip() for t in themes or [] if t.strip()]
    with auth_store(where) as auth:
        if auth.user(name) is None:
            raise NotFoundError(f"Die Benutzer:in {name!r} gibt es nicht.", column="name")
        auth.set_themes(name, clean or None)
    record(where, by, "user themes", name=name, themes=clean or "alle")


def themes_of(where: Where, name: str | None) -> list[str] | None:
    """The themes ``name`` may change; None: every theme (also for the command line: no name)."""
    if not name:
        return None
    with auth_store(where) as auth:
        return auth.themes(name)


def require_themes(where: Where, by: str | None, themes: set[str], what: str) -> None:
    """Refuse (:class:`~planlabor.errors.AccessError`) when ``by`` may not change ``themes``."""
    from planlabor.errors import AccessError

    allowed = themes_of(where, by)
    outside = sorted(t for t in themes if allowed is not None and t not in allowed)
    if outside:
        raise AccessError(
            f"{what} gehört zum Fachthema {', '.join(outside)}; Sie dürfen nur "
            f"{', '.join(allowed or [])} ändern.",
            hint="Eine Administratorin kann Ihre Fachthemen auf der Seite Benutzer erweitern.",
        )
