"""The read side of assignments: who may see or grade what, the learner's view, the grader's
table (a fixed number of queries for any number of submissions), the atasan's list."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Unit, User, utcnow
from app.accounts.queries import Reach
from app.assignments.models import Assignment, Extension, Submission, SubmissionFile
from app.courses.models import Activity, Enrolment
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.home import home_row

STATUS_LABELS = {
    "new": _l("Belum dikumpulkan"),
    "draft": _l("Draf"),
    "submitted": _l("Dikumpulkan"),
    "graded": _l("Sudah dinilai"),
}
MARKING_LABELS = {
    "not_graded": _l("Belum dinilai"),
    "in_marking": _l("Sedang dinilai"),
    "ready": _l("Siap dirilis"),
    "released": _l("Dirilis"),
}
FILTERS = {
    "": _l("Semua"),
    "not_submitted": _l("Belum mengumpulkan"),
    "needs_grading": _l("Perlu dinilai"),
    "late": _l("Terlambat"),
    "graded": _l("Sudah dinilai"),
    "unreleased": _l("Belum dirilis"),
}


def get_assignment(assignment_id: int) -> Assignment:
    a = db.session.get(Assignment, assignment_id)
    if a is None:
        raise NotFound(_("Tugas tidak ditemukan."), code="assignment_not_found")
    return a


def assignment_for_activity(activity: Activity) -> Assignment | None:
    return db.session.scalar(select(Assignment).where(Assignment.activity_id == activity.id))


def grader_reach(user: User, assignment: Assignment) -> Reach | None:
    """Whose work `user` may grade: the course's instructors everyone; a unit-limited admin the
    people in their units; anyone else nobody."""
    from app.courses.queries import can_edit, staff_reach

    course = assignment.course
    if not can_edit(user, course):
        return None
    return staff_reach(user, course)


def require_grader(user: User, assignment: Assignment) -> Reach:
    r = grader_reach(user, assignment)
    if r is None:
        raise Forbidden(_("Hanya pengajar kursus ini yang menilai tugasnya."), code="not_grader")
    return r


def can_view(user: User, assignment: Assignment) -> bool:
    """Enrolled learners (when the activity is visible) and the course's graders."""
    if grader_reach(user, assignment) is not None:
        return True
    act = assignment.activity
    if not act.visible or not act.section.visible or not assignment.course.published:
        return False
    return db.session.scalar(select(Enrolment.id).where(Enrolment.course_id == assignment.course_id,
                                                        Enrolment.user_id == user.id)) is not None


def visible_assignment(user: User, assignment_id: int) -> Assignment:
    a = get_assignment(assignment_id)
    if not can_view(user, a):
        if grader_reach(user, a) is None and db.session.scalar(select(Enrolment.id).where(
                Enrolment.course_id == a.course_id, Enrolment.user_id == user.id)) is None:
            raise Forbidden(_("Anda belum terdaftar di kursus tugas ini."), code="not_enrolled")
        raise NotFound(_("Tugas tidak ditemukan."), code="assignment_not_found")
    return a


def display_status(sub: Submission | None) -> str:
    if sub is None:
        return "new"
    if sub.marking_state == "released" and sub.grade is not None:
        return "graded"
    return sub.status


def grade_text(a: Assignment, grade: Decimal | None) -> str:
    """A grade as the learner reads it: "85 / 100" or the scale's level name."""
    if grade is None:
        return ""
    if a.grading == "scale" and a.scale:
        i = int(grade) - 1
        return a.scale[i] if 0 <= i < len(a.scale) else str(grade)
    from app.assignments.operations import _num

    return f"{_num(grade)} / {_num(a.max_grade)}"


