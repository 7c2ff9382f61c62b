"""Small builders for tests of any domain: a course with activities, enrolments."""

from __future__ import annotations

from decimal import Decimal

from app.courses.models import Activity, Course, Section
from app.courses.operations import enrol
from app.extensions import db

_counter = {"n": 0}


def make_course(owner=None, *, title: str = "Kursus Uji", jp: int | str = 4, activities: list[dict] | None = None,
                code: str | None = None, self_enrol: bool = True, certificate: bool = False,
                mode: str = "online", competencies: list[tuple[str, int]] | None = None) -> Course:
    """A published course with one section holding the given activities (default: two lessons).

    activities: [{"type": "lesson", "title": "...", "settings": {...}, "required": True}, ...]
    """
    from app.courses.models import CourseCompetency

    _counter["n"] += 1
    course = Course(code=code or f"UJI-{_counter['n']:04d}", title=title, summary="Ringkasan", jp=Decimal(str(jp)),
                    mode=mode, self_enrol=self_enrol, certificate=certificate, published=True, owner=owner,
                    organiser="BPSDM Provinsi Uji", training_type="teknis")
    section = Section(course=course, position=0, title="Bagian 1")
    for i, spec in enumerate(activities or [{"type": "lesson", "title": "Materi 1"},
                                            {"type": "lesson", "title": "Materi 2"}]):
        section.activities.append(Activity(course=course, position=i, type=spec["type"], title=spec["title"],
                                           body=spec.get("body", "<p>Isi</p>"), settings=spec.get("settings", {}),
                                           required=spec.get("required", True)))
    for code_, level in competencies or []:
        course.competencies.append(CourseCompetency(code=code_, level=level))
    db.session.add(course)
    db.session.flush()
    return course


def enrol_all(course: Course, *users) -> None:
    for u in users:
        enrol(course, u, method="manual")
    db.session.flush()
