"""Mathematics shows as mathematics: KaTeX, served by the app, renders TeX in questions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db


def test_katex_and_its_fonts_are_served_by_the_app(client):
    js = client.get("/vendor/katex.min.js")
    assert js.status_code == 200 and b"katex" in js.data[:2000].lower()
    css = client.get("/vendor/katex.min.css")
    assert css.status_code == 200 and b"fonts/KaTeX_Main-Regular.woff2" in css.data
    font = client.get("/vendor/fonts/KaTeX_Main-Regular.woff2")
    assert font.status_code == 200 and font.mimetype == "font/woff2"
    assert client.get("/vendor/fonts/..%2Fkatex.min.js").status_code == 404
    assert client.get("/vendor/nope/KaTeX_Main-Regular.woff2").status_code == 404
    assert client.get("/vendor/katex-auto-render.min.js").status_code == 200
    page = client.get("/masuk")
    assert b"math.js" in page.data  # every page carries the loader; it fetches KaTeX only when needed


@pytest.mark.browser
def test_tex_in_question_choices_and_feedback_renders(live_server, page, browser_login):
    from app.quizzes import operations as ops
    from tests.factories import make_course

    gift = ("::m1::Hitung \\\\(x^2\\\\) untuk x = 3.{=\\\\(9\\\\) ~\\\\(6\\\\)}\n\n"
            "::m2::Rumus $$\\\\frac\\{a\\}\\{b\\}$$ tampil sebagai pecahan.{T}")
    with live_server.app.app_context():
        peserta = db.session.scalar(select(User).where(User.username == "peserta"))
        course = make_course(None, title="Kuis Matematika", activities=[{"type": "quiz", "title": "Kuis TeX"}])
        questions, _ = ops.import_questions(course, gift, "gift", category="TeX")
        assert "\\(x^2\\)" in questions[0].text
        quiz = ops.get_or_create_quiz(course.sections[0].activities[0])
        ops.set_slots(quiz, question_ids=[q.id for q in questions])
        from app.courses.operations import enrol

        enrol(course, peserta)
        db.session.commit()
        quiz_id = quiz.id
        db.session.remove()

    page.set_viewport_size({"width": 390, "height": 844})
    browser_login("peserta")
    page.goto(f"/kuis/{quiz_id}")
    page.click("text=Mulai kuis")
    page.wait_for_url("**/percobaan/*")
    page.wait_for_selector("html[data-math=rendered]")
    assert page.locator(".question .katex").count() >= 3  # the stem and both choices of m1
    assert page.locator(".question .katex-display .mfrac").count() == 1  # $$…$$ in m2, as a fraction
