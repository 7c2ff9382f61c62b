"""The quiz's hot paths (issue 23) stay flat: the attempt page's statements do not grow with the
number of questions or saved answers, and the autosave is the token's statement plus two (the
attempt's lock with the question, one upsert of the answer), whether it creates the answer or
replaces it. What they store and show stays exact."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.quizzes import operations as ops
from app.quizzes.models import AttemptAnswer
from tests.counting import counted
from tests.quizzes_fixtures import MIXED_GIFT, even_markup, make_quiz, right_responses


def _gift(copies: int) -> str:
    """MIXED_GIFT `copies` times over, each copy's questions with names of their own."""
    return "\n\n".join(re.sub(r"^::(\w+)::", rf"::\g<1>{i or ''}::", MIXED_GIFT, flags=re.M) for i in range(copies))


def _started(owner, learner, copies: int, **settings):
    quiz, questions = make_quiz(owner, learner, gift=_gift(copies), **settings)
    attempt = ops.start_attempt(quiz, learner)
    db.session.commit()
    return quiz, questions, attempt


def test_attempt_page_statements_do_not_grow_with_questions_or_answers(client, org, login):
    _q1, small_qs, small = _started(org.instructor, org.learner_a1, 1)
    _q2, big_qs, big = _started(org.instructor, org.learner_a1, 5)
    assert len(big.layout) == 5 * len(small.layout)
    # half of the big attempt's questions answered: their responses are read with the questions
    for qid, response in list(right_responses(big_qs, big).items())[::2]:
        ops.save_answer(big.id, qid, response, org.learner_a1)
    db.session.commit()
    small_id, big_id, n_questions = small.id, big.id, len(big.layout)
    login(org.learner_a1)
    for url in (f"/percobaan/{small_id}", f"/percobaan/{big_id}"):  # warm up
        counted(client, url)
    resp_small, n_small = counted(client, f"/percobaan/{small_id}")
    resp_big, n_big = counted(client, f"/percobaan/{big_id}")
    assert resp_small.status_code == resp_big.status_code == 200
    assert n_small == n_big, (n_small, n_big)
    assert n_big <= 3
    assert resp_big.get_data(as_text=True).count('class="question card"') == n_questions


@pytest.mark.parametrize("copies", [1, 4])
def test_autosave_is_two_statements_after_the_token_and_stores_what_it_acknowledged(client, org, auth, copies):
    _quiz, questions, attempt = _started(org.instructor, org.learner_a1, copies)
    headers = auth(org.learner_a1)
    rights = right_responses(questions, client.get(f"/api/v1/attempts/{attempt.id}", headers=headers).json)
    attempt_id = attempt.id
    counts = []
    for qid, response in rights.items():
        for _replay in range(2):  # the first save creates the answer, the replay replaces it with itself
            resp, n = counted(client, f"/api/v1/attempts/{attempt_id}/answers/{qid}", "PUT", headers=headers,
                              json={"response": response})
            assert resp.status_code == 200, resp.json
            assert resp.json["question_id"] == qid and resp.json["saved_at"]
            counts.append(n)
    assert set(counts) == {3}, counts  # token, lock with the question, upsert
    stored = dict(db.session.execute(select(AttemptAnswer.question_id, AttemptAnswer.response).where(
        AttemptAnswer.attempt_id == attempt_id)).all())
    assert len(stored) == len(rights)
    # each is stored in the question's own ids, as acknowledged: the attempt grades to full marks
    resp = client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers)
    assert resp.status_code == 200 and resp.json["percent"] == 100.0, resp.json


