"""Course and progress routes of API.md. Thin: the same operations and queries as the pages."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from flask_babel import gettext as _
from pydantic import BaseModel, Field

from app.accounts.queries import user_by_nip
from app.api.accounts import MULTIPART_FILE, uploaded_file
from app.api.core import paginate, route, user_ctx
from app.courses import operations as ops
from app.courses import queries as q
from app.courses.activity_types import completion_rule
from app.courses.models import Course
from app.courses.package import import_package
from app.errors import Forbidden, NotFound
from app.extensions import db


class CompetencyOut(BaseModel):
    code: str
    level: int


class CourseSummaryOut(BaseModel):
    id: int
    code: str
    title: str
    summary: str
    jp: float
    mode: str
    self_enrol: bool
    published: bool
    competencies: list[CompetencyOut]


class CoursePage(BaseModel):
    items: list[CourseSummaryOut]
    page: int
    per_page: int
    total: int


class CatalogueQuery(BaseModel):
    q: str = ""
    competency: str = ""
    mode: Literal["", "online", "classroom", "blended"] = ""
    jp_min: Decimal | None = None
    jp_max: Decimal | None = None
    page: int = 1
    per_page: int = 50


class ActivityOut(BaseModel):
    id: int
    type: str
    title: str
    completion: str | None = Field(description="how it completes: view, watch, quiz, attendance")
    required: bool
    completed: bool | None = Field(description="for an enrolled caller: done or not")


class SectionOut(BaseModel):
    id: int
    title: str
    activities: list[ActivityOut]


class CourseOut(BaseModel):
    id: int
    code: str
    title: str
    summary: str
    jp: float
    mode: str
    self_enrol: bool
    certificate: bool
    published: bool
    competencies: list[CompetencyOut]
    sections: list[SectionOut]


class CourseIn(BaseModel):
    title: str = Field(min_length=1, max_length=250)
    summary: str = ""
    jp: Decimal = Field(ge=0, le=9999)
    mode: Literal["online", "classroom", "blended"] = "online"
    code: str | None = Field(default=None, max_length=60)
    self_enrol: bool = False
    certificate: bool = False
    published: bool = False
    competencies: list[CompetencyOut] = []


class EnrolIn(BaseModel):
    nip: str = Field(min_length=1, max_length=30)


class EnrolmentOut(BaseModel):
    id: int
    course_id: int
    nip: str | None
    method: str
    enrolled_at: str


class ProgressQuery(BaseModel):
    nip: str | None = None


class ActivityProgressOut(BaseModel):
    id: int
    completed: bool
    completed_at: str | None


class ProgressOut(BaseModel):
    nip: str | None
    completed: bool
    completed_at: str | None
    percent: float
    activities: list[ActivityProgressOut]


class ViewOut(BaseModel):
    activity_id: int
    completed: bool
    course_completed: bool


class ImportOut(BaseModel):
    id: int
    code: str
    title: str
    created: bool


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat() if value else None


def _summary(c: Course) -> dict:
    return {"id": c.id, "code": c.code, "title": c.title, "summary": c.summary or "", "jp": float(c.jp), "mode": c.mode,
            "self_enrol": c.self_enrol, "published": c.published,
            "competencies": [{"code": x.code, "level": x.level} for x in c.competencies]}


def course_dict(c: Course, user) -> dict:
    outline = q.course_outline(c, user)
    enrolled = outline.enrolment is not None
    return {**_summary(c), "certificate": c.certificate, "sections": [
        {"id": s.id, "title": s.title, "activities": [
            {"id": a.id, "type": a.type, "title": a.title, "completion": completion_rule(a.type), "required": a.required,
             "completed": (a.id in outline.completed) if enrolled else None} for a in acts]}
        for s, acts in outline.sections]}


@route("/courses", summary="The course catalogue", tag="courses", query=CatalogueQuery, response=CoursePage)
def courses_list(params: CatalogueQuery):
    f = q.CatalogueFilters(q=params.q, competency=params.competency, mode=params.mode, jp_min=params.jp_min,
                           jp_max=params.jp_max)
    return paginate(q.catalogue_stmt(user_ctx(), f), _summary)


@route("/courses", "POST", summary="Create a course", tag="courses", body=CourseIn, response=CourseOut, status=201,
       roles=("instructor", "admin"))
def courses_create(body: CourseIn):
    c = ops.create_course(user_ctx(), code=body.code, title=body.title, summary=body.summary, jp=body.jp, mode=body.mode,
                          self_enrol=body.self_enrol, certificate=body.certificate, published=body.published,
                          competencies=[(x.code, x.level) for x in body.competencies])
    db.session.commit()
    return course_dict(c, user_ctx()), 201


def _readable_course(course_id: int) -> Course:
    user = user_ctx()
    c = q.visible_course(user, course_id)
    if q.enrolment_of(user, c.id) is None and q.staff_reach(user, c) is None:
        raise Forbidden(_("Daftar ke kursus ini dulu untuk melihat isinya."), code="not_enrolled")
    return c


@route("/courses/<int:course_id>", summary="A course with its sections and activities", tag="courses",
       response=CourseOut)
def course_get(course_id: int):
    return course_dict(_readable_course(course_id), user_ctx())


@route("/courses/<int:course_id>/enrolments", "POST", summary="Enrol an employee (or oneself) by NIP", tag="courses",
       body=EnrolIn, response=EnrolmentOut, status=201)
def course_enrol(course_id: int, body: EnrolIn):
    user = user_ctx()
    c = q.visible_course(user, course_id)
    person = user_by_nip(body.nip.strip())
    if person is None:
        raise NotFound(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=body.nip))
    if person.id == user.id and q.staff_reach(user, c) is None:
        e = ops.self_enrol(c, user)
    else:
        r = q.staff_reach(user, c)
        if r is None:
            raise Forbidden(_("Anda hanya dapat mendaftarkan diri sendiri."))
        if not r.covers(person):
            raise Forbidden(_("Pegawai ini di luar jangkauan Anda."))
        e = ops.enrol(c, person, method="api", by=user)
    db.session.commit()
    return {"id": e.id, "course_id": c.id, "nip": person.nip, "method": e.method, "enrolled_at": _iso(e.enrolled_at)}, 201


@route("/courses/<int:course_id>/progress", summary="An employee's progress in a course", tag="courses",
       query=ProgressQuery, response=ProgressOut)
def course_progress(course_id: int, params: ProgressQuery):
    user = user_ctx()
    c = q.visible_course(user, course_id)
    person = user if not params.nip else user_by_nip(params.nip.strip())
    if person is None:
        raise NotFound(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=params.nip))
    if person.id != user.id:
        r = q.staff_reach(user, c)
        if r is None or not r.covers(person):
            raise Forbidden(_("Anda tidak boleh melihat kemajuan pegawai ini."))
    outline = q.course_outline(c, person)
    if outline.enrolment is None:
        raise NotFound(_("%(n)s tidak terdaftar di kursus ini.", n=person.name), code="not_enrolled")
    return {"nip": person.nip, "completed": outline.course_completed_at is not None,
            "completed_at": _iso(outline.course_completed_at), "percent": round(outline.percent, 2),
            "activities": [{"id": a.id, "completed": a.id in outline.completed, "completed_at": _iso(outline.completed.get(a.id))}
                           for a in outline.activities()]}


@route("/activities/<int:activity_id>/view", "POST", summary="Mark a view-completion activity as viewed",
       tag="courses", response=ViewOut)
def activity_view(activity_id: int):
    user = user_ctx()
    a = q.get_activity(activity_id)
    q.visible_course(user, a.course_id)
    ops.record_view(user, a)
    done = q.course_outline(a.course, user)
    db.session.commit()
    return {"activity_id": a.id, "completed": True, "course_completed": done.course_completed_at is not None}


@route("/courses/import", "POST", summary="Import a course package (zip)", tag="courses", response=ImportOut,
       status=201, roles=("instructor", "admin"), body_content=MULTIPART_FILE)
def courses_import():
    _name, data = uploaded_file()
    user = user_ctx()
    c, created = import_package(data, user, editor=user)
    db.session.commit()
    return {"id": c.id, "code": c.code, "title": c.title, "created": created}, 201
