"""Open Badges 3.0 credentials issued for certificates, and the organisation's signing key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import utcnow
from app.certificates.models import Certificate
from app.extensions import db


class BadgeKey(db.Model):
    """The organisation's P-256 key for credentials when none is configured (BADGES_SIGNING_KEY):
    made once, kept, so every credential ever issued stays verifiable under the same did:key."""

    __tablename__ = "badge_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    did: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BadgeCredential(db.Model):
    """The signed OpenBadgeCredential of one certificate (course or program certification), kept
    as issued. Its place in the revocation status list follows from its id."""

    __tablename__ = "badge_credentials"
    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), unique=True)
    credential_id: Mapped[str] = mapped_column(String(80), unique=True)
    credential: Mapped[dict] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    certificate: Mapped[Certificate] = relationship()
