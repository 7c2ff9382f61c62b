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


def test_kept_panels_show_the_persons_current_values(client, org, login):
    """The JP panel's drawing is kept per worker for the values it shows (app/layout.py's `samefor`;
    the gaps' list is drawn every time): a new ledger entry or a new assessment is on the very next
    page, never the kept HTML of the values before."""
    from app.accounts.models import Position, User
    from app.corpu import operations as corpu

    position = db.session.scalar(db.select(Position).where(Position.name == "Analis Kebijakan"))
    corpu.set_standard(position, corpu.get_competency("MJ-KOM"), 3)
    learner = org.learner_a1
    append_entry(learner, kind="course", title="Pelatihan", occurred_on=date.today(), jp=Decimal("2.5"),
                 category="classical", source_type="manual")
    db.session.commit()
    learner_id, position_id = learner.id, position.id
    login(learner)
    for _ in range(2):  # the second answer comes from the kept part
        few, page = page_statements(client, "/")
        assert 'data-total="2.50"' in page and "kurang 3" in page

    learner = db.session.get(User, learner_id)
    append_entry(learner, kind="course", title="Pelatihan 2", occurred_on=date.today(), jp=Decimal(1),
                 category="classical", source_type="manual")
    corpu.record_assessment(learner, corpu.get_competency("MJ-KOM"), 2, date.today(), "supervisor")
    position = db.session.get(Position, position_id)
    for code in ("MJ-MP", "TEK-LITDIG"):  # more gaps: still the same statements
        corpu.set_standard(position, corpu.get_competency(code), 4)
    db.session.commit()
    many, page = page_statements(client, "/")
    assert many == few, (few, many)
    assert 'data-total="3.50"' in page and 'data-total="2.50"' not in page
    assert "kurang 1" in page and "kurang 3" not in page
    assert "level 2 dari 3 yang dipersyaratkan" in page
    from flask_babel import refresh

    client.get("/lang/en")
    refresh()  # the tests share one app context: forget the locale found for the last request
    _n, page = page_statements(client, "/")  # the other language's own kept parts
    assert "My JP" in page and 'data-total="3.50"' in page and "1 short" in page


def test_notifications_panel_without_unread_sends_no_branch_and_shows_a_new_one(client, org, login):
    """None unread (counted with the person's own statement): the panel's branch is not sent; the
    next notification shows on the next page."""
    from app.accounts.models import User

    learner_id = org.learner_a1.id
    login(org.learner_a1)
    page_statements(client, "/")
    _n, page = page_statements(client, "/")
    assert "Notifikasi baru" not in page
    notify(db.session.get(User, learner_id), "<b>Rapat</b> besok")
    db.session.commit()
    _n, page = page_statements(client, "/")
    assert "Notifikasi baru (1)" in page and "&lt;b&gt;Rapat&lt;/b&gt; besok" in page


