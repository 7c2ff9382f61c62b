"""The course page (/kursus/<id>) and "JP saya" (/jp) after issue 23's fourth round.

The course page's sections and activities are written by app/courses/render.py from pieces kept per
worker under the course's content version: the HTML is the former template loop's (held to it
here case by case), an author's change made through another worker is shown on the next request,
the reader's progress (done, next) is never kept, and the statements do not grow with the course.
"JP saya" keeps its headings and labels per language (and year): a page in one language never
shows another's. Counts and markup, never times."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from flask import g
from markupsafe import Markup
from sqlalchemy import select

from app.courses import operations as ops
from app.courses.models import Activity, Section
from app.courses.queries import Outline
from app.courses.render import outline_html
from app.extensions import db
from tests.counting import statements
from tests.factories import enrol_all, make_course

# templates/courses/course.html's loop before app/courses/render.py wrote it (the reference)
# (its two `set` lines joined: their newlines stay in the page's template)
_FORMER_LOOP = """{% set next_act = outline.next_activity if outline.enrolment else None %}\
{% set t_done = _('selesai') %}{% for section, acts in outline.sections %}
<section class="card" id="bagian-{{ section.id }}">
  <h2>{{ section.title }}{% if not section.visible %} <span class="badge badge-warn">{{ _('tersembunyi') }}</span>{% endif %}</h2>
  {% if section.summary %}<div class="prose">{{ section.summary|safe }}</div>{% endif %}
  <ol class="activity-list">
  {% for a in acts %}
    {% set done = outline.completed.get(a.id) %}
    <li class="activity-item{% if done %} is-done{% endif %}" id="aktivitas-{{ a.id }}">
      <span class="badge">{{ activity_labels.get(a.type, a.type) }}</span>
      {% if outline.enrolment or editor %}<a href="{{ url_for('courses.activity', activity_id=a.id) }}">{{ a.title }}</a>\
{% else %}{{ a.title }}{% endif %}
      {% if done %}<span class="badge badge-ok">✓ {{ t_done }}</span>
      {% elif next_act and next_act.id == a.id %}<span class="badge badge-warn">{{ _('berikutnya') }}</span>{% endif %}
      {% if not a.required %}<span class="muted">({{ _('opsional') }})</span>{% endif %}
      {% if not a.visible %}<span class="badge badge-warn">{{ _('tersembunyi') }}</span>{% endif %}
      {% if a.type == 'classroom' and a.settings.get('date') %}<span class="muted">· \
{{ a.settings.get('date')|replace('T', ' ') }}{% if a.settings.get('place') %}, \
{{ a.settings.get('place') }}{% endif %}</span>{% endif %}
    </li>
  {% else %}
    <li class="muted">{{ _('Belum ada aktivitas.') }}</li>
  {% endfor %}
  </ol>
</section>
{% endfor %}"""

_version = iter(range(1, 10_000))


def _page(client, url: str) -> str:
    """The page, in the language its request chooses: the test client shares the test's app
    context, where Flask-Babel and Flask-Login would keep the first request's locale and person."""
    for name in ("_flask_babel", "_lentera_translations", "_login_user"):
        g.pop(name, None)
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    return resp.get_data(as_text=True)


