"""Every learner page runs a fixed number of SQL statements, whatever the number of courses,
activities, questions or ledger entries (issue 23): a page that grew a query per row would be
fast in a demo and slow with a real province's data. And the catalogue, kept per worker, is never
stale: a change to a course's card made through one instance is seen by another on its next request."""

from __future__ import annotations

from datetime import datetime

from app.courses import operations as course_ops
from app.courses.models import CourseCompetency
from app.extensions import db
from tests.counting import statements
from tests.factories import enrol_all, make_course

MIXED = "::q{n}::Pertanyaan {n}?{{=Benar ~Salah}}\n\n"


def _steady(client, url: str) -> int:
    """The statements of a page once every worker-kept value is there (the second visit)."""
    statements(client, url)
    return statements(client, url)


def _lessons(n: int, prefix: str) -> list[dict]:
    return [{"type": "lesson", "title": f"{prefix} {i}"} for i in range(n)]


def test_course_and_activity_pages_do_not_grow_with_activities(client, org, login):
    small = make_course(org.instructor, activities=_lessons(3, "Kecil"))
    big = make_course(org.instructor, activities=_lessons(40, "Besar"))
    enrol_all(small, org.learner_a1)
    enrol_all(big, org.learner_a1)
    for a in big.sections[0].activities[:25]:
        course_ops.complete_activity(org.learner_a1, a)
    db.session.commit()
    urls = {"small": (f"/kursus/{small.id}", f"/aktivitas/{small.sections[0].activities[1].id}"),
            "big": (f"/kursus/{big.id}", f"/aktivitas/{big.sections[0].activities[30].id}")}
    login(org.learner_a1)
    counts = {size: [_steady(client, url) for url in pair] for size, pair in urls.items()}
    assert counts["small"] == counts["big"], counts
    course_page, lesson_page = counts["small"]
    # session user, course, enrolment, completions, badge
    assert course_page <= 5, course_page
    # user, activity+enrolment+completion, outline enrolment and completions, badge
    assert lesson_page <= 6, lesson_page


def _user(user_id: int):
    from app.accounts.models import User

    return db.session.get(User, user_id)


def test_home_catalogue_and_my_courses_do_not_grow_with_courses(client, org, login):
    instructor_id, learner_id = org.instructor.id, org.learner_a1.id

    def add_courses(n: int, start: int) -> None:
        for i in range(start, start + n):
            c = make_course(_user(instructor_id), title=f"Kursus {i:02d}", competencies=[])
            c.competencies.append(CourseCompetency(code=f"TEK-{i:02d}", level=2))
            enrol_all(c, _user(learner_id))
        db.session.commit()

    add_courses(2, 0)
    login(org.learner_a1)
    pages = ["/", "/katalog", "/kursus-saya", "/katalog?mode=online"]
    few = [_steady(client, url) for url in pages]
    add_courses(20, 2)
    many = [_steady(client, url) for url in pages]
    assert few == many, (few, many)


def test_quiz_attempt_page_does_not_grow_with_questions(client, org, login):
    from app.quizzes import operations as quiz_ops
    from tests.quizzes_fixtures import make_quiz

    few_quiz, _q = make_quiz(org.instructor, org.learner_a1, gift="".join(MIXED.format(n=i) for i in range(3)))
    many_quiz, _q = make_quiz(org.instructor, org.learner_a1, gift="".join(MIXED.format(n=i) for i in range(30)))
    few = quiz_ops.start_attempt(few_quiz, org.learner_a1)
    many = quiz_ops.start_attempt(many_quiz, org.learner_a1)
    db.session.commit()
    few_url, many_url = f"/percobaan/{few.id}", f"/percobaan/{many.id}"
    login(org.learner_a1)
    assert _steady(client, few_url) == _steady(client, many_url)


def test_jp_page_does_not_grow_with_entries(client, org, login):
    from app.ledger import operations as ledger_ops

    instructor_id, learner_id = org.instructor.id, org.learner_a1.id

    def credit(n: int, start: int) -> None:
        for i in range(start, start + n):
            course = make_course(_user(instructor_id), title=f"Diklat {i}", jp=2)
            ledger_ops.credit_course(_user(learner_id), course, datetime(2026, 3, 1 + i % 27, 8, 0))
        db.session.commit()

    credit(1, 0)
    login(org.learner_a1)
    few = _steady(client, "/jp")
    credit(12, 1)
    assert _steady(client, "/jp") == few




def test_a_card_changed_in_one_worker_shows_in_the_others_catalogue(app, client, org, second_app):
    course = make_course(org.instructor, title="Etika Birokrasi")
    other = make_course(org.instructor, title="Tata Naskah")
    enrol_all(other, org.learner_a1)
    db.session.commit()
    learner = second_app.test_client()
    assert learner.post("/masuk", data={"username": "learner_a1", "password": "rahasia123"}).status_code == 302
    page = learner.get("/katalog").get_data(as_text=True)
    assert "Etika Birokrasi" in page and "Tata Naskah" in page
    cache = second_app.extensions["lentera_cache"]
    hits = cache.hits
    page = learner.get("/katalog").get_data(as_text=True)
    assert cache.hits > hits  # kept by the second worker
    assert page.count("Anda terdaftar") == 1  # the person's own enrolments are read every time

    assert client.post("/masuk", data={"username": "instructor", "password": "rahasia123"}).status_code == 302
    course_ops.update_course(course, title="Etika Birokrasi Modern")
    db.session.commit()
    page = learner.get("/katalog").get_data(as_text=True)
    assert "Etika Birokrasi Modern" in page

    course_ops.update_course(course, published=False)
    db.session.commit()
    assert "Etika Birokrasi" not in learner.get("/katalog").get_data(as_text=True)

    make_course(org.instructor, title="Kursus Baru Terbit")
    db.session.commit()
    assert "Kursus Baru Terbit" in learner.get("/katalog").get_data(as_text=True)

    other.competencies.append(CourseCompetency(code="MAN-UJI", level=3))
    db.session.commit()
    page = learner.get("/katalog").get_data(as_text=True)
    assert "MAN-UJI · level 3" in page and 'value="MAN-UJI"' in page

    enrol_all(db.session.merge(course), org.learner_b)  # someone else's enrolment changes no card
    db.session.commit()
    page = learner.get("/katalog").get_data(as_text=True)
    assert page.count("Anda terdaftar") == 1
