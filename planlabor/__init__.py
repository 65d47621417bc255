"""planlabor: datenbasierte kommunale Sozialplanung.

>>> from planlabor import Workspace
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planlabor.errors import PlanlaborError

if TYPE_CHECKING:
    from planlabor.workspace import Workspace

__version__ = "0.1.0"

__all__ = ["PlanlaborError", "Workspace", "__version__"]


def __getattr__(name: str) -> Any:
    # imported on first use: ``planlabor --help`` must not load pandas and DuckDB (issue 22)
    if name == "Workspace":
        from planlabor.workspace import Workspace

        return Workspace
    raise AttributeError(f"module 'planlabor' has no attribute {name!r}")
