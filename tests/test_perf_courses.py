"""The learner's course pages and the video heartbeat are a fixed number of statements, whatever
the size of the data: more courses in the catalogue, more activities in a course, more completed
activities, more watched ranges (issue 23). Counts, never times."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.courses import operations as ops
from app.courses.models import Activity, Course
from app.extensions import db
from app.media.models import VideoAsset, WatchProgress
from tests.counting import statements
from tests.factories import enrol_all, make_course


def _lessons(n: int, prefix: str) -> list[dict]:
    return [{"type": "lesson", "title": f"{prefix}{i}", "body": f"<p>Isi {i}</p>"} for i in range(n)]


def test_catalogue_statements_do_not_grow_with_courses(client, org, login):
    for i in range(3):
        make_course(org.instructor, title=f"Awal {i}")
    db.session.commit()
    learner_id, instructor_id = org.learner_a1.id, org.instructor.id
    login(org.learner_a1)
    statements(client, "/katalog")  # warm: the worker keeps the cards under the catalogue's version
    few = statements(client, "/katalog")
    from app.accounts.models import User

    learner = db.session.get(User, learner_id)
    instructor = db.session.get(User, instructor_id)
    for i in range(20):
        c = make_course(instructor, title=f"Tambahan {i:02d}", activities=_lessons(2, "L"))
        if i % 3 == 0:
            enrol_all(c, learner)
    db.session.commit()
    page = client.get("/katalog")
    assert b"Tambahan 00" in page.data  # the author's change is on the next page
    many = statements(client, "/katalog")
    assert many == few, (few, many)
    assert few <= 3


def test_lesson_page_statements_do_not_grow_with_activities_or_progress(client, org, login):
    small = make_course(org.instructor, activities=_lessons(3, "S"))
    big = make_course(org.instructor, activities=_lessons(40, "B") + [
        {"type": "link", "title": "Tautan", "settings": {"url": "https://x.go.id"}}])
    enrol_all(small, org.learner_a1)
    enrol_all(big, org.learner_a1)
    for a in big.sections[0].activities[:25]:
        ops.complete_activity(org.learner_a1, a)
    db.session.commit()
    small_lesson = small.sections[0].activities[1].id
    big_lesson = big.sections[0].activities[30].id
    login(org.learner_a1)
    first = client.get(f"/aktivitas/{big_lesson}")  # the first view completes the lesson...
    assert b'id="activity-done"' in first.data  # ...and the page already says so
    client.get(f"/aktivitas/{small_lesson}")
    n_small = statements(client, f"/aktivitas/{small_lesson}")
    n_big = statements(client, f"/aktivitas/{big_lesson}")
    assert n_small == n_big, (n_small, n_big)
    assert n_big <= 3
    page = client.get(f"/aktivitas/{big_lesson}")
    assert b"B29" in page.data and b"B31" in page.data  # the neighbours, from the kept outline
    assert b'aria-valuenow="63"' in page.data  # 26 of 41 required activities done


def _ready_video(course) -> Activity:
    activity = next(a for s in course.sections for a in s.activities if a.type == "video")
    asset = VideoAsset(source_key="video/x/source.mp4", source_name="x.mp4", state="ready", duration_tenths=6000,
                       width=640, height=360, renditions=[{"name": "360p", "bandwidth": 900000}])
    db.session.add(asset)
    db.session.flush()
    activity.settings = {**(activity.settings or {}), "asset_id": asset.id}
    return activity


def test_video_page_and_heartbeat_statements_do_not_grow(client, org, login, auth):
    small = make_course(org.instructor, activities=[{"type": "video", "title": "Video kecil"}])
    big = make_course(org.instructor, activities=_lessons(30, "B") + [{"type": "video", "title": "Video besar"}])
    enrol_all(small, org.learner_a1)
    enrol_all(big, org.learner_a1)
    v_small, v_big = _ready_video(small), _ready_video(big)
    for a in big.sections[0].activities[:20]:
        ops.complete_activity(org.learner_a1, a)
    db.session.commit()
    v_small_id, v_big_id = v_small.id, v_big.id
    login(org.learner_a1)
    headers = auth(org.learner_a1)
    for vid in (v_small_id, v_big_id):
        client.get(f"/aktivitas/{vid}")
        assert client.post(f"/api/v1/activities/{vid}/watch", json={"from": 0, "to": 0},
                           headers=headers).status_code == 200  # the first heartbeat makes the row
    # Many watched ranges on the big course's video.
    row = db.session.scalar(select(WatchProgress).where(WatchProgress.activity_id == v_big_id))
    row.intervals = [[i * 100, i * 100 + 50] for i in range(50)]
    row.watched_tenths = 50 * 50
    row.clock_at = row.clock_at - timedelta(seconds=30)
    db.session.commit()

    n_small = statements(client, f"/aktivitas/{v_small_id}")
    n_big = statements(client, f"/aktivitas/{v_big_id}")
    assert n_small == n_big, (n_small, n_big)
    assert n_big <= 3
    assert b"41.6</strong>%" in client.get(f"/aktivitas/{v_big_id}").data  # 2500 of 6000 tenths

    beat_small = statements(client, f"/api/v1/activities/{v_small_id}/watch", "POST", json={"from": 0, "to": 0},
                             headers=headers)
    beat_big = statements(client, f"/api/v1/activities/{v_big_id}/watch", "POST", json={"from": 5, "to": 9},
                           headers=headers)
    assert beat_small == beat_big, (beat_small, beat_big)
    assert beat_big <= 4
    row = db.session.scalar(select(WatchProgress).where(WatchProgress.activity_id == v_big_id))
    db.session.refresh(row)
    assert row.intervals[0] == [0, 90] and len(row.intervals) == 50  # merged exactly, once
    assert row.watched_tenths == 2540




def test_the_kept_offline_card_follows_the_authors_change_and_the_readers_language(app, org, second_app):
    course = make_course(org.instructor, title="Judul Lama")
    enrol_all(course, org.learner_a1)
    db.session.commit()
    course_id, learner_id = course.id, org.learner_a1.id
    learner = second_app.test_client()
    assert learner.post("/masuk", data={"username": "learner_a1", "password": "rahasia123"}).status_code == 302
    for _ in range(2):  # rendered, then from the second worker's copy
        page = learner.get(f"/kursus/{course_id}").get_data(as_text=True)
        assert 'data-title="Judul Lama"' in page and "Belajar offline" in page
    assert second_app.extensions["lentera_cache"].hits > 0

    course = db.session.get(Course, course_id)
    course.title = "Judul <Baru>"  # the author's change, made through the first instance's session
    db.session.commit()
    page = learner.get(f"/kursus/{course_id}").get_data(as_text=True)
    assert 'data-title="Judul &lt;Baru&gt;"' in page and "Judul Lama" not in page  # escaped, and new

    from app.accounts.models import User

    db.session.get(User, learner_id).locale = "en"
    db.session.commit()
    page = learner.get(f"/kursus/{course_id}").get_data(as_text=True)
    assert "Offline learning" in page and "Belajar offline" not in page


def test_my_courses_rows_keep_their_escaping_and_progress(client, org, login):
    course = make_course(org.instructor, title='Etika <b>"ASN"</b> & {t}', activities=_lessons(4, "E"))
    enrol_all(course, org.learner_a1)
    ops.complete_activity(org.learner_a1, course.sections[0].activities[0])
    db.session.commit()
    login(org.learner_a1)
    page = client.get("/kursus-saya").get_data(as_text=True)
    assert ('aria-valuenow="25" aria-label="Kemajuan Etika &lt;b&gt;&#34;ASN&#34;&lt;/b&gt; &amp; {t}"' in page)
    assert "<b>" not in page and 'style="width: 25%"' in page and "1/4 aktivitas wajib" in page


def test_the_kept_catalogue_form_follows_codes_choices_and_searches(client, org, login):
    make_course(org.instructor, title="Awal", competencies=[("TEK-01", 2)])
    db.session.commit()
    instructor_id = org.instructor.id
    login(org.learner_a1)
    for _ in range(2):
        page = client.get("/katalog").get_data(as_text=True)
        assert '<option value="TEK-01" >TEK-01</option>' in page
    from app.accounts.models import User

    make_course(db.session.get(User, instructor_id), title="Baru", competencies=[("MNJ-02", 3)])
    db.session.commit()
    page = client.get("/katalog").get_data(as_text=True)
    assert 'value="MNJ-02"' in page  # a new code in the filter on the next page
    page = client.get("/katalog?competency=mnj-02&mode=online").get_data(as_text=True)
    assert '<option value="MNJ-02" selected>' in page and '<option value="online" selected>' in page
    page = client.get("/katalog").get_data(as_text=True)
    assert " selected>" not in page  # the unfiltered form is its own
    page = client.get('/katalog?q="><b>x').get_data(as_text=True)
    assert 'value="&#34;&gt;&lt;b&gt;x"' in page and "<b>x" not in page
