"""Builders shared by the quiz tests: a course with a quiz activity and a small mixed bank."""

from __future__ import annotations

import re
from pathlib import Path

from app.extensions import db
from app.quizzes import operations as ops
from tests.factories import enrol_all, make_course

FIXTURES = Path(__file__).parent / "fixtures" / "quizzes"

MIXED_GIFT = """
::mc::Pilih yang benar.{=Benar ~Salah1 ~Salah2}

::tf::Langit biru.{T}

::sa::Ibukota Indonesia?{=Jakarta =%50%Nusantara}

::num::Dua tambah dua?{#4:0.5}

::match::Pasangkan.{=Satu -> 1 =Dua -> 2 =Tiga -> 3}

::multi::Pilih dua.{~%50%A ~%50%B ~%-100%C}
"""


#: One Moodle XML question of every type the attempt page draws, `{i}` numbering each copy:
#: multiple choice, true/false, short answer, numerical with units, matching, essay, select missing
#: words, drag and drop, ordering, cloze, calculated simple (bench/bench_quiz_types.py's bank, which
#: gives its multiple choice a picture).
EVERY_TYPE_TEMPLATES = [
    '<question type="multichoice"><name><text>mc{i}</text></name><questiontext format="html"><text><![CDATA['
    '<p>Soal {i}</p>]]></text></questiontext><single>true</single>'
    '<answer fraction="100"><text>benar</text></answer><answer fraction="0"><text>salah</text></answer>'
    '<answer fraction="0"><text>keliru</text></answer></question>',
    '<question type="truefalse"><name><text>tf{i}</text></name><questiontext><text>Benar {i}?</text>'
    '</questiontext><answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text>'
    '</answer></question>',
    '<question type="shortanswer"><name><text>sa{i}</text></name><questiontext><text>Isian {i}?</text>'
    '</questiontext><answer fraction="100"><text>jawab{i}</text></answer></question>',
    '<question type="numerical"><name><text>num{i}</text></name><questiontext><text>Angka {i}?</text>'
    '</questiontext><answer fraction="100"><text>{i}</text><tolerance>0.5</tolerance></answer>'
    '<units><unit><multiplier>1</multiplier><unit_name>m</unit_name></unit></units></question>',
    '<question type="match"><name><text>ma{i}</text></name><questiontext><text>Jodoh {i}</text></questiontext>'
    '<subquestion><text>a</text><answer><text>1</text></answer></subquestion>'
    '<subquestion><text>b</text><answer><text>2</text></answer></subquestion></question>',
    '<question type="essay"><name><text>es{i}</text></name><questiontext><text>Esai {i}</text></questiontext>'
    '<responseformat>editor</responseformat><responsetemplate><text>Mulai</text></responsetemplate></question>',
    '<question type="gapselect"><name><text>gs{i}</text></name><questiontext><text>[[1]] dan [[2]] {i}</text>'
    '</questiontext><selectoption><text>x</text><group>1</group></selectoption><selectoption><text>y</text>'
    '<group>1</group></selectoption></question>',
    '<question type="ddwtos"><name><text>dd{i}</text></name><questiontext><text>[[1]] lalu [[2]] {i}</text>'
    '</questiontext><dragbox><text>x</text><group>1</group></dragbox><dragbox><text>y</text><group>1</group>'
    '</dragbox></question>',
    '<question type="ordering"><name><text>or{i}</text></name><questiontext><text>Urut {i}</text></questiontext>'
    '<answer fraction="1"><text>satu</text></answer><answer fraction="2"><text>dua</text></answer>'
    '<answer fraction="3"><text>tiga</text></answer></question>',
    '<question type="cloze"><name><text>cz{i}</text></name><questiontext><text>Ibukota {{1:SHORTANSWER:=Jakarta}}'
    ' dan {{1:MULTICHOICE:=a~b}} {i}</text></questiontext></question>',
    # calculated simple: the items (10) are generated on import, one is drawn per attempt
    '<question type="calculatedsimple"><name><text>calc{i}</text></name><questiontext><text>Berapa {{a}} kali '
    '{{b}} m? ({i})</text></questiontext><answer fraction="100"><text>{{a}} * {{b}}</text><tolerance>0.01'
    '</tolerance><tolerancetype>1</tolerancetype><correctanswerformat>1</correctanswerformat>'
    '<correctanswerlength>2</correctanswerlength></answer><units><unit><multiplier>1</multiplier>'
    '<unit_name>m</unit_name></unit></units><dataset_definitions>'
    + "".join('<dataset_definition><status><text>private</text></status><name><text>' + w + '</text></name>'
              '<distribution><text>uniform</text></distribution><minimum><text>1</text></minimum><maximum>'
              '<text>10</text></maximum><decimals><text>1</text></decimals><itemcount>0</itemcount>'
              '</dataset_definition>' for w in "ab")
    + '</dataset_definitions></question>',
]


def every_type_bank_xml(n: int, templates: list[str] = EVERY_TYPE_TEMPLATES, category: str = "Uji") -> bytes:
    """A Moodle XML bank of `n` questions cycling through `templates` (formatted with the question's
    number `i` and `k`, a picture's number that repeats every 50)."""
    body = "".join(templates[i % len(templates)].format(i=i, k=i % 50) for i in range(n))
    return ('<?xml version="1.0" encoding="UTF-8"?><quiz><question type="category"><category><text>'
            f'$course$/top/{category}</text></category></question>' + body + "</quiz>").encode()


