"""Moodle's "interactive with multiple tries" behaviour: a quiz setting; each question has a
"Periksa" button; a wrong try shows its feedback and the next hint (with the number of right
parts and wrong parts cleared when the hint says so); tries = hints + 1; the mark loses the
question's penalty per earlier wrong try; the state survives a reload; without JavaScript (a
POST per check) and through the API. "Umpan balik ditunda" stays the default."""

from __future__ import annotations

import re

import lxml.html
import pytest
from sqlalchemy import select

from app.errors import RuleViolation
from app.extensions import db
from app.quizzes import operations as ops
from app.quizzes.models import Attempt, AttemptAnswer
from tests.factories import enrol_all, make_course
from tests.quizzes_fixtures import shown_ids

XML = b"""<?xml version="1.0" encoding="UTF-8"?><quiz>
<question type="multichoice"><name><text>multi</text></name>
  <questiontext format="html"><text>Pilih dua nilai dasar ASN.</text></questiontext>
  <defaultgrade>3</defaultgrade><penalty>0.25</penalty><single>false</single><shuffleanswers>0</shuffleanswers>
  <answer fraction="50"><text>Akuntabel</text><feedback><text>Ya, akuntabel.</text></feedback></answer>
  <answer fraction="50"><text>Kompeten</text></answer>
  <answer fraction="-100"><text>Koruptif</text><feedback><text>Bukan!</text></feedback></answer>
  <answer fraction="0"><text>Malas</text></answer>
  <hint format="html"><text>Ingat BerAKHLAK.</text><shownumcorrect/><clearwrong/></hint>
  <hint format="html"><text><![CDATA[<b>A</b> dan <b>K</b><script>alert(1)</script>]]></text></hint>
</question>
<question type="truefalse"><name><text>tf</text></name>
  <questiontext format="html"><text>ASN wajib netral.</text></questiontext>
  <answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>
</question>
<question type="matching"><name><text>match</text></name>
  <questiontext format="html"><text>Pasangkan.</text></questiontext>
  <subquestion><text>BKN</text><answer><text>kepegawaian</text></answer></subquestion>
  <subquestion><text>LAN</text><answer><text>pelatihan</text></answer></subquestion>
  <subquestion><text>BPK</text><answer><text>pemeriksaan</text></answer></subquestion>
  <hint format="html"><text>Lihat nama lembaganya.</text><shownumcorrect/></hint>
</question>
<question type="essay"><name><text>esai</text></name><questiontext format="html"><text>Jelaskan.</text></questiontext></question>
</quiz>"""


def build(org, behaviour="interactive"):
    course = make_course(org.instructor, activities=[{"type": "quiz", "title": "Kuis interaktif"}])
    questions = ops.import_bank(course, XML, "xml").questions
    quiz = ops.get_or_create_quiz(course.sections[0].activities[0])
    ops.update_quiz(quiz, pass_percent=50, behaviour=behaviour)
    ops.set_slots(quiz, question_ids=[q.id for q in questions])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    return quiz, {q.name: q for q in questions}


def by_text(attempt, q) -> dict[str, str]:
    sh = shown_ids(attempt, q.id)
    if q.type == "multichoice":
        return {c["text"]: sh[c["id"]] for c in q.data["choices"]}
    from app.quizzes.qtypes.matching import matching_choices

    return {c["text"]: sh[c["id"]] for c in matching_choices(q.data)}


def test_default_is_deferred_feedback_and_the_setting_page_offers_interactive(client, org, login):
    course = make_course(org.instructor, activities=[{"type": "quiz", "title": "Kuis"}])
    quiz = ops.get_or_create_quiz(course.sections[0].activities[0])
    db.session.commit()
    assert quiz.behaviour == "deferredfeedback"
    login(org.instructor)
    page = client.get(f"/kuis/{quiz.id}/pengaturan").get_data(as_text=True)
    assert "Umpan balik ditunda" in page and "Interaktif dengan beberapa percobaan" in page
    form = {"pass_percent": "70", "max_attempts": "0", "time_limit_minutes": "0", "questions_per_page": "0",
            "review_after": "submit", "behaviour": "interactive"}
    assert client.post(f"/kuis/{quiz.id}/pengaturan", data=form).status_code == 302
    db.session.refresh(quiz)
    assert quiz.behaviour == "interactive"
    assert client.post(f"/kuis/{quiz.id}/pengaturan", data={**form, "behaviour": "adaptive"}).status_code == 422


