"""Watch tracking: intervals merged exactly, spans clipped to what the wall clock allows at 2x,
seeking ahead never counted, completion at complete_at_percent through the course engine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import utcnow
from app.courses.models import ActivityCompletion, CourseCompletion
from app.extensions import db
from app.media import operations as ops
from app.media.models import VideoAsset, WatchProgress
from app.media.watch import clip_span, covered, merge, to_tenths
from tests.conftest import count
from tests.media_fixtures import video_activity

# --- the arithmetic ---------------------------------------------------------------------------

def test_merge_joins_overlapping_and_touching_spans_exactly():
    iv: list[list[int]] = []
    for span in [(100, 200), (300, 400), (150, 320), (400, 450), (0, 10), (10, 20)]:
        iv = merge(iv, span)
    assert iv == [[0, 20], [100, 450]]
    assert covered(iv) == 370
    assert merge(iv, (30, 30)) == iv  # an empty span adds nothing


def test_tenths_are_exact():
    assert to_tenths("0.15") == 2 and to_tenths("3.35") == 34 and to_tenths(12) == 120
    assert to_tenths("0.1") + to_tenths("0.2") == to_tenths("0.3")  # no float drift


def test_clip_span_to_wall_clock_at_double_speed_and_to_duration():
    assert clip_span(0, 600, duration=6000, elapsed_tenths=100) == (0, 200)
    assert clip_span(5900, 7000, duration=6000, elapsed_tenths=10_000) == (5900, 6000)
    assert clip_span(0, 100, duration=6000, elapsed_tenths=None) == (0, 0)


# --- through the API ----------------------------------------------------------------------------

@pytest.fixture
def ready_video(app, video_course):
    """The course's video activity with a ready 60-second asset."""
    activity = video_activity(video_course)
    asset = VideoAsset(source_key="video/x/source.mp4", source_name="x.mp4", state="ready", duration_tenths=600,
                       width=640, height=360, renditions=[{"name": "360p"}])
    db.session.add(asset)
    db.session.flush()
    activity.settings = {**activity.settings, "asset_id": asset.id}
    db.session.commit()
    return activity


def open_player(client, activity, seconds_ago: float = 0):
    """The learner opened the page `seconds_ago` seconds before now."""
    assert client.get(f"/media/aktivitas/{activity.id}").status_code == 200
    pass_time(activity, seconds_ago)


def pass_time(activity, seconds: float):
    row = db.session.scalar(select(WatchProgress).where(WatchProgress.activity_id == activity.id))
    db.session.refresh(row)
    row.clock_at = row.clock_at - timedelta(seconds=seconds)
    db.session.commit()


@pytest.fixture
def beat(client, auth, org):
    """beat(activity, from, to): a heartbeat as the player sends it, as learner_a1."""
    headers = auth(org.learner_a1)

    def send(activity, frm, to, **extra):
        return client.post(f"/api/v1/activities/{activity.id}/watch", json={"from": frm, "to": to, **extra},
                           headers=headers)

    return send


def test_honest_viewer_completes_at_90_percent(client, org, login, auth, beat, ready_video):
    login(org.learner_a1)
    open_player(client, ready_video, 10)
    r = beat(ready_video, 0, 10).get_json()
    assert r == {"watched_seconds": 10.0, "percent": 16.6, "completed": False, "position": 10.0}
    for start in range(10, 50, 10):
        pass_time(ready_video, 10)
        r = beat(ready_video, start, start + 10).get_json()
    assert (r["watched_seconds"], r["completed"]) == (50.0, False)
    pass_time(ready_video, 10)
    r = beat(ready_video, 50, 54).get_json()
    assert (r["watched_seconds"], r["percent"], r["completed"]) == (54.0, 90.0, True)
    done = db.session.scalar(select(ActivityCompletion).where(ActivityCompletion.activity_id == ready_video.id))
    assert done.source == "watch"
    assert count(CourseCompletion) == 1  # the course's only activity: the course is complete


def test_span_longer_than_wall_clock_allows_is_clipped(client, org, login, auth, beat, ready_video):
    login(org.learner_a1)
    open_player(client, ready_video, 10)
    r = beat(ready_video, 0, 60).get_json()  # "watched" a minute in ten seconds
    assert 20.0 <= r["watched_seconds"] < 22.0  # 2x the ten seconds (plus the test's own run time), not 60
    assert r["completed"] is False
    # Many tiny heartbeats in a burst buy nothing extra.
    for i in range(5):
        r = beat(ready_video, 20 + i * 5, 25 + i * 5).get_json()
    assert r["watched_seconds"] < 23.0


def test_first_heartbeat_without_opening_the_player_counts_nothing(client, org, auth, ready_video):
    h = auth(org.learner_a1)
    r = client.post(f"/api/v1/activities/{ready_video.id}/watch", json={"from": 0, "to": 30}, headers=h).get_json()
    assert r["watched_seconds"] == 0.0
    pass_time(ready_video, 10)
    r = client.post(f"/api/v1/activities/{ready_video.id}/watch", json={"from": 0, "to": 10}, headers=h).get_json()
    assert r["watched_seconds"] == 10.0


