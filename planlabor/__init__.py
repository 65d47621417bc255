"""planlabor: datenbasierte kommunale Sozialplanung.

>>> from planlabor import Workspace
"""

from planlabor.errors import PlanlaborError
from planlabor.workspace import Workspace

__version__ = "0.1.0"

__all__ = ["PlanlaborError", "Workspace", "__version__"]
