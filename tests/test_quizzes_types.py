"""The newer question types, each end to end: Moodle XML in, the editor, the attempt page (phone
first, without JavaScript too), grading, review, export."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.quizzes import operations as ops
from app.quizzes.grading import check_response, grade
from app.quizzes.models import Attempt, Question
from app.quizzes.moodle_xml import export_moodle_xml, parse_moodle_xml
from tests.factories import enrol_all, make_course
from tests.quizzes_fixtures import shown_ids

GAPS_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="gapselect">
    <name><text>Pilih kata</text></name>
    <questiontext format="html"><text><![CDATA[<p>ASN adalah [[1]] publik dan [[2]] negara.</p>]]></text></questiontext>
    <defaultgrade>2</defaultgrade>
    <shuffleanswers>1</shuffleanswers>
    <correctfeedback format="html"><text>Semua tepat.</text></correctfeedback>
    <selectoption><text>pelayan</text><group>1</group></selectoption>
    <selectoption><text>perekat</text><group>2</group></selectoption>
    <selectoption><text>penguasa</text><group>1</group></selectoption>
    <selectoption><text>pemecah</text><group>2</group></selectoption>
  </question>
  <question type="ddwtos">
    <name><text>Seret kata</text></name>
    <questiontext format="html"><text><![CDATA[<p>[[1]] + [[1]] = [[2]]</p>]]></text></questiontext>
    <shuffleanswers>0</shuffleanswers>
    <dragbox><text>satu</text><group>1</group><infinite/></dragbox>
    <dragbox><text>dua</text><group>1</group></dragbox>
    <dragbox><text>tiga</text><group>1</group></dragbox>
  </question>
</quiz>
"""


def _gap_quiz(owner, *learners):
    course = make_course(owner, activities=[{"type": "quiz", "title": "Kuis celah"}])
    report = ops.import_bank(course, GAPS_XML, "xml", category="Celah")
    assert report.skipped == [] and len(report.questions) == 2
    quiz = ops.get_or_create_quiz(course.sections[0].activities[0])
    ops.update_quiz(quiz, pass_percent=50, shuffle_choices=False)
    ops.set_slots(quiz, question_ids=[q.id for q in report.questions])
    enrol_all(course, *learners)
    db.session.commit()
    return quiz, {q.name: q for q in report.questions}


def test_gap_types_read_grade_and_round_trip():
    r = parse_moodle_xml(GAPS_XML)
    assert r.problems == []
    gs, dd = r.questions
    ids = [c["id"] for c in gs.data["choices"]]
    assert gs.type == "gapselect" and gs.data["gaps"] == ids[:2] and len(set(ids)) == 4
    assert not set(ids) & {"1", "2", "3", "4"}  # opaque: an option's value does not name its gap
    assert [(c["text"], c["group"]) for c in gs.data["choices"]] == [("pelayan", 1), ("perekat", 2), ("penguasa", 1),
                                                                      ("pemecah", 2)]
    dids = [c["id"] for c in dd.data["choices"]]
    assert dd.type == "ddwtos" and dd.data["gaps"] == [dids[0], dids[0], dids[1]]
    assert dd.data["choices"][0]["infinite"] is True
    full = grade("gapselect", gs.data, check_response("gapselect", gs.data, {"1": ids[0], "2": ids[1]}))
    assert full.fraction == 1 and full.feedback == "Semua tepat."
    assert grade("gapselect", gs.data, {"1": ids[2], "2": ids[1]}).fraction == 0.5
    assert grade("ddwtos", dd.data, {"1": dids[0], "2": dids[0], "3": dids[1]}).fraction == 1
    with pytest.raises(ValueError):
        check_response("gapselect", gs.data, {"1": "99"})

    class Q:
        def __init__(self, pq):
            self.type, self.name, self.text, self.data = pq.type, pq.name, pq.text, pq.data
            self.general_feedback, self.default_mark, self.idnumber, self.tags = "", pq.default_mark, None, []

    back = parse_moodle_xml(export_moodle_xml([("Celah", Q(q)) for q in r.questions]))

    def shape(q):  # the same questions; the choices' opaque ids are new on every import
        places = {c["id"]: n for n, c in enumerate(q.data["choices"])}
        return (q.type, q.text, [(c["text"], c["group"], c.get("infinite")) for c in q.data["choices"]],
                [places[g] for g in q.data["gaps"]], q.data.get("feedback"), q.data["shuffle"])

    assert [shape(q) for q in back.questions] == [shape(q) for q in r.questions]


