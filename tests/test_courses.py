"""The course engine: completion per activity type, course completion, signals exactly once
(also under concurrency on PostgreSQL), recompute after changes, authoring, enrolment, scoping,
the learner pages and the course page's query count."""

from __future__ import annotations

import ast
import io
import threading
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.courses import operations as ops
from app.courses import queries as q
from app.courses.activity_types import REGISTRY, ActivityType, register
from app.courses.models import Activity, ActivityCompletion, Course, CourseCompletion, Enrolment, Section
from app.errors import Conflict, RuleViolation
from app.extensions import db
from tests.conftest import count
from tests.counting import statements
from tests.courses_fixtures import SignalRecorder
from tests.factories import enrol_all, make_course

FOUR_TYPES = [
    {"type": "lesson", "title": "Materi"},
    {"type": "file", "title": "Panduan"},
    {"type": "link", "title": "Tautan", "settings": {"url": "https://example.go.id/"}},
    {"type": "classroom", "title": "Tatap muka", "settings": {"minutes": 90, "date": "2026-12-01T09:00", "place": "Aula"}},
]


def _acts(course: Course) -> dict[str, Activity]:
    return {a.type: a for s in course.sections for a in s.activities}


def _with_file(course: Course) -> None:
    ops.store_activity_file(_acts(course)["file"], "panduan.txt", b"isi panduan")
    db.session.commit()


# --- completion per activity type ------------------------------------------------------------------

def test_each_activity_type_completes_by_its_rule_and_then_the_course(client, org, login):
    course = make_course(org.instructor, activities=FOUR_TYPES)
    enrol_all(course, org.learner_a1)
    _with_file(course)
    acts = _acts(course)
    login(org.learner_a1)
    with SignalRecorder() as rec:
        assert client.get(f"/aktivitas/{acts['lesson'].id}").status_code == 200      # lesson: opened
        # Opening the file's page does not complete it; downloading does.
        client.get(f"/aktivitas/{acts['file'].id}")
        assert (org.learner_a1.id, acts["file"].id) not in rec.activities
        resp = client.get(f"/aktivitas/{acts['file'].id}/berkas")
        assert resp.status_code == 200 and resp.data == b"isi panduan"
        resp = client.get(f"/aktivitas/{acts['link'].id}/buka")                      # link: followed
        assert resp.status_code == 302 and resp.headers["Location"] == "https://example.go.id/"
        # A classroom session is not completed by the learner opening it.
        client.get(f"/aktivitas/{acts['classroom'].id}")
        assert count(CourseCompletion) == 0
        assert sorted(a for _u, a in rec.activities) == sorted([acts["lesson"].id, acts["file"].id, acts["link"].id])
    client.post("/keluar")
    login(org.instructor)
    with SignalRecorder() as rec:
        page = client.get(f"/aktivitas/{acts['classroom'].id}/kehadiran")
        assert "Learner A1" in page.get_data(as_text=True)
        resp = client.post(f"/aktivitas/{acts['classroom'].id}/kehadiran", data={"user_id": [str(org.learner_a1.id)]})
        assert resp.status_code == 302
        assert rec.courses == [(org.learner_a1.id, course.id)]
    row = db.session.scalar(select(ActivityCompletion).where(ActivityCompletion.activity_id == acts["classroom"].id))
    assert row.source == "attendance" and row.recorded_by_id == org.instructor.id


def test_attendance_in_bulk_by_nip_list(client, org, login):
    course = make_course(org.instructor, activities=[FOUR_TYPES[3]])
    enrol_all(course, org.learner_a1, org.learner_b)
    db.session.commit()
    login(org.instructor)
    aid = _acts(course)["classroom"].id
    client.post(f"/aktivitas/{aid}/kehadiran", data={"nips": f"{org.learner_a1.nip}\n{org.learner_b.nip}\n199901012020011999"})
    assert count(CourseCompletion) == 2


def test_optional_and_hidden_activities_do_not_block_completion(org):
    course = make_course(org.instructor, activities=[
        {"type": "lesson", "title": "Wajib"}, {"type": "lesson", "title": "Opsional", "required": False},
        {"type": "lesson", "title": "Tersembunyi"}])
    acts = course.sections[0].activities
    acts[2].visible = False
    enrol_all(course, org.learner_a1)
    with SignalRecorder() as rec:
        assert ops.record_view(org.learner_a1, acts[0]) is True
        assert rec.courses == [(org.learner_a1.id, course.id)]


