"""The identities of patterns/identities.yaml as typed models: the term language (a key,
"-key", "?key", "previous:key", "prose:key"; "*" and "{name}" inside), two sums and their
relation, and the placeholders an identity holds for. `arithmetic.py` evaluates them;
audit rules (`rulebook.py`) name them."""

from __future__ import annotations

from typing import Annotated, Literal

import regex
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A term: "-" subtracts, "?" makes it optional, "previous:" / "prose:" say where its value comes
# from; the key may hold "*" and "{name}" placeholders (references.py checks the keys exist).
_TERM = regex.compile(r"^-?\??(?:previous:|prose:)?[a-z0-9_{}*]+(?:\.[a-z0-9_{}*]+)*$")


def _term(text: str) -> str:
    if not _TERM.match(text):
        raise ValueError(f"{text!r} is not a term (key, -key, ?key, previous:key, prose:key; "
                         "* and {name} inside)")
    return text


Term = Annotated[str, AfterValidator(_term)]


class ForEach(_Model):
    """Placeholder values taken from a list placeholder ("@claimed"), filtered by globs."""

    each: str
    only: list[str] = Field(default_factory=list)
    except_: list[str] = Field(default_factory=list, alias="except")


class Sums(_Model):
    """Two sums of terms: `sum` equals `equals`, or is at most `at_most`."""

    sum: list[Term] = Field(min_length=1)
    equals: list[Term] | None = Field(default=None, min_length=1)
    at_most: list[Term] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_relation(self) -> Sums:
        if (self.equals is None) == (self.at_most is None):
            raise ValueError("two sums need exactly one of equals or at_most")
        return self

    @property
    def relation(self) -> str:
        return "equals" if self.equals is not None else "at_most"

    @property
    def other(self) -> list[str]:
        return self.equals if self.equals is not None else self.at_most


class IdentitySpec(Sums):
    """One identity of identities.yaml: its sums, the table whose format decides its rows, and
    the placeholders it holds for."""

    table: Literal["applications", "review_litigation", "active", "legacy"]
    scope: Literal["report", "consecutive_years"] = "report"
    formats: list[str] | None = None
    for_each: dict[str, str | list[str] | ForEach] = Field(default_factory=dict)


class IdentityPatterns(_Model):
    identities: dict[str, IdentitySpec]
