"""One exception type per kind of user-facing failure.

Stages raise these with a one-line message; only the CLI turns them into stderr and an exit
code. Anything else escaping a stage is a bug in nianbao, not the user's mistake. The bulk
modules define theirs beside the code that raises them: `bodies.ManifestError`,
`store.StoreError`, `executors.SchedulerError`.
"""

from __future__ import annotations

from pathlib import Path


class NianbaoError(Exception):
    """Base of every failure caused by the input or the invocation, not by nianbao itself."""

    kind = "error"


class InputNotFound(NianbaoError):
    kind = "not_found"


class UnsupportedInput(NianbaoError):
    kind = "unsupported"


class EncryptedInput(NianbaoError):
    kind = "encrypted"


class DamagedInput(NianbaoError):
    kind = "damaged"


class EmptyInput(NianbaoError):
    kind = "empty"


class NotAReport(NianbaoError):
    kind = "not_a_report"


class OcrUnavailable(NianbaoError):
    kind = "ocr_unavailable"


class PatternsError(NianbaoError):
    kind = "patterns"


class LimitExceeded(NianbaoError):
    """The input goes past one of `limits.Limits`; the message names the limit."""

    kind = "limit"


def install_hint(extra: str) -> str:
    """The command that installs an optional extra. nianbao is on no package index, so
    `pip install 'nianbao[ocr]'` would find nothing: install from the checkout this code runs
    from (an editable install's), or say where the checkout goes."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file():
        return f"pip install -e '{checkout}[{extra}]'"
    return f"pip install '<path to the nianbao checkout>[{extra}]'"
