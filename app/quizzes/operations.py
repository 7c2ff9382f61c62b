"""Every state change of the quiz engine: the bank, imports, quiz settings, attempts, grading.

Attempts are the part that must be trustworthy:
- the time limit is the server's: `deadline` is fixed when the attempt starts (start + limit,
  capped by the quiz's close date) and an answer after it is refused (409);
- saving an answer locks the attempt row, and submitting moves the attempt from `open` to
  `finished` with a compare-and-set UPDATE, so an answer is either graded or refused — never
  silently lost — and two simultaneous submits grade once;
- a passed attempt completes the activity through `courses.operations.complete_activity()`;
  regrading or hand-marking an essay can complete it later, never undo it.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import nh3
from flask_babel import gettext as _
from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from app.accounts.models import User, utcnow
from app.courses.models import Activity, Course
from app.courses.operations import complete_activity, get_enrolment
from app.errors import BadInput, Conflict, NotFound, RuleViolation
from app.extensions import db
from app.quizzes import grading, qtypes
from app.quizzes.gift import parse_gift
from app.quizzes.models import (
    BEHAVIOURS,
    REVIEW_OPTIONS,
    Attempt,
    AttemptAnswer,
    AttemptFile,
    Question,
    QuestionCategory,
    Quiz,
    QuizSlot,
)
from app.quizzes.moodle_xml import parse_moodle_xml
from app.quizzes.parsed import ParsedQuestion, ParseResult, clean_category_path
from app.quizzes.qtypes.base import exact, reveal
from app.signals import attempt_graded, grade_changed

DEFAULT_CATEGORY = "Bawaan"


def sanitize(html: str | None) -> str:
    return nh3.clean(html or "").strip()


def _naive_utc(dt: datetime | None) -> datetime | None:
    """Times are stored naive UTC (utcnow()); accept aware datetimes from callers."""
    if dt is not None and dt.tzinfo is not None:
        from datetime import UTC

        return dt.astimezone(UTC).replace(tzinfo=None)
    return dt


# --- the bank ------------------------------------------------------------------------------------

def ensure_category(course: Course, path: str | None) -> QuestionCategory:
    """The category at `path` (`a/b`), creating it and its parents when missing."""
    path = clean_category_path(path or "") or DEFAULT_CATEGORY
    parent = None
    sofar: list[str] = []
    for part in path.split("/"):
        sofar.append(part)
        full = "/".join(sofar)
        cat = db.session.scalar(select(QuestionCategory).where(QuestionCategory.course_id == course.id,
                                                               QuestionCategory.path == full))
        if cat is None:
            cat = QuestionCategory(course_id=course.id, parent_id=parent.id if parent else None, name=part[:250],
                                   path=full[:1000])
            db.session.add(cat)
            db.session.flush()
        parent = cat
    return parent


def category_ids_under(category: QuestionCategory) -> list[int]:
    """The category and its subcategories."""
    rows = db.session.execute(select(QuestionCategory.id, QuestionCategory.path).where(
        QuestionCategory.course_id == category.course_id)).all()
    return [cid for cid, path in rows if path == category.path or path.startswith(category.path + "/")]


def rename_category(category: QuestionCategory, new_path: str) -> QuestionCategory:
    new_path = clean_category_path(new_path)
    if not new_path:
        raise RuleViolation(_("Nama kategori wajib diisi."), code="invalid_category")
    if db.session.scalar(select(QuestionCategory.id).where(QuestionCategory.course_id == category.course_id,
                                                           QuestionCategory.path == new_path)) is not None:
        raise Conflict(_("Kategori %(p)s sudah ada.", p=new_path), code="category_exists")
    old = category.path
    for cat in db.session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == category.course_id)):
        if cat.path == old or cat.path.startswith(old + "/"):
            cat.path = new_path + cat.path[len(old):]
            cat.name = cat.path.rsplit("/", 1)[-1]
    parent_path = new_path.rsplit("/", 1)[0] if "/" in new_path else None
    category.parent_id = ensure_category(category.course, parent_path).id if parent_path else None
    db.session.flush()
    return category


def delete_category(category: QuestionCategory) -> None:
    ids = category_ids_under(category)
    used = db.session.scalar(select(func.count()).select_from(QuizSlot).join(Question, QuizSlot.question_id == Question.id,
                                                                             isouter=True).where(
        (QuizSlot.category_id.in_(ids)) | (Question.category_id.in_(ids))))
    if used:
        raise Conflict(_("Kategori ini (atau soalnya) dipakai kuis; lepaskan dari kuis dahulu."), code="category_in_use")
    answered = db.session.scalar(select(AttemptAnswer.id).join(Question, Question.id == AttemptAnswer.question_id)
                                 .where(Question.category_id.in_(ids)).limit(1))
    if answered is not None:
        raise Conflict(_("Soal di kategori ini sudah dijawab peserta; kategori tidak bisa dihapus."),
                       code="category_in_use")
    db.session.delete(category)
    db.session.flush()


def save_question(course: Course, *, qtype: str, name: str, text: str, data: dict, category: str | None = None,
                  general_feedback: str = "", default_mark: float = 1.0, question: Question | None = None,
                  idnumber: str | None = None, tags: list[str] | None = None, flush: bool = True,
                  categories: dict[str, QuestionCategory] | None = None) -> Question:
    """Create (or, given `question`, update) a question after checking it with its type.
    An import passes `flush=False` and a `categories` cache: its questions are written together,
    a step at a time, rather than one round trip (and one category lookup) each."""
    if not qtypes.known(qtype):
        raise RuleViolation(_("Jenis soal tidak dikenal."), code="invalid_question")
    kind = qtypes.get(qtype)
    if "_text" in data:  # a type that rewrote its text (cloze: fields → {#n})
        data = dict(data)
        text = data.pop("_text")
    data, problems = kind.with_text(text or "", data)
    problems = problems + kind.validate(data)
    if not sanitize(text):
        problems.insert(0, _("Teks soal wajib diisi."))
    default_mark = kind.default_mark(default_mark) if default_mark is not None else None
    if kind.graded and (default_mark is None or default_mark <= 0):
        problems.append(_("Nilai soal harus lebih dari 0."))
    idnumber = (idnumber or "").strip()[:100] or None
    if idnumber and db.session.scalar(select(Question.id).where(
            Question.course_id == course.id, Question.idnumber == idnumber,
            Question.id != (question.id if question is not None and question.id else -1))) is not None:
        # Moodle keeps an ID number unique in its bank context; so does a course's bank here
        problems.append(_("ID number %(i)s sudah dipakai soal lain di bank soal ini.", i=idnumber))
    if problems:
        raise RuleViolation(" ".join(problems), code="invalid_question",
                            details=[{"field": "question", "message": p} for p in problems])
    key = clean_category_path(category or "") or DEFAULT_CATEGORY
    cat = categories.get(key) if categories is not None else None
    if cat is None:
        cat = ensure_category(course, category)
        if categories is not None:
            categories[key] = cat
    if question is None:
        question = Question(course_id=course.id, type=qtype)
        db.session.add(question)
    elif question.type != qtype:
        raise RuleViolation(_("Jenis soal tidak bisa diubah."), code="invalid_question")
    question.category_id = cat.id
    import re

    question.name = ((name or "").strip() or re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()[:80])[:250]
    question.text = sanitize(text)
    question.general_feedback = sanitize(general_feedback)
    question.default_mark = float(default_mark or 0.0)
    cleaned = kind.clean(data, sanitize)
    if cleaned.get("hints"):  # shown during interactive attempts: sanitised like every HTML part
        cleaned["hints"] = [{**h, "text": sanitize(h.get("text"))} for h in cleaned["hints"]]
    question.data = cleaned
    question.idnumber = idnumber
    if tags is not None:
        question.tags = sorted({t.strip()[:100] for t in tags if t and t.strip()})
    if flush:
        db.session.flush()
    return question


def delete_question(question: Question) -> None:
    if db.session.scalar(select(AttemptAnswer.id).where(AttemptAnswer.question_id == question.id).limit(1)):
        raise Conflict(_("Soal ini sudah dijawab peserta; perbaiki saja lalu nilai ulang."), code="question_in_use")
    db.session.delete(question)
    db.session.flush()


def detect_format(content_type: str | None, filename: str | None, data: bytes) -> str:
    """`gift` or `xml`, from the content type, the file name, or the content itself."""
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in ("application/xml", "text/xml"):
        return "xml"
    if ct == "text/plain":
        return "gift"
    name = (filename or "").lower()
    if name.endswith(".xml"):
        return "xml"
    if name.endswith((".gift", ".txt")):
        return "gift"
    return "xml" if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") else "gift"


def parse_questions(data: bytes | str, fmt: str) -> ParseResult:
    if fmt == "xml":
        return parse_moodle_xml(data)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            from app.quizzes.parsed import ParseProblem

            return ParseResult(problems=[ParseProblem(None, _("Berkas GIFT harus berkodekan UTF-8."))], fatal=True)
    return parse_gift(data)


ON_ERROR = ("stop", "skip")


@dataclass
class ImportReport:
    """What an import did: the saved questions, the category they (first) went to, and, when
    the bad ones were skipped, each with its line (GIFT) or element (XML) and the reason."""

    questions: list[Question]
    category: str
    skipped: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"imported": len(self.questions), "category": self.category, "skipped": self.skipped}


def import_bank(course: Course, data: bytes | str, fmt: str, *, category: str | None = None,
                on_error: str = "stop") -> ImportReport:
    """Import a GIFT or Moodle XML text into the course's bank.

    `on_error="stop"` (Moodle's default "stop on error: yes"): any bad question refuses the whole
    file and nothing is saved. `on_error="skip"`: the good questions are saved and the bad ones
    listed. A file that cannot be read at all is refused either way.
    Questions without a `$CATEGORY`/category element go to `category` (default "Bawaan").
    """
    if on_error not in ON_ERROR:
        raise BadInput(_("Pilihan on_error harus stop atau skip."), code="invalid_on_error",
                       details=[{"field": "on_error", "message": _("stop atau skip")}])
    result = parse_questions(data, fmt)
    what = "GIFT" if fmt == "gift" else "Moodle XML"
    if result.fatal or (result.problems and on_error == "stop"):
        raise RuleViolation(_("Berkas %(f)s ditolak: %(n)d masalah ditemukan, tidak ada soal yang disimpan.",
                              f=what, n=len(result.problems)), code="invalid_questions",
                            details=[p.as_detail() for p in result.problems])
    saved, path, skipped = _save_parsed(course, result.questions, default_category=category,
                                        skip=on_error == "skip")
    skipped = sorted([p.as_detail() for p in result.problems] + skipped, key=lambda d: d.get("line") or 0)
    return ImportReport(saved, path, skipped)


def import_questions(course: Course, data: bytes | str, fmt: str, *, category: str | None = None
                     ) -> tuple[list[Question], str]:
    """All-or-nothing import (the older call): the questions and the category path they went to."""
    report = import_bank(course, data, fmt, category=category)
    return report.questions, report.category


def save_parsed(course: Course, parsed: list[ParsedQuestion], *, default_category: str | None = None
                ) -> tuple[list[Question], str]:
    saved, path, _skipped = _save_parsed(course, parsed, default_category=default_category, skip=False)
    return saved, path


def _save_parsed(course: Course, parsed: list[ParsedQuestion], *, default_category: str | None, skip: bool
                 ) -> tuple[list[Question], str, list[dict]]:
    default = clean_category_path(default_category or "") or DEFAULT_CATEGORY
    saved: list[Question] = []
    skipped: list[dict] = []
    first_path = None
    categories: dict[str, QuestionCategory] = {}
    for pq in parsed:
        path = pq.category or default
        if pq.files:
            _store_files(course, pq)
        try:
            # a question refused by the checks writes nothing (they run before any write)
            saved.append(save_question(course, qtype=pq.type, name=pq.name, text=pq.text, data=pq.data, category=path,
                                       general_feedback=pq.general_feedback, default_mark=pq.default_mark,
                                       idnumber=pq.idnumber, tags=pq.tags, flush=False, categories=categories))
        except RuleViolation as exc:
            if not skip:
                raise RuleViolation(exc.message, code="invalid_questions",
                                    details=[{"line": pq.line, "message": exc.message}]) from None
            skipped.append({"line": pq.line, "message": exc.message})
            continue
        first_path = first_path or path
    db.session.flush()  # the whole batch in one go: ids for the caller
    return saved, clean_category_path(first_path or default), skipped


FILE_URL = "/kursus/{course_id}/bank-soal/berkas/{digest}/{name}"


def file_key(course_id: int, digest: str, name: str) -> str:
    return f"quizzes/{course_id}/files/{digest}/{name}"


def _store_files(course: Course, pq: ParsedQuestion) -> None:
    """Put a question's embedded files in the course's storage (named by their content, so the
    same picture in many questions is stored once) and point its `@@PLUGINFILE@@` links at them."""
    import hashlib
    import json
    import posixpath
    from urllib.parse import quote

    from app.storage import get_storage

    store = get_storage()
    replacements: dict[str, str] = {}
    for name, body in pq.files.items():
        digest = hashlib.sha256(body).hexdigest()[:32]
        base = posixpath.basename(name) or "berkas"
        key = file_key(course.id, digest, base)
        if not store.exists(key):
            store.put_bytes(key, body)
        url = FILE_URL.format(course_id=course.id, digest=digest, name=quote(base))
        for form in {name, quote(name), quote(name, safe="/")}:
            replacements["@@PLUGINFILE@@/" + form] = url

    def swap(html: str) -> str:
        for old, new in sorted(replacements.items(), key=lambda kv: -len(kv[0])):
            html = html.replace(old, new)
        return html

    pq.text, pq.general_feedback = swap(pq.text), swap(pq.general_feedback)
    pq.data = json.loads(swap(json.dumps(pq.data, ensure_ascii=False)))


# --- quizzes ------------------------------------------------------------------------------------

def get_or_create_quiz(activity: Activity) -> Quiz:
    if activity.type != "quiz":
        raise RuleViolation(_("Aktivitas ini bukan kuis."), code="not_a_quiz")
    quiz = db.session.scalar(select(Quiz).where(Quiz.activity_id == activity.id))
    if quiz is None:
        quiz = Quiz(activity_id=activity.id, course_id=activity.course_id)
        db.session.add(quiz)
        db.session.flush()
    return quiz


def update_quiz(quiz: Quiz, *, pass_percent: float | None = None, max_attempts: int | None = None,
                time_limit_minutes: int | None = None, shuffle_questions: bool | None = None,
                shuffle_choices: bool | None = None, questions_per_page: int | None = None,
                open_at: datetime | None = None, close_at: datetime | None = None,
                review_after: str | None = None, clear_dates: bool = False, behaviour: str | None = None) -> Quiz:
    if pass_percent is not None:
        if not 0 <= pass_percent <= 100:
            raise RuleViolation(_("Batas lulus harus antara 0 dan 100 persen."), code="invalid_quiz")
        quiz.pass_percent = float(pass_percent)
    if max_attempts is not None:
        if max_attempts < 0:
            raise RuleViolation(_("Jumlah percobaan tidak boleh negatif (0 = tanpa batas)."), code="invalid_quiz")
        quiz.max_attempts = max_attempts
    if time_limit_minutes is not None:
        if time_limit_minutes < 0:
            raise RuleViolation(_("Batas waktu tidak boleh negatif (0 = tanpa batas)."), code="invalid_quiz")
        quiz.time_limit_minutes = time_limit_minutes
    if shuffle_questions is not None:
        quiz.shuffle_questions = shuffle_questions
    if shuffle_choices is not None:
        quiz.shuffle_choices = shuffle_choices
    if questions_per_page is not None:
        quiz.questions_per_page = max(0, questions_per_page)
    if clear_dates or open_at is not None:
        quiz.open_at = _naive_utc(open_at)
    if clear_dates or close_at is not None:
        quiz.close_at = _naive_utc(close_at)
    if quiz.open_at and quiz.close_at and quiz.close_at <= quiz.open_at:
        raise RuleViolation(_("Waktu tutup harus setelah waktu buka."), code="invalid_quiz")
    if review_after is not None:
        if review_after not in REVIEW_OPTIONS:
            raise RuleViolation(_("Pilihan tinjauan tidak dikenal."), code="invalid_quiz")
        quiz.review_after = review_after
    if behaviour is not None:
        if behaviour not in BEHAVIOURS:
            raise RuleViolation(_("Perilaku soal harus deferredfeedback atau interactive."), code="invalid_quiz")
        quiz.behaviour = behaviour
    db.session.flush()
    return quiz


def set_slots(quiz: Quiz, *, question_ids: list[int], random_from: list[tuple[int, int]] | None = None) -> Quiz:
    """The quiz's questions: fixed ones in order, then `count` drawn at random per category."""
    quiz.slots.clear()
    db.session.flush()
    pos = 0
    for qid in question_ids:
        q = db.session.get(Question, qid)
        if q is None or q.course_id != quiz.course_id:
            raise RuleViolation(_("Soal %(id)s bukan milik bank soal kursus ini.", id=qid), code="invalid_quiz")
        quiz.slots.append(QuizSlot(position=pos, question_id=q.id))
        pos += 1
    for cat_id, n in random_from or []:
        cat = db.session.get(QuestionCategory, cat_id)
        if cat is None or cat.course_id != quiz.course_id:
            raise RuleViolation(_("Kategori bukan milik bank soal kursus ini."), code="invalid_quiz")
        if n < 1:
            raise RuleViolation(_("Jumlah soal acak minimal 1."), code="invalid_quiz")
        available = db.session.scalar(select(func.count()).select_from(Question).where(
            Question.category_id.in_(category_ids_under(cat))))
        if available < n:
            raise RuleViolation(_("Kategori %(c)s hanya punya %(a)d soal, kurang dari %(n)d.", c=cat.path, a=available,
                                  n=n), code="invalid_quiz")
        quiz.slots.append(QuizSlot(position=pos, category_id=cat.id, count=n))
        pos += 1
    db.session.flush()
    return quiz


# --- attempts -----------------------------------------------------------------------------------

def _draw(quiz: Quiz, rng: random.Random) -> list[Question]:
    chosen: list[Question] = []
    used: set[int] = set()
    for slot in quiz.slots:
        if slot.question_id is not None:
            if slot.question_id not in used and slot.question is not None:
                chosen.append(slot.question)
                used.add(slot.question_id)
        elif slot.category is not None:
            pool = [q for q in db.session.scalars(select(Question).where(
                Question.category_id.in_(category_ids_under(slot.category))).order_by(Question.id)) if q.id not in used]
            for q in rng.sample(pool, min(slot.count, len(pool))):
                chosen.append(q)
                used.add(q.id)
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    return chosen


def _layout_entry(q: Question, shuffle: bool, rng: random.Random) -> dict:
    kind = qtypes.get(q.type)
    entry: dict = {"q": q.id, "mark": q.default_mark}
    data = q.data
    if kind.draws_from_bank:
        # the attempt's own draw from the question's category (and, if asked, its subcategories)
        ids = category_ids_under(q.category) if q.data.get("subcats", True) else [q.category_id]
        pool = [(x.id, x.text, x.data) for x in db.session.scalars(select(Question).where(
            Question.category_id.in_(ids), Question.type == kind.draws_from_bank).order_by(Question.id))]
        try:
            entry.update(kind.draw(q.data, pool, rng))
        except ValueError as exc:
            raise RuleViolation(_("Soal %(n)s tidak bisa disiapkan: %(m)s.", n=q.name, m=str(exc)),
                                code="quiz_not_ready") from None
        data = kind.attempt_data(q.data, entry)
    entry.update(kind.layout(data, shuffle, rng))
    if kind.hide_ids:
        entry["ids"] = kind.tokens(data, entry)
    return entry


def attempts_of(quiz: Quiz, user: User) -> list[Attempt]:
    return list(db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)
                                   .order_by(Attempt.number)))


