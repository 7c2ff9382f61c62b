"""Drag and drop into text (Moodle's ddwtos): the same gaps and groups as select missing words,
answered by placing word tiles in the gaps. On the page a tile is tapped (or focused and Enter)
and then a gap, which works on phones, with a keyboard and with a screen reader; dragging works
too where there is a mouse. Without JavaScript each gap is a list to pick from.

data: as gapselect, and a choice may be `"infinite": true` (usable in several gaps).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.quizzes.qtypes.gapselect import GapSelect


class DragDropText(GapSelect):
    name = "ddwtos"
    label = _l("Seret dan lepas ke teks")
    element = "dragbox"


TYPE = DragDropText()
