"""The attempt page does not give answers away: every id a learner can read in it (choice values,
field names, tiles) is the attempt's own random id, never the question's id — matching's `c1`
would be stem 1's answer, ordering's ids are the right places, a multiple choice's ids follow
the author's order. The page is parsed as a learner (or a script) would read it. Old attempts,
saved with the questions' own ids, keep showing them and keep their grades."""

from __future__ import annotations

import re

import lxml.html
from sqlalchemy import select

from app.extensions import db
from app.quizzes import operations as ops
from app.quizzes.models import Attempt, AttemptAnswer
from app.quizzes.qtypes.matching import matching_choices
from tests.factories import enrol_all, make_course

GIFT = """
::mc::Asas netralitas berarti?{=tidak memihak ~memihak atasan ~memihak partai ~memihak keluarga}

::match::Pasangkan lembaga dan tugasnya.{
=BKN -> kepegawaian
=LAN -> pelatihan
=KASN -> pengawasan
=BPK -> pemeriksaan
=KPK -> pemberantasan korupsi
}
"""

XML = b"""<?xml version="1.0" encoding="UTF-8"?><quiz>
<question type="ordering"><name><text>urut</text></name>
  <questiontext format="html"><text>Urutkan tahap pengadaan.</text></questiontext>
  <gradingtype>ABSOLUTE_POSITION</gradingtype>
  <answer fraction="1"><text>Rencana</text></answer><answer fraction="2"><text>Persiapan</text></answer>
  <answer fraction="3"><text>Pemilihan</text></answer><answer fraction="4"><text>Kontrak</text></answer>
  <answer fraction="5"><text>Serah terima</text></answer></question>
<question type="gapselect"><name><text>gap</text></name>
  <questiontext format="html"><text><![CDATA[<p>ASN adalah [[1]] publik dan [[2]] bangsa.</p>]]></text></questiontext>
  <shuffleanswers>0</shuffleanswers>
  <selectoption><text>pelayan</text><group>1</group></selectoption>
  <selectoption><text>perekat</text><group>1</group></selectoption>
  <selectoption><text>penguasa</text><group>1</group></selectoption></question>
<question type="ddwtos"><name><text>dd</text></name>
  <questiontext format="html"><text><![CDATA[<p>[[1]] lalu [[2]]</p>]]></text></questiontext>
  <shuffleanswers>1</shuffleanswers>
  <dragbox><text>rencana</text><group>1</group></dragbox><dragbox><text>laksana</text><group>1</group></dragbox>
  <dragbox><text>evaluasi</text><group>1</group></dragbox></question>
<question type="cloze"><name><text>cloze</text></name>
  <questiontext format="html"><text><![CDATA[<p>ASN adalah {1:MULTICHOICE_S:=pelayan~penguasa~pedagang} ;
  ibukota {1:SHORTANSWER:=Jakarta}</p>]]></text></questiontext></question>
</quiz>"""


def build(org):
    course = make_course(org.instructor, activities=[{"type": "quiz", "title": "Kuis jujur"}])
    questions = ops.import_bank(course, GIFT, "gift").questions + ops.import_bank(course, XML, "xml").questions
    quiz = ops.get_or_create_quiz(course.sections[0].activities[0])
    ops.update_quiz(quiz, pass_percent=50)
    ops.set_slots(quiz, question_ids=[q.id for q in questions])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    return quiz, {q.name: q for q in questions}


def own_ids(q) -> set[str]:
    """Every id the question itself gives its choices, items, pairs' answers and stems."""
    d = q.data
    if q.type == "multichoice":
        return {c["id"] for c in d["choices"]}
    if q.type == "matching":
        return {c["id"] for c in matching_choices(d)} | {p["id"] for p in d["pairs"]}
    if q.type == "ordering":
        return {i["id"] for i in d["items"]}
    if q.type in ("gapselect", "ddwtos"):
        return {c["id"] for c in d["choices"]}
    if q.type == "multianswer":
        return {a["id"] for s in d["subs"] for a in s["answers"] if "id" in a}
    return set()