def start_attempt(quiz: Quiz, user: User, *, now: datetime | None = None) -> Attempt:
    """Resume the learner's open attempt, or start a new one when the quiz allows it."""
    now = now or utcnow()
    if get_enrolment(quiz.course, user) is None:
        raise RuleViolation(_("Anda belum terdaftar di kursus ini."), code="not_enrolled")
    if not quiz.activity.visible:
        raise NotFound(_("Kuis tidak ditemukan."))
    for att in attempts_of(quiz, user):
        if att.state == "open":
            if att.deadline is not None and att.deadline <= now:
                finish_attempt(att, now=now)  # time ran out while away: grade what was saved
                continue
            return att
    if quiz.open_at and now < quiz.open_at:
        raise RuleViolation(_("Kuis belum dibuka."), code="quiz_not_open")
    if quiz.close_at and now >= quiz.close_at:
        raise RuleViolation(_("Kuis sudah ditutup."), code="quiz_closed")
    previous = db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user.id))
    if quiz.max_attempts and previous >= quiz.max_attempts:
        raise RuleViolation(_("Kesempatan mengerjakan kuis ini sudah habis (%(n)d kali).", n=quiz.max_attempts),
                            code="no_attempts_left")
    rng = random.Random()
    questions = _draw(quiz, rng)
    if not questions:
        raise RuleViolation(_("Kuis ini belum punya soal."), code="quiz_empty")
    layout = [_layout_entry(q, quiz.shuffle_choices, rng) for q in questions]
    deadline = now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None
    if quiz.close_at:
        deadline = min(deadline, quiz.close_at) if deadline else quiz.close_at
    attempt = Attempt(quiz_id=quiz.id, user_id=user.id, number=previous + 1, state="open", started_at=now,
                      deadline=deadline, layout=layout,
                      max_score=float(sum((exact(e["mark"]) for e in layout), Decimal(0))))
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # A simultaneous start (double click, two tabs) created it first: resume that one.
        existing = db.session.scalar(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id,
                                                           Attempt.state == "open"))
        if existing is None:
            raise Conflict(_("Percobaan sedang dibuat; coba lagi."), code="attempt_race") from None
        return existing
    return attempt