def test_deferred_quiz_has_no_check_button(client, org, login):
    quiz, qs = build(org, behaviour="deferredfeedback")
    attempt = ops.start_attempt(quiz, org.learner_a1)
    db.session.commit()
    login(org.learner_a1)
    page = client.get(f"/percobaan/{attempt.id}").get_data(as_text=True)
    assert 'name="check"' not in page and "Periksa" not in page


def test_tries_hints_penalty_and_reload_on_the_page_without_javascript(client, org, login):
    quiz, qs = build(org)
    multi, tf = qs["multi"], qs["tf"]
    attempt = ops.start_attempt(quiz, org.learner_a1)
    db.session.commit()
    aid = attempt.id
    t = by_text(attempt, multi)
    login(org.learner_a1)
    page = client.get(f"/percobaan/{aid}").get_data(as_text=True)
    assert page.count('name="check"') == 3  # every auto-marked question; the essay is marked by a person
    assert "Ingat BerAKHLAK" not in page  # a hint shows only after its try
    assert "Sisa 3 percobaan" in page  # 2 hints + 1

    # try 1: one right, one wrong → its feedback, the first hint with the number right
    resp = client.post(f"/percobaan/{aid}", data={f"present-{multi.id}": "1", f"q-{multi.id}": [t["Akuntabel"], t["Koruptif"]],
                                                 "check": str(multi.id), "page": "1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"#soal-{multi.id}")
    page = client.get(f"/percobaan/{aid}").get_data(as_text=True)  # a reload shows the same state
    doc = lxml.html.fromstring(page)
    box = doc.get_element_by_id(f"periksa-{multi.id}").text_content()
    assert "Salah" in box and "Bukan!" in box and "Ingat BerAKHLAK" in box
    assert "Anda memilih 1 dari 2 jawaban benar" in box
    assert doc.get_element_by_id(f"soal-{multi.id}").xpath(".//fieldset[@disabled]")  # locked until "Coba lagi"
    assert f'name="present-{multi.id}"' not in page
    # the locked answer cannot be changed behind the page's back either
    with pytest.raises(RuleViolation):
        ops.save_answer(aid, multi.id, [t["Akuntabel"], t["Kompeten"]], org.learner_a1)
    db.session.rollback()

    # "Coba lagi": the hint clears the wrong choice
    client.post(f"/percobaan/{aid}", data={"retry": str(multi.id), "page": "1"})
    ans = db.session.scalar(select(AttemptAnswer).where(AttemptAnswer.attempt_id == aid,
                                                        AttemptAnswer.question_id == multi.id))
    db.session.refresh(ans)
    assert ans.response == ["1"]  # Koruptif (own id 3) was cleared
    page = client.get(f"/percobaan/{aid}").get_data(as_text=True)
    assert "Sisa 2 percobaan" in page and "Coba lagi" not in page

    # try 2: still one short → the second hint (sanitised), no count asked for
    client.post(f"/percobaan/{aid}", data={f"present-{multi.id}": "1", f"q-{multi.id}": [t["Akuntabel"], t["Malas"]],
                                          "check": str(multi.id), "page": "1"})
    box = lxml.html.fromstring(client.get(f"/percobaan/{aid}").get_data(as_text=True)).get_element_by_id(
        f"periksa-{multi.id}")
    assert "Sebagian benar" in box.text_content() and box.xpath(".//b") and not box.xpath(".//script")
    client.post(f"/percobaan/{aid}", data={"retry": str(multi.id), "page": "1"})

    # try 3 (the last): right → done, 1 − 2 × 0.25 = 0.5 of 3 marks
    client.post(f"/percobaan/{aid}", data={f"present-{multi.id}": "1", f"q-{multi.id}": [t["Akuntabel"], t["Kompeten"]],
                                          "check": str(multi.id), "page": "1"})
    box = lxml.html.fromstring(client.get(f"/percobaan/{aid}").get_data(as_text=True)).get_element_by_id(
        f"periksa-{multi.id}").text_content()
    assert "Benar" in box and re.search(r"Nilai soal ini: 1,5\d* / 3", box), box
    assert "Periksa" not in box and "Coba lagi" not in box

    # true/false has no hints: one try; right at once keeps its whole mark
    client.post(f"/percobaan/{aid}", data={f"present-{tf.id}": "1", f"q-{tf.id}": "true", "check": str(tf.id), "page": "1"})
    # an empty answer uses no try
    match = qs["match"]
    resp = client.post(f"/percobaan/{aid}", data={"check": str(match.id), "page": "1"}, follow_redirects=True)
    assert "Jawab soal ini dulu" in resp.get_data(as_text=True)
    client.post(f"/percobaan/{aid}", data={"go": "submit"})
    attempt = db.session.get(Attempt, aid)
    db.session.refresh(attempt)
    marks = {a.question_id: a.mark for a in db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == aid))}
    assert attempt.state == "finished"
    assert marks[multi.id] == 1.5 and marks[tf.id] == 1.0 and marks[match.id] == 0.0
    # regrading keeps the penalties
    ops.regrade(quiz)
    db.session.commit()
    assert db.session.get(AttemptAnswer, ans.id).mark == 1.5


