"""Courses that close an employee's gaps, best first.

A published course closes a gap in competency C when it is mapped to C at a level above the
employee's current level. What it is worth: the levels it closes, summed over the gaps it
touches (each capped at the required level), per JP of the course — a short course that closes
two gaps beats a long one that closes one. Ties: by title.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select

from app.accounts.models import User
from app.corpu.gaps import Gap, open_gaps
from app.courses.models import Course, CourseCompetency, CourseCompletion, Enrolment
from app.extensions import db

MIN_JP = Decimal("0.01")  # a course of 0 JP is ranked as if it took a hundredth of a JP


@dataclass
class Recommendation:
    course: Course
    closes: list[str] = field(default_factory=list)
    levels_closed: int = 0
    enrolled: bool = False
    completed: bool = False

    @property
    def per_jp(self) -> Fraction:
        return Fraction(self.levels_closed) / Fraction(max(self.course.jp, MIN_JP))

    def as_dict(self) -> dict:
        return {"course_id": self.course.id, "title": self.course.title, "jp": float(self.course.jp),
                "closes": self.closes, "levels_closed": self.levels_closed, "enrolled": self.enrolled}


def recommendations(user: User, gaps: list[Gap] | None = None, limit: int | None = None) -> list[Recommendation]:
    gaps = open_gaps(user) if gaps is None else [g for g in gaps if g.gap > 0]
    if not gaps:
        return []
    by_code = {g.competency: g for g in gaps}
    rows = db.session.execute(
        select(Course, CourseCompetency.code, CourseCompetency.level)
        .join(CourseCompetency, CourseCompetency.course_id == Course.id)
        .where(Course.published.is_(True), CourseCompetency.code.in_(list(by_code)))
    ).all()
    recs: dict[int, Recommendation] = {}
    for course, code, level in rows:
        gap = by_code[code]
        if level <= gap.current_level:
            continue
        rec = recs.setdefault(course.id, Recommendation(course=course))
        rec.closes.append(code)
        rec.levels_closed += min(level, gap.required_level) - gap.current_level
    if not recs:
        return []
    ids = list(recs)
    for cid in db.session.scalars(select(Enrolment.course_id).where(Enrolment.user_id == user.id,
                                                                    Enrolment.course_id.in_(ids))):
        recs[cid].enrolled = True
    for cid in db.session.scalars(select(CourseCompletion.course_id).where(CourseCompletion.user_id == user.id,
                                                                           CourseCompletion.course_id.in_(ids))):
        recs[cid].completed = True
    out = []
    for rec in recs.values():
        rec.closes.sort()
        out.append(rec)
    out.sort(key=lambda r: (-r.per_jp, r.course.title.lower(), r.course.id))
    return out[:limit] if limit else out
