"""Video assets (a source file and its renditions), resumable upload sessions, and what each
learner has watched of each video activity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import utcnow
from app.extensions import db

ASSET_STATES = ("queued", "processing", "ready", "failed")


class VideoAsset(db.Model):
    """One uploaded video and everything made from it, stored under `video/<id>/`.

    Several activities may share an asset (a duplicated course reuses the renditions); an
    activity points at its asset through `Activity.settings["asset_id"]`.
    """

    __tablename__ = "video_assets"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(500))
    source_name: Mapped[str] = mapped_column(String(250))
    source_size: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(12), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    # Exact: tenths of a second, never float.
    duration_tenths: Mapped[int] = mapped_column(default=0)
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    has_audio: Mapped[bool] = mapped_column(default=False)
    #: [{"name": "360p", "height": 360, "width": 640, "bandwidth": 900000, "playlist": "hls/360p/index.m3u8"}]
    renditions: Mapped[list] = mapped_column(JSON, default=list)
    master_key: Mapped[str | None] = mapped_column(String(500))
    audio_key: Mapped[str | None] = mapped_column(String(500))
    poster_key: Mapped[str | None] = mapped_column(String(500))
    mp4_key: Mapped[str | None] = mapped_column(String(500))
    job_id: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def prefix(self) -> str:
        return f"video/{self.id}/"

    @property
    def duration_seconds(self) -> float:
        return self.duration_tenths / 10


class UploadSession(db.Model):
    """A resumable upload (tus 1.0): chunks append to a file under the instance dir."""

    __tablename__ = "video_uploads"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(250))
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(12), default="open")  # open | done | refused | abandoned
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("video_assets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WatchProgress(db.Model):
    """The parts of a video a learner has played, merged, in tenths of a second."""

    __tablename__ = "video_watch"
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    intervals: Mapped[list] = mapped_column(JSON, default=list)  # [[start, end], ...] tenths, disjoint, sorted
    watched_tenths: Mapped[int] = mapped_column(default=0)
    position_tenths: Mapped[int] = mapped_column(default=0)  # where playback resumes, on any device
    #: the wall clock of the last heartbeat (or of opening the player): bounds the next span
    clock_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("activity_id", "user_id", name="uq_video_watch_activity_user"),)
