"""Reading a person's notifications."""

from __future__ import annotations

import functools

from sqlalchemy import Select, bindparam, func, select

from app.accounts.models import User
from app.accounts.queries import SESSION_EXTRAS, session_extra
from app.extensions import db
from app.home import home_row
from app.notifications.models import Notification

# The header's badge runs this on every page: built once, with a bound parameter.
_UNREAD_COUNT = (select(func.count()).select_from(Notification)
                 .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)))


def _unread_with_the_person():
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == User.id, Notification.read_at.is_(None)).scalar_subquery())


# Read with the signed-in person, in the same statement (app.accounts.queries.SESSION_EXTRAS).
SESSION_EXTRAS["unread_notifications"] = _unread_with_the_person


def unread_count(user: User) -> int:
    kept = session_extra(user, "unread_notifications")
    if kept is not None:
        return kept
    return db.session.scalar(_UNREAD_COUNT, {"user_id": user.id}) or 0


def for_user(user: User):
    """A select() of the user's notifications, newest first (paginate it)."""
    return select(Notification).where(Notification.user_id == user.id).order_by(Notification.created_at.desc(),
                                                                               Notification.id.desc())


def latest_unread(user: User, limit: int = 5) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).order_by(
        Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


@functools.cache
def home_rows() -> Select:
    """The five newest unread notifications (title), a branch of the home statement (app.home)."""
    order = (Notification.created_at.desc(), Notification.id.desc())
    return (select(*home_row("notifications", order, s1=Notification.title))
            .where(Notification.user_id == bindparam("home_user"), Notification.read_at.is_(None))
            .order_by(*order).limit(5))
