"""The small comforts of issue 22 that a first day missed: /login, the public verify form."""

from __future__ import annotations

from urllib.parse import quote

from flask_babel import refresh

from app.certificates.models import Certificate
from app.extensions import db
from tests.certificates_fixtures import completed_course


def test_login_typed_by_hand_leads_to_the_login_page(client):
    resp = client.get("/login")
    assert resp.status_code == 301 and resp.headers["Location"].endswith("/masuk")
    resp = client.get("/login?next=/kursus-saya")
    assert "/masuk?next=" in resp.headers["Location"]
    assert client.get(resp.headers["Location"]).status_code == 200


def test_verify_form_takes_a_typed_pasted_or_scanned_number(app, org, client):
    completed_course(org.learner_a1, title="Kearsipan Dinamis", jp=4)
    cert = db.session.query(Certificate).one()
    form = client.get("/verify")
    assert form.status_code == 200 and 'name="serial"' in form.get_data(as_text=True)
    for typed in (cert.public_id, f"  {cert.public_id}\t", f"https://lentera.example.go.id/verify/{cert.public_id}",
                  f"http://127.0.0.1:5000/verify/{cert.public_id}?utm=qr"):
        resp = client.get("/verify", query_string={"serial": typed})
        assert resp.status_code == 302, typed
        page = client.get(resp.headers["Location"])
        assert page.status_code == 200 and "Kearsipan Dinamis" in page.get_data(as_text=True), typed
    unknown = client.get(client.get("/verify?serial=TIDAK-ADA").headers["Location"])
    assert unknown.status_code == 404
    blank = client.get("/verify?serial=%20%00%20")
    assert blank.status_code == 400 and "tidak terbaca" in blank.get_data(as_text=True)
    markup = client.get("/verify?serial=" + quote("<script>x</script>/"))
    assert "<script>x</script>" not in client.get(markup.headers["Location"]).get_data(as_text=True)


def test_home_card_lists_the_learner_s_latest_certificates(app, org, client, login):
    completed_course(org.learner_a1, title="Kearsipan Dinamis", jp=4)
    completed_course(org.learner_a1, title="Etika Birokrasi", jp=2)
    login(org.learner_a1)
    home = client.get("/").get_data(as_text=True)
    card = home[home.index('id="latest-certificates"'):]
    card = card[:card.index("</section>")]
    assert "Kearsipan Dinamis" in card and "Etika Birokrasi" in card
    assert card.count("<li>") == 2


def test_monitoring_person_page_names_the_kind_in_indonesian(app, org, client, login):
    from datetime import date

    from tests.monitoring_fixtures import record

    record(org.learner_a1, 3, date(date.today().year, 2, 3), kind="classroom", title="Diklat tatap muka")
    db.session.commit()
    login(org.admin)
    page = client.get(f"/pemantauan/pegawai/{org.learner_a1.id}?year={date.today().year}").get_data(as_text=True)
    row = page[page.index("Diklat tatap muka"):]
    row = row[:row.index("</tr>")]
    assert "Pelatihan klasikal" in row and ">classroom<" not in row


def test_wtforms_own_messages_are_indonesian_on_indonesian_pages(client, org, login):
    login(org.learner_a1)
    too_long = {"p-email": "a" * 250 + "@contoh.go.id", "p-timezone": "Asia/Jakarta"}
    page = client.post("/akun", data=too_long).get_data(as_text=True)
    assert "Field cannot be longer than" not in page
    assert "Isian paling panjang 200 karakter." in page
    refresh()  # the tests keep one app context across requests; Flask-Babel caches the locale in it
    english = client.post("/akun?lang=en", data=too_long).get_data(as_text=True)
    assert "Field cannot be longer than 200 characters." in english


def test_profile_email_is_checked_on_the_server(client, org, login):
    login(org.learner_a1)
    resp = client.post("/akun", data={"p-email": "bukan email", "p-timezone": "Asia/Jakarta"})
    assert resp.status_code == 422 and "Alamat email tidak valid" in resp.get_data(as_text=True)
    db.session.refresh(org.learner_a1)
    assert org.learner_a1.email != "bukan email"
    ok = client.post("/akun", data={"p-email": " Rina@Contoh.GO.id ", "p-timezone": "Asia/Makassar"})
    assert ok.status_code == 302
    db.session.refresh(org.learner_a1)
    assert org.learner_a1.email == "Rina@contoh.go.id" and org.learner_a1.timezone == "Asia/Makassar"


