"""Legacy reports (2008–2018): no standard tables, a 政府信息公开情况统计表 and figures in the prose.

    from extractor.legacy import read_legacy
    reading = read_legacy(document, knowledge.legacy)  # None: not a legacy report

`knowledge.py` compiles patterns/legacy.yaml; `text.py` flattens the document into one
compact text with provenance; `table.py` finds the 统计表 rows; `settle.py` decides columns
and digit splits with the table identities of patterns/identities.yaml and the prose; `prose.py`
reads the narrative's figures; `reading.py` turns both into values, claims and warnings.
"""

from __future__ import annotations

from .knowledge import LegacyKnowledge, build_legacy_knowledge
from .reading import LegacyReading, read_legacy

__all__ = ["LegacyKnowledge", "LegacyReading", "build_legacy_knowledge", "read_legacy"]
