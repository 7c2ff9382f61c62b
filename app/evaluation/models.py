"""Tables of the evaluation domain.

Anonymity is kept by construction, not by a flag read later: an anonymous survey's answers sit
in a `SurveyResponse` that carries no user and has a random key (no order to match against the
`SurveySubmission` that records who has answered). The respondent's unit is kept on the
response so that a unit-limited BPSDM officer's report counts only the people in reach.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User, utcnow
from app.extensions import db

#: The kinds of question a survey holds and what each answer is stored as.
QUESTION_KINDS = ("likert5", "likert4", "single", "multiple", "number", "short_text", "long_text")
SCALE_KINDS = ("likert5", "likert4")
CHOICE_KINDS = ("single", "multiple")
TEXT_KINDS = ("short_text", "long_text")


class SurveyTemplate(db.Model):
    """A survey shipped as data (`app/evaluation/template_data.py`) and editable by BPSDM.

    `items` is the list of questions as a survey activity's `questions` are written:
    [{"code", "kind", "text", "options", "instructor", "required", "group"}]."""

    __tablename__ = "survey_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(250))
    description: Mapped[str] = mapped_column(Text, default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    items: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Survey(db.Model):
    """The settings of a survey activity. The API's survey `{id}` is this row's id."""

    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    template_key: Mapped[str | None] = mapped_column(String(40))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    open_at: Mapped[datetime | None] = mapped_column()
    close_at: Mapped[datetime | None] = mapped_column()
    #: the course's certificate waits for this survey (the JP never do)
    before_certificate: Mapped[bool] = mapped_column(Boolean, default=False)

    activity = relationship("Activity")
    questions: Mapped[list[SurveyQuestion]] = relationship(back_populates="survey", order_by="SurveyQuestion.position",
                                                           cascade="all, delete-orphan")


class SurveyQuestion(db.Model):
    __tablename__ = "survey_questions"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    #: a stable key from the template (e.g. "pengajar.penguasaan"): the instructor report compares
    #: the same question across courses by it
    code: Mapped[str | None] = mapped_column(String(60), index=True)
    group: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON, default=list)
    #: asked once for each instructor of the course
    instructor: Mapped[bool] = mapped_column(Boolean, default=False)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    survey: Mapped[Survey] = relationship(back_populates="questions")


class SurveySubmission(db.Model):
    """Who has answered (one per person): it keeps the "once" rule and the completion, and for an
    anonymous survey nothing else — the answers are not linked to it."""

    __tablename__ = "survey_submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    submitted_on: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("survey_id", "user_id", name="uq_survey_submissions_survey_user"),)


class SurveyResponse(db.Model):
    """One set of answers. `user_id` is empty for an anonymous survey; the key is random."""

    __tablename__ = "survey_responses"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    user: Mapped[User | None] = relationship()


class SurveyAnswer(db.Model):
    """One answer: a scale point, a number or a choice's index in `value`; text in `text`. A
    multiple-choice answer is one row per chosen option, so distributions are one GROUP BY."""

    __tablename__ = "survey_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"))
    instructor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    value: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)
    # Covering indexes: a report's counts per (question, instructor, value) read the index alone.
    __table_args__ = (Index("ix_survey_answers_question_instructor", "question_id", "instructor_id", "value"),
                      Index("ix_survey_answers_instructor", "instructor_id", "question_id", "value"))


class LearningGainSetup(db.Model):
    """Which quizzes of a course are its pre-test and post-test."""

    __tablename__ = "learning_gain_setups"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), unique=True)
    pre_quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quizzes.id", ondelete="SET NULL"))
    post_quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quizzes.id", ondelete="SET NULL"))


class ImpactEvaluation(db.Model):
    """A job-impact evaluation (Kirkpatrick level 3) of one completion, by the learner
    (`role` "learner") or their atasan (`role` "supervisor"), opened N days after completion."""

    __tablename__ = "impact_evaluations"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column()
    reminders: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None] = mapped_column()
    applied: Mapped[str | None] = mapped_column(String(12))  # ya | sebagian | tidak
    change: Mapped[str | None] = mapped_column(Text)
    #: {competency code: rating 1-5}
    ratings: Mapped[dict] = mapped_column(JSON, default=dict)

    course = relationship("Course")
    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    respondent: Mapped[User] = relationship(foreign_keys=[respondent_id])
    __table_args__ = (UniqueConstraint("course_id", "learner_id", "role", name="uq_impact_evaluations_course_learner_role"),)


from app.evaluation import activity as _activity  # noqa: E402,F401  (registers the survey type)
