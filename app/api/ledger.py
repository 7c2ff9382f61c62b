"""JP ledger routes of API.md, plus the SIASN export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Response
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row, select

from app.accounts.models import Unit
from app.accounts.queries import reach
from app.api.accounts import person_in_reach
from app.api.core import route, user_ctx
from app.errors import BadInput, Forbidden, NotFound
from app.extensions import db
from app.ledger import chain, queries
from app.ledger import operations as ops
from app.ledger.models import LedgerEntry

STAFF = ("bpsdm", "admin")


def jp_number(value) -> float | int:
    """JP as a JSON number with up to two decimals (2.5, 20, -4)."""
    d = Decimal(value).quantize(Decimal("0.01"))
    return int(d) if d == d.to_integral_value() else float(d)


class EntryOut(BaseModel):
    id: int
    nip: str | None
    year: int
    kind: str
    category: str
    title: str
    organiser: str | None
    start_date: date | None
    end_date: date | None
    jp: float
    minutes: int | None
    international: bool
    rule_code: str | None
    occurred_on: date
    recorded_at: str
    source: dict
    reverses: int | None
    reversed_by: int | None = None
    reason: str | None
    jenis_diklat_id: int | None
    certificate_number: str | None
    hash: str


class LedgerOut(BaseModel):
    nip: str
    year: int
    target_jp: float
    total_jp: float
    entries: list[EntryOut]


class LedgerQuery(BaseModel):
    year: int | None = Field(default=None, ge=1900, le=2200)


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nip: str = Field(min_length=18, max_length=18, pattern=r"^\d{18}$")
    kind: str = Field(min_length=1, max_length=30)
    title: str = Field(min_length=1, max_length=250)
    occurred_on: date
    jp: Decimal | None = Field(default=None, gt=0, max_digits=8, decimal_places=2)
    minutes: int | None = Field(default=None, gt=0, le=10_000_000)
    organiser: str | None = Field(default=None, max_length=250)
    start_date: date | None = None
    end_date: date | None = None
    jenis_diklat_id: int | None = Field(default=None, ge=1, le=10)
    certificate_number: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=2000)


class ReverseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=2000)


class VerifyOut(BaseModel):
    ok: bool
    entries_checked: int
    first_bad_entry: int | None
    problem: str | None


class ExportQuery(BaseModel):
    unit: int | None = None
    year: int | None = Field(default=None, ge=1900, le=2200)


#: The entry columns entry_dict() reads.
ENTRY_COLUMNS = ("id", "nip", "year", "kind", "category", "title", "organiser", "start_date", "end_date", "jp",
                 "minutes", "international", "rule_code", "occurred_on", "recorded_at", "source_type", "source_id",
                 "reverses_id", "reason", "jenis_diklat_id", "certificate_number", "hash")


def entry_dict(e: LedgerEntry | Row, reversed_by: int | None = None) -> dict:
    from datetime import UTC

    return {"id": e.id, "nip": e.nip, "year": e.year, "kind": e.kind, "category": e.category, "title": e.title,
            "organiser": e.organiser, "start_date": e.start_date, "end_date": e.end_date, "jp": jp_number(e.jp),
            "minutes": e.minutes, "international": e.international, "rule_code": e.rule_code,
            "occurred_on": e.occurred_on, "recorded_at": e.recorded_at.replace(tzinfo=UTC).isoformat(),
            "source": {"type": e.source_type, "id": e.source_id}, "reverses": e.reverses_id,
            "reversed_by": reversed_by, "reason": e.reason, "jenis_diklat_id": e.jenis_diklat_id,
            "certificate_number": e.certificate_number, "hash": e.hash}


@route("/ledger/<nip>", summary="A person's JP ledger for a year", tag="ledger", query=LedgerQuery,
       response=LedgerOut)
def ledger_of(nip: str, params: LedgerQuery):
    person = person_in_reach(nip)
    year = params.year or ops.current_year()
    ledger = queries.year_ledger(person.id, year, ENTRY_COLUMNS)  # the read "JP saya" makes, every column
    return {"nip": person.nip, "year": year, "target_jp": queries.target_for(person),
            "total_jp": jp_number(ledger.total), "entries": [entry_dict(e, e.reversed_by) for e in ledger.entries]}


@route("/ledger/entries", "POST", summary="Record JP by hand (jp or minutes)", tag="ledger", body=EntryIn,
       response=EntryOut, status=201, roles=STAFF)
def ledger_record(body: EntryIn):
    person = person_in_reach(body.nip)
    entry = ops.record_manual(user_ctx(), person, kind=body.kind, title=body.title, occurred_on=body.occurred_on,
                              jp=body.jp, minutes=body.minutes, organiser=body.organiser,
                              start_date=body.start_date, end_date=body.end_date,
                              jenis_diklat_id=body.jenis_diklat_id, certificate_number=body.certificate_number,
                              reason=body.reason)
    return entry_dict(entry), 201


@route("/ledger/entries/<int:entry_id>/reverse", "POST", summary="Reverse an entry with a reason", tag="ledger",
       body=ReverseIn, response=EntryOut, status=201, roles=STAFF)
def ledger_reverse(entry_id: int, body: ReverseIn):
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None:
        raise NotFound(_("Entri JP tidak ditemukan."))
    reversal = ops.reverse_entry(user_ctx(), entry, body.reason)
    return entry_dict(reversal), 201


@route("/ledger/verify", summary="Check the ledger's hash chain", tag="ledger", response=VerifyOut, roles=STAFF)
def ledger_verify():
    return chain.verify().as_dict()


@route("/ledger/export.csv", summary="A unit's entries for a year, SIASN-shaped CSV", tag="ledger",
       query=ExportQuery, roles=STAFF, response_content="text/csv")
def ledger_export(params: ExportQuery):
    viewer = user_ctx()
    unit = export_unit(viewer, params.unit)
    year = params.year or ops.current_year()
    body = queries.export_csv(viewer, unit, year)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="siasn-diklat-{unit.id}-{year}.csv"'})


def export_unit(viewer, unit_id: int | None) -> Unit:
    r = reach(viewer)
    if unit_id is None:
        if r.everything:
            unit = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
        else:
            unit = db.session.scalar(select(Unit).where(Unit.path == r.unit_paths[0])) if r.unit_paths else None
        if unit is None:
            raise BadInput(_("Pilih unit."), code="unit_required")
        return unit
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(_("Unit tidak ditemukan."))
    if not r.covers_unit(unit):
        raise Forbidden(_("Unit ini di luar jangkauan Anda."))
    return unit
