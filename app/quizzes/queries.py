"""The read side of the quiz engine: who may manage a bank, what a learner sees, statistics."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from json import JSONDecoder
from json import loads as _json_loads
from types import SimpleNamespace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, Row, Text, and_, any_, bindparam, cast, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import defer

from app.accounts.models import User, utcnow
from app.courses.models import Activity, Course, CourseInstructor
from app.errors import NotFound
from app.extensions import db
from app.quizzes import grading, qtypes
from app.quizzes.models import Attempt, AttemptAnswer, AttemptFile, Question, QuestionCategory, Quiz


def can_manage_course(user: User, course: Course) -> bool:
    """The admins who administer the course, its owner and its instructors manage its question
    bank and quizzes (a unit-limited admin only the courses of their units: the bank holds answers)."""
    from app.courses.queries import administers

    if not getattr(user, "is_authenticated", False):
        return False
    if course.owner_id == user.id or administers(user, course):
        return True
    return db.session.scalar(select(CourseInstructor.id).where(CourseInstructor.course_id == course.id,
                                                               CourseInstructor.user_id == user.id)) is not None


def categories(course: Course) -> list[QuestionCategory]:
    return list(db.session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == course.id)
                                   .order_by(QuestionCategory.path)))


def questions(course: Course, category_id: int | None = None) -> list[Question]:
    stmt = select(Question).where(Question.course_id == course.id)
    if category_id:
        stmt = stmt.where(Question.category_id == category_id)
    return list(db.session.scalars(stmt.order_by(Question.category_id, Question.id)))


def bank_for_export(course: Course) -> list[tuple[str, Question]]:
    rows = db.session.execute(select(QuestionCategory.path, Question).join(
        Question, Question.category_id == QuestionCategory.id).where(Question.course_id == course.id)
        .order_by(QuestionCategory.path, Question.id)).all()
    return [(path, q) for path, q in rows]


def quiz_for_activity(activity: Activity) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.activity_id == activity.id))


@functools.cache
def _summary_stmt():
    # the quiz and the learner's attempts in one round trip (the quiz repeated on each attempt's
    # row); an attempt's layout is not shown here and can be long: not read
    return (select(Quiz, Attempt).outerjoin(Attempt, and_(Attempt.quiz_id == Quiz.id,
                                                          Attempt.user_id == bindparam("user_id")))
            .options(defer(Attempt.layout)).where(Quiz.activity_id == bindparam("activity_id"))
            .order_by(Attempt.number))


def learner_summary(activity: Activity, user: User) -> dict[str, Any]:
    rows = db.session.execute(_summary_stmt(), {"activity_id": activity.id, "user_id": user.id}).all()
    if not rows:
        return {"quiz": None, "attempts": [], "open_attempt": None, "can_start": False}
    quiz = rows[0][0]
    attempts = [a for _q, a in rows if a is not None]
    now = utcnow()
    open_attempt = next((a for a in attempts if a.state == "open" and (a.deadline is None or a.deadline > now)), None)
    left = None if not quiz.max_attempts else max(0, quiz.max_attempts - len(attempts))
    finished = [a for a in attempts if a.state == "finished"]
    best = max((a.score / a.max_score * 100 for a in finished if a.max_score), default=None)
    can_start = open_attempt is not None or (
        (left is None or left > 0) and (quiz.open_at is None or now >= quiz.open_at)
        and (quiz.close_at is None or now < quiz.close_at))
    return {"quiz": quiz, "attempts": attempts, "open_attempt": open_attempt, "attempts_left": left,
            "best_percent": best, "passed": any(a.passed for a in finished), "can_start": can_start}


@functools.cache
def _own_attempt_stmt():
    t, z, act = Attempt.__table__, Quiz.__table__, Activity.__table__
    return (select(t.c.id, t.c.user_id, t.c.number, t.c.state, t.c.deadline, t.c.layout,
                   z.c.behaviour, z.c.questions_per_page, z.c.course_id, z.c.activity_id, act.c.title)
            .join(z, z.c.id == t.c.quiz_id).join(act, act.c.id == z.c.activity_id)
            .where(t.c.id == bindparam("attempt_id")))


def own_attempt_row(attempt_id: int, user: User) -> Row:
    """The learner's own attempt with what its page shows of the quiz (behaviour, questions per
    page, course, activity and its title) as one plain row: the attempt page's read, where the ORM
    objects of attempt, quiz and activity cost a tenth of the page. Someone else's is NotFound."""
    # through the session's connection: a Core statement needs none of the ORM's execution steps
    row = db.session.connection().execute(_own_attempt_stmt(), {"attempt_id": attempt_id}).first()
    if row is None or row.user_id != user.id:
        raise NotFound(_("Percobaan kuis tidak ditemukan."))
    return row