def _outline(*, hidden: bool, enrolled: bool, done: dict[int, datetime | None]) -> Outline:
    def sec(id_, title, visible=True, summary=""):
        return SimpleNamespace(id=id_, title=title, visible=visible, summary=summary)

    def act(id_, type_, title, *, visible=True, required=True, settings=None):
        return SimpleNamespace(id=id_, section_id=0, type=type_, title=title, visible=visible, required=required,
                               settings=settings or {})

    sections = [
        (sec(1, 'Pengantar <b>"&\'', summary="<p>Ringkas <em>sekali</em></p>"),
         [act(11, "lesson", "Materi <script>alert(1)</script>"), act(12, "quiz", "Kuis & latihan", required=False),
          act(13, "classroom", 'Tatap "muka"', settings={"date": "2026-05-01T09:00", "place": "Aula <A> & B"}),
          act(14, "classroom", "Tanpa tanggal", settings={"place": "Aula"}),
          act(15, "not-a-registered-type", "Jenis <x>")]),
        (sec(2, "Kosong"), []),
    ]
    if hidden:
        sections.insert(1, (sec(3, "Tersembunyi", visible=False), [act(31, "link", "Tautan", visible=False)]))
        sections[0][1].append(act(16, "file", "Berkas tersembunyi", visible=False))
    enrolment = SimpleNamespace(id=1, last_activity_id=None, completed_at=None) if enrolled else None
    course = SimpleNamespace(id=next(_version) + 1000, content_version=1)
    return Outline(course=course, sections=sections, completed=done, enrolment=enrolment, course_completed_at=None,
                   staff_view=hidden)


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(("hidden", "enrolled", "editor", "done"), [
    (False, True, False, {}),  # a learner who has done nothing: the first activity is next
    (False, True, False, {11: datetime(2026, 1, 2, tzinfo=UTC), 13: datetime(2026, 1, 3, tzinfo=UTC)}),
    (False, False, False, {}),  # not enrolled: titles, no links, no "next"
    (True, False, True, {}),  # the editor: hidden parts shown, linked
    (True, True, True, {11: datetime(2026, 1, 2, tzinfo=UTC), 12: None}),  # a time not read counts as not done
])
def test_the_outline_is_the_former_templates_markup(app, lang, hidden, enrolled, editor, done):
    from app.courses.views import _labels_here

    with app.test_request_context(f"/kursus/1?lang={lang}"):
        outline = _outline(hidden=hidden, enrolled=enrolled, done=done)
        labels = _labels_here()["activity_labels"]
        expected = app.jinja_env.from_string(_FORMER_LOOP).render(outline=outline, editor=editor,
                                                                  activity_labels=labels)
        html = outline_html(outline, editor, labels)
        assert isinstance(html, Markup)
        assert html == expected
        assert outline_html(outline, editor, labels) == expected  # and again from the worker's copy
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert ("Tersembunyi" in html) is hidden
    assert ("/aktivitas/11" in html) is (enrolled or editor)


def _big_course(org, n_sections: int, per_section: int):
    course = make_course(org.instructor, activities=[{"type": "lesson", "title": f"A{i}"} for i in range(per_section)])
    for s in range(1, n_sections):
        section = Section(course=course, position=s, title=f"Bagian {s + 1}", summary="<p>Ringkasan</p>")
        for i in range(per_section):
            section.activities.append(Activity(course=course, position=i, type="classroom" if i % 3 else "quiz",
                                               title=f"S{s}A{i}", body="", settings={"date": "2026-01-02T08:00"},
                                               required=bool(i % 2)))
        db.session.add(section)
    db.session.flush()
    return course


def test_course_page_statements_do_not_grow_with_sections_activities_or_progress(client, org, login):
    small = make_course(org.instructor, activities=[{"type": "lesson", "title": "Satu"}])
    big = _big_course(org, 8, 12)
    enrol_all(small, org.learner_a1)
    enrol_all(big, org.learner_a1)
    for a in big.sections[0].activities[:10]:
        ops.complete_activity(org.learner_a1, a)
    db.session.commit()
    small_id, big_id = small.id, big.id
    login(org.learner_a1)
    for course_id in (small_id, big_id):
        statements(client, f"/kursus/{course_id}")  # warm: this worker keeps the outline
    n_small = statements(client, f"/kursus/{small_id}")
    n_big = statements(client, f"/kursus/{big_id}")
    assert n_small == n_big, (n_small, n_big)
    assert n_big <= 3
    page = client.get(f"/kursus/{big_id}").get_data(as_text=True)
    assert page.count("is-done") == 10 and page.count('class="activity-item') == 96


