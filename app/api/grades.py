"""Grade book routes: a learner's grades in a course (API.md, second wave), the whole book for the
course's graders, and its settings."""

from __future__ import annotations

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict

from app.api.core import route, user_ctx
from app.errors import Forbidden
from app.grades import operations as ops
from app.grades import queries as q


class GradeItemOut(BaseModel):
    item: str
    type: str
    activity_id: int
    grade: float | None
    max: float
    weight: float
    category: str | None
    overridden: bool


class GradesOut(BaseModel):
    nip: str | None
    items: list[GradeItemOut]
    total: float | None
    max_total: float
    pass_percent: float
    passed: bool
    letter: str | None = None


class GradesQuery(BaseModel):
    nip: str | None = None


class BookRowOut(BaseModel):
    nip: str | None
    name: str
    grades: dict[str, float | None]
    total: float | None
    passed: bool


class BookItemOut(BaseModel):
    activity_id: int
    item: str
    type: str
    max: float
    weight: float
    category: str | None


class BookOut(BaseModel):
    course_id: int
    pass_percent: float
    completion_requires_pass: bool
    columns: list[BookItemOut]
    items: list[BookRowOut]
    page: int
    per_page: int
    total: int


class BookQuery(BaseModel):
    page: int = 1
    per_page: int = 50
    q: str = ""


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pass_percent: float | None = None
    completion_requires_pass: bool | None = None


class SettingsOut(BaseModel):
    course_id: int
    pass_percent: float
    completion_requires_pass: bool


@route("/courses/<int:course_id>/grades", "GET", summary="A learner's grades in a course: every graded item, "
       "its weight (percent of the total), the course total (percent) and whether it passes; `nip` for graders",
       tag="grades", query=GradesQuery, response=GradesOut)
def course_grades(course_id: int, params: GradesQuery):
    from app.courses.queries import visible_course

    user = user_ctx()
    course = visible_course(user, course_id)
    if params.nip and params.nip != user.nip:
        _course, r = q.staff_course(user, course_id)
        person = q.person_in_course(course, params.nip)
        if not r.covers(person):
            raise Forbidden(_("Peserta ini di luar unit yang Anda jangkau."), code="out_of_reach")
    else:
        person = user
        if not q.enrolled(course, user):
            raise Forbidden(_("Anda belum terdaftar di kursus ini."), code="not_enrolled")
    return {"nip": person.nip, **q.learner_grades(course, person)}


@route("/courses/<int:course_id>/gradebook", "GET", summary="The course's grade book for its graders: the items "
       "(columns) and a row per learner in reach", tag="grades", query=BookQuery, response=BookOut)
def course_gradebook(course_id: int, params: BookQuery):
    course, r = q.staff_course(user_ctx(), course_id)
    page = max(1, min(params.page, 100_000))
    per_page = min(max(1, params.per_page), 200)
    book = q.gradebook(course, reach=r, q=params.q, limit=per_page, offset=(page - 1) * per_page)
    rows = book.rows
    return {"course_id": course.id, "pass_percent": float(book.pass_percent),
            "completion_requires_pass": book.completion_requires_pass,
            "columns": [{"activity_id": it.activity.id, "item": it.title, "type": it.type, "max": float(it.max),
                         "weight": float(it.share), "category": it.category.name if it.category else None}
                        for it in book.items],
            "items": [{"nip": row.user.nip, "name": row.user.name,
                       "grades": {str(aid): (float(c.grade) if c.grade is not None else None)
                                  for aid, c in row.cells.items()},
                       "total": float(row.total) if row.total is not None else None, "passed": row.passed}
                      for row in rows],
            "page": page, "per_page": per_page, "total": book.learner_total}


@route("/courses/<int:course_id>/gradebook/settings", "PUT", summary="The pass mark (percent) and whether the "
       "course completes only when the course grade reaches it", tag="grades", body=SettingsIn, response=SettingsOut)
def course_gradebook_settings(course_id: int, body: SettingsIn):
    course, _r = q.staff_course(user_ctx(), course_id)
    s = ops.update_settings(course, pass_percent=body.pass_percent,
                            completion_requires_pass=body.completion_requires_pass)
    return {"course_id": course.id, "pass_percent": float(s.pass_percent),
            "completion_requires_pass": s.completion_requires_pass}