def get_own_attempt(attempt_id: int, user: User, *, lock: bool = False, fresh: bool = False) -> Attempt:
    """The user's own attempt; someone else's is NotFound (its existence is not revealed).
    `fresh`: read again even if this session holds it (after the attempt's row was locked)."""
    from sqlalchemy.orm import joinedload

    # the quiz and its activity come along: every caller needs them (one query, not three)
    stmt = select(Attempt).where(Attempt.id == attempt_id).options(joinedload(Attempt.quiz).joinedload(Quiz.activity))
    if lock:
        stmt = stmt.with_for_update()
    if lock or fresh:
        stmt = stmt.execution_options(populate_existing=True)
    attempt = db.session.scalar(stmt)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(_("Percobaan kuis tidak ditemukan."))
    return attempt


class SavedAnswer(NamedTuple):
    """What an autosave stored: the answer's row id, the response as stored and when."""

    id: int
    question_id: int
    response: Any
    saved_at: datetime


def save_answer(attempt_id: int, question_id: int, response, user: User, *, now: datetime | None = None
                ) -> SavedAnswer:
    """Store the learner's answer to one question of their open attempt, as acknowledged.

    The hottest write of a quiz (every change of every learner's answer), so two statements: the
    attempt's lock returning its layout and the question's type and data, then one INSERT … ON
    CONFLICT DO UPDATE of the answer that leaves an answer already checked (interactive
    behaviour) as it is. A replay of the same request stores the same value again."""
    now = now or utcnow()
    row = _lock_open_attempt(attempt_id, user, now, question_id)
    entry = next((e for e in row.layout if e["q"] == question_id), None)
    if entry is None or row.qtype is None:
        raise NotFound(_("Soal ini tidak ada di percobaan Anda."))
    kind = qtypes.get(row.qtype)
    try:
        if entry.get("ids") and response is not None:
            # the learner answers with the ids this attempt showed; stored in the question's own
            response = reveal(kind, response, entry["ids"])
        value = kind.check_response(kind.attempt_data(row.qdata or {}, entry), response)
    except grading.BadResponse as exc:
        raise BadInput(_("Jawaban tidak valid: %(m)s.", m=str(exc)), code="invalid_response",
                       details=[{"field": "response", "message": str(exc)}]) from None
    db.session.flush()  # an answer this session still holds unwritten goes first
    answer_id = db.session.execute(_upsert_answer_stmt(db.session.get_bind().dialect.name), {
        "attempt_id": row.id, "question_id": question_id, "response": value, "saved_at": now,
        "max_mark": entry["mark"]}).scalar()
    if answer_id is None:
        # interactive: a checked answer stays as checked until "Coba lagi" (or for good once done)
        checked = db.session.scalar(select(AttemptAnswer.interaction).where(
            AttemptAnswer.attempt_id == row.id, AttemptAnswer.question_id == question_id)) or {}
        raise RuleViolation(_("Jawaban ini sudah diperiksa; tekan \u201cCoba lagi\u201d untuk mengubahnya.")
                            if checked.get("state") == "wrong" else
                            _("Soal ini sudah selesai diperiksa; jawabannya tidak bisa diubah."), code="answer_checked")
    held = db.session.identity_map.get(identity_key(AttemptAnswer, answer_id))
    if held is not None:
        db.session.expire(held)  # this session's copy is behind the row now: read it again when used
    return SavedAnswer(answer_id, question_id, value, now)


