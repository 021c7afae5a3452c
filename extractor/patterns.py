"""Domain knowledge loaded from patterns/*.yaml, validated once.

The shipped patterns live in the wheel as extractor/patterns (in a source checkout: the
repository's patterns/). Users extend them with directories of their own: a file of the same
name there is merged into the shipped one (label lists are extended, keyed entries merged by
key, new entries added), so a new heading variant or label synonym is a data change.

Every pattern or rule file is read by `read_yaml`: at most `MAX_YAML_BYTES`, safe tags only,
and at most `MAX_YAML_NODES` nodes counting each alias as the copy every later step sees (a
"billion laughs" file of a few lines otherwise costs gigabytes in the merge and validation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import regex
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from .errors import PatternsError
from .identity_spec import IdentityPatterns
from .limits import MiB
from .textnorm import label_key

MAX_YAML_BYTES = 1 * MiB
MAX_YAML_NODES = 250_000
# libyaml (when PyYAML has it) is ten times faster and refuses nesting deeper than 1000.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PACKAGED = Path(__file__).resolve().parent / "patterns"
_SOURCE_TREE = Path(__file__).resolve().parent.parent / "patterns"


def shipped_patterns_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE_TREE


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Labelled(_Model):
    labels: list[str] = Field(min_length=1)

    @property
    def keys(self) -> list[str]:
        return [label_key(label) for label in self.labels]


class KeyedLabels(Labelled):
    key: str


class Numbered(Labelled):
    # The numbering printed before the label (三、, （三）, 1.): for showing a table as printed.
    number: str | None = None


class Headed(KeyedLabels):
    # The headings printed above a column (or table-4 block), outermost first.
    under: list[str] = Field(default_factory=list)


class ActiveField(Labelled):
    kind: Literal["count", "signed", "amount"] = "count"
    unit: str | None = None
    # Words the prose uses for this column ("本年度制发…77件"): hints for text-only tables.
    prose: list[str] = Field(default_factory=list)
    # The same quantity under another format's column (made ↔ new_made).
    counterparts: list[str] = Field(default_factory=list)


class ActiveBlockLayout(_Model):
    block: str
    items: list[str]
    fields: list[str]


class ActiveTable(_Model):
    title: str
    stub_labels: list[str] = Field(default_factory=list)
    items: dict[str, Labelled]
    fields: dict[str, ActiveField]
    blocks: dict[str, Labelled]
    formats: dict[str, list[ActiveBlockLayout]]
    plausibility: dict[str, float] = Field(default_factory=dict)


class ApplicationRow(KeyedLabels):
    group: str | None = None
    formats: list[str] | None = None
    number: str | None = None


def _headings_known(items: list[Headed], groups: list[str], name: str) -> None:
    unknown = {h for item in items for h in item.under} - set(groups)
    if unknown:
        raise ValueError(f"`under` names {', '.join(sorted(unknown))}, not one of {name}")


class ApplicationsTable(_Model):
    title: str
    columns: list[Headed]
    column_groups: list[str]
    groups: dict[str, Numbered]
    rows: list[ApplicationRow]
    derived_totals: dict[str, str]

    @model_validator(mode="after")
    def _under(self) -> ApplicationsTable:
        _headings_known(self.columns, self.column_groups, "column_groups")
        return self


class ReviewTable(_Model):
    title: str
    blocks: list[Headed]
    block_groups: list[str]
    fields: list[KeyedLabels]

    @model_validator(mode="after")
    def _under(self) -> ReviewTable:
        _headings_known(self.blocks, self.block_groups, "block_groups")
        return self


class TablePatterns(_Model):
    active: ActiveTable
    applications: ApplicationsTable
    review_litigation: ReviewTable


class SectionPattern(_Model):
    number: int
    key: str
    titles: list[str]


class HeadingPatterns(_Model):
    sections: list[SectionPattern]
    numbering: list[str]
    max_extra_ratio: float


class NumberPatterns(_Model):
    null_markers: dict[str, list[str]]
    units: dict[str, Any]
    thousands_separators: list[str]


def _compiles(pattern: str) -> str:
    try:
        regex.compile(pattern)
    except regex.error as exc:
        raise ValueError(f"not a regular expression ({exc})") from None
    return pattern


def _naming(*groups: str):
    def check(pattern: str) -> str:
        missing = [g for g in groups if g not in regex.compile(pattern).groupindex]
        if missing:
            raise ValueError(f"needs the named group(s) {', '.join(missing)}")
        return pattern
    return AfterValidator(check)


Regex = Annotated[str, AfterValidator(_compiles)]
_NEVER = r"$^"  # a pattern that matches nothing: the rule is off


class MetadataPatterns(_Model):
    title_exclude: Regex = _NEVER
    title_markers: list[Regex] = Field(default_factory=list)
    title_patterns: list[Annotated[Regex, _naming("agency", "year")]] = Field(default_factory=list)
    year_patterns: list[Annotated[Regex, _naming("year")]] = Field(default_factory=list)
    title_suffix: Regex = _NEVER
    title_prefix: Regex = _NEVER


Level = Literal["national", "province", "city", "county", "township", "zone"]


class PlaceLevel(_Model):
    level: Level
    suffixes: list[str] = Field(min_length=1)
    max_stem: int = Field(ge=1)


class ZonePatterns(_Model):
    suffixes: list[str] = Field(default_factory=list)
    level: Level = "zone"
    max_stem: int = Field(default=0, ge=0)


class BarePlaceBody(_Model):
    default: str = ""
    by_suffix: dict[str, str] = Field(default_factory=dict)
    by_level: dict[str, str] = Field(default_factory=dict)


class BodyPatterns(_Model):
    places: list[PlaceLevel] = Field(default_factory=list)
    province_level_cities: list[str] = Field(default_factory=list)
    zones: ZonePatterns = ZonePatterns()
    governments: list[str] = Field(default_factory=list)
    offices: list[str] = Field(default_factory=list)
    department_suffixes: list[str] = Field(default_factory=list)
    bare_place_body: BarePlaceBody = BarePlaceBody()
    same_body: dict[str, str] = Field(default_factory=dict)
    national: list[Regex] = Field(default_factory=list)
    trim: Regex = _NEVER
    not_an_agency: list[Regex] = Field(default_factory=list)
    opening_agency: list[Annotated[Regex, _naming("agency")]] = Field(default_factory=list)


class Patterns(_Model):
    tables: TablePatterns
    headings: HeadingPatterns
    numbers: NumberPatterns
    identities: IdentityPatterns
    metadata: MetadataPatterns = MetadataPatterns()
    bodies: BodyPatterns = BodyPatterns()
    # Raw documents of the remaining files (e.g. audit rules), validated by their own stage.
    extra: dict[str, Any] = Field(default_factory=dict)


def validated(model: type[BaseModel], data: Any, name: str) -> Any:
    """`data`, the document of patterns/<name>.yaml, as `model`: a mistake raises one
    PatternsError naming the file and the place in it."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PatternsError(f"invalid patterns/{name}.yaml at {where}: {first['msg']}") from None
    except regex.error as exc:
        raise PatternsError(f"invalid regular expression in patterns/{name}.yaml: {exc}") from None


