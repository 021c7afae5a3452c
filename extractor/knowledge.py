"""The domain knowledge a run works with: every pattern and rule file, loaded once.

`Knowledge.load(patterns_dirs, rules_dirs)` reads the shipped patterns/ extended by the user's
directories (patterns.py) and the rules (rulebook.py) into typed, frozen models, checks that
every canonical key a rule, an identity, a claim, a table layout, a derived total or the
crosswalk names exists (keys.py), and fingerprints what it read: a result made with other
patterns has another fingerprint, so a store never reuses it. Each stage receives what it reads
from here explicitly (the templates, the number parser, the heading matcher, …); nothing is
cached at module level, so two runs with different patterns in one process never mix.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .arithmetic import Identities
from .bodies import BodyRules
from .claims import ClaimRules, build_claim_rules
from .crosswalk import Crosswalk, build_crosswalk
from .labels import Templates
from .legacy.knowledge import LegacyKnowledge, build_legacy_knowledge
from .meta import MetadataRules
from .numbers import Numbers
from .patterns import Patterns, read_patterns
from .printed import Layouts, build_layouts
from .references import Named, check_references
from .rulebook import Rule, read_rules
from .segment import HeadingMatcher
from .textnorm import chinese_ordinal


@dataclass(frozen=True, eq=False)
class Knowledge:
    """Patterns and rules, checked, with the views each stage reads built on first use."""

    patterns: Patterns
    rules: tuple[Rule, ...]
    fingerprint: str
    patterns_dirs: tuple[str, ...] = ()
    rules_dirs: tuple[str, ...] = ()

    @classmethod
    def load(cls, patterns_dirs: tuple[str, ...] = (), rules_dirs: tuple[str, ...] = ()
             ) -> Knowledge:
        """The shipped knowledge extended by each directory in turn; a mistake in any file
        raises one PatternsError naming the file and the entry."""
        patterns_dirs = tuple(str(d) for d in patterns_dirs)
        rules_dirs = tuple(str(d) for d in rules_dirs)
        patterns, documents = read_patterns(patterns_dirs)
        rules, rule_documents = read_rules(patterns.identities.identities, patterns_dirs,
                                           rules_dirs)
        knowledge = cls(patterns, rules, _fingerprint(documents, rule_documents),
                        patterns_dirs, rules_dirs)
        knowledge.check()
        return knowledge

    def __reduce__(self):
        """Pickled (to a worker process, to a Dask worker) without its built views: each
        worker builds what it reads, once."""
        return (Knowledge, (self.patterns, self.rules, self.fingerprint, self.patterns_dirs,
                            self.rules_dirs))

    @classmethod
    def default(cls) -> Knowledge:
        """The shipped patterns and rules (loaded once per process: they are not a user's)."""
        global _DEFAULT
        if _DEFAULT is None:
            _DEFAULT = cls.load()
        return _DEFAULT

    def check(self) -> None:
        """Build every view (their own validation runs) and check every reference."""
        for view in ("numbers", "templates", "headings", "metadata", "bodies", "layouts"):
            getattr(self, view)
        check_references(Named(self.patterns, self.rules, self.identities, self.claims,
                               self.legacy, self.crosswalk))

    @cached_property
    def numbers(self) -> Numbers:
        return Numbers(self.patterns.numbers)

    @cached_property
    def templates(self) -> Templates:
        return Templates(self.patterns.tables, self.numbers)

    @cached_property
    def headings(self) -> HeadingMatcher:
        return HeadingMatcher(self.patterns.headings)

    @cached_property
    def claims(self) -> ClaimRules:
        return build_claim_rules(self.patterns, self.numbers)

    @cached_property
    def identities(self) -> Identities:
        return Identities(self.patterns.identities.identities, self.templates)

    @cached_property
    def metadata(self) -> MetadataRules:
        return MetadataRules(self.patterns.metadata)

    @cached_property
    def bodies(self) -> BodyRules:
        return BodyRules(self.patterns.bodies)

    @cached_property
    def legacy(self) -> LegacyKnowledge:
        skipping = frozenset(r.identity for r in self.rules if r.identity and r.blanks == "skip")
        return build_legacy_knowledge(self.patterns, self.identities, skipping)

    @cached_property
    def crosswalk(self) -> Crosswalk:
        return build_crosswalk(self.patterns)

    @cached_property
    def layouts(self) -> Layouts:
        return build_layouts(self.patterns, self.legacy)

    def section_ordinal(self, key: str) -> str:
        """The Chinese numeral a section is printed under (active → 二), from headings.yaml."""
        number = next(s.number for s in self.patterns.headings.sections if s.key == key)
        return chinese_ordinal(number)


_DEFAULT: Knowledge | None = None


def _fingerprint(documents: dict[str, Any], rule_documents: list[Any]) -> str:
    """A short digest of everything loaded, in a canonical form (key order does not count)."""
    canonical = json.dumps({"patterns": documents, "rules": rule_documents}, sort_keys=True,
                           ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
