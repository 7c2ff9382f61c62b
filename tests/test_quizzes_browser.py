"""Browser journey: the demo learner takes a timed quiz on a phone-sized screen, reloads
mid-way, keeps the answers, submits and sees the review."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db

GIFT = """
::b1::Netralitas ASN wajib dijaga.{T}

::b2::Singkatan Aparatur Sipil Negara?{=ASN}

::b3::Dua tambah dua?{#4}

::b4::Pilih nilai dasar ASN.{=Akuntabel ~Koruptif ~Malas}
"""


@pytest.mark.browser
def test_learner_takes_timed_quiz_reloads_and_submits(live_server, page, browser_login):
    from app.quizzes import operations as ops
    from tests.factories import make_course

    with live_server.app.app_context():
        peserta = db.session.scalar(select(User).where(User.username == "peserta"))
        course = make_course(None, title="Kuis Peramban", activities=[{"type": "quiz", "title": "Kuis berwaktu"}])
        activity = course.sections[0].activities[0]
        questions, _ = ops.import_questions(course, GIFT, "gift", category="Peramban")
        quiz = ops.get_or_create_quiz(activity)
        ops.update_quiz(quiz, pass_percent=75, time_limit_minutes=10, shuffle_choices=True)
        ops.set_slots(quiz, question_ids=[q.id for q in questions])
        from app.courses.operations import enrol

        enrol(course, peserta)
        db.session.commit()
        quiz_id = quiz.id
        qid = {q.name: q.id for q in questions}
        db.session.remove()

    page.set_viewport_size({"width": 390, "height": 844})
    browser_login("peserta")
    page.goto(f"/kuis/{quiz_id}")
    page.click("text=Mulai kuis")
    page.wait_for_url("**/percobaan/*")
    countdown = page.locator("#countdown")
    assert countdown.inner_text().startswith(("9:", "10:"))

    with page.expect_response(lambda r: f"/answers/{qid['b1']}" in r.url and r.request.method == "PUT") as r1:
        page.check(f"#soal-{qid['b1']} input[value=true]")
    assert r1.value.status == 200
    with page.expect_response(lambda r: f"/answers/{qid['b2']}" in r.url) as r2:
        page.fill(f"#soal-{qid['b2']} input[type=text]", "asn")
    assert r2.value.status == 200
    page.wait_for_function("document.getElementById('save-status').textContent.length > 0")

    page.reload()
    assert page.is_checked(f"#soal-{qid['b1']} input[value=true]")
    assert page.input_value(f"#soal-{qid['b2']} input[type=text]") == "asn"

    with page.expect_response(lambda r: f"/answers/{qid['b3']}" in r.url) as r3:
        page.fill(f"#soal-{qid['b3']} input[type=text]", "4")
    assert r3.value.status == 200
    page.click("#submit-attempt")
    page.wait_for_url("**/ringkasan")  # Moodle's summary: every question answered, then the final submit
    assert page.locator("table.attempt-summary tr.unanswered").count() == 1  # b4 was left unanswered
    assert "1 soal belum dijawab" in page.content()
    page.click("text=Kumpulkan semua dan selesai")
    page.wait_for_url("**/tinjau")
    assert page.inner_text("#score").startswith("3 / 4")
    assert page.inner_text("#verdict") == "Lulus"
    assert "Jawaban benar" in page.content()


@pytest.mark.browser
def test_author_adds_answer_rows_in_the_question_editor(live_server, page, browser_login):
    """Issue 22, rough edge 8: a multiple-choice question is not limited to three rows per save."""
    from app.quizzes.models import Question
    from tests.factories import make_course

    with live_server.app.app_context():
        instructor = db.session.scalar(select(User).where(User.username == "instruktur"))
        course_id = make_course(instructor, title="Bank Soal Peramban").id
        db.session.commit()
    browser_login("instruktur")
    page.goto(f"/kursus/{course_id}/bank-soal/baru/multichoice")
    page.fill("input[name=name]", "Nilai dasar (peramban)")
    page.fill("textarea[name=text]", "Mana yang termasuk BerAKHLAK?")
    assert page.locator("input[name$='_text'][name^='c']").count() == 3
    page.click("button.add-row")
    page.click("button.add-row")
    texts = ["Berorientasi pelayanan", "Akuntabel", "Kompeten", "Harmonis", "Malas"]
    for i, text in enumerate(texts):
        page.fill(f"input[name=c{i}_text]", text)
        page.fill(f"input[name=c{i}_fraction]", "0" if text == "Malas" else "25")
    page.check("input[name=single][value='0']")
    page.click("form.question-editor button[type=submit]:not([name])")
    page.wait_for_url(lambda u: "/baru/" not in u)
    with live_server.app.app_context():
        q = db.session.scalar(select(Question).where(Question.name == "Nilai dasar (peramban)"))
        assert [c["text"] for c in q.data["choices"]] == texts
        db.session.remove()
