"""Every state change of SCORM: storing a package for an activity, attempts, and the CMI data a
SCO commits — checked, stored, scored against the mastery score, and turned into the activity's
completion (then the course engine's course_completed → ledger → certificate, as for any type)."""

from __future__ import annotations

import logging
import mimetypes
import secrets
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User, utcnow
from app.courses import operations as course_ops
from app.courses.models import Activity, Enrolment
from app.errors import Conflict, LenteraError, RuleViolation
from app.extensions import db
from app.scorm import cmi as cmimod
from app.scorm.manifest import evaluate_prerequisites
from app.scorm.models import DONE_STATUSES, ScormAttempt, ScormPackage, ScormSco, ScormScoState
from app.scorm.package import PackageError, ScormZip, open_scorm_zip
from app.signals import scorm_event
from app.storage import get_storage

log = logging.getLogger(__name__)


class ScormRefused(LenteraError):
    status, code = 422, "scorm_package_refused"


def refuse(exc: PackageError) -> ScormRefused:
    return ScormRefused(exc.message, code=exc.code, status=exc.status, details=exc.details)


def check_package(data: bytes) -> ScormZip:
    """Open and check a SCORM zip; raises ScormRefused with every problem named."""
    try:
        return open_scorm_zip(data)
    except PackageError as exc:
        raise refuse(exc) from None


def store_package(activity: Activity, data: bytes, source_name: str = "", *, max_attempts: int | None = None
                  ) -> ScormPackage:
    """Attach a checked SCORM 1.2 zip to `activity` (a new one or a replacement). SCOs keep their
    ids (and learners their CMI data) where the new manifest keeps their identifier."""
    sz = check_package(data)
    pkg = db.session.scalar(select(ScormPackage).where(ScormPackage.activity_id == activity.id))
    if pkg is not None and pkg.sha256 == sz.sha256:
        if max_attempts is not None:
            pkg.max_attempts = max_attempts
        return pkg
    if pkg is None:
        pkg = ScormPackage(activity_id=activity.id, files_prefix="", sha256=sz.sha256)
        db.session.add(pkg)
        db.session.flush()
    old_prefix = pkg.files_prefix
    prefix = f"scorm/{pkg.id}/{sz.sha256[:16]}/"
    store = get_storage()
    store.put_bytes(prefix.rstrip("/") + ".zip", data, "application/zip")  # kept whole for course export
    for name in sz.names:
        store.put_bytes(prefix + name, sz.read(name), mimetypes.guess_type(name)[0] or "application/octet-stream")
    m = sz.manifest
    pkg.files_prefix, pkg.sha256, pkg.identifier, pkg.title = prefix, sz.sha256, m.identifier, m.title
    pkg.source_name = source_name[:250]
    pkg.file_count, pkg.total_bytes, pkg.warnings = len(sz.names), sz.total_bytes, list(m.warnings)
    pkg.updated_at = utcnow()
    if max_attempts is not None:
        pkg.max_attempts = max_attempts
    existing = {s.identifier: s for s in pkg.scos}
    keep: list[ScormSco] = []
    for pos, item in enumerate(m.items):
        sco = existing.pop(item.identifier, None) or ScormSco(identifier=item.identifier)
        sco.title, sco.position, sco.depth, sco.href = item.title, pos, item.depth, item.href
        sco.scorm_type, sco.launch_data, sco.mastery_score = item.scorm_type, item.launch_data, item.mastery_score
        sco.max_time_allowed, sco.time_limit_action = item.max_time_allowed, item.time_limit_action
        sco.prerequisites = item.prerequisites
        keep.append(sco)
    pkg.scos = keep
    db.session.flush()
    shared = db.session.scalar(select(func.count()).select_from(ScormPackage).where(
        ScormPackage.files_prefix == old_prefix, ScormPackage.id != pkg.id)) if old_prefix else 0
    if old_prefix and old_prefix != prefix and not shared:
        # Old files go only after the new ones are stored: a learner mid-session finishes on the
        # old version's files until their next launch.
        try:
            store.delete_prefix(old_prefix)
            store.delete(old_prefix.rstrip("/") + ".zip")
        except Exception:  # noqa: BLE001 — leftover files cost space, not correctness
            log.warning("could not delete old SCORM files under %s", old_prefix)
    return pkg


def source_key(pkg: ScormPackage) -> str:
    """Where the uploaded zip itself is kept (beside its extracted files)."""
    return pkg.files_prefix.rstrip("/") + ".zip"