def test_through_the_api_with_an_unchecked_change_paying_for_earlier_tries(client, org, auth):
    quiz, qs = build(org)
    match = qs["match"]
    h = auth(org.learner_a1)
    body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h).json
    aid = body["id"]
    api_q = next(q for q in body["questions"] if q["id"] == match.id)
    assert api_q["check"] == {"state": None, "tries": 0, "tries_left": 2, "fraction": None, "mark": None,
                              "feedback": "", "hint": "", "num_right": None}
    t = by_text(db.session.get(Attempt, aid), match)
    stems = {p["stem"]: p["id"] for p in match.data["pairs"]}
    wrong = {stems["BKN"]: t["kepegawaian"], stems["LAN"]: t["pemeriksaan"], stems["BPK"]: t["pelatihan"]}
    assert client.put(f"/api/v1/attempts/{aid}/answers/{match.id}", json={"response": wrong}, headers=h).status_code == 200
    checked = client.post(f"/api/v1/attempts/{aid}/answers/{match.id}/check", headers=h)
    assert checked.status_code == 200, checked.json
    assert checked.json["state"] == "wrong" and checked.json["hint"] == "Lihat nama lembaganya."
    assert checked.json["num_right"] == [1, 3] and checked.json["tries_left"] == 1
    # locked until retry; checking twice is refused
    assert client.put(f"/api/v1/attempts/{aid}/answers/{match.id}", json={"response": wrong},
                      headers=h).json["error"]["code"] == "answer_checked"
    assert client.post(f"/api/v1/attempts/{aid}/answers/{match.id}/check", headers=h).status_code == 422
    retried = client.post(f"/api/v1/attempts/{aid}/answers/{match.id}/retry", headers=h)
    assert retried.json["state"] is None and retried.json["response"] == wrong  # this hint does not clear
    right = {stems["BKN"]: t["kepegawaian"], stems["LAN"]: t["pelatihan"], stems["BPK"]: t["pemeriksaan"]}
    client.put(f"/api/v1/attempts/{aid}/answers/{match.id}", json={"response": right}, headers=h)
    # submitted without checking again: right, less one penalty (Moodle's default 1/3)
    result = client.post(f"/api/v1/attempts/{aid}/submit", headers=h)
    assert result.status_code == 200
    mark = db.session.scalar(select(AttemptAnswer.mark).where(AttemptAnswer.attempt_id == aid,
                                                              AttemptAnswer.question_id == match.id))
    assert mark == round(1 - 0.3333333, 6)
    # a deferred-feedback quiz has nothing to check
    quiz2, qs2 = build(org, behaviour="deferredfeedback")
    b2 = client.post(f"/api/v1/quizzes/{quiz2.id}/attempts", headers=h).json
    assert client.post(f"/api/v1/attempts/{b2['id']}/answers/{qs2['tf'].id}/check",
                       headers=h).json["error"]["code"] == "not_interactive"


