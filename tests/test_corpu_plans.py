"""Development plans (approval flow, scoping), the training-needs map, programs and talent."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.accounts import operations as accounts_ops
from app.accounts.models import Position
from app.corpu import operations as ops
from app.corpu.models import ProgramCompletion, ProgramNotice, TalentRating
from app.corpu.needs import training_needs
from app.corpu.queries import nine_box, plan_progress, staff_plans
from app.courses.models import Activity
from app.courses.operations import complete_activity, enrol
from app.errors import Forbidden, RuleViolation
from app.extensions import db
from tests.factories import make_course


def setup_standard(**levels):
    position = db.session.scalar(db.select(Position).where(Position.name == "Analis Kebijakan"))
    for code, level in levels.items():
        ops.set_standard(position, ops.get_competency(code.replace("_", "-")), level)


def assess(user, code, level):
    ops.record_assessment(user, ops.get_competency(code), level, date(2025, 6, 1), "assessment_centre")


def finish(user, course):
    for act in db.session.scalars(db.select(Activity).where(Activity.course_id == course.id)):
        complete_activity(user, act)


# --- plans -------------------------------------------------------------------------------------

def test_plan_flow_submit_return_resubmit_approve_and_progress(app, org):
    setup_standard(MJ_INT=3)
    assess(org.learner_a1, "MJ-INT", 1)
    course = make_course(title="Integritas ASN", jp=6, competencies=[("MJ-INT", 3)])
    me = org.learner_a1
    plan = ops.plan_for(me, 2026)
    ops.add_plan_item(plan, me, kind="course", course=course, competency_code="MJ-INT")
    coaching = ops.add_plan_item(plan, me, kind="coaching", title="Coaching dengan atasan", planned_jp="4")
    with pytest.raises(Forbidden):
        ops.add_plan_item(plan, org.learner_b, kind="mentoring", title="x", planned_jp=2)
    ops.submit_plan(plan, me)
    with pytest.raises(RuleViolation):
        ops.add_plan_item(plan, me, kind="mentoring", title="Mentoring", planned_jp=2)
    with pytest.raises(Forbidden):
        ops.approve_plan(plan, org.learner_b)  # not their supervisor
    with pytest.raises(Forbidden):
        ops.approve_plan(plan, me)  # not one's own
    ops.return_plan(plan, org.head_a, "Tambahkan mentoring.")
    assert plan.status == "returned" and plan.comment == "Tambahkan mentoring."
    ops.add_plan_item(plan, me, kind="mentoring", title="Mentoring penulisan kebijakan", planned_jp=2)
    ops.submit_plan(plan, me)
    ops.approve_plan(plan, org.head_a, "Setuju.")
    assert plan.status == "approved" and plan.decided_by_id == org.head_a.id
    prog = plan_progress(plan)
    assert (prog.planned_jp, prog.done_jp) == (Decimal("12.00"), Decimal(0))
    enrol(course, me)
    finish(me, course)
    ops.mark_item_done(coaching, me)
    prog = plan_progress(plan)
    assert prog.done_jp == Decimal("10.00") and round(prog.percent) == 83
    assert [i.done for i in prog.items] == [True, True, False]


def test_supervisor_sees_only_their_staff_plans(app, org, client, login):
    for person in (org.learner_a1, org.learner_b):
        plan = ops.plan_for(person, 2026)
        ops.add_plan_item(plan, person, kind="coaching", title=f"Coaching {person.username}", planned_jp=2)
        ops.submit_plan(plan, person)
    db.session.commit()
    plan_b = ops.plan_for(org.learner_b, 2026, create=False)
    plan_a1 = ops.plan_for(org.learner_a1, 2026, create=False)
    assert [p.user_id for p in staff_plans(org.head_a, status="submitted")] == [org.learner_a1.id]
    assert staff_plans(org.learner_b) == []
    login(org.head_a)
    page = client.get("/rencana/staf").get_data(as_text=True)
    assert "Learner A1" in page and "Learner B" not in page
    assert client.get(f"/rencana/{plan_b.id}/tinjau").status_code == 403
    resp = client.post(f"/rencana/{plan_a1.id}/tinjau", data={"decision": "return", "comment": ""})
    assert resp.status_code == 400  # a return needs a reason
    resp = client.post(f"/rencana/{plan_a1.id}/tinjau", data={"decision": "approve", "comment": "Bagus"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert ops.plan_for(org.learner_a1, 2026, create=False).status == "approved"
    client.post("/keluar")
    login(org.learner_b)
    assert client.get(f"/rencana/{plan_a1.id}/tinjau").status_code == 403
    assert client.get("/rencana/staf").status_code == 403


def test_learner_builds_plan_on_the_page(app, org, client, login):
    setup_standard(MJ_INT=2)
    course = make_course(title="Integritas Dasar", jp=3, competencies=[("MJ-INT", 2)])
    db.session.commit()
    login(org.learner_a1)
    page = client.get("/rencana?tahun=2026").get_data(as_text=True)
    assert "Integritas Dasar" in page
    assert client.post(f"/rencana/2026/kursus/{course.id}").status_code == 302
    assert client.post("/rencana/2026/kegiatan", data={"kind": "internship", "title": "Magang di Diskominfo",
                                                       "planned_jp": "10", "competency": ""}).status_code == 302
    client.post("/rencana/2026/ajukan")
    page = client.get("/rencana?tahun=2026").get_data(as_text=True)
    assert "Menunggu persetujuan" in page and "Magang di Diskominfo" in page


# --- training-needs map ------------------------------------------------------------------------

@pytest.fixture
def needs_case(org):
    """Hand-computed case (see the assertions): standard INT 3, LITDIG 2 for everyone."""
    setup_standard(MJ_INT=3, TEK_LITDIG=2)
    assess(org.learner_a1, "MJ-INT", 1)
    assess(org.learner_a1, "TEK-LITDIG", 2)
    assess(org.head_a, "MJ-INT", 3)
    assess(org.bpsdm_a, "MJ-INT", 2)
    assess(org.bpsdm_a, "TEK-LITDIG", 1)
    assess(org.instructor, "MJ-INT", 2)
    assess(org.learner_b, "MJ-INT", 1)
    c1 = make_course(title="Integritas Lanjut", competencies=[("MJ-INT", 3)])
    c2 = make_course(title="Integritas Dasar", competencies=[("MJ-INT", 2)])
    c3 = make_course(title="Literasi Digital", competencies=[("TEK-LITDIG", 2)])
    c5 = make_course(title="Pengenalan Digital", competencies=[("TEK-LITDIG", 1)])
    c4 = make_course(title="Draf", competencies=[("TEK-LITDIG", 3)])
    c4.published = False
    for course, cost in ((c1, 1_000_000), (c2, 400_000), (c3, 250_000), (c5, 50_000), (c4, 100)):
        ops.set_course_cost(course, cost)
    ops.set_budget(org.instansi, 2026, 1_000_000_000)
    db.session.commit()
    return c1, c2, c3, c5


def test_training_needs_match_the_hand_computed_case(app, org, needs_case):
    c1, c2, c3, c5 = needs_case
    m = training_needs(org.a, 2026)
    # unit A: bpsdm_a, head_a, instructor, learner_a1 (A1)
    # INT: learner_a1 (1), bpsdm_a (2), instructor (2) in gap; head_a meets it
    # LITDIG: head_a (0), bpsdm_a (1), instructor (0) in gap; learner_a1 meets it
    assert [(n.competency, n.employees_with_gap, n.by_level) for n in m.needs] == \
        [("MJ-INT", 3, {1: 1, 2: 2}), ("TEK-LITDIG", 3, {0: 2, 1: 1})]
    integ, lit = m.needs
    assert [(s.course_id, s.participants, s.cost) for s in integ.suggested] == \
        [(c1.id, 3, Decimal("3000000.00")), (c2.id, 1, Decimal("400000.00"))]
    assert [(s.course_id, s.participants) for s in lit.suggested] == [(c3.id, 3), (c5.id, 2)]
    assert integ.estimated_cost == Decimal("3000000.00") and lit.estimated_cost == Decimal("750000.00")
    assert m.total_cost == Decimal("3750000.00")
    assert m.envelope == Decimal("3400000.00")  # 0,34 % of Rp1 miliar
    assert m.within_envelope is False
    whole = training_needs(None, 2026)  # + admin (never assessed) and learner_b
    assert [(n.competency, n.employees_with_gap) for n in whole.needs] == [("MJ-INT", 5), ("TEK-LITDIG", 5)]
    accounts_ops.update_user(org.instructor, active=False)
    assert [n.employees_with_gap for n in training_needs(org.a, 2026).needs] == [2, 2]


def test_training_needs_api_and_xlsx(app, org, needs_case, client, auth, login):
    c1, *_ = needs_case
    resp = client.get(f"/api/v1/training-needs?unit={org.a.id}&year=2026", headers=auth(org.bpsdm_a))
    assert resp.status_code == 200
    first = resp.json["items"][0]
    assert {k: first[k] for k in ("competency", "employees_with_gap", "estimated_cost")} == \
        {"competency": "MJ-INT", "employees_with_gap": 3, "estimated_cost": 3000000.0}
    assert first["suggested_courses"][0] == {"course_id": c1.id, "title": "Integritas Lanjut", "level": 3,
                                             "participants": 3, "cost_per_participant": 1000000.0, "cost": 3000000.0}
    assert client.get(f"/api/v1/training-needs?unit={org.b.id}", headers=auth(org.bpsdm_a)).status_code == 403
    assert client.get("/api/v1/training-needs", headers=auth(org.learner_a1)).status_code == 403
    assert client.get("/api/v1/training-needs?year=abc", headers=auth(org.admin)).status_code == 400
    login(org.bpsdm_a)
    page = client.get(f"/kebutuhan-pelatihan?unit={org.a.id}&tahun=2026").get_data(as_text=True)
    assert "Rp3.750.000" in page and "Rp3.400.000" in page and "melebihi pagu" in page
    resp = client.get(f"/kebutuhan-pelatihan.xlsx?unit={org.a.id}&tahun=2026")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert ("MJ-INT", "Integritas", 3, "Integritas Lanjut", 3, 3, 1000000.0, 3000000.0, 3000000.0) in rows
    assert any(r[0] == "Total perkiraan biaya" and r[8] == 3750000.0 for r in rows)


# --- programs ----------------------------------------------------------------------------------

def test_program_completes_expires_and_notifies_once(app, org, client, login):
    a = make_course(title="APKD Modul 1")
    b = make_course(title="APKD Modul 2")
    prog = ops.save_program(code="APKD", title="Sertifikasi APKD", validity_years=3, course_ids=[a.id, b.id])
    assert prog.total_jp == Decimal(8)
    me = org.learner_a1
    enrol_all = [enrol(a, me), enrol(b, me)]
    assert enrol_all
    finish(me, a)
    assert db.session.scalar(db.select(db.func.count()).select_from(ProgramCompletion)) == 0
    finish(me, b)
    pc = db.session.scalar(db.select(ProgramCompletion))
    assert pc.completed_on == date.today() and pc.expires_on == date.today().replace(year=date.today().year + 3)
    assert ops.notify_expiring(pc.expires_on - timedelta(days=200)) == 0
    assert ops.notify_expiring(pc.expires_on - timedelta(days=30)) == 1
    assert ops.notify_expiring(pc.expires_on - timedelta(days=29)) == 0  # told once
    db.session.commit()
    login(me)
    assert "Sertifikasi APKD" in client.get("/").get_data(as_text=True)
    notice = db.session.scalar(db.select(ProgramNotice))
    client.post(f"/kompetensi/pemberitahuan/{notice.id}/baca")
    assert "Sertifikasi APKD Anda berakhir" not in client.get("/").get_data(as_text=True)
    renewed = ops.recertify(prog, me, date.today())
    assert renewed.kind == "recertification"


# --- talent ------------------------------------------------------------------------------------

def test_talent_import_nine_box_and_people(app, org, client, login):
    from app.accounts.queries import reach

    rows = ("nip,kinerja,potensi,periode\n"
            f"{org.learner_a1.nip},high,high,2025\n"
            f"{org.head_a.nip},tinggi,sedang,2025\n"
            f"{org.learner_b.nip},low,medium,2025\n")
    result = ops.import_talent("t.csv", rows.encode(), reach(org.admin))
    assert result == {"created": 3, "updated": 0}
    counts = nine_box(None, "2025", reach(org.admin))
    assert (counts[9], counts[7], counts[3], sum(counts.values())) == (1, 1, 1, 3)
    assert nine_box(None, "2025", reach(org.bpsdm_a))[3] == 0  # learner_b is outside unit A
    bad = ("nip,kinerja,potensi,periode\n"
           f"{org.learner_a1.nip},luar biasa,high,2025\n"
           f"{org.learner_b.nip},low,low,kemarin\n")
    with pytest.raises(RuleViolation) as exc:
        ops.import_talent("t.csv", bad.encode(), reach(org.bpsdm_a))
    assert {(d["row"], d["column"]) for d in exc.value.details} == {(2, "kinerja"), (3, "nip"), (3, "periode")}
    db.session.commit()
    login(org.admin)
    page = client.get("/talenta?periode=2025&kotak=9").get_data(as_text=True)
    assert 'data-box="9"' in page and "Learner A1" in page.split('id="box-people"')[1]
    assert db.session.scalar(db.select(db.func.count()).select_from(TalentRating)) == 3


def test_plan_api_flow_and_scoping(app, org, client, auth):
    course = make_course(title="Integritas ASN", jp=6, competencies=[("MJ-INT", 3)])
    db.session.commit()
    me = auth(org.learner_a1)
    resp = client.post("/api/v1/plans/2026/items", json={"kind": "course", "course_id": course.id}, headers=me)
    assert resp.status_code == 201 and resp.json["items"][0]["title"] == "Integritas ASN"
    resp = client.post("/api/v1/plans/2026/items", json={"kind": "mentoring", "title": "", "planned_jp": 2}, headers=me)
    assert resp.status_code == 400
    resp = client.post("/api/v1/plans/2026/items", json={"kind": "mentoring", "title": "Mentoring", "planned_jp": "2.5"},
                       headers=me)
    assert resp.json["planned_jp"] == 8.5
    plan_id = client.post("/api/v1/plans/2026/submit", headers=me).json["id"]
    assert client.post(f"/api/v1/plans/{plan_id}/approve", json={}, headers=auth(org.learner_b)).status_code == 403
    assert client.post(f"/api/v1/plans/{plan_id}/return", json={"comment": ""},
                       headers=auth(org.head_a)).status_code == 400
    resp = client.post(f"/api/v1/plans/{plan_id}/approve", json={"comment": "Setuju"}, headers=auth(org.head_a))
    assert resp.status_code == 200 and resp.json["status"] == "approved"
    nip = org.learner_a1.nip
    assert client.get(f"/api/v1/employees/{nip}/plans/2026", headers=auth(org.head_a)).json["comment"] == "Setuju"
    assert client.get(f"/api/v1/employees/{nip}/plans/2026", headers=auth(org.learner_b)).status_code == 404
    assert client.get(f"/api/v1/employees/{nip}/plans/2025", headers=me).json["items"] == []