def make_quiz(owner, *learners, gift: str = MIXED_GIFT, **settings):
    """A course (owned by `owner`) with one required quiz activity holding the GIFT questions."""
    course = make_course(owner, activities=[{"type": "quiz", "title": "Kuis akhir"}])
    activity = course.sections[0].activities[0]
    questions, _ = ops.import_questions(course, gift, "gift", category="Kuis akhir")
    quiz = ops.get_or_create_quiz(activity)
    ops.update_quiz(quiz, **{"pass_percent": 70, **settings})
    ops.set_slots(quiz, question_ids=[q.id for q in questions])
    enrol_all(course, *learners)
    db.session.commit()
    return quiz, {q.name: q for q in questions}


def shown_ids(attempt, question_id: int) -> dict[str, str]:
    """{own id: the id this attempt shows} for one question (cloze: "field:choice" -> shown id)."""
    entry = next(e for e in attempt.layout if e["q"] == question_id)
    return {own: token.split(":", 1)[-1] for own, token in entry.get("ids", {}).items()}


def shown(attempt, questions, responses: dict) -> dict:
    """Responses in the questions' own ids as the attempt's page shows them (each attempt shows
    its own random ids, so a response must be written with them)."""
    from app.quizzes.queries import shown_response

    by_id = {q.id: q for q in (questions.values() if isinstance(questions, dict) else questions)}
    return {qid: shown_response(attempt, by_id[qid], r) for qid, r in responses.items()}


def right_responses(questions: dict, attempt=None) -> dict:
    """qid -> a fully right response, for the MIXED_GIFT questions (written with the attempt's
    shown ids when an attempt, or its API body, is given)."""
    out = _right_responses(questions)
    if attempt is None:
        return out
    if isinstance(attempt, dict):  # the API's attempt body
        from app.extensions import db
        from app.quizzes.models import Attempt

        attempt = db.session.get(Attempt, attempt["id"])
    return shown(attempt, questions, out)


def _right_responses(questions: dict) -> dict:
    from app.quizzes.grading import matching_choices

    out = {}
    for q in questions.values():
        if q.type == "multichoice" and q.data["single"]:
            out[q.id] = next(c["id"] for c in q.data["choices"] if c["fraction"] == 1)
        elif q.type == "multichoice":
            out[q.id] = [c["id"] for c in q.data["choices"] if c["fraction"] > 0]
        elif q.type == "truefalse":
            out[q.id] = q.data["answer"]
        elif q.type == "shortanswer":
            out[q.id] = q.data["answers"][0]["text"].upper()
        elif q.type == "numerical":
            out[q.id] = q.data["answers"][0]["value"]
        elif q.type == "matching":
            ids = {c["text"]: c["id"] for c in matching_choices(q.data)}
            out[q.id] = {p["id"]: ids[p["answer"]] for p in q.data["pairs"]}
    return out


def right_response(q) -> object:
    """A fully right response to one question, as the API takes it (the benchmarks and the load day)."""
    from app.quizzes.grading import matching_choices

    if q.type == "multichoice" and q.data["single"]:
        return next(c["id"] for c in q.data["choices"] if c["fraction"] == 1)
    if q.type == "multichoice":
        return [c["id"] for c in q.data["choices"] if c["fraction"] > 0]
    if q.type == "truefalse":
        return q.data["answer"]
    if q.type == "shortanswer":
        return q.data["answers"][0]["text"]
    if q.type == "numerical":
        return q.data["answers"][0]["value"]
    ids = {c["text"]: c["id"] for c in matching_choices(q.data)}
    return {p["id"]: ids[p["answer"]] for p in q.data["pairs"]}


def choice_texts(q) -> dict[str, str]:
    """{own choice id: its text}: an HTTP client finds a choice's shown id by its text, since each
    attempt shows its own random ids (the questions' ids would give answers away)."""
    from app.quizzes.grading import matching_choices

    if q.type == "multichoice":
        return {c["id"]: c["text"] for c in q.data["choices"]}
    if q.type == "matching":
        return {c["id"]: c["text"] for c in matching_choices(q.data)}
    return {}


def as_shown(api_question: dict, response, texts: dict[str, str]):
    """A response in own ids, written with the ids the attempt (its API body) shows."""
    if not texts:
        return response
    by_text = {c["text"]: c["id"] for c in api_question.get("choices", [])}

    def to(own: str) -> str:
        return by_text[texts[own]]

    if isinstance(response, str):
        return to(response)
    if isinstance(response, list):
        return [to(x) for x in response]
    if isinstance(response, dict):
        return {k: to(v) for k, v in response.items()}
    return response


def even_markup(html: str) -> str:
    """A page's markup with the whitespace between and inside tags that a browser ignores evened out."""
    html = re.sub(r'name="csrf[-_]token"[^>]*>|data-now="[^"]*"', "", html)
    return re.sub(r"\s+>", ">", re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)))