def test_shipped_quizzes_ask_answerable_questions(app):
    """Every question of the courses Lentera ships parses, and a typed answer has its blank or a
    question to answer (a stem ending '…disebut maklumat' that expects 'pelayanan' had neither)."""
    from pathlib import Path

    from app.quizzes.operations import parse_questions

    files = sorted(Path(__file__).resolve().parent.parent.glob("content/*/quizzes/*"))
    assert files
    for path in files:
        fmt = "xml" if path.suffix == ".xml" else "gift"
        result = parse_questions(path.read_bytes(), fmt)
        assert not result.problems, (path.name, result.problems)
        for q in result.questions:
            if q.type in ("shortanswer", "numerical"):
                stem = q.text.strip()
                blank = any(b in stem for b in ("_____", "...", "…")) or stem.endswith(("?", ":"))
                assert blank, f"{path.name}: {q.name}: {stem[-80:]}"


def test_long_titles_are_refused_with_the_limit_not_cut(client, org, auth):
    h = auth(org.instructor)
    cid = client.post("/api/v1/courses", headers=h, json={"title": "Kursus", "jp": 1}).json["id"]
    long = "Judul " * 1000
    resp = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": long[:249] + "xx"})
    assert resp.status_code in (400, 422)
    sid = client.post(f"/api/v1/courses/{cid}/sections", headers=h, json={"title": "Bagian"}).json["id"]
    resp = client.post(f"/api/v1/courses/{cid}/activities", headers=h,
                       json={"section_id": sid, "type": "lesson", "title": long, "body": "x"})
    assert resp.status_code == 422 and "250" in resp.json["error"]["details"][0]["message"]
    resp = client.patch(f"/api/v1/courses/{cid}", headers=h, json={"title": long[:251]})
    assert resp.status_code in (400, 422)
    from app.courses import operations as ops
    from app.courses.models import Course
    from app.errors import RuleViolation

    course = db.session.get(Course, cid)
    try:
        ops.add_section(course, "x" * 251)
    except RuleViolation as exc:
        assert "250" in exc.message and "251" in exc.message
    else:
        raise AssertionError("a 251-character title was accepted")
    assert [s.title for s in course.sections] == ["Bagian"]


def test_completion_report_learners_by_activities_filtered_by_unit_and_xlsx_in_wib(app, org, client, login):
    import io
    from datetime import datetime

    from openpyxl import load_workbook

    from app.courses.models import ActivityCompletion
    from app.courses.operations import complete_activity
    from tests.factories import enrol_all, make_course

    course = make_course(org.instructor, title="Arsip", activities=[
        {"type": "lesson", "title": "Materi 1"}, {"type": "lesson", "title": "Materi 2"},
        {"type": "link", "title": "Bacaan", "settings": {"url": "https://a.example"}, "required": False}])
    m1, m2, _link = course.sections[0].activities
    enrol_all(course, org.learner_a1, org.learner_b)
    complete_activity(org.learner_a1, m1)
    db.session.commit()
    row = db.session.query(ActivityCompletion).filter_by(user_id=org.learner_a1.id).one()
    row.completed_at = datetime(2026, 3, 4, 20, 30)  # 03:30 on 5 March in WIB
    db.session.commit()

    login(org.instructor)
    page = client.get(f"/kursus/{course.id}/laporan-penyelesaian")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    table = html[html.index('id="completion-report"'):]
    assert "Materi 1 *" in table and "Bacaan" in table and "Bacaan *" not in table
    a1_row = table[table.index("Learner A1"):]
    a1_row = a1_row[:a1_row.index("</tr>")]
    assert a1_row.count('data-done="1"') == 1 and a1_row.count('data-done="0"') == 2
    assert "Learner B" in table
    only_a = client.get(f"/kursus/{course.id}/laporan-penyelesaian?unit={org.a.id}").get_data(as_text=True)
    assert "Learner A1" in only_a and "Learner B" not in only_a[only_a.index('id="completion-report"'):]

    wb = load_workbook(io.BytesIO(client.get(f"/kursus/{course.id}/laporan-penyelesaian.xlsx").data))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:6] == ("NIP", "Nama", "Unit kerja", "Materi 1 *", "Materi 2 *", "Bacaan")
    a1 = next(r for r in rows if r[1] == "Learner A1")
    assert a1[3] == datetime(2026, 3, 5, 3, 30) and a1[4] is None
    participants = load_workbook(io.BytesIO(client.get(f"/kursus/{course.id}/peserta.xlsx").data))
    enrolled = next(r for r in participants.active.iter_rows(values_only=True) if r[1] == "Learner A1")[4]
    from app.courses.models import Enrolment

    e = db.session.query(Enrolment).filter_by(user_id=org.learner_a1.id).one()
    assert abs((enrolled - e.enrolled_at).total_seconds() - 7 * 3600) < 1  # WIB as on the pages, not UTC (ms rounded)

    # out of reach: a BPSDM officer of unit A sees A's learners only, and cannot pick unit B
    client.post("/keluar")
    login(org.bpsdm_a)
    scoped = client.get(f"/kursus/{course.id}/laporan-penyelesaian").get_data(as_text=True)
    assert "Learner B" not in scoped[scoped.index('id="completion-report"'):]
    assert client.get(f"/kursus/{course.id}/laporan-penyelesaian?unit={org.b.id}").status_code == 404
    client.post("/keluar")
    login(org.learner_a1)
    assert client.get(f"/kursus/{course.id}/laporan-penyelesaian").status_code == 403


