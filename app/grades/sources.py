"""Where the grade book finds grades: one source per graded activity type, each answering for
many activities and many learners in one query, so the grade book's cost stays flat in the
number of learners. A later graded type (SCORM, a survey with a score) registers its own.

A source gives, for each (activity id, user id), the grade and the item's maximum. The grade
book then counts each item as grade / maximum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.extensions import db


@dataclass
class Source:
    type_name: str
    #: (activities) -> {activity id: maximum}
    maxima: Callable[[list[Any]], dict[int, Decimal]]
    #: (activities, user ids or None for everyone) -> {(activity id, user id): grade}
    grades: Callable[[list[Any], list[int] | None], dict[tuple[int, int], Decimal]]


SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
    SOURCES[source.type_name] = source
    return source


def _dec(v: Any) -> Decimal:
    return Decimal(str(v)).quantize(Decimal("0.01"))


# --- quizzes: the best finished attempt, as a percentage ------------------------------------------

def _quiz_maxima(activities: list[Any]) -> dict[int, Decimal]:
    return {a.id: Decimal(100) for a in activities}


def _quiz_grades(activities: list[Any], user_ids: list[int] | None) -> dict[tuple[int, int], Decimal]:
    from app.quizzes.models import Attempt, Quiz

    if not activities:
        return {}
    pct = Attempt.score * 100.0 / func.nullif(Attempt.max_score, 0)
    stmt = (select(Quiz.activity_id, Attempt.user_id, func.max(pct))
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(Quiz.activity_id.in_([a.id for a in activities]), Attempt.state == "finished",
                   Attempt.score.is_not(None))
            .group_by(Quiz.activity_id, Attempt.user_id))
    if user_ids is not None:
        stmt = stmt.where(Attempt.user_id.in_(user_ids))
    return {(aid, uid): _dec(v) for aid, uid, v in db.session.execute(stmt) if v is not None}


register(Source("quiz", _quiz_maxima, _quiz_grades))


# --- assignments: the released grade of the attempt that counts ------------------------------------

def _assignment_maxima(activities: list[Any]) -> dict[int, Decimal]:
    from app.assignments.models import Assignment

    if not activities:
        return {}
    rows = db.session.execute(select(Assignment.activity_id, Assignment.max_grade).where(
        Assignment.activity_id.in_([a.id for a in activities])))
    return {aid: Decimal(m) for aid, m in rows}


def _assignment_grades(activities: list[Any], user_ids: list[int] | None) -> dict[tuple[int, int], Decimal]:
    from app.assignments.models import Assignment, Submission

    if not activities:
        return {}
    stmt = (select(Assignment.activity_id, Submission.user_id, Submission.grade)
            .join(Assignment, Assignment.id == Submission.assignment_id)
            .where(Assignment.activity_id.in_([a.id for a in activities]), Submission.latest.is_(True),
                   Submission.marking_state == "released", Submission.grade.is_not(None)))
    if user_ids is not None:
        stmt = stmt.where(Submission.user_id.in_(user_ids))
    return {(aid, uid): Decimal(g) for aid, uid, g in db.session.execute(stmt)}


register(Source("assignment", _assignment_maxima, _assignment_grades))
