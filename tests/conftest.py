import json
from decimal import Decimal
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CORPUS = FIXTURES / "corpus"


def truth(stem: str) -> dict:
    return json.loads((CORPUS / "truth" / f"{stem}.json").read_text(encoding="utf-8"))


def canon(value):
    return None if value is None else Decimal(str(value)).normalize()


def differences(report, expected: dict) -> dict:
    """Every truth cell that does not come out exactly, and every extra non-null key."""
    got = {v.key: v.value for v in report.values}
    wrong = {k: (v, got.get(k, "missing")) for k, v in expected["values"].items()
             if k not in got and v is not None or k in got and canon(got[k]) != canon(v)}
    extra = {k: v for k, v in got.items() if k not in expected["values"] and v is not None}
    return {"wrong": wrong, "extra": extra}


@pytest.fixture(scope="session")
def corpus() -> Path:
    return CORPUS
