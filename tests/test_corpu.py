"""CMB layer: dictionary, gaps, recommendations, course evidence, imports and the API."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from app.accounts import operations as accounts_ops
from app.accounts.models import Position
from app.corpu import operations as ops
from app.corpu.gaps import employee_gaps
from app.corpu.models import Assessment, Competency, PositionStandard
from app.corpu.recommend import recommendations
from app.courses.models import Activity
from app.courses.operations import complete_activity, enrol
from app.extensions import db
from tests.factories import make_course


def comp(code: str) -> Competency:
    return ops.get_competency(code)


def standard(position_name: str, **levels: int) -> Position:
    position = db.session.scalar(db.select(Position).where(Position.name == position_name))
    for code, level in levels.items():
        ops.set_standard(position, comp(code.replace("_", "-")), level)
    return position


def assess(user, code: str, level: int, on: date = date(2025, 3, 1), source: str = "assessment_centre"):
    return ops.record_assessment(user, comp(code), level, on, source)


def complete_course(user, course) -> None:
    for act in db.session.scalars(db.select(Activity).where(Activity.course_id == course.id)):
        complete_activity(user, act)


def csv_file(text: str, name: str = "data.csv"):
    return {"file": (io.BytesIO(text.encode()), name)}


def test_dictionary_is_loaded_with_levels_and_indicators(app):
    codes = {c.code for c in db.session.scalars(db.select(Competency))}
    assert {"MJ-INT", "MJ-KS", "MJ-KOM", "MJ-OPH", "MJ-PP", "MJ-PDOL", "MJ-MP", "MJ-PK", "SK-PB",
            "TEK-LITDIG", "TEK-KEUDA"} <= codes
    assert any(c.startswith("PEM-") for c in codes)
    integritas = comp("MJ-INT")
    assert [lv.level for lv in integritas.levels] == [1, 2, 3, 4, 5]
    assert integritas.levels[0].description.startswith("Mampu bertindak sesuai nilai, norma, dan etika organisasi")
    assert all(len(lv.indicator_list) >= 2 for c in db.session.scalars(db.select(Competency)) for lv in c.levels)


def test_gap_is_required_minus_newest_assessed_level(app, org):
    standard("Analis Kebijakan", MJ_INT=3, MJ_KOM=2, TEK_LITDIG=4)
    u = org.learner_a1
    assess(u, "MJ-INT", 1, date(2024, 1, 10))
    assess(u, "MJ-INT", 2, date(2025, 1, 10))
    assess(u, "MJ-INT", 3, date(2023, 5, 5))  # older: recorded, but does not count
    assess(u, "MJ-KOM", 3, date(2025, 2, 1))  # above the standard: no gap
    gaps = {g.competency: g for g in employee_gaps(u)}
    assert (gaps["MJ-INT"].required_level, gaps["MJ-INT"].current_level, gaps["MJ-INT"].gap) == (3, 2, 1)
    assert (gaps["MJ-KOM"].current_level, gaps["MJ-KOM"].gap) == (3, 0)
    assert (gaps["TEK-LITDIG"].current_level, gaps["TEK-LITDIG"].gap) == (0, 4)  # never assessed
    assert [g.competency for g in employee_gaps(u)][0] == "TEK-LITDIG"  # largest first
    org.learner_b.position = None
    assert employee_gaps(org.learner_b) == []


def test_recommendations_rank_by_levels_closed_per_jp_then_title(app, org):
    standard("Analis Kebijakan", MJ_INT=3, MJ_KOM=3, TEK_LITDIG=2)
    u = org.learner_a1
    assess(u, "MJ-INT", 1)
    assess(u, "MJ-KOM", 2)
    # closes INT by 2 levels and KOM by 1 in 6 JP -> 0.5 per JP
    both = make_course(title="Zeta Kepemimpinan", jp=6, competencies=[("MJ-INT", 3), ("MJ-KOM", 3)])
    # INT 1 -> 2: 1 level in 2 JP -> 0.5 per JP, ties with `both`, sorted by title (Alfa first)
    small = make_course(title="Alfa Integritas", jp=2, competencies=[("MJ-INT", 2)])
    # LITDIG 0 -> 2 capped at required 2 though course is level 4: 2 levels in 2 JP -> 1 per JP
    lit = make_course(title="Literasi Digital", jp=2, competencies=[("TEK-LITDIG", 4)])
    make_course(title="Tidak menutup", jp=1, competencies=[("MJ-KOM", 2)])  # level not above current
    hidden = make_course(title="Belum terbit", jp=1, competencies=[("MJ-INT", 3)])
    hidden.published = False
    recs = recommendations(u)
    assert [r.course.id for r in recs] == [lit.id, small.id, both.id]
    assert recs[2].closes == ["MJ-INT", "MJ-KOM"] and recs[2].levels_closed == 3
    assert recs[0].levels_closed == 2


def test_completed_course_raises_lower_levels_only_and_says_so(app, org):
    standard("Analis Kebijakan", MJ_INT=3, TEK_LITDIG=2)
    u = org.learner_a1
    assess(u, "MJ-INT", 3)
    assess(u, "TEK-LITDIG", 1)
    course = make_course(title="Literasi Digital ASN", competencies=[("TEK-LITDIG", 2), ("MJ-INT", 2), ("XX-UNKNOWN", 3)])
    enrol(course, u)
    complete_course(u, course)
    db.session.commit()
    evidence = db.session.scalars(db.select(Assessment).where(Assessment.source == "course")).all()
    assert [(a.competency.code, a.previous_level, a.level, a.course_id) for a in evidence] == \
        [("TEK-LITDIG", 1, 2, course.id)]
    assert {g.competency: g.gap for g in employee_gaps(u)} == {"MJ-INT": 0, "TEK-LITDIG": 0}
    assert recommendations(u) == []


def test_import_competencies_creates_updates_and_refuses_whole(app, org, client, auth):
    good = ("code,name,group,level,description\n"
            "TEK-SPBE,Tata Kelola SPBE,Teknis,1,Memahami arsitektur SPBE.\n"
            "TEK-SPBE,Tata Kelola SPBE,Teknis,2,Menerapkan tata kelola SPBE di unit kerja.\n"
            "MJ-INT,Integritas,Manajerial,1,Mampu bertindak sesuai nilai dan etika organisasi.\n")
    resp = client.post("/api/v1/competencies/import", data=csv_file(good), headers=auth(org.admin))
    assert resp.status_code == 200, resp.json
    assert resp.json == {"created": 2, "updated": 1}
    assert [lv.level for lv in comp("TEK-SPBE").levels] == [1, 2]
    again = client.post("/api/v1/competencies/import", data=csv_file(good), headers=auth(org.admin))
    assert again.json == {"created": 0, "updated": 0}
    bad = ("code,name,group,level,description\n"
           "TEK-BARU,Baru,Teknis,1,Satu\n"
           "tek baru,Baru,Teknis,7,\n"
           "TEK-BARU,Baru,Rahasia,1,Dua\n")
    resp = client.post("/api/v1/competencies/import", data=csv_file(bad), headers=auth(org.admin))
    assert resp.status_code == 422
    details = {(d["row"], d["column"]) for d in resp.json["error"]["details"]}
    assert {(3, "code"), (3, "level"), (3, "description"), (4, "group"), (4, "level")} <= details
    assert ops.competency_by_code("TEK-BARU") is None  # nothing saved
    assert client.post("/api/v1/competencies/import", data=csv_file(good),
                       headers=auth(org.bpsdm_a)).status_code == 403


def test_import_standards_from_xlsx_and_refusal(app, org, client, auth):
    wb = Workbook()
    ws = wb.active
    ws.append(["jabatan", "competency", "required_level"])
    ws.append(["Analis Kebijakan", "MJ-INT", 3])
    ws.append(["Pranata Komputer Ahli Pertama", "TEK-LITDIG", 3])
    buf = io.BytesIO()
    wb.save(buf)
    resp = client.post("/api/v1/positions/standards/import", headers=auth(org.admin),
                       data={"file": (io.BytesIO(buf.getvalue()), "standar.xlsx")})
    assert resp.status_code == 200, resp.json
    assert resp.json == {"created": 2, "updated": 0}
    assert db.session.scalar(db.select(db.func.count()).select_from(PositionStandard)) == 2
    bad = ("jabatan,competency,required_level\n"
           "Analis Kebijakan,MJ-INT,4\n"
           ",MJ-XXX,0\n"
           "Analis Kebijakan,MJ-INT,2\n")
    resp = client.post("/api/v1/positions/standards/import", data=csv_file(bad), headers=auth(org.admin))
    assert resp.status_code == 422
    assert {(d["row"], d["column"]) for d in resp.json["error"]["details"]} == \
        {(3, "jabatan"), (3, "competency"), (3, "required_level"), (4, "competency")}
    db.session.expire_all()
    assert {g.competency: g.required_level for g in employee_gaps(org.learner_a1)} == {"MJ-INT": 3}


def test_import_assessments_respects_reach_and_names_every_bad_row(app, org, client, auth):
    rows = (f"nip,competency,level,assessed_on,source\n"
            f"{org.learner_a1.nip},MJ-INT,2,2025-01-15,assessment_centre\n"
            f"{org.learner_b.nip},MJ-INT,2,2025-01-15,supervisor\n"
            f"000,MJ-INT,9,kemarin,tebakan\n")
    resp = client.post("/api/v1/assessments/import", data=csv_file(rows), headers=auth(org.bpsdm_a))
    assert resp.status_code == 422
    details = {(d["row"], d["column"]) for d in resp.json["error"]["details"]}
    assert details == {(3, "nip"), (4, "nip"), (4, "level"), (4, "assessed_on"), (4, "source")}
    assert db.session.scalar(db.select(db.func.count()).select_from(Assessment)) == 0
    ok = f"nip,competency,level,assessed_on,source\n{org.learner_a1.nip},MJ-INT,2,2025-01-15,assessment_centre\n"
    resp = client.post("/api/v1/assessments/import", data=csv_file(ok), headers=auth(org.bpsdm_a))
    assert resp.status_code == 200 and resp.json == {"created": 1}
    assert client.post("/api/v1/assessments/import", data=csv_file(ok),
                       headers=auth(org.learner_a1)).status_code == 403


def test_gap_and_recommendation_api_shapes_and_scoping(app, org, client, auth):
    standard("Analis Kebijakan", MJ_INT=3)
    assess(org.learner_a1, "MJ-INT", 1)
    course = make_course(title="Integritas ASN", jp=4, competencies=[("MJ-INT", 3)])
    db.session.commit()
    nip = org.learner_a1.nip
    for viewer in (org.learner_a1, org.head_a, org.bpsdm_a, org.admin):
        resp = client.get(f"/api/v1/employees/{nip}/gaps", headers=auth(viewer))
        assert resp.status_code == 200
        assert resp.json["items"] == [{"competency": "MJ-INT", "name": "Integritas", "kind": "manajerial",
                              "required_level": 3, "current_level": 1, "gap": 2}]
    recs = client.get(f"/api/v1/employees/{nip}/recommendations", headers=auth(org.learner_a1)).json["items"]
    assert recs == [{"course_id": course.id, "title": "Integritas ASN", "jp": 4.0, "closes": ["MJ-INT"],
                     "levels_closed": 2, "enrolled": False}]
    assert client.get(f"/api/v1/employees/{nip}/gaps", headers=auth(org.learner_b)).status_code == 404
    assert client.get("/api/v1/employees/199901012020011999/gaps", headers=auth(org.admin)).status_code == 404
    dictionary = client.get("/api/v1/competencies?per_page=200", headers=auth(org.learner_b)).json["items"]
    integritas = next(c for c in dictionary if c["code"] == "MJ-INT")
    assert integritas["group"] == "manajerial" and len(integritas["levels"]) == 5
    assert set(integritas["levels"][0]) == {"level", "description", "indicators"}
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/employees/{nip}/gaps", "/api/v1/employees/{nip}/recommendations", "/api/v1/training-needs",
                 "/api/v1/competencies/import", "/api/v1/positions/standards/import", "/api/v1/assessments/import"):
        assert path in spec["paths"]


def test_competency_checker_refuses_unknown_codes(app):
    from app.courses.activity_types import COMPETENCY_CHECKERS

    assert ops.unknown_codes in COMPETENCY_CHECKERS
    assert ops.unknown_codes(["MJ-INT", "tek-litdig", "XX-NOPE"]) == {"XX-NOPE"}


def test_evidence_is_never_dated_before_the_level_it_raises(app, org):
    u = org.learner_a1
    assess(u, "MJ-KS", 1, date.today())
    course = make_course(competencies=[("MJ-KS", 2)])
    enrol(course, u)
    ops.apply_course_evidence(u, course, datetime(2020, 1, 1))
    assert ops.current_level(u, comp("MJ-KS")) == 2


@pytest.mark.parametrize("name", ["Pranata Komputer"])
def test_import_standard_for_new_position_creates_it(app, org, client, auth, name):
    resp = client.post("/api/v1/positions/standards/import", headers=auth(org.admin),
                       data=csv_file(f"jabatan,competency,required_level\n{name},TEK-LITDIG,2\n"))
    assert resp.json == {"created": 1, "updated": 0}
    accounts_ops.update_user(org.learner_b, position=name)
    assert [g.as_dict()["required_level"] for g in employee_gaps(org.learner_b)] == [2]
