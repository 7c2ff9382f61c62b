"""The read side of evaluation: a learner's view of a survey, the course and instructor reports,
learning gain and job-impact lists.

Reports are built from a handful of GROUP BY queries whatever the number of responses (the
benchmark checks the query count stays flat). Anonymity: no per-person rows for an anonymous
survey, and a group of fewer than `EVALUATION_MIN_GROUP` (default 5) respondents is shown as a
count only — its averages, distributions and comments could point at a person.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, distinct, func, select
from sqlalchemy.orm import aliased

from app.accounts.models import Unit, User
from app.accounts.queries import Reach, reach
from app.courses.models import Activity, Course, Enrolment
from app.courses.queries import staff_reach
from app.errors import Forbidden, NotFound
from app.evaluation.models import (
    CHOICE_KINDS,
    SCALE_KINDS,
    TEXT_KINDS,
    ImpactEvaluation,
    LearningGainSetup,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveySubmission,
)
from app.extensions import db
from app.home import home_row

SCALE_LABELS = {
    "likert5": ["Sangat kurang", "Kurang", "Cukup", "Baik", "Sangat baik"],
    "likert4": ["Kurang", "Cukup", "Baik", "Sangat baik"],
}


def min_group() -> int:
    """The smallest group whose averages and comments are shown (default 5)."""
    from app.evaluation.operations import setting

    return setting("EVALUATION_MIN_GROUP", 5)


def get_survey(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(_("Survei tidak ditemukan."))
    return survey


def submitted(survey: Survey, user: User) -> bool:
    return db.session.scalar(select(SurveySubmission.id).where(SurveySubmission.survey_id == survey.id,
                                                               SurveySubmission.user_id == user.id)) is not None


def learner_summary(activity: Activity, user: User) -> dict:
    """What the activity page shows a learner: state, whether answered, whether the certificate waits."""
    from app.evaluation.operations import survey_state

    survey = db.session.scalar(select(Survey).where(Survey.activity_id == activity.id))
    if survey is None:
        return {"survey": None}
    return {"survey": survey, "state": survey_state(survey), "submitted": submitted(survey, user),
            "questions": len(survey.questions)}


def visible_survey(user: User, survey_id: int) -> Survey:
    """A survey a person may open: enrolled in its course, or staff of it."""
    from app.courses.queries import can_edit, enrolment_of

    survey = get_survey(survey_id)
    a = survey.activity
    if can_edit(user, a.course) or staff_reach(user, a.course) is not None:
        return survey
    if enrolment_of(user, survey.course_id) is None or not a.visible or not a.section.visible:
        raise Forbidden(_("Anda belum terdaftar di kursus ini."), code="not_enrolled")
    return survey


def survey_document(survey: Survey) -> dict:
    """The survey as the API gives it: one entry per answer key (instructor questions repeated)."""
    from app.evaluation.operations import survey_items, survey_state

    questions = []
    for key, q, instructor in survey_items(survey):
        options = list(q.options) if q.kind in CHOICE_KINDS else []
        questions.append({
            "id": int(key) if instructor is None else key, "question_id": q.id, "kind": q.kind, "text": q.text,
            "group": q.group, "options": options, "scale": SCALE_LABELS.get(q.kind, []), "required": q.required,
            "instructor": None if instructor is None else {"id": instructor.id, "nip": instructor.nip,
                                                           "name": instructor.name},
        })
    return {"id": survey.id, "activity_id": survey.activity_id, "course_id": survey.course_id,
            "title": survey.activity.title, "anonymous": survey.anonymous, "template": survey.template_key,
            "open_at": _iso(survey.open_at), "close_at": _iso(survey.close_at), "state": survey_state(survey),
            "before_certificate": survey.before_certificate, "questions": questions}


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") + "+00:00" if dt is not None else None


# --- the course report ---------------------------------------------------------------------------

def report_reach(viewer: User, survey: Survey) -> Reach:
    """Whose answers `viewer` may see: the course's instructors all, BPSDM their units; else 403."""
    r = staff_reach(viewer, survey.activity.course)
    if r is None:
        raise Forbidden(_("Laporan evaluasi hanya untuk pengajar kursus dan staf BPSDM."))
    return r