def test_views_of_a_quiz_or_unknown_type_do_not_complete_it(org):
    course = make_course(org.instructor, activities=[{"type": "lesson", "title": "A"}, {"type": "quiz", "title": "Kuis"}])
    enrol_all(course, org.learner_a1)
    quiz = course.sections[0].activities[1]
    with pytest.raises(RuleViolation):
        ops.record_view(org.learner_a1, quiz)
    ops.record_view(org.learner_a1, course.sections[0].activities[0])
    assert count(CourseCompletion) == 0  # the quiz still has to be passed


def test_not_enrolled_cannot_complete(org):
    course = make_course(org.instructor)
    with pytest.raises(RuleViolation):
        ops.record_view(org.learner_a1, course.sections[0].activities[0])


# --- signals exactly once ------------------------------------------------------------------------

def test_course_completed_is_sent_once_per_user_and_course(org):
    course = make_course(org.instructor)
    enrol_all(course, org.learner_a1, org.learner_b)
    a, b = course.sections[0].activities
    with SignalRecorder() as rec:
        for _ in range(3):
            ops.record_view(org.learner_a1, a)
            ops.record_view(org.learner_a1, b)
        ops.record_view(org.learner_b, a)
        ops.record_view(org.learner_b, b)
        ops.recompute_completions(course)
        ops.check_course_completion(org.learner_a1, course)
    assert sorted(rec.courses) == sorted([(org.learner_a1.id, course.id), (org.learner_b.id, course.id)])
    assert len(rec.activities) == 4