def readable_ids(fieldset, qid: int) -> tuple[set[str], dict[str, str]]:
    """What a learner can read in a question's markup that names a choice: option and input
    values, the id part of field names, tiles' data-choice; and choice text -> value."""
    ids: set[str] = set()
    by_text: dict[str, str] = {}
    for el in fieldset.iter("option", "input"):
        value = el.get("value")
        if value and el.get("type") != "hidden" and not (el.tag == "option" and value.isdigit()
                                                          and el.getparent().get("aria-label", "").startswith("Urutan")):
            ids.add(value)
            text = (el.text_content() or "").strip() if el.tag == "option" else \
                re.sub(r"^[a-zA-Z0-9]+\.\s+", "", " ".join(el.getparent().text_content().split()))
            by_text[text] = value
    for el in fieldset.iter("select", "input", "textarea"):
        name = el.get("name") or ""
        prefix = f"q-{qid}-"
        if name.startswith(prefix):
            ids.add(name[len(prefix):])
    for el in fieldset.iter("button"):
        if el.get("data-choice"):
            ids.add(el.get("data-choice"))
    return ids, by_text


def page_of(client, attempt_id: int):
    resp = client.get(f"/percobaan/{attempt_id}")
    assert resp.status_code == 200
    return lxml.html.fromstring(resp.get_data(as_text=True))


def test_no_id_on_the_page_is_the_questions_own_and_each_attempt_has_new_ones(client, org, login):
    quiz, qs = build(org)
    login(org.learner_a1)
    seen: list[dict[int, set[str]]] = []
    matching_orders = []
    for _round in range(3):
        attempt = ops.start_attempt(quiz, org.learner_a1)
        db.session.commit()
        doc = page_of(client, attempt.id)
        per_q: dict[int, set[str]] = {}
        for q in qs.values():
            fs = doc.get_element_by_id(f"soal-{q.id}")
            ids, _ = readable_ids(fs, q.id)
            gaps_and_stems = {"1", "2"} if q.type in ("gapselect", "ddwtos", "multianswer") else set()
            if q.type == "matching":
                gaps_and_stems = {p["id"] for p in q.data["pairs"]}  # the stems' fields: not answers
            leaked = (ids - gaps_and_stems) & own_ids(q)
            assert not leaked, (q.type, leaked)
            per_q[q.id] = ids - gaps_and_stems
            assert len(per_q[q.id]) >= 3, (q.type, ids)  # the page does name its choices, by shown ids
            if q.type == "matching":
                first_select = fs.xpath(".//select")[0]
                matching_orders.append([o.text_content().strip() for o in first_select.iter("option")][1:])
        seen.append(per_q)
        ops.submit_attempt(attempt.id, org.learner_a1)
        db.session.commit()
    for q in qs.values():
        # nothing read in one attempt names anything in the next
        assert not (seen[0][q.id] & seen[1][q.id]) and not (seen[1][q.id] & seen[2][q.id]), q.type
    # Moodle always shuffles a matching question's choices: listed in the pairs' order, the n-th
    # choice would be the n-th stem's answer (1/120 per attempt by chance)
    pairs_order = [p["answer"] for p in qs["match"].data["pairs"]]
    assert any(order != pairs_order for order in matching_orders)


