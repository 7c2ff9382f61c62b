"""The quiz attempt page (issue 23) with every question type: its statements do not grow with the
number of questions, saved answers or checked tries, and what it keeps per worker (the page's
words, its navigation and messages, the deadline's text) changes nothing it shows, in either
language, nor hides an author's edit. Saved responses come back exactly (PostgreSQL reads the JSON
columns as text)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from app.accounts.models import utcnow
from app.accounts.operations import update_user
from app.extensions import db
from app.quizzes import operations as ops
from app.quizzes.models import Attempt, Question
from tests.counting import counted
from tests.factories import enrol_all, make_course
from tests.quizzes_fixtures import EVERY_TYPE_TEMPLATES, even_markup, every_type_bank_xml, make_quiz

TYPES = len(EVERY_TYPE_TEMPLATES)


def _every_type_quiz(owner, learner, n: int, **settings):
    course = make_course(owner, activities=[{"type": "quiz", "title": "Kuis <semua> & jenis"}])
    activity = course.sections[0].activities[0]
    questions = ops.import_bank(course, every_type_bank_xml(n), "xml").questions
    quiz = ops.get_or_create_quiz(activity)
    ops.update_quiz(quiz, **{"pass_percent": 70, "time_limit_minutes": 60, **settings})
    ops.set_slots(quiz, question_ids=[q.id for q in questions])
    enrol_all(course, learner)
    attempt = ops.start_attempt(quiz, learner)
    db.session.commit()
    return attempt.id


def _answer_some(client, headers: dict, attempt_id: int, every: int, check: bool = False) -> int:
    """Save an answer (through the API, in the attempt's shown ids) to every `every`-th question
    whose type takes a simple one, text with markup and quotes included; check some if asked."""
    body = client.get(f"/api/v1/attempts/{attempt_id}", headers=headers).json
    saved = 0
    for i, q in enumerate(body["questions"]):
        if i % every:
            continue
        response = None
        if q["type"] == "multichoice" and q.get("choices"):
            response = [q["choices"][-1]["id"]] if q.get("multiple") else q["choices"][-1]["id"]
        elif q["type"] == "truefalse":
            response = i % 2 == 0
        elif q["type"] == "shortanswer":
            response = f'<b>{i}</b> & "kutip" \'satu\''
        elif q["type"] in ("numerical", "calculatedsimple"):
            response = "2.5 m"
        elif q["type"] == "matching":
            response = {q["stems"][0]["id"]: q["choices"][0]["id"]}
        if response is None:
            continue
        url = f"/api/v1/attempts/{attempt_id}/answers/{q['id']}"
        assert client.put(url, headers=headers, json={"response": response}).status_code == 200
        saved += 1
        if check and saved % 2:
            assert client.post(url + "/check", headers=headers).status_code == 200
    return saved


@pytest.mark.parametrize("behaviour", ["deferredfeedback", "interactive"])
def test_attempt_page_statements_do_not_grow_with_questions_of_every_type(client, org, login, auth, behaviour):
    small = _every_type_quiz(org.instructor, org.learner_a1, TYPES, behaviour=behaviour)
    big = _every_type_quiz(org.instructor, org.learner_a1, 3 * TYPES, behaviour=behaviour)
    paged = _every_type_quiz(org.instructor, org.learner_a1, 3 * TYPES, behaviour=behaviour, questions_per_page=5)
    headers = auth(org.learner_a1)
    assert _answer_some(client, headers, big, 2, check=behaviour == "interactive") >= 6
    _answer_some(client, headers, paged, 3, check=behaviour == "interactive")
    login(org.learner_a1)
    urls = [f"/percobaan/{small}", f"/percobaan/{big}", f"/percobaan/{paged}?hal=2", f"/percobaan/{paged}?hal=7"]
    for url in urls:
        counted(client, url)  # warm up: templates compiled, the worker's kept parts made
    counts = []
    for url in urls:
        resp, n = counted(client, url)
        assert resp.status_code == 200, url
        counts.append(n)
    assert len(set(counts)) == 1 and counts[0] <= 3, counts
    html = client.get(f"/percobaan/{big}").get_data(as_text=True)
    assert html.count('class="question card"') == 3 * TYPES


def _get(client, url: str, headers: dict | None = None):
    """A request as a worker serves it: the test client shares the test's app context and its `g`,
    where Flask-Babel keeps the locale it chose for the first request."""
    g.pop("_flask_babel", None)
    g.pop("_lentera_translations", None)
    return client.get(url, headers=headers)


def _page(html: str) -> str:
    """The page without what differs between two requests whatever is kept (the time of the
    request, the CSRF token)."""
    html = re.sub(r'data-now="[^"]*"', "", html)
    return re.sub(r'(name="csrf_token" value|name="csrf-token" content)="[^"]*"', "", html)


@pytest.mark.parametrize("behaviour", ["deferredfeedback", "interactive"])
def test_attempt_page_is_what_its_templates_draw_without_anything_kept(client, app, org, login, auth, monkeypatch,
                                                                         behaviour):
    """Byte for byte, in both languages: the page as served (questions written in Python, the
    words, navigation, messages and deadline kept per worker) and as the templates draw it afresh."""
    from app.quizzes import render

    attempt_id = _every_type_quiz(org.instructor, org.learner_a1, 2 * TYPES, behaviour=behaviour,
                                  questions_per_page=8)
    _answer_some(client, auth(org.learner_a1), attempt_id, 2, check=behaviour == "interactive")
    login(org.learner_a1)
    urls = [f"/percobaan/{attempt_id}{query}" for query in ("", "?hal=2", "?hal=3", "?lang=en", "?hal=2&lang=en")]
    served = {}
    for url in urls:
        _get(client, url)  # the first request of a worker makes what it keeps
        served[url] = _get(client, url).get_data(as_text=True)
    assert re.search(r"value=\"&lt;b&gt;\d+&lt;/b&gt; &amp; &#34;kutip&#34; &#39;satu&#39;\"", served[urls[0]])
    assert "Halaman 2 dari 3" in served[urls[1]] and "Page 2 of 3" in served[urls[4]]
    # nothing kept: words translated, the deadline formatted and every block rendered afresh
    monkeypatch.setattr(render, "texts", render.Texts)
    monkeypatch.setattr(render, "word", lambda msgid: str(render._(msgid)))
    monkeypatch.setattr(render, "deadline_text", lambda deadline: app.jinja_env.filters["localdt"](deadline))
    app.config["TEMPLATES_AUTO_RELOAD"] = True  # no samefor block kept
    try:
        for url in urls:
            assert _page(_get(client, url).get_data(as_text=True)) == _page(served[url]), url
        # and every question drawn by its template: the same markup (app/quizzes/render.py writes
        # the commonest types with the white space between tags of its own)
        monkeypatch.setattr(render, "attach_html", lambda items: None)
        for url in urls:
            assert even_markup(_get(client, url).get_data(as_text=True)) == even_markup(served[url]), url
    finally:
        app.config["TEMPLATES_AUTO_RELOAD"] = False


def test_deadline_follows_the_readers_language_and_time_zone(client, org, login):
    quiz, _questions = make_quiz(org.instructor, org.learner_a1, time_limit_minutes=30)
    attempt = ops.start_attempt(quiz, org.learner_a1)
    deadline = utcnow().replace(microsecond=0) + timedelta(days=1, hours=3)
    attempt.deadline = deadline
    update_user(org.learner_a1, timezone="Asia/Jakarta")
    db.session.commit()
    url = f"/percobaan/{attempt.id}"
    login(org.learner_a1)

    def countdown(query: str = "") -> str:
        return re.search(r'<strong id="countdown">([^<]*)</strong>', _get(client, url + query).get_data(as_text=True))[1]

    from babel.dates import format_datetime
    from pytz import timezone, utc

    def expected(zone: str, locale: str) -> str:
        return format_datetime(utc.localize(deadline), "medium", tzinfo=timezone(zone), locale=locale)

    assert countdown() == countdown() == expected("Asia/Jakarta", "id")
    assert countdown("?lang=en") == expected("Asia/Jakarta", "en")
    update_user(org.learner_a1, timezone="Asia/Jayapura")  # two hours later on the clock
    db.session.commit()
    assert countdown() == expected("Asia/Jayapura", "id") != expected("Asia/Jakarta", "id")


def test_true_false_choices_in_the_readers_language(client, org, auth):
    quiz, _questions = make_quiz(org.instructor, org.learner_a1)
    attempt = ops.start_attempt(quiz, org.learner_a1)
    db.session.commit()
    headers = auth(org.learner_a1)
    for query, words in (("", ["Benar", "Salah"]), ("?lang=en", ["True", "False"]), ("", ["Benar", "Salah"])):
        body = _get(client, f"/api/v1/attempts/{attempt.id}{query}", headers).json
        tf = next(q for q in body["questions"] if q["type"] == "truefalse")
        assert [c["text"] for c in tf["choices"]] == words


def test_saved_responses_come_back_exactly(client, org, auth):
    """Numbers keep every digit, text its markup and quotes, choices their shown ids."""
    quiz, questions = make_quiz(org.instructor, org.learner_a1)
    attempt = ops.start_attempt(quiz, org.learner_a1)
    db.session.commit()
    headers = auth(org.learner_a1)
    url = f"/api/v1/attempts/{attempt.id}"
    body = client.get(url, headers=headers).json
    by_type = {q["type"]: q for q in body["questions"]}
    multi = next(q for q in body["questions"] if q.get("multiple"))
    sent = {by_type["numerical"]["id"]: 0.1 + 0.2, by_type["shortanswer"]["id"]: 'Ja<b>"karta\'\\ ü',
            by_type["truefalse"]["id"]: False, multi["id"]: [c["id"] for c in multi["choices"][:2]],
            by_type["matching"]["id"]: {s["id"]: by_type["matching"]["choices"][0]["id"]
                                        for s in by_type["matching"]["stems"]}}
    for qid, response in sent.items():
        assert client.put(f"{url}/answers/{qid}", headers=headers, json={"response": response}).status_code == 200
    got = {q["id"]: q.get("response") for q in client.get(url, headers=headers).json["questions"]}
    got[multi["id"]].sort()  # several choices are stored in the question's order
    sent[multi["id"]].sort()
    for qid, response in sent.items():
        assert got[qid] == response and type(got[qid]) is type(response), (qid, got[qid], response)


def test_an_edited_question_shows_in_another_worker_on_the_next_request(client, org, login, second_app):
    quiz, questions = make_quiz(org.instructor, org.learner_a1)
    attempt = ops.start_attempt(quiz, org.learner_a1)
    db.session.commit()
    url = f"/percobaan/{attempt.id}"
    other = second_app.test_client()
    other.post("/masuk", data={"username": org.learner_a1.username, "password": "rahasia123"})
    login(org.learner_a1)
    for c in (client, other):
        c.get(url)
        assert "Langit biru." in c.get(url).get_data(as_text=True)
    q = db.session.get(Question, questions["tf"].id)
    ops.save_question(quiz.course, qtype=q.type, name=q.name, text="Langit <em>jingga</em> sore ini.",
                      data=dict(q.data), question=q)
    db.session.commit()
    for c in (client, other):
        html = c.get(url).get_data(as_text=True)
        assert "Langit <em>jingga</em> sore ini." in html and "Langit biru." not in html
    assert db.session.scalar(select(Attempt.state).where(Attempt.id == attempt.id)) == "open"
