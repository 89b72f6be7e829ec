"""``invoke letters``: the season's correspondence with the units — 退回修改通知, 核实函, 催报通知, 回执.

Each letter is a .docx (``doc_templates/letter.docx``, GB/T 9704 信函格式), its PDF and an .eml draft, in
``build/<year>/letters/<unit>/``; ``--send`` sends the drafts through SMTP, each once (the register's 去文).

Public API::

    from kjhdz_docs.letters import write_letters
    write_letters(2024, form="statistics", send=False)
"""

from __future__ import annotations

from .build import write_letters

__all__ = ["write_letters"]