@dataclass
class QuestionStat:
    key: str
    question: SurveyQuestion
    instructor: User | None
    count: int = 0
    average: float | None = None
    distribution: dict[str, int] | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.question.text if self.instructor is None else f"{self.question.text} — {self.instructor.name}"


@dataclass
class SurveyReport:
    survey: Survey
    responses: int
    invited: int
    suppressed: bool
    stats: list[QuestionStat]
    respondents: list[tuple[str | None, str, datetime]] | None = None  # named surveys only

    @property
    def rate(self) -> float | None:
        return round(100 * self.responses / self.invited, 1) if self.invited else None


def _distribution(q: SurveyQuestion, counts: dict[float, int]) -> dict[str, int] | None:
    if q.kind in SCALE_KINDS:
        top = 5 if q.kind == "likert5" else 4
        return {str(i): counts.get(float(i), 0) for i in range(1, top + 1)}
    if q.kind in CHOICE_KINDS:
        return {opt: counts.get(float(i), 0) for i, opt in enumerate(q.options)}
    return None


def _in_reach(stmt, r: Reach):
    if r.everything:
        return stmt
    # The units in reach are few: a list the database reads once, instead of a join per answer.
    return stmt.where(SurveyResponse.unit_id.in_(select(Unit.id).where(r.unit_filter(Unit.path))))


#: Aggregates of recent reports, per process: (survey, stamp) -> rows. Answers are written once and
#: never changed, so a report's rows change only when a response arrives; the stamp (number of
#: responses, newest submission, the question ids) changes with it, and a stale entry is never read.
_CACHE: OrderedDict[tuple, tuple] = OrderedDict()
_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()


def _cached(key: tuple, build: Callable[[], tuple]) -> tuple:
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    value = build()
    with _CACHE_LOCK:
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def _aggregates(survey: Survey, questions: dict[int, SurveyQuestion], r: Reach, suppressed: bool) -> tuple:
    """(counts per (question, instructor) per value, respondents per (question, instructor),
    comment rows) — three statements over the covering index, whatever the number of responses."""

    def build() -> tuple:
        # One aggregate over (question, instructor, value); a reach-limited viewer's answers are
        # those of the responses from their units.
        stmt = (select(SurveyAnswer.question_id, SurveyAnswer.instructor_id, SurveyAnswer.value, func.count())
                .where(SurveyAnswer.question_id.in_(list(questions)))
                .group_by(SurveyAnswer.question_id, SurveyAnswer.instructor_id, SurveyAnswer.value))
        in_reach = None
        if not r.everything:
            in_reach = _in_reach(select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id), r)
            stmt = stmt.where(SurveyAnswer.response_id.in_(in_reach))
        counts: dict[tuple[int, int | None], dict[float | None, int]] = defaultdict(dict)
        for qid, iid, value, n in db.session.execute(stmt):
            counts[(qid, iid)][value] = n
        # Respondents per question: one row per answer, except a multiple choice (a row per option).
        answered = {key: sum(c.values()) for key, c in counts.items()}
        multiple = [qid for qid, q in questions.items() if q.kind == "multiple"]
        if multiple:
            stmt = (select(SurveyAnswer.question_id, SurveyAnswer.instructor_id,
                           func.count(distinct(SurveyAnswer.response_id)))
                    .where(SurveyAnswer.question_id.in_(multiple))
                    .group_by(SurveyAnswer.question_id, SurveyAnswer.instructor_id))
            if in_reach is not None:
                stmt = stmt.where(SurveyAnswer.response_id.in_(in_reach))
            answered.update({(qid, iid): n for qid, iid, n in db.session.execute(stmt)})
        comments: list[tuple[int, int | None, str]] = []
        text_ids = [qid for qid, q in questions.items() if q.kind in TEXT_KINDS]
        if text_ids and not suppressed:
            # Ordered by the response's random key: no order that matches who answered when.
            stmt = (select(SurveyAnswer.question_id, SurveyAnswer.instructor_id, SurveyAnswer.text)
                    .where(SurveyAnswer.question_id.in_(text_ids), SurveyAnswer.text.is_not(None))
                    .order_by(SurveyAnswer.response_id))
            if in_reach is not None:
                stmt = stmt.where(SurveyAnswer.response_id.in_(in_reach))
            comments = [tuple(row) for row in db.session.execute(stmt)]
        return dict(counts), answered, comments

    if not r.everything:
        return build()  # a unit-limited view: rows that depend on units, not cached
    stamp = db.session.execute(select(func.count(), func.max(SurveySubmission.id)).where(
        SurveySubmission.survey_id == survey.id)).one()
    # The activity's creation time makes the key unique even where a deleted row's id is reused.
    return _cached(("survey", str(db.engine.url), survey.id, survey.activity.created_at, tuple(stamp),
                    tuple(sorted(questions)), suppressed), build)


