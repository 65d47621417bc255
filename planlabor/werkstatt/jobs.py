"""The one writer of a workspace: Werkstatt actions run one after another in a worker process.

DuckDB admits one writing process per store file, and the server must not hold the store (see
:mod:`planlabor.atlas.access`).  So every Werkstatt action that opens the store — a dry run, an
import, a revert — runs in one long-lived worker process, one at a time (a queue of one worker):
two users who import at once are served in turn and never see a half-written store, and the
server process keeps only its short read-only openings.  A failing action leaves the store as it
was (imports are atomic) and comes back as the same :class:`~planlabor.errors.PlanlaborError` with
its German message and "Lösung".
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from typing import Any

from planlabor import errors


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kw: dict[str, Any]) -> tuple[str, Any]:
    """Runs in the worker: the result, or the error as plain data (exceptions with more than a
    message do not survive pickling)."""
    try:
        return "ok", fn(*args, **kw)
    except errors.PlanlaborError as exc:
        data = {f.name: getattr(exc, f.name) for f in fields(exc)}
        data["file"] = str(data["file"]) if data["file"] is not None else None
        return "error", (type(exc).__name__, data)


def _rebuild(name: str, data: dict[str, Any]) -> errors.PlanlaborError:
    cls = getattr(errors, name, errors.PlanlaborError)
    if not (isinstance(cls, type) and issubclass(cls, errors.PlanlaborError)):
        cls = errors.PlanlaborError
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in known})


class Writer:
    """A queue of one worker process for the actions on one workspace."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn: a fresh interpreter, no copy of the server's threads and open files
                ctx = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx)
            return self._pool

    def run(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Run ``fn(*args, **kw)`` in the worker after the actions queued before it; its result
        or its PlanlaborError.  ``fn`` must be a module-level function (it is pickled)."""
        state, value = self._executor().submit(_call, fn, args, kw).result()
        if state == "error":
            raise _rebuild(*value)
        return value

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None


class Progress:
    """What the worker reports while a job runs — step, total and a label ("Profil 3 von 542") —
    written to ``<id>.progress.json`` beside the job (a plain callable, picklable into the worker:
    use cases take it as ``progress(step, total, label)``)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, step: int, total: int, label: str | None = None) -> None:
        import json
        import os
        from pathlib import Path

        text = label or f"Schritt {step} von {total}"
        data = {"step": int(step), "total": int(total), "label": text}
        tmp = Path(f"{self.path}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)


class Jobs:
    """Long actions as jobs: started by a form, run in the :class:`Writer` one after another, their
    state kept in ``werkstatt/jobs/<id>.json`` in the workspace — a reload of the job's page, a
    second user or a restarted server sees the same state (a job a stopped server left running
    counts as failed, its store unchanged: every writing step is atomic)."""

    def __init__(self, root: Any, writer: Writer) -> None:
        from pathlib import Path

        self.folder = Path(root) / "werkstatt" / "jobs"
        self.writer = writer
        self._lock = threading.Lock()
        self._live: set[str] = set()

    def _save(self, job: dict[str, Any]) -> None:
        import json

        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.folder / f"{job['id']}.tmp"
        tmp.write_text(json.dumps(job, ensure_ascii=False, default=str), encoding="utf-8")
        tmp.chmod(0o600)  # owner-only, like the uploads
        tmp.replace(self.folder / f"{job['id']}.json")

    def start(
        self, kind: str, user: str, fn: Callable[..., Any], *args: Any, with_progress: bool = False, **kw: Any
    ) -> str:
        """Queue ``fn(*args, **kw)``; the job's id.  ``with_progress``: ``fn`` gets a
        :class:`Progress` as ``progress`` and the job's page shows step, total and label."""
        import secrets
        import time

        job: dict[str, Any] = {
            "id": secrets.token_hex(8), "kind": kind, "by": user, "state": "wartet", "queued": time.time()
        }  # fmt: skip
        if with_progress:
            kw["progress"] = Progress(str(self.folder / f"{job['id']}.progress.json"))
        with self._lock:
            self._live.add(job["id"])
        self._save(job)
        threading.Thread(target=self._run, args=(job, fn, args, kw), daemon=True).start()
        return str(job["id"])

    def _run(self, job: dict[str, Any], fn: Callable[..., Any], args: Any, kw: Any) -> None:
        import time

        job.update(state="läuft", started=time.time())
        self._save(job)
        try:
            result = self.writer.run(fn, *args, **kw)
            job.update(state="fertig", result=_plain(result))
        except errors.PlanlaborError as exc:
            job.update(state="Fehler", error={f.name: getattr(exc, f.name) for f in fields(exc)})
        except Exception as exc:  # a bug: say so, in German, without the traceback
            job.update(
                state="Fehler", error={"message": f"Interner Fehler ({type(exc).__name__}).", "hint": None}
            )
        job["ended"] = time.time()
        self._save(job)
        with self._lock:
            self._live.discard(job["id"])

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The job's state, or None for an unknown id."""
        import json
        import re

        if not re.fullmatch(r"[0-9a-f]{16}", job_id):
            return None
        path = self.folder / f"{job_id}.json"
        if not path.is_file():
            return None
        job: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        step = self.folder / f"{job_id}.progress.json"
        if step.is_file():
            from contextlib import suppress

            with suppress(ValueError, FileNotFoundError):  # being replaced: the next poll reads it
                job.update(json.loads(step.read_text(encoding="utf-8")))
        with self._lock:
            orphan = job["state"] in ("wartet", "läuft") and job_id not in self._live
        if orphan:
            job.update(
                state="Fehler",
                error={
                    "message": "Der Server wurde während des Auftrags beendet.",
                    "hint": "Starten Sie ihn erneut.",
                },
            )
        return job

    def live(self) -> set[str]:
        """Ids of the jobs queued or running in this server."""
        with self._lock:
            return set(self._live)


def _plain(value: Any) -> Any:
    """A result as JSON-ready data (dataclasses as dicts, paths as text)."""
    import dataclasses
    from pathlib import Path

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
