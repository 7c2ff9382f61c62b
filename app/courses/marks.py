"""Plain values the activity page reads instead of database objects (shared by courses.queries,
which reads them, and courses.operations, which writes through them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class EnrolmentMark:
    """An enrolment as the activity page reads it: its id and where the learner last was (for
    touch_enrolment and the outline's "lanjutkan"), not the whole row as a tracked object."""

    id: int
    last_activity_id: int | None
    last_access_at: datetime | None