def survey_report(survey: Survey, r: Reach, *, comment_limit: int | None = None) -> SurveyReport:
    """Response rate, and per question (and instructor) the count, average, distribution, comments."""
    from app.evaluation.operations import course_instructors

    responses = db.session.scalar(_in_reach(select(func.count()).select_from(SurveyResponse).where(
        SurveyResponse.survey_id == survey.id), r))
    invited_stmt = select(func.count()).select_from(Enrolment).where(Enrolment.course_id == survey.course_id)
    if not r.everything:
        invited_stmt = invited_stmt.join(User, User.id == Enrolment.user_id).join(Unit, Unit.id == User.unit_id).where(
            r.unit_filter(Unit.path))
    invited = db.session.scalar(invited_stmt)
    suppressed = survey.anonymous and responses < min_group()
    if not r.everything and responses == db.session.scalar(select(func.count()).select_from(SurveyResponse).where(
            SurveyResponse.survey_id == survey.id)):
        # Every response comes from the viewer's units: the answers need no filter by unit.
        r = Reach(everything=True, user_id=r.user_id)
    questions = {q.id: q for q in survey.questions}
    people = {u.id: u for u in course_instructors(survey.activity.course)}
    stats: dict[tuple[int, int | None], QuestionStat] = {}

    def stat(qid: int, iid: int | None) -> QuestionStat:
        key = (qid, iid)
        if key not in stats:
            instructor = people.get(iid) if iid is not None else None
            if iid is not None and instructor is None:
                instructor = db.session.get(User, iid)  # no longer teaching: the answers stay theirs
            stats[key] = QuestionStat(str(qid) if iid is None else f"{qid}:{iid}", questions[qid], instructor)
        return stats[key]

    for q in survey.questions:  # every question shows, answered or not
        for iid in ([u.id for u in people.values()] if q.instructor and people else [None]):
            stat(q.id, iid)
    if responses:
        counts, answered, comment_rows = _aggregates(survey, questions, r, suppressed)
        for (qid, iid), n in answered.items():
            if qid not in questions:
                continue
            s = stat(qid, iid)
            s.count = n
            if suppressed:
                continue
            c = {v: k for v, k in counts.get((qid, iid), {}).items() if v is not None}
            if s.question.kind in SCALE_KINDS or s.question.kind == "number":
                total = sum(c.values())
                s.average = round(sum(v * k for v, k in c.items()) / total, 2) if total else None
            s.distribution = _distribution(s.question, c)
        for qid, iid, text in comment_rows:
            s = stat(qid, iid)
            if comment_limit is None or len(s.comments) < comment_limit:
                s.comments.append(text)
    for s in stats.values():
        if s.distribution is None and not suppressed:
            s.distribution = _distribution(s.question, {})
    ordered = sorted(stats.values(), key=lambda s: (s.question.position, s.instructor.name if s.instructor else ""))
    respondents = None
    if not survey.anonymous:
        stmt = select(User.nip, User.name, SurveySubmission.submitted_on).join(
            SurveySubmission, SurveySubmission.user_id == User.id).where(SurveySubmission.survey_id == survey.id)
        if not r.everything:
            stmt = stmt.join(Unit, Unit.id == User.unit_id).where(r.unit_filter(Unit.path))
        respondents = [tuple(row) for row in db.session.execute(stmt.order_by(User.name))]
    return SurveyReport(survey, responses, invited, suppressed, ordered, respondents)


