"""The domain events, in one place.

Senders know nothing of their receivers: the course engine sends `course_completed` and the
ledger, certificates and the CMB layer subscribe in their own packages. Receivers run
synchronously inside the sender's database transaction, so a completion and everything it
causes commit together or not at all.

Extension points: `activity_completed`, `user_enrolled` and `employee_imported` are sent for
receivers that do not live in the core (a learning-record exporter, a welcome mail, an HR sync);
the core itself needs no receiver for them, and a receiver must not assume one exists.
"""

from blinker import Namespace

_signals = Namespace()

#: sender=the User; kwargs: activity, completed_at. An activity's completion rule was met.
activity_completed = _signals.signal("activity-completed")

#: sender=the User; kwargs: course, completed_at. Sent exactly once per (user, course).
course_completed = _signals.signal("course-completed")

#: sender=the User; kwargs: program, completion (the new ProgramCompletion row), completed_at (datetime).
#: Sent once per ProgramCompletion row, inside the transaction that created it: when the last
#: course of a program is completed (completion.kind "completion") and when staff record a
#: recertification ("recertification"). The CMB layer sends it; certificates subscribe.
program_completed = _signals.signal("program-completed")

#: sender=the User; kwargs: course, enrolment.
user_enrolled = _signals.signal("user-enrolled")

#: sender=the LedgerEntry; kwargs: none. A JP entry (or reversal) was appended.
ledger_entry_recorded = _signals.signal("ledger-entry-recorded")

#: sender=the User (employee); kwargs: created (bool). An employee row was created or changed by import.
employee_imported = _signals.signal("employee-imported")

#: sender=the User (learner); kwargs: course, activity. A grade of theirs in the course was given or
#: changed (an assignment graded or released, a quiz attempt scored or re-marked). The grade book
#: listens, for the "course grade ≥ pass mark" completion rule.
grade_changed = _signals.signal("grade-changed")

#: sender=the User (learner); kwargs: attempt (the quiz Attempt). The attempt was just finished
#: (submitted, or closed at its deadline) and graded automatically; its `answers` carry each
#: question's response, fraction (None = waiting for a person) and mark out of max_mark. Sent once
#: per attempt by the quiz module inside the transaction that finished it; xAPI listens.
attempt_graded = _signals.signal("attempt-graded")

#: sender=the User; kwargs: course. Something that held back the course's certificate (a
#: required evaluation, see `certificates.operations.COURSE_CERTIFICATE_HOLDS`) no longer does
#: for this person. Certificates subscribe and issue it if the course is complete and no other
#: hold remains. The JP are never held: only the certificate waits.
certificate_hold_released = _signals.signal("certificate-hold-released")

#: sender=the User; kwargs: verb ("launched", "answered" (with kwarg interaction: {id, type,
#: student_response, result}), or the SCO's new lesson_status: "passed", "failed",
#: "completed", "incomplete", "browsed"), sco (ScormSco), attempt (ScormAttempt), state (ScormScoState
#: or None). Sent by the SCORM module inside the transaction that stored the change.
scorm_event = _signals.signal("scorm-event")
