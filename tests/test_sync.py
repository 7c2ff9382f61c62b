"""Offline sync (issue 20): POST /api/v1/sync applies a device's events exactly once, in order,
through the usual rules (completion → course_completed → ledger → certificate); forged events are
refused with a reason and change nothing; late ones are applied and flagged for BPSDM."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.courses.models import ActivityCompletion, CourseCompletion
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.sync.models import SyncEvent
from tests.factories import enrol_all, make_course
from tests.quizzes_fixtures import make_quiz, right_responses


def iso(dt: datetime) -> str:
    return dt.replace(tzinfo=UTC).isoformat()


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def ev(type_: str, activity_id, at: datetime | None = None, **data) -> dict:
    return {"id": str(uuid.uuid4()), "type": type_, "activity_id": activity_id,
            "at": iso(at or now_utc() - timedelta(minutes=5)), "data": data}


def sync(client, headers, events, device="hp-1"):
    resp = client.post("/api/v1/sync", json={"device_id": device, "events": events}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def ledger_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.user_id == user.id))


def test_views_complete_the_course_and_credit_jp_once(app, client, org, auth):
    course = make_course(org.instructor, jp=3)
    enrol_all(course, org.learner_a1)
    db.session.commit()
    a1, a2 = course.sections[0].activities
    headers = auth(org.learner_a1)
    events = [ev("view", a1.id), ev("view", a2.id)]
    res = sync(client, headers, events)
    assert res["applied"] == [e["id"] for e in events] and res["duplicates"] == [] and res["refused"] == []
    done = db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == org.learner_a1.id))
    assert done is not None
    # dated by the device, when the learning happened
    assert abs((done.completed_at - (now_utc() - timedelta(minutes=5))).total_seconds()) < 60
    assert ledger_count(org.learner_a1) == 1
    # the same sync again (a retry after a cut connection) changes nothing
    again = sync(client, headers, events)
    assert again["applied"] == [] and again["duplicates"] == [e["id"] for e in events]
    assert ledger_count(org.learner_a1) == 1
    assert db.session.scalar(select(func.count()).select_from(SyncEvent)) == 2
    progress = client.get(f"/api/v1/courses/{course.id}/progress", headers=headers).get_json()
    assert progress["completed"] is True


def test_a_sync_cut_half_way_resumes(app, client, org, auth):
    course = make_course(org.instructor, jp=2, activities=[{"type": "lesson", "title": f"M{i}"} for i in range(4)])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    headers = auth(org.learner_a1)
    events = [ev("view", a.id) for a in course.sections[0].activities]
    first = sync(client, headers, events[:2])  # the answer to this one was lost: the device sends everything again
    assert len(first["applied"]) == 2
    rest = sync(client, headers, events)
    assert rest["duplicates"] == [e["id"] for e in events[:2]]
    assert rest["applied"] == [e["id"] for e in events[2:]]
    assert ledger_count(org.learner_a1) == 1


def test_not_enrolled_unknown_activity_future_and_bad_ids_are_refused(app, client, org, auth):
    course = make_course(org.instructor)
    enrol_all(course, org.learner_b)
    db.session.commit()
    a1 = course.sections[0].activities[0]
    headers = auth(org.learner_a1)
    events = [
        ev("view", a1.id),  # not enrolled
        ev("view", 987654),  # no such activity
        ev("view", a1.id, at=now_utc() + timedelta(hours=2)),  # the device's clock is in the future
        {"id": "x", "type": "view", "activity_id": a1.id, "at": iso(now_utc())},  # id too short
        {"id": str(uuid.uuid4()), "type": "teleport", "activity_id": a1.id, "at": iso(now_utc())},
        {"id": str(uuid.uuid4()), "type": "view", "activity_id": a1.id, "at": "kemarin"},
        "bukan objek",
    ]
    res = sync(client, headers, events)
    assert res["applied"] == []
    codes = [r["code"] for r in res["refused"]]
    assert codes == ["not_enrolled", "unknown_activity", "future_time", "invalid_id", "unknown_type", "invalid_time",
                     "invalid_event"]
    assert all(r["message"] for r in res["refused"])
    assert db.session.scalar(select(func.count()).select_from(ActivityCompletion)) == 0
    assert db.session.scalar(select(func.count()).select_from(SyncEvent)) == 0


def test_bad_requests_get_a_clear_4xx(app, client, org, auth):
    headers = auth(org.learner_a1)
    assert client.post("/api/v1/sync", json={"events": []}).status_code == 401
    bad = client.post("/api/v1/sync", data="{", headers={**headers, "Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_json"
    assert client.post("/api/v1/sync", json={"events": "x"}, headers=headers).status_code == 400
    many = client.post("/api/v1/sync", json={"events": [{}] * 201}, headers=headers)
    assert many.status_code == 400 and many.get_json()["error"]["code"] == "too_many_events"


def test_offline_quiz_answers_and_submit_complete_the_quiz(app, client, org, auth):
    quiz, questions = make_quiz(org.instructor, org.learner_a1)
    headers = auth(org.learner_a1)
    staff = auth(org.instructor)
    activity_id = quiz.activity_id
    # not allowed offline yet: answers are refused
    attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers).get_json()
    rights = right_responses(questions, attempt)  # with the ids the stored attempt page shows
    qid = attempt["questions"][0]["id"]
    res = sync(client, headers, [ev("answer", activity_id, attempt_id=attempt["id"], question_id=qid,
                                    response=rights[qid])])
    assert res["refused"][0]["code"] == "quiz_not_offline"
    assert client.put(f"/api/v1/activities/{activity_id}/offline", json={"allowed": True},
                      headers=headers).status_code == 403
    assert client.put(f"/api/v1/activities/{activity_id}/offline", json={"allowed": True},
                      headers=staff).get_json() == {"activity_id": activity_id, "allowed": True}
    t0 = now_utc() - timedelta(minutes=1)
    events = [ev("answer", activity_id, at=t0 + timedelta(seconds=i), attempt_id=attempt["id"], question_id=q["id"],
                 response=rights[q["id"]]) for i, q in enumerate(attempt["questions"])]
    events.append(ev("submit", activity_id, at=t0 + timedelta(seconds=30), attempt_id=attempt["id"]))
    res = sync(client, headers, events)
    assert res["refused"] == [] and len(res["applied"]) == len(events)
    assert db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == org.learner_a1.id))
    assert ledger_count(org.learner_a1) == 1
    # submitted: a replayed answer is a duplicate, a new one is refused with the reason
    again = sync(client, headers, events[:1] + [ev("answer", activity_id, attempt_id=attempt["id"], question_id=qid,
                                                   response=rights[qid])])
    assert again["duplicates"] == [events[0]["id"]] and again["refused"][0]["code"] == "attempt_closed"


def test_forged_quiz_events_are_refused(app, client, org, auth):
    quiz, questions = make_quiz(org.instructor, org.learner_a1, org.learner_b)
    other_course = make_course(org.instructor)
    enrol_all(other_course, org.learner_a1)
    db.session.commit()
    staff = auth(org.instructor)
    client.put(f"/api/v1/activities/{quiz.activity_id}/offline", json={"allowed": True}, headers=staff)
    theirs = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=auth(org.learner_b)).get_json()
    mine = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=auth(org.learner_a1)).get_json()
    qid = mine["questions"][0]["id"]
    headers = auth(org.learner_a1)
    res = sync(client, headers, [
        ev("answer", quiz.activity_id, attempt_id=theirs["id"], question_id=qid, response="x"),  # another person's
        ev("submit", quiz.activity_id, attempt_id=theirs["id"]),
        ev("answer", other_course.sections[0].activities[0].id, attempt_id=mine["id"], question_id=qid, response="x"),
        ev("answer", quiz.activity_id, at=now_utc() - timedelta(days=3), attempt_id=mine["id"], question_id=qid,
           response="x"),  # before the attempt began
        ev("answer", quiz.activity_id, attempt_id=mine["id"], question_id=987654, response="x"),
    ])
    assert [r["code"] for r in res["refused"]] == ["not_own_attempt", "not_own_attempt", "not_quiz", "before_attempt",
                                                   "not_found"]
    assert res["applied"] == []
    assert ledger_count(org.learner_a1) == 0


def test_a_time_limited_quiz_cannot_be_taken_offline(app, client, org, auth):
    from app.quizzes import operations as quiz_ops

    quiz, _q = make_quiz(org.instructor, org.learner_a1, time_limit_minutes=20)
    resp = client.put(f"/api/v1/activities/{quiz.activity_id}/offline", json={"allowed": True},
                      headers=auth(org.instructor))
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "time_limited"
    # allowed first, then given a time limit: the limit wins
    free, questions = make_quiz(org.instructor, org.learner_a1)
    client.put(f"/api/v1/activities/{free.activity_id}/offline", json={"allowed": True}, headers=auth(org.instructor))
    attempt = client.post(f"/api/v1/quizzes/{free.id}/attempts", headers=auth(org.learner_a1)).get_json()
    quiz_ops.update_quiz(free, time_limit_minutes=10)
    db.session.commit()
    qid = attempt["questions"][0]["id"]
    res = sync(client, auth(org.learner_a1), [ev("answer", free.activity_id, attempt_id=attempt["id"],
                                                 question_id=qid, response="x")])
    assert res["refused"][0]["code"] == "quiz_not_offline"
    package = client.get(f"/api/v1/courses/{free.course_id}/offline-package", headers=auth(org.learner_a1)).get_json()
    assert [p["offline_allowed"] for p in package["pages"] if p["type"] == "quiz"] == [False]


def test_late_events_are_applied_and_flagged_for_bpsdm(app, client, org, auth, login):
    course = make_course(org.instructor, jp=2, activities=[{"type": "lesson", "title": "Materi lama"}])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    last_year = datetime(now_utc().year - 1, 12, 20, 3, 0)
    res = sync(client, auth(org.learner_a1), [ev("view", course.sections[0].activities[0].id, at=last_year)])
    assert len(res["applied"]) == 1 and res["late"] == res["applied"]
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.user_id == org.learner_a1.id))
    assert entry.occurred_on.year == last_year.year  # counted in the year it was learned…
    row = db.session.scalar(select(SyncEvent))
    assert row.late and str(last_year.year) in row.late_reason  # …and shown to BPSDM
    login(org.bpsdm_a)
    page = client.get("/bpsdm/sinkronisasi-terlambat").get_data(as_text=True)
    assert org.learner_a1.name in page and "Tandai sudah ditinjau" in page
    client.post(f"/bpsdm/sinkronisasi-terlambat/{row.id}/tinjau")
    db.session.expire_all()
    assert db.session.get(SyncEvent, row.id).reviewed_at is not None
    # a BPSDM officer of another unit does not see it
    client.post("/keluar")
    assert client.get("/bpsdm/sinkronisasi-terlambat").status_code == 302


def _ready_video(org, video_course, videos):
    from app.jobs.operations import run_pending
    from app.media import operations as media_ops
    from tests.media_fixtures import video_activity

    activity = video_activity(video_course)
    media_ops.attach_source(activity, videos.small, "kecil.mp4", by=org.instructor)
    db.session.commit()
    run_pending(kinds=["transcode"])
    db.session.expire_all()
    return activity


def test_watched_spans_offline_count_only_what_the_device_clock_allows(app, client, org, auth, video_course, videos):
    from app.media.models import WatchProgress

    activity = _ready_video(org, video_course, videos)
    headers = auth(org.learner_a1)
    t = now_utc() - timedelta(minutes=10)
    too_fast = ev("watch", activity.id, at=t + timedelta(seconds=1), **{"from": 0, "to": 3, "started_at": iso(t)})
    ok = ev("watch", activity.id, at=t + timedelta(seconds=62),
            **{"from": 0, "to": 1.5, "started_at": iso(t + timedelta(seconds=60))})
    overlapping = ev("watch", activity.id, at=t + timedelta(seconds=63),
                     **{"from": 1.5, "to": 2, "started_at": iso(t + timedelta(seconds=61))})
    rest = ev("watch", activity.id, at=t + timedelta(seconds=70),
              **{"from": 1.5, "to": 3, "started_at": iso(t + timedelta(seconds=65)), "position": 3})
    res = sync(client, headers, [too_fast, ok, overlapping, rest])
    assert [r["code"] for r in res["refused"]] == ["span_exceeds_elapsed", "spans_not_sequential"]
    assert res["applied"] == [ok["id"], rest["id"]]
    row = db.session.scalar(select(WatchProgress).where(WatchProgress.user_id == org.learner_a1.id))
    assert row.watched_tenths == 30 and row.position_tenths == 30
    done = db.session.scalar(select(ActivityCompletion).where(ActivityCompletion.user_id == org.learner_a1.id))
    assert done is not None and done.source == "watch"
    assert abs((done.completed_at - (t + timedelta(seconds=70))).total_seconds()) < 1  # the device's time


def test_offline_package_lists_pages_and_files_with_size_and_hash(app, client, org, auth, video_course, videos):
    import hashlib

    from app.courses import operations as cops
    from app.storage import get_storage

    activity = _ready_video(org, video_course, videos)
    section = video_course.sections[0]
    doc = cops.add_activity(section, "file", "Panduan")
    cops.store_activity_file(doc, "panduan.pdf", b"%PDF-1.4 panduan offline")
    db.session.commit()
    headers = auth(org.learner_a1)
    low = client.get(f"/api/v1/courses/{video_course.id}/offline-package", headers=headers).get_json()
    audio = client.get(f"/api/v1/courses/{video_course.id}/offline-package?video=audio", headers=headers).get_json()
    assert low["bytes"] == sum(f["bytes"] for f in low["files"]) > 0
    video_files = [f for f in low["files"] if f["kind"] == "video"]
    assert video_files[0]["url"].endswith("/video/hls/240p/index.m3u8") and len(video_files) >= 2
    assert all("/hls/audio/" in f["url"] for f in audio["files"] if f["kind"] == "video")
    # every file is there, with the size and hash the device will check
    for f in low["files"]:
        got = client.get(f.get("fetch_url") or f["url"], headers=headers)
        assert got.status_code == 200, f
        assert len(got.data) == f["bytes"] and hashlib.sha256(got.data).hexdigest() == f["sha256"]
    stored = next(f for f in low["files"] if f["kind"] == "file")
    assert stored["url"] == f"/aktivitas/{doc.id}/berkas" and stored["sha256"] == hashlib.sha256(
        get_storage().read_bytes(doc.file_key)).hexdigest()
    # storing the file did not mark it as read
    assert db.session.scalar(select(ActivityCompletion).where(ActivityCompletion.activity_id == doc.id)) is None
    assert {p["url"] for p in low["pages"]} >= {f"/kursus/{video_course.id}", f"/aktivitas/{activity.id}",
                                                 f"/aktivitas/{doc.id}"}
    # only for the enrolled
    assert client.get(f"/api/v1/courses/{video_course.id}/offline-package",
                      headers=auth(org.learner_b)).status_code in (403, 404)
    assert client.get(f"/api/v1/courses/{video_course.id}/offline-package?video=4k",
                      headers=headers).status_code == 400


def test_offline_package_from_s3_is_fetched_as_stored(app, client, org, auth, video_course, videos, s3_endpoint,
                                                      monkeypatch):
    """With the files in a bucket, the player's playlists carry signed bucket URLs; a device
    downloads the same files as stored (relative segment names, bytes through the app), so that
    they match the package's hash and play from the device under the player's own addresses."""
    import hashlib

    from app.storage import get_storage

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "uji")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "rahasia-uji")
    monkeypatch.setitem(app.config, "LENTERA_STORAGE", "s3")
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setitem(app.config, "S3_BUCKET", f"lentera-{uuid.uuid4().hex[:12]}")
    app.extensions.pop("lentera_storage", None)
    try:
        import io

        from PIL import Image

        from app.courses import operations as cops

        activity = _ready_video(org, video_course, videos)
        assert get_storage().kind == "s3"
        picture = io.BytesIO()
        Image.new("RGB", (20, 10), "#1f4e79").save(picture, "PNG")
        picture.seek(0)
        name = cops.store_course_image(video_course, picture)
        lesson = cops.add_activity(video_course.sections[0], "lesson", "Bergambar")
        lesson.body = f'<p><img src="/kursus/{video_course.id}/gambar/{name}" alt="x"></p>'
        doc = cops.add_activity(video_course.sections[0], "file", "Panduan")
        cops.store_activity_file(doc, "panduan.pdf", b"%PDF-1.4 panduan dari bucket")
        db.session.commit()
        headers = auth(org.learner_a1)
        package = client.get(f"/api/v1/courses/{video_course.id}/offline-package", headers=headers).get_json()
        # files and pictures too come through the app (a redirect to the bucket would need its CORS rules)
        for f in (f for f in package["files"] if f["kind"] in ("file", "image")):
            got = client.get(f["fetch_url"], headers=headers)
            assert got.status_code == 200 and hashlib.sha256(got.data).hexdigest() == f["sha256"], f
            assert client.get(f["fetch_url"], headers=auth(org.learner_b)).status_code == 404
        assert {f["kind"] for f in package["files"]} == {"video", "file", "image"}
        video_files = [f for f in package["files"] if f["kind"] == "video"]
        assert len(video_files) >= 2
        playlist = video_files[0]
        assert playlist["url"] == f"/media/aktivitas/{activity.id}/video/hls/240p/index.m3u8"
        assert "X-Amz-Signature" in client.get(playlist["url"], headers=headers).get_data(as_text=True)  # online
        for f in video_files:
            got = client.get(f["fetch_url"], headers=headers)
            assert got.status_code == 200, f  # no redirect to the bucket
            assert len(got.data) == f["bytes"] and hashlib.sha256(got.data).hexdigest() == f["sha256"]
        stored = client.get(playlist["fetch_url"], headers=headers).get_data(as_text=True)
        names = [line for line in stored.splitlines() if line and not line.startswith("#")]
        assert names and all(n.startswith("seg_") and n.endswith(".ts") for n in names)  # beside the playlist's url
        # the same access check as the player: not enrolled, no file; a name outside the video, no file
        assert client.get(playlist["fetch_url"], headers=auth(org.learner_b)).status_code == 404
        assert client.get(f"/offline/video/{activity.id}/hls/../../../secret", headers=headers).status_code == 404
    finally:
        app.extensions.pop("lentera_storage", None)


def test_sync_settings_are_read_from_the_environment_and_a_bad_value_stops_the_start(tmp_path, monkeypatch):
    import pytest

    from app import create_app
    from app.config import ConfigError, load_config
    from tests.conftest import base_config

    for name, value in [("LENTERA_SYNC_LATE_DAYS", "7"), ("LENTERA_SYNC_CLOCK_SKEW_SECONDS", "0"),
                        ("LENTERA_SYNC_MAX_EVENTS", "3"), ("LENTERA_SYNC_INTERVAL_SECONDS", "30"),
                        ("LENTERA_OFFLINE_PAGE_TIMEOUT_SECONDS", "10"), ("LENTERA_OFFLINE_ASSET_CACHE_ENTRIES", "40")]:
        monkeypatch.setenv(name, value)
    cfg = load_config()
    assert (cfg["SYNC_LATE_DAYS"], cfg["SYNC_CLOCK_SKEW_SECONDS"], cfg["SYNC_MAX_EVENTS"], cfg["SYNC_INTERVAL_SECONDS"],
            cfg["OFFLINE_PAGE_TIMEOUT_SECONDS"], cfg["OFFLINE_ASSET_CACHE_ENTRIES"]) == (7, 0, 3, 30, 10, 40)
    for name, bad in [("LENTERA_SYNC_LATE_DAYS", "tiga puluh"), ("LENTERA_SYNC_CLOCK_SKEW_SECONDS", "-5"),
                      ("LENTERA_SYNC_MAX_EVENTS", "0"), ("LENTERA_SYNC_INTERVAL_SECONDS", "1"),
                      ("LENTERA_OFFLINE_PAGE_TIMEOUT_SECONDS", "1.5"), ("LENTERA_OFFLINE_ASSET_CACHE_ENTRIES", "99999")]:
        with monkeypatch.context() as mp:
            mp.setenv(name, bad)
            with pytest.raises(ConfigError, match=name):
                create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}"))


def test_sync_settings_change_the_rules(app, client, org, auth, monkeypatch):
    monkeypatch.setitem(app.config, "SYNC_LATE_DAYS", 7)
    monkeypatch.setitem(app.config, "SYNC_CLOCK_SKEW_SECONDS", 0)
    monkeypatch.setitem(app.config, "SYNC_MAX_EVENTS", 3)
    monkeypatch.setitem(app.config, "SYNC_INTERVAL_SECONDS", 45)
    course = make_course(org.instructor, jp=2, activities=[{"type": "lesson", "title": f"M{i}"} for i in range(4)])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    a = course.sections[0].activities
    headers = auth(org.learner_a1)
    many = client.post("/api/v1/sync", json={"events": [ev("view", x.id) for x in a]}, headers=headers)
    assert many.status_code == 400 and many.get_json()["error"]["code"] == "too_many_events"
    assert "3" in many.get_json()["error"]["message"]
    now = now_utc()
    if now.timetuple().tm_yday > 10:  # ten days ago is still this year: late only by the setting
        res = sync(client, headers, [ev("view", a[0].id, at=now - timedelta(days=10)),
                                     ev("view", a[1].id, at=now - timedelta(days=2))])
        assert len(res["applied"]) == 2 and res["late"] == res["applied"][:1]
    future = sync(client, headers, [ev("view", a[2].id, at=now + timedelta(seconds=90))])
    assert [r["code"] for r in future["refused"]] == ["future_time"]  # no slack for the device's clock
    # pages tell the device how many events to send at once and how often
    page = client.get("/masuk").get_data(as_text=True)
    assert 'data-sync-chunk="3"' in page and 'data-sync-every="45"' in page