def report_document(rep: SurveyReport) -> dict:
    return {
        "survey_id": rep.survey.id, "title": rep.survey.activity.title, "anonymous": rep.survey.anonymous,
        "responses": rep.responses, "invited": rep.invited, "response_rate": rep.rate,
        "suppressed": rep.suppressed, "min_group": min_group(),
        "questions": [{"id": s.key, "question_id": s.question.id, "kind": s.question.kind, "text": s.question.text,
                       "group": s.question.group,
                       "instructor": None if s.instructor is None else {"id": s.instructor.id, "nip": s.instructor.nip,
                                                                        "name": s.instructor.name},
                       "count": s.count, "average": s.average, "distribution": s.distribution}
                      for s in rep.stats],
        "comments": [{"question_id": s.question.id, "id": s.key, "text": t} for s in rep.stats for t in s.comments],
        **({"respondents": [{"nip": nip, "name": name, "submitted_at": _iso(at)} for nip, name, at in rep.respondents]}
           if rep.respondents is not None else {}),
    }


def course_surveys(course: Course) -> list[Survey]:
    return list(db.session.scalars(select(Survey).join(Activity, Activity.id == Survey.activity_id).where(
        Survey.course_id == course.id).order_by(Activity.position, Survey.id)))


# --- the instructor report ------------------------------------------------------------------------

def instructor_reach(viewer: User, instructor: User) -> Reach:
    """Who may read an instructor's evaluations: the instructor, and staff whose reach covers them;
    staff see only the answers of respondents in their reach."""
    if viewer.id == instructor.id:
        return Reach(everything=True, user_id=viewer.id)
    r = reach(viewer)
    if not r.covers(instructor):
        raise Forbidden(_("Pengajar ini di luar jangkauan Anda."))
    return r


@dataclass
class InstructorCourse:
    course_id: int
    title: str
    year: int | None
    respondents: int
    average: float | None
    suppressed: bool


@dataclass
class InstructorItem:
    code: str
    text: str
    kind: str
    count: int
    average: float | None
    distribution: dict[str, int]


@dataclass
class InstructorReport:
    instructor: User
    courses: list[InstructorCourse]
    items: list[InstructorItem]
    years: list[tuple[int, int, float | None]]  # (year, respondents, average)
    comments: list[tuple[str, str]]  # (course title, text)

    @property
    def respondents(self) -> int:
        return sum(c.respondents for c in self.courses)

    @property
    def average(self) -> float | None:
        rated = [(c.average, c.respondents) for c in self.courses if c.average is not None]
        n = sum(k for _a, k in rated)
        return round(sum(a * k for a, k in rated) / n, 2) if n else None


