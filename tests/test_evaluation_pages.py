"""The evaluation pages: an instructor sets a survey up from the activity page, edits its questions;
a learner fills it without JavaScript; the report with charts and its XLSX; BPSDM edits a
shipped template; the instructor report across courses."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts import operations as acc_ops
from app.courses.models import Activity
from app.evaluation import operations as ops
from app.evaluation.models import Survey, SurveyTemplate
from app.extensions import db
from tests.conftest import nip_for
from tests.factories import enrol_all, make_course


def _survey_course(org, template="pengajar", **spec):
    course = make_course(org.instructor, activities=[{"type": "lesson", "title": "Pengantar"}])
    section = course.sections[0]
    a = Activity(course=course, section=section, type="survey", title="Evaluasi", settings={}, position=5)
    db.session.add(a)
    db.session.flush()
    survey = ops.create_survey(a, {"template": template, **spec})
    db.session.commit()
    return course, survey


def test_instructor_sets_up_a_survey_from_the_activity_page(client, org, login):
    course = make_course(org.instructor)
    db.session.commit()
    login(org.instructor)
    section = course.sections[0]
    resp = client.post(f"/mengajar/bagian/{section.id}/aktivitas/baru?type=survey",
                       data={"title": "Evaluasi penyelenggaraan", "required": "y", "visible": "y"})
    assert resp.status_code == 302
    a = db.session.scalar(select(Activity).where(Activity.type == "survey"))
    page = client.get(f"/mengajar/aktivitas/{a.id}").get_data(as_text=True)
    assert "Pengaturan survei" in page and 'name="template"' in page
    resp = client.post(f"/mengajar/aktivitas/{a.id}/survei", data={"template": "penyelenggaraan", "anonymous": "1",
                                                                   "before_certificate": "1"})
    assert resp.status_code == 302
    survey = db.session.scalar(select(Survey).where(Survey.activity_id == a.id))
    assert survey.anonymous and survey.before_certificate and len(survey.questions) == 10
    assert db.session.get(Activity, a.id).required is False
    # Edit the questions: drop the first, add a number question.
    page = client.get(f"/mengajar/survei/{survey.id}/pertanyaan").get_data(as_text=True)
    assert "Kejelasan tujuan pelatihan" in page
    form = {}
    for n, q in enumerate(survey.questions):
        form.update({f"text-{n}": q.text, f"kind-{n}": q.kind, f"options-{n}": "\n".join(q.options),
                     f"group-{n}": q.group, f"required-{n}": "1"})
    form["delete-0"] = "1"
    form.update({"text-10": "Berapa jam Anda belajar mandiri?", "kind-10": "number"})
    resp = client.post(f"/mengajar/survei/{survey.id}/pertanyaan", data=form)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    db.session.expire_all()
    texts = [q.text for q in db.session.get(Survey, survey.id).questions]
    assert len(texts) == 10 and texts[0] != "Kejelasan tujuan pelatihan" and texts[-1].startswith("Berapa jam")
    bad = client.post(f"/mengajar/survei/{survey.id}/pertanyaan", data={"text-0": "Pilih", "kind-0": "single",
                                                                         "options-0": "Satu"})
    assert bad.status_code == 422 and "dua pilihan" in bad.get_data(as_text=True)


def test_learner_fills_a_survey_without_javascript_and_sees_reasons(client, org, login):
    course, survey = _survey_course(org, "penyelenggaraan")
    enrol_all(course, org.learner_a1)
    db.session.commit()
    login(org.learner_a1)
    activity_page = client.get(f"/aktivitas/{survey.activity_id}").get_data(as_text=True)
    assert f"/survei/{survey.id}" in activity_page
    page = client.get(f"/survei/{survey.id}").get_data(as_text=True)
    assert "Sangat baik" in page and "Kejelasan tujuan pelatihan" in page
    first = survey.questions[0]
    resp = client.post(f"/survei/{survey.id}", data={f"a-{first.id}": "4"})
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert "wajib diisi" in text and 'value="4" checked' in text  # what was chosen stays chosen
    data = {}
    for q in survey.questions:
        if q.kind == "likert5":
            data[f"a-{q.id}"] = "5"
        elif q.kind == "single":
            data[f"a-{q.id}"] = "0"
        else:
            data[f"a-{q.id}"] = "=HYPERLINK(\"http://x\")"  # a comment that looks like a formula
    resp = client.post(f"/survei/{survey.id}", data=data)
    assert resp.status_code == 302
    assert "sudah mengisi" in client.get(f"/aktivitas/{survey.activity_id}").get_data(as_text=True)
    again = client.post(f"/survei/{survey.id}", data=data)
    assert again.status_code == 409
    # Learners read no report.
    assert client.get(f"/survei/{survey.id}/laporan").status_code == 403


def test_report_page_charts_and_xlsx_keep_anonymity(client, org, login):
    course, survey = _survey_course(org, "penyelenggaraan")
    people = [acc_ops.create_user(f"p{i}", password="rahasia123", name=f"Peserta {i}", nip=nip_for(200 + i),
                                  unit=org.a1) for i in range(5)]
    enrol_all(course, *people)
    db.session.commit()
    for i, p in enumerate(people):
        answers = {}
        for key, q, _i in ops.survey_items(survey):
            answers[key] = 4 if q.kind == "likert5" else (0 if q.kind == "single" else f"=1+{i}")
        ops.submit_response(survey, p, answers)
    db.session.commit()
    login(org.instructor)
    page = client.get(f"/survei/{survey.id}/laporan").get_data(as_text=True)
    assert 'class="report-chart"' in page and "chart.umd.min.js" in page and "4,00" in page
    assert "Peserta 0" not in page
    xlsx = client.get(f"/survei/{survey.id}/laporan?format=xlsx")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert wb.sheetnames == ["Ringkasan", "Pertanyaan", "Komentar"]  # no sheet of respondents
    comments = [row[2] for row in wb["Komentar"].iter_rows(min_row=2, values_only=True)]
    assert len(comments) == 5 and all(not str(c).startswith("=") for c in comments)
    cells = [str(cell) for ws in wb for row in ws.iter_rows(values_only=True) for cell in row]
    assert not [c for c in cells if c.startswith("Peserta ")]


def test_bpsdm_edits_a_shipped_template_and_new_surveys_use_it(client, org, login):
    login(org.learner_a1)
    assert client.get("/evaluasi/templat").status_code == 403
    client.post("/keluar")
    login(org.bpsdm_a)
    page = client.get("/evaluasi/templat").get_data(as_text=True)
    assert "Evaluasi Pengajar" in page and "Evaluasi Penyelenggaraan" in page
    page = client.get("/evaluasi/templat/pengajar").get_data(as_text=True)
    assert "Penguasaan materi" in page
    tpl = db.session.scalar(select(SurveyTemplate).where(SurveyTemplate.key == "pengajar"))
    form = {"title": "Evaluasi Widyaiswara", "description": "", "anonymous": "1"}
    for n, it in enumerate(tpl.items):
        form.update({f"code-{n}": it["code"], f"text-{n}": it["text"], f"kind-{n}": it["kind"], f"group-{n}": it["group"],
                     f"required-{n}": "1" if it["required"] else "", f"instructor-{n}": "1"})
    n = len(tpl.items)
    form.update({f"text-{n}": "Kerapian berpakaian", f"kind-{n}": "likert4", f"instructor-{n}": "1", f"required-{n}": "1"})
    resp = client.post("/evaluasi/templat/pengajar", data=form)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    _course_, survey = _survey_course(org, "pengajar")
    assert survey.questions[-1].text == "Kerapian berpakaian" and survey.questions[-1].kind == "likert4"
    assert survey.questions[0].code == "pengajar.penguasaan"
    empty = client.post("/evaluasi/templat/pengajar", data={"title": "Kosong", "text-0": ""})
    assert empty.status_code == 422 and "sedikitnya satu pertanyaan" in empty.get_data(as_text=True)
    assert client.post("/evaluasi/templat/pengajar/kembalikan").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(SurveyTemplate.title).where(SurveyTemplate.key == "pengajar")) == "Evaluasi Pengajar"


def test_instructor_report_across_courses(client, org, login, auth):
    people = [acc_ops.create_user(f"q{i}", password="rahasia123", name=f"Peserta {i}", nip=nip_for(300 + i),
                                  unit=org.a1) for i in range(7)]
    db.session.commit()
    big, s1 = _survey_course(org, "pengajar")
    small, s2 = _survey_course(org, "pengajar")
    enrol_all(big, *people)
    enrol_all(small, *people[:2])
    db.session.commit()
    for survey, who, value in ((s1, people, 5), (s2, people[:2], 1)):
        for p in who:
            ops.submit_response(survey, p, {key: value if q.kind == "likert5" else "Bagus" for key, q, _i in
                                            ops.survey_items(survey)})
    db.session.commit()
    login(org.bpsdm_a)
    page = client.get(f"/evaluasi/pengajar/{org.instructor.id}").get_data(as_text=True)
    assert "Penguasaan materi" in page and "hanya jumlah" in page
    doc = client.get(f"/api/v1/evaluation/instructors/{org.instructor.nip}/report", headers=auth(org.bpsdm_a)).json
    # The course with two respondents is counted, not averaged: the averages are the big course's.
    assert doc["average"] == 5.0 and doc["respondents"] == 9
    by_course = {c["course_id"]: c for c in doc["courses"]}
    assert by_course[small.id]["suppressed"] is True and by_course[small.id]["average"] is None
    assert by_course[big.id]["average"] == 5.0
    assert len(doc["comments"]) == 7
    # A new answer shows at once (the report's rows are cached per process, keyed by the answers).
    enrol_all(small, people[2])
    ops.submit_response(s2, people[2], {key: 1 if q.kind == "likert5" else "Baik" for key, q, _i in
                                        ops.survey_items(s2)})
    db.session.commit()
    again = client.get(f"/api/v1/evaluation/instructors/{org.instructor.nip}/report", headers=auth(org.bpsdm_a)).json
    assert again["respondents"] == 10
    mastery = [i for i in doc["questions"] if i["code"] == "pengajar.penguasaan"][0]
    assert mastery["count"] == 7 and mastery["distribution"]["5"] == 7
    xlsx = client.get(f"/evaluasi/pengajar/{org.instructor.id}?format=xlsx")
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.data)).sheetnames[0] == "Per kursus"
    # A learner cannot read it (404, as for any NIP not their own: issue 14); an instructor reads their own.
    assert client.get(f"/api/v1/evaluation/instructors/{org.instructor.nip}/report",
                      headers=auth(org.learner_a1)).status_code == 404
    assert client.get(f"/api/v1/evaluation/instructors/{org.instructor.nip}/report",
                      headers=auth(org.instructor)).status_code == 200
    overview = client.get("/evaluasi").get_data(as_text=True)
    assert big.title in overview and org.instructor.name in overview


def test_summary_per_organiser_and_unit_by_year(client, org, login, auth):
    people = [acc_ops.create_user(f"r{i}", password="rahasia123", name=f"Peserta {i}", nip=nip_for(400 + i),
                                  unit=org.a1 if i < 6 else org.b) for i in range(8)]
    db.session.commit()
    course, survey = _survey_course(org, "pengajar")
    enrol_all(course, *people)
    db.session.commit()
    for i, p in enumerate(people):
        ops.submit_response(survey, p, {key: (5 if i < 6 else 1) if q.kind == "likert5" else "Baik"
                                        for key, q, _i in ops.survey_items(survey)})
    db.session.commit()
    doc = client.get("/api/v1/evaluation/summary", headers=auth(org.admin), query_string={"by": "organiser"}).json
    [row] = doc["items"]
    # 6 people x 6 scale answers of 5 and 2 x 6 of 1: (180 + 12) / 48
    assert row["key"] == "BPSDM Provinsi Uji" and row["respondents"] == 8 and row["average"] == round(192 / 48, 2)
    units = client.get("/api/v1/evaluation/summary", headers=auth(org.admin), query_string={"by": "unit"}).json
    by_unit = {r["key"]: r for r in units["items"]}
    assert by_unit["Bidang A1"]["average"] == 5.0
    assert by_unit["Dinas B"]["respondents"] == 2 and by_unit["Dinas B"]["average"] is None  # under 5: a count
    # BPSDM of unit A sees its own units' answers only.
    mine = client.get("/api/v1/evaluation/summary", headers=auth(org.bpsdm_a), query_string={"by": "unit"}).json
    assert [r["key"] for r in mine["items"]] == ["Bidang A1"]
    assert client.get("/api/v1/evaluation/summary", headers=auth(org.learner_a1)).status_code == 403
    assert client.get("/api/v1/evaluation/summary", headers=auth(org.admin),
                      query_string={"by": "planet"}).status_code == 400
    login(org.bpsdm_a)
    page = client.get("/evaluasi/ringkasan?per=unit").get_data(as_text=True)
    assert "Bidang A1" in page and "Dinas B" not in page and "5,00" in page
    xlsx = client.get("/evaluasi/ringkasan?per=organiser&format=xlsx")
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.data)).sheetnames == ["Ringkasan"]


def test_open_and_close_times_are_read_in_the_persons_zone(client, org, login):
    course = make_course(org.instructor)
    a = Activity(course=course, section=course.sections[0], type="survey", title="Evaluasi", settings={}, position=9)
    db.session.add(a)
    db.session.commit()
    login(org.instructor)
    resp = client.post(f"/mengajar/aktivitas/{a.id}/survei", data={"template": "pengajar", "anonymous": "1",
                                                                   "open_at": "2027-03-01T08:00",
                                                                   "close_at": "2027-03-02T17:00"})
    assert resp.status_code == 302
    survey = db.session.scalar(select(Survey).where(Survey.activity_id == a.id))
    assert survey.open_at.isoformat() == "2027-03-01T01:00:00"  # 08:00 WIB is 01:00 UTC
    page = client.get(f"/mengajar/aktivitas/{a.id}").get_data(as_text=True)
    assert 'value="2027-03-02T17:00"' in page
    bad = client.post(f"/mengajar/aktivitas/{a.id}/survei", data={"open_at": "2027-03-05T08:00",
                                                                  "close_at": "2027-03-02T17:00"})
    assert bad.status_code == 302
    assert "sesudah" in client.get(f"/mengajar/aktivitas/{a.id}").get_data(as_text=True)
