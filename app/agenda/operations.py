"""The feed's token: made when first asked for, replaced on request (the old address stops working)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from app.accounts.models import User, utcnow
from app.agenda.models import CalendarFeed
from app.extensions import db


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(user: User) -> str:
    """A fresh token for `user`'s feed; any earlier address stops working. Returned once, kept hashed."""
    token = secrets.token_urlsafe(24)
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token_hash="")
        db.session.add(feed)
    feed.token_hash, feed.created_at = token_hash(token), utcnow()
    db.session.flush()
    return token
