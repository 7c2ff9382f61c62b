"""Marking a response to a question: pure functions, no database, over the question types in
`app/quizzes/qtypes/` (each type's module documents the shape of its `Question.data` and of
its response). Kept as the engine's one entry point for marking, so callers need not know a type.
As in Moodle, the first accepted shortanswer/numerical answer that matches gives the mark.
"""

from __future__ import annotations

from typing import Any

from app.quizzes import qtypes
from app.quizzes.qtypes.base import BadResponse, Outcome, fmt_number, parse_number
from app.quizzes.qtypes.matching import matching_choices, matching_stems

__all__ = ["BadResponse", "Outcome", "check_response", "choices_of", "grade", "matching_choices", "matching_stems",
           "parse_number", "right_answer_text"]

_fmt = fmt_number


def choices_of(qtype: str, data: dict) -> list[dict]:
    """The choices a learner picks from, as [{"id", "text"}] (empty for typed answers)."""
    return qtypes.get(qtype).choices(data)


def check_response(qtype: str, data: dict, response: Any) -> Any:
    """The response in its canonical form, or BadResponse. `None` (cleared) is always accepted."""
    return qtypes.get(qtype).check_response(data, response)


def grade(qtype: str, data: dict, response: Any) -> Outcome:
    """The fraction (0..1, exact) of the question's mark this response earns, and its feedback."""
    return qtypes.get(qtype).grade(data, response)


def right_answer_text(qtype: str, data: dict) -> str:
    """A short statement of the right answer, for the review page."""
    return qtypes.get(qtype).right_answer(data)
