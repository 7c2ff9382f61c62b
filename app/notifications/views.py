"""The "Notifikasi" page: a person's messages, newest first; opening one marks it read."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.extensions import db
from app.notifications import operations as ops
from app.notifications import queries
from app.web import HomePanel, NavItem, paginate

bp = Blueprint("notifications", __name__)

NAV = [NavItem(_l("Notifikasi"), "notifications.index", order=95, place="header", badge=queries.unread_count)]


def _panel(user) -> dict | None:
    notes = queries.latest_unread(user)
    return {"notes": notes, "unread": queries.unread_count(user)} if notes else None


HOME_PANELS = [HomePanel("notifications/_home.html", _panel, order=5)]


@bp.get("/notifikasi")
@login_required
def index():
    data = paginate(queries.for_user(current_user), lambda n: n)
    return render_template("notifications/index.html", unread=queries.unread_count(current_user), **data)


@bp.post("/notifikasi/<int:note_id>/buka")
@login_required
def open_note(note_id: int):
    note = ops.mark_read(current_user, note_id)
    db.session.commit()
    link = note.link if note.link and note.link.startswith("/") and not note.link.startswith("//") else None
    return redirect(link or url_for("notifications.index"))


@bp.post("/notifikasi/baca-semua")
@login_required
def read_all():
    ops.mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for("notifications.index"))