def test_the_kept_outline_follows_an_author_in_another_worker_and_progress_at_once(app, client, org, second_app):
    course = make_course(org.instructor, activities=[{"type": "lesson", "title": "Materi Pembuka"},
                                                     {"type": "lesson", "title": "Materi Kedua"}])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    course_id = course.id
    first_id, second_id = (a.id for a in course.sections[0].activities)
    learner = second_app.test_client()
    assert learner.post("/masuk", data={"username": "learner_a1", "password": "rahasia123"}).status_code == 302
    for _ in range(2):  # the second request from the second worker's copy
        page = learner.get(f"/kursus/{course_id}").get_data(as_text=True)
        assert f'id="aktivitas-{first_id}">' in page and "Materi Pembuka</a>" in page
        assert 'badge-warn">berikutnya' in page and "is-done" not in page

    # The learner's own progress is on the next page, with no author's change in between.
    with second_app.app_context():
        from app.accounts.models import User

        person = db.session.scalar(select(User).where(User.username == "learner_a1"))
        ops.complete_activity(person, db.session.get(Activity, first_id))
        db.session.commit()
    page = learner.get(f"/kursus/{course_id}").get_data(as_text=True)
    assert page.count("is-done") == 1
    assert f'/aktivitas/{second_id}">Materi Kedua</a>\n      <span class="badge badge-warn">' in page

    # The instructor works through the first instance.
    assert client.post("/masuk", data={"username": "instructor", "password": "rahasia123"}).status_code == 302
    assert client.post(f"/mengajar/aktivitas/{second_id}", data={
        "title": "Materi <Kedua> (revisi)", "body": "<p>Isi</p>", "visible": "y"}).status_code == 302
    page = learner.get(f"/kursus/{course_id}").get_data(as_text=True)
    assert "Materi &lt;Kedua&gt; (revisi)</a>" in page and "(opsional)" in page
    assert client.post(f"/mengajar/aktivitas/{second_id}/sembunyikan").status_code == 302
    page = learner.get(f"/kursus/{course_id}").get_data(as_text=True)
    assert "revisi" not in page and page.count('class="activity-item') == 1


def test_the_kept_outline_is_per_language_and_viewer(client, org, login):
    course = make_course(org.instructor, activities=[{"type": "lesson", "title": "Materi"},
                                                     {"type": "quiz", "title": "Kuis", "required": False}])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    course_id = course.id
    login(org.learner_a1)
    page = _page(client, f"/kursus/{course_id}")
    assert ">Kuis</span>" in page and "(opsional)" in page and "berikutnya" in page
    page = _page(client, f"/kursus/{course_id}?lang=en")
    assert ">Quiz</span>" in page and "(optional)" in page and ">next<" in page and "opsional" not in page
    # a learner of the course who is not enrolled sees titles without links, from a copy of its own
    other = client.application.test_client()
    assert other.post("/masuk", data={"username": "learner_b", "password": "rahasia123"}).status_code == 302
    page = _page(other, f"/kursus/{course_id}")
    assert "Materi\n" in page and "/aktivitas/" not in page.split('id="bagian-')[1]


def test_jp_saya_keeps_its_headings_per_language_and_year(client, org, login):
    from datetime import date
    from decimal import Decimal

    from app.ledger import operations as ledger_ops

    this_year = ledger_ops.current_year()
    ledger_ops.record_manual(org.admin, org.learner_a1, kind="seminar", title="Seminar <b>", occurred_on=date.today(),
                             jp=Decimal("2.5"))
    ledger_ops.record_manual(org.admin, org.learner_a1, kind="coaching", title="Lalu", jp=Decimal("1"),
                             occurred_on=date(this_year - 1, 6, 1))
    db.session.commit()
    login(org.learner_a1)
    page = _page(client, "/jp")
    assert f"/jp/transkrip/{this_year}.pdf" in page and "Dicatat BPSDM" in page and "Seminar &lt;b&gt;" in page
    assert "Klasikal / formal" in page and "Riwayat per tahun" in page
    page = _page(client, f"/jp?year={this_year - 1}")
    assert f"Entri JP tahun {this_year - 1}" in page and f"Unduh transkrip {this_year - 1} (PDF)" in page
    assert f"Entri JP tahun {this_year}<" not in page
    page = _page(client, "/jp?lang=en")
    assert "Recorded by BPSDM" in page and "Classroom / formal" in page and "History by year" in page
    assert f"Download {this_year} transcript (PDF)" in page and "Dicatat" not in page and "Riwayat" not in page


