"""What every table reader produces (`TableReading` of `MappedCell`s) and what it reads with."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..arithmetic import Identities
from ..claims import ClaimRules
from ..codes import Code
from ..document import Cell
from ..labels import Templates
from ..numbers import Kind
from ..schema import Claim


@dataclass(slots=True)
class MappedCell:
    key: str
    table: str
    cell: Cell
    kind: Kind = "count"
    unit: str | None = None  # canonical unit of an amount field
    printed_unit: str | None = None  # unit printed in the column header
    confidence: float = 1.0
    note: str | None = None


@dataclass(slots=True)
class TableReading:
    name: str
    cells: list[MappedCell] = field(default_factory=list)
    format: str | None = None
    warnings: list[tuple[Code, str, list[str]]] = field(default_factory=list)  # code, message, keys
    rows_matched: int = 0
    rows_expected: int = 0
    strategy: str | None = None  # the reader that produced it

    def warn(self, code: Code, message: str, keys: list[str] | None = None) -> None:
        self.warnings.append((code, message, keys or []))

    @property
    def confidence(self) -> float:
        if not self.cells:
            return 0.0
        return round(sum(c.confidence for c in self.cells) / len(self.cells), 3)


@dataclass(frozen=True, slots=True)
class ReadContext:
    """What a reader may consult besides the table: the templates, the identities, and the
    prose's figures (which settle readings the arithmetic leaves open)."""

    tpl: Templates
    identities: Identities
    claims: list[Claim] = field(default_factory=list)
    claim_rules: ClaimRules | None = None
