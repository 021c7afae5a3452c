"""map: printed row, column and block labels → canonical keys, from patterns/tables.yaml.

Labels are compared as `label_key`s (normalized, unnumbered, no punctuation) by exact match
first and fuzzy similarity second, so typos ("其他法律行政止公开") and variants ("规范性文件")
land on their key. Table-3 rows are matched as a whole sequence (`align_rows`): the printed
order is fixed by the format, so an unreadable or missing label is placed by its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

from .numbers import Numbers
from .patterns import TablePatterns
from .textnorm import label_key, similarity

ACCEPT = 0.72  # lowest similarity accepted as a label match
STRONG = 0.9  # a match this good is as good as exact for confidence purposes


@dataclass(frozen=True, slots=True)
class Choice:
    key: str
    score: float


@dataclass(frozen=True, slots=True)
class RowTemplate:
    key: str
    group: str | None
    formats: tuple[str, ...] | None
    labels: tuple[str, ...]  # label keys


class LabelSet(dict):
    """Options (key → label keys) that remember their best match for each printed label:
    a report repeats the same labels, and a batch repeats the same reports' labels."""

    def __init__(self, options: dict[str, tuple[str, ...]]) -> None:
        super().__init__(options)
        self._best: dict[str, Choice | None] = {}

    def best(self, text: str, accept: float = ACCEPT) -> Choice | None:
        key = label_key(text)
        if key not in self._best:
            self._best[key] = best_match(key, self, accept=0.0)
        found = self._best[key]
        return found if found is not None and found.score >= accept else None


class Templates:
    """The table templates of patterns/tables.yaml, with every label precomputed as a key."""

    def __init__(self, tables: TablePatterns, numbers: Numbers) -> None:
        self.tables = tables
        self.numbers = numbers
        active = tables.active
        self.active_items = LabelSet({k: tuple(v.keys) for k, v in active.items.items()})
        self.active_fields = LabelSet({k: tuple(v.keys) for k, v in active.fields.items()})
        self.active_field_specs = active.fields
        self.active_blocks = LabelSet({k: tuple(v.keys) for k, v in active.blocks.items()})
        self.active_formats = active.formats
        apps = tables.applications
        self.app_rows = [
            RowTemplate(r.key, r.group, tuple(r.formats) if r.formats else None, tuple(r.keys))
            for r in apps.rows
        ]
        self.app_columns = LabelSet({c.key: tuple(c.keys) for c in apps.columns})
        self.app_column_order = [c.key for c in apps.columns]
        self.app_column_names = [c.labels[0] for c in apps.columns]  # as printed, for messages
        self.app_column_groups = tuple(label_key(x) for x in apps.column_groups)
        self.app_groups = {k: tuple(v.keys) for k, v in apps.groups.items()}
        review = tables.review_litigation
        self.review_blocks = LabelSet({b.key: tuple(b.keys) for b in review.blocks})
        self.review_block_order = [b.key for b in review.blocks]
        self.review_block_groups = tuple(label_key(x) for x in review.block_groups)
        self.review_fields = LabelSet({f.key: tuple(f.keys) for f in review.fields})
        self.review_field_order = [f.key for f in review.fields]
        self.review_block_names = [b.labels[0] for b in review.blocks]
        self.review_field_names = [f.labels[0] for f in review.fields]
        # What each standard table's grid may contain, for telling the tables apart.
        self.table_labels = {
            "active": LabelSet({**{f"i.{k}": v for k, v in self.active_items.items()},
                                **{f"b.{k}": v for k, v in self.active_blocks.items()},
                                **{f"f.{k}": v for k, v in self.active_fields.items()}}),
            "applications": LabelSet({**{f"r.{r.key}": r.labels for r in self.app_rows},
                                      **{f"c.{k}": v for k, v in self.app_columns.items()
                                         if k != "total"}}),
            "review_litigation": LabelSet({**{f"b.{k}": v for k, v in self.review_blocks.items()},
                                           **{f"f.{k}": v for k, v in self.review_fields.items()
                                              if k != "total"}}),
        }
        # Every label a table prints, to tell a complete label from a fragment cut by a page.
        self.any_label = LabelSet({
            **{f"{name}.{k}": v for name, labels in self.table_labels.items()
               for k, v in labels.items()},
            **{f"g.{k}": v for k, v in self.app_groups.items()},
            "c.total": self.app_columns["total"],
            "stub": tuple(label_key(x) for x in active.stub_labels),
        })

    def is_value(self, text: str) -> bool:
        """A cell text that is a value or a no-value mark under these patterns' numbers.yaml."""
        return self.numbers.is_value(text)

    def rows_for(self, fmt: str) -> list[RowTemplate]:
        return [r for r in self.app_rows if r.formats is None or fmt in r.formats]

    @property
    def newest_format(self) -> str:
        return max(self.active_formats)

    def format_of(self, table: str, keys, default: str | None = None) -> str:
        """The one format detector: the format of `table` ("applications": from its row keys,
        "active": from its column keys) whose own rows or columns are most among `keys`;
        `default` (else the newest format) when none of them is."""
        if table == "active":
            return self.active_format_of(keys, default)
        return self.app_format_of(keys) or default or self.newest_format

    def app_format_of(self, row_keys) -> str | None:
        """The format whose own rows (those limited to some formats) are most among
        `row_keys`; None when no such row is there."""
        votes: dict[str, int] = {}
        for row in self.app_rows:
            if row.formats and row.key in row_keys:
                for fmt in row.formats:
                    votes[fmt] = votes.get(fmt, 0) + 1
        return max(votes, key=lambda f: (votes[f], f)) if votes else None

    def active_format_of(self, field_keys, default: str | None = None) -> str:
        """The format whose table-2 columns (those no other format prints) are most among
        `field_keys`; `default` (else the newest format) when none is."""
        per_format = {fmt: {f for layout in layouts for f in layout.fields}
                      for fmt, layouts in self.active_formats.items()}
        votes = {fmt: len(fields.intersection(field_keys).difference(
                     *(other for f, other in per_format.items() if f != fmt)))
                 for fmt, fields in per_format.items()}
        if default is not None and not any(votes.values()):
            return default
        return max(votes, key=lambda f: (votes[f], f == self.newest_format))