def test_the_kept_course_card_follows_an_author_in_another_worker(app, org, second_app):
    from app.courses.models import Course, CourseCompetency

    course = make_course(org.instructor, title="Judul Lama", competencies=[("KOMP-A", 2)],
                         activities=[{"type": "lesson", "title": "Satu"}])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    course_id, lesson_id = course.id, course.sections[0].activities[0].id
    learner = second_app.test_client()
    assert learner.post("/masuk", data={"username": "learner_a1", "password": "rahasia123"}).status_code == 302
    for _ in range(2):  # the second from the second worker's copy
        page = _page(learner, f"/kursus/{course_id}")
        assert "<h1>Judul Lama</h1>" in page and "KOMP-A · level 2" in page and 'id="resume"' in page

    course = db.session.get(Course, course_id)
    ops.update_course(course, title="Judul <Baru>", summary="Ringkasan & baru", jp="2.5")
    course.competencies = [CourseCompetency(code="KOMP-B", level=3)]  # as make_course: no dictionary here
    db.session.commit()
    page = _page(learner, f"/kursus/{course_id}")
    assert "<h1>Judul &lt;Baru&gt;</h1>" in page and "Ringkasan &amp; baru" in page and " · 2,5 JP · " in page
    assert "KOMP-B · level 3" in page and "KOMP-A" not in page

    # the learner finishes: the course's completion is theirs, read every time
    with second_app.app_context():
        from app.accounts.models import User

        person = db.session.scalar(select(User).where(User.username == "learner_a1"))
        ops.complete_activity(person, db.session.get(Activity, lesson_id))
        db.session.commit()
    page = _page(learner, f"/kursus/{course_id}")
    assert "Anda menyelesaikan kursus ini pada" in page and 'aria-valuenow="100"' in page and 'id="resume"' not in page

    ops.update_course(db.session.get(Course, course_id), published=False)
    db.session.commit()
    assert learner.get(f"/kursus/{course_id}").status_code == 404  # unpublished: gone for learners
    assert learner.get("/kursus/999999").status_code == 404


def test_jp_saya_reads_ledger_target_and_claims_in_one_statement(client, org, login, app):
    from app.accounts import operations as account_ops
    from app.ledger import operations as ledger_ops
    from app.ledger import queries
    from tests.test_perf_jp import _big_ledger, _claims, _day, _entry

    year = ledger_ops.current_year()
    org.instansi.jp_target = 32
    _big_ledger(org, org.learner_a1, year, years=3, per_year=5)
    _claims(org.learner_b, 2, year)
    _entry(org, org.learner_b, "2", _day(year))
    nobody = account_ops.create_user("tanpa_unit", password="rahasia123", name="Tanpa Unit")
    db.session.commit()
    for person in (org.learner_a1, org.learner_b, org.instructor, nobody):
        for y in (year, year - 1, year - 4):
            ledger, target, claims = queries.my_jp(person, y)
            alone = queries.year_ledger(person.id, y)
            shown = (*queries.PAGE_COLUMNS, "reversed_by")
            assert [[getattr(e, c) for c in shown] for e in ledger.entries] == \
                [[getattr(e, c) for c in shown] for e in alone.entries]
            assert (ledger.total, ledger.years, ledger.reversed, ledger.mix()) == \
                (alone.total, alone.years, alone.reversed, alone.mix())
            expected_target, expected_claims = queries.target_and_recent_claims(person)
            assert target == expected_target
            assert [(c.title, c.state) for c in claims] == [(c.title, c.state) for c in expected_claims]
    assert queries.my_jp(org.learner_a1, year)[1] == 32 and len(queries.my_jp(org.learner_a1, year)[2]) == 5

    small_name, big_name = org.learner_b.username, org.learner_a1.username
    small = client.application.test_client()
    assert small.post("/masuk", data={"username": small_name, "password": "rahasia123"}).status_code == 302
    big = client.application.test_client()
    assert big.post("/masuk", data={"username": big_name, "password": "rahasia123"}).status_code == 302
    for c in (small, big):
        statements(c, "/jp")
    assert statements(small, "/jp") == statements(big, "/jp") == statements(big, f"/jp?year={year - 1}") <= 2
