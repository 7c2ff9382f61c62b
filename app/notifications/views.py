"""The "Notifikasi" page: a person's messages, newest first; opening one marks it read."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.accounts.queries import session_extra
from app.errors import LenteraError
from app.extensions import db
from app.home import PanelRows
from app.notifications import operations as ops
from app.notifications import queries
from app.notifications.models import MAIL_MODES
from app.web import HomePanel, NavItem, paginate

bp = Blueprint("notifications", __name__)

NAV = [NavItem(_l("Notifikasi"), "notifications.index", order=95, place="header", badge=queries.unread_count)]


def _panel_rows(user) -> PanelRows | None:
    if session_extra(user, "unread_notifications") == 0:  # read with the person: nothing to show
        return None

    def context(parts: dict[str, list]) -> dict | None:
        notes = [SimpleNamespace(title=r.s1) for r in parts["notifications"]]
        return {"notes": notes, "unread": queries.unread_count(user)} if notes else None

    return PanelRows([queries.home_rows()], context=context)


HOME_PANELS = [HomePanel("notifications/_home.html", order=5, rows=_panel_rows)]


@bp.get("/notifikasi")
@login_required
def index():
    data = paginate(queries.for_user(current_user), lambda n: n)
    return render_template("notifications/index.html", unread=queries.unread_count(current_user), **data)


@bp.post("/notifikasi/<int:note_id>/buka")
@login_required
def open_note(note_id: int):
    note = ops.mark_read(current_user, note_id)
    link = note.link if note.link and note.link.startswith("/") and not note.link.startswith("//") else None
    return redirect(link or url_for("notifications.index"))


@bp.post("/notifikasi/baca-semua")
@login_required
def read_all():
    ops.mark_all_read(current_user)
    return redirect(url_for("notifications.index"))


def _mode_labels() -> dict[str, str]:
    return {"none": _("Tidak usah (cukup di aplikasi)"), "immediate": _("Setiap notifikasi, saat itu juga"),
            "daily": _("Satu ringkasan harian (pukul 07.00)")}


@bp.route("/notifikasi/pengaturan", methods=["GET", "POST"])
@login_required
def settings():
    """How a person wants notifications by mail; in the app they always appear."""
    status = 200
    if request.method == "POST":
        try:
            ops.set_mail_mode(current_user, request.form.get("mail", ""))
        except LenteraError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            status = 422
        else:
            flash(_("Pengaturan notifikasi disimpan."), "success")
            return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", mode=ops.mail_mode(current_user), modes=MAIL_MODES,
                           labels=_mode_labels()), status


@bp.route("/notifikasi/berhenti/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """The "stop these mails" link of every notification mail; works without logging in. The
    change needs a click (POST), so a mail scanner that opens links changes nothing."""
    user = ops.user_for_unsubscribe_token(token)
    done = False
    if request.method == "POST":
        ops.set_mail_mode(user, "none")
        done = True
    return render_template("notifications/unsubscribe.html", user=user, done=done)