def instructor_report(instructor: User, r: Reach) -> InstructorReport:
    """Every answer about one instructor, across courses: per course, per question (by template
    code, so "penguasaan materi" in fifty courses is one line), per year, and the comments.

    One aggregate does the counting: per (survey, year, question, value). A course run's number of
    respondents is its most-answered single-answer question (each response answers a question
    about an instructor at most once)."""
    def build() -> tuple:
        stmt = (select(SurveyResponse.survey_id, SurveyResponse.year, SurveyAnswer.question_id, SurveyAnswer.value,
                       func.count())
                .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
                .where(SurveyAnswer.instructor_id == instructor.id)
                .group_by(SurveyResponse.survey_id, SurveyResponse.year, SurveyAnswer.question_id, SurveyAnswer.value))
        counts = [tuple(row) for row in db.session.execute(_in_reach(stmt, r))]
        text_rows = db.session.execute(_in_reach(
            select(SurveyResponse.survey_id, SurveyResponse.year, SurveyAnswer.text)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
            .where(SurveyAnswer.instructor_id == instructor.id, SurveyQuestion.kind.in_(TEXT_KINDS),
                   SurveyAnswer.text.is_not(None)).order_by(SurveyResponse.survey_id, SurveyAnswer.response_id), r))
        return counts, [tuple(row) for row in text_rows]

    # Answers are written once: their number and newest id about this instructor stamp the rows.
    stamp = db.session.execute(select(func.count(), func.max(SurveyAnswer.id)).where(
        SurveyAnswer.instructor_id == instructor.id)).one()
    counts, text_rows = _cached(("instructor", str(db.engine.url), instructor.id, instructor.created_at, r.everything,
                                 r.unit_paths, tuple(stamp)), build)
    survey_ids = {sid for sid, *_rest in counts}
    # Plain rows, not ORM objects: a report across fifty courses reads hundreds of questions.
    surveys = {row.id: row for row in db.session.execute(select(Survey.id, Survey.course_id, Survey.anonymous).where(
        Survey.id.in_(survey_ids)))} if survey_ids else {}
    titles = dict(db.session.execute(select(Course.id, Course.title).where(
        Course.id.in_({s.course_id for s in surveys.values()}))).all()) if surveys else {}
    questions = {row.id: row for row in db.session.execute(
        select(SurveyQuestion.id, SurveyQuestion.kind, SurveyQuestion.code, SurveyQuestion.text).where(
            SurveyQuestion.survey_id.in_(survey_ids)))} if survey_ids else {}
    per_question: dict[tuple[int, int, int], int] = defaultdict(int)
    for sid, year, qid, _value, n in counts:
        q = questions.get(qid)
        if q is not None and q.kind != "multiple":
            per_question[(sid, year, qid)] += n
    size: dict[tuple[int, int], int] = defaultdict(int)
    for (sid, year, _qid), n in per_question.items():
        size[(sid, year)] = max(size[(sid, year)], n)
    mg = min_group()
    shown = {key for key, n in size.items() if n >= mg or not surveys[key[0]].anonymous}
    course_sum: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0])
    item_acc: dict[str, dict] = {}
    year_sum: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
    for sid, year, qid, value, n in counts:
        q = questions.get(qid)
        if q is None or value is None or q.kind not in SCALE_KINDS or (sid, year) not in shown:
            continue
        code = q.code or q.text
        acc = item_acc.setdefault(code, {"text": q.text, "kind": q.kind, "sum": 0.0, "n": 0, "dist": defaultdict(int)})
        acc["sum"] += value * n
        acc["n"] += n
        acc["dist"][str(int(value))] += n
        course_sum[(sid, year)][0] += value * n
        course_sum[(sid, year)][1] += n
        year_sum[year][0] += value * n
        year_sum[year][1] += n
    courses = []
    for (sid, year), n in sorted(size.items(), key=lambda kv: (-kv[0][1], titles.get(surveys[kv[0][0]].course_id, ""))):
        total, k = course_sum.get((sid, year), (0.0, 0))
        courses.append(InstructorCourse(surveys[sid].course_id, titles.get(surveys[sid].course_id, ""), year, n,
                                        round(total / k, 2) if k and (sid, year) in shown else None,
                                        (sid, year) not in shown))
    items = []
    for code, acc in item_acc.items():
        top = 5 if acc["kind"] == "likert5" else 4
        items.append(InstructorItem(code, acc["text"], acc["kind"], acc["n"],
                                    round(acc["sum"] / acc["n"], 2) if acc["n"] else None,
                                    {str(i): acc["dist"].get(str(i), 0) for i in range(1, top + 1)}))
    years_n: dict[int, int] = defaultdict(int)
    for (_sid, year), n in size.items():
        years_n[year] += n
    years = [(y, years_n[y], round(year_sum[y][0] / year_sum[y][1], 2) if year_sum[y][1] else None)
             for y in sorted(years_n)]
    comments = [(titles.get(surveys[sid].course_id, ""), text) for sid, year, text in text_rows
                if (sid, year) in shown]
    return InstructorReport(instructor, courses, items, years, comments)


def instructor_document(rep: InstructorReport) -> dict:
    return {
        "instructor": {"id": rep.instructor.id, "nip": rep.instructor.nip, "name": rep.instructor.name},
        "respondents": rep.respondents, "average": rep.average, "min_group": min_group(),
        "courses": [{"course_id": c.course_id, "title": c.title, "year": c.year, "respondents": c.respondents,
                     "average": c.average, "suppressed": c.suppressed} for c in rep.courses],
        "questions": [{"code": i.code, "text": i.text, "count": i.count, "average": i.average,
                       "distribution": i.distribution} for i in rep.items],
        "years": [{"year": y, "respondents": n, "average": a} for y, n, a in rep.years],
        "comments": [{"course": t, "text": c} for t, c in rep.comments],
    }


