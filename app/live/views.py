"""Live session pages: join, settings, attendance (import or by hand), BigBlueButton's callback."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts.models import User
from app.courses.queries import can_edit, enrolment_of, get_activity, staff_reach
from app.errors import LenteraError
from app.extensions import csrf, db
from app.live import bbb
from app.live import operations as ops
from app.live import queries as q
from app.live.models import LiveSession
from app.web import flash_error, run_operation

bp = Blueprint("live", __name__)


def _live_activity(activity_id: int):
    try:
        a = get_activity(activity_id)
    except LenteraError:
        abort(404)
    if a.type != "live":
        abort(404)
    return a


def _callback_url(s: LiveSession) -> str:
    from app.web import public_url

    return public_url("live.bbb_callback", token=bbb.callback_token(s))


@bp.get("/sesi-daring/<int:activity_id>/gabung")
@login_required
def join(activity_id: int):
    a = _live_activity(activity_id)
    if enrolment_of(current_user, a.course_id) is None and not can_edit(current_user, a.course):
        abort(403)
    s = ops.session_for(a)
    if s.platform == "bbb" and bbb.configured():
        try:
            url = ops.bbb_join(current_user, a, _callback_url(s))
        except LenteraError as exc:
            flash_error(exc)
            return redirect(url_for("courses.activity", activity_id=a.id))
        return redirect(url)
    if not s.url:
        flash(_("Tautan sesi belum diisi pengajar."), "warning")
        return redirect(url_for("courses.activity", activity_id=a.id))
    return redirect(s.url)


@bp.post("/mengajar/sesi-daring/<int:activity_id>/pengaturan")
@login_required
def settings(activity_id: int):
    a = _live_activity(activity_id)
    if not can_edit(current_user, a.course):
        abort(403)
    spec = {k: request.form.get(k, "") for k in ("url", "starts_at", "zone", "minutes", "min_minutes_present",
                                                 "platform", "reminder_minutes", "ledger_rule")}
    run_operation(lambda: ops.configure(ops.session_for(a), spec), _("Pengaturan sesi daring disimpan."))
    return redirect(url_for("courses.activity_edit", activity_id=a.id))


@bp.route("/mengajar/sesi-daring/<int:activity_id>/kehadiran", methods=["GET", "POST"])
@login_required
def attendance(activity_id: int):
    a = _live_activity(activity_id)
    r = staff_reach(current_user, a.course)
    if r is None:
        abort(403)
    result = None
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is not None and upload.filename:
                result = ops.import_report(current_user, a, upload.filename, upload.read(),
                                           on_unknown="skip" if request.form.get("skip_unknown") else "stop")
            else:
                items = []
                for key in request.form.getlist("present"):
                    person = db.session.get(User, int(key)) if key.isdigit() and len(key) < 10 else None
                    if person is not None:
                        raw = request.form.get(f"minutes-{person.id}", "").strip()
                        items.append((person, int(raw) if raw.isdigit() and len(raw) < 6 else None))
                result = ops.record_by_hand(current_user, a, items)
        except LenteraError as exc:
            flash_error(exc)
            result = {"error": exc.message, "details": exc.details}
        else:
            flash(_("Kehadiran dicatat: %(p)d hadir, %(a)d belum/tidak hadir.", p=result["present"], a=result["absent"]),
                  "success")
    s = ops.session_for(a)
    return render_template("live/attendance.html", activity=a, course=a.course, s=s, result=result,
                           rows=q.attendance_list(a, s, r), when=q.local_time_label(s, current_user))


@bp.route("/sesi-daring/bbb/<token>", methods=["GET", "POST"])
@csrf.exempt
def bbb_callback(token: str):
    """BigBlueButton calls this when the meeting ends (GET) and with its analytics (POST JSON)."""
    sid = bbb.session_id_for_token(token)
    s = db.session.get(LiveSession, sid) if sid is not None else None
    if s is None:
        abort(404)
    payload = request.get_json(silent=True) if request.method == "POST" else None
    result = ops.bbb_meeting_ended(s, payload if isinstance(payload, dict) else None)
    return jsonify(result)
