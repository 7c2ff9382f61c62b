"""Reads for the video pages and the API: who may see a course's media, an activity's asset,
a learner's watch progress."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import defaultload, defer, joinedload

from app.accounts.models import User
from app.courses.models import Activity, ActivityCompletion, Course, CourseInstructor, Enrolment, Section
from app.courses.operations import get_enrolment
from app.courses.queries import administers, viewer_values
from app.extensions import db
from app.jobs.models import Job
from app.media.models import UploadSession, VideoAsset, WatchProgress

DEFAULT_COMPLETE_AT = 90


def is_course_staff(user: User, course: Course, *, instructor: bool | None = None) -> bool:
    """Admins, the course's owner and its instructors may manage its videos. `instructor`: whether
    the user is one of the course's instructors, when the caller read it already."""
    if not user or not user.is_authenticated:
        return False
    if course.owner_id == user.id or administers(user, course):
        return True
    if instructor is not None:
        return instructor
    return db.session.scalar(select(CourseInstructor.id).where(
        CourseInstructor.course_id == course.id, CourseInstructor.user_id == user.id)) is not None


def can_view_media(user: User, activity: Activity) -> bool:
    """A course's media is for its enrolled learners and its staff, nobody else."""
    if not user or not user.is_authenticated:
        return False
    # The learner first: the heartbeat asks this every few seconds, and a learner is not staff.
    if activity.visible and get_enrolment(activity.course, user) is not None:
        return True
    return is_course_staff(user, activity.course)


def asset_for(activity: Activity) -> VideoAsset | None:
    asset_id = (activity.settings or {}).get("asset_id")
    return db.session.get(VideoAsset, asset_id) if asset_id else None


def watchable(asset: VideoAsset | None) -> bool:
    """The asset can be played and its watching measured: converted, with a length."""
    return asset is not None and asset.state == "ready" and asset.duration_tenths > 0


def job_for(asset: VideoAsset | None) -> Job | None:
    return db.session.get(Job, asset.job_id) if asset and asset.job_id else None


@dataclass(frozen=True, slots=True)
class AssetView:
    """What the player shows of a video asset, read as plain values (no database object to load
    or track): the page reads it on every view."""

    state: str
    duration_tenths: int
    renditions: list
    audio_key: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class JobView:
    """The state of an asset's transcode job, as plain values (see video_status)."""

    state: str
    progress: int
    message: str | None


@dataclass(frozen=True, slots=True)
class ProgressView:
    """A viewer's watch progress, as plain values: how much is watched and where playback resumes."""

    watched_tenths: int
    position_tenths: int


@dataclass(frozen=True, slots=True)
class PlayerState:
    """What the video activity page shows beside the activity: the asset and its transcode job
    (the same for everyone), and the viewer's own watch progress, whether the viewer completed the
    activity and teaches the course."""

    asset: AssetView | None
    job: JobView | None
    progress: ProgressView | None
    completed: bool
    instructor: bool | None  # None: not read (the activity page does not ask)


def _with_player(stmt, activities, *, instructor: bool):
    """`stmt` (FROM `activities`: the mapped class or its table) with the player's columns and the
    outer joins they need: the asset (the same for everyone), the viewer's (bindparam "user_id")
    progress and completion, and with `instructor` whether they teach the course (for the video
    page's "Kelola video" link). Plain columns of the tables, not mapped objects: loading three
    objects into the session was a tenth of the page's work, for values the page only shows. A
    video still being converted needs its job too: _job_stmt."""
    asset, watch = VideoAsset.__table__.c, WatchProgress.__table__.c
    done, teaches = ActivityCompletion.__table__.c, CourseInstructor.__table__.c
    columns = [asset.state, asset.duration_tenths, asset.renditions, asset.audio_key, watch.watched_tenths,
               watch.position_tenths,
               select(done.id).where(done.activity_id == activities.id, done.user_id == bindparam("user_id")).exists()]
    if instructor:
        columns.append(select(teaches.id).where(teaches.course_id == activities.course_id,
                                                teaches.user_id == bindparam("user_id")).exists())
    return (stmt.add_columns(*columns)
            .outerjoin(VideoAsset.__table__, asset.id == activities.settings["asset_id"].as_integer())
            .outerjoin(WatchProgress.__table__, and_(watch.activity_id == activities.id,
                                                     watch.user_id == bindparam("user_id"))))


def viewer_columns(stmt):
    """The activity page's statement with the player's columns (ActivityType.viewer_columns).

    It reads of the activity, its section and its course only what a video's page uses (its
    title and settings, the section's and course's visibility, the course's title, owner and
    content version): each column is a dozen calls of the driver and the ORM on every view. A
    part of the page that one day shows more costs a statement, which tests/test_perf_video.py
    counts, never a wrong value."""
    return _with_player(stmt, Activity, instructor=False).options(
        defer(Activity.body), defer(Activity.file_key), defer(Activity.file_name), defer(Activity.created_at),
        defaultload(Activity.section).load_only(Section.visible),
        defaultload(Activity.course).load_only(Course.title, Course.published, Course.owner_id, Course.content_version))


@functools.cache
def _player_stmt():
    # One statement for the pages that did not read the player with the activity (the video
    # page under /media, the API's video state) instead of four (asset, progress, completion,
    # instructor): each is a round trip to the database server.
    activities = Activity.__table__.c
    return _with_player(select().select_from(Activity.__table__), activities, instructor=True).where(
        activities.id == bindparam("activity_id"))