def test_notifications_for_plans_and_certificates_link_to_their_pages(app, org, client, login):
    from app.corpu import operations as corpu_ops
    from app.notifications.models import Notification
    from tests.factories import make_course

    def notes(user):
        return [(n.title, n.link) for n in db.session.query(Notification).filter_by(user_id=user.id).order_by(Notification.id)]

    course = make_course(title="Integritas ASN", jp=6)
    plan = corpu_ops.plan_for(org.learner_a1, 2026)
    corpu_ops.add_plan_item(plan, org.learner_a1, kind="course", course=course)
    corpu_ops.submit_plan(plan, org.learner_a1)
    db.session.commit()
    [(title, link)] = notes(org.head_a)
    assert "Learner A1" in title and link == f"/rencana/{plan.id}/tinjau"
    corpu_ops.return_plan(plan, org.head_a, "Tambahkan mentoring.")
    corpu_ops.submit_plan(plan, org.learner_a1)
    corpu_ops.approve_plan(plan, org.head_a)
    db.session.commit()
    mine = notes(org.learner_a1)
    assert [t for t, _link in mine] == ["Rencana pengembangan 2026 dikembalikan untuk diperbaiki",
                                        "Rencana pengembangan 2026 disetujui"]
    assert all(link == "/rencana?tahun=2026" for _t, link in mine)

    completed_course(org.learner_b, title="Kearsipan Dinamis", jp=4)
    [(title, link)] = notes(org.learner_b)
    assert title == "Sertifikat terbit: Kearsipan Dinamis" and link == "/sertifikat-saya"
    login(org.learner_b)
    page = client.get(link)
    assert page.status_code == 200 and "Kearsipan Dinamis" in page.get_data(as_text=True)


def test_certificate_prints_the_completion_date_when_the_course_period_is_stale(app, org):
    from datetime import date, timedelta

    from app.certificates.operations import training_period

    today = date.today()
    assert training_period(date(2020, 1, 1), date(2020, 2, 1), today) == (None, today)
    assert training_period(None, None, today) == (None, today)
    assert training_period(today - timedelta(days=3), today + timedelta(days=3), today) == (
        today - timedelta(days=3), today + timedelta(days=3))
    late = today - timedelta(days=30)
    assert training_period(late - timedelta(days=5), late, today) == (late - timedelta(days=5), late)

    course = completed_course(org.learner_a1, title="Arsip Lama", jp=2)
    cert = db.session.query(Certificate).one()
    assert (cert.start_date, cert.end_date) == (None, today) or cert.end_date == cert.issued_on
    course.start_date, course.end_date = date(2020, 1, 1), date(2020, 2, 1)
    from tests.certificates_fixtures import complete_course
    from tests.factories import enrol_all

    enrol_all(course, org.learner_b)
    complete_course(course, org.learner_b)
    db.session.commit()
    b = db.session.query(Certificate).filter_by(user_id=org.learner_b.id).one()
    assert b.start_date is None and b.end_date == b.issued_on


