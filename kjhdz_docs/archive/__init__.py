"""The sealed yearly archive: records and 档号 (DA/T 22), stamped PDF/A renditions, BagIt bags,
the tinydb index, 四性检测 (DA/T 70), search and the static browse pages.

Modules: :mod:`.records` (件, 档号, the year's plan), :mod:`.stamp` (pikepdf: XMP + 归档章),
:mod:`.bag` (bagit), :mod:`.lock`, :mod:`.index` (tinydb), :mod:`.seal`, :mod:`.verify`,
:mod:`.search`, :mod:`.browse`.
"""
