"""extras: the optional parts of nianbao, each an extra of pyproject.toml, and the one line that
says how to install one when a command needs it.

`nianbao batch` runs its workers in a pebble process pool or on a Dask cluster: the `bulk`
extra, which a user reading reports one at a time never needs.
"""

from __future__ import annotations

import importlib.util

from .errors import NianbaoError


class ExtraMissing(NianbaoError):
    kind = "extra_missing"


def require(extra: str, feature: str, *modules: str) -> None:
    """Raise a one-line ExtraMissing when a module `feature` needs is not installed."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise ExtraMissing(f"{feature} needs {', '.join(missing)}, not installed: "
                           f"pip install -e '.[{extra}]'")