def instructors_in_reach(viewer: User) -> list[tuple[User, int]]:
    """Instructors someone has evaluated, with their respondent counts, that `viewer` may open."""
    r = reach(viewer)
    rows = db.session.execute(select(SurveyAnswer.instructor_id, func.count(distinct(SurveyAnswer.response_id)))
                              .where(SurveyAnswer.instructor_id.is_not(None))
                              .group_by(SurveyAnswer.instructor_id)).all()
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([i for i, _n in rows])))} if rows else {}
    out = [(people[i], n) for i, n in rows if i in people and (people[i].id == viewer.id or r.covers(people[i]))]
    return sorted(out, key=lambda p: p[0].name)


# --- overview, learning gain, impact --------------------------------------------------------------

def courses_with_surveys(viewer: User) -> list[tuple[Course, int, int]]:
    """(course, surveys, responses) for the courses whose evaluation `viewer` may read."""
    from app.courses.queries import teaching_courses

    rows = db.session.execute(select(Survey.course_id, func.count(distinct(Survey.id)), func.count(SurveyResponse.id))
                              .outerjoin(SurveyResponse, SurveyResponse.survey_id == Survey.id)
                              .group_by(Survey.course_id)).all()
    courses = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_([r[0] for r in rows])))} \
        if rows else {}
    staff = viewer.has_role("bpsdm", "admin")
    mine = {c.id for c in teaching_courses(viewer)} if not staff else set()
    return [(courses[cid], s, n) for cid, s, n in rows if cid in courses and (staff or cid in mine)]


def learning_gain_setup(course: Course) -> LearningGainSetup | None:
    return db.session.scalar(select(LearningGainSetup).where(LearningGainSetup.course_id == course.id))


@dataclass
class GainRow:
    user: User
    pre: float | None
    post: float | None

    @property
    def gain(self) -> float | None:
        return round(self.post - self.pre, 2) if self.pre is not None and self.post is not None else None

    @property
    def normalised(self) -> float | None:
        if self.gain is None or self.pre >= 100:
            return None
        return round(self.gain / (100 - self.pre), 3)


def _quiz_percent(quiz_id: int, which: str, user_ids: list[int] | None) -> dict[int, float]:
    """Each learner's percent on a quiz: the first finished attempt (a pre-test measures what one
    knew coming in) or the best one (a post-test what one can do after)."""
    from app.quizzes.models import Attempt

    stmt = select(Attempt.user_id, Attempt.number, Attempt.score, Attempt.max_score).where(
        Attempt.quiz_id == quiz_id, Attempt.state == "finished", Attempt.max_score > 0)
    if user_ids is not None:
        stmt = stmt.where(Attempt.user_id.in_(user_ids))
    out: dict[int, tuple[int, float]] = {}
    for uid, number, score, max_score in db.session.execute(stmt):
        pct = round(100 * (score or 0) / max_score, 2)
        if uid not in out:
            out[uid] = (number, pct)
        elif which == "first" and number < out[uid][0]:
            out[uid] = (number, pct)
        elif which == "best" and pct > out[uid][1]:
            out[uid] = (number, pct)
    return {uid: pct for uid, (_n, pct) in out.items()}


@dataclass
class LearningGain:
    setup: LearningGainSetup | None
    rows: list[GainRow]

    @property
    def paired(self) -> list[GainRow]:
        return [r for r in self.rows if r.gain is not None]

    @property
    def pre_average(self) -> float | None:
        p = self.paired
        return round(sum(r.pre for r in p) / len(p), 2) if p else None

    @property
    def post_average(self) -> float | None:
        p = self.paired
        return round(sum(r.post for r in p) / len(p), 2) if p else None

    @property
    def normalised_gain(self) -> float | None:
        """Hake's ⟨g⟩ = (⟨post⟩ − ⟨pre⟩) / (100 − ⟨pre⟩), over learners who took both tests."""
        pre, post = self.pre_average, self.post_average
        if pre is None or pre >= 100:
            return None
        return round((post - pre) / (100 - pre), 3)


