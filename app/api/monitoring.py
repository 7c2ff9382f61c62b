"""Monitoring routes of API.md: JP attainment for a year and a unit (BPSDM, admin)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.api.core import route, user_ctx
from app.monitoring import exports
from app.monitoring import queries as q

STAFF = ("bpsdm", "admin")


class AttainmentQuery(BaseModel):
    year: int | None = Field(None, ge=2000, le=2100, description="calendar year; default the current one")
    unit: str | None = Field(None, description="unit id (or code); default the root of the caller's reach")
    position: int | None = Field(None, description="position (jabatan) id")
    golongan: str | None = None
    employment_type: Literal["PNS", "PPPK"] | None = None


class UnitAttainment(BaseModel):
    unit: str
    unit_id: int | None
    code: str | None
    employees: int
    met_target: int
    percent: float
    total_jp: float
    average_jp: float


class MonthAttainment(BaseModel):
    month: int
    met_target: int | None
    percent: float | None


class CategoryMix(BaseModel):
    category: str
    jp: float
    percent: float
    guidance: int


class HistogramBucket(BaseModel):
    label: str
    employees: int


class AttainmentOut(BaseModel):
    year: int
    unit: str | None
    unit_id: int | None
    target_jp: float | None
    employees: int
    met_target: int
    percent: float
    total_jp: float
    average_jp: float
    units: list[UnitAttainment]
    monthly: list[MonthAttainment]
    categories: list[CategoryMix]
    histogram: list[HistogramBucket]


class EmployeesQuery(AttainmentQuery):
    below: bool = Field(False, description="only employees below their target")
    page: int = Field(1, ge=1)
    per_page: int = Field(50, ge=1, le=200)


class EmployeeAttainment(BaseModel):
    nip: str | None
    name: str
    unit: str
    position: str | None
    golongan: str | None
    employment_type: str | None
    jp: float
    target_jp: float
    shortfall: float


class EmployeesPage(BaseModel):
    items: list[EmployeeAttainment]
    page: int
    per_page: int
    total: int


def _scope(params: AttainmentQuery):
    viewer = user_ctx()
    year = params.year or q.default_year()
    unit = q.resolve_unit(viewer, params.unit)
    filters = q.Filters(params.position, params.golongan, params.employment_type)
    return viewer, year, unit, filters


@route("/monitoring/attainment", summary="JP attainment of a unit's employees for a year", tag="monitoring",
       roles=STAFF, query=AttainmentQuery, response=AttainmentOut)
def attainment(params: AttainmentQuery):
    viewer, year, unit, filters = _scope(params)
    return q.attainment_dict(q.dashboard(viewer, year, unit, filters))


@route("/monitoring/attainment.xlsx", summary="JP attainment as a spreadsheet", tag="monitoring", roles=STAFF,
       query=AttainmentQuery, response_content=exports.XLSX_TYPE)
def attainment_xlsx(params: AttainmentQuery):
    viewer, year, unit, filters = _scope(params)
    d = q.dashboard(viewer, year, unit, filters)
    return exports.respond("xlsx", f"capaian-jp-{year}", exports.summary_table(d), exports.units_table(d),
                           exports.monthly_table(d), exports.histogram_table(d))


@route("/monitoring/employees", summary="Employees of a unit with their JP (lowest first)", tag="monitoring",
       roles=STAFF, query=EmployeesQuery, response=EmployeesPage)
def employees(params: EmployeesQuery):
    viewer, year, unit, filters = _scope(params)
    rows, total = q.people(viewer, year, unit, filters, below_only=params.below, page=params.page,
                           per_page=params.per_page)
    return {"items": [{"nip": p.nip, "name": p.name, "unit": p.unit, "position": p.position, "golongan": p.golongan,
                       "employment_type": p.employment_type, "jp": float(p.jp), "target_jp": float(p.target_jp),
                       "shortfall": float(p.shortfall)} for p in rows],
            "page": params.page, "per_page": params.per_page, "total": total}
