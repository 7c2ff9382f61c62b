"""The grade book hears of grades given (assignments, quizzes) and adds its completion condition
("course grade ≥ pass mark") to the course engine's gates."""

from __future__ import annotations

from app.courses.activity_types import COMPLETION_GATES
from app.grades.operations import gate
from app.signals import grade_changed

if gate not in COMPLETION_GATES:
    COMPLETION_GATES.append(gate)


@grade_changed.connect
def _on_grade_changed(user, course=None, **_kw) -> None:
    # A grade that rises may bring the course total over the pass mark: the course may now complete.
    from app.courses.operations import check_course_completion

    if course is not None:
        check_course_completion(user, course)

