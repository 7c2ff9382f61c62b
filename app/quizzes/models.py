"""The quiz engine's tables: a question bank per course, quizzes keyed by their activity,
attempts and the answers given in them.

A question's type-specific part (choices, accepted answers, pairs) lives in `Question.data`
(JSON); its shape per type is documented in that type's module in `app/quizzes/qtypes/`, the
only code that interprets it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User, utcnow
from app.courses.models import Activity, Course
from app.extensions import db

ATTEMPT_STATES = ("open", "finished")
REVIEW_OPTIONS = ("submit", "close", "never")
# Moodle's question behaviours offered: feedback after the attempt (the default), or each
# question checked during the attempt with several tries (hints between them, penalty per try)
BEHAVIOURS = ("deferredfeedback", "interactive")


class QuestionCategory(db.Model):
    """A folder of the course's bank. `path` is the full slash-separated name (GIFT `$CATEGORY: a/b`)."""

    __tablename__ = "quiz_categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_categories.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(250))
    path: Mapped[str] = mapped_column(String(1000))
    course: Mapped[Course] = relationship()
    parent: Mapped[QuestionCategory | None] = relationship(remote_side="QuestionCategory.id")
    __table_args__ = (UniqueConstraint("course_id", "path", name="uq_quiz_categories_course_path"),)


class Question(db.Model):
    __tablename__ = "quiz_questions"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("quiz_categories.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(250))
    text: Mapped[str] = mapped_column(Text)  # sanitised HTML
    general_feedback: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    default_mark: Mapped[float] = mapped_column(Float, default=1.0)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    idnumber: Mapped[str | None] = mapped_column(String(100))  # Moodle's "ID number", unique per course bank
    tags: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    category: Mapped[QuestionCategory] = relationship()


class Quiz(db.Model):
    """The settings of a quiz activity. The API's `{id}` of a quiz is this row's id."""

    __tablename__ = "quizzes"
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    pass_percent: Mapped[float] = mapped_column(Float, default=70.0)
    max_attempts: Mapped[int] = mapped_column(default=0)  # 0 = unlimited
    time_limit_minutes: Mapped[int] = mapped_column(default=0)  # 0 = none
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=False)
    shuffle_choices: Mapped[bool] = mapped_column(Boolean, default=True)
    questions_per_page: Mapped[int] = mapped_column(default=0)  # 0 = all on one page
    open_at: Mapped[datetime | None] = mapped_column()
    close_at: Mapped[datetime | None] = mapped_column()
    review_after: Mapped[str] = mapped_column(String(10), default="submit")  # submit | close | never
    behaviour: Mapped[str] = mapped_column(String(20), default="deferredfeedback", server_default="deferredfeedback")
    activity: Mapped[Activity] = relationship()
    course: Mapped[Course] = relationship()
    slots: Mapped[list[QuizSlot]] = relationship(back_populates="quiz", order_by="QuizSlot.position",
                                                 cascade="all, delete-orphan")


class QuizSlot(db.Model):
    """One place in a quiz: a fixed question, or `count` questions drawn at random from a category
    (and its subcategories) when an attempt starts."""

    __tablename__ = "quiz_slots"
    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_categories.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(default=1)
    quiz: Mapped[Quiz] = relationship(back_populates="slots")
    question: Mapped[Question | None] = relationship()
    category: Mapped[QuestionCategory | None] = relationship()


class Attempt(db.Model):
    """One learner's attempt. `layout` fixes, at start, which questions in which order and each
    question's choice order: [{"q": question id, "choices": [...ids], "stems": [...ids]}]."""

    __tablename__ = "quiz_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(10), default="open")  # open | finished
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    layout: Mapped[list] = mapped_column(JSON, default=list)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    needs_grading: Mapped[bool] = mapped_column(Boolean, default=False)  # essays not marked yet
    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(back_populates="attempt", cascade="all, delete-orphan")
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number", name="uq_quiz_attempts_quiz_user_number"),
                      Index("ix_quiz_attempts_state_deadline", "state", "deadline"))


class AttemptAnswer(db.Model):
    __tablename__ = "quiz_attempt_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"), index=True)
    response: Mapped[dict | list | str | float | bool | None] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    fraction: Mapped[float | None] = mapped_column(Float)  # 0..1; None = not graded (essay waiting)
    mark: Mapped[float | None] = mapped_column(Float)
    max_mark: Mapped[float] = mapped_column(Float, default=1.0)
    feedback: Mapped[str] = mapped_column(Text, default="")  # instructor's comment on an essay
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # interactive behaviour: {"tries": n, "state": None | "wrong" (waiting for "Coba lagi") | "done",
    # "fraction": the checked response's fraction (str), "mark", "feedback", "hint": n, "num_right": [r, n]}
    interaction: Mapped[dict | None] = mapped_column(JSON)
    attempt: Mapped[Attempt] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
    __table_args__ = (UniqueConstraint("attempt_id", "question_id", name="uq_quiz_attempt_answers_attempt_question"),)



class AttemptFile(db.Model):
    """A file a learner attached to an essay in an attempt. The bytes live in the course's
    storage under `key`; the row goes with its attempt (and the bytes with it, see
    `operations.delete_attempt`)."""

    __tablename__ = "quiz_attempt_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(default=0)
    key: Mapped[str] = mapped_column(String(500))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempt: Mapped[Attempt] = relationship()
