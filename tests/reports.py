"""Building `Report`s from plain values, and hypothesis strategies for consistent ones."""

from decimal import Decimal

from hypothesis import strategies as st

from extractor.knowledge import Knowledge
from extractor.schema import Meta, Report, Value

TPL = Knowledge.default().templates
COLUMNS = TPL.app_column_order
APPLICANTS = COLUMNS[:-1]


def make_report(values: dict, year: int = 2023, agency: str = "测试县人民政府",
                source: str = "generated.txt") -> Report:
    return Report(
        meta=Meta(source=source, path=source, sha256="0" * 64, kind="text", page_count=1,
                  agency=agency, year=year, format="2021", extractor_version="test"),
        values=[Value(key=k, table=k.split(".")[0], value=v, raw="" if v is None else str(v),
                      null_reason="blank" if v is None else None, confidence=1.0,
                      unit="万元" if k.endswith("amount_10k_yuan") else None)
                for k, v in values.items()])


@st.composite
def consistent_values(draw, fmt: str = "2021", carried_over=None):
    """A table 2/3/4 whose rules 1-5 hold; `carried_over` fixes 上年结转 per applicant."""
    rows = [r.key for r in TPL.rows_for(fmt)]
    outcomes = [r for r in rows if r not in ("new_received", "carried_over", "total_handled",
                                             "carried_forward")]
    small = st.integers(min_value=0, max_value=40)
    values = {}
    for column in APPLICANTS:
        for row in outcomes:
            values[f"applications.{row}.{column}"] = draw(small)
        handled = sum(values[f"applications.{row}.{column}"] for row in outcomes)
        forward = draw(small)
        before = carried_over[column] if carried_over else draw(st.integers(0, handled + forward))
        before = min(before, handled + forward)
        values[f"applications.total_handled.{column}"] = handled
        values[f"applications.carried_forward.{column}"] = forward
        values[f"applications.carried_over.{column}"] = before
        values[f"applications.new_received.{column}"] = handled + forward - before
    for row in rows:
        values[f"applications.{row}.total"] = sum(values[f"applications.{row}.{c}"] for c in APPLICANTS)
    for block in TPL.review_block_order:
        parts = [draw(small) for _ in range(4)]
        for field, value in zip(TPL.review_field_order, parts + [sum(parts)]):
            values[f"review_litigation.{block}.{field}"] = value
    for item in ("regulations", "normative_documents"):
        values[f"active.{item}.made"] = draw(small)
        values[f"active.{item}.repealed"] = draw(small)
        values[f"active.{item}.in_force"] = draw(st.integers(100, 500))
    for item in ("licensing", "punishment", "coercion"):
        values[f"active.{item}.decisions"] = draw(st.integers(0, 10**6))
    values["active.fees.amount_10k_yuan"] = Decimal(draw(st.integers(0, 10**6))) / 10
    return values


@st.composite
def consistent_pair(draw):
    """Two consecutive years of one body whose cross-year rules (7, 9) hold too."""
    last = draw(consistent_values())
    forward = {c: last[f"applications.carried_forward.{c}"] for c in APPLICANTS}
    this = draw(consistent_values(carried_over=forward))
    for item in ("regulations", "normative_documents"):
        this[f"active.{item}.in_force"] = (last[f"active.{item}.in_force"] +
                                           this[f"active.{item}.made"] - this[f"active.{item}.repealed"])
    return last, this
