"""store: the DuckDB file a batch writes and `history`, `export` and notebooks read.

Tables (one row each):
    reports   per report: where it came from, its body (agency, level, region, year), format,
              counts, and the parts of the `Report` that are not values (meta, sections, table
              quality, claims, warnings) as JSON, so a stored report can be rebuilt exactly;
    values    per value, printed and derived, with provenance (the tidy table of docs/schema.md);
    findings  per finding of the single-report audit;
    errors    per file whose latest attempt failed: path, sha256, error kind, message.
Reports are keyed by (sha256, extractor_version), and each carries the fingerprint of the
pattern and rule files it was read with (knowledge.py): the same content read with the same
extractor and the same patterns is stored once; a newer extractor stores it again, and other
patterns replace it (the store holds one reading of each report per extractor version). A report is written in one transaction together with its values
and findings (a transaction may hold several whole reports), so a killed batch leaves whole
reports or none.

Rows are built by `store_rows.report_rows` (in the worker that extracted the report) as plain
Python, and made into Arrow tables and inserted by `Store.add_reports` (in the one process that
owns the file), so workers never load DuckDB or Arrow.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from .audit.model import CellRef, Finding
from .errors import NianbaoError
from .schema import Claim, Meta, Report, Section, TableReport, Value, Warning
from .store_rows import ReportRows

JSON = "JSON"
_COLUMNS: dict[str, list[tuple[str, str, pa.DataType]]] = {
    "reports": [
        ("sha256", "VARCHAR", pa.string()),
        ("extractor_version", "VARCHAR", pa.string()),
        ("patterns_fingerprint", "VARCHAR", pa.string()),
        ("path", "VARCHAR", pa.string()),
        ("source", "VARCHAR", pa.string()),
        ("file_kind", "VARCHAR", pa.string()),
        ("page_count", "INTEGER", pa.int32()),
        ("title", "VARCHAR", pa.string()),
        ("agency", "VARCHAR", pa.string()),
        ("body", "VARCHAR", pa.string()),
        ("level", "VARCHAR", pa.string()),
        ("body_kind", "VARCHAR", pa.string()),
        ("region", "VARCHAR", pa.string()),
        ("region_code", "VARCHAR", pa.string()),
        ("year", "INTEGER", pa.int32()),
        ("format", "VARCHAR", pa.string()),
        ("metadata_sources", JSON, pa.string()),
        ("n_values", "INTEGER", pa.int32()),
        ("n_findings", "INTEGER", pa.int32()),
        ("worst", "VARCHAR", pa.string()),
        ("seconds", "DOUBLE", pa.float64()),
        ("meta", JSON, pa.string()),
        ("sections", JSON, pa.string()),
        ("tables", JSON, pa.string()),
        ("claims", JSON, pa.string()),
        ("warnings", JSON, pa.string()),
    ],
    "values": [
        ("sha256", "VARCHAR", pa.string()),
        ("extractor_version", "VARCHAR", pa.string()),
        ("ordinal", "INTEGER", pa.int32()),
        ("key", "VARCHAR", pa.string()),
        ("table_name", "VARCHAR", pa.string()),
        ("value", "DOUBLE", pa.float64()),
        ("value_exact", "VARCHAR", pa.string()),
        ("raw", "VARCHAR", pa.string()),
        ("null_reason", "VARCHAR", pa.string()),
        ("unit", "VARCHAR", pa.string()),
        ("page", "INTEGER", pa.int32()),
        ("bbox", "DOUBLE[]", pa.list_(pa.float64())),
        ("span", "INTEGER[]", pa.list_(pa.int32())),
        ("confidence", "DOUBLE", pa.float64()),
        ("derived", "BOOLEAN", pa.bool_()),
        ("note", "VARCHAR", pa.string()),
    ],
    "findings": [
        ("sha256", "VARCHAR", pa.string()),
        ("extractor_version", "VARCHAR", pa.string()),
        ("ordinal", "INTEGER", pa.int32()),
        ("rule", "VARCHAR", pa.string()),
        ("rule_number", "INTEGER", pa.int32()),
        ("severity", "VARCHAR", pa.string()),
        ("expected", "VARCHAR", pa.string()),
        ("actual", "VARCHAR", pa.string()),
        ("difference", "VARCHAR", pa.string()),
        ("tolerance", "VARCHAR", pa.string()),
        ("likely_cause", "VARCHAR", pa.string()),
        ("keys", "VARCHAR[]", pa.list_(pa.string())),
        ("message_zh", "VARCHAR", pa.string()),
        ("message_en", "VARCHAR", pa.string()),
        ("claim", "VARCHAR", pa.string()),
        ("cells", JSON, pa.string()),
    ],
    "errors": [
        ("path", "VARCHAR", pa.string()),
        ("sha256", "VARCHAR", pa.string()),
        ("extractor_version", "VARCHAR", pa.string()),
        ("kind", "VARCHAR", pa.string()),
        ("message", "VARCHAR", pa.string()),
        ("seconds", "DOUBLE", pa.float64()),
    ],
}
_KEYS = {"reports": "PRIMARY KEY (sha256, extractor_version)",
         "errors": "PRIMARY KEY (path, extractor_version)"}
TABLES = tuple(_COLUMNS)
WRITER_MEMORY = "128MB"
SCHEMAS = {name: pa.schema([(c, t) for c, _, t in cols]) for name, cols in _COLUMNS.items()}
# Columns that vary from run to run of the same files (timings): left out when comparing stores.
TIMING_COLUMNS = {"reports": ("seconds",), "errors": ("seconds",)}


class StoreError(NianbaoError):
    kind = "store"


class Store:
    """A DuckDB store, opened by one process at a time (DuckDB locks the file)."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no such store")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: cannot open the store "
                             f"({str(exc).splitlines()[0]})") from None
        if not read_only:
            # DuckDB keeps what it wrote cached up to 80 % of RAM: over a long batch the writing
            # process grew 4 MiB per 1,000 reports. Inserts of a few reports need little.
            self.con.execute(f"SET memory_limit = '{WRITER_MEMORY}'")
            for name, cols in _COLUMNS.items():
                parts = [f'"{c}" {t}' for c, t, _ in cols] + ([_KEYS[name]] if name in _KEYS else [])
                self.con.execute(f'CREATE TABLE IF NOT EXISTS "{name}" ({", ".join(parts)})')
            # A store written before reports carried their patterns' fingerprint: the column
            # is added (old rows hold none, so they are read again).
            self.con.execute("ALTER TABLE reports ADD COLUMN IF NOT EXISTS patterns_fingerprint "
                             "VARCHAR")
        elif not self._has_tables():
            raise StoreError(f"{self.path}: not a nianbao store (no reports table)")

    def _has_tables(self) -> bool:
        names = {r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        return set(TABLES) <= names

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- what is done -------------------------------------------------------------------

    def stored_shas(self, version: str, fingerprint: str | None = None) -> set[str]:
        """Reports read by extractor `version` with the patterns of `fingerprint`."""
        rows = self.con.execute(
            "SELECT sha256 FROM reports WHERE extractor_version = ? "
            "AND patterns_fingerprint IS NOT DISTINCT FROM ?", [version, fingerprint]).fetchall()
        return {r[0] for r in rows}

    def failed_files(self, version: str) -> dict[tuple[str, str | None], tuple[str, str]]:
        """The files whose latest attempt failed: (path, sha256) → (error kind, message)."""
        rows = self.con.execute("SELECT path, sha256, kind, message FROM errors "
                                "WHERE extractor_version = ?", [version]).fetchall()
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}

    # -- writing: whole reports (several per transaction) and errors ---------------------

    def add_reports(self, reports: list[tuple[ReportRows, str]]) -> None:
        """Insert reports (rows, path) with their values and findings in one transaction; each
        file's old error row goes. Several reports per transaction cost a fifth as much each
        as one (a commit and three inserts are the price, whatever their size)."""
        if not reports:
            return
        con = self.con
        con.begin()
        try:
            for rows, _ in reports:  # a reading with other patterns is replaced
                for name in ("reports", "values", "findings"):
                    con.execute(f'DELETE FROM "{name}" WHERE sha256 = ? AND extractor_version = ?',
                                [rows.sha256, rows.extractor_version])
            for name in ("reports", "values", "findings"):
                table = pa.Table.from_pylist([row for rows, _ in reports
                                              for row in getattr(rows, name)],
                                             schema=SCHEMAS[name])
                if table.num_rows:
                    con.register("incoming", table)
                    con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM incoming')
                    con.unregister("incoming")
            paths: dict[str, list[str]] = {}
            for rows, path in reports:
                paths.setdefault(rows.extractor_version, []).append(path)
            for version, listed in paths.items():
                con.execute("DELETE FROM errors WHERE extractor_version = ? "
                            "AND list_contains(?::VARCHAR[], path)", [version, listed])
            con.commit()
        except BaseException:
            con.rollback()
            raise

    def add_error(self, path: str, sha256: str | None, version: str, kind: str, message: str,
                  seconds: float) -> None:
        """Record the file's latest failure (replacing an earlier one)."""
        con = self.con
        con.begin()
        try:
            con.execute("DELETE FROM errors WHERE path = ? AND extractor_version = ?",
                        [path, version])
            con.execute("INSERT INTO errors VALUES (?, ?, ?, ?, ?, ?)",
                        [path, sha256, version, kind, message, round(seconds, 4)])
            con.commit()
        except BaseException:
            con.rollback()
            raise

    # -- reading ----------------------------------------------------------------------------

    def frame(self, sql: str, params: list | None = None):
        """A query's result as a pandas DataFrame."""
        return self.con.execute(sql, params or []).df()

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every table's rows without the timing columns, sorted: what two runs over the same
        files must agree on (a resumed run and an uninterrupted one, Dask and local)."""
        out = {}
        for name, cols in _COLUMNS.items():
            listed = ", ".join(f'"{c}"' for c, _, _ in cols
                               if c not in TIMING_COLUMNS.get(name, ()))
            out[name] = self.con.execute(f'SELECT {listed} FROM "{name}" ORDER BY ALL').fetchall()
        return out

    def report(self, sha256: str, version: str) -> Report:
        """The stored `Report`, rebuilt exactly (values as printed, Decimals exact)."""
        row = self.con.execute(
            "SELECT meta, sections, tables, claims, warnings FROM reports "
            "WHERE sha256 = ? AND extractor_version = ?", [sha256, version]).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no report {sha256[:12]} for extractor {version}")
        meta, sections, tables, claims, warnings = (json.loads(x) for x in row)
        values = self.con.execute(
            'SELECT key, table_name, value_exact, raw, null_reason, unit, page, bbox, span, '
            'confidence, derived, note FROM "values" '
            "WHERE sha256 = ? AND extractor_version = ? ORDER BY ordinal",
            [sha256, version]).fetchall()
        printed, derived = [], []
        for (key, table, exact, raw, reason, unit, page, bbox, span, confidence, is_derived,
             note) in values:
            value = _number(exact, unit)
            (derived if is_derived else printed).append(Value(
                key=key, table=table, value=value, raw=raw, null_reason=reason, unit=unit,
                page=page, bbox=bbox, span=span, confidence=confidence, derived=is_derived,
                note=note))
        return Report(meta=Meta(**meta), sections=[Section(**s) for s in sections],
                      tables=[TableReport(**t) for t in tables], values=printed, derived=derived,
                      claims=[Claim(**c) for c in claims],
                      warnings=[Warning(**w) for w in warnings])

    def findings(self, sha256: str, version: str) -> list[Finding]:
        """The stored findings of a report's single-report audit, in their order."""
        rows = self.con.execute(
            "SELECT rule, rule_number, severity, expected, actual, difference, tolerance, "
            "likely_cause, message_zh, message_en, claim, cells FROM findings "
            "WHERE sha256 = ? AND extractor_version = ? ORDER BY ordinal",
            [sha256, version]).fetchall()
        return [Finding(rule=rule, rule_number=number, severity=severity,
                        expected=_stated(expected), actual=_stated(actual),
                        difference=None if difference is None else _stated(difference),
                        tolerance=tolerance, likely_cause=cause, message_zh=zh, message_en=en,
                        claim=claim, cells=[CellRef(**c) for c in json.loads(cells)])
                for (rule, number, severity, expected, actual, difference, tolerance, cause,
                     zh, en, claim, cells) in rows]

    def export(self, directory: Path, fmt: str, *, bom: bool = False) -> list[Path]:
        """Each table to DIR/<table>.<fmt> (parquet or csv; `bom`: CSV in UTF-8 with a BOM).
        Values and findings rows carry their report's file, body, agency, year and format;
        in CSV a value is written exactly as stored (29130, not 29130.0)."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{directory}: cannot create ({exc.strerror})") from None
        written = []
        for name in TABLES:
            target = directory / f"{name}.{fmt}"
            options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER"
            self.con.execute(f"COPY ({_export_query(name, fmt)}) TO '{_quote(target)}' "
                             f"({options})")
            if bom and fmt == "csv":
                _prepend_bom(target)
            written.append(target)
        return written


def _export_query(name: str, fmt: str) -> str:
    order = ", ".join(f't."{c}"' for c, _, _ in _COLUMNS[name][:3])
    if name not in ("values", "findings"):
        return f'SELECT * FROM "{name}" t ORDER BY {order}'
    exact = " REPLACE (t.value_exact AS value)" if name == "values" and fmt == "csv" else ""
    return (f"SELECT r.path AS file, r.body, r.agency, r.year, r.format, t.*{exact} "
            f'FROM "{name}" t JOIN reports r USING (sha256, extractor_version) ORDER BY {order}')


def _prepend_bom(path: Path) -> None:
    part = path.with_name(path.name + ".part")
    with path.open("rb") as source, part.open("wb") as out:
        out.write("\ufeff".encode())
        shutil.copyfileobj(source, out)
    part.replace(path)


def _stated(text: str) -> int | Decimal | str:
    """A finding's expected or printed value as stored (text): a number when it is one."""
    try:
        return int(text)
    except ValueError:
        try:
            return Decimal(text)
        except ArithmeticError:
            return text


def _number(exact: str | None, unit: str | None) -> int | Decimal | None:
    """Counts come back as ints, amounts (and any value printed with decimals) as Decimals."""
    if exact is None:
        return None
    return Decimal(exact) if unit is not None or "." in exact else int(exact)


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