@functools.cache
def _upsert_answer_stmt(dialect: str):
    """INSERT … ON CONFLICT DO UPDATE of an answer (PostgreSQL and SQLite both have it), built once;
    an answer already checked (interactive behaviour) matches no row and is left as it is."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    a = AttemptAnswer.__table__
    state = func.coalesce(a.c.interaction["state"].as_string(), "")
    stmt = insert(a)  # the values come as parameters: attempt_id, question_id, response, saved_at, max_mark
    return stmt.on_conflict_do_update(index_elements=[a.c.attempt_id, a.c.question_id],
                                      set_={"response": stmt.excluded.response, "saved_at": stmt.excluded.saved_at},
                                      where=state.not_in(["wrong", "done"])).returning(a.c.id)


def submit_attempt(attempt_id: int, user: User, *, now: datetime | None = None) -> Attempt:
    """Submit and grade. A second (or simultaneous) submit returns the first one's result.
    The learner's own submit waits for the attachments an essay requires (Moodle refuses it too);
    a deadline closing the attempt does not (what was saved is graded)."""
    attempt = get_own_attempt(attempt_id, user)
    if attempt.state == "open":
        missing = missing_attachments(attempt)
        if missing:
            raise RuleViolation(" ".join(m["message"] for m in missing), code="attachments_required",
                                details=[{"field": f"question.{m['question_id']}", "message": m["message"]}
                                         for m in missing])
    return finish_attempt(db.session.get(Attempt, attempt_id), now=now)


# --- files attached to essays ---------------------------------------------------------------------

DEFAULT_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
ATTACHMENT_HARD_CAP = 50  # "unlimited" (-1) still stops somewhere


def attachment_site_max() -> int:
    """The site's limit per attached file (an essay's own `max_bytes` may only lower it)."""
    from flask import current_app

    cfg = current_app.config
    limit = int(cfg.get("LENTERA_QUIZ_ATTACHMENT_MAX_BYTES") or DEFAULT_ATTACHMENT_MAX_BYTES)
    return min(limit, int(cfg.get("MAX_CONTENT_LENGTH") or limit))


def _clean_filename(filename: str) -> str:
    import re
    import unicodedata

    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = re.sub(r'["<>|:*?]+', "-", base).strip(" .")
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:190] + dot + ext[:9]) if dot else base[:200]
    return base or "berkas"


@functools.cache
def _lock_stmt(with_question: bool):
    """UPDATE … RETURNING that takes an open attempt's write lock (built once per process)."""
    t, q = Attempt.__table__, Question.__table__
    also = []
    if with_question:  # read under the lock, in the same round trip
        also = [select(q.c.type).where(q.c.id == bindparam("b_question")).scalar_subquery().label("qtype"),
                select(q.c.data).where(q.c.id == bindparam("b_question")).scalar_subquery().label("qdata")]
    return (update(t).where(t.c.id == bindparam("b_attempt"), t.c.user_id == bindparam("b_user"),
                            t.c.state == "open")
            .values(state="open").returning(t.c.id, t.c.deadline, t.c.layout, *also))


