"""Browser journeys of issue 19: a learner on a phone fills both shipped evaluation templates and
then finds the certificate that waited for them; BPSDM opens the instructor report with its charts."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _setup(live_server, code: str, title: str, extra_respondents: int = 0):
    from app.accounts import operations as acc_ops
    from app.accounts.queries import user_by_username
    from app.courses.models import Activity
    from app.evaluation import operations as ops
    from app.extensions import db
    from tests.conftest import nip_for
    from tests.factories import enrol_all, make_course

    with live_server.app.app_context():
        peserta = user_by_username("peserta")
        instruktur = user_by_username("instruktur")
        course = make_course(instruktur, title=title, jp=6, certificate=True, code=code,
                             activities=[{"type": "lesson", "title": "Pengantar evaluasi"}])
        section = course.sections[0]
        surveys = []
        for pos, (key, label) in enumerate((("penyelenggaraan", "Evaluasi penyelenggaraan"),
                                            ("pengajar", "Evaluasi pengajar")), start=1):
            a = Activity(course=course, section=section, type="survey", title=label, settings={}, position=pos)
            db.session.add(a)
            db.session.flush()
            surveys.append(ops.create_survey(a, {"template": key, "before_certificate": True}))
        enrol_all(course, peserta)
        others = []
        for i in range(extra_respondents):
            u = acc_ops.create_user(f"{code.lower()}-{i}", password="lentera123", name=f"Responden {i}",
                                    nip=nip_for(700 + i), unit=peserta.unit)
            others.append(u)
        enrol_all(course, *others)
        for u in others:
            for survey in surveys:
                ops.submit_response(survey, u, {k: 4 if q.kind == "likert5" else (0 if q.kind == "single" else "Baik")
                                                for k, q, _i in ops.survey_items(survey)})
        db.session.commit()
        ids = (course.id, [s.activity_id for s in surveys], instruktur.id)
        db.session.remove()
    return ids


def _fill_survey(page) -> None:
    # Every scale: tap the fourth point ("Baik"); every single choice: its first option.
    for fieldset in page.locator("fieldset.survey-q").all():
        points = fieldset.locator(".scale-point")
        if points.count():
            points.nth(3).click()
        elif fieldset.locator("input[type=radio]").count():
            fieldset.locator("label.choice").first.click()
        elif fieldset.locator("textarea").count():
            fieldset.locator("textarea").fill("Materi sesuai kebutuhan kerja.")
    page.click("#submit-survey")


def test_learner_on_a_phone_fills_both_evaluations_then_gets_the_certificate(live_server, browser_login, page):
    course_id, activity_ids, _instructor = _setup(live_server, "EVAL-PONSEL", "Pelayanan Publik Berbasis Teknologi")
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login("peserta")
    page.goto(f"/kursus/{course_id}")
    page.click("text=Pengantar evaluasi")  # the lesson: the course is complete, the JP credited
    page.goto("/sertifikat-saya")
    assert "Pelayanan Publik Berbasis Teknologi" not in page.content()  # the certificate waits

    for activity_id in activity_ids:
        page.goto(f"/aktivitas/{activity_id}")
        assert page.locator("#certificate-waits").is_visible()
        page.click("#fill-survey")
        page.wait_for_url("**/survei/*")
        # One column that fits the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        _fill_survey(page)
        page.wait_for_url(f"**/aktivitas/{activity_id}")
        assert page.locator("#survey-done").is_visible()

    page.goto("/sertifikat-saya")
    assert page.locator("tr", has_text="Pelayanan Publik Berbasis Teknologi").count() == 1


def test_bpsdm_opens_the_instructor_report(live_server, browser_login, page):
    _course_id, _ids, instructor_id = _setup(live_server, "EVAL-LAPORAN", "Tata Kelola Keuangan Daerah",
                                             extra_respondents=5)
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login("bpsdm")
    page.goto("/evaluasi")
    page.locator("#instructor-list a").first.click()
    page.wait_for_url(f"**/evaluasi/pengajar/{instructor_id}")
    assert "Penguasaan materi" in page.inner_text("#instructor-items")
    assert page.inner_text("#overall-average").strip() == "4,00"  # Indonesian decimals
    assert "Tata Kelola Keuangan Daerah" in page.inner_text("#instructor-courses")
    # The charts are drawn by the served Chart.js.
    page.wait_for_function("document.querySelectorAll('canvas.report-chart').length > 0 && "
                           "Array.from(document.querySelectorAll('canvas.report-chart')).every(c => Chart.getChart(c))")
    with page.expect_download() as info:
        page.click("text=Unduh XLSX")
    assert info.value.suggested_filename.endswith(".xlsx")
