"""The quiz pages: the instructor's bank, editor, import, settings, results, essays, statistics;
the learner's quiz page, attempt without JavaScript, and review."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.quizzes.models import Attempt, Question, Quiz
from tests.conftest import count
from tests.factories import make_course
from tests.quizzes_fixtures import FIXTURES, make_quiz


def test_instructor_writes_each_question_type(client, org, login):
    course = make_course(org.instructor)
    db.session.commit()
    login(org.instructor)
    assert client.get(f"/kursus/{course.id}/bank-soal").status_code == 200
    forms = {
        "multichoice": {"rows": "3", "single": "1", "shuffle": "1", "c0_text": "Benar", "c0_fraction": "100",
                        "c0_feedback": "ya", "c1_text": "Salah", "c1_fraction": "0"},
        "truefalse": {"answer": "false", "feedback_true": "keliru"},
        "shortanswer": {"rows": "2", "a0_text": "Jakarta", "a0_fraction": "100", "a1_text": "DKI", "a1_fraction": "50"},
        "numerical": {"rows": "1", "a0_value": "3,14", "a0_tolerance": "0.01", "a0_fraction": "100"},
        "matching": {"rows": "3", "shuffle": "1", "p0_stem": "A", "p0_answer": "1", "p1_stem": "B", "p1_answer": "2",
                     "p2_answer": "3"},
        "essay": {"lines": "8", "grader_info": "isi"},
    }
    for qtype, extra in forms.items():
        assert client.get(f"/kursus/{course.id}/bank-soal/baru/{qtype}").status_code == 200
        resp = client.post(f"/kursus/{course.id}/bank-soal/baru/{qtype}", data={
            "name": f"soal {qtype}", "category": "Bab 1/Latihan", "text": "<p>Teks</p><script>x</script>",
            "default_mark": "1", **extra})
        assert resp.status_code == 302, resp.data.decode()[:3000]
    qs = {q.type: q for q in db.session.scalars(select(Question))}
    assert len(qs) == 6 and qs["multichoice"].text == "<p>Teks</p>"
    assert qs["numerical"].data["answers"][0]["value"] == 3.14
    assert qs["shortanswer"].data["answers"][1]["fraction"] == 0.5
    assert qs["matching"].data["pairs"][2] == {"id": "3", "stem": "", "answer": "3"}
    assert qs["truefalse"].data["answer"] is False
    assert qs["multichoice"].category.path == "Bab 1/Latihan"
    # editing keeps choice ids; a new choice gets a new one
    mc = qs["multichoice"]
    resp = client.post(f"/bank-soal/soal/{mc.id}", data={
        "name": "soal", "category": "Bab 1", "text": "Teks baru", "default_mark": "2", "rows": "3", "single": "1",
        "c0_id": "1", "c0_text": "Benar", "c0_fraction": "100", "c1_id": "2", "c1_text": "Salah", "c1_fraction": "0",
        "c2_text": "Baru", "c2_fraction": "0"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert [c["id"] for c in db.session.get(Question, mc.id).data["choices"]] == ["1", "2", "3"]
    # a question without a right answer is refused with the reason
    bad = client.post(f"/kursus/{course.id}/bank-soal/baru/multichoice", data={
        "text": "x", "default_mark": "1", "rows": "2", "single": "1", "c0_text": "a", "c1_text": "b"})
    assert bad.status_code == 422 and "benar" in bad.data.decode()


def test_import_page_shows_every_bad_line(client, org, login):
    course = make_course(org.instructor)
    db.session.commit()
    login(org.instructor)
    resp = client.post(f"/kursus/{course.id}/bank-soal/impor", data={"text": (FIXTURES / "broken.gift").read_text()})
    assert resp.status_code == 422
    html = resp.data.decode()
    for line in ("<td>5</td>", "<td>7</td>", "<td>9</td>"):
        assert line in html
    assert count(Question) == 0
    ok = client.post(f"/kursus/{course.id}/bank-soal/impor", data={"text": (FIXTURES / "sample.gift").read_text()})
    assert ok.status_code == 302 and count(Question) == 13
    xml = client.get(f"/kursus/{course.id}/bank-soal/ekspor.xml")
    assert xml.status_code == 200 and b"<quiz>" in xml.data


def test_learners_cannot_open_instructor_pages(client, org, login):
    quiz, _ = make_quiz(org.instructor, org.learner_a1)
    login(org.learner_a1)
    for url in (f"/kursus/{quiz.course_id}/bank-soal", f"/kuis/{quiz.id}/pengaturan", f"/kuis/{quiz.id}/hasil",
                f"/kuis/{quiz.id}/esai", f"/kuis/{quiz.id}/statistik", f"/kursus/{quiz.course_id}/bank-soal/impor"):
        assert client.get(url).status_code == 403, url


def test_quiz_settings_page(client, org, login):
    quiz, qs = make_quiz(org.instructor)
    login(org.instructor)
    assert client.get(f"/aktivitas/{quiz.activity_id}/kuis").headers["Location"].endswith(f"/kuis/{quiz.id}/pengaturan")
    page = client.get(f"/kuis/{quiz.id}/pengaturan")
    assert page.status_code == 200 and f"id kuis {quiz.id}" in page.data.decode()
    resp = client.post(f"/kuis/{quiz.id}/pengaturan", data={
        "pass_percent": "60", "max_attempts": "2", "time_limit_minutes": "15", "questions_per_page": "2",
        "shuffle_questions": "y", "review_after": "close", "question": [str(qs["mc"].id), str(qs["tf"].id)],
        "open_at": "2026-01-01T08:00"})
    assert resp.status_code == 302
    db.session.expire_all()
    quiz = db.session.get(Quiz, quiz.id)
    assert (quiz.pass_percent, quiz.max_attempts, quiz.time_limit_minutes, quiz.questions_per_page) == (60, 2, 15, 2)
    assert quiz.shuffle_questions and not quiz.shuffle_choices and quiz.review_after == "close"
    assert quiz.open_at.hour == 1  # 08:00 WIB is 01:00 UTC
    assert [s.question_id for s in quiz.slots] == [qs["mc"].id, qs["tf"].id]


def test_learner_takes_quiz_without_javascript(client, org, login):
    quiz, qs = make_quiz(org.instructor, org.learner_a1, questions_per_page=3, time_limit_minutes=30)
    login(org.learner_a1)
    page = client.get(f"/kuis/{quiz.id}")
    assert page.status_code == 200 and "Mulai kuis" in page.data.decode()
    resp = client.post(f"/kuis/{quiz.id}/mulai")
    attempt = db.session.scalar(select(Attempt))
    assert resp.headers["Location"].endswith(f"/percobaan/{attempt.id}")
    html = client.get(f"/percobaan/{attempt.id}").data.decode()
    assert "countdown" in html and "attempt.js" in html and "<script>" not in html
    first_page = [e["q"] for e in attempt.layout[:3]]
    data = {f"present-{q}": "1" for q in first_page}
    for q in first_page:
        q = db.session.get(Question, q)
        if q.type == "truefalse":
            data[f"q-{q.id}"] = "true"
        elif q.type == "shortanswer":
            data[f"q-{q.id}"] = "jakarta"
        elif q.type == "numerical":
            data[f"q-{q.id}"] = "4"
    resp = client.post(f"/percobaan/{attempt.id}", data={**data, "go": "2"})
    assert resp.headers["Location"].endswith("hal=2")
    resp = client.post(f"/percobaan/{attempt.id}", data={"go": "submit"})
    assert resp.headers["Location"].endswith(f"/percobaan/{attempt.id}/tinjau")
    review = client.get(f"/percobaan/{attempt.id}/tinjau").data.decode()
    assert "Nilai" in review and "Jawaban benar" in review
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).state == "finished"
    # another learner cannot see the review
    client.post("/keluar")
    login(org.learner_b)
    assert client.get(f"/percobaan/{attempt.id}/tinjau").status_code == 404
    assert client.get(f"/percobaan/{attempt.id}").status_code == 404


def test_results_essays_statistics_pages(client, org, login):
    from app.quizzes import operations as ops

    quiz, qs = make_quiz(org.instructor, org.learner_a1, gift="::e::Jelaskan.{}\n\n::t::Benar?{T}")
    att = ops.start_attempt(quiz, org.learner_a1)
    ops.save_answer(att.id, qs["e"].id, "Pendapat saya", org.learner_a1)
    ops.submit_attempt(att.id, org.learner_a1)
    db.session.commit()
    login(org.instructor)
    assert "menunggu nilai esai" in client.get(f"/kuis/{quiz.id}/hasil").data.decode()
    essays = client.get(f"/kuis/{quiz.id}/esai").data.decode()
    assert "Pendapat saya" in essays
    answer_id = next(a.id for a in att.answers if a.question_id == qs["e"].id)
    assert client.post(f"/kuis/{quiz.id}/esai", data={"answer_id": answer_id, "mark": "1", "feedback": "ok"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Attempt, att.id).score == 1.0
    stats = client.get(f"/kuis/{quiz.id}/statistik").data.decode()
    assert "histogram" in stats and "stats.js" in stats and "chart.umd.min.js" in stats
    assert client.post(f"/kuis/{quiz.id}/hasil").status_code == 302


def test_categories_nest_rename_and_refuse_deleting_used(client, org, login):
    from app.quizzes.models import QuestionCategory

    quiz, qs = make_quiz(org.instructor, org.learner_a1)
    login(org.instructor)
    course_id = quiz.course_id
    assert client.post(f"/kursus/{course_id}/bank-soal", data={"cat-path": "Bab 2/Sub A"}).status_code == 302
    sub = db.session.scalar(select(QuestionCategory).where(QuestionCategory.path == "Bab 2/Sub A"))
    assert sub.parent.path == "Bab 2"
    client.post(f"/kursus/{course_id}/bank-soal/kategori/{sub.parent_id}", data={"action": "rename", "path": "Bab Dua"})
    db.session.expire_all()
    assert db.session.get(QuestionCategory, sub.id).path == "Bab Dua/Sub A"
    used = qs["mc"].category
    client.post(f"/kursus/{course_id}/bank-soal/kategori/{used.id}", data={"action": "delete"})
    assert db.session.get(QuestionCategory, used.id) is not None and count(Question) == len(qs)
    client.post(f"/kursus/{course_id}/bank-soal/kategori/{sub.id}", data={"action": "delete"})
    db.session.expire_all()
    assert db.session.get(QuestionCategory, sub.id) is None


def test_number_in_words_is_named_and_not_submitted_over_and_summary_lists_unanswered(client, org, login):
    """Issue 22, rough edge 1: 'dua belas' for a number question names its question and keeps the
    attempt open; the summary before the final submit lists what is still unanswered."""
    quiz, qs = make_quiz(org.instructor, org.learner_a1, questions_per_page=0)
    login(org.learner_a1)
    client.post(f"/kuis/{quiz.id}/mulai")
    attempt = db.session.scalar(select(Attempt))
    numerical = next(db.session.get(Question, e["q"]) for e in attempt.layout
                     if db.session.get(Question, e["q"]).type == "numerical")
    number = next(i for i, e in enumerate(attempt.layout, 1) if e["q"] == numerical.id)
    resp = client.post(f"/percobaan/{attempt.id}", data={f"present-{numerical.id}": "1",
                                                          f"q-{numerical.id}": "dua belas", "go": "submit"},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert f"Soal {number}:" in html and "/tinjau" not in resp.request.path
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).state == "open"  # not submitted over the refused answer

    resp = client.post(f"/percobaan/{attempt.id}", data={"go": "summary"})
    assert resp.headers["Location"].endswith(f"/percobaan/{attempt.id}/ringkasan")
    summary = client.get(f"/percobaan/{attempt.id}/ringkasan").get_data(as_text=True)
    graded = len(attempt.layout)
    assert f"{graded} soal belum dijawab" in summary and summary.count('class="unanswered"') == graded
    assert "Kumpulkan semua dan selesai" in summary
    resp = client.post(f"/percobaan/{attempt.id}", data={f"present-{numerical.id}": "1",
                                                          f"q-{numerical.id}": "12", "go": "summary"})
    summary = client.get(f"/percobaan/{attempt.id}/ringkasan").get_data(as_text=True)
    assert f"{graded - 1} soal belum dijawab" in summary
    assert client.post(f"/percobaan/{attempt.id}", data={"go": "submit"}).headers["Location"].endswith("/tinjau")