def _lock_open_attempt(attempt_id: int, user: User, now: datetime, question_id: int | None = None) -> Row:
    """Take the write lock of the learner's own attempt, still open and in time, in one statement
    that also returns its deadline and layout (and, given `question_id`, that question's type and
    data, read under the lock). Every change to an attempt's answers and files goes through here.

    The lock is an UPDATE of the row that matches only while the attempt is open: PostgreSQL locks
    the row, SQLite the database. A submit running at the same time either finished before (no
    row matches → 409) or waits until this change is committed and grades it."""
    params = {"b_attempt": attempt_id, "b_user": user.id}
    if question_id is not None:
        params["b_question"] = question_id
    row = db.session.execute(_lock_stmt(question_id is not None), params).first()
    if row is None:
        # Not changed, and why (no hurry here): someone else's attempt is not revealed, else closed.
        get_own_attempt(attempt_id, user)
        raise Conflict(_("Percobaan ini sudah dikumpulkan; jawaban tidak bisa diubah."), code="attempt_closed")
    if row.deadline is not None and now > row.deadline:
        raise Conflict(_("Waktu mengerjakan sudah habis; jawaban tidak disimpan."), code="deadline_passed")
    return row


def _open_attempt_for_change(attempt_id: int, user: User, now: datetime) -> Attempt:
    """The learner's own attempt, write-locked and still open and in time, as an object (for the
    changes that need its quiz: files, checks); the answer's autosave uses the lock alone."""
    _lock_open_attempt(attempt_id, user, now)
    return get_own_attempt(attempt_id, user, fresh=True)


def attach_file(attempt_id: int, question_id: int, filename: str, stream, user: User, *,
                now: datetime | None = None) -> AttemptFile:
    """Attach an uploaded file to an essay of the learner's open attempt. Every check (the
    essay's count, types and size, Moodle's attachments / filetypeslist / maxbytes) comes before
    anything is stored; a refusal names the file."""
    import uuid

    from app.quizzes.qtypes.essay import check_attachment
    from app.storage import get_storage

    now = now or utcnow()
    attempt = _open_attempt_for_change(attempt_id, user, now)
    entry = next((e for e in attempt.layout if e["q"] == question_id), None)
    question = db.session.get(Question, question_id) if entry else None
    if question is None:
        raise NotFound(_("Soal ini tidak ada di percobaan Anda."))
    name = _clean_filename(filename)
    if question.type != "essay" or not int(question.data.get("attachments") or 0):
        raise RuleViolation(_("Soal ini tidak menerima lampiran."), code="attachments_not_allowed")
    site_max = attachment_site_max()
    # read one byte past the limit: enough to know it is too large without holding all of it
    data = stream.read(site_max + 1) if hasattr(stream, "read") else bytes(stream)
    count = db.session.scalar(select(func.count()).select_from(AttemptFile).where(
        AttemptFile.attempt_id == attempt.id, AttemptFile.question_id == question_id))
    if count >= ATTACHMENT_HARD_CAP:
        raise RuleViolation(_("Berkas %(f)s ditolak: paling banyak %(n)d lampiran.", f=name, n=ATTACHMENT_HARD_CAP),
                            code="too_many_files")
    problem = check_attachment(question.data, name, len(data), count, site_max)
    if problem:
        raise RuleViolation(problem, code="attachment_refused", details=[{"field": "file", "message": problem}])
    # the stored key is ours (no part of the learner's name): only the row keeps the name
    key = f"quizzes/{attempt.quiz.course_id}/attempts/{attempt.id}/{uuid.uuid4().hex}"
    get_storage().put_bytes(key, data, content_type="application/octet-stream")
    f = AttemptFile(attempt_id=attempt.id, question_id=question_id, name=name, size=len(data), key=key,
                    uploaded_at=now)
    db.session.add(f)
    db.session.flush()
    return f


