"""The calendar: what is due or scheduled for a person on one page, a home card and a private iCal
feed read back with an iCal library; the feed's address is secret and can be replaced."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar

from app.corpu.models import ProgramCompletion
from app.corpu.operations import save_program
from app.extensions import db
from app.quizzes.operations import get_or_create_quiz, update_quiz
from tests.factories import enrol_all, make_course

SOON = datetime.now(UTC) + timedelta(days=3)


def _setup(org):
    local = (SOON + timedelta(hours=7)).replace(tzinfo=None)  # WIB = UTC+7, as a course author writes it
    course = make_course(org.instructor, title="Manajemen Arsip", activities=[
        {"type": "classroom", "title": "Kelas arsip <b>1</b>",
         "settings": {"minutes": 90, "date": local.strftime("%Y-%m-%dT%H:%M"), "place": "Aula BPSDM"}},
        {"type": "quiz", "title": "Kuis arsip"},
        {"type": "classroom", "title": "Sesi lampau", "settings": {"minutes": 60, "date": "2020-01-01T09:00"}},
    ])
    quiz = get_or_create_quiz(course.sections[0].activities[1])
    update_quiz(quiz, close_at=(SOON + timedelta(days=2)).replace(tzinfo=None, second=0, microsecond=0))
    other = make_course(org.instructor, title="Tidak diikuti", activities=[
        {"type": "classroom", "title": "Kelas orang lain", "settings": {"minutes": 60,
                                                                         "date": local.strftime("%Y-%m-%dT%H:%M")}}])
    enrol_all(course, org.learner_a1)
    enrol_all(other, org.learner_b)
    program = save_program(code="PRG-ARSIP", title="Sertifikasi Arsiparis", validity_years=2, course_ids=[course.id])
    db.session.add(ProgramCompletion(program_id=program.id, user_id=org.learner_a1.id, completed_on=date(2024, 12, 20),
                                     expires_on=(SOON + timedelta(days=10)).date()))
    db.session.commit()
    return course, quiz


def test_page_and_home_card_show_what_is_coming_for_the_person(client, org, login, app):
    _setup(org)
    login(org.learner_a1)
    page = client.get("/kalender").get_data(as_text=True)
    assert "Kelas arsip &lt;b&gt;1&lt;/b&gt;" in page and "Aula BPSDM" in page
    assert "Kuis ditutup" in page and "Kuis arsip" in page
    assert "Sertifikasi Arsiparis" in page and "Sertifikasi program berakhir" in page
    assert "Kelas orang lain" not in page and "Sesi lampau" not in page
    local = (SOON + timedelta(hours=7))
    assert f"{local:%H.%M}" in page or f"{local:%H:%M}" in page  # shown in WIB
    home = client.get("/").get_data(as_text=True)
    card = home[home.index('id="coming-up"'):]
    assert "Kelas arsip" in card and "Kuis arsip" in card


def test_private_feed_is_read_by_an_ical_library_and_can_be_replaced(client, org, login, app):
    course, quiz = _setup(org)
    login(org.learner_a1)
    assert client.get("/kalender").headers["Cache-Control"] == "no-store"
    made = client.post("/kalender/tautan").get_data(as_text=True)
    url = re.search(r'id="feed-url">([^<]+)<', made).group(1)
    path = url.split("://", 1)[1].split("/", 1)[1]
    client.post("/keluar")
    resp = client.get("/" + path)  # no login: the address is the secret
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    cal = Calendar.from_ical(resp.data)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    room = events["Tatap muka: Kelas arsip <b>1</b>"]
    assert room.decoded("dtstart") == SOON.replace(second=0, microsecond=0)
    assert room.decoded("dtend") - room.decoded("dtstart") == timedelta(minutes=90)
    assert str(room["location"]) == "Aula BPSDM" and str(room["description"]) == "Manajemen Arsip"
    assert str(room["url"]).endswith(f"/aktivitas/{course.sections[0].activities[0].id}")
    closing = events["Kuis ditutup: Kuis arsip"]
    assert closing.decoded("dtstart") == quiz.close_at.replace(tzinfo=UTC)
    expiry = events["Sertifikasi program berakhir: Sertifikasi Arsiparis"]
    assert expiry.decoded("dtstart") == (SOON + timedelta(days=10)).date()
    assert len({str(e["uid"]) for e in cal.walk("VEVENT")}) == 3

    login(org.learner_a1)
    client.post("/kalender/tautan")
    assert client.get("/" + path).status_code == 404  # the old address stopped working
    assert client.get("/kalender/bukan-token.ics").status_code == 404
    assert client.get("/kalender/" + "x" * 300 + ".ics").status_code == 404


def test_a_deactivated_person_s_feed_stops(client, org, login, app):
    _setup(org)
    login(org.learner_a1)
    url = re.search(r'id="feed-url">([^<]+)<', client.post("/kalender/tautan").get_data(as_text=True)).group(1)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    assert client.get(path).status_code == 200
    org.learner_a1.active = False
    db.session.commit()
    assert client.get(path).status_code == 404
