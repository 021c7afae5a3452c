"""The viewer's web application (Starlette): routes, server-side HTML, downloads, the files.

Every page is a GET rendered on the server by Jinja2; filters are plain HTML forms, so the
pages work with scripts off. A page's `?download=csv` (UTF-8 with BOM, for Excel) or
`?download=xlsx` returns what it shows. A Content-Security-Policy keeps the browser from
loading anything but this server's own stylesheet and the inline pictures, and from running
any script at all.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..load.encoding import decode_bytes
from ..printed import shown
from ..xlsx import Entry, write_frames, write_xlsx
from .data import Catalog, FindingFilter
from .pages import Page, bodies_page, body_page, cell_text, findings_page, report_page

HERE = Path(__file__).resolve().parent
POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
          "base-uri 'none'; frame-ancestors 'none'")
# A source page is shown as its publisher made it, minus everything that would leave this
# machine or run: no scripts, no fetches (its images and styles from the web stay away).
SOURCE_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8",
          "text": "text/plain; charset=utf-8",
          "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def create_app(catalog: Catalog) -> Starlette:
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["plain"] = plain
    env.globals.update(shown=shown, plain=plain, zip=zip, cell_text=cell_text,
                       store=catalog.path,
                       version=catalog.version, other_versions=catalog.other_versions,
                       quote=lambda text: quote(str(text), safe=""))

    def render(request: Request, page: Page) -> Response:
        download = request.query_params.get("download")
        if download in ("csv", "xlsx"):
            return _download(page, download, catalog)
        query = request.url.query
        page.context["here"] = request.url.path + (f"?{query}" if query else "")
        page.context["download_link"] = _download_link(request)
        html = env.get_template(page.template).render(page.context, request=request)
        return HTMLResponse(html, headers={"Content-Security-Policy": POLICY})

    def bodies(request: Request) -> Response:
        q = request.query_params
        return render(request, bodies_page(catalog, q.get("q", "").strip(), q.get("level", ""),
                                           q.get("region", "")))

    def report(request: Request) -> Response:
        page = report_page(catalog, request.path_params["sha256"])
        return render(request, page) if page else _missing("no such report in this store")

    def body(request: Request) -> Response:
        page = body_page(catalog, request.path_params["name"])
        return render(request, page) if page else _missing("no such body in this store")

    def findings(request: Request) -> Response:
        q = request.query_params
        chosen = FindingFilter(*(q.get(name, "").strip() for name in
                                 ("rule", "severity", "cause", "body", "year")))
        return render(request, findings_page(catalog, chosen))

    def source(request: Request) -> Response:
        return _source_file(catalog, request.path_params["sha256"])

    routes = [Route("/", bodies), Route("/report/{sha256}", report),
              Route("/body/{name:path}", body), Route("/findings", findings),
              Route("/file/{sha256}", source),
              Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
    return Starlette(routes=routes)


def _download_link(request: Request):
    def link(kind: str) -> str:
        params = dict(request.query_params) | {"download": kind}
        return request.url.path + "?" + "&".join(f"{k}={quote(v, safe='')}"
                                                 for k, v in params.items())
    return link


def _download(page: Page, kind: str, catalog: Catalog) -> Response:
    buffer = io.BytesIO()
    if page.template == "report.html" and kind == "xlsx":  # its tables as printed
        context = page.context
        write_xlsx(buffer, [Entry(context["report"], [f for f, _ in context["findings"]],
                                  context["ident"])], catalog.layouts)
        name = f"{page.name}.xlsx"
    elif kind == "xlsx":
        write_frames(buffer, page.frames)
        name = f"{page.name}.xlsx"
    else:  # the page's main table; Excel needs the BOM to read UTF-8
        frame = next(iter(page.frames.values()))
        buffer.write(frame.to_csv(index=False).encode("utf-8-sig"))
        name = f"{page.name}.csv"
    media = XLSX if kind == "xlsx" else "text/csv; charset=utf-8"
    return Response(buffer.getvalue(), media_type=media, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}"})


def _source_file(catalog: Catalog, sha256: str) -> Response:
    row = catalog.report_row(sha256)
    path = catalog.source_path(row["path"], sha256) if row else None
    if path is None:
        return _missing("the report's file is not where the batch read it, or it changed")
    kind = row["file_kind"]
    data = path.read_bytes()
    if kind in ("html", "text"):
        data = decode_bytes(data, markup=kind == "html")[0].encode("utf-8")
    disposition = "attachment" if kind == "docx" else "inline"
    return Response(data, media_type=_MEDIA.get(kind, "application/octet-stream"), headers={
        "Content-Security-Policy": SOURCE_POLICY,
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(path.name, safe='')}"})


def _missing(message: str) -> Response:
    return PlainTextResponse(message, status_code=404)


def plain(value) -> str:
    """A value for a cell: digits as the report prints them (no float tails), nothing for a
    missing one (None, NaN, pandas' NA)."""
    if value is None or (not isinstance(value, (str, list, tuple)) and bool(pd.isna(value))):
        return ""
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() \
            else format(value.normalize(), "f")
    return str(value)
