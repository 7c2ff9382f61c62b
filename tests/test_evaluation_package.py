"""A survey in a course package: written in course.yaml (a template or its own questions),
refused whole with the reason when wrong, exported and imported again unchanged; a duplicated
course copies its surveys but no answers."""

from __future__ import annotations

import io
import zipfile

import pytest
import yaml
from sqlalchemy import select

from app.courses.operations import duplicate_course
from app.courses.package import PackageRefused, export_package, import_package
from app.evaluation import operations as ops
from app.evaluation.models import Survey, SurveySubmission
from app.extensions import db
from tests.courses_fixtures import package_files, zip_package
from tests.factories import enrol_all

SURVEYS = """\
  - title: Evaluasi
    activities:
      - type: survey
        title: Evaluasi penyelenggaraan
        template: penyelenggaraan
        before_certificate: true
      - type: survey
        title: Umpan balik singkat
        anonymous: false
        close_at: 2030-01-31
        questions:
          - kind: likert4
            text: Kepuasan umum
          - kind: single
            text: Akan merekomendasikan?
            options: [Ya, Tidak]
          - kind: long_text
            text: Saran
            required: false
"""


def _files(extra: str = SURVEYS) -> dict:
    files = package_files()
    files["course.yaml"] = files["course.yaml"] + extra
    return files


def test_surveys_import_from_course_yaml_and_survive_export_and_reimport(org):
    course, created = import_package(zip_package(_files()), org.instructor)
    db.session.commit()
    assert created
    surveys = {s.activity.title: s for s in db.session.scalars(select(Survey).where(Survey.course_id == course.id))}
    org_survey, short = surveys["Evaluasi penyelenggaraan"], surveys["Umpan balik singkat"]
    assert org_survey.template_key == "penyelenggaraan" and len(org_survey.questions) == 10
    assert org_survey.before_certificate and org_survey.activity.required is False
    assert short.anonymous is False and short.close_at.year == 2030
    assert [q.kind for q in short.questions] == ["likert4", "single", "long_text"]

    data = export_package(course)
    manifest = yaml.safe_load(zipfile.ZipFile(io.BytesIO(data)).read("course.yaml"))
    entries = {a["title"]: a for s in manifest["sections"] for a in s["activities"] if a["type"] == "survey"}
    assert entries["Umpan balik singkat"]["questions"][1]["options"] == ["Ya", "Tidak"]
    assert entries["Evaluasi penyelenggaraan"]["template"] == "penyelenggaraan"

    # Re-import of the same code: the same surveys, same questions (an answered one keeps its own).
    enrol_all(course, org.learner_a1)
    ops.submit_response(short, org.learner_a1, {str(short.questions[0].id): 3, str(short.questions[1].id): "Ya"})
    db.session.commit()
    again, created = import_package(data, org.instructor, editor=org.instructor)
    db.session.commit()
    assert again.id == course.id and not created
    assert db.session.scalar(select(SurveySubmission.id)) is not None
    surveys = {s.activity.title: s for s in db.session.scalars(select(Survey).where(Survey.course_id == course.id))}
    assert len(surveys) == 2 and [q.text for q in surveys["Umpan balik singkat"].questions][0] == "Kepuasan umum"


@pytest.mark.parametrize("entry,needle", [
    ("      - type: survey\n        title: Tanpa isi\n", "template"),
    ("      - type: survey\n        title: Salah templat\n        template: entah\n", "tidak dikenal"),
    ("      - type: survey\n        title: Kosong\n        questions: []\n", "sedikitnya satu"),
    ("      - type: survey\n        title: Skala\n        questions:\n          - kind: likert7\n            text: X\n",
     "tidak dikenal"),
])
def test_a_bad_survey_refuses_the_whole_package(org, entry, needle):
    with pytest.raises(PackageRefused) as info:
        import_package(zip_package(_files("  - title: Evaluasi\n    activities:\n" + entry)), org.instructor)
    assert needle in str(info.value.details)
    db.session.rollback()
    assert db.session.scalar(select(Survey.id)) is None


def test_duplicating_a_course_copies_its_surveys_without_answers(org):
    course, _created = import_package(zip_package(_files()), org.instructor)
    short = db.session.scalar(select(Survey).join(Survey.activity).where(Survey.course_id == course.id,
                                                                         Survey.anonymous.is_(False)))
    enrol_all(course, org.learner_a1)
    ops.submit_response(short, org.learner_a1, {str(short.questions[0].id): 3, str(short.questions[1].id): 0})
    db.session.commit()
    copy = duplicate_course(course, org.instructor)
    db.session.commit()
    copies = list(db.session.scalars(select(Survey).where(Survey.course_id == copy.id)))
    assert len(copies) == 2
    copied_short = [s for s in copies if not s.anonymous][0]
    assert [q.text for q in copied_short.questions] == [q.text for q in short.questions]
    assert db.session.scalar(select(SurveySubmission.id).where(SurveySubmission.survey_id == copied_short.id)) is None