def attempt_questions(attempt: Attempt | Row, *, with_answers: bool = False,
                      behaviour: str | None = None) -> list[dict[str, Any]]:
    """The attempt's questions in its order, with choices in its order (the API's shape), plus the
    saved response; with_answers adds marks, feedback and the right answer (for the review).
    `attempt` needs its id and layout; `behaviour` is its quiz's (read from the quiz if not given)."""
    # questions and this attempt's answers in one round trip, as plain rows (this runs on every
    # attempt page view: ORM objects would cost as much as the rest of the page)
    db.session.flush()  # an answer this session changed is read as changed
    conn = db.session.connection()
    postgresql = conn.dialect.name == "postgresql"
    load = _json if postgresql else _as_read  # see _attempt_questions_stmt
    rows = conn.execute(_attempt_questions_stmt(postgresql, with_answers),
                        {"attempt_id": attempt.id, "ids": [e["q"] for e in attempt.layout]}).all()
    qs = {r.id: r for r in rows}
    answers = {r.id: _Answer(r, load, with_answers) for r in rows if r.answer_id is not None}
    out = []
    number = 0
    interactive = (behaviour or attempt.quiz.behaviour) == "interactive"
    for entry in attempt.layout:
        q = qs.get(entry["q"])
        if q is None:
            continue
        kind = qtypes.get(q.type)
        number += kind.graded  # a description is not numbered, as in Moodle
        stored = load(q.data)
        data = kind.attempt_data(stored, entry)
        by_id = {c["id"]: c for c in kind.choices(data)}
        item: dict[str, Any] = {
            "id": q.id, "number": number, "type": q.type, "text": kind.present(q.text, data), "mark": entry["mark"],
            "choices": [by_id[c] for c in entry.get("choices", []) if c in by_id],
            "multiple": False, "graded": kind.graded,
        }
        stems = kind.stems(data)
        if stems is not None:
            by_stem = {s["id"]: s for s in stems}
            item["stems"] = [by_stem[s] for s in entry.get("stems", []) if s in by_stem]
        item.update(kind.item(data, entry))
        item["shape"] = kind.response_shape
        parts = kind.attempt_text(item["text"], data, entry)
        if parts is not None:
            item["parts"] = parts
            # the text with its fields as [[1]], [[2]]… by place: what the author wrote inside
            # them (a choice number, a cloze answer) is never shown to the learner
            item["text"] = "".join(p["html"] if "html" in p else f"[[{p['gap']}]]" for p in parts)
        ans = answers.get(q.id)
        item["response"] = ans.response if ans else None
        if entry.get("ids"):
            kind.show_ids(item, entry["ids"])  # this attempt's own ids, never the question's
        if interactive and kind.graded and not kind.manual:
            item["check"] = check_state(SimpleNamespace(data=stored), ans.interaction if ans else None)
        if with_answers:
            fb = ""
            if ans is not None and ans.response is not None and not kind.manual:
                try:
                    fb = kind.grade(data, ans.response).feedback
                except grading.BadResponse:
                    fb = ""
            given = ""
            if ans is not None and ans.response not in (None, "", [], {}):
                try:
                    given = kind.response_text(item, item["response"])
                except (grading.BadResponse, AttributeError, TypeError, ValueError):
                    given = str(ans.response)  # a response from before the question changed
            item.update({"fraction": ans.fraction if ans else 0.0, "awarded": ans.mark if ans else 0.0,
                         "feedback": fb, "comment": ans.feedback if ans else "", "given": given,
                         "general_feedback": kind.present(q.general_feedback, data), "right_answer": kind.right_answer(data)})
        out.append(item)
    if any(item.get("attachments") for item in out):
        # the attached files, for quizzes that have essays taking them: one query, not one per question
        from app.quizzes.qtypes.essay import human_size

        files = files_by_answer([attempt.id])
        for item in out:
            if item.get("attachments") or files.get((attempt.id, item["id"])):
                item["files"] = [{"id": f.id, "name": f.name, "size": f.size, "size_text": human_size(f.size)}
                                 for f in files.get((attempt.id, item["id"]), [])]
    return out