def learner_view(activity: Activity, user: User) -> dict:
    """What the learner's part of the activity page shows."""
    from app.assignments.operations import effective_dates

    a = assignment_for_activity(activity)
    if a is None:
        return {"assignment": None}
    sub = db.session.scalar(select(Submission).options(selectinload(Submission.files)).where(
        Submission.assignment_id == a.id, Submission.user_id == user.id, Submission.latest.is_(True)))
    due, cutoff = effective_dates(a, user)
    now = utcnow()
    released = sub is not None and sub.marking_state == "released" and sub.grade is not None
    rubric_rows = []
    if released and a.grading == "rubric" and a.rubric is not None:
        for c in a.rubric.criteria:
            chosen = (sub.rubric_choice or {}).get(str(c.id))
            rubric_rows.append((c, [(lvl, lvl.id == chosen) for lvl in c.levels]))
    earlier = list(db.session.scalars(select(Submission).where(
        Submission.assignment_id == a.id, Submission.user_id == user.id, Submission.latest.is_(False))
        .order_by(Submission.attempt)))
    editable = (sub is None or sub.status != "submitted") and not (cutoff and now > cutoff) and \
        not (a.open_at and now < a.open_at)
    return {"assignment": a, "submission": sub, "status": display_status(sub), "status_labels": STATUS_LABELS,
            "due": due, "cutoff": cutoff, "now": now, "overdue": bool(due and now > due),
            "closed": bool(cutoff and now > cutoff), "not_open": bool(a.open_at and now < a.open_at),
            "editable": editable, "released": released, "grade_text": grade_text(a, sub.grade) if released else "",
            "rubric_rows": rubric_rows, "earlier": earlier, "is_grader": grader_reach(user, a) is not None,
            "accept": ",".join("." + k for k in (a.allowed_types or []))}


@dataclass(slots=True)
class Person:
    """The few columns of a learner the grader's table needs (not the ORM object: 500 of those
    with their roles cost more than the rest of the page)."""

    id: int
    name: str
    nip: str | None


@dataclass(slots=True)
class FileLite:
    id: int
    name: str
    size: int
    key: str


@dataclass(slots=True)
class SubLite:
    id: int
    attempt: int
    status: str
    late: bool
    grade: Decimal | None
    submitted_at: datetime | None
    marking_state: str
    workplace_grade: Decimal | None
    text: str
    files: list


@dataclass(slots=True)
class GraderRow:
    user: Person
    submission: SubLite | None
    extension: Extension | None

    @property
    def status(self) -> str:
        return display_status(self.submission)

    @property
    def late(self) -> bool:
        return bool(self.submission and self.submission.late)


def grader_rows(a: Assignment, r: Reach, *, flt: str = "", q: str = "", with_text: bool = False) -> list[GraderRow]:
    """Every enrolled learner in reach with their current attempt: three queries of plain columns,
    whatever the class size."""
    text_col = Submission.text if with_text else Submission.id
    stmt = (select(User.id, User.name, User.nip, Submission.id, Submission.attempt, Submission.status, Submission.late,
                   Submission.grade, Submission.submitted_at, Submission.marking_state, Submission.workplace_grade,
                   text_col)
            .select_from(User)
            .join(Enrolment, and_(Enrolment.user_id == User.id, Enrolment.course_id == a.course_id))
            .outerjoin(Submission, and_(Submission.user_id == User.id, Submission.assignment_id == a.id,
                                        Submission.latest.is_(True)))
            .outerjoin(Unit, User.unit_id == Unit.id)
            .order_by(User.name, User.id))
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where((User.name.ilike(like)) | (User.nip.ilike(like)))
    if flt == "not_submitted":
        stmt = stmt.where((Submission.id.is_(None)) | (Submission.status != "submitted"))
    elif flt == "needs_grading":
        stmt = stmt.where(Submission.status == "submitted", Submission.grade.is_(None))
    elif flt == "late":
        stmt = stmt.where(Submission.late.is_(True))
    elif flt == "graded":
        stmt = stmt.where(Submission.grade.is_not(None))
    elif flt == "unreleased":
        stmt = stmt.where(Submission.grade.is_not(None), Submission.marking_state != "released")
    rows = db.session.execute(stmt).all()
    files: dict[int, list[FileLite]] = {}
    if any(row[3] is not None for row in rows):
        fstmt = (select(SubmissionFile.submission_id, SubmissionFile.id, SubmissionFile.name, SubmissionFile.size,
                        SubmissionFile.key)
                 .join(Submission, Submission.id == SubmissionFile.submission_id)
                 .where(Submission.assignment_id == a.id, Submission.latest.is_(True)).order_by(SubmissionFile.id))
        for sid, fid, name, size, key in db.session.execute(fstmt):
            files.setdefault(sid, []).append(FileLite(fid, name, size, key))
    exts = {e.user_id: e for e in db.session.scalars(select(Extension).where(Extension.assignment_id == a.id))}
    out = []
    for uid, name, nip, sid, attempt, status, late, grade, submitted_at, marking, workplace, text in rows:
        sub = None
        if sid is not None:
            sub = SubLite(sid, attempt, status, bool(late), grade, submitted_at, marking, workplace,
                          text if with_text else "", files.get(sid, []))
        out.append(GraderRow(Person(uid, name, nip), sub, exts.get(uid)))
    return out