def read_yaml(path: Path) -> Any:
    """One pattern or rule file as data ({} when empty), or a PatternsError naming the file."""
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise PatternsError(f"{path}: {size} bytes, over the {MAX_YAML_BYTES} bytes a pattern "
                                "file may have")
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise PatternsError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise PatternsError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        if _expanded_size(node, MAX_YAML_NODES) is None:
            raise PatternsError(f"{path}: more than {MAX_YAML_NODES} values once its aliases "
                                "are expanded (or an alias inside itself)")
        return loader.construct_document(node) or {}
    except yaml.YAMLError as exc:
        raise PatternsError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    except RecursionError:
        raise PatternsError(f"{path}: nested too deeply") from None
    finally:
        loader.dispose()


def _expanded_size(root: yaml.Node, bound: int) -> int | None:
    """How many nodes `root` holds with every alias expanded; None past `bound` or when an
    alias refers to a node that contains it. Each distinct node is visited once."""
    sizes: dict[int, int] = {}
    ancestors: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        children = ([part for pair in node.value for part in pair]
                    if isinstance(node, yaml.MappingNode)
                    else node.value if isinstance(node, yaml.SequenceNode) else [])
        if children_done:
            ancestors.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[id(node)] > bound:
                return None
        elif id(node) in ancestors:
            return None
        elif id(node) not in sizes:
            ancestors.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _merge(base: Any, extra: Any) -> Any:
    if isinstance(base, dict) and isinstance(extra, dict):
        merged = dict(base)
        for key, value in extra.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(extra, list):
        if all(isinstance(x, dict) and isinstance(x.get("key"), str) for x in base + extra):
            by_key = {x["key"]: x for x in base}
            for x in extra:
                by_key[x["key"]] = _merge(by_key[x["key"]], x) if x["key"] in by_key else x
            return list(by_key.values())
        return base + [x for x in extra if x not in base]
    return extra


def _read_dir(directory: Path) -> dict[str, Any]:
    return {path.stem: read_yaml(path) for path in sorted(directory.glob("*.yaml"))}


def read_patterns(extra_dirs: tuple[str, ...] = ()) -> tuple[Patterns, dict[str, Any]]:
    """The shipped patterns, extended by each directory in `extra_dirs` in turn, as typed
    models and as the merged documents they were made from (for the fingerprint)."""
    documents = _read_dir(shipped_patterns_dir())
    for directory in extra_dirs:
        path = Path(directory)
        if not path.is_dir():
            raise PatternsError(f"{directory}: not a directory of pattern files")
        for name, document in _read_dir(path).items():
            if name == "identities" and isinstance(document, dict):
                # An identity is one statement: a user's declaration replaces the shipped one
                # of its name whole (merging term lists would only ever add terms).
                named = {**documents[name].get("identities", {}),
                         **(document.get("identities") or {})}
                documents[name] = {**documents[name], **document, "identities": named}
            else:
                documents[name] = (_merge(documents[name], document) if name in documents
                                   else document)
    required = {"tables", "headings", "numbers", "identities"}
    missing = required - documents.keys()
    if missing:
        raise PatternsError(f"pattern files missing: {', '.join(sorted(missing))}")
    typed = required | {"metadata", "bodies"}
    try:
        patterns = Patterns(**{k: v for k, v in documents.items() if k in typed},
                            extra={k: v for k, v in documents.items() if k not in typed})
    except ValidationError as exc:
        first = exc.errors()[0]
        file, *where = [str(part) for part in first["loc"]]
        at = f" at {'.'.join(where)}" if where else ""
        message = first["msg"].removeprefix("Value error, ")
        raise PatternsError(f"invalid patterns/{file}.yaml{at}: {message}") from None
    return patterns, documents
