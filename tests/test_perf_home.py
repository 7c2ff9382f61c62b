"""The home page's statements do not grow with the person's data (issue 23): every panel a learner
sees is read in one statement with the signed-in person's own, however many courses, enrolments,
calendar items, notifications, ledger entries or certificates there are; the calendar page reads
all its sources in one statement too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from app.corpu.models import ProgramCompletion
from app.corpu.operations import save_program
from app.extensions import db
from app.ledger.operations import append_entry
from app.notifications.operations import notify
from app.quizzes.operations import get_or_create_quiz, update_quiz
from tests.counting import page_statements
from tests.factories import enrol_all, make_course


def _add_learning(instructor, learner, i: int) -> None:
    """One more course for `learner` with a classroom session and a quiz closing in the coming
    days, a notification, a ledger entry, a certificate and a program whose certification expires."""
    from app.certificates.operations import issue

    soon = datetime.now(UTC) + timedelta(days=1 + i % 10)
    course = make_course(instructor, title=f"Kursus {i}", activities=[
        {"type": "classroom", "title": f"Kelas {i}",
         "settings": {"minutes": 60, "date": (soon + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M")}},
        {"type": "quiz", "title": f"Kuis {i}"},
    ])
    update_quiz(get_or_create_quiz(course.sections[0].activities[1]),
                close_at=(soon + timedelta(hours=2)).replace(tzinfo=None, second=0, microsecond=0))
    enrol_all(course, learner)
    notify(learner, f"Pemberitahuan {i}")
    append_entry(learner, kind="course", title=f"Pelatihan {i}", occurred_on=date.today(), jp=Decimal(2),
                 category="classical", source_type="manual")
    issue(learner, source="manual", ref=f"home-{i}", title=f"Sertifikat {i}", jp=Decimal(2))
    program = save_program(code=f"PRG-{i}", title=f"Program {i}", validity_years=2, course_ids=[course.id])
    db.session.add(ProgramCompletion(program_id=program.id, user_id=learner.id, completed_on=date(2024, 1, 1),
                                     expires_on=(soon + timedelta(days=2)).date()))
    db.session.flush()


def test_home_and_calendar_statements_do_not_grow_with_the_persons_data(client, org, login):
    learner = org.learner_a1
    _add_learning(org.instructor, learner, 0)
    db.session.commit()
    learner_id, instructor_id = learner.id, org.instructor.id
    login(learner)
    page_statements(client, "/")  # warm up: the statements are built once per process
    page_statements(client, "/kalender")
    few, page = page_statements(client, "/")
    few_calendar, _page = page_statements(client, "/kalender")
    assert "Kelas 0" in page and "Pemberitahuan 0" in page and "Sertifikat 0" in page

    from app.accounts.models import User

    learner, instructor = db.session.get(User, learner_id), db.session.get(User, instructor_id)
    for i in range(1, 9):
        _add_learning(instructor, learner, i)
    db.session.commit()
    many, page = page_statements(client, "/")
    many_calendar, calendar = page_statements(client, "/kalender")
    # the panels show more (five notifications, five calendar items, three certificates) …
    def card(marker: str) -> str:
        part = page[page.index(marker):]
        return part[:part.index("</section>")]

    # (issuing a certificate sends a notification too)
    assert "Notifikasi baru (18)" in page and card("Notifikasi baru").count("<li>") == 5
    assert card('id="coming-up"').count("<li") == 5
    assert card('id="latest-certificates"').count("<li>") == 3
    assert card('id="panel-my-courses"').count('class="home-course"') == 5
    assert all(f"Kelas {i}" in calendar for i in range(9))
    # … from as many statements as before: the person's own and the panels'
    assert many == few, (few, many)
    assert many <= 4
    assert many_calendar == few_calendar, (few_calendar, many_calendar)


def test_instructor_home_statements_do_not_grow_with_courses_taught(client, org, login):
    for i in range(2):
        enrol_all(make_course(org.instructor, title=f"Ajar {i}"), org.learner_a1, org.learner_b)
    db.session.commit()
    learner_id, instructor_id = org.learner_a1.id, org.instructor.id
    login(org.instructor)
    page_statements(client, "/")
    few, page = page_statements(client, "/")
    assert "Ajar 1" in page

    from app.accounts.models import User

    learner, instructor = db.session.get(User, learner_id), db.session.get(User, instructor_id)
    for i in range(2, 9):
        enrol_all(make_course(instructor, title=f"Ajar {i}"), learner)
    db.session.commit()
    many, _page = page_statements(client, "/")
    assert many == few, (few, many)