def learning_gain(course: Course, r: Reach) -> LearningGain:
    setup = learning_gain_setup(course)
    stmt = select(User).join(Enrolment, Enrolment.user_id == User.id).where(Enrolment.course_id == course.id)
    if not r.everything:
        stmt = stmt.join(Unit, Unit.id == User.unit_id).where(r.unit_filter(Unit.path))
    learners = list(db.session.scalars(stmt.order_by(User.name)))
    if setup is None or (setup.pre_quiz_id is None and setup.post_quiz_id is None):
        return LearningGain(setup, [])
    ids = [u.id for u in learners]
    pre = _quiz_percent(setup.pre_quiz_id, "first", ids) if setup.pre_quiz_id else {}
    post = _quiz_percent(setup.post_quiz_id, "best", ids) if setup.post_quiz_id else {}
    return LearningGain(setup, [GainRow(u, pre.get(u.id), post.get(u.id)) for u in learners
                                if u.id in pre or u.id in post])


def impact_for_respondent(user: User) -> list[ImpactEvaluation]:
    return list(db.session.scalars(select(ImpactEvaluation).where(ImpactEvaluation.respondent_id == user.id)
                                   .order_by(ImpactEvaluation.submitted_at.is_not(None), ImpactEvaluation.opened_at.desc())))


def impact_of(learner: User) -> list[ImpactEvaluation]:
    """The job-impact evaluations about one person (their own and their atasan's)."""
    return list(db.session.scalars(select(ImpactEvaluation).where(ImpactEvaluation.learner_id == learner.id)
                                   .order_by(ImpactEvaluation.opened_at.desc())))


def impact_summary(course: Course) -> dict[str, Any]:
    rows = list(db.session.scalars(select(ImpactEvaluation).where(ImpactEvaluation.course_id == course.id)))
    done = [e for e in rows if e.submitted_at is not None]
    applied = defaultdict(int)
    for e in done:
        applied[e.applied] += 1
    return {"opened": len(rows), "submitted": len(done), "applied": dict(applied)}


def impact_evidence(evaluations: list[ImpactEvaluation]) -> dict[int, list[dict]]:
    """Per evaluation, its impact ratings beside the competency evidence the same completion left
    (the level the course raised), so the atasan reads "level 2 from the course; impact 4"."""
    from app.corpu.models import Assessment, Competency

    if not evaluations:
        return {}
    pairs = {(e.learner_id, e.course_id) for e in evaluations}
    rows = db.session.execute(select(Assessment.id, Assessment.user_id, Assessment.course_id, Assessment.level,
                                     Competency.code)
                              .join(Competency, Competency.id == Assessment.competency_id)
                              .where(Assessment.source == "course",
                                     Assessment.user_id.in_({u for u, _c in pairs}),
                                     Assessment.course_id.in_({c for _u, c in pairs}))).all()
    evidence: dict[tuple[int, int, str], tuple[int, int]] = {}
    for aid, uid, cid, level, code in rows:
        evidence[(uid, cid, code)] = (aid, level)
    out: dict[int, list[dict]] = {}
    for e in evaluations:
        items = []
        for cc in e.course.competencies:
            aid, level = evidence.get((e.learner_id, e.course_id, cc.code), (None, None))
            items.append({"competency": cc.code, "course_level": cc.level, "assessment_id": aid, "level": level,
                          "rating": (e.ratings or {}).get(cc.code)})
        out[e.id] = items
    return out


# --- per organiser and per unit, by year ------------------------------------------------------------

@dataclass
class SummaryRow:
    key: str
    year: int
    respondents: int
    answers: int
    average: float | None  # of the 1–5 scale answers; None for a group under the minimum


def summary(viewer: User, by: str) -> list[SummaryRow]:
    """Evaluation results grouped by organiser (the course's penyelenggara) or by the respondents'
    unit, per year: respondents and the average of every 1–5 scale answer. Instructors see their
    own courses; BPSDM the answers of respondents in their reach. A group under the minimum shows
    its count only."""
    from app.courses.queries import teaching_courses

    group_col = Course.organiser if by == "organiser" else Unit.name
    stmt = (select(group_col, SurveyResponse.year, func.count(distinct(SurveyResponse.id)), func.count(SurveyAnswer.id),
                   func.sum(SurveyAnswer.value))
            .select_from(SurveyAnswer)
            .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(Survey, Survey.id == SurveyResponse.survey_id)
            .join(Course, Course.id == Survey.course_id)
            .outerjoin(Unit, Unit.id == SurveyResponse.unit_id)
            .where(SurveyQuestion.kind == "likert5", SurveyAnswer.value.is_not(None))
            .group_by(group_col, SurveyResponse.year))
    if viewer.has_role("bpsdm", "admin"):
        r = reach(viewer)
        if not r.everything:
            stmt = stmt.where(r.unit_filter(Unit.path))
    else:
        ids = [c.id for c in teaching_courses(viewer)]
        stmt = stmt.where(Course.id.in_(ids or [0]))
    mg = min_group()
    rows = []
    for key, year, respondents, answers, total in db.session.execute(stmt):
        shown = respondents >= mg
        rows.append(SummaryRow(key or _("(tanpa keterangan)"), year, respondents, answers if shown else 0,
                               round(float(total) / answers, 2) if shown and answers else None))
    return sorted(rows, key=lambda row: (row.key, row.year))


