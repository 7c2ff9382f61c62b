"""CMB pages a person uses: dictionary editing, standards, assessments, costs and budget, programs,
the home panels; and course packages checked against the dictionary."""

from __future__ import annotations

import io
from datetime import date

import pytest

from app.accounts.models import Position
from app.corpu import operations as ops
from app.corpu.models import CourseCost, PositionStandard, Program, TrainingBudget
from app.extensions import db
from tests.factories import make_course


def test_admin_edits_the_dictionary_and_others_cannot(app, org, client, login):
    login(org.admin)
    resp = client.post("/kompetensi/kamus/baru", data={
        "code": "TEK-SPBE", "name": "Tata Kelola SPBE", "group": "teknis", "description": "Arsitektur SPBE.",
        "level1": "Memahami arsitektur SPBE.", "ind1": "Menjelaskan domain SPBE\nMengenali aplikasi umum",
        "level2": "", "ind2": "", "level3": "", "ind3": "", "level4": "", "ind4": "", "level5": "", "ind5": ""})
    assert resp.status_code == 302
    comp = ops.get_competency("TEK-SPBE")
    assert comp.levels[0].indicator_list == ["Menjelaskan domain SPBE", "Mengenali aplikasi umum"]
    resp = client.post("/kompetensi/kamus/baru", data={"code": "MJ-INT", "name": "Ganda", "group": "manajerial"})
    assert resp.status_code == 409  # a code is unique
    page = client.get("/kompetensi/kamus").get_data(as_text=True)
    assert "Tata Kelola SPBE" in page and "Mampu bertindak sesuai nilai, norma, dan etika organisasi" in page
    client.post("/keluar")
    login(org.bpsdm_a)
    assert client.get("/kompetensi/kamus/MJ-INT/ubah").status_code == 403
    assert client.get("/kompetensi/impor/kamus").status_code == 403
    assert client.get("/kompetensi/impor/asesmen").status_code == 200


