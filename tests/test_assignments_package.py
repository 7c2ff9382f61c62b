"""Assignments in a course package (COURSE_PACKAGE.md): settings, an instructions file and a rubric
file import, export and import again to the same bytes; a bad assignment is refused whole with
every problem named."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
import yaml
from sqlalchemy import select

from app.assignments.models import Assignment, Rubric
from app.courses.models import Course
from app.courses.package import PackageRefused, export_package, import_package
from app.extensions import db
from tests.courses_fixtures import zip_package

COURSE = """\
code: LATSAR-01
title: Latsar CPNS
jp: 6
mode: online
sections:
  - title: Aktualisasi
    activities:
      - type: assignment
        title: Laporan aktualisasi
        description: <p>Tulis laporan aktualisasi nilai dasar ASN.</p>
        file: files/panduan-aktualisasi.pdf
        submission_types: [text, file]
        allowed_types: [pdf, docx]
        max_files: 2
        max_file_mb: 20
        due_at: 2027-03-01T23:59+07:00
        cutoff_at: 2027-03-08 23:59
        require_statement: true
        grading: rubric
        pass_grade: 70
        rubric: rubrics/aktualisasi.yaml
        workplace_assessment: true
      - type: assignment
        title: Refleksi
        submission_types: [text]
        grading: scale
        scale: [Belum kompeten, Kompeten]
        pass_grade: 2
"""

RUBRIC = """\
title: Rubrik aktualisasi
criteria:
  - description: Analisis isu
    levels:
      - {description: Kurang, points: 10}
      - {description: Baik, points: 40}
  - description: Rencana aksi
    levels:
      - {description: Kurang, points: 20}
      - {description: Baik, points: 60}
"""


def _files(**extra):
    files = {"course.yaml": COURSE, "files/panduan-aktualisasi.pdf": b"%PDF-1.4 panduan", "rubrics/aktualisasi.yaml": RUBRIC}
    files.update(extra)
    return {k: v for k, v in files.items() if v is not None}


def _tree(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_assignment_package_imports_and_round_trips_byte_identical(org):
    course, created = import_package(zip_package(_files()), org.instructor)
    assert created
    a1, a2 = db.session.scalars(select(Assignment).order_by(Assignment.id)).all()
    assert a1.submission_types == ["text", "file"] and a1.allowed_types == ["pdf", "docx"]
    assert a1.due_at == datetime(2027, 3, 1, 16, 59) and a1.cutoff_at == datetime(2027, 3, 8, 16, 59)
    assert a1.grading == "rubric" and a1.rubric.title == "Rubrik aktualisasi" and a1.max_grade == 100
    assert a1.workplace_assessment and a1.require_statement and a1.activity.file_name == "panduan-aktualisasi.pdf"
    assert a2.grading == "scale" and a2.scale == ["Belum kompeten", "Kompeten"] and a2.max_grade == 2

    first = export_package(course)
    tree = _tree(first)
    manifest = yaml.safe_load(tree["course.yaml"])
    entry = manifest["sections"][0]["activities"][0]
    assert entry["due_at"] == "2027-03-01T23:59+07:00" and entry["rubric"].startswith("rubrics/")
    assert yaml.safe_load(tree[entry["rubric"]])["criteria"][1]["levels"][1] == {"description": "Baik", "points": 60}
    again, created = import_package(first, org.instructor)
    assert not created and again.id == course.id
    assert db.session.scalar(select(Rubric.id).where(Rubric.id != a1.rubric_id)) is None  # no second copy
    assert _tree(export_package(again)) == tree
    # into a fresh site: the same bytes again
    for c in db.session.scalars(select(Course)):
        db.session.delete(c)
    db.session.flush()
    db.session.expunge_all()  # the database removed the assignments (ON DELETE CASCADE); forget them
    fresh, created = import_package(first, org.instructor)
    assert created and _tree(export_package(fresh)) == tree


def test_a_bad_assignment_is_refused_whole(org):
    bad_rubric = "title: R\ncriteria:\n  - description: Isi\n    levels: []\n"
    course_yaml = COURSE.replace("max_file_mb: 20", "max_file_mb: 500").replace("grading: scale", "grading: bintang")
    with pytest.raises(PackageRefused) as exc:
        import_package(zip_package(_files(**{"course.yaml": course_yaml, "rubrics/aktualisasi.yaml": bad_rubric})),
                       org.instructor)
    text = " ".join(d["message"] for d in exc.value.details)
    assert "max_file_mb" in text and "grading" in text and "tingkat" in text
    assert db.session.scalar(select(Course.id)) is None


def test_duplicating_a_course_copies_its_assignments(org):
    from app.courses.operations import duplicate_course

    course, _created = import_package(zip_package(_files()), org.instructor)
    copy = duplicate_course(course, org.instructor)
    db.session.flush()
    acts = [a for s in copy.sections for a in s.activities]
    copies = db.session.scalars(select(Assignment).where(Assignment.course_id == copy.id)
                                .order_by(Assignment.id)).all()
    assert [a.activity_id for a in copies] == [a.id for a in acts]
    first = copies[0]
    assert first.grading == "rubric" and first.rubric.title == "Rubrik aktualisasi" and first.workplace_assessment
    assert first.due_at == datetime(2027, 3, 1, 16, 59) and acts[0].file_name == "panduan-aktualisasi.pdf"
