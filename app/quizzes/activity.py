"""The quiz activity type, plugged into the course engine's registry (see courses/activity_types.py).

Package hooks: `validate` parses the GIFT/Moodle XML file named by `file:` and reports every
problem with file and line; `apply` puts its questions in a category named after the activity
and creates the Quiz with the package's settings; `export` writes `quizzes/<slug>.xml`.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.courses.activity_types import ActivityType, register
from app.extensions import db


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or "kuis"


def _fmt_for(path: str) -> str | None:
    lower = path.lower()
    if lower.endswith(".xml"):
        return "xml"
    if lower.endswith((".gift", ".txt")):
        return "gift"
    return None


def _settings_problems(spec: dict) -> list[str]:
    problems = []
    checks = (("pass_percent", 0, 100), ("max_attempts", 0, 1000), ("time_limit_minutes", 0, 100_000))
    for key, lo, hi in checks:
        if key in spec:
            value = spec[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
                problems.append(f"{key} harus angka antara {lo} dan {hi}.")
    if "shuffle" in spec and not isinstance(spec["shuffle"], bool):
        problems.append("shuffle harus true atau false.")
    return problems


def validate(spec: dict, reader, problems) -> None:
    file = spec.get("file")
    for message in _settings_problems(spec):
        problems.add("course.yaml", None, f"Kuis '{spec.get('title', '')}': {message}")
    if not file:
        return  # an empty quiz: questions come later from the bank, as in the browser
    fmt = _fmt_for(file)
    if fmt is None:
        problems.add(file, None, "Berkas soal harus .gift, .txt (GIFT) atau .xml (Moodle XML).")
        return
    if not reader.exists(file):
        problems.add(file, None, "Berkas soal tidak ada di paket.")
        return
    from app.quizzes.operations import parse_questions

    result = parse_questions(reader.read_bytes(file), fmt)
    for p in result.problems:
        where = f" ({p.element})" if p.element else ""
        problems.add(file, p.line, p.message + where)


def apply(activity, spec: dict, reader) -> None:
    from app.quizzes import operations as ops

    file = spec.get("file")
    questions = []
    if file:
        result = ops.parse_questions(reader.read_bytes(file), _fmt_for(file) or "gift")
        base = activity.title.replace("/", "-")
        for q in result.questions:
            q.category = f"{base}/{q.category}" if q.category else base
        questions, _path = ops.save_parsed(activity.course, result.questions, default_category=base)
    quiz = ops.get_or_create_quiz(activity)
    shuffle = spec.get("shuffle")
    ops.update_quiz(quiz, pass_percent=spec.get("pass_percent", 70), max_attempts=spec.get("max_attempts", 0),
                    time_limit_minutes=spec.get("time_limit_minutes", 0),
                    shuffle_questions=shuffle if shuffle is not None else False,
                    shuffle_choices=shuffle if shuffle is not None else True)
    if file:
        ops.set_slots(quiz, question_ids=[q.id for q in questions])


def quiz_questions(quiz) -> list[tuple[str, Any]]:
    """(category path, question) for every question a quiz can show: fixed ones and its random pools."""
    from app.quizzes.models import Question
    from app.quizzes.operations import category_ids_under

    out, seen = [], set()
    for slot in quiz.slots:
        if slot.question is not None and slot.question.id not in seen:
            seen.add(slot.question.id)
            out.append((slot.question.category.path, slot.question))
        elif slot.category is not None:
            for q in db.session.scalars(select(Question).where(
                    Question.category_id.in_(category_ids_under(slot.category))).order_by(Question.id)):
                if q.id not in seen:
                    seen.add(q.id)
                    out.append((q.category.path, q))
    return out


def export(activity, writer) -> dict:
    from app.quizzes.models import Quiz
    from app.quizzes.moodle_xml import export_moodle_xml

    quiz = db.session.scalar(select(Quiz).where(Quiz.activity_id == activity.id))
    relpath = f"quizzes/{slugify(activity.title)}.xml"
    # `apply` files a package's questions under a category named after the activity; write the
    # paths relative to it so that import -> export -> import gives the same bank, not a deeper one.
    base = activity.title.replace("/", "-")

    def relative(path: str) -> str:
        return "" if path == base else path[len(base) + 1:] if path.startswith(base + "/") else path

    questions = [(relative(path), q) for path, q in quiz_questions(quiz)] if quiz else []
    writer.write_bytes(relpath, export_moodle_xml(questions))
    if quiz is None:
        return {"file": relpath}
    return {"file": relpath, "pass_percent": quiz.pass_percent if quiz.pass_percent % 1 else int(quiz.pass_percent),
            "max_attempts": quiz.max_attempts, "time_limit_minutes": quiz.time_limit_minutes,
            "shuffle": bool(quiz.shuffle_questions or quiz.shuffle_choices)}


def duplicate(source, new) -> None:
    """Copy the quiz's settings; into another course, copy its questions into that course's bank."""
    from app.quizzes import operations as ops
    from app.quizzes.models import Quiz, QuizSlot

    src = db.session.scalar(select(Quiz).where(Quiz.activity_id == source.id))
    if src is None:
        return
    quiz = ops.get_or_create_quiz(new)
    for attr in ("pass_percent", "max_attempts", "time_limit_minutes", "shuffle_questions", "shuffle_choices",
                 "questions_per_page", "open_at", "close_at", "review_after", "behaviour"):
        setattr(quiz, attr, getattr(src, attr))
    same_course = src.course_id == new.course_id
    copies: dict[int, int] = {}
    for slot in src.slots:
        if same_course:
            quiz.slots.append(QuizSlot(position=slot.position, question_id=slot.question_id,
                                       category_id=slot.category_id, count=slot.count))
            continue
        if slot.question is not None:
            q = slot.question
            if q.id not in copies:
                copies[q.id] = ops.save_question(new.course, qtype=q.type, name=q.name, text=q.text, data=q.data,
                                                 category=q.category.path, general_feedback=q.general_feedback,
                                                 default_mark=q.default_mark).id
            quiz.slots.append(QuizSlot(position=slot.position, question_id=copies[q.id]))
        elif slot.category is not None:
            for path, q in quiz_questions(type("S", (), {"slots": [slot]})()):
                if q.id not in copies:
                    copies[q.id] = ops.save_question(new.course, qtype=q.type, name=q.name, text=q.text, data=q.data,
                                                     category=path, general_feedback=q.general_feedback,
                                                     default_mark=q.default_mark).id
            cat = ops.ensure_category(new.course, slot.category.path)
            quiz.slots.append(QuizSlot(position=slot.position, category_id=cat.id, count=slot.count))
    db.session.flush()


def meets_rule(activity, user) -> bool:
    from app.quizzes.models import Attempt, Quiz

    return db.session.scalar(select(Attempt.id).join(Quiz, Quiz.id == Attempt.quiz_id).where(
        Quiz.activity_id == activity.id, Attempt.user_id == user.id, Attempt.passed.is_(True)).limit(1)) is not None


def api_fields(activity) -> dict:
    from app.quizzes.models import Quiz

    return {"quiz_id": db.session.scalar(select(Quiz.id).where(Quiz.activity_id == activity.id))}


def view_context(activity, user) -> dict:
    from app.quizzes.queries import learner_summary

    return learner_summary(activity, user)


def edit_context(activity) -> dict:
    from app.quizzes.models import Quiz

    return {"quiz": db.session.scalar(select(Quiz).where(Quiz.activity_id == activity.id))}


register(ActivityType(
    name="quiz", label=_l("Kuis"), completion="quiz",
    template="quizzes/_activity.html", view_context=view_context,
    edit_template="quizzes/_activity_edit.html", edit_context=edit_context,
    validate=validate, apply=apply, export=export, duplicate=duplicate, meets_rule=meets_rule,
    api_fields=api_fields,
))