@functools.cache
def home_waiting_rows() -> Select:
    """`certificates_waiting` as a branch of the home statement (app.home): survey, course and
    their titles, in course then course order."""
    from app.courses.models import CourseCompletion

    person = bindparam("home_user")
    order = (Survey.course_id, Activity.position, Survey.id)
    return (select(*home_row("evaluation.waiting", order, i1=Survey.id, i2=Survey.course_id, s1=Course.title,
                             s2=Activity.title))
            .join(Activity, Activity.id == Survey.activity_id).join(Course, Course.id == Survey.course_id)
            .join(CourseCompletion, (CourseCompletion.course_id == Survey.course_id) & (CourseCompletion.user_id == person))
            .where(Survey.before_certificate.is_(True), Course.certificate.is_(True), Activity.visible.is_(True),
                   ~select(SurveySubmission.id).where(SurveySubmission.survey_id == Survey.id,
                                                      SurveySubmission.user_id == person).exists()))


def home_waiting(rows: list) -> list[tuple[Any, list[Any]]]:
    """The rows of `home_waiting_rows` shaped as `certificates_waiting`: (course, its surveys)."""
    out: dict[int, tuple[Any, list[Any]]] = {}
    for r in rows:
        course = out.setdefault(r.i2, (SimpleNamespace(id=r.i2, title=r.s1), []))
        course[1].append(SimpleNamespace(id=r.i1, activity=SimpleNamespace(title=r.s2)))
    return list(out.values())


@functools.cache
def home_impact_rows() -> Select:
    """The first five of the evaluations waiting for this respondent (`impact_for_respondent`, not
    submitted), newest first, each with how many wait in all (i2), as a home statement branch."""
    learner = aliased(User)
    order = (ImpactEvaluation.opened_at.desc(), ImpactEvaluation.id.desc())
    return (select(*home_row("evaluation.impact", order, i1=ImpactEvaluation.id, i2=func.count().over(),
                             s1=ImpactEvaluation.role, s2=Course.title, s3=learner.name))
            .join(Course, Course.id == ImpactEvaluation.course_id).join(learner, learner.id == ImpactEvaluation.learner_id)
            .where(ImpactEvaluation.respondent_id == bindparam("home_user"), ImpactEvaluation.submitted_at.is_(None))
            .order_by(*order).limit(5))


def certificates_waiting(user: User) -> list[tuple[Course, list[Survey]]]:
    """Completed courses whose certificate waits for this person's evaluation, with the surveys."""
    from app.courses.models import CourseCompletion

    rows = list(db.session.scalars(select(Survey).join(Activity, Activity.id == Survey.activity_id)
                                   .join(Course, Course.id == Survey.course_id)
                                   .join(CourseCompletion, (CourseCompletion.course_id == Survey.course_id)
                                         & (CourseCompletion.user_id == user.id))
                                   .where(Survey.before_certificate.is_(True), Course.certificate.is_(True),
                                          Activity.visible.is_(True),
                                          ~select(SurveySubmission.id).where(
                                              SurveySubmission.survey_id == Survey.id,
                                              SurveySubmission.user_id == user.id).exists())
                                   .order_by(Survey.course_id, Activity.position)))
    out: dict[int, tuple[Course, list[Survey]]] = {}
    for s in rows:
        out.setdefault(s.course_id, (s.activity.course, []))[1].append(s)
    return list(out.values())