#: json.loads's own scanner: a value and where it ends, in one C call (json.loads is a handful of
#: Python calls around it, for each of the two or three JSON values per question of the page)
_scan_json = JSONDecoder().scan_once


def _json(text: str | None) -> Any:
    """A JSON column read as text on PostgreSQL (see _attempt_questions_stmt), as its JSON type
    would load it (json.loads, directly when the text is not a single bare value)."""
    if text is None:
        return None
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:  # leading white space, or not JSON: json.loads says which
        return _json_loads(text)
    return value if end == len(text) else _json_loads(text)


def _as_read(value: Any) -> Any:
    return value


class _Answer:
    """The answer columns of an _attempt_questions_stmt row, its JSON decoded."""

    __slots__ = ("id", "response", "interaction", "fraction", "mark", "feedback")

    def __init__(self, row: Row, load: Callable[[Any], Any], with_answers: bool) -> None:
        self.id = row.answer_id
        self.response, self.interaction = load(row.response), load(row.interaction)
        self.fraction, self.mark, self.feedback = (row.fraction, row.mark, row.feedback) if with_answers else (
            None, None, None)


@functools.cache
def _attempt_questions_stmt(postgresql: bool, with_answers: bool):
    q, a = Question.__table__, AttemptAnswer.__table__
    # PostgreSQL: the JSON columns as text (json keeps the text as written), decoded by _json from
    # str: psycopg's JSON loader decodes from bytes, through json's encoding detection, some
    # thirteen calls a value against two, and a page has two or three per question. Not SQLite,
    # whose JSON column has numeric affinity: a number stored there reads back as text with 15
    # digits (0.1 + 0.2 as 0.3), where the JSON type gives the float stored.
    def as_text(column: Any) -> Any:
        return cast(column, Text).label(column.name) if postgresql else column

    # The marks and feedback only for the review: psycopg describes every column of a result in Python.
    columns = [q.c.id, q.c.type, q.c.text, as_text(q.c.data), a.c.id.label("answer_id"), as_text(a.c.response),
               as_text(a.c.interaction)]
    if with_answers:
        columns += [q.c.general_feedback, a.c.fraction, a.c.mark, a.c.feedback]
    # PostgreSQL takes the question ids as one array: an expanding IN renders a placeholder per id
    # (some ten calls each) and is a new statement to prepare for every number of questions
    ids = (q.c.id == any_(bindparam("ids", type_=ARRAY(Integer))) if postgresql
           else q.c.id.in_(bindparam("ids", expanding=True)))
    return (select(*columns)
            .select_from(q.outerjoin(a, (a.c.question_id == q.c.id) & (a.c.attempt_id == bindparam("attempt_id"))))
            .where(ids))


def check_state(question: Question | SimpleNamespace, interaction: dict | None) -> dict[str, Any]:
    """What the attempt page shows of a question's tries (interactive behaviour): its state, tries
    left, and after a wrong try its feedback and hint; after the last, its mark. The hint text
    is only read here, once its try has been used."""
    from app.quizzes.operations import tries_of

    st = interaction or {}
    tries = int(st.get("tries") or 0)
    hints = (question.data or {}).get("hints") or []
    hint = hints[st["hint"] - 1] if st.get("hint") and st["hint"] <= len(hints) else None
    fraction = float(st["fraction"]) if st.get("fraction") is not None else None
    return {"state": st.get("state"), "tries": tries, "tries_left": max(0, tries_of(question) - tries),
            "fraction": fraction if st.get("state") in ("wrong", "done") else None,
            "mark": st.get("mark") if st.get("state") == "done" else None,
            "feedback": st.get("feedback", "") if st.get("state") in ("wrong", "done") else "",
            "hint": hint["text"] if hint else "", "num_right": st.get("num_right")}


def shown_response(attempt: Attempt, question: Question, response: Any) -> Any:
    """A response in the question's own ids as the attempt shows it (with its shown ids): what
    the learner's page or app sends for it."""
    entry = next((e for e in attempt.layout if e["q"] == question.id), {})
    if not entry.get("ids") or response is None:
        return response
    ids = entry["ids"]
    kind = qtypes.get(question.type)
    return kind.map_response(response, lambda x: ids.get(x, x), ids=ids)


