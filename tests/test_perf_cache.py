"""The course structure kept by each worker (app/cache.py) is never stale: an author's change made
through one application instance is shown by another on its next request, because every change
replaces the course's content version in the author's own transaction. Per-person progress is
read every time."""

from __future__ import annotations

from flask import g
from sqlalchemy import event, select

from app.courses import operations as ops
from app.courses.models import Activity, Course, CourseCompetency, Section
from app.extensions import db
from tests.factories import enrol_all, make_course


def _version(course_id: int) -> int:
    return db.session.scalar(select(Course.content_version).where(Course.id == course_id))




def _get(client, url: str) -> tuple[str, int]:
    """The page and the number of SQL statements it took (on whichever app the client serves)."""
    n = {"count": 0}

    def counter(*_a, **_k):
        n["count"] += 1

    app = client.application
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        resp = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True), n["count"]


def test_an_authors_change_in_one_worker_shows_in_the_other_on_the_next_request(app, client, org, second_app):
    course = make_course(org.instructor, activities=[{"type": "lesson", "title": "Materi Pembuka"},
                                                     {"type": "lesson", "title": "Materi Kedua"}])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    course_id, first_id = course.id, course.sections[0].activities[0].id
    learner = second_app.test_client()
    assert learner.post("/masuk", data={"username": "learner_a1", "password": "rahasia123"}).status_code == 302

    page, cold = _get(learner, f"/kursus/{course_id}")
    assert "Materi Pembuka" in page and "Materi Kedua" in page
    page, warm = _get(learner, f"/kursus/{course_id}")
    assert warm < cold  # the second worker now serves the structure from its own copy
    cache = second_app.extensions["lentera_cache"]
    hits = cache.hits

    # The instructor works through the first instance (its pages, its session).
    assert client.post("/masuk", data={"username": "instructor", "password": "rahasia123"}).status_code == 302
    assert client.post(f"/mengajar/aktivitas/{first_id}/sembunyikan").status_code == 302
    page, _n = _get(learner, f"/kursus/{course_id}")
    assert "Materi Pembuka" not in page and "Materi Kedua" in page

    assert client.post(f"/mengajar/kursus/{course_id}/bagian", data={"title": "Bagian Lanjutan"}).status_code == 302
    page, _n = _get(learner, f"/kursus/{course_id}")
    assert "Bagian Lanjutan" in page

    second_id = db.session.scalar(select(Activity.id).where(Activity.course_id == course_id, Activity.title == "Materi Kedua"))
    assert client.post(f"/mengajar/aktivitas/{second_id}", data={
        "title": "Materi Kedua (revisi)", "body": "<p>Isi</p>", "required": "y", "visible": "y"}).status_code == 302
    page, _n = _get(learner, f"/aktivitas/{second_id}")
    assert "Materi Kedua (revisi)" in page
    page, _n = _get(learner, f"/kursus/{course_id}")
    assert "Materi Kedua (revisi)" in page
    assert cache.hits >= hits  # and it went on serving from its copy between changes
    page, again = _get(learner, f"/kursus/{course_id}")
    assert again == warm and cache.hits > hits


def test_every_structural_change_gives_the_course_a_new_version_and_progress_none(app, org):
    course = make_course(org.instructor, activities=[{"type": "lesson", "title": "A"},
                                                     {"type": "lesson", "title": "B"}])
    other = make_course(org.instructor, title="Lain")
    enrol_all(course, org.learner_a1)
    db.session.commit()
    seen = {_version(course.id)}
    other_version = _version(other.id)
    a, b = course.sections[0].activities

    def changed() -> bool:
        db.session.commit()
        v = _version(course.id)
        fresh = v not in seen
        seen.add(v)
        return fresh

    # a learner's progress is not structure
    ops.complete_activity(org.learner_a1, a)
    assert not changed()
    ops.update_activity(a, title="A baru")
    assert changed()
    ops.move_activity(b, -1)
    assert changed()
    section = ops.add_section(course, "Bagian 2")
    assert changed()
    ops.set_section_visible(section, False)
    assert changed()
    ops.add_activity(section, "lesson", "C")
    assert changed()
    ops.delete_activity(b)
    assert changed()
    ops.update_course(course, title="Judul baru")
    assert changed()
    course.competencies.append(CourseCompetency(code="TEK-UJI", level=2))  # shown on every course card
    assert changed()
    ops.delete_section(section)
    assert changed()
    assert _version(other.id) == other_version  # a course nobody touched keeps its version


def test_a_version_is_read_fresh_within_the_authors_own_request(app, org):
    course = make_course(org.instructor)
    db.session.commit()
    before = course.content_version
    ops.update_activity(course.sections[0].activities[0], title="Baru")
    db.session.flush()
    assert course.content_version != before  # the session's copy of the course was told


def test_the_kept_structure_is_the_applications_own(app, org, second_app):
    from app.courses.queries import course_structure

    course = make_course(org.instructor)
    db.session.commit()
    g.pop("_login_user", None)
    sections, activities = course_structure(course)
    assert [s.title for s in sections] == ["Bagian 1"] and [a.title for a in activities] == ["Materi 1", "Materi 2"]
    assert app.extensions["lentera_cache"] is not second_app.extensions["lentera_cache"]
    db.session.add(Section(course_id=course.id, position=5, title="Bagian Baru"))
    db.session.commit()
    sections, _acts = course_structure(db.session.get(Course, course.id))
    assert [s.title for s in sections] == ["Bagian 1", "Bagian Baru"]


def test_the_header_badge_read_with_the_person_is_never_behind(app, client, org, login):
    """The unread count comes with the signed-in person's own statement; anything the request
    writes (a notification marked read, a new one) sends the badge back to the database."""
    import re
    from datetime import timedelta

    from app.accounts.models import LoginSession, User, utcnow
    from app.accounts.operations import _session_hash, user_for_session
    from app.notifications import operations as note_ops
    from app.notifications.queries import unread_count

    learner_id = org.learner_a1.id
    for i in range(2):
        note_ops.notify(org.learner_a1, f"Kabar {i}")
    db.session.commit()
    login(org.learner_a1)

    def badge() -> str | None:
        page = client.get("/kursus-saya").get_data(as_text=True)
        found = re.search(r'<span class="count"[^>]*>(\d+)</span>', page)
        return found.group(1) if found else None

    assert badge() == "2"
    note_ops.notify(learner_id, "Kabar baru")  # through another request, another worker
    db.session.commit()
    assert badge() == "3"
    assert client.post("/notifikasi/baca-semua").status_code == 302
    assert badge() is None

    # Within one request: the value read with the person, until the session writes.
    note_id = note_ops.notify(learner_id, "Satu lagi").id
    db.session.commit()
    with app.test_request_context("/"):
        db.session.remove()
        key = "kunci-uji"
        learner = db.session.get(User, learner_id)
        db.session.add(LoginSession(user_id=learner.id, key_hash=_session_hash(key),
                                    expires_at=utcnow() + timedelta(hours=1)))
        db.session.commit()
        user = user_for_session(learner.id, learner.session_version or 0, key)
        assert user.session_extras[1]["unread_notifications"] == 1
        assert unread_count(user) == 1
        note_ops.mark_read(user, note_id)
        assert unread_count(user) == 0  # the flush made the kept value stale
        note_ops.notify(user, "Belum tersimpan")  # pending, not even flushed yet
        assert unread_count(user) == 1
