"""Live session routes of API.md (second wave): a session's settings and its attendance."""

from __future__ import annotations

from typing import Literal

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from app.accounts.queries import user_by_nip
from app.api.core import route, user_ctx
from app.courses.queries import enrolment_of, get_activity, staff_reach
from app.errors import BadInput, Forbidden, NotFound
from app.live import operations as ops
from app.live import queries as q


class LiveOut(BaseModel):
    activity_id: int
    platform: str
    url: str | None
    starts_at: str | None = Field(description="ISO 8601 in the session's zone")
    zone: str = Field(description="WIB, WITA or WIT")
    minutes: int
    min_minutes_present: int
    reminder_minutes: int
    ledger_rule: str | None


class UnknownRow(BaseModel):
    row: int
    name: str
    email: str
    nip: str
    message: str


class ImportOut(BaseModel):
    present: int
    absent: int
    matched: int
    unknown: list[UnknownRow]


class ImportQuery(BaseModel):
    on_unknown: Literal["stop", "skip"] = "stop"


class ManualItem(BaseModel):
    nip: str = Field(max_length=100)
    minutes: int | None = Field(default=None, ge=0, le=24 * 60)


class ManualIn(BaseModel):
    items: list[ManualItem] = Field(max_length=5000)


class AttendanceRow(BaseModel):
    nip: str | None
    name: str
    minutes: int | None
    present: bool
    source: str | None


class PageQuery(BaseModel):
    page: int = 1
    per_page: int = 50


class AttendancePage(BaseModel):
    items: list[AttendanceRow]
    page: int
    per_page: int
    total: int


def _live(activity_id: int):
    a = get_activity(activity_id)
    if a.type != "live":
        raise NotFound(_("Aktivitas ini bukan sesi daring."), code="not_live_session")
    return a


def live_dict(a, s) -> dict:
    start = q.local(s.starts_at, s.zone)
    return {"activity_id": a.id, "platform": s.platform, "url": s.url,
            "starts_at": start.isoformat() if start else None, "zone": q.zone_label(s.zone), "minutes": s.minutes,
            "min_minutes_present": s.min_minutes_present, "reminder_minutes": s.reminder_minutes,
            "ledger_rule": s.ledger_rule}


@route("/activities/<int:activity_id>/live", summary="A live session's link, time (WIB/WITA/WIT) and rules",
       tag="live", response=LiveOut)
def live_get(activity_id: int):
    user = user_ctx()
    a = _live(activity_id)
    if enrolment_of(user, a.course_id) is None and staff_reach(user, a.course) is None:
        raise Forbidden(_("Anda tidak terdaftar di kursus ini."), code="not_enrolled")
    s = ops.session_for(a)
    return live_dict(a, s)


@route("/activities/<int:activity_id>/attendance/import", "POST", summary="Import a live session's participant "
       "report (CSV: Zoom's export, or name/email/nip/join/leave); present = at least the minimum minutes",
       tag="live", query=ImportQuery, response=ImportOut,
       body_content={"multipart/form-data": {"type": "object", "required": ["file"],
                                             "properties": {"file": {"type": "string", "format": "binary"}}},
                     "text/csv": {"type": "string"}})
def live_import(activity_id: int, params: ImportQuery):
    user = user_ctx()
    a = _live(activity_id)
    if staff_reach(user, a.course) is None:
        raise Forbidden(_("Hanya pengajar atau staf kursus ini yang mencatat kehadiran."), code="not_course_staff")
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        name, data = upload.filename, upload.read()
    elif request.mimetype in ("text/csv", "text/plain"):
        name, data = "laporan.csv", request.get_data()
    else:
        raise BadInput(_("Kirim laporan peserta sebagai field 'file' (multipart/form-data) atau badan text/csv."),
                       code="file_required")
    result = ops.import_report(user, a, name, data, on_unknown=params.on_unknown)
    return result


@route("/activities/<int:activity_id>/attendance", "POST", summary="Record attendance of a live session by hand "
       "(minutes default to the whole session)", tag="live", body=ManualIn, response=ImportOut)
def live_manual(activity_id: int, body: ManualIn):
    user = user_ctx()
    a = _live(activity_id)
    if staff_reach(user, a.course) is None:
        raise Forbidden(_("Hanya pengajar atau staf kursus ini yang mencatat kehadiran."), code="not_course_staff")
    items = []
    for item in body.items:
        person = user_by_nip(item.nip.strip())
        if person is None:
            raise BadInput(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=item.nip), code="unknown_nip",
                           details=[{"field": "items.nip", "message": item.nip}])
        items.append((person, item.minutes))
    result = ops.record_by_hand(user, a, items)
    return result


@route("/activities/<int:activity_id>/attendance", summary="A live session's attendance (staff in reach)",
       tag="live", query=PageQuery, response=AttendancePage)
def live_attendance(activity_id: int, params: PageQuery):
    from app.web import page_args

    user = user_ctx()
    a = _live(activity_id)
    r = staff_reach(user, a.course)
    if r is None:
        raise Forbidden(_("Hanya pengajar atau staf kursus ini yang melihat kehadiran."), code="not_course_staff")
    page, per_page = page_args()
    rows = q.attendance_list(a, ops.session_for(a), r)
    items = [{"nip": p.nip, "name": p.name, "minutes": att.minutes if att else None, "present": bool(att and att.present),
              "source": att.source if att else None} for p, att in rows]
    return {"items": items[(page - 1) * per_page: page * per_page], "page": page, "per_page": per_page,
            "total": len(items)}


