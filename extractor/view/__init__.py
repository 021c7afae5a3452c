"""view: `nianbao serve STORE`, a local read-only web viewer over a batch store.

Pages (docs/view.md): the bodies (search, level, region, years present), one report (its
tables as printed, doubtful cells marked, its findings beside their evidence, its file), one
body across the years (the harmonized series with year-on-year change and small charts), all
findings (filters, counts by rule); each page downloads as CSV or XLSX.

    data.py    the store, opened read-only: bodies, reports, findings, histories
    pages.py   what each page shows, as plain data
    charts.py  inline SVG charts
    app.py     the Starlette application: routes, HTML (Jinja2 templates/), downloads

Its dependencies are the `view` extra; `require()` says how to install them when missing.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import socket
import sys
from pathlib import Path

from ..errors import NianbaoError, install_hint
from ..knowledge import Knowledge

EXTRA = ("starlette", "jinja2", "uvicorn")
LOOPBACK = "127.0.0.1"


class ViewError(NianbaoError):
    kind = "view"


def require() -> None:
    """Raise a one-line ViewError when the viewer's packages are not installed."""
    missing = [name for name in EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        raise ViewError(f"the viewer needs {', '.join(missing)}: {install_hint('view')}")


def serve(store: Path, *, host: str = LOOPBACK, port: int = 8765,
          knowledge: Knowledge | None = None) -> None:
    """Serve `store` until interrupted. The store is opened read-only, so a batch cannot
    write to it meanwhile (DuckDB locks the file)."""
    require()
    import uvicorn

    from .app import create_app
    from .data import Catalog

    _check_free(host, port)
    if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        print(f"nianbao: {host} is not this machine's loopback address: others on the network "
              "can read the store", file=sys.stderr)
    catalog = Catalog(store, knowledge or Knowledge.default())
    try:
        config = uvicorn.Config(create_app(catalog), host=host, port=port, log_level="warning",
                                access_log=False, lifespan="off")
        print(f"nianbao: serving {store} read-only at http://{host}:{port}/ (Ctrl-C stops)",
              file=sys.stderr, flush=True)
        uvicorn.Server(config).run()
    finally:
        catalog.close()


def _check_free(host: str, port: int) -> None:
    """A taken port is one line, not the web server's traceback."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ViewError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
