"""SCORM routes: a package's SCO list with launch addresses, and storing a SCO's CMI data."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from app.api.core import route, user_ctx
from app.courses import queries as course_q
from app.errors import BadInput
from app.scorm import operations as ops
from app.scorm import queries
from app.scorm.cmi import format_timespan
from app.scorm.launch import Launch, content_url, make_token


class ScoOut(BaseModel):
    id: int
    identifier: str
    title: str
    depth: int
    launch_url: str | None = Field(description="the SCO's address under the sandboxed content path; null for a heading")
    status: str = Field(description="lesson_status in the learner's current attempt")
    status_label: str
    score: float | None
    open: bool = Field(description="whether its prerequisites hold")


class AttemptOut(BaseModel):
    number: int
    completed: bool
    max_attempts: int = Field(description="0 = unlimited")


class ScormOut(BaseModel):
    id: int
    activity_id: int
    title: str
    completed: bool
    attempt: AttemptOut | None
    scos: list[ScoOut] = Field(description="the launchable items (SCOs and assets), in table-of-contents order")
    toc: list[ScoOut] = Field(description="every item of the organisation, headings (launch_url null) included")
    warnings: list[str]


class CmiOut(BaseModel):
    scorm_id: int
    sco_id: int
    attempt: int
    lesson_status: str
    score_raw: float | None
    total_time: str
    cmi: dict[str, str]


def scorm_dict(pkg, user) -> dict:
    activity = queries.activity_of(pkg)
    enrolled = course_q.enrolment_of(user, activity.course_id) is not None
    # The launch addresses carry the attempt: an enrolled learner's first look starts attempt 1.
    attempt = ops.current_attempt(pkg, user) if enrolled else None
    states = queries.states_of(attempt)
    status_map = {s.identifier: states[s.id].lesson_status for s in pkg.scos if s.id in states}
    key = ops.launch_key()
    scos = []
    for s in pkg.scos:
        st = states.get(s.id)
        url = None
        if s.launchable:
            token = make_token(Launch(user.id, pkg.id, s.id, attempt.id if attempt else 0, key, not enrolled or
                                      attempt is None))
            path, _sep, query = s.href.partition("?")
            url = content_url(token, path, query)
        scos.append({"id": s.id, "identifier": s.identifier, "title": s.title, "depth": s.depth, "launch_url": url,
                     "status": st.lesson_status if st else "not attempted",
                     "status_label": queries.status_label(st.lesson_status if st else "not attempted"),
                     "score": float(st.score_raw) if st and st.score_raw is not None else None,
                     "open": ops.sco_open(s, status_map)})
    return {"id": pkg.id, "activity_id": pkg.activity_id, "title": activity.title,
            "completed": ops.meets_rule(activity, user) if enrolled else False,
            "attempt": {"number": attempt.number, "completed": attempt.completed_at is not None,
                        "max_attempts": pkg.max_attempts} if attempt else None,
            "scos": [s for s in scos if s["launch_url"]], "toc": scos, "warnings": [str(w) for w in pkg.warnings or []]}


@route("/scorm/<int:scorm_id>", summary="A SCORM package: its SCOs with launch addresses and the learner's status",
       tag="scorm", response=ScormOut)
def scorm_get(scorm_id: int):
    user = user_ctx()
    pkg = queries.visible_package(user, scorm_id)
    out = scorm_dict(pkg, user)
    return out


@route("/scorm/<int:scorm_id>/scos/<int:sco_id>/cmi", "PUT", summary="Store SCORM 1.2 CMI values of a SCO",
       tag="scorm", response=CmiOut,
       body_content={"application/json": {"type": "object", "additionalProperties": {"type": ["string", "number"]},
                                          "example": {"cmi.core.lesson_status": "completed",
                                                      "cmi.core.score.raw": "85",
                                                      "cmi.suspend_data": "halaman=3"}}})
def scorm_put_cmi(scorm_id: int, sco_id: int):
    """Values are checked against the SCORM 1.2 data model (types, vocabularies, limits such as
    4,096 characters of suspend_data); a value beyond them → 422 naming each element, nothing stored.
    Read-only elements (cmi.core.student_id, total_time, …) are refused."""
    user = user_ctx()
    pkg = queries.visible_package(user, scorm_id)
    sco = queries.get_sco(pkg, sco_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput(_("Badan permintaan harus objek JSON {elemen CMI: nilai}."), code="invalid_json")
    state = ops.commit_cmi(user, sco, body, strict=True)
    return cmi_dict(pkg, sco, state)


def cmi_dict(pkg, sco, state) -> dict:
    return {"scorm_id": pkg.id, "sco_id": sco.id, "attempt": state.attempt.number, "lesson_status": state.lesson_status,
            "score_raw": float(state.score_raw) if state.score_raw is not None else None,
            "total_time": format_timespan(state.time_cs), "cmi": dict(state.cmi or {})}