def attempt_file_counts(attempt_id: int) -> dict[int, int]:
    from sqlalchemy import func

    return dict(db.session.execute(select(AttemptFile.question_id, func.count()).where(
        AttemptFile.attempt_id == attempt_id).group_by(AttemptFile.question_id)).all())


def files_by_answer(attempt_ids: list[int]) -> dict[tuple[int, int], list[AttemptFile]]:
    """The attached files of these attempts, by (attempt id, question id), in upload order: one query."""
    out: dict[tuple[int, int], list[AttemptFile]] = {}
    if not attempt_ids:
        return out
    for f in db.session.scalars(select(AttemptFile).where(AttemptFile.attempt_id.in_(attempt_ids))
                                .order_by(AttemptFile.id)):
        out.setdefault((f.attempt_id, f.question_id), []).append(f)
    return out


def grader_covers(user: User, course: Course):
    """A test `attempt -> bool`: whose attempts this grader of the course may see (see below)."""
    from app.courses.queries import staff_reach

    r = staff_reach(user, course)
    if r is None or r.everything:
        return lambda attempt: True
    return lambda attempt: attempt.user_id == user.id or r.covers(attempt.user)


def can_see_attempt(user: User, attempt: Attempt) -> bool:
    """The attempt's owner, and those who grade the course — a unit-limited one only for people
    within their reach — may see an attempt's answers and attached files."""
    from app.courses.queries import staff_reach

    if not getattr(user, "is_authenticated", False):
        return False
    if attempt.user_id == user.id:
        return True
    course = attempt.quiz.course
    if not can_manage_course(user, course):
        return False
    r = staff_reach(user, course)
    if r is None:  # the owner or an instructor without a staff role: the whole course
        return True
    return r.everything or r.covers(attempt.user)


def quiz_attempts(quiz: Quiz) -> list[Attempt]:
    return list(db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id)
                                   .order_by(Attempt.user_id, Attempt.number)))


def essays_to_grade(quiz: Quiz) -> list[tuple[AttemptAnswer, Attempt, Question]]:
    rows = db.session.execute(select(AttemptAnswer, Attempt, Question)
                              .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
                              .join(Question, Question.id == AttemptAnswer.question_id)
                              .where(Attempt.quiz_id == quiz.id, Attempt.state == "finished",
                                     Question.type.in_([t.name for t in qtypes.all_types() if t.manual]))
                              .order_by(AttemptAnswer.graded_by_id.is_not(None), Attempt.finished_at)).all()
    return [tuple(r) for r in rows]


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 0 or syy <= 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def item_analysis(quiz: Quiz) -> dict[str, Any]:
    """Per question, over finished attempts, as Moodle's quiz statistics define them:
    facility index = mean mark / max mark × 100 (how easy);
    discrimination index = 100 × correlation between the mark on this question and the mark on
    the rest of the quiz (how well it separates stronger from weaker learners)."""
    attempts = [a for a in quiz_attempts(quiz) if a.state == "finished" and a.max_score]
    marks: dict[int, dict[int, tuple[float, float]]] = {}
    for ans in db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id.in_([a.id for a in attempts]))):
        marks.setdefault(ans.question_id, {})[ans.attempt_id] = (ans.mark or 0.0, ans.max_mark)
    totals = {a.id: a.score or 0.0 for a in attempts}
    qs = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(list(marks))))}
    items = []
    for qid, per_attempt in marks.items():
        q = qs.get(qid)
        if q is None or not qtypes.get(q.type).graded:
            continue  # a description has nothing to analyse
        xs = [m for m, _ in per_attempt.values()]
        max_mark = max((mm for _, mm in per_attempt.values()), default=1.0) or 1.0
        rest = [totals[aid] - m for aid, (m, _) in per_attempt.items()]
        r = _pearson(xs, rest)
        items.append({"question": q, "attempts": len(xs),
                      "facility": round(sum(xs) / len(xs) / max_mark * 100, 2) if xs else None,
                      "discrimination": round(r * 100, 2) if r is not None else None})
    items.sort(key=lambda i: i["question"].id)
    bins = [0] * 10
    for a in attempts:
        pct = a.score / a.max_score * 100
        bins[min(9, int(pct // 10))] += 1
    return {"items": items, "histogram": {"labels": [f"{i * 10}–{i * 10 + 10}%" for i in range(10)], "counts": bins},
            "attempts": len(attempts),
            "mean_percent": round(sum(a.score / a.max_score * 100 for a in attempts) / len(attempts), 2)
            if attempts else None}