def remove_file(attempt_id: int, file_id: int, user: User, *, now: datetime | None = None) -> list[str]:
    """Take an attached file back out of the learner's open attempt. Returns the stored keys to
    delete with `purge_files` once the removal is committed (a rolled-back removal keeps both)."""
    attempt = _open_attempt_for_change(attempt_id, user, now or utcnow())
    f = db.session.get(AttemptFile, file_id)
    if f is None or f.attempt_id != attempt.id:
        raise NotFound(_("Lampiran tidak ditemukan."))
    db.session.delete(f)
    db.session.flush()
    return [f.key]


def purge_files(keys: list[str]) -> None:
    """Delete attached files' bytes whose rows are gone (called after the commit)."""
    from app.storage import get_storage

    store = get_storage()
    for key in keys:
        store.delete(key)


def missing_attachments(attempt: Attempt) -> list[dict]:
    """The essays of the attempt that still lack the attachments they require, each with an
    Indonesian sentence naming the question by its number in the attempt."""
    from app.quizzes.queries import attempt_file_counts

    ids = [e["q"] for e in attempt.layout]
    essays = {qid: data for qid, data in db.session.execute(select(Question.id, Question.data).where(
        Question.id.in_(ids), Question.type == "essay"))}
    needing = {qid: int(d.get("attachments_required") or 0) for qid, d in essays.items()
               if int(d.get("attachments_required") or 0) > 0 and int(d.get("attachments") or 0) != 0}
    if not needing:
        return []
    counts = attempt_file_counts(attempt.id)
    numbers = _question_numbers(attempt)
    out = []
    for qid, need in needing.items():
        have = counts.get(qid, 0)
        if have < need:
            out.append({"question_id": qid, "message": _(
                "Soal %(n)d: lampirkan sedikitnya %(k)d berkas (baru %(h)d).", n=numbers.get(qid, 0), k=need, h=have)})
    return sorted(out, key=lambda m: numbers.get(m["question_id"], 0))


def _question_numbers(attempt: Attempt) -> dict[int, int]:
    """Each question's number as the learner sees it (descriptions are not numbered)."""
    graded = {qid: qtypes.get(t).graded for qid, t in db.session.execute(select(Question.id, Question.type).where(
        Question.id.in_([e["q"] for e in attempt.layout])))}
    out, n = {}, 0
    for e in attempt.layout:
        if e["q"] in graded:
            n += graded[e["q"]]
            out[e["q"]] = n
    return out


def delete_attempt(attempt: Attempt) -> list[str]:
    """Delete an attempt (a manager's "Hapus percobaan", as in Moodle's results page) with its
    answers and attached files. Returns the files' stored keys, for `purge_files` once the
    deletion is committed. A completion it gave stays: completions are never taken back (the
    ledger keeps what was credited)."""
    keys = list(db.session.scalars(select(AttemptFile.key).where(AttemptFile.attempt_id == attempt.id)))
    user, quiz = attempt.user, attempt.quiz
    db.session.delete(attempt)
    db.session.flush()
    grade_changed.send(user, course=quiz.course, activity=quiz.activity)  # the best attempt may have changed
    return keys


def finish_attempt(attempt: Attempt, *, now: datetime | None = None) -> Attempt:
    now = now or utcnow()
    res = db.session.execute(update(Attempt).where(Attempt.id == attempt.id, Attempt.state == "open")
                             .values(state="finished", finished_at=now)
                             .execution_options(synchronize_session=False))
    db.session.refresh(attempt)
    if res.rowcount == 1:
        _grade(attempt)
        attempt_graded.send(attempt.user, attempt=attempt)
    return attempt


def _grade(attempt: Attempt) -> None:
    answers = {a.question_id: a for a in db.session.scalars(select(AttemptAnswer).where(
        AttemptAnswer.attempt_id == attempt.id))}
    questions = {q.id: q for q in db.session.scalars(select(Question).where(
        Question.id.in_([e["q"] for e in attempt.layout])))}
    for entry in attempt.layout:
        q = questions.get(entry["q"])
        ans = answers.get(entry["q"])
        if ans is None:
            ans = AttemptAnswer(attempt_id=attempt.id, question_id=entry["q"], response=None, max_mark=entry["mark"])
            db.session.add(ans)
            answers[entry["q"]] = ans
        if q is None:
            ans.fraction, ans.mark = 0.0, 0.0
            continue
        if ans.graded_by_id is not None:
            continue  # marked by a person: a regrade never overrides it
        data = qtypes.get(q.type).attempt_data(q.data, entry)
        try:
            outcome = grading.grade(q.type, data, grading.check_response(q.type, data, ans.response))
        except grading.BadResponse:
            outcome = grading.Outcome(0)  # the question changed so that the old response no longer fits
        if not qtypes.get(q.type).graded:
            ans.fraction, ans.mark = 0.0, 0.0  # nothing to mark (a description): not waiting for anyone
            continue
        if outcome.exact is not None and attempt.quiz.behaviour == "interactive":
            outcome = grading.Outcome(penalised(q, outcome.exact, ans.interaction), outcome.feedback)
        ans.fraction = outcome.fraction
        # exact: the fraction is a Decimal, the mark multiplied as decimals, rounded once
        ans.mark = None if outcome.exact is None else float(
            (outcome.exact * exact(entry["mark"])).quantize(Decimal("0.000001")))
    _total(attempt, answers.values())


# --- interactive with multiple tries (Moodle's "interactive" behaviour) ------------------------------

def penalty_of(question: Question) -> Decimal:
    raw = (question.data or {}).get("penalty")
    return exact(raw if raw is not None else qtypes.get(question.type).default_penalty)