def test_standard_and_assessment_pages(app, org, client, login):
    login(org.admin)
    resp = client.post("/kompetensi/standar", data={"position": "Analis Kebijakan", "competency": "MJ-PK",
                                                   "required_level": "3"})
    assert resp.status_code == 302
    position = db.session.scalar(db.select(Position).where(Position.name == "Analis Kebijakan"))
    std = db.session.scalar(db.select(PositionStandard).where(PositionStandard.position_id == position.id))
    assert (std.competency.code, std.required_level) == ("MJ-PK", 3)
    client.post("/keluar")
    login(org.bpsdm_a)
    resp = client.post("/kompetensi/asesmen", data={"nip": org.learner_b.nip, "competency": "MJ-PK", "level": "2",
                                                   "assessed_on": "2025-02-01", "source": "supervisor"})
    assert resp.status_code == 403  # learner_b is outside unit A
    resp = client.post("/kompetensi/asesmen", data={"nip": org.learner_a1.nip, "competency": "MJ-PK", "level": "2",
                                                   "assessed_on": "2025-02-01", "source": "supervisor"})
    assert resp.status_code == 302
    page = client.get(f"/kompetensi/pegawai/{org.learner_a1.nip}").get_data(as_text=True)
    assert 'data-code="MJ-PK"' in page and "Penilaian atasan" in page
    bad = f"nip,competency,level,assessed_on,source\n{org.learner_a1.nip},MJ-PK,6,2025-01-01,atasan\n"
    resp = client.post("/kompetensi/impor/asesmen", data={"file": (io.BytesIO(bad.encode()), "a.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "Level harus bilangan bulat 1 sampai 5" in resp.get_data(as_text=True)
    client.post("/keluar")
    login(org.learner_b)
    assert client.get(f"/kompetensi/pegawai/{org.learner_a1.nip}").status_code == 404  # as an unknown NIP
    assert client.get("/kompetensi/standar").status_code == 403


def test_costs_budget_and_program_pages(app, org, client, login):
    a = make_course(title="APKD Dasar", code="APKD-1")
    make_course(title="APKD Lanjut", code="APKD-2")
    db.session.commit()
    # Costs, the instansi's APBD and programs belong to no single OPD (issue 14): BPSDM of Dinas A
    # alone may not change them; staff over the whole organisation may.
    limited = app.test_client()
    assert limited.post("/masuk", data={"username": "bpsdm_a", "password": "rahasia123"}).status_code == 302
    year = date.today().year
    assert limited.post(f"/kebutuhan-pelatihan/anggaran/{org.a.id}/{year}", data={"apbd": "1"}).status_code == 403
    assert limited.post("/kebutuhan-pelatihan/biaya", data={"course_id": a.id, "cost": "1"}).status_code == 403
    login(org.admin)
    assert client.post("/kebutuhan-pelatihan/biaya", data={"course_id": a.id, "cost": "750000"}).status_code == 302
    assert db.session.scalar(db.select(CourseCost.cost_per_participant)) == 750000
    client.post("/kebutuhan-pelatihan/biaya", data={"course_id": a.id, "cost": "-5"})
    assert db.session.scalar(db.select(CourseCost.cost_per_participant)) == 750000  # refused
    assert client.post(f"/kebutuhan-pelatihan/anggaran/{org.a.id}/{year}", data={"apbd": "2000000000"}).status_code == 302
    assert db.session.scalar(db.select(TrainingBudget.unit_id)) == org.instansi.id  # per instansi
    page = client.get(f"/kebutuhan-pelatihan?unit={org.a.id}").get_data(as_text=True)
    assert "Rp6.800.000" in page  # 0,34 % of Rp2 miliar
    resp = client.post("/program/baru", data={"code": "apkd", "title": "Sertifikasi APKD", "description": "",
                                              "validity_years": "3", "courses": "APKD-2\nAPKD-1"})
    assert resp.status_code == 302
    prog = db.session.scalar(db.select(Program))
    assert (prog.code, [pc.course.code for pc in prog.courses], prog.validity_years) == ("APKD", ["APKD-2", "APKD-1"], 3)
    resp = client.post("/program/baru", data={"code": "X", "title": "X", "courses": "NOPE-1"})
    assert resp.status_code == 400 and "NOPE-1" in resp.get_data(as_text=True)
    client.post("/keluar")
    login(org.learner_a1)
    page = client.get(f"/program/{prog.id}").get_data(as_text=True)
    assert "Kemajuan Anda: 0 dari 2 kursus" in page
    assert client.post("/program/baru", data={"code": "Y"}).status_code == 403


def test_home_panels_for_learner_and_supervisor(app, org, client, login):
    position = db.session.scalar(db.select(Position).where(Position.name == "Analis Kebijakan"))
    ops.set_standard(position, ops.get_competency("MJ-KOM"), 3)
    plan = ops.plan_for(org.learner_a1, 2026)
    ops.add_plan_item(plan, org.learner_a1, kind="coaching", title="Coaching", planned_jp=2)
    ops.submit_plan(plan, org.learner_a1)
    db.session.commit()
    login(org.learner_a1)
    home = client.get("/").get_data(as_text=True)
    assert 'id="home-gaps"' in home and "Komunikasi" in home and "kurang 3" in home
    assert 'id="home-approvals"' not in home
    client.post("/keluar")
    login(org.head_a)
    home = client.get("/").get_data(as_text=True)
    assert "1 rencana menunggu persetujuan Anda" in home and "Learner A1" in home


@pytest.mark.parametrize("codes,refused", [(["TEK-LITDIG"], False), (["TEK-LITDIG", "XX-TIDAKADA"], True)])
def test_course_package_with_unknown_competency_is_refused(app, org, tmp_path, codes, refused):
    from app.courses.package import import_package
    from app.errors import LenteraError

    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "a.md").write_text("# Pengantar\n\nIsi.")
    comps = "".join(f"  - code: {c}\n    level: 2\n" for c in codes)
    (tmp_path / "course.yaml").write_text(
        "code: PKG-1\ntitle: Paket Uji\nsummary: x\njp: 2\nmode: online\nself_enrol: true\ncertificate: false\n"
        f"competencies:\n{comps}sections:\n  - title: Satu\n    activities:\n"
        "      - type: lesson\n        title: Pengantar\n        file: lessons/a.md\n")
    if refused:
        with pytest.raises(LenteraError) as exc:
            import_package(tmp_path, org.instructor)
        assert "XX-TIDAKADA" in str(exc.value.message) + str(exc.value.details)
    else:
        course, created = import_package(tmp_path, org.instructor)
        assert created and [c.code for c in course.competencies] == ["TEK-LITDIG"]


def test_cli_imports_all_or_nothing_and_notifies(app, org, tmp_path):
    good = tmp_path / "standar.csv"
    good.write_text("jabatan,competency,required_level\nAnalis Kebijakan,MJ-KOM,3\n")
    bad = tmp_path / "buruk.csv"
    bad.write_text("jabatan,competency,required_level\nAnalis Kebijakan,MJ-KOM,3\nAnalis Kebijakan,NOPE-1,9\n")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["corpu", "import", "standards", str(bad)])
    assert result.exit_code == 1 and "baris 3, kolom competency" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(PositionStandard)) == 0
    result = runner.invoke(args=["corpu", "import", "standards", str(good)])
    assert result.exit_code == 0 and "created: 1" in result.output
    result = runner.invoke(args=["corpu", "notify-expiring"])
    assert result.exit_code == 0 and "0 pemberitahuan" in result.output
