"""Calculated simple questions (Moodle's calculatedsimple, and calculated with private datasets):
the formula evaluator and its safety, Moodle's tolerance rules, the datasets and the item each
attempt keeps, Moodle XML in and out (with Moodle's own test questions), the editor, and an
attempt through the page and the API."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.quizzes import operations as ops
from app.quizzes.gift import export_gift
from app.quizzes.grading import check_response, grade
from app.quizzes.models import Attempt, AttemptAnswer, Question
from app.quizzes.moodle_xml import export_moodle_xml, parse_moodle_xml
from app.quizzes.qtypes.base import BadResponse
from app.quizzes.qtypes.calculated import (
    FormulaError,
    evaluate,
    generate_items,
    learner_number,
    show_number,
    substitute,
    tolerance_interval,
)
from tests.factories import enrol_all, make_course

CORPUS = Path(__file__).parent / "data" / "moodle_xml_calculated.xml"


# --- the evaluator ----------------------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ("{a} + {b}", 8.6),
    ("{a} * {b} + sqrt({c})", 3.4 * 5.2 + 4),
    ("2 ** 3 ** 2", 512),  # right-associative, as PHP
    ("-2 ** 2", -4),
    ("pow(2, 10)", 1024),
    ("pi()", 3.141592653589793),
    ("SQRT(16) + Abs(-1)", 5),  # PHP's function names are case-insensitive
    ("log(64, 2)", 6), ("log(exp(2))", 2), ("log10(1000)", 3), ("log1p(0)", 0), ("expm1(0)", 0),
    ("atan2(1, 1) * 4", 3.141592653589793), ("fmod(7.5, 2)", 1.5),
    ("deg2rad(180)", 3.141592653589793), ("rad2deg(pi())", 180),
    ("round(2.5)", 3), ("round(-2.5)", -3), ("round(1.955, 2)", 1.96),  # PHP: halves away from zero
    ("ceil(1.2) + floor(1.8)", 3), ("min(3, 1, 2) + max(3, 1, 2)", 4),
    ("7 % 3", 1), ("-7 % 3", -1), ("7.9 % 3", 1),  # PHP: integers, sign of the dividend
    ("{a} ^ 3", 0),  # ^ is XOR in Moodle (PHP): int(3.4) ^ 3
    ("6 & 3", 2), ("6 | 3", 7), ("~0", -1), ("1 << 4", 16),
    ("{a} > 2 && {b} < 10", 1), ("!0", 1), ("1 <> 2", 1), ("(1 == 2) || (3 >= 3)", 1),
    ("decbin(5)", 101), ("bindec(101)", 5), ("octdec(17)", 15), ("decoct(8)", 10),
    ("is_nan(1) + is_finite(1) + is_infinite(1)", 1),
    ("1e3 + .5 + 2.", 1002.5),
    ("acos(1) + asin(0) + atan(0) + cos(0) + sin(0) + tan(0) + cosh(0) + sinh(0) + tanh(0)", 2),
    ("acosh(1) + asinh(0) + atanh(0)", 0),
])
def test_formulas_compute_as_moodle(formula, expected):
    assert evaluate(formula, {"a": 3.4, "b": 5.2, "c": 16}) == pytest.approx(expected)


@pytest.mark.parametrize("formula, says", [
    ("__import__('os').system('id')", "karakter tidak diizinkan"),
    ("().__class__.__bases__[0].__subclasses__()", "karakter tidak diizinkan"),
    ("().__class__", "nama tidak diizinkan"),
    ("{a}.__class__", "nama tidak diizinkan"),
    ("{a}.real", "tidak diizinkan"),
    ("9**9**9", "terlalu besar"),
    ("9 ** 9 ** 9 ** 9", "terlalu besar"),
    ("pow(10, 400)", "terlalu besar"),
    ("exp(1000)", "terlalu besar"),
    ("{a} / {z}", "pembagian dengan nol"),
    ("{a} % 0", "pembagian dengan nol"),
    ("sqrt(-1)", "tidak terdefinisi"),
    ("log(0)", "tidak terdefinisi"),
    ("eval(1)", "fungsi 'eval' tidak dikenal"),
    ("system({a})", "fungsi 'system' tidak dikenal"),
    ("exec('1')", "karakter tidak diizinkan"),
    ("open", "tidak dikenal"),
    ("x + 1", "nama 'x' tidak dikenal"),
    ("w0_ + 1", "nama tidak diizinkan"),  # the evaluator's own names cannot be written
    ("lambda: 1", "karakter tidak diizinkan"),
    ("[1, 2]", "karakter tidak diizinkan"),
    ("1 if 1 else 2", "tidak diizinkan"),
    ("{a} in (1, 2)", "tidak diizinkan"),
    ("{a} is 1", "tidak diizinkan"),
    ("0x10", "angka tidak sah"), ("1_000", "angka tidak sah"), ("1j", "angka tidak sah"),
    ("abs(1, 2)", "satu argumen"), ("abs()", "satu argumen"), ("pi(1)", "tanpa argumen"),
    ("log(64, 2, 3)", "satu atau dua"), ("atan2(1)", "dua argumen"), ("max(1)", "sedikitnya dua"),
    ("pi", "harus dipanggil"),
    ("{a} ? 1 : 2", "?: tidak didukung"),
    ("{a}; {b}", "karakter tidak diizinkan"),
    ("{ a}", "kurung kurawal"),
    ("(" * 240 + "1" + ")" * 240, "susunan rumus tidak sah"),
    ("-" * 490 + "1", "terlalu panjang"),
    ("1 + " * 200 + "1", "lebih dari 500 karakter"),
    ("", "rumus kosong"),
    ("{a} +", "susunan rumus tidak sah"),
])
def test_formulas_outside_moodles_language_are_refused_never_run(formula, says):
    with pytest.raises(FormulaError) as exc:
        evaluate(formula, {"a": 3.4, "z": 0})
    assert says in str(exc.value)


def test_a_formula_missing_a_value_or_given_a_word_says_which_wildcard():
    with pytest.raises(FormulaError, match=r"\{b\} tidak punya nilai"):
        evaluate("{a} + {b}", {"a": 1})
    with pytest.raises(FormulaError, match=r"\{a\} bukan angka"):
        evaluate("{a} + 1", {"a": "satu"})


def test_tolerance_types_are_moodles():
    # relative: ± |answer| × tolerance; nominal: ± tolerance; geometric: × or ÷ (1 + tolerance)
    lo, hi = tolerance_interval(200.0, 0.1, "relative")
    assert lo == pytest.approx(180) and hi == pytest.approx(220)
    lo, hi = tolerance_interval(200.0, 0.1, "nominal")
    assert lo == pytest.approx(199.9) and hi == pytest.approx(200.1)
    lo, hi = tolerance_interval(200.0, 1.0, "geometric")
    assert lo == pytest.approx(100) and hi == pytest.approx(400)
    lo, hi = tolerance_interval(-200.0, 1.0, "geometric")
    assert lo == pytest.approx(-400) and hi == pytest.approx(-100)
    # tolerance 0 still accepts the float noise of 3.4 + 5.2 (Moodle's epsilon, MDL-3225)
    lo, hi = tolerance_interval(3.4 + 5.2, 0.0, "nominal")
    assert lo <= 8.6 <= hi


def _question(tolerance_type: str, tolerance: float, **extra) -> dict:
    return {"answers": [{"formula": "{a} * {b}", "fraction": 1.0, "tolerance": tolerance,
                         "tolerance_type": tolerance_type, "display": "decimals", "length": 2,
                         "feedback": "<p>Benar: {={a} * {b}}</p>"},
                        {"formula": "{a} + {b}", "fraction": 0.5, "tolerance": 0.0, "tolerance_type": "nominal",
                         "display": "decimals", "length": 2, "feedback": "Itu jumlahnya."},
                        {"formula": "*", "fraction": 0.0, "feedback": "Salah."}],
            "datasets": [{"name": "a", "min": 1, "max": 20, "decimals": 0, "distribution": "uniform"},
                         {"name": "b", "min": 1, "max": 20, "decimals": 0, "distribution": "uniform"}],
            "items": [{"a": 10.0, "b": 20.0}], "values": {"a": 10.0, "b": 20.0}, **extra}


@pytest.mark.parametrize("tolerance_type, tolerance, inside, outside", [
    ("relative", 0.1, ["181", "219,9", "200"], ["179", "221"]),
    ("nominal", 5, ["195", "205", "200,5"], ["194,9", "205,1"]),
    ("geometric", 1, ["100", "399", "250"], ["99", "401"]),
])
def test_grading_with_each_tolerance_type(tolerance_type, tolerance, inside, outside):
    data = _question(tolerance_type, tolerance)
    for typed in inside:
        out = grade("calculatedsimple", data, check_response("calculatedsimple", data, typed))
        assert out.fraction == 1, typed
        assert out.feedback == "<p>Benar: 200,00</p>"  # the answer's two decimals, as Moodle
    for typed in outside:
        out = grade("calculatedsimple", data, check_response("calculatedsimple", data, typed))
        assert out.fraction == 0 and out.feedback == "Salah.", typed
    half = grade("calculatedsimple", data, "30")
    assert half.fraction == 0.5 and half.feedback == "Itu jumlahnya."


def test_the_learners_number_is_read_as_indonesians_write_it_and_units_as_numerical():
    assert learner_number("8,6") == 8.6 and learner_number("1.234,5") == 1234.5 and learner_number("1e3") == 1000
    data = _question("nominal", 0.5, units=[{"name": "m2", "multiplier": 1.0}, {"name": "cm2", "multiplier": 10000.0}],
                     unit_penalty=0.5, unit_graded=True)
    assert grade("calculatedsimple", data, "200 m2").fraction == 1
    assert grade("calculatedsimple", data, "2.000.000 cm2").fraction == 1  # Indonesian thousands
    assert grade("calculatedsimple", data, "200").fraction == 0.5  # unit required: Moodle's penalty
    assert check_response("calculatedsimple", data, " 200,0 m2 ") == "200,0 m2"  # kept as typed
    for bad in ("dua ratus", "m2 200", "1,2,3", True, ["200"], "9" * 101):
        with pytest.raises(BadResponse):
            check_response("calculatedsimple", data, bad)
    assert check_response("calculatedsimple", data, "  ") is None


def test_texts_show_the_values_and_formulas_with_the_pages_decimal_separator():
    assert substitute("<p>{a} m + {b} m = {={a} + {b}} m; {c} tetap</p>", {"a": 3.4, "b": 5.2}, ",") == \
        "<p>3,4 m + 5,2 m = 8,6 m; {c} tetap</p>"
    assert show_number(8.6, "decimals", 2, ",") == "8,60"
    assert show_number(0.000123456, "significant", 3, ",") == "0,000123"
    assert show_number(8.6, "significant", 3, ".") == "8.60"


def test_items_are_drawn_within_their_range_with_their_decimals():
    defs = [{"name": "a", "min": 1, "max": 10, "decimals": 1, "distribution": "uniform"},
            {"name": "b", "min": 1, "max": 10000, "decimals": 0, "distribution": "loguniform"}]
    items = generate_items(defs, 100, random.Random(7))
    assert len(items) == 100
    assert all(1 <= it["a"] <= 10 and round(it["a"], 1) == it["a"] for it in items)
    assert all(1 <= it["b"] <= 10000 and it["b"] == int(it["b"]) for it in items)
    # log-uniform: as many below 100 as above (ratio-wise even), unlike a uniform draw
    assert 25 <= sum(it["b"] < 100 for it in items) <= 75


# --- Moodle XML ---------------------------------------------------------------------------------

def test_moodles_calculated_questions_are_read_question_by_question():
    r = parse_moodle_xml(CORPUS.read_bytes())
    simple, variants, area, multi = r.questions
    # Moodle's "sum" test question (calculatedsimple/tests/helper.php)
    assert (simple.type, simple.name, simple.category) == ("calculatedsimple", "Simple sum", "Hitungan")
    assert simple.text == "What is {a} + {b}?"
    assert simple.general_feedback == "Generalfeedback: {={a} + {b}} is the right answer."
    assert [(a["formula"], a["fraction"], a.get("tolerance_type"), a["feedback"]) for a in simple.data["answers"]] == [
        ("{a} + {b}", 1.0, "nominal", "Very good."), ("{a} - {b}", 0.0, "nominal", "Add. not subtract!."),
        ("*", 0.0, "nominal", "Completely wrong.")]
    assert simple.data["items"] == [{"a": 1.0, "b": 5.0}, {"a": 3.0, "b": 4.0}]
    assert [d["name"] for d in simple.data["datasets"]] == ["a", "b"] and "units" not in simple.data
    # as Moodle's walkthrough: item 1 (a=1, b=5) → 6 is right, -4 is "subtract", 7 is wrong
    d1 = {**simple.data, "values": simple.data["items"][0]}
    assert [(grade("calculatedsimple", d1, x).fraction, grade("calculatedsimple", d1, x).feedback)
            for x in ("6", "-4", "7")] == [(1, "Very good."), (0, "Add. not subtract!."), (0, "Completely wrong.")]
    # "sumwithvariants": relative 0.01, two decimals, ten items
    a0 = variants.data["answers"][0]
    assert (a0["tolerance"], a0["tolerance_type"], a0["display"], a0["length"]) == (0.01, "relative", "decimals", 2)
    assert len(variants.data["items"]) == 10 and variants.data["items"][3] == {"a": 9.5, "b": 9.9}
    # "calculated" (private datasets): same engine, units, significant figures, geometric tolerance
    assert area.type == "calculatedsimple" and area.default_mark == 2
    assert area.data["answers"][0] | {"feedback": ""} == {
        "formula": "{p} * {l}", "fraction": 1.0, "tolerance": 0.05, "tolerance_type": "geometric",
        "display": "significant", "length": 3, "feedback": ""}
    assert area.data["units"] == [{"name": "m2", "multiplier": 1.0}, {"name": "cm2", "multiplier": 10000.0}]
    assert area.data["unit_graded"] is True and area.data["unit_penalty"] == 0.5
    assert area.data["datasets"][0]["distribution"] == "loguniform"
    on_item_1 = {**area.data, "values": area.data["items"][0]}  # p = 12, l = 6.5: 78 m², three figures
    assert grade("calculatedsimple", on_item_1, "78 m2").feedback == "Panjang kali lebar: 78,0 m²."
    assert grade("calculatedsimple", on_item_1, "75 m2").fraction == 1  # geometric 5 %: 74.3 … 81.9
    assert grade("calculatedsimple", on_item_1, "82 m2").fraction == 0
    assert grade("calculatedsimple", on_item_1, "780000 cm2").fraction == 1
    # the refused ones, each with its element and Moodle's reason in Indonesian
    problems = {p.element: p.message for p in r.problems}
    assert "set data bersama" in problems["quiz/question[5]/dataset_definitions/dataset_definition[1]/status"]
    assert "fungsi 'system' tidak dikenal" in problems["quiz/question[6]"]
    assert "set data nomor 2 (a = 4, b = 0): pembagian dengan nol" in problems["quiz/question[7]"]
    assert "wildcard {c} tidak dikenal" in problems["quiz/question[8]"]
    assert "wildcard {a} tidak dikenal" in problems["quiz/question[10]"]
    assert len(problems) == 5
    # calculatedmulti: a multiple choice whose choices are computed with the attempt's item
    assert (multi.type, multi.data["single"], multi.data["numbering"]) == ("calculatedmulti", True, "ABCD")
    assert [(c["text"], c["fraction"], c["display"], c["length"]) for c in multi.data["choices"]] == [
        ("Rp{={n} * {h}} ribu", 1.0, "decimals", 1), ("Rp{={n} + {h}} ribu", 0.0, "decimals", 1),
        ("Rp{={n} * {h} * 10} ribu", 0.0, "decimals", 1)]
    assert multi.data["items"] == [{"n": 3.0, "h": 12.5}, {"n": 7.0, "h": 40.0}]


class _Q:
    def __init__(self, q):
        self.type, self.name, self.text, self.data = q.type, q.name, q.text, q.data
        self.general_feedback, self.default_mark = q.general_feedback, q.default_mark
        self.idnumber, self.tags = getattr(q, "idnumber", None), getattr(q, "tags", [])


def test_xml_round_trip_keeps_formulas_datasets_and_items_and_gift_says_it_cannot():
    first = parse_moodle_xml(CORPUS.read_bytes()).questions
    xml = export_moodle_xml([("Hitungan", _Q(q)) for q in first])
    assert b'<question type="calculatedsimple">' in xml and b"<dataset_definitions>" in xml
    back = parse_moodle_xml(xml)
    assert back.problems == []

    def shape(q):
        return (q.type, q.name, q.text, q.general_feedback, q.default_mark, q.data)

    assert [shape(q) for q in back.questions] == [shape(q) for q in first]
    gift = export_gift([("Hitungan", _Q(q)) for q in first])
    assert "// Soal 'Simple sum' (calculatedsimple) tidak dapat ditulis dalam GIFT" in gift


# --- the bank, attempts, regrading -------------------------------------------------------------

def _quiz_with_calculated(org, *learners):
    course = make_course(org.instructor, activities=[{"type": "quiz", "title": "Kuis hitung"}])
    report = ops.import_bank(course, CORPUS.read_bytes(), "xml", on_error="skip")
    assert report.as_dict()["imported"] == 4 and len(report.skipped) == 5
    qs = {q.name: q for q in report.questions}
    quiz = ops.get_or_create_quiz(course.sections[0].activities[0])
    ops.update_quiz(quiz, pass_percent=50, shuffle_choices=False)
    ops.set_slots(quiz, question_ids=[qs["Calculated simple"].id, qs["Luas persegi panjang"].id])
    enrol_all(course, *learners)
    db.session.commit()
    return quiz, qs


def _values_in_text(text: str) -> list[str]:
    return re.findall(r"\d+(?:,\d+)?", text)


def test_attempt_through_the_api_keeps_its_item_and_regenerating_keeps_old_grades(app, client, org, auth):
    quiz, qs = _quiz_with_calculated(org, org.learner_a1)
    h = auth(org.learner_a1)
    started = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h)
    assert started.status_code == 201
    body = started.get_json()
    attempt = db.session.get(Attempt, body["id"])
    entries = {e["q"]: e for e in attempt.layout}
    simple, area = qs["Calculated simple"], qs["Luas persegi panjang"]
    values = entries[simple.id]["values"]
    assert values in simple.data["items"] and entries[simple.id]["item"] == simple.data["items"].index(values) + 1
    shown = {q["id"]: q for q in body["questions"]}
    # the area question shows this attempt's values in its text, with a decimal comma
    av = entries[area.id]["values"]
    assert f"{av['p']:g} m × {str(av['l']).replace('.', ',')} m" in shown[area.id]["text"]
    right = values["a"] + values["b"]
    # typed the Indonesian way, saved as typed; the area in cm² with the other unit
    assert client.put(f"/api/v1/attempts/{attempt.id}/answers/{simple.id}", headers=h,
                      json={"response": f"{right:.2f}".replace(".", ",")}).status_code == 200
    area_cm2 = av["p"] * av["l"] * 10000
    assert client.put(f"/api/v1/attempts/{attempt.id}/answers/{area.id}", headers=h,
                      json={"response": f"{area_cm2:.0f} cm2"}).status_code == 200
    bad = client.put(f"/api/v1/attempts/{attempt.id}/answers/{simple.id}", headers=h, json={"response": "delapan"})
    assert bad.status_code == 400 and "bukan angka" in bad.get_json()["error"]["message"]
    result = client.post(f"/api/v1/attempts/{attempt.id}/submit", headers=h).get_json()
    assert result["score"] == 3 and result["max_score"] == 3 and result["passed"] is True
    # the author generates new items (and so changes every item): the attempt keeps its values and marks
    q = db.session.get(Question, simple.id)
    old_items = [dict(it) for it in q.data["items"]]
    ops.save_question(quiz.course, qtype=q.type, name=q.name, text=q.text, data={**q.data, "_regenerate": True},
                      question=q, category=q.category.path)
    db.session.commit()
    assert db.session.get(Question, simple.id).data["items"] != old_items and values in old_items
    ops.regrade(quiz)
    db.session.commit()
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.score == 3 and {e["q"]: e["values"] for e in attempt.layout}[simple.id] == values
    # item analysis runs over calculated questions like any other
    from app.quizzes.queries import item_analysis

    stats = item_analysis(quiz)
    assert {i["question"].id: i["facility"] for i in stats["items"]} == {simple.id: 100.0, area.id: 100.0}


def test_regenerated_items_change_new_attempts_only(app, org):
    quiz, qs = _quiz_with_calculated(org, org.learner_a1, org.learner_b)
    simple = qs["Calculated simple"]
    first = ops.start_attempt(quiz, org.learner_a1)
    db.session.commit()
    before = {e["q"]: e["values"] for e in first.layout}[simple.id]
    q = db.session.get(Question, simple.id)
    new = [{"a": 100.0 + i, "b": 200.0} for i in range(10)]
    ops.save_question(quiz.course, qtype=q.type, name=q.name, text=q.text, data={**q.data, "items": new},
                      question=q, category=q.category.path)
    db.session.commit()
    ops.save_answer(first.id, simple.id, str(before["a"] + before["b"]).replace(".", ","), org.learner_a1)
    ops.submit_attempt(first.id, org.learner_a1)
    second = ops.start_attempt(quiz, org.learner_b)
    db.session.commit()
    assert {e["q"]: e["values"] for e in second.layout}[simple.id] in new
    ans = db.session.scalar(select(AttemptAnswer).where(AttemptAnswer.attempt_id == first.id,
                                                         AttemptAnswer.question_id == simple.id))
    assert ans.fraction == 1.0  # graded with the values its page showed, not the new items


def test_attempt_without_javascript_and_the_review_show_the_values_and_the_right_answer(app, client, org, login):
    quiz, qs = _quiz_with_calculated(org, org.learner_a1)
    login(org.learner_a1)
    attempt = ops.start_attempt(quiz, org.learner_a1)
    db.session.commit()
    page = client.get(f"/percobaan/{attempt.id}").data.decode()
    simple, area = qs["Calculated simple"], qs["Luas persegi panjang"]
    av = {e["q"]: e["values"] for e in attempt.layout}[area.id]
    assert f'name="q-{area.id}"' in page and 'inputmode="text"' in page  # units: text keypad, as numerical
    assert f'name="q-{simple.id}"' in page and 'inputmode="decimal"' in page
    assert "{p}" not in page and f"{av['p']:g} m" in page
    sv = {e["q"]: e["values"] for e in attempt.layout}[simple.id]
    wrong_area = av["p"] * av["l"] * 3
    resp = client.post(f"/percobaan/{attempt.id}", data={
        f"present-{simple.id}": "1", f"q-{simple.id}": f"{sv['a'] + sv['b']:.2f}".replace(".", ","),
        f"present-{area.id}": "1", f"q-{area.id}": f"{wrong_area:g} m2", "go": "submit"})
    assert resp.status_code == 302
    review = client.get(f"/percobaan/{attempt.id}/tinjau").data.decode()
    right = f"{sv['a'] + sv['b']:.2f}".replace(".", ",")
    a_shown, b_shown = (f"{sv[k]:g}".replace(".", ",") for k in ("a", "b"))
    assert f"{right} (a = {a_shown}; b = {b_shown})" in review  # the right answer with the values used
    assert f"The answer is  {a_shown} + {b_shown}" in review  # general feedback with this attempt's values
    area_right = format(av["p"] * av["l"], "#.3g").rstrip(".").replace(".", ",")
    assert f"{area_right} m2" in review  # three significant figures and the main unit
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.score == 1.0


def test_calculated_multichoice_shows_the_attempts_computed_choices_and_grades_as_multichoice(app, client, org,
                                                                                                auth, login):
    quiz, qs = _quiz_with_calculated(org, org.learner_a1)
    multi = qs["Pilihan hitungan"]
    ops.set_slots(quiz, question_ids=[multi.id])
    db.session.commit()
    h = auth(org.learner_a1)
    body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=h).get_json()
    attempt = db.session.get(Attempt, body["id"])
    values = attempt.layout[0]["values"]
    assert values in multi.data["items"]
    shown = body["questions"][0]
    n, hh = values["n"], values["h"]
    total = f"Rp{n * hh:.1f} ribu".replace(".", ",")
    assert {c["text"] for c in shown["choices"]} == {total, f"Rp{n + hh:.1f} ribu".replace(".", ","),
                                                     f"Rp{n * hh * 10:.1f} ribu".replace(".", ",")}
    assert f"Harga {n:g} buku @ Rp{hh:g} ribu".replace(".", ",") in shown["text"]
    right = next(c["id"] for c in shown["choices"] if c["text"] == total)
    assert client.put(f"/api/v1/attempts/{attempt.id}/answers/{multi.id}", headers=h,
                      json={"response": right}).status_code == 200
    assert client.post(f"/api/v1/attempts/{attempt.id}/submit", headers=h).get_json()["score"] == 1
    login(org.learner_a1)
    review = client.get(f"/percobaan/{attempt.id}/tinjau").data.decode()
    assert "Tepat." in review and f"{total} (n = {n:g}; h = {hh:g})".replace(".", ",") in review


def test_editor_finds_wildcards_generates_items_and_refuses_bad_formulas(app, client, org, login):
    course = make_course(org.instructor)
    db.session.commit()
    login(org.instructor)
    url = f"/kursus/{course.id}/bank-soal/baru/calculatedsimple"
    assert client.get(url).status_code == 200
    base = {"name": "Luas", "category": "Hitung", "text": "<p>Sisi {s} cm. Luasnya?</p>", "default_mark": "1",
            "rows": "2", "a0_formula": "{s} * {s}", "a0_fraction": "100", "a0_tolerance": "0,01",
            "a0_tolerance_type": "relative", "a0_display": "decimals", "a0_length": "1", "item_count": "5"}
    first = client.post(url, data=base)
    html = first.data.decode()
    # the wildcard is found and offered with Moodle's default range, nothing saved yet
    assert first.status_code == 422 and "Wildcard baru ditemukan: {s}" in html and 'name="d0_name" value="s"' in html
    assert db.session.scalar(select(Question)) is None
    ranged = {**base, "ds_n": "1", "d0_name": "s", "d0_min": "2", "d0_max": "9", "d0_decimals": "0",
              "d0_distribution": "uniform", "then": "generate"}
    saved = client.post(url, data=ranged)
    q = db.session.scalar(select(Question))
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/bank-soal/soal/{q.id}")
    assert len(q.data["items"]) == 5 and all(2 <= it["s"] <= 9 and it["s"] == int(it["s"]) for it in q.data["items"])
    edit = client.get(f"/bank-soal/soal/{q.id}").data.decode()
    s1 = q.data["items"][0]["s"]
    assert "Buat set data" in edit and f"<td>1</td><td>{s1:g}</td><td>{s1 * s1:.1f}".replace(".", ",") in edit
    # "Buat set data" again: new items (the count may change too)
    client.post(f"/bank-soal/soal/{q.id}", data={**ranged, "item_count": "20"})
    db.session.expire_all()
    assert len(db.session.get(Question, q.id).data["items"]) == 20
    # bad formulas are refused with the reason, naming the function, the wildcard or the item
    for formula, says in [("system({s})", "fungsi &#39;system&#39; tidak dikenal"),
                          ("{s} / ({s} - {s})", "tidak bisa dihitung untuk set data nomor 1"),
                          ("{s} * " + "1 + " * 130 + "1", "lebih dari 500 karakter"),
                          ("__import__('os')", "karakter tidak diizinkan")]:
        bad = client.post(f"/bank-soal/soal/{q.id}", data={**ranged, "then": "", "a0_formula": formula})
        assert bad.status_code == 422 and says in bad.data.decode(), formula
    too_many = client.post(f"/bank-soal/soal/{q.id}", data={**ranged, "item_count": "101"})
    assert too_many.status_code == 422 and "antara 1 dan 100" in too_many.data.decode()
    lo_gt_hi = client.post(f"/bank-soal/soal/{q.id}", data={**ranged, "d0_min": "9", "d0_max": "2"})
    assert lo_gt_hi.status_code == 422 and "minimum lebih besar dari maksimum" in lo_gt_hi.data.decode()


@pytest.mark.browser
def test_phone_author_generates_items_and_learner_answers_with_a_decimal_comma(live_server, page, browser_login):
    from app.accounts.models import User
    from app.courses.operations import enrol

    with live_server.app.app_context():
        instructor = db.session.scalar(select(User).where(User.username == "instruktur"))
        peserta = db.session.scalar(select(User).where(User.username == "peserta"))
        course = make_course(instructor, title="Kuis Hitung Peramban",
                             activities=[{"type": "quiz", "title": "Kuis hitung"}])
        quiz = ops.get_or_create_quiz(course.sections[0].activities[0])
        enrol(course, peserta)
        db.session.commit()
        course_id, quiz_id = course.id, quiz.id
        db.session.remove()

    page.set_viewport_size({"width": 390, "height": 844})
    browser_login("instruktur")
    page.goto(f"/kursus/{course_id}/bank-soal/baru/calculatedsimple")
    page.fill("input[name=name]", "Kecepatan")
    page.fill("textarea[name=text]", "<p>Jarak {s} km ditempuh dalam {t} jam. Berapa km/jam?</p>")
    page.fill("input[name=a0_formula]", "{s} / {t}")
    page.click("button[name=then][value=generate]")
    # first the wildcards are found and offered with Moodle's default range
    assert "Wildcard baru ditemukan: {s}, {t}" in page.content()
    page.fill("input[name=d0_min]", "40")
    page.fill("input[name=d0_max]", "120")
    page.fill("input[name=d0_decimals]", "0")
    page.fill("input[name=d1_min]", "1,5")  # Indonesian decimal comma
    page.fill("input[name=d1_max]", "4")
    page.click("button[name=then][value=generate]")
    page.wait_for_url("**/bank-soal/soal/*")
    assert page.locator("table.dataset-items tbody tr").count() == 10
    no_scroll = "document.documentElement.scrollWidth <= window.innerWidth + 1"
    assert page.evaluate(no_scroll)  # wide tables scroll inside their wrapper, not the page
    with live_server.app.app_context():
        q = db.session.scalar(select(Question).where(Question.course_id == course_id))
        ops.set_slots(db.session.get(type(quiz), quiz_id), question_ids=[q.id])
        db.session.commit()
        qid = q.id
        db.session.remove()

    page.context.clear_cookies()
    browser_login("peserta")
    page.goto(f"/kuis/{quiz_id}")
    page.click("text=Mulai kuis")
    page.wait_for_url("**/percobaan/*")
    text = page.inner_text(f"#soal-{qid} .prose")
    s, t = re.search(r"Jarak (\d+) km ditempuh dalam ([\d,]+) jam", text).groups()
    speed = f"{float(s) / float(t.replace(',', '.')):.2f}".replace(".", ",")
    field = page.locator(f"#soal-{qid} input[type=text]")
    assert field.get_attribute("inputmode") == "decimal"
    with page.expect_response(lambda r: f"/answers/{qid}" in r.url and r.request.method == "PUT") as saved:
        field.fill(speed)
    assert saved.value.status == 200
    page.click("#submit-attempt")
    page.wait_for_url("**/ringkasan")
    page.click("text=Kumpulkan semua dan selesai")
    page.wait_for_url("**/tinjau")
    assert page.inner_text("#score").startswith("1 / 1")
    assert f"(s = {s}; t = {t})" in page.content()


def test_calculated_multichoice_editor_reads_formulas_in_choices(app, client, org, login):
    course = make_course(org.instructor)
    db.session.commit()
    login(org.instructor)
    url = f"/kursus/{course.id}/bank-soal/baru/calculatedmulti"
    form = {"name": "Total", "category": "Hitung", "text": "<p>{n} buku @ {h} ribu?</p>", "default_mark": "1",
            "rows": "3", "single": "1", "shuffle": "1", "c0_text": "{={n} * {h}}", "c0_fraction": "100",
            "c1_text": "{={n} + {h}}", "c1_fraction": "0", "c2_text": "{={n} / ({h} - {h})}", "c2_fraction": "0",
            "display": "decimals", "length": "0", "item_count": "4", "ds_n": "2", "d0_name": "n", "d0_min": "2",
            "d0_max": "9", "d0_decimals": "0", "d1_name": "h", "d1_min": "10", "d1_max": "50", "d1_decimals": "0"}
    bad = client.post(url, data=form)
    assert bad.status_code == 422 and "tidak bisa dihitung untuk set data nomor 1" in bad.data.decode()
    saved = client.post(url, data={**form, "c2_text": "{={n} * {h} * 10}"})
    assert saved.status_code == 302
    q = db.session.scalar(select(Question).where(Question.type == "calculatedmulti"))
    assert len(q.data["items"]) == 4 and [c["length"] for c in q.data["choices"]] == [0, 0, 0]
    it = q.data["items"][0]
    page = client.get(f"/bank-soal/soal/{q.id}").data.decode()
    assert f"<td>{it['n'] * it['h']:.0f}</td><td>{it['n'] + it['h']:.0f}</td>" in page


def test_api_import_and_export_of_calculated_questions(app, client, org, auth):
    course = make_course(org.instructor)
    db.session.commit()
    h = {**auth(org.instructor), "Content-Type": "application/xml"}
    url = f"/api/v1/courses/{course.id}/questions/import"
    stop = client.post(url, data=CORPUS.read_bytes(), headers=h)
    assert stop.status_code == 422 and db.session.scalar(select(Question)) is None  # Moodle's default: stop
    resp = client.post(url + "?on_error=skip", data=CORPUS.read_bytes(), headers=h)
    assert resp.status_code == 201 and resp.json["imported"] == 4 and resp.json["category"] == "Hitungan"
    assert [s["element"] for s in resp.json["skipped"]] == [
        "quiz/question[5]/dataset_definitions/dataset_definition[1]/status", "quiz/question[6]", "quiz/question[7]",
        "quiz/question[8]", "quiz/question[10]"]
    exported = client.get(f"/api/v1/courses/{course.id}/questions/export", headers=auth(org.instructor))
    assert exported.status_code == 200
    back = parse_moodle_xml(exported.data)
    assert back.problems == [] and sorted(q.type for q in back.questions) == [
        "calculatedmulti", "calculatedsimple", "calculatedsimple", "calculatedsimple"]