def tries_of(question: Question) -> int:
    """Tries = hints + 1, as in Moodle."""
    return len((question.data or {}).get("hints") or []) + 1


def penalised(question: Question, fraction: Decimal, interaction: dict | None) -> Decimal:
    """The fraction less the question's penalty for each earlier wrong try (never below 0): a try
    that was checked and is waiting or final counts as the graded one, so only those before it
    cost; an answer changed after "Coba lagi" and not checked again pays for every try made."""
    st = interaction or {}
    tries = int(st.get("tries") or 0)
    earlier = tries - 1 if st.get("state") in ("wrong", "done") else tries
    return max(exact(0), fraction - penalty_of(question) * max(0, earlier))


def _interactive_answer(attempt_id: int, question_id: int, user: User, now: datetime | None
                        ) -> tuple[Attempt, dict, Question, AttemptAnswer]:
    attempt = _open_attempt_for_change(attempt_id, user, now or utcnow())
    if attempt.quiz.behaviour != "interactive":
        raise RuleViolation(_("Kuis ini memberi umpan balik setelah dikumpulkan; soal tidak diperiksa satu per satu."),
                            code="not_interactive")
    entry = next((e for e in attempt.layout if e["q"] == question_id), None)
    question = db.session.get(Question, question_id) if entry else None
    if question is None:
        raise NotFound(_("Soal ini tidak ada di percobaan Anda."))
    kind = qtypes.get(question.type)
    if not kind.graded or kind.manual:
        raise RuleViolation(_("Soal ini dinilai oleh pengajar; tidak bisa diperiksa sekarang."), code="not_checkable")
    answer = db.session.scalar(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id,
                                                           AttemptAnswer.question_id == question_id))
    if answer is None:
        answer = AttemptAnswer(attempt_id=attempt.id, question_id=question_id, max_mark=entry["mark"])
        db.session.add(answer)
    return attempt, entry, question, answer


def check_answer(attempt_id: int, question_id: int, user: User, *, now: datetime | None = None) -> AttemptAnswer:
    """"Periksa": grade the saved response now. Right, or the last try: the question is done,
    with its mark less the penalty per earlier try. Wrong with tries left: its feedback and the
    next hint, then "Coba lagi". An empty answer uses no try (as Moodle)."""
    attempt, entry, question, answer = _interactive_answer(attempt_id, question_id, user, now)
    st = dict(answer.interaction or {})
    if st.get("state") == "done":
        raise RuleViolation(_("Soal ini sudah selesai diperiksa."), code="answer_checked")
    if st.get("state") == "wrong":
        raise RuleViolation(_("Tekan \u201cCoba lagi\u201d dulu, ubah jawaban, lalu periksa lagi."), code="answer_checked")
    if answer.response in (None, "", [], {}):
        raise RuleViolation(_("Jawab soal ini dulu sebelum memeriksanya."), code="answer_empty")
    kind = qtypes.get(question.type)
    data = kind.attempt_data(question.data, entry)
    try:
        outcome = grading.grade(question.type, data, grading.check_response(question.type, data, answer.response))
    except grading.BadResponse:
        outcome = grading.Outcome(0)
    tries = int(st.get("tries") or 0) + 1
    hints = (question.data or {}).get("hints") or []
    done = outcome.exact >= 1 or tries >= tries_of(question)
    st.update(tries=tries, state="done" if done else "wrong", fraction=str(outcome.exact), feedback=outcome.feedback,
              hint=None, num_right=None)
    st["mark"] = float((penalised(question, outcome.exact, st) * exact(entry["mark"])).quantize(Decimal("0.000001")))
    if not done:
        hint = hints[tries - 1]
        st["hint"] = tries
        if hint.get("show_num_correct"):
            st["num_right"] = kind.parts_right(data, answer.response)
    answer.interaction = st
    answer.saved_at = now or utcnow()
    db.session.flush()
    return answer


def retry_answer(attempt_id: int, question_id: int, user: User, *, now: datetime | None = None) -> AttemptAnswer:
    """"Coba lagi": the answer can be changed again; with the hint's "clear incorrect
    responses" its wrong parts are taken out first."""
    attempt, entry, question, answer = _interactive_answer(attempt_id, question_id, user, now)
    st = dict(answer.interaction or {})
    if st.get("state") != "wrong":
        raise RuleViolation(_("Tidak ada percobaan yang menunggu untuk diulang."), code="nothing_to_retry")
    hints = (question.data or {}).get("hints") or []
    hint = hints[st["hint"] - 1] if st.get("hint") and st["hint"] <= len(hints) else {}
    if hint.get("clear_wrong") and answer.response is not None:
        kind = qtypes.get(question.type)
        answer.response = kind.clear_wrong(kind.attempt_data(question.data, entry), answer.response)
    st.update(state=None, feedback="", hint=None, num_right=None)
    answer.interaction = st
    db.session.flush()
    return answer


def _total(attempt: Attempt, answers) -> None:
    answers = list(answers)
    attempt.score = float(sum((exact(a.mark or 0) for a in answers), Decimal(0)).quantize(Decimal("0.000001")))
    attempt.needs_grading = any(a.fraction is None for a in answers)
    percent = attempt.score / attempt.max_score * 100 if attempt.max_score else 0.0
    was_passed = bool(attempt.passed)
    attempt.passed = round(percent, 6) >= attempt.quiz.pass_percent
    db.session.flush()
    if attempt.passed and not was_passed:
        try:
            complete_activity(attempt.user, attempt.quiz.activity, source="quiz", at=attempt.finished_at)
        except RuleViolation:
            pass  # no longer enrolled: the attempt keeps its result, there is no course to complete
    if attempt.state == "finished":
        # The grade book (and its "course grade ≥ pass mark" rule) hears of every new or changed score.
        grade_changed.send(attempt.user, course=attempt.quiz.course, activity=attempt.quiz.activity)


def close_overdue_attempt(attempt: Attempt, now: datetime | None = None) -> bool:
    """Close and grade one open attempt whose time has run out, with the answers saved so far (its
    page was opened after the deadline, before the periodic `close_overdue` came by). Returns
    whether it was overdue; an attempt still in time, or no longer open, is left as it is."""
    now = now or utcnow()
    if attempt.state != "open" or attempt.deadline is None or attempt.deadline > now:
        return False
    finish_attempt(attempt, now=now)
    return True


