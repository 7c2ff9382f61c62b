"""Reminders: schedule dates, one job per date, no double sending, mail through a real SMTP server,
in-app notifications for employees below target and for their head of unit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import Forbidden, RuleViolation
from app.extensions import db
from app.jobs.operations import run_pending
from app.monitoring import operations
from app.monitoring.models import ReminderSent
from app.monitoring.reminders import enqueue_due
from app.notifications.models import Notification
from tests.factories import enrol_all, make_course
from tests.monitoring_fixtures import record

YEAR = 2025


@pytest.fixture
def setup(org):
    record(org.learner_a1, 22, date(YEAR, 2, 10))       # met
    record(org.head_a, 8, date(YEAR, 3, 1))             # 12 short
    record(org.instructor, Decimal("5"), date(YEAR, 1, 20))  # 15 short
    record(org.learner_b, 20, date(YEAR, 4, 1))         # met
    small = make_course(title="Literasi Digital", jp=2)
    make_course(title="Keuangan Daerah Elektronik", jp=6)
    make_course(title="Pelayanan Publik Berbasis Teknologi", jp=4)
    make_course(title="Tertutup", jp=1, self_enrol=False)
    enrol_all(small, org.head_a)  # already enrolled: not recommended to head_a
    schedule = operations.create_schedule(org.admin, name="Bulanan mulai Juli", year=YEAR, kind="monthly",
                                          day_of_month=1, start_month=7, end_month=12, unit_id=org.instansi.id)
    db.session.commit()
    return org, schedule


def notes(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def test_schedule_dates_and_validation(org):
    s = operations.create_schedule(org.bpsdm_a, name="Juli dst", year=YEAR, unit_id=org.a.id)
    assert operations.schedule_dates(s) == [date(YEAR, m, 1) for m in range(7, 13)]
    s2 = operations.create_schedule(org.bpsdm_a, name="Tanggal", year=YEAR, kind="dates",
                                    dates_text=f"{YEAR}-09-15\n{YEAR}-08-01, {YEAR}-09-15", unit_id=org.a1.id)
    assert operations.schedule_dates(s2) == [date(YEAR, 8, 1), date(YEAR, 9, 15)]
    with pytest.raises(RuleViolation):
        operations.create_schedule(org.bpsdm_a, name="x", year=YEAR, kind="dates", dates_text="2024-01-01",
                                   unit_id=org.a.id)
    with pytest.raises(RuleViolation):
        operations.create_schedule(org.bpsdm_a, name="x", year=YEAR, kind="dates", dates_text="1 Juli",
                                   unit_id=org.a.id)
    with pytest.raises(RuleViolation):
        operations.create_schedule(org.bpsdm_a, name="x", year=YEAR, day_of_month=31, unit_id=org.a.id)
    with pytest.raises(Forbidden):
        operations.create_schedule(org.bpsdm_a, name="x", year=YEAR, unit_id=org.b.id)
    with pytest.raises(Forbidden):
        operations.create_schedule(org.bpsdm_a, name="x", year=YEAR, unit_id=None)


def test_reminders_on_the_date_once_with_mail(app, setup, smtp_sink, monkeypatch):
    org, schedule = setup
    host, port = "127.0.0.1", smtp_sink.port
    monkeypatch.setitem(app.config, "MAIL_SERVER", host)
    monkeypatch.setitem(app.config, "MAIL_PORT", port)

    assert enqueue_due(date(YEAR, 6, 30)) == []
    assert len(enqueue_due(date(YEAR, 7, 1))) == 1
    db.session.commit()
    assert run_pending() == 1

    below = {org.admin, org.bpsdm_a, org.head_a, org.instructor}
    for u in below:
        assert len([n for n in notes(u) if "Pengingat JP" in n.title]) == 1, u
    assert notes(org.learner_a1) == [] and notes(org.learner_b) == []
    instr = next(n for n in notes(org.instructor) if "Pengingat JP" in n.title)
    assert "kurang 15 JP" in instr.title and "5 dari target 20" in instr.body
    body = instr.body
    assert body.index("Literasi Digital (2 JP)") < body.index("Pelayanan Publik") < body.index("Keuangan Daerah")
    assert "Tertutup" not in body
    head_personal = next(n for n in notes(org.head_a) if "Pengingat JP" in n.title)
    assert "Literasi Digital" not in head_personal.body  # enrolled already
    head_staff = [n for n in notes(org.head_a) if "staf" in n.title]
    assert len(head_staff) == 1 and head_staff[0].title.startswith("2 staf")
    assert "Bpsdm A" in head_staff[0].body and "Instructor" in head_staff[0].body
    assert "Learner A1" not in head_staff[0].body

    mails = {m["to"][0]: m["message"] for m in smtp_sink.messages}
    assert set(mails) == {f"{u.username}@example.go.id" for u in below}
    assert "kurang 15 JP" in mails["instructor@example.go.id"]["Subject"]
    assert sum(1 for m in smtp_sink.messages if m["to"] == ["head_a@example.go.id"]) == 2
    sent = len(smtp_sink.messages)

    # The same date again (a second enqueue, a catch-up the next day, a re-run job): nobody hears twice.
    enqueue_due(date(YEAR, 7, 1))
    enqueue_due(date(YEAR, 7, 2))
    db.session.commit()
    run_pending()
    from app.monitoring.models import ReminderSchedule
    from app.monitoring.reminders import send_reminders

    again = send_reminders(db.session.get(ReminderSchedule, schedule.id), date(YEAR, 7, 1))
    db.session.commit()
    assert again["employees_told"] == 0 and again["supervisors_told"] == 0
    assert len(smtp_sink.messages) == sent
    assert db.session.scalar(select(db.func.count()).select_from(ReminderSent)) == 5
    assert all(r.mailed for r in db.session.scalars(select(ReminderSent)))

    # The next scheduled date is a new reminder.
    enqueue_due(date(YEAR, 8, 1))
    db.session.commit()
    run_pending()
    assert len([n for n in notes(org.instructor) if "Pengingat JP" in n.title]) == 2


def test_without_mail_server_only_notifications(app, setup, monkeypatch, client, login):
    org, schedule = setup
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    enqueue_due(date(YEAR, 7, 1))
    db.session.commit()
    run_pending()
    assert len(notes(org.instructor)) == 1
    assert not any(r.mailed for r in db.session.scalars(select(ReminderSent)))
    login(org.instructor)
    page = client.get("/notifikasi")
    assert page.status_code == 200 and "Pengingat JP 2025: kurang 15 JP" in page.text


def test_inactive_schedule_and_page(client, login, setup):
    org, schedule = setup
    login(org.bpsdm_a)
    page = client.get("/pemantauan/pengingat")
    assert page.status_code == 200 and "Bulanan mulai Juli" not in page.text  # admin's site-wide schedule
    r = client.post("/pemantauan/pengingat", data={"name": "Jadwal Oktober", "year": YEAR, "kind": "dates",
                                                    "dates": f"{YEAR}-10-01", "unit_id": org.a.id,
                                                    "start_month": 7, "end_month": 12, "day_of_month": 1})
    assert r.status_code == 302
    page = client.get("/pemantauan/pengingat").text
    assert "Jadwal Oktober" in page
    r = client.post("/pemantauan/pengingat", data={"name": "B", "year": YEAR, "kind": "monthly", "day_of_month": 1,
                                                    "start_month": 7, "end_month": 12, "unit_id": org.b.id})
    assert r.status_code == 200  # B is not a choice for bpsdm_a
    assert client.post(f"/pemantauan/pengingat/{schedule.id}/hapus").status_code == 403
    operations.deactivate_schedule(org.admin, schedule)
    db.session.commit()
    assert enqueue_due(date(YEAR, 7, 1)) == []