def test_gap_without_its_choice_is_refused_with_the_gap_named():
    bad = GAPS_XML.replace(b"[[2]] negara", b"[[7]] negara")
    r = parse_moodle_xml(bad)
    assert [q.name for q in r.questions] == ["Seret kata"]
    assert "[[7]]" in r.problems[0].message and r.problems[0].element == "quiz/question[1]"


def test_gaps_through_the_api_and_the_no_javascript_page(client, org, auth, login):
    quiz, qs = _gap_quiz(org.instructor, org.learner_a1)
    h = auth(org.learner_a1)
    started = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h).json
    gs = next(q for q in started["questions"] if q["type"] == "gapselect")
    assert [g["id"] for g in gs["gaps"]] == ["1", "2"]
    assert {c["text"] for c in gs["gaps"][0]["choices"]} == {"pelayan", "penguasa"}  # its group only
    aid = started["id"]
    sh = shown_ids(db.session.get(Attempt, aid), qs["Pilih kata"].id)
    gids = [sh[c["id"]] for c in qs["Pilih kata"].data["choices"]]
    assert gs["text"] == "<p>ASN adalah [[1]] publik dan [[2]] negara.</p>"
    ok = client.put(f"/api/v1/attempts/{aid}/answers/{qs['Pilih kata'].id}",
                    json={"response": {"1": gids[0], "2": gids[3]}}, headers=h)
    assert ok.status_code == 200
    own = [c["id"] for c in qs["Pilih kata"].data["choices"]]  # the question's own ids are not taken
    assert client.put(f"/api/v1/attempts/{aid}/answers/{qs['Pilih kata'].id}",
                      json={"response": {"1": own[0]}}, headers=h).status_code == 400
    bad = client.put(f"/api/v1/attempts/{aid}/answers/{qs['Pilih kata'].id}", json={"response": ["1"]}, headers=h)
    assert bad.status_code == 400
    login(org.learner_a1)
    page = client.get(f"/percobaan/{aid}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "[[1]]" not in body
    dd = qs["Seret kata"].id
    assert f'name="q-{dd}-1"' in body and f'name="q-{dd}-3"' in body and 'data-tiles' in body
    # the form without JavaScript: the selects are the answer
    dsh = shown_ids(db.session.get(Attempt, aid), dd)
    dids = [dsh[c["id"]] for c in qs["Seret kata"].data["choices"]]
    posted = client.post(f"/percobaan/{aid}", data={f"present-{dd}": "1", f"q-{dd}-1": dids[0], f"q-{dd}-2": dids[0],
                                                   f"q-{dd}-3": dids[1], "go": "submit"})
    assert posted.status_code in (302, 303)
    attempt = db.session.get(Attempt, aid)
    db.session.refresh(attempt)
    assert attempt.state == "finished" and attempt.score == 2.0  # 1 of 2 (half of 2) + 1 of 1
    review = client.get(f"/percobaan/{aid}/tinjau").get_data(as_text=True)
    assert "1: satu; 2: satu; 3: dua" in review


def test_gap_editor_saves_and_refuses_a_missing_choice(client, org, login):
    course = make_course(org.instructor)
    db.session.commit()
    login(org.instructor)
    url = f"/kursus/{course.id}/bank-soal/baru/gapselect"
    assert client.get(url).status_code == 200
    form = {"text": "Ibukota [[1]] adalah [[2]].", "default_mark": "1", "rows": "3", "shuffle": "1",
            "c0_text": "Jabar", "c0_group": "1", "c1_text": "Bandung", "c1_group": "2", "c2_text": "Bogor", "c2_group": "2"}
    assert client.post(url, data=form).status_code == 302
    q = db.session.scalar(select(Question).where(Question.type == "gapselect"))
    assert q.data["gaps"] == [c["id"] for c in q.data["choices"][:2]] and len(q.data["choices"]) == 3
    # saved again from the editor, the choices keep their ids (answers given earlier still point right)
    edit = {**form, **{f"c{i}_id": c["id"] for i, c in enumerate(q.data["choices"])}}
    before = [c["id"] for c in q.data["choices"]]
    assert client.post(f"/bank-soal/soal/{q.id}", data=edit).status_code == 302
    db.session.refresh(q)
    assert [c["id"] for c in q.data["choices"]] == before
    wrong = client.post(url, data={**form, "text": "Ibukota [[4]]."})
    assert wrong.status_code == 422 and "[[4]]" in wrong.get_data(as_text=True)


@pytest.mark.browser
def test_drag_and_drop_into_text_by_tapping_on_a_phone(live_server, page, browser_login):
    with live_server.app.app_context():
        peserta = db.session.scalar(select(User).where(User.username == "peserta"))
        quiz, qs = _gap_quiz(None, peserta)
        qid, quiz_id = qs["Seret kata"].id, quiz.id
        db.session.remove()
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login("peserta")
    page.goto(f"/kuis/{quiz_id}")
    page.click("text=Mulai kuis")
    page.wait_for_url("**/percobaan/*")
    fs = f"#soal-{qid}"
    gaps = page.locator(f"{fs} .dd-gap")
    assert gaps.count() == 3
    page.click(f"{fs} .dd-tile:has-text('satu')")
    with page.expect_response(lambda r: f"/answers/{qid}" in r.url and r.request.method == "PUT") as saved:
        gaps.nth(0).click()
    assert saved.value.status == 200
    assert gaps.nth(0).inner_text() == "satu"
    # the keyboard: focus a tile, Enter, then focus a gap, Enter
    page.focus(f"{fs} .dd-tile:has-text('dua')")
    page.keyboard.press("Enter")
    gaps.nth(2).focus()
    with page.expect_response(lambda r: f"/answers/{qid}" in r.url):
        page.keyboard.press("Enter")
    assert gaps.nth(2).inner_text() == "dua"
    page.reload()
    assert page.locator(f"{fs} .dd-gap").nth(2).inner_text() == "dua"


ORDERING_XML = b"""<quiz><question type="ordering">
  <name><text>Urut</text></name>
  <questiontext format="html"><text>Urutkan tahap pengadaan.</text></questiontext>
  <layouttype>VERTICAL</layouttype><selecttype>ALL</selecttype><selectcount>0</selectcount>
  <gradingtype>RELATIVE_NEXT_EXCLUDE_LAST</gradingtype>
  <answer fraction="1" format="moodle_auto_format"><text>Rencana</text></answer>
  <answer fraction="2" format="moodle_auto_format"><text>Persiapan</text></answer>
  <answer fraction="3" format="moodle_auto_format"><text>Pemilihan</text></answer>
  <answer fraction="4" format="moodle_auto_format"><text>Kontrak</text></answer>
</question></quiz>"""


def test_ordering_reads_and_grades_as_moodle():
    q = parse_moodle_xml(ORDERING_XML).questions[0]
    data = q.data
    assert [i["text"] for i in data["items"]] == ["Rencana", "Persiapan", "Pemilihan", "Kontrak"]
    assert data["grading"] == "RELATIVE_NEXT_EXCLUDE_LAST"
    # the page sends places: {item: position}
    assert check_response("ordering", data, {"1": "1", "2": "2", "3": "3", "4": "4"}) == ["1", "2", "3", "4"]
    assert grade("ordering", data, ["1", "2", "4", "3"]).fraction == pytest.approx(1 / 3)  # 1→2 only
    for how, expected in (("ALL_OR_NOTHING", 0), ("ABSOLUTE_POSITION", 0.5), ("LONGEST_ORDERED_SUBSET", 0.75),
                          ("LONGEST_CONTIGUOUS_SUBSET", 0.5), ("RELATIVE_NEXT_INCLUDE_LAST", 0.25)):
        assert grade("ordering", {**data, "grading": how}, ["1", "2", "4", "3"]).fraction == pytest.approx(expected), how
    assert grade("ordering", data, ["1", "2", "3", "4"]).fraction == 1
    with pytest.raises(ValueError):
        check_response("ordering", data, ["1", "1", "2", "3"])
    unsupported = parse_moodle_xml(ORDERING_XML.replace(b"RELATIVE_NEXT_EXCLUDE_LAST", b"RELATIVE_TO_NOWHERE"))
    assert "RELATIVE_TO_NOWHERE" in unsupported.problems[0].message


def test_ordering_attempt_page_without_javascript(client, org, login):
    course = make_course(org.instructor, activities=[{"type": "quiz", "title": "Kuis urut"}])
    report = ops.import_bank(course, ORDERING_XML, "xml")
    quiz = ops.get_or_create_quiz(course.sections[0].activities[0])
    ops.set_slots(quiz, question_ids=[q.id for q in report.questions])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    attempt = ops.start_attempt(quiz, org.learner_a1)
    db.session.commit()
    qid = report.questions[0].id
    assert attempt.layout[0]["choices"] != ["1", "2", "3", "4"]  # never shown already in order
    login(org.learner_a1)
    body = client.get(f"/percobaan/{attempt.id}").get_data(as_text=True)
    sh = shown_ids(attempt, qid)
    # each item's field is named by this attempt's id for it, not by its own id (its right place)
    assert f'name="q-{qid}-1"' not in body and f'name="q-{qid}-{sh["1"]}"' in body
    client.post(f"/percobaan/{attempt.id}", data={f"present-{qid}": "1", f"q-{qid}-{sh['1']}": "1",
                                                 f"q-{qid}-{sh['2']}": "2", f"q-{qid}-{sh['3']}": "3",
                                                 f"q-{qid}-{sh['4']}": "4", "go": "submit"})
    db.session.refresh(attempt)
    assert attempt.state == "finished" and attempt.score == 1.0
    assert "Rencana → Persiapan → Pemilihan → Kontrak" in client.get(f"/percobaan/{attempt.id}/tinjau").get_data(as_text=True)


CLOZE_XML = b"""<quiz><question type="cloze">
  <name><text>Cloze</text></name>
  <questiontext format="html"><text><![CDATA[<p>Ibukota {1:SHORTANSWER:=Jakarta#Tepat~%50%DKI#Hampir} ;
  pi = {2:NUMERICAL:=3.14:0.01~*#Bukan} ; ASN adalah {1:MULTICHOICE_S:=pelayan#Ya~penguasa} ;
  pilih {1:MULTIRESPONSE:%50%a~%50%b~%-100%c\\~d}</p>]]></text></questiontext>
  <generalfeedback format="html"><text></text></generalfeedback>
  <defaultgrade>5</defaultgrade>
</question></quiz>"""


def test_cloze_reads_grades_and_exports_its_fields():
    r = parse_moodle_xml(CLOZE_XML)
    assert r.problems == []
    q = r.questions[0]
    assert q.type == "multianswer" and "{#1}" in q.text and "Jakarta" not in q.text
    subs = q.data["subs"]
    assert [(s["kind"], s["weight"]) for s in subs] == [("shortanswer", 1), ("numerical", 2), ("multichoice", 1),
                                                        ("multiresponse", 1)]
    assert subs[3]["answers"][2]["text"] == "c~d" and subs[2]["shuffle"] is True
    right = {"1": "jakarta", "2": "3,141", "3": "1", "4": ["1", "2"]}
    assert grade("multianswer", q.data, check_response("multianswer", q.data, right)).fraction == 1
    half = grade("multianswer", q.data, {"1": "DKI", "2": "9", "3": "1", "4": ["1"]})
    assert half.fraction == pytest.approx((0.5 + 0 + 1 + 0.5) / 5) and "Bukan" in half.feedback
    with pytest.raises(ValueError):
        check_response("multianswer", q.data, {"9": "x"})

    class Q:
        type, name, text, data, general_feedback, default_mark, idnumber, tags = (
            q.type, q.name, q.text, q.data, "", 5.0, None, [])

    xml = export_moodle_xml([("Cloze", Q())])
    assert b"{1:SHORTANSWER:=Jakarta#Tepat~%50%DKI#Hampir}" in xml and b'type="multianswer"' in xml
    assert [(x.text, x.data) for x in parse_moodle_xml(xml).questions] == [(q.text, q.data)]
    bad = parse_moodle_xml(CLOZE_XML.replace(b"=3.14:0.01", b"=tiga"))
    assert bad.questions == [] and "bukan angka" in bad.problems[0].message


def test_cloze_attempt_without_javascript_and_the_editor(client, org, login):
    course = make_course(org.instructor, activities=[{"type": "quiz", "title": "Kuis cloze"}])
    report = ops.import_bank(course, CLOZE_XML, "xml")
    quiz = ops.get_or_create_quiz(course.sections[0].activities[0])
    ops.update_quiz(quiz, shuffle_choices=False)
    ops.set_slots(quiz, question_ids=[q.id for q in report.questions])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    qid = report.questions[0].id
    attempt = ops.start_attempt(quiz, org.learner_a1)
    db.session.commit()
    login(org.learner_a1)
    body = client.get(f"/percobaan/{attempt.id}").get_data(as_text=True)
    assert "Jakarta" not in body and f'name="q-{qid}-1"' in body and "multiple" in body
    sh = shown_ids(attempt, qid)
    client.post(f"/percobaan/{attempt.id}", data={f"present-{qid}": "1", f"q-{qid}-1": "Jakarta", f"q-{qid}-2": "3.14",
                                                 f"q-{qid}-3": sh["3:1"], f"q-{qid}-4": [sh["4:1"], sh["4:2"]],
                                                 "go": "submit"})
    db.session.refresh(attempt)
    assert attempt.state == "finished" and attempt.score == 5.0
    client.post("/keluar")
    login(org.instructor)
    page = client.get(f"/bank-soal/soal/{qid}").get_data(as_text=True)
    assert "{1:SHORTANSWER:=Jakarta#Tepat~%50%DKI#Hampir}" in page  # edited in Moodle's syntax
    new = client.post(f"/kursus/{course.id}/bank-soal/baru/multianswer",
                      data={"text": "Dua tambah dua = {2:NUMERICAL:=4}", "default_mark": "1"})
    assert new.status_code == 302
    saved = db.session.scalar(select(Question).where(Question.course_id == course.id, Question.id != qid))
    assert saved.text == "Dua tambah dua = {#1}" and saved.data["subs"][0]["answers"][0]["value"] == 4.0


def test_every_registered_type_has_its_editor_and_attempt_templates(client, org, login, app):
    from app.quizzes import qtypes

    course = make_course(org.instructor)
    db.session.commit()
    login(org.instructor)
    for kind in qtypes.all_types():
        resp = client.get(f"/kursus/{course.id}/bank-soal/baru/{kind.name}")
        assert resp.status_code == 200, kind.name
        app.jinja_env.get_template(f"quizzes/qtypes/{kind.name}.html")
    bank = client.get(f"/kursus/{course.id}/bank-soal").get_data(as_text=True)
    assert all(f"/bank-soal/baru/{k.name}" in bank for k in qtypes.all_types())


def test_random_shortanswer_matching_draws_per_attempt_and_keeps_the_draw(client, org, auth):
    course = make_course(org.instructor, activities=[{"type": "quiz", "title": "Kuis acak"}])
    gift = "\n\n".join(f"::sa{i}::Ibukota provinsi {i}?{{=Kota{i}}}" for i in range(5))
    ops.import_bank(course, gift, "gift", category="Ibukota")
    xml = (b'<quiz><question type="category"><category><text>$course$/top/Ibukota</text></category></question>'
           b'<question type="randomsamatch"><name><text>Acak</text></name><questiontext><text>Jodohkan.</text>'
           b"</questiontext><choose>3</choose><subcats>1</subcats></question></quiz>")
    rq = ops.import_bank(course, xml, "xml").questions[0]
    quiz = ops.get_or_create_quiz(course.sections[0].activities[0])
    ops.set_slots(quiz, question_ids=[rq.id])
    enrol_all(course, org.learner_a1)
    db.session.commit()
    h = auth(org.learner_a1)
    started = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h).json
    q = started["questions"][0]
    assert q["type"] == "randomsamatch" and len(q["stems"]) == 3 and len(q["choices"]) == 3
    attempt = db.session.get(Attempt, started["id"])
    pairs = attempt.layout[0]["pairs"]
    by_text = {c["text"]: c["id"] for c in q["choices"]}
    right = {p["id"]: by_text[p["answer"]] for p in pairs}
    assert client.put(f"/api/v1/attempts/{started['id']}/answers/{rq.id}", json={"response": right},
                      headers=h).status_code == 200
    result = client.post(f"/api/v1/attempts/{started['id']}/submit", headers=h).json
    assert result["score"] == 1.0
    # the bank changes later: the attempt keeps what it drew, and a regrade gives the same mark
    first = db.session.get(Question, int(pairs[0]["id"]))
    ops.save_question(course, qtype="shortanswer", name=first.name, text=first.text, question=first,
                      data={"answers": [{"text": "Lain", "fraction": 1.0}]}, category="Ibukota")
    assert ops.regrade(quiz) == 1
    db.session.refresh(attempt)
    assert attempt.score == 1.0
    too_many = ops.import_bank(course, xml.replace(b"<choose>3", b"<choose>9"), "xml").questions[0]
    ops.set_slots(quiz, question_ids=[too_many.id])
    db.session.commit()
    refused = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h)
    assert refused.status_code == 422 and "kurang dari 9" in refused.json["error"]["message"]
