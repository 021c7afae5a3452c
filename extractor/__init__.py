"""nianbao: extract, normalize and audit 政府信息公开工作年度报告 (government information-disclosure
annual reports) into one canonical, provenance-carrying schema.

    from extractor import extract
    report = extract("report.pdf")
    report.value("applications.new_received.total")
    report.to_frame()
"""

__version__ = "0.1.0"

from .errors import NianbaoError  # noqa: E402
from .knowledge import Knowledge  # noqa: E402
from .pipeline import extract  # noqa: E402
from .schema import Report  # noqa: E402

__all__ = ["Knowledge", "NianbaoError", "Report", "__version__", "extract"]
