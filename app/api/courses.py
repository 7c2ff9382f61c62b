"""Course and progress routes of API.md. Thin: the same operations and queries as the pages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from app.accounts.queries import user_by_nip
from app.api.accounts import MULTIPART_FILE, uploaded_file
from app.api.core import paginate, parse_model, route, user_ctx
from app.courses import operations as ops
from app.courses import queries as q
from app.courses.activity_types import api_fields, completion_rule
from app.courses.models import Activity, Course, Section
from app.courses.package import UploadReader, add_activity_from_spec, import_package
from app.errors import BadInput, Forbidden, NotFound
from app.extensions import db
from app.inputs import is_digits


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
    quiz_id: int | None = Field(default=None, description="a quiz activity: the id the quiz routes take")
    model_config = ConfigDict(extra="allow")  # each type adds the id its own routes take (assignment_id, …)


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


class SectionIn(BaseModel):
    title: str = Field(min_length=1, max_length=250)
    summary: str = ""


class SectionCreatedOut(BaseModel):
    id: int
    title: str
    position: int


class ActivityIn(BaseModel):
    """An activity written as in a course package's course.yaml, plus the section it goes in.
    Every other key is a setting of its type (COURSE_PACKAGE.md); files come as multipart uploads
    and are named by their form field (`"file": "file"` or simply left out)."""

    section_id: int
    type: str
    title: str
    model_config = ConfigDict(extra="allow")


class ActivityCreatedOut(BaseModel):
    id: int
    section_id: int
    type: str
    title: str
    completion: str | None
    required: bool
    visible: bool
    model_config = ConfigDict(extra="allow")


class CompletionIn(BaseModel):
    required_activities: list[int] = Field(description="the activities that must be completed; every other one "
                                                       "of the course becomes optional")
    model_config = ConfigDict(extra="forbid")


class CoursePatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=250)
    summary: str | None = None
    jp: Decimal | None = Field(default=None, ge=0, le=9999, allow_inf_nan=False)
    mode: Literal["online", "classroom", "blended"] | None = None
    self_enrol: bool | None = None
    certificate: bool | None = None
    published: bool | None = None
    start_date: date | None = None
    end_date: date | None = None
    completion: CompletionIn | None = None
    model_config = ConfigDict(extra="forbid")


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
             "completed": (a.id in outline.completed) if enrolled else None, **api_fields(a)} for a in acts]}
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
    if q.staff_reach(user, c) is None and (person is None or person.id != user.id):
        # The same answer for an unknown NIP and another person's: a learner learns no NIP exists.
        raise Forbidden(_("Anda hanya dapat mendaftarkan diri sendiri."))
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
    return {"id": e.id, "course_id": c.id, "nip": person.nip, "method": e.method, "enrolled_at": _iso(e.enrolled_at)}, 201


@route("/courses/<int:course_id>/progress", summary="An employee's progress in a course", tag="courses",
       query=ProgressQuery, response=ProgressOut)
def course_progress(course_id: int, params: ProgressQuery):
    user = user_ctx()
    c = q.visible_course(user, course_id)
    person = user if not params.nip else user_by_nip(params.nip.strip())
    r = q.staff_reach(user, c) if person is None or person.id != user.id else None
    if person is not user and r is None and (person is None or person.id != user.id):
        # A learner asking for another NIP: one answer whether it exists or not.
        raise Forbidden(_("Anda tidak boleh melihat kemajuan pegawai ini."))
    if person is None:
        raise NotFound(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=params.nip))
    if person.id != user.id and not r.covers(person):
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
    return {"activity_id": a.id, "completed": True, "course_completed": done.course_completed_at is not None}


@route("/courses/import", "POST", summary="Import a course package (zip)", tag="courses", response=ImportOut,
       status=201, roles=("instructor", "admin"), body_content=MULTIPART_FILE)
def courses_import():
    _name, data = uploaded_file()
    user = user_ctx()
    c, created = import_package(data, user, editor=user)
    return {"id": c.id, "code": c.code, "title": c.title, "created": created}, 201


# --- authoring ----------------------------------------------------------------------------------

def _multipart_spec() -> dict[str, Any]:
    """The spec of a multipart request: a `spec` field of JSON, and plain fields beside it (true/false
    and whole numbers read as such, since a form carries only text)."""
    spec: dict[str, Any] = {}
    if "spec" in request.form:
        try:
            spec = json.loads(request.form["spec"])
        except ValueError:
            spec = None
        if not isinstance(spec, dict):
            raise BadInput(_("Kolom spec harus objek JSON."), code="invalid_json")
    for key, value in request.form.items(multi=False):
        if key == "spec":
            continue
        if value in ("true", "false"):
            spec[key] = value == "true"
        elif value.isascii() and is_digits(value.lstrip("-")) and len(value) < 12:
            spec[key] = int(value)
        else:
            spec[key] = value
    return spec


@route("/courses/<int:course_id>/sections", "POST", summary="Add a section at the end of a course", tag="authoring",
       body=SectionIn, response=SectionCreatedOut, status=201)
def course_add_section(course_id: int, body: SectionIn):
    course = q.editable_course(user_ctx(), course_id)
    section = ops.add_section(course, body.title, body.summary)
    return {"id": section.id, "title": section.title, "position": section.position}, 201


@route("/courses/<int:course_id>/activities", "POST", summary="Add an activity of any type to a section",
       tag="authoring", response=ActivityCreatedOut, status=201,
       body_content={"application/json": ActivityIn.model_json_schema(),
                     "multipart/form-data": {"type": "object", "required": ["section_id", "type", "title"],
                                             "properties": {"section_id": {"type": "integer"}, "type": {"type": "string"},
                                                            "title": {"type": "string"},
                                                            "spec": {"type": "string", "description": "further settings as JSON"},
                                                            "file": {"type": "string", "format": "binary"},
                                                            "package": {"type": "string", "format": "binary"}}}})
def course_add_activity(course_id: int):
    course = q.editable_course(user_ctx(), course_id)
    if request.mimetype == "multipart/form-data":
        spec = _multipart_spec()
    else:
        spec = request.get_json(silent=True)
        if not isinstance(spec, dict):
            raise BadInput(_("Badan permintaan harus objek JSON yang valid."), code="invalid_json")
    head = parse_model(ActivityIn, {k: spec.get(k) for k in ("section_id", "type", "title") if k in spec}, "body")
    section = db.session.get(Section, head.section_id)
    if section is None or section.course_id != course.id:
        raise NotFound(_("Bagian %(id)s tidak ada di kursus ini.", id=head.section_id), code="section_not_found")
    spec = {k: v for k, v in spec.items() if k != "section_id"}
    reader = UploadReader(request.files)
    try:
        spec.update(reader.paths)  # an uploaded file is named by its form field: "file", "package"
        activity = add_activity_from_spec(section, spec, reader)
    finally:
        reader.close()
    return activity_created_dict(activity), 201


def activity_created_dict(a: Activity) -> dict:
    return {"id": a.id, "section_id": a.section_id, "type": a.type, "title": a.title, "completion": completion_rule(a.type),
            "required": a.required, "visible": a.visible, **api_fields(a)}


@route("/courses/<int:course_id>", "PATCH", summary="Change a course: publish, enrolment, completion, details",
       tag="authoring", body=CoursePatch, response=CourseOut)
def course_patch(course_id: int, body: CoursePatch):
    user = user_ctx()
    course = q.editable_course(user, course_id)
    fields = body.model_dump(exclude_unset=True, exclude={"completion"})
    for key in ("title", "jp", "mode", "self_enrol", "certificate", "published"):
        if key in fields and fields[key] is None:
            raise BadInput(_("%(k)s tidak boleh null.", k=key), code="invalid_body")
    ops.update_course(course, **fields)
    if body.completion is not None:
        ops.set_required_activities(course, body.completion.required_activities)
    return course_dict(course, user)
