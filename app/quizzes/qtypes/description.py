"""Description: text shown among the questions, never marked (Moodle's "description";
GIFT: a text with no answer part). data: {}."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.quizzes.qtypes.base import Outcome, QuestionType


class Description(QuestionType):
    name = "description"
    label = _l("Deskripsi (tanpa nilai)")
    graded = False

    def default_mark(self, mark: float) -> float:
        return 0.0

    def check_response(self, data: dict, response: Any) -> Any:
        return None  # nothing to answer; whatever is sent is ignored

    def grade(self, data: dict, response: Any) -> Outcome:
        return Outcome(None)

    def form_response(self, item: dict, form) -> tuple[bool, Any]:
        return False, None

    def response_text(self, item: dict, response: Any) -> str:
        return ""

    def write_gift(self, data: dict) -> str | None:
        return ""  # the caller writes no braces for a description


TYPE = Description()
