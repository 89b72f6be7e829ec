"""Intake of submitted forms: safety checks, label-finding readers, the rules of each form, the report.

Public API::

    from kjhdz_docs.intake import read_inbox
    report = read_inbox(2024, FormKind.STATISTICS)            # data/2024/inbox/statistics/
    from kjhdz_docs.intake.report import print_report, report_json
"""

from __future__ import annotations

from .inbox import default_inbox, read_inbox, read_submission

__all__ = ["default_inbox", "read_inbox", "read_submission"]