def counts(a: Assignment, r: Reach) -> dict[str, int]:
    """The numbers on the grader page's filter tabs, counted by the database in one query."""
    from sqlalchemy import case

    def n(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    submitted = Submission.status == "submitted"
    graded = Submission.grade.is_not(None)
    stmt = (select(func.count(User.id), n(Submission.id.is_(None) | (Submission.status != "submitted")),
                   n(submitted & Submission.grade.is_(None)), n(Submission.late.is_(True)), n(graded),
                   n(graded & (Submission.marking_state != "released")))
            .select_from(User).join(Enrolment, and_(Enrolment.user_id == User.id, Enrolment.course_id == a.course_id))
            .outerjoin(Submission, and_(Submission.user_id == User.id, Submission.assignment_id == a.id,
                                        Submission.latest.is_(True)))
            .outerjoin(Unit, User.unit_id == Unit.id))
    if not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    total, not_submitted, needs, late, done, unreleased = db.session.execute(stmt).one()
    return {"": int(total), "not_submitted": int(not_submitted), "needs_grading": int(needs), "late": int(late),
            "graded": int(done), "unreleased": int(unreleased)}


def number_text(value: Decimal | None, sep: str) -> str:
    """A grade as text with the page's decimal separator: the grader page and the grade book show
    thousands of numbers, and Babel's formatter costs a tenth of a millisecond each."""
    if value is None:
        return ""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", sep)


def local_text(dt: datetime | None, zone: str) -> str:
    """A stored UTC time in the person's zone, "dd-mm-yyyy HH:MM" (cheap, for long tables)."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    if dt is None:
        return ""
    return dt.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).strftime("%d-%m-%Y %H:%M")


def learner_in_reach(a: Assignment, r: Reach, nip: str) -> User:
    """An enrolled learner of the assignment's course, addressed by NIP, within the grader's reach."""
    person = db.session.scalar(select(User).where(User.nip == nip))
    if person is None or db.session.scalar(select(Enrolment.id).where(
            Enrolment.course_id == a.course_id, Enrolment.user_id == person.id)) is None:
        raise NotFound(_("Peserta dengan NIP %(nip)s tidak terdaftar di kursus ini.", nip=nip), code="learner_not_found")
    if not r.covers(person):
        raise Forbidden(_("Peserta ini di luar unit yang Anda jangkau."), code="out_of_reach")
    return person


def workplace_queue(assessor: User) -> list[tuple[Submission, Assignment]]:
    """Submitted work awaiting this person's workplace assessment: of their staff (as atasan), unless
    a mentor was named for that learner, and of the learners they were named for."""
    from app.accounts.queries import headed_unit_paths
    from app.assignments.models import Assessor

    paths = headed_unit_paths(assessor)  # none for most people: known without a statement
    named = select(Assessor.id).where(Assessor.assignment_id == Submission.assignment_id,
                                      Assessor.learner_id == Submission.user_id)
    mine = select(Assessor.id).where(Assessor.assignment_id == Submission.assignment_id,
                                     Assessor.learner_id == Submission.user_id, Assessor.assessor_id == assessor.id)
    cond = mine.exists()
    if paths:
        r = Reach(everything=False, unit_paths=tuple(paths), user_id=assessor.id)
        cond = cond | (r.unit_filter(Unit.path) & ~named.exists())
    stmt = (select(Submission, Assignment).join(Assignment, Assignment.id == Submission.assignment_id)
            .join(User, User.id == Submission.user_id).outerjoin(Unit, Unit.id == User.unit_id)
            .where(Assignment.workplace_assessment.is_(True), Submission.latest.is_(True),
                   Submission.status == "submitted", User.id != assessor.id, cond)
            .order_by(Submission.workplace_at.is_not(None), Submission.submitted_at.desc()))
    return [(s, a) for s, a in db.session.execute(stmt).all()]


@functools.cache
def home_workplace_rows() -> Select:
    """How many submissions wait for this person's workplace grade as a named assessor (`i1`), for
    the home statement; a head of unit's queue (`workplace_queue`) depends on the units they head."""
    from app.assignments.models import Assessor

    person = bindparam("home_user")
    mine = select(Assessor.id).where(Assessor.assignment_id == Submission.assignment_id,
                                     Assessor.learner_id == Submission.user_id, Assessor.assessor_id == person)
    return (select(*home_row("assignments.workplace", i1=func.count()))
            .select_from(Submission).join(Assignment, Assignment.id == Submission.assignment_id)
            .where(Assignment.workplace_assessment.is_(True), Submission.latest.is_(True),
                   Submission.status == "submitted", Submission.user_id != person, mine.exists(),
                   Submission.workplace_grade.is_(None)))


def is_workplace_assessor(user: User, sub: Submission) -> bool:
    from app.accounts.queries import is_supervisor_of
    from app.assignments.operations import named_assessor

    if not sub.assignment.workplace_assessment:
        return False
    named = named_assessor(sub.assignment, sub.user)
    return named.id == user.id if named is not None else is_supervisor_of(user, sub.user)


def file_for(user: User, file_id: int) -> tuple[SubmissionFile, Submission]:
    """A handed-in file, for the learner who handed it in, the graders in reach, or the atasan
    when the assignment asks for a workplace assessment."""
    f = db.session.get(SubmissionFile, file_id)
    if f is None:
        raise NotFound(_("Berkas tidak ditemukan."), code="file_not_found")
    sub = f.submission
    if sub.user_id == user.id:
        return f, sub
    r = grader_reach(user, sub.assignment)
    if r is not None and r.covers(sub.user):
        return f, sub
    if sub.status == "submitted" and is_workplace_assessor(user, sub):
        return f, sub
    raise Forbidden(_("Anda tidak berhak membuka berkas ini."), code="file_forbidden")


def is_enrolled(a: Assignment, user: User) -> bool:
    return db.session.scalar(select(Enrolment.id).where(Enrolment.course_id == a.course_id,
                                                        Enrolment.user_id == user.id)) is not None


def not_submitted_people(a: Assignment, r: Reach) -> list[Person]:
    return [x.user for x in grader_rows(a, r, flt="not_submitted")]


def submitted_count(a: Assignment) -> int:
    return db.session.scalar(select(func.count()).select_from(Submission).where(
        Submission.assignment_id == a.id, Submission.latest.is_(True), Submission.status == "submitted")) or 0


def due_soon_for(user: User, until: datetime) -> list[Assignment]:
    """Assignments in the user's courses due before `until` that they have not handed in."""
    stmt = (select(Assignment).join(Enrolment, and_(Enrolment.course_id == Assignment.course_id,
                                                    Enrolment.user_id == user.id))
            .outerjoin(Submission, and_(Submission.assignment_id == Assignment.id, Submission.user_id == user.id,
                                        Submission.latest.is_(True)))
            .where(Assignment.due_at.is_not(None), Assignment.due_at <= until,
                   (Submission.id.is_(None)) | (Submission.status != "submitted")))
    return list(db.session.scalars(stmt))