def test_the_questions_own_ids_are_refused_and_the_shown_ones_grade_right(client, org, auth, login):
    quiz, qs = build(org)
    h = auth(org.learner_a1)
    body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h).json
    aid = body["id"]
    api = {q["id"]: q for q in body["questions"]}
    # guessing with the question's own ids (matching's stem n -> cn, ordering 1..n) is refused
    match = qs["match"]
    guess = {p["id"]: f"c{n}" for n, p in enumerate(match.data["pairs"], 1)}
    assert client.put(f"/api/v1/attempts/{aid}/answers/{match.id}", json={"response": guess},
                      headers=h).status_code == 400
    assert client.put(f"/api/v1/attempts/{aid}/answers/{qs['urut'].id}", json={"response": ["1", "2", "3", "4", "5"]},
                      headers=h).status_code == 400
    assert client.put(f"/api/v1/attempts/{aid}/answers/{qs['mc'].id}", json={"response": "1"},
                      headers=h).status_code == 400
    assert {c["id"] for c in api[qs["mc"].id]["choices"]}.isdisjoint(own_ids(qs["mc"]))
    assert {c["id"] for c in api[match.id]["choices"]}.isdisjoint(own_ids(match))

    # a learner who knows the answers picks them by their text on the page, without JavaScript
    login(org.learner_a1)
    doc = page_of(client, aid)
    form: dict = {"go": "submit"}
    for q in qs.values():
        fs = doc.get_element_by_id(f"soal-{q.id}")
        form[f"present-{q.id}"] = "1"
        _, by_text = readable_ids(fs, q.id)
        if q.type == "multichoice":
            form[f"q-{q.id}"] = by_text["tidak memihak"]
        elif q.type == "matching":
            for p in q.data["pairs"]:
                form[f"q-{q.id}-{p['id']}"] = by_text[p["answer"]]
        elif q.type == "ordering":
            for sel in fs.xpath(".//select"):
                text = sel.getparent().text_content().strip().split("\n")[-1].strip()
                place = [i["text"] for i in q.data["items"]].index(text) + 1
                form[sel.get("name")] = str(place)
        elif q.type == "gapselect":
            form.update({f"q-{q.id}-1": by_text["pelayan"], f"q-{q.id}-2": by_text["perekat"]})
        elif q.type == "ddwtos":
            form.update({f"q-{q.id}-1": by_text["rencana"], f"q-{q.id}-2": by_text["laksana"]})
        elif q.type == "multianswer":
            form.update({f"q-{q.id}-1": by_text["pelayan"], f"q-{q.id}-2": "Jakarta"})
    resp = client.post(f"/percobaan/{aid}", data=form)
    assert resp.status_code == 302 and "/tinjau" in resp.headers["Location"]
    attempt = db.session.get(Attempt, aid)
    db.session.refresh(attempt)
    assert attempt.state == "finished" and attempt.score == attempt.max_score == 6.0
    # stored in the questions' own ids: grading, review, statistics and regrading read them as before
    stored = {a.question_id: a.response for a in db.session.scalars(select(AttemptAnswer).where(
        AttemptAnswer.attempt_id == aid))}
    assert stored[qs["mc"].id] == "1" and stored[qs["urut"].id] == ["1", "2", "3", "4", "5"]
    assert stored[match.id] == {p["id"]: f"c{n}" for n, p in enumerate(match.data["pairs"], 1)}
    review = client.get(f"/percobaan/{aid}/tinjau").get_data(as_text=True)
    assert "BKN → kepegawaian" in review


def test_an_attempt_saved_with_the_old_ids_keeps_its_grade(client, org, login):
    """An attempt started before per-attempt ids (its layout has none): its page shows the
    questions' own ids, its answers in them are taken, and it grades — and regrades — the same."""
    quiz, qs = build(org)
    attempt = ops.start_attempt(quiz, org.learner_a1)
    attempt.layout = [{k: v for k, v in e.items() if k != "ids"} for e in attempt.layout]
    db.session.commit()
    match, mc, urut = qs["match"], qs["mc"], qs["urut"]
    ops.save_answer(attempt.id, mc.id, "1", org.learner_a1)
    ops.save_answer(attempt.id, urut.id, ["1", "2", "3", "5", "4"], org.learner_a1)
    db.session.commit()
    login(org.learner_a1)
    doc = page_of(client, attempt.id)
    ids, _ = readable_ids(doc.get_element_by_id(f"soal-{match.id}"), match.id)
    assert {"c1", "c2"} <= ids  # as it was shown when it started
    right = {p["id"]: f"c{n}" for n, p in enumerate(match.data["pairs"], 1)}
    client.post(f"/percobaan/{attempt.id}", data={f"present-{match.id}": "1",
                                                 **{f"q-{match.id}-{k}": v for k, v in right.items()}})
    ops.submit_attempt(attempt.id, org.learner_a1)
    db.session.commit()
    marks = {a.question_id: a.mark for a in db.session.scalars(select(AttemptAnswer).where(
        AttemptAnswer.attempt_id == attempt.id))}
    assert marks[mc.id] == 1.0 and marks[match.id] == 1.0 and marks[urut.id] == 0.6
    score = attempt.score
    assert ops.regrade(quiz) == 1
    db.session.commit()
    assert db.session.get(Attempt, attempt.id).score == score == 2.6
