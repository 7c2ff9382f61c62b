"""Course packages: every kind of problem refused with file and line (nothing saved), zip
safety, re-import updates in place, import → export → import round-trips, the CLI, the API,
the upload page, and the courses shipped in content/."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from app.courses import operations as ops
from app.courses.activity_types import COMPETENCY_CHECKERS, REGISTRY
from app.courses.models import Activity, ActivityCompletion, Course, CourseCompletion, Section
from app.courses.package import PackageRefused, export_package, import_package
from app.errors import TooLarge
from app.extensions import db
from tests.conftest import count
from tests.courses_fixtures import COURSE_YAML, package_files, write_package, zip_package

CONTENT = Path(__file__).resolve().parent.parent / "content"


def _refused(source) -> list[dict]:
    with pytest.raises(PackageRefused) as exc:
        import_package(source, None)
    db.session.rollback()
    assert count(Course) == 0 and count(Section) == 0 and count(Activity) == 0
    return exc.value.details


def test_a_good_package_imports_every_activity_type(org, tmp_path):
    course, created = import_package(write_package(tmp_path, package_files()), org.instructor)
    assert created and course.code == "UJI-PKG" and str(course.jp) == "2.50" and course.mode == "blended"
    assert course.self_enrol and [(c.code, c.level) for c in course.competencies] == [("TEK-LITDIG", 2)]
    acts = [a for s in course.sections for a in s.activities]
    assert [a.type for a in acts] == ["lesson", "file", "link", "classroom"]
    lesson, file_, link, classroom = acts
    assert "<strong>kuat</strong>" in lesson.body and "<li>satu</li>" in lesson.body and "script" not in lesson.body
    from app.storage import get_storage
    assert get_storage().read_bytes(file_.file_key) == b"Panduan ringkas keamanan informasi.\n"
    assert link.settings["url"] == "https://jdih.example.go.id/uu-27-2022"
    assert classroom.settings == {"minutes": 90, "date": "2026-12-01T09:00", "place": "Aula BPSDM"}


def test_yaml_syntax_error_names_the_line(app, tmp_path):
    bad = COURSE_YAML.replace("  - title: Praktik\n", "  - title: [Praktik\n")
    details = _refused(write_package(tmp_path, package_files(**{"course.yaml": bad})))
    assert details[0]["file"] == "course.yaml"
    line_no = bad.splitlines().index("  - title: [Praktik") + 1
    assert line_no <= details[0]["line"] <= line_no + 2


def test_every_problem_is_listed_with_file_and_line(app, tmp_path):
    bad = (COURSE_YAML.replace("file: files/panduan.txt", "file: files/tidak-ada.pdf")
           .replace("type: link", "type: simulasi")
           .replace("jp: 2.5", "jp: dua")
           .replace("minutes: 90", "minutes: -5"))
    details = _refused(write_package(tmp_path, package_files(**{"course.yaml": bad})))
    lines = bad.splitlines()
    by_message = {d["message"]: d for d in details}
    missing = next(d for d in details if d["file"] == "files/tidak-ada.pdf")
    assert "tidak ada" in missing["message"]
    unknown = next(d for m, d in by_message.items() if "tidak dikenal: simulasi" in m)
    assert lines[unknown["line"] - 1].strip() == "- type: simulasi"
    jp = next(d for m, d in by_message.items() if m.startswith("jp "))
    assert lines[jp["line"] - 1] == "jp: dua"
    minutes = next(d for m, d in by_message.items() if "minutes" in m)
    assert lines[minutes["line"] - 1].strip() == "- type: classroom"
    assert len(details) == 4


def test_missing_lesson_file_and_missing_manifest(app, tmp_path):
    details = _refused(write_package(tmp_path / "a", package_files(**{"lessons/01-pengantar.md": None})))
    assert details == [{"file": "lessons/01-pengantar.md", "line": None,
                        "message": "Berkas tidak ada di paket (disebut di course.yaml baris 14)."}]
    details = _refused(write_package(tmp_path / "b", {"lessons/x.md": "x"}))
    assert details[0]["file"] == "course.yaml"


def test_an_activity_type_no_module_provides_is_refused(app, tmp_path):
    assert "wiki" not in REGISTRY  # Moodle has wikis; no module of ours offers one
    yml = COURSE_YAML + "      - type: wiki\n        title: Wiki kelas\n"
    details = _refused(write_package(tmp_path, package_files(**{"course.yaml": yml})))
    assert any("Jenis aktivitas tidak dikenal: wiki" in d["message"] for d in details)


def test_competency_codes_rejected_by_the_dictionary(app, tmp_path):
    checker = lambda codes: {c for c in codes if c != "MJ-PP"}  # a dictionary that only knows MJ-PP
    COMPETENCY_CHECKERS.append(checker)
    try:
        details = _refused(write_package(tmp_path, package_files()))
        assert details == [{"file": "course.yaml", "line": 9,
                            "message": "Kode kompetensi tidak ada di kamus kompetensi: TEK-LITDIG"}]
    finally:
        COMPETENCY_CHECKERS.remove(checker)


def test_a_module_types_validate_hook_reports_into_the_same_list(app, tmp_path):
    from app.courses.activity_types import ActivityType, register

    def validate(spec, reader, problems):
        text = reader.read_text(spec["file"])
        for n, line in enumerate(text.splitlines(), 1):
            if "{" in line and "}" not in line:
                problems.add(spec["file"], n, "kurung kurawal tidak ditutup")

    register(ActivityType("probe", "Probe", completion="quiz", validate=validate))
    try:
        yml = COURSE_YAML + "      - type: probe\n        title: Uji\n        file: quizzes/uji.txt\n"
        details = _refused(write_package(tmp_path, package_files(**{"course.yaml": yml, "quizzes/uji.txt": "ok\nQ {=a\n"})))
        assert details == [{"file": "quizzes/uji.txt", "line": 2, "message": "kurung kurawal tidak ditutup"}]
    finally:
        REGISTRY.pop("probe")


# --- zip safety ----------------------------------------------------------------------------------

@pytest.mark.parametrize("evil", ["../luar.txt", "/etc/passwd", "lessons/../../luar.md", "C:/windows/x.txt"])
def test_zip_entries_escaping_the_package_are_refused(app, evil):
    data = zip_package({**package_files(), evil: "jahat"})
    details = _refused(data)
    assert details[0]["file"] == evil and "tidak aman" in details[0]["message"]


def test_zip_bomb_is_refused_by_ratio_and_by_total_size(app):
    bomb = zip_package({**package_files(), "files/nol.bin": b"\0" * (20 * 1024 * 1024)})
    details = _refused(bomb)
    assert details[0]["file"] == "files/nol.bin" and "bom zip" in details[0]["message"]
    app.config["COURSE_PACKAGE_MAX_BYTES"] = 1024 * 1024
    try:
        big = zip_package({**package_files(), "files/acak.bin": __import__("os").urandom(2 * 1024 * 1024)})
        with pytest.raises(TooLarge):
            import_package(big, None)
    finally:
        app.config.pop("COURSE_PACKAGE_MAX_BYTES")
    assert count(Course) == 0


def test_a_zip_with_the_package_folder_inside_is_read(org):
    course, _ = import_package(zip_package(package_files(), prefix="paket-uji/"), org.instructor)
    assert course.code == "UJI-PKG" and len([a for s in course.sections for a in s.activities]) == 4


def test_not_a_zip_is_a_clear_error(app):
    _refused(b"ini bukan zip")


# --- re-import, export, round trip --------------------------------------------------------------------

def test_reimport_updates_the_same_course_and_keeps_completions(org, tmp_path):
    course, _ = import_package(write_package(tmp_path / "v1", package_files()), org.instructor)
    ops.enrol(course, org.learner_a1)
    lesson = course.sections[0].activities[0]
    ops.record_view(org.learner_a1, lesson)
    db.session.commit()
    v2 = (COURSE_YAML.replace("title: Paket Uji", "title: Paket Uji Revisi")
          .replace("      - type: link\n        title: Portal JDIH\n        url: https://jdih.example.go.id/uu-27-2022\n", ""))
    again, created = import_package(write_package(tmp_path / "v2", package_files(**{
        "course.yaml": v2, "lessons/01-pengantar.md": "# Pengantar baru\n"})), org.instructor)
    assert not created and again.id == course.id and again.title == "Paket Uji Revisi"
    assert count(Course) == 1
    acts = [a for s in again.sections for a in s.activities]
    assert [a.type for a in acts] == ["lesson", "file", "classroom"]
    assert acts[0].id == lesson.id and "Pengantar baru" in acts[0].body
    assert count(ActivityCompletion) == 1  # the learner's completion of the lesson survived


def _tree(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_import_export_import_round_trips(org, tmp_path):
    course, _ = import_package(write_package(tmp_path, package_files()), org.instructor)
    first = export_package(course)
    tree = _tree(first)
    assert set(tree) == {"course.yaml", "lessons/01-pengantar.md", "files/panduan.txt"}
    assert tree["lessons/01-pengantar.md"].decode() == package_files()["lessons/01-pengantar.md"]
    manifest = yaml.safe_load(tree["course.yaml"])
    assert manifest["code"] == "UJI-PKG" and manifest["jp"] == 2.5
    assert manifest["sections"][1]["activities"][0] == {"type": "classroom", "title": "Tatap muka", "minutes": 90,
                                                       "date": "2026-12-01T09:00", "place": "Aula BPSDM"}
    before = [(a.id, a.type, a.title, a.body, a.settings, a.position) for s in course.sections for a in s.activities]
    again, created = import_package(first, org.instructor)
    assert not created and again.id == course.id
    after = [(a.id, a.type, a.title, a.body, a.settings, a.position) for s in again.sections for a in s.activities]
    assert after == before
    assert _tree(export_package(again)) == tree
    # into a fresh site: the same course again
    db.session.rollback()
    for c in db.session.scalars(select(Course)):
        db.session.delete(c)
    db.session.flush()
    fresh, created = import_package(first, org.instructor)
    assert created and _tree(export_package(fresh)) == tree


def test_browser_edits_export_as_html_and_round_trip(org, tmp_path):
    course, _ = import_package(write_package(tmp_path, package_files()), org.instructor)
    lesson = course.sections[0].activities[0]
    ops.update_activity(lesson, body="<h2>Baru</h2><p>Disunting di peramban</p>")
    tree = _tree(export_package(course))
    html_files = [n for n in tree if n.endswith(".html")]
    assert html_files and b"Disunting di peramban" in tree[html_files[0]]
    again, _ = import_package(export_package(course), org.instructor)
    assert again.sections[0].activities[0].body == "<h2>Baru</h2><p>Disunting di peramban</p>"


# --- the doors: CLI, API, upload page, download -----------------------------------------------------------

def test_cli_content_import(app, org, tmp_path):
    runner = CliRunner()
    path = write_package(tmp_path / "ok", package_files())
    result = runner.invoke(app.cli, ["content", "import", str(path)], obj=None)
    assert result.exit_code == 0, result.output
    assert "UJI-PKG" in result.output and "dibuat" in result.output
    bad = write_package(tmp_path / "bad", package_files(**{"course.yaml": COURSE_YAML.replace("type: link", "type: x")}))
    result = runner.invoke(app.cli, ["content", "import", str(bad)])
    assert result.exit_code != 0 and "course.yaml:" in result.output and "tidak dikenal: x" in result.output


def test_api_import_answers_201_then_updates(client, org, auth):
    data = zip_package(package_files())
    resp = client.post("/api/v1/courses/import", headers=auth(org.instructor),
                       data={"file": (io.BytesIO(data), "paket.zip")}, content_type="multipart/form-data")
    assert resp.status_code == 201 and resp.json["code"] == "UJI-PKG" and resp.json["created"] is True
    resp = client.post("/api/v1/courses/import", headers=auth(org.instructor),
                       data={"file": (io.BytesIO(data), "paket.zip")}, content_type="multipart/form-data")
    assert resp.status_code == 201 and resp.json["created"] is False
    bad = zip_package(package_files(**{"course.yaml": COURSE_YAML.replace("type: link", "type: x")}))
    resp = client.post("/api/v1/courses/import", headers=auth(org.instructor),
                       data={"file": (io.BytesIO(bad), "paket.zip")}, content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.json["error"]["code"] == "package_refused"
    assert resp.json["error"]["details"][0]["line"] == 20
    # a learner may not import; another instructor may not overwrite the course
    resp = client.post("/api/v1/courses/import", headers=auth(org.learner_a1),
                       data={"file": (io.BytesIO(data), "paket.zip")}, content_type="multipart/form-data")
    assert resp.status_code == 403
    from app.accounts import operations as aops
    other = aops.create_user("instruktur2", password="rahasia123", roles=["instructor"])
    db.session.commit()
    resp = client.post("/api/v1/courses/import", headers=auth(other),
                       data={"file": (io.BytesIO(data), "paket.zip")}, content_type="multipart/form-data")
    assert resp.status_code == 403


def test_upload_page_and_export_download(client, org, login):
    login(org.instructor)
    assert client.get("/mengajar/impor").status_code == 200
    bad = zip_package(package_files(**{"files/panduan.txt": None}))
    resp = client.post("/mengajar/impor", data={"file": (io.BytesIO(bad), "paket.zip")}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "files/panduan.txt" in resp.get_data(as_text=True)
    assert count(Course) == 0
    resp = client.post("/mengajar/impor", data={"file": (io.BytesIO(zip_package(package_files())), "paket.zip")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    course = db.session.scalar(select(Course))
    resp = client.get(f"/mengajar/kursus/{course.id}/ekspor")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert "course.yaml" in _tree(resp.data)


# --- the shipped courses ----------------------------------------------------------------------------------

def test_content_packages_import_and_seed_enrols_the_demo_learner(app):
    if "quiz" not in REGISTRY:
        pytest.skip("the shipped courses hold quizzes: needs the quizzes module (branch quizzes) registered")
    from app.accounts.cli import seed_demo as seed_accounts
    from app.accounts.queries import user_by_username
    from app.courses.cli import package_dirs, seed_demo
    from app.courses.queries import course_by_code, my_courses

    assert len(package_dirs()) == 3
    seed_accounts()
    seed_demo()
    db.session.commit()
    before = {t.name: count(t) for t in db.metadata.sorted_tables if t.name.startswith(("quiz", "question", "activit"))}
    seed_demo()  # idempotent: nothing changes the second time
    db.session.commit()
    assert {t.name: count(t) for t in db.metadata.sorted_tables if t.name in before} == before
    assert count(Course) == 3
    for code, comp in (("LITDIG-01", "TEK-LITDIG"), ("PELAYANAN-01", "MJ-PP"), ("KEUDA-01", "TEK-KEUDA")):
        course = course_by_code(code)
        assert [c.code for c in course.competencies] == [comp]
        types = [a.type for s in course.sections for a in s.activities]
        assert types.count("lesson") >= 4 and "quiz" in types and "classroom" in types
        words = sum(len(a.body.split()) for s in course.sections for a in s.activities if a.type == "lesson")
        assert words > 1500, (code, words)
    rows = my_courses(user_by_username("peserta"))
    assert [r.course.code for r in rows] == ["LITDIG-01"]


def test_content_packages_pass_every_check_but_the_quiz_type(app):
    """Without the quizzes module the only problems are the quiz entries themselves."""
    from app.courses.cli import package_dirs

    dirs = package_dirs()
    assert [d.name for d in dirs] == ["keuangan-daerah", "literasi-digital", "pelayanan-publik"]
    for d in dirs:
        manifest = yaml.safe_load((d / "course.yaml").read_text())
        for sec in manifest["sections"]:
            for act in sec["activities"]:
                if "file" in act:
                    assert (d / act["file"]).is_file(), (d.name, act["file"])
        if "quiz" in REGISTRY:
            continue
        with pytest.raises(PackageRefused) as exc:
            import_package(d, None)
        assert all("tidak dikenal: quiz" in p["message"] for p in exc.value.details), exc.value.details


def test_course_completion_after_import_is_idempotent_on_reimport(org, tmp_path):
    course, _ = import_package(write_package(tmp_path, package_files()), org.instructor)
    ops.enrol(course, org.learner_a1)
    for s in course.sections:
        for a in s.activities:
            ops.complete_activity(org.learner_a1, a, source="manual")
    assert count(CourseCompletion) == 1
    import_package(write_package(tmp_path, package_files()), org.instructor)
    assert count(CourseCompletion) == 1


def test_a_shipped_course_with_its_quiz_round_trips(org):
    course, _ = import_package(CONTENT / "literasi-digital", org.instructor)
    first = export_package(course)
    tree = _tree(first)
    manifest = yaml.safe_load(tree["course.yaml"])
    quiz = next(a for s in manifest["sections"] for a in s["activities"] if a["type"] == "quiz")
    assert quiz["file"] in tree and quiz["pass_percent"] == 70 and quiz["max_attempts"] == 3
    db.session.rollback()
    for c in db.session.scalars(select(Course)):
        db.session.delete(c)
    db.session.flush()
    again, created = import_package(first, org.instructor)
    assert created
    second = _tree(export_package(again))
    assert set(second) == set(tree)
    for name in tree:
        assert second[name] == tree[name], name  # the quiz's Moodle XML too, category paths included
    assert tree[quiz["file"]].count(b"<questiontext") == 11