def test_enrolment_by_nip_names_what_is_wrong(app, org, client, login):
    from tests.factories import make_course

    course = make_course(org.instructor)
    db.session.commit()
    login(org.instructor)
    resp = client.post(f"/kursus/{course.id}/peserta", data={"by": "nip", "n-nip": "1" * 5000}, follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert "Isian pendaftaran tidak lengkap" not in text
    assert "NIP: Isian paling panjang 30 karakter." in text


def test_recording_attendance_for_nobody_is_not_a_success(app, org, client, login):
    from tests.factories import enrol_all, make_course

    course = make_course(org.instructor, activities=[{"type": "classroom", "title": "Kelas", "settings": {"minutes": 60}}])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    room = course.sections[0].activities[0]
    login(org.instructor)
    text = client.post(f"/aktivitas/{room.id}/kehadiran", data={"nips": ""}, follow_redirects=True).get_data(as_text=True)
    assert "Kehadiran dicatat" not in text and "Tidak ada peserta yang dicatat hadir" in text
    text = client.post(f"/aktivitas/{room.id}/kehadiran", data={"nips": "123"}, follow_redirects=True).get_data(as_text=True)
    assert "Kehadiran dicatat" not in text and "123" in text
    text = client.post(f"/aktivitas/{room.id}/kehadiran", data={"nips": org.learner_a1.nip},
                       follow_redirects=True).get_data(as_text=True)
    assert "Kehadiran dicatat untuk 1 peserta" in text


def test_a_classroom_session_dated_in_the_past_is_saved_with_a_warning(client, org, login):
    """Issue 22, rough edge 3: a past date is allowed (attendance is often recorded afterwards)
    but never silently: the author is told to check the year."""
    from tests.factories import make_course

    course = make_course(org.instructor, title="Kelas Kearsipan")
    from app.extensions import db

    db.session.commit()
    login(org.instructor)
    section_id = course.sections[0].id
    resp = client.post(f"/mengajar/bagian/{section_id}/aktivitas/baru?type=classroom",
                       data={"type": "classroom", "title": "Sesi tatap muka", "date": "2020-01-01T09:00",
                             "place": "Aula", "minutes": "90", "required": "y", "visible": "y"},
                       follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "Aktivitas ditambahkan" in page and "01-01-2020 09:00 sudah lewat" in page
    resp = client.post(f"/mengajar/bagian/{section_id}/aktivitas/baru?type=classroom",
                       data={"type": "classroom", "title": "Sesi depan", "date": "2099-01-01T09:00",
                             "place": "Aula", "minutes": "90", "required": "y", "visible": "y"},
                       follow_redirects=True)
    assert "sudah lewat" not in resp.get_data(as_text=True)


def test_a_too_long_lesson_says_the_text_is_too_long_not_a_file(client, org, login):
    """Issue 22, rough edge 9: a lesson body over the field limit names the text and the limit."""
    from app.extensions import db
    from tests.factories import make_course

    course = make_course(org.instructor, title="Kursus Panjang")
    db.session.commit()
    login(org.instructor)
    section_id = course.sections[0].id
    ok = client.post(f"/mengajar/bagian/{section_id}/aktivitas/baru?type=lesson",
                     data={"type": "lesson", "title": "Panjang", "body": "<p>" + "a" * 700_000 + "</p>",
                           "required": "y", "visible": "y"})
    assert ok.status_code == 302  # 700 KB of text: more than Werkzeug's default, within ours
    resp = client.post(f"/mengajar/bagian/{section_id}/aktivitas/baru?type=lesson",
                       data={"type": "lesson", "title": "Terlalu panjang", "body": "x" * (3 * 1024 * 1024),
                             "required": "y", "visible": "y"}, content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 413 and "Teks yang diisikan terlalu panjang" in page and "2048 KB" in page
    assert "Berkas terlalu besar" not in page


def test_numbers_are_read_as_indonesians_write_them():
    from decimal import Decimal

    import pytest

    from app.numbers import parse_number

    assert parse_number("1,5") == Decimal("1.5") and parse_number("1.5") == Decimal("1.5")
    assert parse_number("Rp 1.500.000", money=True) == parse_number("1500000", money=True) == Decimal(1500000)
    assert parse_number("1.500", money=True) == Decimal(1500)
    assert parse_number("1.500.000,50", money=True) == Decimal("1500000.50")
    assert parse_number("1,500,000.50", money=True) == Decimal("1500000.50")
    for bad in ("abc", "NaN", "sNaN", "Infinity", "1e9", "²", "1,5,5", "", "1.50.0"):
        with pytest.raises(ValueError):
            parse_number(bad, money=True)


def test_planned_jp_in_words_says_it_is_not_a_number_and_rupiah_with_dots_are_taken(app, org, client, login):
    from app.corpu.models import CourseCost, DevelopmentPlan
    from tests.factories import make_course

    login(org.learner_a1)
    year = 2026
    resp = client.post(f"/rencana/{year}/kegiatan", data={"kind": "coaching", "title": "Coaching", "planned_jp": "abc"},
                       follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "JP yang direncanakan: Tulis angka" in page and "Wajib diisi" not in page
    client.post(f"/rencana/{year}/kegiatan", data={"kind": "coaching", "title": "Coaching", "planned_jp": "2,5"})
    plan = db.session.scalar(db.select(DevelopmentPlan))
    assert [str(i.planned_jp) for i in plan.items] == ["2.50"]
    client.post("/keluar")
    course = make_course(title="APKD", code="APKD-9")
    db.session.commit()
    login(org.bpsdm_a)
    assert client.post("/kebutuhan-pelatihan/biaya", data={"course_id": course.id, "cost": "Rp 1.500.000"}).status_code == 302
    assert db.session.scalar(db.select(CourseCost.cost_per_participant)) == 1500000
    resp = client.post("/kebutuhan-pelatihan/biaya", data={"course_id": course.id, "cost": "NaN"}, follow_redirects=True)
    assert "mis. 1.500.000" in resp.get_data(as_text=True)
    assert db.session.scalar(db.select(CourseCost.cost_per_participant)) == 1500000