def set_max_attempts(pkg: ScormPackage, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise RuleViolation(_("Jumlah percobaan harus bilangan bulat 0–100 (0 = tanpa batas)."), code="invalid_attempts")
    pkg.max_attempts = value


def duplicate_package(source: Activity, target: Activity) -> None:
    """A duplicated course shares nothing mutable: the new activity gets its own package rows
    pointing at the same stored files (files are never changed in place, only replaced)."""
    src = db.session.scalar(select(ScormPackage).where(ScormPackage.activity_id == source.id))
    if src is None:
        return
    pkg = ScormPackage(activity_id=target.id, version=src.version, identifier=src.identifier, title=src.title,
                       files_prefix=src.files_prefix, sha256=src.sha256, source_name=src.source_name,
                       file_count=src.file_count, total_bytes=src.total_bytes, max_attempts=src.max_attempts,
                       warnings=list(src.warnings or []))
    pkg.scos = [ScormSco(identifier=s.identifier, title=s.title, position=s.position, depth=s.depth, href=s.href,
                         scorm_type=s.scorm_type, launch_data=s.launch_data, mastery_score=s.mastery_score,
                         max_time_allowed=s.max_time_allowed, time_limit_action=s.time_limit_action,
                         prerequisites=s.prerequisites) for s in src.scos]
    db.session.add(pkg)
    db.session.flush()


# --- attempts ---------------------------------------------------------------------------------------------

def current_attempt(pkg: ScormPackage, user: User, *, create: bool = True) -> ScormAttempt | None:
    attempt = db.session.scalar(select(ScormAttempt).where(
        ScormAttempt.package_id == pkg.id, ScormAttempt.user_id == user.id).order_by(ScormAttempt.number.desc()).limit(1))
    if attempt is None and create:
        attempt = ScormAttempt(package_id=pkg.id, user_id=user.id, number=1)
        db.session.add(attempt)
        db.session.flush()
    return attempt


def attempt_count(pkg: ScormPackage, user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(ScormAttempt).where(
        ScormAttempt.package_id == pkg.id, ScormAttempt.user_id == user.id)) or 0


def new_attempt(pkg: ScormPackage, user: User) -> ScormAttempt:
    """Start a fresh attempt (every SCO from the beginning), as the activity's setting allows."""
    _require_enrolled(pkg, user)
    current = current_attempt(pkg, user, create=False)
    if current is None:
        return current_attempt(pkg, user)
    if not current.states:
        return current  # the current one is still untouched: it is the new attempt
    if pkg.max_attempts and current.number >= pkg.max_attempts:
        raise Conflict(_("Batas %(n)d percobaan untuk aktivitas ini sudah tercapai.", n=pkg.max_attempts),
                       code="attempts_exhausted")
    attempt = ScormAttempt(package_id=pkg.id, user_id=user.id, number=current.number + 1)
    db.session.add(attempt)
    db.session.flush()
    return attempt


def _require_enrolled(pkg: ScormPackage, user: User, activity: Activity | None = None) -> Activity:
    activity = activity or db.session.get(Activity, pkg.activity_id)
    if db.session.scalar(select(Enrolment.id).where(Enrolment.course_id == activity.course_id,
                                                    Enrolment.user_id == user.id)) is None:
        raise RuleViolation(_("Anda belum terdaftar di kursus ini."), code="not_enrolled")
    return activity


def state_for(attempt: ScormAttempt, sco: ScormSco, *, create: bool = True) -> ScormScoState | None:
    state = db.session.scalar(select(ScormScoState).where(ScormScoState.attempt_id == attempt.id,
                                                         ScormScoState.sco_id == sco.id))
    if state is None and create:
        state = ScormScoState(attempt_id=attempt.id, sco_id=sco.id, cmi={}, lesson_status="not attempted")
        db.session.add(state)
        db.session.flush()
    return state


def statuses(attempt: ScormAttempt | None) -> dict[str, str]:
    """identifier -> lesson_status of every SCO touched in the attempt."""
    if attempt is None:
        return {}
    rows = db.session.execute(select(ScormSco.identifier, ScormScoState.lesson_status).join(
        ScormScoState, ScormScoState.sco_id == ScormSco.id).where(ScormScoState.attempt_id == attempt.id))
    return {ident: status for ident, status in rows}


def sco_open(sco: ScormSco, status_map: dict[str, str]) -> bool:
    """Whether the SCO's prerequisites hold (unsupported syntax never locks a learner out)."""
    try:
        result = evaluate_prerequisites(sco.prerequisites or "", status_map)
    except ValueError:
        return True
    return True if result is None else result


# --- the run-time data ----------------------------------------------------------------------------------

def initial_cmi(sco: ScormSco, user: User, state: ScormScoState) -> dict[str, str]:
    """The flat CMI a SCO sees at LMSInitialize: what it stored before plus what the LMS owns."""
    data = {k: v for k, v in (state.cmi or {}).items() if not k.endswith(("session_time", "core.exit"))}
    # A status the SCO set (or the mastery score decided) is handed back; while it has set none
    # the run-time starts from "not attempted" and marks the SCO completed at LMSFinish.
    sco_status = data.pop("cmi.core.lesson_status", "not attempted")
    if state.lesson_status in ("passed", "failed", "completed", "browsed") and sco_status == "not attempted":
        sco_status = state.lesson_status  # set by the LMS (an asset viewed, a mastery score)
    if sco_status != "not attempted":
        data["cmi.core.lesson_status"] = sco_status
    exit_value = (state.cmi or {}).get("cmi.core.exit", "")
    entry = "ab-initio" if state.lesson_status == "not attempted" and not state.commits else (
        "resume" if exit_value == "suspend" else "")
    name = (user.name or user.username or "").strip()
    data.update({
        "cmi.core.student_id": (user.nip or user.username or str(user.id))[:255],
        "cmi.core.student_name": name[:255],
        "cmi.core.entry": entry,
        "cmi.core.credit": "credit",
        "cmi.core.lesson_mode": "normal",
        "cmi.core.total_time": cmimod.format_timespan(state.time_cs),
        "cmi.launch_data": sco.launch_data or "",
        "cmi.student_data.mastery_score": format(sco.mastery_score.normalize(), "f") if sco.mastery_score is not None
        else "",
        "cmi.student_data.max_time_allowed": sco.max_time_allowed or "",
        "cmi.student_data.time_limit_action": sco.time_limit_action or "",
    })
    return data


def commit_cmi(user: User, sco: ScormSco, values: dict, *, strict: bool, launch: str | None = None,
               attempt: ScormAttempt | int | None = None, at: datetime | None = None,
               activity: Activity | None = None) -> ScormScoState:
    """Store a SCO's CMI values for the learner's current attempt (LMSCommit / LMSFinish, or the
    REST API). Values beyond the SCORM 1.2 limits are refused whole (422, nothing stored).
    `launch` names the player session; a new one folds the previous session time into the total."""
    pkg = sco.package
    activity = _require_enrolled(pkg, user, activity)
    if not activity.visible:
        raise RuleViolation(_("Aktivitas ini sedang disembunyikan."), code="activity_hidden")
    if not sco.launchable:
        raise RuleViolation(_("Item ini hanya judul bagian; tidak ada data untuk disimpan."), code="not_a_sco")
    if not isinstance(values, dict):
        raise RuleViolation(_("Data CMI harus objek {elemen: nilai}."), code="invalid_cmi")
    if attempt is None:
        attempt = current_attempt(pkg, user)
    else:
        # The launch's attempt (an id from the player's token, or the row): it must be the learner's
        # latest — one query answers both, the rare mismatch is told apart afterwards.
        wanted = attempt if isinstance(attempt, int) else attempt.id
        latest = current_attempt(pkg, user, create=False)
        if latest is None or latest.id != wanted:
            given = db.session.get(ScormAttempt, wanted)
            if given is None or given.user_id != user.id or given.package_id != pkg.id:
                raise RuleViolation(_("Percobaan ini bukan milik Anda."), code="attempt_mismatch")
            raise Conflict(_("Percobaan baru sudah dimulai di perangkat lain; muat ulang halaman."),
                           code="attempt_superseded")
        attempt = latest
    # Lock the state row: two commits of one SCO (two tabs) must not lose each other's values.
    state = db.session.scalar(select(ScormScoState).where(
        ScormScoState.attempt_id == attempt.id, ScormScoState.sco_id == sco.id).with_for_update())
    if state is None:
        state = state_for(attempt, sco)
    try:
        # A full commit resends every element: what equals the stored (already checked) value
        # needs no second check.
        checked = cmimod.check_values(values, strict=strict, known=state.cmi or {})
    except cmimod.CmiErrors as exc:
        raise RuleViolation(_("Nilai CMI di luar batas SCORM 1.2: %(m)s", m=exc.errors[0].message), code="cmi_invalid",
                            details=[{"element": e.element, "message": e.message, "scorm_error": e.code}
                                     for e in exc.errors]) from None
    was_status = state.lesson_status
    had_interactions = state.interactions
    new = checked.values
    cmi_data = dict(state.cmi or {})
    # Time: session_time is the running time of one launch; the total grows only by whole sessions.
    session = new.pop("cmi.core.session_time", None)
    if launch is None:
        if session is not None:
            state.total_time_cs += cmimod.timespan_cs(session)
    else:
        if state.launch_key != launch:
            state.total_time_cs += state.session_time_cs
            state.session_time_cs = 0
            state.launch_key = launch[:40]
        if session is not None:
            state.session_time_cs = cmimod.timespan_cs(session)
    for key, value in new.items():
        if key == "cmi.core.lesson_status":
            continue
        cmi_data[key] = value
    sco_status = new.get("cmi.core.lesson_status", cmi_data.get("cmi.core.lesson_status", "not attempted"))
    status = state.lesson_status if sco_status == "not attempted" else sco_status
    if status == "not attempted":
        status = "incomplete"  # the first commit of a SCO: it has been attempted
    raw = cmi_data.get("cmi.core.score.raw", "")
    score = Decimal(raw) if raw not in ("", None) else None
    if sco.mastery_score is not None and score is not None and status not in ("browsed",):
        # SCORM 1.2 RTE 3.4.4: with a mastery score and credit, the LMS decides passed/failed.
        status = "passed" if score >= sco.mastery_score else "failed"
    # The CMI keeps the status as the SCO set it ("not attempted" while it has set none), so the
    # next launch's run-time still knows the SCO never set one and completes it at LMSFinish
    # (RTE 3.4.4); the column holds the LMS's view for reports and completion.
    cmi_data["cmi.core.lesson_status"] = "not attempted" if sco_status == "not attempted" and status == "incomplete" \
        else status
    state.cmi = cmi_data
    state.lesson_status = status
    state.score_raw = score
    state.interactions = cmimod.interaction_count(cmi_data)
    state.commits += 1
    state.updated_at = attempt.updated_at = at or utcnow()
    db.session.flush()
    for i in range(had_interactions, state.interactions):
        scorm_event.send(user, verb="answered", sco=sco, attempt=attempt, state=state, interaction={
            k: cmi_data.get(f"cmi.interactions.{i}.{k}", "") for k in ("id", "type", "student_response", "result")})
    if was_status != status:
        scorm_event.send(user, verb=status, sco=sco, attempt=attempt, state=state)
    if status in DONE_STATUSES and (was_status not in DONE_STATUSES or attempt.completed_at is None):
        _check_attempt_done(user, pkg, activity, attempt, at=at)  # only a newly done SCO can finish it
    return state


def record_asset_view(user: User, sco: ScormSco, launch: str) -> None:
    """An asset (a plain page, no API) is complete once launched (SCORM 1.2 CAM 2.3.3.2)."""
    if sco.scorm_type != "asset":
        return
    commit_cmi(user, sco, {"cmi.core.lesson_status": "completed"}, strict=False, launch=launch)


def record_launch(user: User, sco: ScormSco, attempt: ScormAttempt) -> None:
    scorm_event.send(user, verb="launched", sco=sco, attempt=attempt, state=None)


def _check_attempt_done(user: User, pkg: ScormPackage, activity: Activity, attempt: ScormAttempt,
                        at: datetime | None = None) -> None:
    launchable = [s.id for s in pkg.scos if s.launchable]
    done = set(db.session.scalars(select(ScormScoState.sco_id).where(
        ScormScoState.attempt_id == attempt.id, ScormScoState.lesson_status.in_(DONE_STATUSES))))
    if launchable and all(s in done for s in launchable):
        if attempt.completed_at is None:
            attempt.completed_at = at or utcnow()
        course_ops.complete_activity(user, activity, source="scorm", at=at)


def attempt_done(pkg: ScormPackage, attempt: ScormAttempt | None) -> bool:
    return attempt is not None and attempt.completed_at is not None


def launch_key() -> str:
    return secrets.token_urlsafe(12)


def meets_rule(activity: Activity, user: User) -> bool:
    """Some attempt of the learner completed every SCO (for recomputing completions)."""
    pkg = db.session.scalar(select(ScormPackage).where(ScormPackage.activity_id == activity.id))
    if pkg is None:
        return False
    return db.session.scalar(select(ScormAttempt.id).where(
        ScormAttempt.package_id == pkg.id, ScormAttempt.user_id == user.id,
        ScormAttempt.completed_at.is_not(None)).limit(1)) is not None