def test_the_driver_keeps_the_home_statement(client, org, login):
    """On PostgreSQL the home statement (every panel's branches) is far longer than the 4,096
    characters up to which psycopg keeps a statement's placeholder conversion; app/home.py raises
    that bound so it is not re-parsed on every request."""
    from sqlalchemy import event

    if db.engine.dialect.name != "postgresql":
        return
    from psycopg import _queries

    sent: list[str] = []

    def catch(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    login(org.learner_a1)
    event.listen(db.engine, "before_cursor_execute", catch)
    try:
        assert client.get("/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", catch)
    home = max(sent, key=len)
    assert "UNION ALL" in home
    assert len(home) <= _queries.MAX_CACHED_STATEMENT_LENGTH


def test_course_rows_follow_progress_and_stay_escaped(client, org, login):
    """A course's row on the home page (drawn every time: progress is the person's own) shows the
    next activity done at once, a renamed course too, and a title is escaped as before."""
    from app.accounts.models import User
    from app.courses.models import Activity, Course
    from app.courses.operations import complete_activity

    course = make_course(org.instructor, title="<i>Kursus</i> & \"kutip\"", activities=[
        {"type": "lesson", "title": "L1"}, {"type": "lesson", "title": "L2"}])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    learner_id, course_id = org.learner_a1.id, course.id
    first_id = course.sections[0].activities[0].id
    login(org.learner_a1)
    for _ in range(2):
        _n, page = page_statements(client, "/")
        assert 'aria-valuenow="0"' in page and "&lt;i&gt;Kursus&lt;/i&gt; &amp; &#34;kutip&#34;" in page
    complete_activity(db.session.get(User, learner_id), db.session.get(Activity, first_id))
    db.session.commit()
    _n, page = page_statements(client, "/")
    assert 'aria-valuenow="50"' in page and 'aria-valuenow="0"' not in page
    db.session.get(Course, course_id).title = "Kursus baru"
    db.session.commit()
    _n, page = page_statements(client, "/")
    assert "Kursus baru" in page and "kutip" not in page and 'aria-valuenow="50"' in page


def test_the_home_statement_is_one_flat_union_on_postgresql(client, org, login):
    """Every branch gives each column the same type (app.home._ColumnValue), so PostgreSQL plans
    the branches under one Append, with no projection nodes coercing one branch's VARCHAR(200) or
    NUMERIC(12,2) to another's: fewer nodes to set up at every execution. On SQLite the values are
    only declared, as before (the other tests here read them back on both)."""
    from sqlalchemy import event

    if db.engine.dialect.name != "postgresql":
        return
    _add_learning(org.instructor, org.learner_a1, 0)
    db.session.commit()
    sent: list[tuple[str, dict]] = []

    def catch(_conn, _cursor, statement, parameters, *_args) -> None:
        sent.append((statement, parameters))

    login(org.learner_a1)
    event.listen(db.engine, "before_cursor_execute", catch)
    try:
        assert client.get("/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", catch)
    statement, parameters = max(sent, key=lambda s: len(s[0]))
    assert statement.count("UNION ALL") >= 10
    with db.engine.connect() as conn:
        plan = [row[0].strip() for row in conn.exec_driver_sql("EXPLAIN (COSTS OFF) " + statement, parameters)]
    # a node's line is the plan's first or begins with "->"; the others are its details
    nodes = [plan[0]] + [line.removeprefix("->").strip() for line in plan[1:] if line.startswith("->")]
    assert sum(1 for n in nodes if n.startswith("Append")) == 1, plan
    assert not any(n.startswith("Result") for n in nodes), plan


def test_home_course_rows_are_my_courses_first_five(client, org, login):
    """The home panel picks its five courses before counting (app.courses.queries): the same
    courses, in the same order, with the same counts as "Kursus saya" limited to five — for a
    person with completed, half-done, untouched and recently opened courses, hidden and optional
    activities, and another person's progress in the same courses."""
    from app.courses.models import Enrolment
    from app.courses.operations import complete_activity
    from app.courses.queries import home_my_courses, home_my_courses_rows, my_courses
    from app.home import PanelRows, read_parts

    learner, other = org.learner_a1, org.learner_b
    courses = []
    for i in range(7):
        course = make_course(org.instructor, title=f"Kursus {i}", activities=[
            {"type": "lesson", "title": f"L{i}.{j}"} for j in range(1 + i % 4)]
            + [{"type": "lesson", "title": f"Pilihan {i}", "required": False}])
        enrol_all(course, learner, other)
        courses.append(course)
    courses[2].sections[0].activities[0].visible = False
    for i, course in enumerate(courses):
        acts = [a for a in course.sections[0].activities if a.required and a.visible]
        for a in acts[: i % 3]:
            complete_activity(learner, a)
        for a in course.sections[0].activities:
            complete_activity(other, a)
    for i, days in ((1, 3), (4, 1), (6, 2)):
        enrolment = Enrolment.query.filter_by(course_id=courses[i].id, user_id=learner.id).one()
        enrolment.last_access_at = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=days)
    db.session.commit()

    def seen(rows):
        return [(p.course.id, p.course.title, p.total, p.done, p.completed_at, p.percent) for p in rows]

    parts = read_parts(learner.id, [PanelRows(branches=(home_my_courses_rows(),))])
    expected = seen(my_courses(learner, limit=5))
    assert len(expected) == 5 and expected[-1][4] is not None and expected[0][0] == courses[1].id
    assert seen(home_my_courses(parts["courses.mine"])) == expected
