"""What the viewer reads from a store, read-only: bodies, reports, findings, histories.

One DuckDB connection opened read-only (a running batch keeps the file locked; the viewer
never writes); the web server's worker threads take turns on it. Rebuilt reports and
histories are cached: the store cannot change under a read-only connection.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..audit import audit
from ..audit.model import Finding
from ..history import History, build_history
from ..knowledge import Knowledge
from ..printed import Layouts
from ..schema import Report
from ..store import Store
from ..textnorm import compact
from ..version import __version__

# The findings page lists this many rows; the download holds them all.
PAGE_ROWS = 500
REPORT_COLUMNS = ["sha256", "path", "source", "file_kind", "title", "agency", "body", "level",
                  "region", "year", "format", "n_values", "n_findings", "worst"]
FINDING_COLUMNS = ["sha256", "ordinal", "rule", "rule_number", "severity", "likely_cause",
                   "expected", "actual", "difference", "message_zh", "message_en", "path",
                   "body", "agency", "year", "format"]


@dataclass(frozen=True)
class FindingFilter:
    rule: str = ""
    severity: str = ""
    cause: str = ""
    body: str = ""
    year: str = ""


class Catalog:
    """A store opened for reading, with what the pages ask of it."""

    def __init__(self, path: Path, knowledge: Knowledge) -> None:
        self.path = Path(path)
        self.store = Store(self.path, read_only=True)
        self.knowledge = knowledge
        self.layouts: Layouts = knowledge.layouts
        self.series_order = list(knowledge.crosswalk.series)
        self._lock = threading.RLock()
        versions = [r[0] for r in self._rows(
            "SELECT DISTINCT extractor_version FROM reports ORDER BY 1")]
        # Reports of this nianbao when the store has them (what `history` reads too).
        self.version = __version__ if __version__ in versions or not versions else versions[-1]
        self.other_versions = [v for v in versions if v != self.version]
        self.report = lru_cache(maxsize=64)(self._report)
        self.history = lru_cache(maxsize=32)(self._history)

    def close(self) -> None:
        self.store.close()

    def exclusive(self) -> threading.RLock:
        """Held while one request uses what cannot serve two threads at once: the DuckDB
        connection, and PyMuPDF (which renders the evidence crops)."""
        return self._lock

    def _rows(self, sql: str, params: list | None = None) -> list[tuple]:
        with self._lock:
            return self.store.con.execute(sql, params or []).fetchall()

    def _frame(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with self._lock:
            return self.store.con.execute(sql, params or []).df()

    # -- reports and bodies -----------------------------------------------------------------

    def reports(self) -> pd.DataFrame:
        columns = ", ".join(f'"{c}"' for c in REPORT_COLUMNS)
        frame = self._frame(f"SELECT {columns} FROM reports WHERE extractor_version = ? "
                            "ORDER BY body NULLS LAST, year, path", [self.version])
        return frame.astype({"year": "Int64", "n_findings": "Int64", "n_values": "Int64"})

    def bodies(self, query: str = "", level: str = "", region: str = "") -> pd.DataFrame:
        """One row per body matching the search: level, region, its reports by year."""
        reports = self.reports().dropna(subset=["body"])
        if query:
            wanted = compact(query).lower()
            names = reports[["body", "agency", "region"]].fillna("").apply(
                lambda row: wanted in compact(" ".join(row)).lower(), axis=1)
            reports = reports[names]
        if level:
            reports = reports[reports["level"] == level]
        if region:
            reports = reports[reports["region"] == region]
        rows = []
        for body, group in reports.groupby("body", sort=True):
            rows.append({
                "body": body, "level": group["level"].iloc[0], "region": group["region"].iloc[0],
                "years": ", ".join(str(y) for y in sorted(group["year"].dropna().unique())),
                "reports": len(group), "findings": int(group["n_findings"].sum()),
                "errors": int((group["worst"] == "error").sum()),
                "by_year": [(None if pd.isna(r.year) else int(r.year), r.sha256, r.format)
                            for r in group.itertuples()]})
        return pd.DataFrame(rows, columns=["body", "level", "region", "years", "reports",
                                           "findings", "errors", "by_year"])

    def facets(self) -> dict[str, list]:
        reports = self.reports()
        return {name: sorted(reports[name].dropna().unique().tolist())
                for name in ("level", "region", "body", "year", "format")}

    def report_row(self, sha256: str) -> dict | None:
        reports = self.reports()
        found = reports[reports["sha256"] == sha256]
        return None if found.empty else found.iloc[0].to_dict()

    def _report(self, sha256: str) -> Report:
        with self._lock:
            report = self.store.report(sha256, self.version)
        source = self.source_path(report.meta.path, report.meta.sha256)
        if source is not None:  # the evidence reads the file where it is now
            report.meta = report.meta.model_copy(update={"path": str(source)})
        return report

    def stored_findings(self, sha256: str) -> list[Finding]:
        with self._lock:
            return self.store.findings(sha256, self.version)

    def evidence_findings(self, sha256: str) -> list[Finding]:
        """The stored findings with where their prose claim is printed, which the store does
        not keep: the same audit run again on the stored report supplies it."""
        report = self.report(sha256)
        again = {_identity(f): f for f in audit(report, knowledge=self.knowledge).findings}
        return [again.get(_identity(f), f) for f in self.stored_findings(sha256)]

    def source_path(self, path: str, sha256: str) -> Path | None:
        """The report's file as the batch read it: its path as stored, or relative to the
        store's folder; None when it is gone or its content changed."""
        given = Path(path)
        for candidate in ([given] if given.is_absolute() else [given, self.path.parent / given]):
            try:
                data = candidate.read_bytes()
            except OSError:
                continue
            if hashlib.sha256(data).hexdigest() == sha256:
                return candidate.resolve()
        return None

    # -- a body across years ---------------------------------------------------------------

    def _history(self, body: str) -> History:
        with self._lock:
            return build_history(self.store, body=body, knowledge=self.knowledge)

    # -- findings ---------------------------------------------------------------------------

    def findings(self, chosen: FindingFilter) -> pd.DataFrame:
        where, params = ["f.extractor_version = ?"], [self.version]
        for column, value in (("f.rule", chosen.rule), ("f.severity", chosen.severity),
                              ("f.likely_cause", chosen.cause), ("r.body", chosen.body)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if chosen.year.isdigit():
            where.append("r.year = ?")
            params.append(int(chosen.year))
        frame = self._frame(
            "SELECT f.sha256, f.ordinal, f.rule, f.rule_number, f.severity, f.likely_cause, "
            "f.expected, f.actual, f.difference, f.message_zh, f.message_en, r.path, r.body, "
            "r.agency, r.year, r.format FROM findings f JOIN reports r "
            "USING (sha256, extractor_version) WHERE " + " AND ".join(where) +
            " ORDER BY r.body NULLS LAST, r.year, r.path, f.ordinal", params)
        return frame.astype({"year": "Int64", "rule_number": "Int64"})[FINDING_COLUMNS]

    def finding_choices(self) -> dict[str, list]:
        rows = self._rows("SELECT DISTINCT rule, severity, likely_cause FROM findings "
                          "WHERE extractor_version = ?", [self.version])
        return {"rule": sorted({r[0] for r in rows}), "severity": sorted({r[1] for r in rows}),
                "cause": sorted({r[2] for r in rows})}


def counts_by_rule(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings per rule and severity, the most frequent first."""
    if findings.empty:
        return pd.DataFrame(columns=["rule", "rule_number", "severity", "findings", "reports"])
    grouped = findings.groupby(["rule", "severity"], dropna=False)
    counts = grouped.agg(rule_number=("rule_number", "first"), findings=("ordinal", "size"),
                         reports=("sha256", "nunique")).reset_index()
    return counts.sort_values(["findings", "rule"], ascending=[False, True], ignore_index=True)[
        ["rule", "rule_number", "severity", "findings", "reports"]]


def _identity(f: Finding) -> tuple:
    return (f.rule, tuple(c.key for c in f.cells), str(f.expected), str(f.actual))