def best_match(text: str, options: dict[str, tuple[str, ...]], accept: float = ACCEPT) -> Choice | None:
    """The option whose labels best match `text` (already a label key or raw), if good enough."""
    key = label_key(text)
    if not key:
        return None
    best: Choice | None = None
    for option, labels in options.items():
        for label in labels:
            score = 1.0 if key == label else similarity(key, label)
            if best is None or score > best.score:
                best = Choice(option, score)
    return best if best is not None and best.score >= accept else None


FRAGMENT = 0.8  # a printed label that is a long enough piece of a template label
_MIN_FRAGMENT = 6  # characters


def label_fit(printed: str, label: str) -> float:
    """Similarity of a printed label key to a template label key, where a printed fragment of
    the label (a converter split it across cells or lines) still counts as a fair match."""
    if printed == label:
        return 1.0
    score = similarity(printed, label)
    if len(printed) >= _MIN_FRAGMENT and printed in label:
        score = max(score, FRAGMENT)
    return score


def score_row(texts: list[str], context: list[str], template: RowTemplate, tpl: Templates) -> float:
    """How well a printed row fits a template row: its label texts (the most specific label,
    and all its own label cells joined) against the template's labels, with a small bonus
    when the labels around it name the template row's group."""
    keys = [k for k in dict.fromkeys(label_key(t) for t in texts) if k]
    if not keys:
        return 0.0
    score = max(label_fit(k, label) for k in keys for label in template.labels)
    if template.group and context:
        group_labels = tpl.app_groups.get(template.group, ())
        if any(label_key(c) == g or (g and g in label_key(c)) for c in context for g in group_labels):
            score += 0.05
    return score


def align_rows(labels: list[list[str]], contexts: list[list[str]], usable: list[bool],
               candidates: list[RowTemplate], tpl: Templates) -> list[tuple[int, int, float]]:
    """Monotone alignment of printed rows to template rows maximizing total label fit.

    `labels[i]` are the texts row i may be known by (its most specific label, its label cells
    joined). Returns (row index, template index, score). A labelled row needs a score of at least
    ACCEPT; an unlabelled row with the right number of values may fill a template row that
    its neighbours leave open (score 0, "placed by order"). `usable[i]` says whether row i
    can hold a template row's values at all.
    """
    n, m = len(labels), len(candidates)
    gain = [[None] * m for _ in range(n)]
    for i in range(n):
        if not usable[i]:
            continue
        unlabelled = not any(label_key(t) for t in labels[i])
        for j, t in enumerate(candidates):
            if unlabelled:
                gain[i][j] = 0.01  # placed by order only
                continue
            s = score_row(labels[i], contexts[i], t, tpl)
            if s >= ACCEPT:
                gain[i][j] = s
    # dp[i][j]: best total using rows < i and templates < j.
    dp = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best, how = dp[i - 1][j], 1
            if dp[i][j - 1] > best:
                best, how = dp[i][j - 1], 2
            g = gain[i - 1][j - 1]
            if g is not None and dp[i - 1][j - 1] + g > best:
                best, how = dp[i - 1][j - 1] + g, 3
            dp[i][j], move[i][j] = best, how
    pairs = []
    i, j = n, m
    while i > 0 and j > 0:
        how = move[i][j]
        if how == 3:
            g = gain[i - 1][j - 1]
            pairs.append((i - 1, j - 1, 0.0 if g == 0.01 else g))
            i, j = i - 1, j - 1
        elif how == 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]
