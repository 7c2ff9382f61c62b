"""Lentera's events as xAPI statements: launched / completed / passed / failed / answered
(SCORM), answered (each question of a finished quiz attempt), completed (every activity and
course), attended (classroom sessions), and earned for each JP ledger entry (the JP as a result
extension, negative for a reversal). Each is queued in the event's own transaction: a completion
that rolls back sends nothing."""

from __future__ import annotations

import json
import re

from app.signals import activity_completed, attempt_graded, course_completed, ledger_entry_recorded, scorm_event
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


# --- quiz answers ------------------------------------------------------------------------------------------
#: Lentera's question types as xAPI interaction types (xAPI 1.0.3, "Interaction Activities");
#: the types without a counterpart are "other", their response in words.
INTERACTION_TYPES = {"truefalse": "true-false", "multichoice": "choice", "shortanswer": "fill-in",
                     "numerical": "numeric", "matching": "matching", "ordering": "sequencing", "essay": "long-fill-in"}


def _plain(html: str, limit: int = 500) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html or "").split())[:limit]


def _response(qtype: str, response) -> str:
    """The response in the xAPI interaction format where one maps: choices `a[,]b`, matching
    `source[.]target[,]…`, true-false `true`, a number as written."""
    if qtype == "truefalse":
        return "true" if response else "false"
    if qtype in ("multichoice", "ordering"):
        items = response if isinstance(response, list) else [response]
        return "[,]".join(str(i) for i in items)
    if qtype == "matching" and isinstance(response, dict):
        return "[,]".join(f"{k}[.]{v}" for k, v in response.items())
    if qtype == "essay":
        return _plain(response if isinstance(response, str) else json.dumps(response, ensure_ascii=False), 4000)
    if isinstance(response, str):
        return response[:1000]
    return json.dumps(response, ensure_ascii=False, sort_keys=True)[:1000]


@attempt_graded.connect
def _quiz_answers(user, attempt, **_kw) -> None:
    """One "answered" statement per question the learner answered: success when fully right,
    the mark as raw score out of the question's mark (scaled = the fraction); a question waiting
    for a person's mark (an essay) carries its response only. Unanswered questions and
    descriptions send nothing."""
    if not ops.enabled():
        return
    from app.quizzes.qtypes import get as qtype_of
    from app.quizzes.qtypes import known

    quiz = attempt.quiz
    activity = quiz.activity
    by_question = {a.question_id: a for a in attempt.answers}
    quiz_path = f"/aktivitas/{activity.id}"
    context = {"contextActivities": {
        "parent": [ops.activity_object(quiz_path, activity.title, ACT + "assessment")],
        "grouping": [ops.activity_object(f"/kursus/{activity.course_id}", activity.course.title, ACT + "course")]},
        "extensions": {"https://w3id.org/lentera/xapi/extensions/attempt": attempt.number}}
    for entry in attempt.layout:
        ans = by_question.get(entry["q"])
        if ans is None or ans.question is None or ans.response in (None, "", [], {}):
            continue
        q = ans.question
        if known(q.type) and not qtype_of(q.type).graded:
            continue
        interaction = INTERACTION_TYPES.get(q.type, "other")
        obj = ops.activity_object(f"{quiz_path}/soal/{q.id}", q.name or f"Soal {q.id}", ACT + "cmi.interaction",
                                  description=_plain(q.text))
        obj["definition"]["interactionType"] = interaction
        if interaction == "choice":
            obj["definition"]["choices"] = [{"id": str(c["id"]), "description": {"id-ID": _plain(c.get("text", ""), 250)}}
                                            for c in (q.data or {}).get("choices", [])]
        result: dict = {"response": _response(q.type, ans.response)}
        if ans.fraction is not None:
            result["success"] = ans.fraction >= 1 - 1e-9
            raw = ans.mark if ans.mark is not None else ans.fraction * ans.max_mark
            result["score"] = {"raw": round(raw, 6), "min": 0, "max": ans.max_mark,
                               "scaled": round(max(-1.0, min(1.0, ans.fraction)), 6)}
        ops.queue(ops.make_statement(user, "answered", obj, result=result, context=context, at=attempt.finished_at),
                  "answered")
