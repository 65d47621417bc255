"""The application layer: one use-case function per action a planner takes.

The command line (:mod:`planlabor.cli`), the REST API and the Werkstatt pages of
``planlabor serve`` are thin adapters over these functions: they parse what the user typed or
sent, call one function here and show its plain result (dataclasses, dicts, lists).  Every
function is framework-free (no click, no FastAPI), opens the workspace it is given (a folder,
or ``None`` for the folder the process is in, like ``planlabor -C``), closes it again and raises
:class:`~planlabor.errors.PlanlaborError` subclasses with German messages.  Actions that change
the workspace take the acting user (``by``) and are written to the audit log
(:mod:`planlabor.app.audit`).

Modules: :mod:`~planlabor.app.imports` (preview, import, log, revert, quarantine),
:mod:`~planlabor.app.compute`, :mod:`~planlabor.app.publish` (atlas and reports),
:mod:`~planlabor.app.users`, :mod:`~planlabor.app.audit`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planlabor.workspace import Workspace

Where = str | Path | None


@contextmanager
def opened(where: Where, read_only: bool = False) -> Iterator[Workspace]:
    """The workspace at ``where`` (or the one the current folder is in), closed afterwards."""
    from planlabor.workspace import Workspace

    ws = Workspace.open(where, read_only=read_only)
    try:
        yield ws
    finally:
        ws.close()


def root_of(where: Where) -> Path:
    """The folder of the workspace at ``where`` (searched upwards like git), found without
    loading the library (commands that only read users or the audit log start fast)."""
    here = (Path(where) if where is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "planlabor.toml").is_file():
            return folder
    from planlabor.workspace import find_workspace

    return find_workspace(here)  # raises the WorkspaceError with its "Lösung"


@contextmanager
def auth_store(where: Where) -> Iterator[Any]:
    """The users and sessions file of the workspace (:class:`planlabor.atlas.sessions.AuthStore`),
    opened without the store (which is read only once, to adopt users of earlier versions)."""
    from planlabor.atlas.sessions import AUTH_FILE, AuthStore

    root = root_of(where)
    auth = AuthStore(root / AUTH_FILE)
    held: list[Any] = []

    def store() -> Any:
        from planlabor.workspace import Workspace

        held.append(Workspace.open(root, read_only=True))
        return held[-1].store

    try:
        auth.adopt_legacy_users(store)
        yield auth
    finally:
        auth.close()
        for ws in held:
            ws.close()