def close_overdue(*, now: datetime | None = None, limit: int = 500) -> int:
    """Close and grade open attempts whose deadline has passed; returns how many were closed."""
    now = now or utcnow()
    ids = list(db.session.scalars(select(Attempt.id).where(Attempt.state == "open", Attempt.deadline.is_not(None),
                                                           Attempt.deadline < now).limit(limit)))
    closed = 0
    for attempt_id in ids:
        attempt = db.session.get(Attempt, attempt_id)
        before = attempt.state
        finish_attempt(attempt, now=attempt.deadline)
        closed += before == "open"
        db.session.commit()
    return closed


def grade_answer(answer: AttemptAnswer, mark: float, feedback: str, by: User) -> Attempt:
    """A person's mark for one answer (essays; also overriding any automatic mark)."""
    attempt = answer.attempt
    if attempt.state != "finished":
        raise Conflict(_("Percobaan belum dikumpulkan."), code="attempt_open")
    if mark is None or not 0 <= mark <= answer.max_mark:
        raise RuleViolation(_("Nilai harus antara 0 dan %(m)s.", m=f"{answer.max_mark:g}"), code="invalid_mark")
    answer.mark = round(float(mark), 6)
    answer.fraction = answer.mark / answer.max_mark if answer.max_mark else 0.0
    answer.feedback = sanitize(feedback)
    answer.graded_by_id = by.id
    db.session.flush()
    _total(attempt, db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)))
    return attempt


def regrade(quiz: Quiz, *, question: Question | None = None) -> int:
    """Recompute the finished attempts' marks from the questions as they are now (after a fix).
    Completion is given where an attempt now passes, never taken away. Returns attempts regraded."""
    attempts = db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.state == "finished"))
    n = 0
    for attempt in attempts:
        if question is not None and question.id not in [e["q"] for e in attempt.layout]:
            continue
        _grade(attempt)
        n += 1
    return n


def review_allowed(quiz: Quiz, attempt: Attempt, *, now: datetime | None = None) -> bool:
    """Whether the learner may see right answers and feedback for this attempt now."""
    if attempt.state != "finished":
        return False
    if quiz.review_after == "submit":
        return True
    if quiz.review_after == "close":
        now = now or utcnow()
        return quiz.close_at is not None and now >= quiz.close_at
    return False


# --- large imports: a job in short transactions ---------------------------------------------------

IMPORT_JOB = "quizzes.import"
LARGE_IMPORT_BYTES = 512 * 1024  # above this a file is imported by a job, in steps
IMPORT_STEP = 200  # questions saved (and committed) per step: each write transaction stays short


def is_large_import(data: bytes | str) -> bool:
    return len(data) > LARGE_IMPORT_BYTES


def start_import_job(course: Course, data: bytes | str, fmt: str, *, by: User | None, category: str | None = None,
                     on_error: str = "stop"):
    """Keep the file in storage and queue its import; the job's progress is what pages show."""
    import uuid

    from app.jobs.operations import enqueue
    from app.storage import get_storage

    if on_error not in ON_ERROR:
        raise BadInput(_("Pilihan on_error harus stop atau skip."), code="invalid_on_error",
                       details=[{"field": "on_error", "message": _("stop atau skip")}])
    key = f"quizzes/{course.id}/imports/{uuid.uuid4().hex}.{fmt}"
    get_storage().put_bytes(key, data.encode("utf-8") if isinstance(data, str) else data)
    return enqueue(IMPORT_JOB, {"course_id": course.id, "key": key, "fmt": fmt, "category": category,
                                "on_error": on_error, "done": 0, "saved": []},
                   created_by_id=by.id if by is not None else None, max_attempts=2)


def run_import_job(job) -> dict:
    """Parse the whole file (no database lock held), check it, then save it `IMPORT_STEP`
    questions at a time, committing each step, so learners' writes wait a moment at most (on
    SQLite the whole database is locked while a transaction writes). A restarted job goes on
    from the last committed step. With on_error=stop a question refused while saving (a
    duplicate ID number) takes back what this job saved, so the bank is as before."""
    from sqlalchemy.orm.attributes import flag_modified

    from app.jobs.operations import JobFailed, report_progress
    from app.storage import get_storage

    p = dict(job.payload)
    course = db.session.get(Course, p["course_id"])
    if course is None:
        raise JobFailed(_("Kursus sudah dihapus."))
    result = parse_questions(get_storage().read_bytes(p["key"]), p["fmt"])
    what = "GIFT" if p["fmt"] == "gift" else "Moodle XML"
    if result.fatal or (result.problems and p["on_error"] == "stop"):
        job.result = {"imported": 0, "category": "", "skipped": [],
                      "problems": [x.as_detail() for x in result.problems]}
        db.session.commit()
        raise JobFailed(_("Berkas %(f)s ditolak: %(n)d masalah ditemukan, tidak ada soal yang disimpan.",
                          f=what, n=len(result.problems)))
    parsed = result.questions
    skipped = [x.as_detail() for x in result.problems]
    default = clean_category_path(p.get("category") or "") or DEFAULT_CATEGORY
    total = max(1, len(parsed))
    while p["done"] < len(parsed):
        step = parsed[p["done"]:p["done"] + IMPORT_STEP]
        try:
            saved, _path, step_skipped = _save_parsed(course, step, default_category=default,
                                                      skip=p["on_error"] == "skip")
        except RuleViolation as exc:
            db.session.rollback()
            if p["saved"]:  # stop on error: what earlier steps saved goes again
                for q in db.session.scalars(select(Question).where(Question.id.in_(p["saved"]))):
                    db.session.delete(q)
                db.session.commit()
            job.result = {"imported": 0, "category": "", "skipped": [], "problems": exc.details}
            db.session.commit()
            raise JobFailed(exc.message) from None
        p["done"] += len(step)
        p["saved"] = p["saved"] + [q.id for q in saved]
        p["skipped"] = p.get("skipped", []) + step_skipped
        job.payload = p
        flag_modified(job, "payload")
        db.session.commit()  # one short transaction per step
        report_progress(job, p["done"] * 100 // total, _("%(d)d dari %(n)d soal", d=p["done"], n=len(parsed)))
    first = next((q.category for q in parsed if q.category), None) or default
    get_storage().delete(p["key"])
    return {"imported": len(p["saved"]), "category": clean_category_path(first),
            "skipped": sorted(skipped + p.get("skipped", []), key=lambda d: d.get("line") or 0)}
