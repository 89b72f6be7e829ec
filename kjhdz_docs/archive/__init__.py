"""The sealed yearly archive: records and 档号 (DA/T 22), stamped PDF/A renditions, BagIt bags,
the tinydb index, 四性检测 (DA/T 70), search and the static browse pages.

Modules: :mod:`.records` (件, 档号 and 件号 per class, the year's plan), :mod:`.normalize` (PDF/A-2b
renditions of workbooks, companion documents and scans; 数字化属性), :mod:`.catalogue` (归档文件目录),
:mod:`.stamp` (pikepdf: XMP + DocInfo + 归档章),
:mod:`.bag` (bagit), :mod:`.lock`, :mod:`.index` (tinydb), :mod:`.seal`, :mod:`.verify`,
:mod:`.search`, :mod:`.browse`.
"""
