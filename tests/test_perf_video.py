"""The video activity page (issue 23): a fixed number of statements whatever the size of the data
(activities in the course, completions, watched ranges, renditions, other learners' progress),
the player's per-viewer state read with the activity, and the parts kept by each worker (the
`samefor` blocks keyed by the asset's own values) following a transcode or an author's change on
the next request of every worker. Counts and pages, never times."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from app.accounts.models import User
from app.courses import operations as ops
from app.courses import queries as course_queries
from app.courses.models import Activity
from app.extensions import db
from app.media.models import VideoAsset, WatchProgress
from tests.counting import page_statements, statements
from tests.factories import enrol_all, make_course


def _lessons(n: int, prefix: str) -> list[dict]:
    return [{"type": "lesson", "title": f"{prefix}{i}", "body": f"<p>Isi {i}</p>"} for i in range(n)]


def _asset(activity: Activity, **kw) -> VideoAsset:
    values = {"source_key": "video/x/source.mp4", "source_name": "x.mp4", "state": "ready", "duration_tenths": 6000,
              "renditions": [{"name": "360p", "bandwidth": 900000}], **kw}
    asset = VideoAsset(**values)
    db.session.add(asset)
    db.session.flush()
    activity.settings = {**(activity.settings or {}), "asset_id": asset.id}
    return asset


def _video(course) -> Activity:
    return next(a for s in course.sections for a in s.activities if a.type == "video")


def _learner(app, username: str):
    """A client of `app` signed in as `username` (the tests' requests share one application
    context: the person a previous request loaded is dropped first)."""
    g.pop("_login_user", None)
    client = app.test_client()
    assert client.post("/masuk", data={"username": username, "password": "rahasia123"}).status_code == 302
    return client


def test_video_page_statements_do_not_grow_with_the_data(app, client, org, login):
    small = make_course(org.instructor, activities=[{"type": "video", "title": "Video kecil"}])
    big = make_course(org.instructor, activities=_lessons(40, "B") + [{"type": "video", "title": "Video besar"}])
    enrol_all(small, org.learner_a1)
    enrol_all(big, org.learner_a1, org.learner_b)
    _asset(_video(small))
    _asset(_video(big), audio_key="video/y/hls/audio/index.m3u8",
           renditions=[{"name": f"{h}p", "bandwidth": h * 2500} for h in (144, 240, 360, 480, 720, 1080)])
    for a in big.sections[0].activities[:30]:
        ops.complete_activity(org.learner_a1, a)
    v_small, v_big = _video(small).id, _video(big).id
    db.session.add(WatchProgress(activity_id=v_big, user_id=org.learner_a1.id, watched_tenths=2500, position_tenths=777,
                                 intervals=[[i * 100, i * 100 + 50] for i in range(50)]))
    db.session.add(WatchProgress(activity_id=v_big, user_id=org.learner_b.id, watched_tenths=6000, position_tenths=10,
                                 intervals=[[0, 6000]]))  # another learner's row is not the viewer's
    db.session.commit()
    instructor_id = org.instructor.id
    login(org.learner_a1)
    for vid in (v_small, v_big):  # warm: the worker learns the activities' type and keeps the player's blocks
        client.get(f"/aktivitas/{vid}")
    n_small = statements(client, f"/aktivitas/{v_small}")
    n_big, page = page_statements(client, f"/aktivitas/{v_big}")
    assert n_small == n_big, (n_small, n_big)
    assert n_big <= 2  # the person, then the activity with the viewer's course progress and player
    assert 'data-position="77.7"' in page and '41.6</strong>%' in page  # the viewer's own, not learner_b's
    assert "Hemat data: audio saja" in page and 'data-bytes-high="202500000"' in page
    assert "B39" in page  # the previous activity, from the kept outline

    # The instructor previewing (not enrolled): the same statement, nothing tracked.
    staff = _learner(app, db.session.get(User, instructor_id).username)
    statements(staff, f"/aktivitas/{v_big}")
    n_staff, page = page_statements(staff, f"/aktivitas/{v_big}")
    assert n_staff <= 2
    assert 'data-position="0"' in page and ">0.0</strong>%" in page


def test_the_kept_player_follows_a_transcode_and_an_authors_change_in_every_worker(app, org, second_app):
    course = make_course(org.instructor, activities=[{"type": "video", "title": "Ancaman <siber>"}])
    enrol_all(course, org.learner_a1)
    asset = _asset(_video(course), state="processing", duration_tenths=0, renditions=[])
    db.session.commit()
    video_id, asset_id = _video(course).id, asset.id
    learner = _learner(second_app, "learner_a1")
    for _ in range(2):  # rendered, then from the second worker's kept blocks
        page = learner.get(f"/aktivitas/{video_id}").get_data(as_text=True)
        assert 'data-state="queued"' in page and 'data-master=""' in page and "video-player" not in page

    # The transcode finishes in a job: no course version changes, the asset's own values do.
    asset = db.session.get(VideoAsset, asset_id)
    asset.state, asset.duration_tenths, asset.renditions = "ready", 1234, [{"name": "360p", "bandwidth": 800000}]
    db.session.commit()
    for _ in range(2):
        page = learner.get(f"/aktivitas/{video_id}").get_data(as_text=True)
        assert f'data-master="/media/aktivitas/{video_id}/video/hls/master.m3u8"' in page
        assert 'data-duration="123.4"' in page and 'data-bytes-high="12340000"' in page
        assert 'data-audio=""' in page and "Hemat data: audio saja" not in page
        assert 'aria-label="Ancaman &lt;siber&gt;"' in page  # escaped, kept escaped

    # Renditions made again with an audio track; then the author renames the activity.
    asset = db.session.get(VideoAsset, asset_id)
    asset.audio_key, asset.renditions = "video/x/hls/audio/index.m3u8", [{"name": "720p", "bandwidth": 2000000}]
    db.session.commit()
    page = learner.get(f"/aktivitas/{video_id}").get_data(as_text=True)
    assert "Hemat data: audio saja" in page and 'data-bytes-high="30850000"' in page
    activity = db.session.get(Activity, video_id)
    activity.title = "Keamanan & privasi"
    db.session.commit()
    page = learner.get(f"/aktivitas/{video_id}").get_data(as_text=True)
    assert 'aria-label="Keamanan &amp; privasi"' in page and "siber" not in page


def test_the_player_state_is_the_viewers_own_and_exact(app, org, auth):
    course = make_course(org.instructor, activities=[{"type": "video", "title": "Video"}])
    enrol_all(course, org.learner_a1, org.learner_b)
    _asset(_video(course), duration_tenths=1000)
    video_id = _video(course).id
    db.session.add(WatchProgress(activity_id=video_id, user_id=org.learner_a1.id, watched_tenths=1000,
                                 position_tenths=1000, intervals=[[0, 1000]]))
    ops.complete_activity(org.learner_a1, db.session.get(Activity, video_id), source="watch")
    db.session.commit()
    a1, b = _learner(app, "learner_a1"), _learner(app, "learner_b")
    for _ in range(2):  # one after the other on one application: nothing of one reaches the other
        page_a = a1.get(f"/aktivitas/{video_id}").get_data(as_text=True)
        page_b = b.get(f"/aktivitas/{video_id}").get_data(as_text=True)
        assert 'data-position="100"' in page_a and "100</strong>%" in page_a
        assert 'video-done" >' in page_a  # completed: the badge shows
        assert 'data-position="0"' in page_b and ">0.0</strong>%" in page_b and 'video-done" hidden>' in page_b
    # The API's answer reads the viewer's state itself, after the pages of the other viewer.
    state = b.get(f"/api/v1/activities/{video_id}/video", headers=auth(org.learner_b))
    assert state.status_code == 200 and state.get_json()["percent"] == 0 and state.get_json()["completed"] is False
    state = a1.get(f"/api/v1/activities/{video_id}/video", headers=auth(org.learner_a1))
    assert state.get_json()["percent"] == 100 and state.get_json()["completed"] is True


def test_a_wrong_type_hint_costs_a_statement_never_a_wrong_page(client, org, login):
    course = make_course(org.instructor, activities=[{"type": "lesson", "title": "Materi", "body": "<p>Isi materi</p>"},
                                                     {"type": "video", "title": "Video"}])
    enrol_all(course, org.learner_a1)
    _asset(_video(course), duration_tenths=2000)
    lesson_id, video_id = course.sections[0].activities[0].id, _video(course).id
    learner_id = org.learner_a1.id
    db.session.add(WatchProgress(activity_id=video_id, user_id=learner_id, watched_tenths=500, position_tenths=40,
                                 intervals=[[0, 500]]))
    db.session.commit()
    login(db.session.get(User, learner_id))
    # The hint says video for a lesson (an id reused after a delete): the lesson page as ever.
    course_queries._TYPE_OF[lesson_id] = "video"
    page = client.get(f"/aktivitas/{lesson_id}").get_data(as_text=True)
    assert "Isi materi" in page and "video-activity" not in page
    assert course_queries._TYPE_OF[lesson_id] == "lesson"
    # The hint says lesson for a video: the player reads its own state, exactly.
    client.get(f"/aktivitas/{video_id}")  # warm: the course's structure kept, the visit recorded
    course_queries._TYPE_OF[video_id] = "lesson"
    n, page = page_statements(client, f"/aktivitas/{video_id}")
    assert n == 3 and 'data-position="4"' in page and "25.0</strong>%" in page
    n, page = page_statements(client, f"/aktivitas/{video_id}")  # learnt
    assert n == 2 and 'data-position="4"' in page and "25.0</strong>%" in page
    assert db.session.scalar(select(WatchProgress.watched_tenths).where(WatchProgress.activity_id == video_id)) == 500