def test_seeking_ahead_does_not_count_and_rewatching_does_not_double(client, org, login, auth, beat, ready_video):
    login(org.learner_a1)
    open_player(client, ready_video, 10)
    beat(ready_video, 0, 10)
    pass_time(ready_video, 5)
    r = beat(ready_video, 50, 55).get_json()  # jumped to 50 s and played 5 s
    assert r["watched_seconds"] == 15.0
    pass_time(ready_video, 10)
    r = beat(ready_video, 0, 10).get_json()  # watched the start again
    assert r["watched_seconds"] == 15.0
    row = db.session.scalar(select(WatchProgress).where(WatchProgress.activity_id == ready_video.id))
    db.session.refresh(row)
    assert row.intervals == [[0, 100], [500, 550]]


def test_fractions_are_stored_exactly_in_tenths(client, org, login, auth, beat, ready_video):
    login(org.learner_a1)
    open_player(client, ready_video, 10)
    r = beat(ready_video, "0.15", "3.35").get_json()
    assert r["watched_seconds"] == 3.2
    row = db.session.scalar(select(WatchProgress).where(WatchProgress.activity_id == ready_video.id))
    db.session.refresh(row)
    assert row.intervals == [[2, 34]] and row.watched_tenths == 32


def test_resume_position_follows_the_learner_to_another_device(client, org, login, auth, beat, ready_video):
    login(org.learner_a1)
    open_player(client, ready_video, 30)
    beat(ready_video, 30, 42, position=42)
    other_device = client.application.test_client()
    state = other_device.get(f"/api/v1/activities/{ready_video.id}/video", headers=auth(org.learner_a1)).get_json()
    assert state["position"] == 42.0
    assert state["watched_seconds"] == 12.0
    html = client.get(f"/media/aktivitas/{ready_video.id}").get_data(as_text=True)
    assert 'data-position="42' in html


def test_bad_heartbeats_are_refused_clearly(client, org, login, auth, beat, ready_video):
    login(org.learner_a1)
    open_player(client, ready_video, 10)
    r = beat(ready_video, 10, 5)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_interval"
    r = beat(ready_video, -1, 5)
    assert r.status_code == 400
    r = client.post(f"/api/v1/activities/{ready_video.id}/watch", data="bukan json", content_type="application/json",
                    headers=auth(org.learner_a1))
    assert r.status_code == 400
    # Outside the course: the activity does not exist for them. Staff preview is not tracked.
    other = client.application.test_client()
    assert other.post(f"/api/v1/activities/{ready_video.id}/watch", json={"from": 0, "to": 1},
                      headers=auth(org.learner_b)).status_code == 404
    r = other.post(f"/api/v1/activities/{ready_video.id}/watch", json={"from": 0, "to": 1},
                   headers=auth(org.instructor))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_enrolled"


def test_video_not_ready_refuses_heartbeats(client, org, auth, video_course):
    activity = video_activity(video_course)
    r = client.post(f"/api/v1/activities/{activity.id}/watch", json={"from": 0, "to": 1}, headers=auth(org.learner_a1))
    assert r.status_code == 422 and "belum siap" in r.get_json()["error"]["message"]


def test_lowering_complete_at_percent_reevaluates(client, org, login, auth, beat, ready_video):
    from app.courses.activity_types import get_type

    login(org.learner_a1)
    open_player(client, ready_video, 30)
    assert beat(ready_video, 0, 30).get_json()["percent"] == 50.0
    assert get_type("video").meets_rule(ready_video, org.learner_a1) is False
    ready_video.settings = {**ready_video.settings, "complete_at_percent": 50}
    db.session.flush()
    assert get_type("video").meets_rule(ready_video, org.learner_a1) is True
    assert count(ActivityCompletion) == 0  # the course engine's recompute completes it, through its door


def test_record_watch_uses_wall_clock_of_the_server(app, org, ready_video):
    ops.open_player(org.learner_a1, ready_video)
    later = utcnow() + timedelta(seconds=15)
    r = ops.record_watch(org.learner_a1, ready_video, 0, 40, now=later)
    assert r["watched_seconds"] == 30  # 15 s of wall clock at 2x


def test_empty_heartbeat_opens_the_player_without_restarting_the_clock(client, org, auth, beat, ready_video):
    """The player (on any page that includes it) says it opened with an empty span."""
    r = beat(ready_video, 12, 12).get_json()
    assert r["watched_seconds"] == 0.0 and r["position"] == 12.0
    pass_time(ready_video, 10)
    beat(ready_video, 30, 30)  # position only: the ten seconds of clock stay available
    r = beat(ready_video, 12, 30).get_json()
    assert r["watched_seconds"] == 18.0


def test_a_ready_video_without_a_length_shows_its_page_and_refuses_heartbeats(client, org, login, beat, ready_video):
    """An asset marked ready whose length is unknown (0: a file made elsewhere, an old row) cannot
    be measured: its page opens all the same (no 422 on a page), the heartbeat says why."""
    asset = db.session.get(VideoAsset, ready_video.settings["asset_id"])
    asset.duration_tenths = 0
    db.session.commit()
    login(org.learner_a1)
    assert client.get(f"/media/aktivitas/{ready_video.id}").status_code == 200
    r = beat(ready_video, 0, 10)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "video_not_ready"
