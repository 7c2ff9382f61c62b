"""Telling a person something in the app. Any domain calls `notify()` inside its transaction."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import update

from app.accounts.models import User, utcnow
from app.errors import NotFound
from app.extensions import db
from app.notifications.models import Notification


def link_to(endpoint: str, **values) -> str | None:
    """The site path of a page, for a notification's link. Built from the URL map alone, so it works
    in a job outside any request too; None for an endpoint that does not exist."""
    from flask import current_app
    from werkzeug.routing import BuildError

    try:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return None


def notify(user: User | int, title: str, body: str = "", link: str | None = None) -> Notification:
    user_id = user if isinstance(user, int) else user.id
    note = Notification(user_id=user_id, title=str(title)[:250], body=str(body), link=link)
    db.session.add(note)
    db.session.flush()
    return note


def mark_read(user: User, note_id: int) -> Notification:
    note = db.session.get(Notification, note_id)
    if note is None or note.user_id != user.id:
        raise NotFound(_("Notifikasi tidak ditemukan."))
    if note.read_at is None:
        note.read_at = utcnow()
    db.session.flush()
    return note


def mark_all_read(user: User) -> int:
    result = db.session.execute(update(Notification).where(Notification.user_id == user.id,
                                                           Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount or 0
