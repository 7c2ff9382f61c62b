"""The read side of SCORM: a package and its table of contents for a learner, and the report of
attempts, scores and time per learner for staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Unit, User
from app.accounts.queries import Reach
from app.courses import queries as course_q
from app.courses.models import Activity, Enrolment
from app.errors import NotFound
from app.extensions import db
from app.scorm.models import DONE_STATUSES, ScormAttempt, ScormPackage, ScormSco, ScormScoState


def package_for(activity: Activity) -> ScormPackage | None:
    return db.session.scalar(select(ScormPackage).where(ScormPackage.activity_id == activity.id))


def get_package(scorm_id: int) -> ScormPackage:
    pkg = db.session.get(ScormPackage, scorm_id)
    if pkg is None:
        raise NotFound(_("Paket SCORM tidak ditemukan."), code="scorm_not_found")
    return pkg


def activity_of(pkg: ScormPackage) -> Activity:
    return db.session.get(Activity, pkg.activity_id)


def can_play(user: User, pkg: ScormPackage) -> bool:
    """Enrolled learners (of a visible activity) and the course's staff, as for other course files."""
    if not user or not user.is_authenticated:
        return False
    activity = activity_of(pkg)
    if course_q.can_edit(user, activity.course):
        return True
    if not activity.visible or not activity.section.visible:
        return False
    return course_q.enrolment_of(user, activity.course_id) is not None


def visible_package(user: User, scorm_id: int) -> ScormPackage:
    pkg = get_package(scorm_id)
    if not can_play(user, pkg):
        raise NotFound(_("Paket SCORM tidak ditemukan."), code="scorm_not_found")
    return pkg


def get_sco(pkg: ScormPackage, sco_id: int) -> ScormSco:
    sco = db.session.get(ScormSco, sco_id)
    if sco is None or sco.package_id != pkg.id:
        raise NotFound(_("SCO %(id)s tidak ada di paket ini.", id=sco_id), code="sco_not_found")
    return sco


def latest_attempt(pkg: ScormPackage, user: User) -> ScormAttempt | None:
    return db.session.scalar(select(ScormAttempt).where(
        ScormAttempt.package_id == pkg.id, ScormAttempt.user_id == user.id).order_by(ScormAttempt.number.desc()).limit(1))


def states_of(attempt: ScormAttempt | None) -> dict[int, ScormScoState]:
    if attempt is None:
        return {}
    return {s.sco_id: s for s in db.session.scalars(select(ScormScoState).where(ScormScoState.attempt_id == attempt.id))}


# --- the report -------------------------------------------------------------------------------------------

@dataclass
class LearnerRow:
    user: User
    attempts: int = 0
    completed: bool = False
    best_score: Decimal | None = None
    last_score: Decimal | None = None
    status: str = "not attempted"
    time_cs: int = 0
    last_access: datetime | None = None
    per_sco: dict[int, str] = field(default_factory=dict)  # sco id -> lesson_status of the latest attempt


def _attempt_score(states: list[ScormScoState]) -> Decimal | None:
    scores = [s.score_raw for s in states if s.score_raw is not None]
    if not scores:
        return None
    return (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01"))


def report(pkg: ScormPackage, r: Reach) -> tuple[list[ScormSco], list[LearnerRow]]:
    """Every enrolled learner within reach: attempts, best and last score (the mean of the scored
    SCOs of an attempt), status of the latest attempt, time over all attempts. Three queries."""
    activity = activity_of(pkg)
    stmt = (select(User).join(Enrolment, and_(Enrolment.user_id == User.id, Enrolment.course_id == activity.course_id))
            .outerjoin(Unit, User.unit_id == Unit.id).options(selectinload(User.unit)).order_by(User.name))
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path) if r.unit_paths else false())
    users = list(db.session.scalars(stmt))
    rows = {u.id: LearnerRow(user=u) for u in users}
    scos = [s for s in pkg.scos if s.launchable]
    if not rows:
        return scos, []
    attempts = list(db.session.scalars(select(ScormAttempt).where(
        ScormAttempt.package_id == pkg.id, ScormAttempt.user_id.in_(list(rows))).order_by(ScormAttempt.number)))
    states: dict[int, list[ScormScoState]] = {}
    if attempts:
        for s in db.session.scalars(select(ScormScoState).where(
                ScormScoState.attempt_id.in_([a.id for a in attempts]))):
            states.setdefault(s.attempt_id, []).append(s)
    for a in attempts:
        row = rows[a.user_id]
        row.attempts += 1
        st = states.get(a.id, [])
        score = _attempt_score(st)
        if score is not None and (row.best_score is None or score > row.best_score):
            row.best_score = score
        row.last_score = score
        row.time_cs += sum(s.time_cs for s in st)
        row.completed = row.completed or a.completed_at is not None
        if row.last_access is None or a.updated_at > row.last_access:
            row.last_access = a.updated_at
        row.per_sco = {s.sco_id: s.lesson_status for s in st}
        if a.completed_at is not None:
            statuses = {s.lesson_status for s in st}
            row.status = "passed" if "passed" in statuses and "failed" not in statuses else "completed"
        elif any(s.lesson_status == "failed" for s in st):
            row.status = "failed"
        elif st:
            row.status = "incomplete"
        else:
            row.status = "not attempted"
    return scos, list(rows.values())


STATUS_LABELS = {
    "not attempted": _l("Belum dicoba"),
    "incomplete": _l("Belum selesai"),
    "browsed": _l("Dijelajahi"),
    "completed": _l("Selesai"),
    "passed": _l("Lulus"),
    "failed": _l("Tidak lulus"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def is_done(status: str) -> bool:
    return status in DONE_STATUSES
