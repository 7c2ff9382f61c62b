"""CMB / Corporate University routes of API.md."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from pydantic import BaseModel, Field

from app.accounts.models import Unit
from app.accounts.queries import organisation_wide, reach
from app.api.accounts import MULTIPART_FILE, ImportResult, person_in_reach, uploaded_file
from app.api.core import Page, PageQuery, page_of, route, user_ctx
from app.corpu import operations as ops
from app.corpu.gaps import employee_gaps
from app.corpu.needs import training_needs
from app.corpu.queries import all_competencies
from app.corpu.recommend import recommendations
from app.errors import BadInput, Forbidden, NotFound
from app.extensions import db
from app.inputs import is_digits


class LevelOut(BaseModel):
    level: int
    description: str
    indicators: list[str]


class CompetencyOut(BaseModel):
    code: str
    name: str
    group: str
    description: str
    levels: list[LevelOut]


class CreatedOut(BaseModel):
    created: int


class GapOut(BaseModel):
    competency: str
    name: str
    kind: str
    required_level: int
    current_level: int
    gap: int


class RecommendationOut(BaseModel):
    course_id: int
    title: str
    jp: float
    closes: list[str]
    levels_closed: int
    enrolled: bool


class SuggestedCourseOut(BaseModel):
    course_id: int
    title: str
    level: int
    participants: int
    cost_per_participant: float | None
    cost: float


class NeedOut(BaseModel):
    competency: str
    name: str
    employees_with_gap: int
    suggested_courses: list[SuggestedCourseOut]
    estimated_cost: float
    uncovered: int = Field(description="people in gap whom no published course reaches")


class NeedsQuery(PageQuery):
    unit: str | None = Field(default=None, description="unit id or code; default: everything in reach")
    year: int = Field(default_factory=lambda: date.today().year, ge=2000, le=2100)


def _require_organisation_wide() -> None:
    # The dictionary and the position standards belong to no unit: a unit-limited admin would be
    # changing them for everyone.
    if not organisation_wide(user_ctx(), ("admin",)):
        raise Forbidden(_("Kamus kompetensi dan standar jabatan berlaku untuk seluruh organisasi: hanya admin "
                          "seluruh organisasi yang boleh mengubahnya."))


@route("/competencies", summary="The competency dictionary", tag="cmb", query=PageQuery,
       response=Page[CompetencyOut])
def competencies(params: PageQuery):
    return page_of([{"code": c.code, "name": c.name, "group": c.group, "description": c.description,
             "levels": [{"level": lv.level, "description": lv.description, "indicators": lv.indicator_list}
                        for lv in c.levels]} for c in all_competencies()])


@route("/competencies/import", "POST", summary="Import dictionary rows (code,name,group,level,description), all or nothing",
       tag="cmb", roles=("admin",), response=ImportResult, body_content=MULTIPART_FILE)
def competencies_import():
    _require_organisation_wide()
    name, data = uploaded_file()
    result = ops.import_competencies(name, data)
    return result


@route("/positions/standards/import", "POST", summary="Import position standards (jabatan,competency,required_level)",
       tag="cmb", roles=("admin",), response=ImportResult, body_content=MULTIPART_FILE)
def standards_import():
    _require_organisation_wide()
    name, data = uploaded_file()
    result = ops.import_standards(name, data)
    return result


@route("/assessments/import", "POST", summary="Import assessments (nip,competency,level,assessed_on,source)",
       tag="cmb", roles=("admin", "bpsdm"), response=CreatedOut, body_content=MULTIPART_FILE)
def assessments_import():
    name, data = uploaded_file()
    me = user_ctx()
    result = ops.import_assessments(name, data, reach(me), by=me)
    return result


@route("/employees/<nip>/gaps", summary="An employee's competency gaps", tag="cmb", query=PageQuery,
       response=Page[GapOut])
def employee_gaps_api(nip: str, params: PageQuery):
    return page_of([g.as_dict() for g in employee_gaps(person_in_reach(nip))])


@route("/employees/<nip>/recommendations", summary="Courses that close an employee's gaps, best first", tag="cmb",
       query=PageQuery, response=Page[RecommendationOut])
def employee_recommendations(nip: str, params: PageQuery):
    return page_of([r.as_dict() for r in recommendations(person_in_reach(nip))])


def unit_param(value: str | None) -> Unit | None:
    if not value:
        return None
    unit = db.session.get(Unit, int(value)) if is_digits(value) else \
        db.session.scalar(db.select(Unit).where(Unit.code == value))
    if unit is None:
        raise NotFound(_("Unit %(u)s tidak ditemukan.", u=value))
    return unit


@route("/training-needs", summary="Training-needs map of a unit (subtree) for a year", tag="cmb",
       roles=("admin", "bpsdm"), query=NeedsQuery, response=Page[NeedOut])
def training_needs_api(params: NeedsQuery):
    me = user_ctx()
    r = reach(me)
    unit = unit_param(params.unit)
    if unit is not None and not r.covers_unit(unit):
        raise Forbidden(_("Unit ini di luar jangkauan Anda."))
    if unit is None and not r.everything and not r.unit_paths:
        raise BadInput(_("Anda tidak memiliki unit dalam jangkauan."))
    return page_of([n.as_dict() for n in training_needs(unit, params.year, r).needs])


# --- development plans -------------------------------------------------------------------------

class PlanItemOut(BaseModel):
    id: int
    kind: str
    course_id: int | None
    title: str
    planned_jp: float
    competency: str | None
    done: bool
    done_on: date | None


class PlanOut(BaseModel):
    id: int | None
    nip: str | None
    year: int
    status: str
    comment: str
    planned_jp: float
    done_jp: float
    items: list[PlanItemOut]


class PlanItemIn(BaseModel):
    kind: str = Field(description="course | coaching | mentoring | internship | other")
    course_id: int | None = None
    title: str = ""
    planned_jp: float | str = 0
    competency: str | None = None


class DecisionIn(BaseModel):
    comment: str = Field(default="", max_length=2000)


def plan_dict(person, year: int, plan) -> dict:
    from app.corpu.queries import plan_progress

    if plan is None:
        return {"id": None, "nip": person.nip, "year": year, "status": "draft", "comment": "", "planned_jp": 0,
                "done_jp": 0, "items": []}
    prog = plan_progress(plan)
    return {"id": plan.id, "nip": person.nip, "year": plan.year, "status": plan.status, "comment": plan.comment,
            "planned_jp": float(prog.planned_jp), "done_jp": float(prog.done_jp),
            "items": [{"id": ip.item.id, "kind": ip.item.kind, "course_id": ip.item.course_id, "title": ip.item.title,
                       "planned_jp": float(ip.item.planned_jp), "competency": ip.item.competency_code,
                       "done": ip.done, "done_on": ip.done_on} for ip in prog.items]}


def _plan_by_id(plan_id: int):
    from app.corpu.models import DevelopmentPlan

    plan = db.session.get(DevelopmentPlan, plan_id)
    if plan is None:
        raise NotFound(_("Rencana tidak ditemukan."))
    return plan


@route("/employees/<nip>/plans/<int:year>", summary="An employee's development plan for a year, with progress",
       tag="cmb", response=PlanOut)
def employee_plan(nip: str, year: int):
    person = person_in_reach(nip)
    return plan_dict(person, year, ops.plan_for(person, year, create=False))


@route("/plans/<int:year>/items", "POST", summary="Add a course or another activity to one's own plan", tag="cmb",
       body=PlanItemIn, response=PlanOut, status=201)
def plan_add_item(year: int, body: PlanItemIn):
    from app.courses.models import Course

    me = user_ctx()
    course = None
    if body.course_id is not None:
        course = db.session.get(Course, body.course_id)
        if course is None:
            raise NotFound(_("Kursus tidak ditemukan."))
    plan = ops.plan_for(me, year)
    ops.add_plan_item(plan, me, kind=body.kind, course=course, title=body.title, planned_jp=str(body.planned_jp),
                      competency_code=body.competency)
    return plan_dict(me, year, plan), 201


@route("/plans/<int:year>/submit", "POST", summary="Submit one's own plan to the supervisor", tag="cmb",
       response=PlanOut)
def plan_submit(year: int):
    me = user_ctx()
    plan = ops.plan_for(me, year, create=False)
    if plan is None:
        raise NotFound(_("Belum ada rencana untuk tahun %(y)d.", y=year))
    ops.submit_plan(plan, me)
    return plan_dict(me, year, plan)


@route("/plans/<int:plan_id>/approve", "POST", summary="Approve a staff member's plan (head of unit)", tag="cmb",
       body=DecisionIn, response=PlanOut)
def plan_approve(plan_id: int, body: DecisionIn):
    plan = ops.approve_plan(_plan_by_id(plan_id), user_ctx(), body.comment)
    return plan_dict(plan.user, plan.year, plan)


@route("/plans/<int:plan_id>/return", "POST", summary="Send a plan back with a comment (head of unit)", tag="cmb",
       body=DecisionIn, response=PlanOut)
def plan_return(plan_id: int, body: DecisionIn):
    plan = ops.return_plan(_plan_by_id(plan_id), user_ctx(), body.comment)
    return plan_dict(plan.user, plan.year, plan)