def _concurrently(app, fns):
    """Run each fn in its own thread with its own app context (own session, own connection),
    released together; each commits after a pause so that the transactions overlap."""
    barrier = threading.Barrier(len(fns))
    errors: list[BaseException] = []

    def run(fn):
        with app.app_context():
            try:
                barrier.wait()
                fn()
                time.sleep(0.3)
                db.session.commit()
            except BaseException as exc:  # reported by the test
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def test_concurrent_completions_send_course_completed_exactly_once(app, org, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers itself; the race needs a server with row locks")
    course = make_course(org.instructor, activities=[{"type": "lesson", "title": f"M{i}"} for i in range(3)])
    enrol_all(course, org.learner_a1)
    ids = [a.id for a in course.sections[0].activities]
    user_id, course_id = org.learner_a1.id, course.id
    ops.record_view(org.learner_a1, course.sections[0].activities[0])
    db.session.commit()

    # complete_activity directly (as a quiz or attendance does): no other write serialises the two
    def view(activity_id):
        def fn():
            from app.accounts.models import User
            ops.complete_activity(db.session.get(User, user_id), db.session.get(Activity, activity_id), source="quiz")
        return fn

    with SignalRecorder() as rec:
        # The two remaining activities at the same moment: each alone is the last one.
        errors = _concurrently(app, [view(ids[1]), view(ids[2])])
        assert not errors, errors
        assert rec.courses == [(user_id, course_id)]
    # The same activity from four requests at once: one completion, no second course signal.
    course2 = make_course(org.instructor, activities=[{"type": "lesson", "title": "Satu"}])
    enrol_all(course2, org.learner_b)
    db.session.commit()
    only, learner_b = course2.sections[0].activities[0].id, org.learner_b.id

    def view_b():
        from app.accounts.models import User
        ops.complete_activity(db.session.get(User, learner_b), db.session.get(Activity, only), source="quiz")

    with SignalRecorder() as rec:
        errors = _concurrently(app, [view_b] * 4)
        assert not errors, errors
        assert rec.courses == [(learner_b, course2.id)]
        assert rec.activities == [(learner_b, only)]
    db.session.expire_all()
    assert count(CourseCompletion) == 2


# --- recompute ----------------------------------------------------------------------------------

def test_recompute_never_undoes_and_completes_when_a_blocker_is_hidden(org):
    course = make_course(org.instructor)
    enrol_all(course, org.learner_a1, org.learner_b)
    a, b = course.sections[0].activities
    ops.record_view(org.learner_a1, a)
    ops.record_view(org.learner_a1, b)
    ops.record_view(org.learner_b, a)
    assert count(CourseCompletion) == 1
    with SignalRecorder() as rec:
        new = ops.add_activity(course.sections[0], "lesson", "Materi tambahan")
        assert count(CourseCompletion) == 1  # learner_a1 keeps the completion already granted
        ops.update_activity(new, visible=False)
        assert rec.courses == []  # learner_b still misses b
        ops.update_activity(b, required=False)
        assert rec.courses == [(org.learner_b.id, course.id)]
    assert count(CourseCompletion) == 2


def test_recompute_asks_the_types_meets_rule_hook(org):
    passed: set[int] = set()
    register(ActivityType("probe", "Probe", completion="quiz", meets_rule=lambda a, u: u.id in passed))
    try:
        course = make_course(org.instructor, activities=[{"type": "probe", "title": "Ujian"}])
        enrol_all(course, org.learner_a1, org.learner_b)
        ops.recompute_completions(course)
        assert count(CourseCompletion) == 0
        passed.add(org.learner_a1.id)  # e.g. the pass mark was lowered
        with SignalRecorder() as rec:
            result = ops.recompute_completions(course)
        assert rec.courses == [(org.learner_a1.id, course.id)]
        assert result == {"activities": 1, "courses": 1}
        row = db.session.scalar(select(ActivityCompletion))
        assert row.source == "recompute"
    finally:
        REGISTRY.pop("probe")


def test_course_engine_imports_nothing_from_other_domains():
    # File storage (app.storage) is infrastructure every domain uses; the second wave's activity
    # types reach the engine only through the registry.
    forbidden = ("app.ledger", "app.corpu", "app.certificates", "app.quizzes", "app.media", "app.monitoring",
                 "app.assignments", "app.grades", "app.forums", "app.coaching", "app.live", "app.evaluation",
                 "app.sync", "app.scorm", "app.xapi", "app.badges")
    root = Path(__file__).resolve().parent.parent / "app"
    files = list((root / "courses").glob("*.py")) + [root / "api" / "courses.py"]
    bad = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [n.name for n in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{n.name}" for n in node.names]
            for name in names:
                if name.startswith(forbidden):
                    bad.append(f"{path.name}: {name}")
    assert files and not bad, bad


# --- authoring --------------------------------------------------------------------------------------

def test_instructor_builds_a_course_in_the_browser(client, org, login):
    login(org.instructor)
    resp = client.post("/mengajar/kursus/baru", data={
        "title": "Keamanan Informasi", "summary": "Ringkas", "jp": "2,5", "mode": "online", "competency_lines": "TEK-LITDIG:2",
        "organiser": "BPSDM", "training_type": "teknis", "self_enrol": "y", "certificate": "y", "published": "y"})
    assert resp.status_code == 302
    course = db.session.scalar(select(Course).where(Course.title == "Keamanan Informasi"))
    assert str(course.jp) == "2.50" and course.owner_id == org.instructor.id
    assert [(c.code, c.level) for c in course.competencies] == [("TEK-LITDIG", 2)]
    client.post(f"/mengajar/kursus/{course.id}/bagian", data={"title": "Bagian A"})
    client.post(f"/mengajar/kursus/{course.id}/bagian", data={"title": "Bagian B"})
    sec_a, sec_b = sorted(course.sections, key=lambda s: s.position)
    client.post(f"/mengajar/bagian/{sec_a.id}/aktivitas/baru", data={
        "type": "lesson", "title": "Materi 1", "required": "y", "visible": "y",
        "body": '<p onclick="x()">Halo <script>alert(1)</script><a href="javascript:alert(1)">x</a><strong>tebal</strong></p>'})
    client.post(f"/mengajar/bagian/{sec_a.id}/aktivitas/baru", data={
        "type": "classroom", "title": "Sesi", "date": "2026-12-01T09:00", "place": "Aula", "minutes": "120",
        "required": "y", "visible": "y"})
    client.post(f"/mengajar/bagian/{sec_a.id}/aktivitas/baru", data={
        "type": "file", "title": "Berkas", "required": "y", "visible": "y",
        "file": (io.BytesIO(b"PDF isi"), "panduan.pdf")}, content_type="multipart/form-data")
    db.session.expire_all()
    lesson, session_, file_ = sorted(sec_a.activities, key=lambda a: a.position)
    assert "script" not in lesson.body and "onclick" not in lesson.body and "javascript" not in lesson.body
    assert "<strong>tebal</strong>" in lesson.body
    assert session_.settings == {"date": "2026-12-01T09:00", "place": "Aula", "minutes": 120}
    from app.storage import get_storage
    assert get_storage().read_bytes(file_.file_key) == b"PDF isi"
    # reorder, hide, show
    client.post(f"/mengajar/aktivitas/{file_.id}/naik")
    client.post(f"/mengajar/bagian/{sec_b.id}/naik")
    client.post(f"/mengajar/aktivitas/{lesson.id}/sembunyikan")
    db.session.expire_all()
    assert [a.title for a in sorted(sec_a.activities, key=lambda a: a.position)] == ["Materi 1", "Berkas", "Sesi"]
    assert sec_b.position == 0 and sec_a.position == 1 and lesson.visible is False
    # the learner preview leaves hidden things out; the editor view shows them
    assert "Materi 1" not in client.get(f"/kursus/{course.id}?pratinjau=1").get_data(as_text=True)
    assert "Materi 1" in client.get(f"/kursus/{course.id}").get_data(as_text=True)
    client.post(f"/mengajar/aktivitas/{lesson.id}/tampilkan")
    db.session.expire_all()
    assert lesson.visible is True
    # an unknown competency or a bad JP value is refused with a message
    resp = client.post(f"/mengajar/kursus/{course.id}", data={"title": "X", "jp": "dua", "mode": "online"})
    assert "JP harus berupa angka" in resp.get_data(as_text=True)


def test_duplicate_copies_sections_activities_and_calls_the_types_hook(org):
    calls = []
    register(ActivityType("probe", "Probe", completion="quiz", duplicate=lambda a, b: calls.append((a.id, b.id))))
    try:
        course = make_course(org.instructor, activities=FOUR_TYPES + [{"type": "probe", "title": "Kuis"}],
                             competencies=[("TEK-LITDIG", 2)])
        _with_file(course)
        enrol_all(course, org.learner_a1)
        copy = ops.duplicate_course(course, org.instructor)
        assert copy.id != course.id and not copy.published and copy.code != course.code
        assert [a.title for s in copy.sections for a in s.activities] == [a.title for s in course.sections for a in s.activities]
        src_file, new_file = _acts(course)["file"], _acts(copy)["file"]
        assert new_file.file_key != src_file.file_key
        from app.storage import get_storage
        assert get_storage().read_bytes(new_file.file_key) == b"isi panduan"
        assert calls == [(_acts(course)["probe"].id, _acts(copy)["probe"].id)]
        assert [c.code for c in copy.competencies] == ["TEK-LITDIG"]
        assert db.session.scalar(select(Enrolment).where(Enrolment.course_id == copy.id)) is None
    finally:
        REGISTRY.pop("probe")


def test_instructor_edits_only_their_courses(client, org, login):
    from app.accounts import operations as aops
    other = aops.create_user("instruktur2", password="rahasia123", roles=["instructor"])
    theirs = make_course(other, title="Kursus Orang Lain")
    mine = make_course(org.instructor, title="Kursus Saya")
    db.session.commit()
    login(org.instructor)
    assert client.get(f"/mengajar/kursus/{mine.id}").status_code == 200
    assert client.get(f"/mengajar/kursus/{theirs.id}").status_code == 403
    assert client.post(f"/mengajar/kursus/{theirs.id}/bagian", data={"title": "X"}).status_code == 403
    sec = theirs.sections[0]
    assert client.post(f"/mengajar/bagian/{sec.id}/hapus").status_code == 403
    assert client.post(f"/mengajar/aktivitas/{sec.activities[0].id}/sembunyikan").status_code == 403
    assert client.get(f"/mengajar/kursus/{theirs.id}/ekspor").status_code == 403
    teach = client.get("/mengajar").get_data(as_text=True)
    assert "Kursus Saya" in teach and "Kursus Orang Lain" not in teach
    # the owner makes them a co-instructor through the edit page: then they may edit
    client.post("/keluar")
    login(other)
    client.post(f"/mengajar/kursus/{theirs.id}/instruktur", data={"username": "instructor"})
    client.post("/keluar")
    login(org.instructor)
    assert client.get(f"/mengajar/kursus/{theirs.id}").status_code == 200
    assert "Kursus Orang Lain" in client.get("/mengajar").get_data(as_text=True)


def test_learners_see_published_courses_only(client, org, login):
    draft = make_course(org.instructor, title="Draf Rahasia")
    draft.published = False
    public = make_course(org.instructor, title="Kursus Terbuka")
    db.session.commit()
    login(org.learner_a1)
    cat = client.get("/katalog").get_data(as_text=True)
    assert "Kursus Terbuka" in cat and "Draf Rahasia" not in cat
    assert client.get(f"/kursus/{draft.id}").status_code == 404
    assert client.post(f"/kursus/{draft.id}/daftar").status_code == 404
    assert client.get(f"/kursus/{public.id}").status_code == 200
    assert client.get(f"/mengajar/kursus/{public.id}").status_code == 403
    assert client.get(f"/kursus/{public.id}/peserta").status_code == 403
    # not enrolled: the activity is closed
    assert client.get(f"/aktivitas/{public.sections[0].activities[0].id}").status_code == 403
    client.post("/keluar")
    login(org.admin)
    assert "Draf Rahasia" in client.get("/katalog").get_data(as_text=True)


def test_catalogue_filters(client, org, login):
    make_course(org.instructor, title="Literasi Digital", jp=4, competencies=[("TEK-LITDIG", 2)])
    make_course(org.instructor, title="Pelayanan Publik", jp=2, mode="classroom", competencies=[("MJ-PP", 3)])
    make_course(org.instructor, title="Keuangan Daerah", jp=8, mode="blended", competencies=[("TEK-KEUDA", 2)])
    db.session.commit()
    login(org.learner_a1)

    def titles(**params):
        html = client.get("/katalog", query_string=params).get_data(as_text=True)
        return {t for t in ("Literasi Digital", "Pelayanan Publik", "Keuangan Daerah") if t in html}

    assert titles() == {"Literasi Digital", "Pelayanan Publik", "Keuangan Daerah"}
    assert titles(q="literasi") == {"Literasi Digital"}
    assert titles(competency="MJ-PP") == {"Pelayanan Publik"}
    assert titles(mode="blended") == {"Keuangan Daerah"}
    assert titles(jp_min="3", jp_max="5") == {"Literasi Digital"}


def test_self_enrolment_my_courses_progress_and_resume(client, org, login):
    open_ = make_course(org.instructor, title="Terbuka", activities=[{"type": "lesson", "title": f"M{i}"} for i in range(4)])
    closed = make_course(org.instructor, title="Tertutup", self_enrol=False)
    db.session.commit()
    login(org.learner_a1)
    assert client.post(f"/kursus/{closed.id}/daftar").status_code == 302
    assert q.enrolment_of(org.learner_a1, closed.id) is None
    client.post(f"/kursus/{open_.id}/daftar")
    assert q.enrolment_of(org.learner_a1, open_.id) is not None
    acts = open_.sections[0].activities
    assert client.get(f"/kursus/{open_.id}/lanjutkan").headers["Location"].endswith(f"/aktivitas/{acts[0].id}")
    client.get(f"/aktivitas/{acts[0].id}")
    page = client.get("/kursus-saya").get_data(as_text=True)
    assert 'aria-valuenow="25"' in page and "Terbuka" in page
    # the course page marks what is done and what is next
    course_page = client.get(f"/kursus/{open_.id}").get_data(as_text=True)
    assert "selesai" in course_page and "berikutnya" in course_page
    client.get(f"/aktivitas/{acts[2].id}")  # skipped ahead
    assert client.get(f"/kursus/{open_.id}/lanjutkan").headers["Location"].endswith(f"/aktivitas/{acts[1].id}")
    home = client.get("/").get_data(as_text=True)
    assert "Kursus saya" in home and 'aria-valuenow="50"' in home


# --- staff: enrolment and participants ------------------------------------------------------------------

def test_staff_enrol_by_nip_unit_and_position_within_reach(client, org, login):
    course = make_course(org.instructor)
    db.session.commit()
    login(org.bpsdm_a)
    # outside bpsdm_a's reach (unit B): refused
    client.post(f"/kursus/{course.id}/peserta", data={"by": "nip", "n-nip": org.learner_b.nip})
    assert q.enrolment_of(org.learner_b, course.id) is None
    client.post(f"/kursus/{course.id}/peserta", data={"by": "nip", "n-nip": org.learner_a1.nip})
    assert q.enrolment_of(org.learner_a1, course.id) is not None
    # twice: a clear message, no second row
    resp = client.post(f"/kursus/{course.id}/peserta", data={"by": "nip", "n-nip": org.learner_a1.nip}, follow_redirects=True)
    assert "sudah terdaftar" in resp.get_data(as_text=True)
    # by unit: A's subtree only; B cannot even be chosen
    client.post(f"/kursus/{course.id}/peserta", data={"by": "unit", "u-unit_id": str(org.b.id)})
    assert q.enrolment_of(org.learner_b, course.id) is None
    client.post(f"/kursus/{course.id}/peserta", data={"by": "unit", "u-unit_id": str(org.a.id)})
    enrolled = set(db.session.scalars(select(Enrolment.user_id).where(Enrolment.course_id == course.id)))
    assert {org.learner_a1.id, org.head_a.id, org.instructor.id, org.bpsdm_a.id} <= enrolled
    assert org.learner_b.id not in enrolled
    # by position: everyone is "Analis Kebijakan", but bpsdm_a reaches only unit A
    client.post(f"/kursus/{course.id}/peserta", data={"by": "position", "p-position_id": str(org.learner_b.position_id)})
    assert q.enrolment_of(org.learner_b, course.id) is None
    # the admin enrols learner_b by position
    client.post("/keluar")
    login(org.admin)
    client.post(f"/kursus/{course.id}/peserta", data={"by": "position", "p-position_id": str(org.learner_b.position_id)})
    assert q.enrolment_of(org.learner_b, course.id) is not None


def test_participants_page_and_xlsx_are_scoped(client, org, login):
    course = make_course(org.instructor)
    enrol_all(course, org.learner_a1, org.learner_b)
    ops.record_view(org.learner_a1, course.sections[0].activities[0])
    db.session.commit()
    login(org.bpsdm_a)
    page = client.get(f"/kursus/{course.id}/peserta").get_data(as_text=True)
    assert "Learner A1" in page and "Learner B" not in page
    wb = load_workbook(io.BytesIO(client.get(f"/kursus/{course.id}/peserta.xlsx").data))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "NIP" and len(rows) == 2
    assert rows[1][0] == org.learner_a1.nip and rows[1][7] == 50
    client.post("/keluar")
    login(org.instructor)  # the course's instructor sees every participant
    wb = load_workbook(io.BytesIO(client.get(f"/kursus/{course.id}/peserta.xlsx").data))
    assert len(list(wb.active.iter_rows(values_only=True))) == 3


def test_enrol_twice_is_a_conflict(org):
    course = make_course(org.instructor)
    ops.enrol(course, org.learner_a1)
    with pytest.raises(Conflict):
        ops.enrol(course, org.learner_a1)


# --- performance shape ----------------------------------------------------------------------------------

def test_course_page_query_count_does_not_grow_with_activities(client, org, login):
    small = make_course(org.instructor, activities=[{"type": "lesson", "title": f"A{i}"} for i in range(5)])
    big = make_course(org.instructor, activities=[{"type": t, "title": f"B{i}", "settings":
                                                   {"url": "https://x.go.id"} if t == "link" else {}}
                                                  for i, t in enumerate(["lesson", "link", "file", "quiz"] * 10)])
    extra = Section(course=big, title="Bagian 2", position=1)
    db.session.add(extra)
    enrol_all(small, org.learner_a1)
    enrol_all(big, org.learner_a1)
    for a in small.sections[0].activities[:3] + big.sections[0].activities[:20:2]:
        ops.complete_activity(org.learner_a1, a)
    db.session.commit()
    small_id, big_id, learner_id, instructor_id = small.id, big.id, org.learner_a1.id, org.instructor.id
    login(org.learner_a1)
    statements(client, f"/kursus/{small_id}")  # warm up (and each course's structure kept by the worker)
    statements(client, f"/kursus/{big_id}")
    n_small = statements(client, f"/kursus/{small_id}")
    n_big = statements(client, f"/kursus/{big_id}")
    assert n_small == n_big, (n_small, n_big)
    assert n_small <= 8
    # "Kursus saya" neither grows with the number of courses
    n_my_2 = statements(client, "/kursus-saya")
    from app.accounts.models import User
    learner, instructor = db.session.get(User, learner_id), db.session.get(User, instructor_id)
    for i in range(6):
        enrol_all(make_course(instructor, title=f"Tambahan {i}"), learner)
    db.session.commit()
    assert statements(client, "/kursus-saya") == n_my_2
