"""Question types: one class per type, one home for everything a type knows.

A type's class (in its own module here) reads and checks its part of `Question.data`, says what
an attempt shows (choices, stems, extra fields), checks and grades a response, states the right
answer and a response for the review, reads its editor's form, and reads and writes its Moodle
XML and GIFT. Its attempt and editor markup are `templates/quizzes/qtypes/<name>.html` and
`<name>_edit.html`. Adding a type is one module plus its templates, registered below; nothing
else in the quiz engine names a type.
"""

from __future__ import annotations

from app.quizzes.qtypes.base import BadResponse, Outcome, QuestionType

_REGISTRY: dict[str, QuestionType] = {}


def register(qtype: QuestionType) -> QuestionType:
    _REGISTRY[qtype.name] = qtype
    return qtype


def get(name: str) -> QuestionType:
    """The type called `name`; an unknown name is a BadResponse (the data cannot be interpreted)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise BadResponse("jenis soal tidak dikenal") from None


def known(name: str) -> bool:
    return name in _REGISTRY


def all_types() -> list[QuestionType]:
    return list(_REGISTRY.values())


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def _load() -> None:
    # import order = the order types are offered in the bank's "new question" menu
    from app.quizzes.qtypes import (  # noqa: F401
        calculated,
        cloze,
        ddwtos,
        description,
        essay,
        gapselect,
        matching,
        multichoice,
        numerical,
        ordering,
        randomsamatch,
        shortanswer,
        truefalse,
    )

    for module in (multichoice, truefalse, shortanswer, numerical, calculated, matching, essay, gapselect, ddwtos, ordering,
                   cloze, randomsamatch, description):
        register(module.TYPE)
        if module is calculated:
            register(calculated.MULTI)  # the multiple-choice variant lives beside it


_load()

__all__ = ["BadResponse", "Outcome", "QuestionType", "all_types", "get", "known", "names", "register"]
