"""nianbao: extract, normalize and audit 政府信息公开工作年度报告 (government information-disclosure
annual reports) into one canonical, provenance-carrying schema.

    from extractor import extract
    report = extract("report.pdf")
    report.value("applications.new_received.total")
    report.to_frame()
"""

from .errors import NianbaoError
from .knowledge import Knowledge
from .pipeline import extract
from .schema import Report
from .version import __version__

__all__ = ["Knowledge", "NianbaoError", "Report", "__version__", "extract"]