def test_autosave_refusals_are_unchanged(client, org, auth):
    _quiz, questions, attempt = _started(org.instructor, org.learner_a1, 1, time_limit_minutes=5)
    headers = auth(org.learner_a1)
    other = auth(org.learner_b)
    mc = questions["mc"]
    url = f"/api/v1/attempts/{attempt.id}/answers/{mc.id}"
    # someone else's attempt is not revealed; a question not in the attempt is not found
    assert client.put(url, headers=other, json={"response": None}).status_code == 404
    assert client.put(f"/api/v1/attempts/{attempt.id}/answers/999999", headers=headers,
                      json={"response": None}).status_code == 404
    assert client.put(f"/api/v1/attempts/999999/answers/{mc.id}", headers=headers,
                      json={"response": None}).status_code == 404
    # a choice the attempt did not show is a 400 and nothing is stored
    assert client.put(url, headers=headers, json={"response": "bukan-pilihan"}).status_code == 400
    assert db.session.scalar(select(AttemptAnswer.id).where(AttemptAnswer.attempt_id == attempt.id)) is None
    # after the deadline: 409, and the earlier answer stays as it was
    assert client.put(url, headers=headers, json={"response": None}).status_code == 200
    from datetime import timedelta

    from app.accounts.models import utcnow
    from app.quizzes.models import Attempt

    db.session.get(Attempt, attempt.id).deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = client.put(url, headers=headers, json={"response": right_responses(questions, attempt)[mc.id]})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "deadline_passed"
    assert db.session.scalar(select(AttemptAnswer.response).where(AttemptAnswer.attempt_id == attempt.id)) is None
    # once submitted: 409 attempt_closed
    db.session.get(Attempt, attempt.id).deadline = None
    db.session.commit()
    assert client.post(f"/api/v1/attempts/{attempt.id}/submit", headers=headers).status_code == 200
    resp = client.put(url, headers=headers, json={"response": None})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "attempt_closed"


def test_a_checked_answer_is_not_overwritten_by_an_autosave(client, org, auth):
    _quiz, questions, attempt = _started(org.instructor, org.learner_a1, 1, behaviour="interactive")
    headers = auth(org.learner_a1)
    tf = questions["tf"]
    url = f"/api/v1/attempts/{attempt.id}/answers/{tf.id}"
    assert client.put(url, headers=headers, json={"response": False}).status_code == 200
    assert client.post(url + "/check", headers=headers).status_code == 200  # one try only: done
    resp = client.put(url, headers=headers, json={"response": True})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "answer_checked", resp.json
    assert db.session.scalar(select(AttemptAnswer.response).where(
        AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.question_id == tf.id)) is False
    # the other answers still save
    sa = questions["sa"]
    assert client.put(f"/api/v1/attempts/{attempt.id}/answers/{sa.id}", headers=headers,
                      json={"response": "Jakarta"}).status_code == 200


def test_questions_written_in_python_are_the_templates_markup(client, org, login, monkeypatch):
    """app/quizzes/render.py writes the commonest types' questions; the page is the same as the
    templates would draw it, answers (escaped) included."""
    from app.quizzes import render

    gift = MIXED_GIFT + "\n::units::Panjang?{#2:0.1}\n"
    quiz, questions = make_quiz(org.instructor, org.learner_a1, gift=gift)
    attempt = ops.start_attempt(quiz, org.learner_a1)
    db.session.commit()
    responses = right_responses(questions, attempt)
    responses[questions["sa"].id] = 'a<b>&"\' Jakarta'
    for qid, response in responses.items():
        ops.save_answer(attempt.id, qid, response, org.learner_a1)
    db.session.commit()
    url = f"/percobaan/{attempt.id}"
    login(org.learner_a1)
    fast = client.get(url).get_data(as_text=True)
    assert fast.count("<fieldset") == len(questions) and "a&lt;b&gt;&amp;&#34;&#39; Jakarta" in fast
    monkeypatch.setattr(render, "attach_html", lambda items: None)
    drawn = client.get(url).get_data(as_text=True)
    assert even_markup(fast) == even_markup(drawn)
    assert " checked>" in even_markup(fast) and " selected>" in even_markup(fast)


def test_quiz_activity_page_statements_do_not_grow_with_attempts(client, org, login):
    from app.accounts.models import User
    from app.quizzes.models import Question, Quiz

    quiz, questions = make_quiz(org.instructor, org.learner_a1)
    quiz_id, activity_id, learner_id = quiz.id, quiz.activity_id, org.learner_a1.id
    question_ids = [q.id for q in questions.values()]
    login(org.learner_a1)
    counts = []
    for _round in range(3):
        learner, quiz = db.session.get(User, learner_id), db.session.get(Quiz, quiz_id)
        qs = {q.name: q for q in db.session.scalars(select(Question).where(Question.id.in_(question_ids)))}
        attempt = ops.start_attempt(quiz, learner)
        for qid, response in right_responses(qs, attempt).items():
            ops.save_answer(attempt.id, qid, response, learner)
        ops.submit_attempt(attempt.id, learner)
        db.session.commit()
        counted(client, f"/aktivitas/{activity_id}")  # warm up (the worker's copy of the course)
        resp, n = counted(client, f"/aktivitas/{activity_id}")
        assert resp.status_code == 200
        counts.append(n)
    assert len(set(counts)) == 1, counts
    assert resp.get_data(as_text=True).count("/tinjau") == 3  # each finished attempt's review link