@pytest.mark.browser
def test_phone_learner_checks_sees_the_hint_and_tries_again(live_server, page, browser_login):
    from app.accounts.models import User
    from app.courses.operations import enrol

    with live_server.app.app_context():
        peserta = db.session.scalar(select(User).where(User.username == "peserta"))
        course = make_course(None, title="Kuis Interaktif", activities=[{"type": "quiz", "title": "Kuis coba lagi"}])
        xml = b"""<quiz><question type="multichoice"><name><text>nilai</text></name>
          <questiontext format="html"><text>Nilai dasar ASN?</text></questiontext><single>true</single>
          <answer fraction="100"><text>Akuntabel</text></answer><answer fraction="0"><text>Malas</text></answer>
          <hint format="html"><text>Huruf A.</text></hint></question></quiz>"""
        q = ops.import_bank(course, xml, "xml").questions[0]
        quiz = ops.get_or_create_quiz(course.sections[0].activities[0])
        ops.update_quiz(quiz, behaviour="interactive")
        ops.set_slots(quiz, question_ids=[q.id])
        enrol(course, peserta)
        db.session.commit()
        quiz_id, qid = quiz.id, q.id
        db.session.remove()
    page.set_viewport_size({"width": 375, "height": 667})
    browser_login("peserta")
    page.goto(f"/kuis/{quiz_id}")
    page.click("text=Mulai kuis")
    page.wait_for_url("**/percobaan/*")
    page.click("label.choice:has-text('Malas')")
    page.click(f"button[name=check][value='{qid}']")
    page.wait_for_selector("text=Huruf A.")
    assert page.locator(f"#soal-{qid} fieldset[disabled]").count() == 1
    page.reload()  # the state is the server's
    page.wait_for_selector("text=Huruf A.")
    page.click(f"button[name=retry][value='{qid}']")
    page.wait_for_selector(f"button[name=check][value='{qid}']")
    page.click("label.choice:has-text('Akuntabel')")
    page.click(f"button[name=check][value='{qid}']")
    page.wait_for_selector(f"#periksa-{qid} .badge-ok")
    assert "0,6667 / 1" in page.inner_text(f"#periksa-{qid}")  # one wrong try: less Moodle's 1/3 penalty


def _editor_form(client, question_id: int) -> dict:
    """The question editor's fields as the page fills them (what a browser posts unchanged)."""
    page = client.get(f"/bank-soal/soal/{question_id}")
    assert page.status_code == 200
    form = next(f for f in lxml.html.fromstring(page.get_data(as_text=True)).forms if "question-editor" in f.classes)
    return dict(form.form_values())


def test_author_edits_hints_and_penalty_and_saving_keeps_imported_ones(client, org, login):
    _quiz, qs = build(org)
    multi, essay = qs["multi"], qs["esai"]
    login(org.instructor)
    values = _editor_form(client, multi.id)
    assert values["penalty"] == "25" and values["h0_text"] == "Ingat BerAKHLAK."
    assert values.get("h0_num") == "1" and values.get("h0_clear") == "1" and "h1_num" not in values
    # saved as shown: hints and penalty stay as imported (they were dropped by the editor before)
    assert client.post(f"/bank-soal/soal/{multi.id}", data=values).status_code == 302
    db.session.expire_all()
    assert [h["text"] for h in multi.data["hints"]] == ["Ingat BerAKHLAK.", "<b>A</b> dan <b>K</b>"]
    assert multi.data["penalty"] == pytest.approx(0.25)
    # the author changes the penalty ("10,5" as Indonesians write it), rewrites a hint, adds a third
    values.update({"penalty": "10,5", "h1_text": "Huruf A dan K.<script>x()</script>", "h2_text": "Yang ketiga.",
                   "h2_num": "1"})
    assert client.post(f"/bank-soal/soal/{multi.id}", data=values).status_code == 302
    db.session.expire_all()
    assert multi.data["penalty"] == pytest.approx(0.105)
    assert [(h["text"], h["show_num_correct"], h["clear_wrong"]) for h in multi.data["hints"]] == [
        ("Ingat BerAKHLAK.", True, True), ("Huruf A dan K.", False, False), ("Yang ketiga.", True, False)]
    from app.quizzes.operations import tries_of

    assert tries_of(multi) == 4
    # a penalty that is not a percentage is refused by name, nothing saved
    resp = client.post(f"/bank-soal/soal/{multi.id}", data={**values, "penalty": "150"})
    assert resp.status_code == 422 and "Penalti per percobaan salah" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert multi.data["penalty"] == pytest.approx(0.105)
    # an essay is marked by a person: no tries section
    assert "hint_rows" not in _editor_form(client, essay.id)
