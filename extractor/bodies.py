"""Who published a report: the body, its administrative level and region (patterns/bodies.yaml).

The agency comes from the report's title (`Report.meta.agency`), else from the opening
paragraph or page header ("本报告由河西区民政局办公室根据…编制", "来源：…"); a manifest CSV
overrides agency, region code and year per file. The agency name is parsed into its places and
the body after them (安化县 · 柳溪镇 · 人民政府), which gives the level and the region. `body`
is the canonical name that groups one body's reports across years: a bare place is its
government ("上海市" → 上海市人民政府). Region codes are not guessed: no code table ships
with nianbao, so they come from the manifest only.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from pathlib import Path

import regex

from .document import Document, TextLine
from .errors import NianbaoError
from .patterns import BodyPatterns
from .schema import Report
from .textnorm import compact

LEVEL_RANK = {"national": 0, "province": 1, "city": 2, "county": 3, "township": 4}
_OPENING_LINES = 40
MANIFEST_COLUMNS = ("path", "agency", "region_code", "year")


class ManifestError(NianbaoError):
    kind = "manifest"


@dataclass(frozen=True)
class Body:
    agency: str | None = None  # as printed (or as the manifest gives it)
    body: str | None = None  # canonical name, the same for every year of one body
    level: str | None = None  # national, province, city, county, township or zone
    kind: str | None = None  # government, office or department
    region: str | None = None  # the places in the name, joined: 安化县柳溪镇
    region_code: str | None = None
    year: int | None = None
    sources: dict[str, str] = field(default_factory=dict)  # field → title, opening, manifest


@dataclass(frozen=True)
class ManifestEntry:
    agency: str | None
    region_code: str | None
    year: int | None


@dataclass(frozen=True)
class _Place:
    name: str
    suffix: str
    level: str


class BodyRules:
    """bodies.yaml compiled: place levels and suffixes, government and office words, the
    spellings of one body, what is not an agency."""

    def __init__(self, data: BodyPatterns) -> None:
        bare = data.bare_place_body
        longest_first = lambda words: tuple(sorted(words, key=len, reverse=True))  # noqa: E731
        self.places = tuple((p.level, longest_first(p.suffixes), p.max_stem) for p in data.places)
        self.province_cities = frozenset(data.province_level_cities)
        self.zone_suffixes = longest_first(data.zones.suffixes)
        self.zone_level = data.zones.level
        self.zone_max_stem = data.zones.max_stem
        self.governments = longest_first(data.governments)
        self.offices = longest_first(data.offices)
        self.department_suffixes = longest_first(data.department_suffixes)
        self.bare_default = bare.default
        self.bare_by_suffix = bare.by_suffix
        self.bare_by_level = bare.by_level
        # Longest spelling first, so 政府办公室 is rewritten before 政府.
        self.same_body = tuple(sorted(data.same_body.items(), key=lambda kv: -len(kv[0])))
        self.national = tuple(regex.compile(p) for p in data.national)
        self.trim = regex.compile(data.trim)
        self.not_an_agency = tuple(regex.compile(p) for p in data.not_an_agency)
        self.opening = tuple(regex.compile(p) for p in data.opening_agency)


def _place_at(text: str, pos: int, rules: BodyRules) -> _Place | None:
    """The place name starting at `pos`: the shortest stem followed by a known suffix."""
    longest = max([rules.zone_max_stem] + [m for _, _, m in rules.places])
    for stem in range(1, longest + 1):
        at = pos + stem
        if at >= len(text):
            return None
        for suffix in rules.zone_suffixes if stem <= rules.zone_max_stem else ():
            if text.startswith(suffix, at):
                return _Place(text[pos:at + len(suffix)], suffix, rules.zone_level)
        for level, suffixes, max_stem in rules.places:
            if stem > max_stem:
                continue
            for suffix in suffixes:
                if text.startswith(suffix, at):
                    return _Place(text[pos:at + len(suffix)], suffix, level)
    return None


def _places(name: str, rules: BodyRules) -> list[_Place]:
    """Places from the left; each after the first must be of a lower level than the one before
    (so 住房和城乡建设局 after a 市 is a department, not a 乡)."""
    found: list[_Place] = []
    pos = 0
    while pos < len(name):
        place = _place_at(name, pos, rules)
        if place is None:
            break
        level = place.level
        if place.name in rules.province_cities:
            level = "province"
        elif found and place.suffix == "市" and found[-1].level == "city":
            level = "county"  # a 县级市 inside a prefecture
        if found and LEVEL_RANK.get(level, 9) <= LEVEL_RANK.get(found[-1].level, 9) \
                and place.level != rules.zone_level:
            break
        found.append(_Place(place.name, place.suffix, level))
        pos += len(place.name)
    return found


def parse_agency(name: str, rules: BodyRules) -> Body:
    """Body, level, kind and region of an agency name (no year, no sources)."""
    agency = rules.trim.sub("", compact(name))
    places = _places(agency, rules)
    rest = agency[sum(len(p.name) for p in places):]
    for spelling, canonical in rules.same_body:
        if rest.endswith(spelling) and not rest.endswith(canonical):
            rest = rest[: -len(spelling)] + canonical
            break
    bare = bool(places) and not rest
    kind = _kind(rest, rules, bare)
    if places:
        last = places[-1]
        level = last.level
        if bare or kind == "government":
            # A place's government however spelled is one body: 平潭综合实验区管委会 is
            # 平潭综合实验区, as 上海市 is 上海市人民政府.
            rest = rules.bare_by_suffix.get(last.suffix,
                                           rules.bare_by_level.get(last.level, rules.bare_default))
    else:
        level = "national" if any(p.search(agency) for p in rules.national) else None
    return Body(agency=agency, body="".join(p.name for p in places) + rest, level=level,
                kind=kind, region="".join(p.name for p in places) or None)


def _kind(rest: str, rules: BodyRules, bare: bool) -> str | None:
    if bare or rest in rules.governments:
        return "government"
    if rest in rules.offices:
        return "office"
    if any(rest.endswith(s) for s in rules.department_suffixes):
        return "department"
    return None


def opening_text(document: Document) -> str:
    """The first text lines of a document (title block, page header, opening paragraph)."""
    lines = [b.text for _, b in document.blocks() if isinstance(b, TextLine)]
    return "\n".join(compact(line) for line in lines[:_OPENING_LINES])


def infer(report: Report, opening: str, rules: BodyRules) -> Body:
    """The body of `report` from its title (meta.agency) or else its opening lines."""
    agency, source = report.meta.agency, "title"
    if agency and any(p.search(agency) for p in rules.not_an_agency):
        agency = None
    if not agency:
        agency, source = _from_opening(opening, rules), "opening"
    sources = {"year": "title"} if report.meta.year is not None else {}
    if not agency:
        return Body(year=report.meta.year, sources=sources)
    return replace(parse_agency(agency, rules), year=report.meta.year,
                   sources={"agency": source} | sources)


def _from_opening(opening: str, rules: BodyRules) -> str | None:
    for pattern in rules.opening:
        found = pattern.search(opening)
        if found:
            name = found.group("agency").replace("\n", "")
            if not any(p.search(name) for p in rules.not_an_agency):
                return name
    return None


def apply_manifest(body: Body, entry: ManifestEntry, rules: BodyRules) -> Body:
    """Manifest values replace inferred ones; a new agency is parsed again."""
    sources = dict(body.sources)
    if entry.agency:
        body = replace(parse_agency(entry.agency, rules), region_code=body.region_code,
                       year=body.year)
        sources["agency"] = "manifest"
    if entry.region_code:
        body = replace(body, region_code=entry.region_code)
        sources["region_code"] = "manifest"
    if entry.year is not None:
        body = replace(body, year=entry.year)
        sources["year"] = "manifest"
    return replace(body, sources=sources)


def read_manifest(path: Path) -> dict[str, ManifestEntry]:
    """Manifest rows by resolved file path. Relative paths are relative to the manifest. A
    manifest saved from a spreadsheet as GBK reads as well as UTF-8."""
    from .load.encoding import decode_bytes

    try:
        text, _ = decode_bytes(path.read_bytes(), markup=False)
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest ({exc.strerror})") from None
    entries: dict[str, ManifestEntry] = {}
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = set(reader.fieldnames or ())
        if "path" not in columns:
            raise ManifestError(f"{path}: the manifest needs a 'path' column "
                                f"(columns: {', '.join(MANIFEST_COLUMNS)})")
        unknown = columns - set(MANIFEST_COLUMNS)
        if unknown:
            raise ManifestError(f"{path}: unknown manifest column(s) {', '.join(sorted(unknown))} "
                                f"(columns: {', '.join(MANIFEST_COLUMNS)})")
        for line, row in enumerate(reader, start=2):
            year_text = (row.get("year") or "").strip()
            if year_text and not (year_text.isdigit() and len(year_text) == 4):
                raise ManifestError(f"{path}:{line}: year {year_text!r} is not a four-digit year")
            file = (row.get("path") or "").strip()
            if not file:
                raise ManifestError(f"{path}:{line}: empty path")
            entries[str((path.parent / file).resolve())] = ManifestEntry(
                agency=(row.get("agency") or "").strip() or None,
                region_code=(row.get("region_code") or "").strip() or None,
                year=int(year_text) if year_text else None)
    except csv.Error as exc:
        raise ManifestError(f"{path}:{reader.line_num}: not a CSV manifest ({exc})") from None
    return entries
