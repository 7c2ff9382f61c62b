"""Browser journey (Chromium): a learner hands in text and a file on a phone-sized screen; the
instructor grades with the rubric and releases; the learner sees the grade and the rubric; the
course completes and its JP are credited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.browser
def test_learner_submits_on_a_phone_instructor_grades_with_rubric_course_completes(live_server, page, browser_login,
                                                                                      tmp_path):
    from app.assignments import operations as ops
    from app.courses.operations import enrol
    from app.ledger.models import LedgerEntry
    from tests.factories import make_course

    with live_server.app.app_context():
        peserta = db.session.scalar(select(User).where(User.username == "peserta"))
        instruktur = db.session.scalar(select(User).where(User.username == "instruktur"))
        course = make_course(instruktur, title="Aktualisasi Peramban", jp=3,
                             activities=[{"type": "assignment", "title": "Laporan aktualisasi",
                                          "body": "<p>Unggah laporan Anda.</p>"}])
        a = ops.get_or_create_assignment(course.sections[0].activities[0])
        rubric = ops.create_rubric(instruktur, "Rubrik peramban", [
            {"description": "Analisis isu", "levels": [{"description": "Kurang", "points": 20},
                                                       {"description": "Baik", "points": 50}]},
            {"description": "Rencana aksi", "levels": [{"description": "Kurang", "points": 20},
                                                       {"description": "Baik", "points": 50}]}])
        ops.update_assignment(a, {"require_statement": True, "allowed_types": ["pdf"], "pass_grade": 70,
                                  "grading": "rubric"}, rubric=rubric)
        enrol(course, peserta)
        db.session.commit()
        activity_id, assignment_id, course_id, peserta_id = a.activity_id, a.id, course.id, peserta.id
        db.session.remove()

    pdf = tmp_path / "laporan-aktualisasi.pdf"
    pdf.write_bytes(PDF)
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login("peserta")
    page.goto(f"/aktivitas/{activity_id}")
    # A large file goes through the resumable uploader (tus, in chunks); the page then lists it.
    big = tmp_path / "lampiran-besar.pdf"
    big.write_bytes(PDF + b"%" * (3 * 1024 * 1024))
    page.set_input_files("#resumable-file", str(big))
    page.click("#resumable-upload .video-upload-start")
    page.wait_for_selector(".submission-files >> text=lampiran-besar.pdf", timeout=30000)
    page.locator("#submission-form .ql-editor").fill("Rencana aksi: layanan daring di kelurahan.")
    page.set_input_files("#submission-file", str(pdf))
    page.check("input[name=statement]")
    page.click("button[value=submit]")
    page.wait_for_selector("#assignment-status")
    assert "Dikumpulkan" in page.inner_text("#assignment-status")
    assert "laporan-aktualisasi.pdf" in page.content() and "lampiran-besar.pdf" in page.content()
    # Nothing on the phone screen is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    page.context.clear_cookies()

    browser_login("instruktur")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/tugas/{assignment_id}/penilaian?filter=needs_grading")
    page.click(f"#p{peserta_id} a[href*='/penilaian/']")
    page.wait_for_selector("#grade-form")
    page.locator("table.rubric tr", has_text="Analisis isu").locator("input[type=radio]").nth(1).check()
    page.locator("table.rubric tr", has_text="Rencana aksi").locator("input[type=radio]").nth(1).check()
    page.locator("#grade-form .ql-editor").fill("Analisis tajam, lanjutkan.")
    page.check("input[name=release]")
    page.click("button[value=stay]")
    page.wait_for_selector("text=disimpan")
    assert "100" in page.inner_text("#grade-form h2")
    page.context.clear_cookies()

    browser_login("peserta")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/aktivitas/{activity_id}")
    grade = page.inner_text("#assignment-grade")
    assert "100 / 100" in grade and "Analisis tajam" in grade and "✓ Baik" in grade
    with live_server.app.app_context():
        from app.courses.models import CourseCompletion

        assert db.session.scalar(select(CourseCompletion.id).where(CourseCompletion.course_id == course_id,
                                                                   CourseCompletion.user_id == peserta_id))
        jp = db.session.scalars(select(LedgerEntry.jp).where(LedgerEntry.user_id == peserta_id)).all()
        assert 3 in jp
        db.session.remove()