@functools.cache
def _job_stmt():
    asset, job = VideoAsset.__table__.c, Job.__table__.c
    return (select(asset.error, job.state, job.progress, job.message)
            .select_from(VideoAsset.__table__.outerjoin(Job.__table__, job.id == asset.job_id))
            .where(asset.id == bindparam("asset_id")))


def player_state(user: User | None, activity: Activity) -> PlayerState:
    """The video page's asset, job and the viewer's state (see PlayerState): as the activity page
    read them with the activity (courses.queries.viewer_values), or in one statement; the job of a
    video not ready yet (rare, and only while it is converted) in one more."""
    user_id = user.id if user is not None and user.is_authenticated else None
    row = viewer_values(activity, user_id) if user_id is not None else None
    if row is None:
        session = db.session()
        if session.new or session.dirty or session.deleted:
            session.flush()  # a plain statement does not flush first as a query of mapped objects does
        row = session.execute(_player_stmt(), {"activity_id": activity.id, "user_id": user_id}).first()
        if row is None:
            return PlayerState(None, None, None, False, None)
    a_state, duration, renditions, audio_key, watched, position, completed = row[:7]
    instructor = bool(row[7]) if len(row) > 7 else None
    asset = job = None
    if a_state == "ready":
        asset = AssetView(a_state, duration, renditions, audio_key, None)
    elif a_state is not None:
        error, j_state, j_progress, j_message = db.session.execute(
            _job_stmt(), {"asset_id": (activity.settings or {}).get("asset_id")}).one()
        asset = AssetView(a_state, duration, renditions, audio_key, error)
        job = JobView(j_state, j_progress, j_message) if j_state is not None else None
    progress = ProgressView(watched, position) if watched is not None and user_id is not None else None
    return PlayerState(asset, job, progress, bool(completed), instructor)


@dataclass
class Heartbeat:
    """What a learner's heartbeat needs, read in one statement with the progress row locked."""

    activity: Activity
    asset: VideoAsset | None
    progress: WatchProgress
    completed: bool


@functools.cache
def _heartbeat_stmt():
    # The learner's progress row, locked (FOR UPDATE OF video_watch: heartbeats of one person are
    # merged one after the other, so no played span is lost or counted twice), with the activity
    # and its course, the asset and whether the activity is complete; only a visible video
    # activity of a course the person is enrolled in (can_view_media's learner rule) matches.
    completed = (select(ActivityCompletion.id).where(ActivityCompletion.activity_id == WatchProgress.activity_id,
                                                     ActivityCompletion.user_id == WatchProgress.user_id)
                 .exists().label("completed"))
    return (select(WatchProgress, Activity, VideoAsset, completed)
            .join(Activity, Activity.id == WatchProgress.activity_id)
            .join(Enrolment, and_(Enrolment.course_id == Activity.course_id, Enrolment.user_id == WatchProgress.user_id))
            .outerjoin(VideoAsset, VideoAsset.id == Activity.settings["asset_id"].as_integer())
            .options(joinedload(Activity.course, innerjoin=True))
            .where(WatchProgress.activity_id == bindparam("activity_id"), WatchProgress.user_id == bindparam("user_id"),
                   Activity.type == "video", Activity.visible.is_(True))
            .with_for_update(of=WatchProgress))


def heartbeat(user: User, activity_id: int) -> Heartbeat | None:
    """The learner's heartbeat state (see Heartbeat), or None when there is no progress row yet
    (the first heartbeat) or the person is not an enrolled learner of a visible video activity:
    the caller then goes the long way, with every check and its own error."""
    row = db.session.execute(_heartbeat_stmt(), {"activity_id": activity_id, "user_id": user.id}).first()
    if row is None:
        return None
    return Heartbeat(activity=row[1], asset=row[2], progress=row[0], completed=bool(row[3]))


def complete_at_percent(activity: Activity) -> int:
    try:
        value = int((activity.settings or {}).get("complete_at_percent", DEFAULT_COMPLETE_AT))
    except (TypeError, ValueError):
        value = DEFAULT_COMPLETE_AT
    return max(1, min(100, value))


def watch_progress(user: User, activity: Activity) -> WatchProgress | None:
    return db.session.scalar(select(WatchProgress).where(WatchProgress.activity_id == activity.id,
                                                         WatchProgress.user_id == user.id))


def percent_of(watched_tenths: int, duration_tenths: int) -> Decimal:
    """Exact percentage with one decimal, rounded down (never credit more than was watched)."""
    if duration_tenths <= 0:
        return Decimal(0)
    pct = Decimal(watched_tenths) * 100 / Decimal(duration_tenths)
    return min(Decimal(100), pct.quantize(Decimal("0.1"), rounding=ROUND_DOWN))


def upload_session(upload_id: str) -> UploadSession | None:
    return db.session.get(UploadSession, upload_id)


def video_status(asset: VideoAsset | None, job: Job | None) -> dict:
    """What the activity page says about the video: none, queued, processing (with progress),
    ready, or failed (with the reason)."""
    if asset is None:
        return {"state": "none", "progress": 0, "message": None}
    if asset.state == "ready":
        return {"state": "ready", "progress": 100, "message": None}
    if job is not None and job.state == "failed":
        return {"state": "failed", "progress": job.progress, "message": asset.error or job.message}
    if job is not None and job.state == "running":
        return {"state": "processing", "progress": job.progress, "message": job.message}
    return {"state": "queued", "progress": 0, "message": job.message if job else None}
