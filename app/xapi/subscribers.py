"""Lentera's events as xAPI statements: launched / completed / passed / failed / answered
(SCORM), completed (every activity and course), attended (classroom sessions), and earned for
each JP ledger entry (the JP as a result extension, negative for a reversal). Each is queued in
the event's own transaction: a completion that rolls back sends nothing."""

from __future__ import annotations

from app.signals import activity_completed, course_completed, ledger_entry_recorded, scorm_event
from app.xapi import operations as ops

ACT = "http://adlnet.gov/expapi/activities/"


@scorm_event.connect
def _scorm(user, verb: str, sco, attempt, state=None, interaction: dict | None = None, **_kw) -> None:
    if not ops.enabled() or verb not in ("launched", "completed", "passed", "failed", "answered"):
        return
    path = f"/aktivitas/{sco.package.activity_id}/sco/{sco.identifier}"
    context = {"registration": None, "contextActivities": {"parent": [ops.activity_object(
        f"/aktivitas/{sco.package.activity_id}", sco.package.title or sco.title, ACT + "module")]},
        "extensions": {"https://w3id.org/lentera/xapi/extensions/attempt": attempt.number}}
    context.pop("registration")
    result = None
    if verb == "answered" and interaction:
        obj = ops.activity_object(f"{path}/interaksi/{interaction.get('id') or 'tanpa-id'}",
                                  interaction.get("id") or sco.title, ACT + "cmi.interaction")
        result = {"response": str(interaction.get("student_response", ""))[:500]}
        if interaction.get("result") in ("correct", "wrong"):
            result["success"] = interaction["result"] == "correct"
        context["contextActivities"]["parent"].insert(0, ops.activity_object(path, sco.title, ACT + "lesson"))
    else:
        obj = ops.activity_object(path, sco.title, ACT + "lesson")
        if state is not None and verb != "launched":
            result = {"completion": verb in ("completed", "passed"), **(
                {"success": verb == "passed"} if verb in ("passed", "failed") else {})}
            if state.score_raw is not None:
                result["score"] = {"raw": float(state.score_raw), "min": 0, "max": 100,
                                   "scaled": float(state.score_raw) / 100}
    ops.queue(ops.make_statement(user, verb, obj, result=result, context=context), verb)


@activity_completed.connect
def _activity(user, activity, completed_at=None, **_kw) -> None:
    if not ops.enabled():
        return
    verb = "attended" if activity.type == "classroom" else "completed"
    obj = ops.activity_object(f"/aktivitas/{activity.id}", activity.title,
                              ACT + ("meeting" if verb == "attended" else "module"))
    context = {"contextActivities": {"parent": [ops.activity_object(
        f"/kursus/{activity.course_id}", activity.course.title, ACT + "course")]}}
    ops.queue(ops.make_statement(user, verb, obj, result={"completion": True}, context=context, at=completed_at), verb)


@course_completed.connect
def _course(user, course, completed_at=None, **_kw) -> None:
    if not ops.enabled():
        return
    obj = ops.activity_object(f"/kursus/{course.id}", course.title, ACT + "course")
    ops.queue(ops.make_statement(user, "completed", obj, result={"completion": True}, at=completed_at), "completed")


@ledger_entry_recorded.connect
def _ledger(entry, **_kw) -> None:
    if not ops.enabled():
        return
    obj = ops.activity_object(f"/jp/entri/{entry.id}", entry.title, "https://w3id.org/lentera/xapi/activities/jp-credit",
                              description=entry.organiser)
    result = {"extensions": {ops.JP_EXTENSION: ops.jp_number(entry.jp)}}
    if entry.minutes is not None:
        result["duration"] = f"PT{abs(entry.minutes)}M"
    ops.queue(ops.make_statement(entry.user, "earned", obj, result=result), "earned")
