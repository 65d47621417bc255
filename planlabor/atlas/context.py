"""What the server's routers share: one small context object per application.

:func:`planlabor.atlas.server.create_app` builds a :class:`ServerContext` and hands it to the
``install(ctx)`` function of each router module (:mod:`~planlabor.atlas.routes_api`,
:mod:`~planlabor.atlas.routes_atlas`, :mod:`~planlabor.atlas.routes_public`, …).  A new concept
(e.g. Beteiligung, area groups) is a module with an ``install(ctx)`` function and one line in
``create_app``.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from planlabor.atlas.cache import Entry
from planlabor.atlas.data import AtlasSource, dumps
from planlabor.atlas.login import Login
from planlabor.atlas.service import AtlasService, json_answer


@dataclass(frozen=True)
class ServerContext:
    """The application, its data service, the workspace source and the sessions."""

    app: FastAPI
    svc: AtlasService
    src: AtlasSource
    login: Login

    def public_view(self, request: Request) -> bool:
        """Whether the request sees the public view (no internal session)."""
        return self.login.public_view(request)

    def cached(self, fn: Callable[..., Any], media: str = "application/json") -> Callable[..., Any]:
        """Serialise an endpoint's answer once per parameters and view; later calls send bytes.
        The key is independent of the ``Host`` header (links carry a placeholder, see
        :mod:`planlabor.atlas.cache`); the cache is bounded in bytes."""
        svc, public_view = self.svc, self.login.public_view

        def build(request: Request, key: tuple[Any, ...], kw: dict[str, Any]) -> Entry:
            # another process may have built it for this version of the workspace (planlabor.cache)
            shared, name = svc.shared, "answer/" + hashlib.sha256(repr(key).encode()).hexdigest()
            data = shared.get(name) if shared is not None else None
            if data is not None and len(data) > 8:
                n = int.from_bytes(data[:8], "big")
                return svc.remember(key, data[8 : 8 + n], data[8 + n :])
            raw = dumps(fn(request=request, **kw)).encode("utf-8")
            packed = gzip.compress(raw, 5)
            if shared is not None:
                shared.put(name, len(raw).to_bytes(8, "big") + raw + packed, optional=True)
            return svc.remember(key, raw, packed)

        @functools.wraps(fn)
        async def wrapper(request: Request, **kw: Any) -> Response:
            # answered in the event loop when cached; built in a worker thread otherwise
            key = (fn.__name__, public_view(request), tuple(sorted(kw.items())))
            entry = svc.responses.get(key)
            if entry is None:
                entry = await run_in_threadpool(build, request, key, kw)
            return json_answer(request, entry, media, public=key[1])

        return wrapper

    async def payload(self, request: Request, name: str) -> Response:
        """A precomputed payload (``meta``, ``geo/<layer>``, …) of the request's view."""
        pub = self.public_view(request)
        pair = self.svc.cache.get((name, pub))
        if pair is None:
            pair = await run_in_threadpool(self.svc.payload, name, pub)
        return json_answer(request, pair, public=pub)
