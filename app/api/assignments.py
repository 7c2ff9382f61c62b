"""Assignment routes of API.md (second wave). An assignment's `{id}` is the Assignment id, carried
by an assignment activity as `assignment_id` in the course document and the authoring answer."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict

from app.accounts.models import User
from app.api.core import route, user_ctx
from app.assignments import operations as ops
from app.assignments import queries as q
from app.assignments.models import Assignment, Submission
from app.errors import BadInput
from app.extensions import db
from app.web import after_commit


class RubricLevelOut(BaseModel):
    id: int
    description: str
    points: float


class RubricCriterionOut(BaseModel):
    id: int
    description: str
    levels: list[RubricLevelOut]


class RubricOut(BaseModel):
    id: int
    title: str
    max_points: float
    criteria: list[RubricCriterionOut]


class AssignmentOut(BaseModel):
    id: int
    activity_id: int
    course_id: int
    title: str
    instructions: str
    open_at: str | None
    due_at: str | None
    cutoff_at: str | None
    submission_types: list[str]
    allowed_types: list[str]
    max_files: int
    max_file_mb: int
    max_attempts: int
    require_statement: bool
    grading: str
    max_grade: float
    pass_grade: float | None
    scale: list[str]
    rubric: RubricOut | None
    workplace_assessment: bool


class FileOut(BaseModel):
    id: int
    name: str
    size: int
    kind: str


class SubmissionOut(BaseModel):
    assignment_id: int
    nip: str | None
    attempt: int
    status: str
    late: bool
    text: str
    statement_accepted: bool
    files: list[FileOut]
    submitted_at: str | None
    due_at: str | None
    cutoff_at: str | None
    grade: float | None
    grade_text: str
    feedback: str
    rubric: dict[str, int]
    marking_state: str
    released: bool
    workplace_grade: float | None = None
    workplace_feedback: str | None = None


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = None
    statement: bool | None = None


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    statement: bool | None = None


class SubmittedOut(SubmissionOut):
    pass


class SubmissionRowOut(BaseModel):
    nip: str | None
    name: str
    status: str
    late: bool
    grade: float | None
    submitted_at: str | None
    marking_state: str
    attempt: int | None
    files: int


class SubmissionListOut(BaseModel):
    items: list[SubmissionRowOut]
    page: int
    per_page: int
    total: int


class GradeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grade: float | str | None = None
    feedback: str | None = None
    release: bool = False
    rubric: dict[str, int] | None = None
    state: str | None = None


class ReleaseOut(BaseModel):
    released: int


class SubmissionQuery(BaseModel):
    page: int = 1
    per_page: int = 50
    filter: str = ""
    q: str = ""


def _f(v) -> float | None:
    return float(v) if v is not None else None


def rubric_dict(r) -> dict | None:
    if r is None:
        return None
    return {"id": r.id, "title": r.title, "max_points": float(ops.rubric_max(r)),
            "criteria": [{"id": c.id, "description": c.description,
                          "levels": [{"id": lvl.id, "description": lvl.description, "points": float(lvl.points)}
                                     for lvl in c.levels]} for c in r.criteria]}


def assignment_dict(a: Assignment) -> dict:
    return {"id": a.id, "activity_id": a.activity_id, "course_id": a.course_id, "title": a.activity.title,
            "instructions": a.activity.body or "", "open_at": ops.wib_iso(a.open_at), "due_at": ops.wib_iso(a.due_at),
            "cutoff_at": ops.wib_iso(a.cutoff_at), "submission_types": list(a.submission_types),
            "allowed_types": list(a.allowed_types or []), "max_files": a.max_files, "max_file_mb": a.max_file_mb,
            "max_attempts": a.max_attempts, "require_statement": a.require_statement, "grading": a.grading,
            "max_grade": float(a.max_grade), "pass_grade": _f(a.pass_grade), "scale": list(a.scale or []),
            "rubric": rubric_dict(a.rubric) if a.grading == "rubric" else None,
            "workplace_assessment": a.workplace_assessment}


def submission_dict(a: Assignment, user: User, sub: Submission | None, *, staff: bool = False) -> dict:
    due, cutoff = ops.effective_dates(a, user)
    released = sub is not None and sub.marking_state == "released" and sub.grade is not None
    show = released or staff  # a learner sees a grade only once it is released
    out = {"assignment_id": a.id, "nip": user.nip, "attempt": sub.attempt if sub else 1,
           "status": q.display_status(sub),
           "late": bool(sub and sub.late), "text": sub.text if sub else "",
           "statement_accepted": bool(sub and sub.statement_accepted),
           "files": [{"id": f.id, "name": f.name, "size": f.size, "kind": f.kind} for f in (sub.files if sub else [])],
           "submitted_at": ops.wib_iso(sub.submitted_at) if sub else None, "due_at": ops.wib_iso(due),
           "cutoff_at": ops.wib_iso(cutoff),
           "grade": _f(sub.grade) if sub and show else None,
           "grade_text": q.grade_text(a, sub.grade) if sub and show else "",
           "feedback": sub.feedback if sub and show else "",
           "rubric": {k: int(v) for k, v in (sub.rubric_choice or {}).items()} if sub and show else {},
           "marking_state": sub.marking_state if sub else "not_graded", "released": released}
    if staff and sub is not None:
        out["workplace_grade"] = _f(sub.workplace_grade)
        out["workplace_feedback"] = sub.workplace_feedback
    return out


class CourseAssignmentOut(AssignmentOut):
    status: str | None = None  # the caller's own status, when enrolled
    late: bool | None = None
    grade: float | None = None


class CourseAssignmentsOut(BaseModel):
    items: list[CourseAssignmentOut]
    page: int
    per_page: int
    total: int


@route("/courses/<int:course_id>/assignments", "GET", summary="The course's assignments, in course order, with the "
       "caller's own status and released grade when enrolled", tag="assignments", response=CourseAssignmentsOut)
def course_assignments(course_id: int):
    from sqlalchemy import select

    from app.courses.models import Activity, Section
    from app.courses.queries import can_edit, enrolment_of, visible_course

    user = user_ctx()
    course = visible_course(user, course_id)
    staff = can_edit(user, course)
    enrolled = enrolment_of(user, course.id) is not None
    if not staff and not enrolled:
        from app.errors import Forbidden

        raise Forbidden(_("Anda belum terdaftar di kursus ini."), code="not_enrolled")
    stmt = (select(Assignment).join(Activity, Activity.id == Assignment.activity_id)
            .join(Section, Section.id == Activity.section_id).where(Assignment.course_id == course.id)
            .order_by(Section.position, Activity.position, Activity.id))
    if not staff:
        stmt = stmt.where(Activity.visible.is_(True), Section.visible.is_(True))
    items = []
    for a in db.session.scalars(stmt):
        d = {**assignment_dict(a), "status": None, "late": None, "grade": None}
        if enrolled:
            sub = ops.latest_submission(a, user)
            released = sub is not None and sub.marking_state == "released" and sub.grade is not None
            d.update(status=q.display_status(sub), late=bool(sub and sub.late),
                     grade=_f(sub.grade) if released else None)
        items.append(d)
    return {"items": items, "page": 1, "per_page": max(len(items), 1), "total": len(items)}


@route("/assignments/<int:assignment_id>", "GET", summary="An assignment: dates, submission types, grading",
       tag="assignments", response=AssignmentOut)
def assignment_get(assignment_id: int):
    return assignment_dict(q.visible_assignment(user_ctx(), assignment_id))


@route("/assignments/<int:assignment_id>/submission", "GET", summary="The caller's own submission and its status",
       tag="assignments", response=SubmissionOut)
def submission_get(assignment_id: int):
    user = user_ctx()
    a = q.visible_assignment(user, assignment_id)
    return submission_dict(a, user, ops.latest_submission(a, user))


@route("/assignments/<int:assignment_id>/submission", "PUT", summary="Save the draft's online text (and the "
       "own-work statement); after the cut-off or once submitted → 409", tag="assignments", body=SubmissionIn,
       response=SubmissionOut)
def submission_put(assignment_id: int, body: SubmissionIn):
    user = user_ctx()
    a = q.visible_assignment(user, assignment_id)
    sub = ops.save_draft(a, user, text=body.text, statement=body.statement)
    return submission_dict(a, user, sub)


@route("/assignments/<int:assignment_id>/submission/files", "POST", summary="Add a file to the draft (multipart "
       "`file`); its type is judged by content; over the size cap → 413", tag="assignments", status=201,
       response=FileOut, body_content={"multipart/form-data": {"type": "object", "required": ["file"], "properties": {
           "file": {"type": "string", "format": "binary"}}}})
def submission_file_add(assignment_id: int):
    user = user_ctx()
    a = q.visible_assignment(user, assignment_id)
    upload = request.files.get("file")
    if upload is None:
        raise BadInput(_("Kirim berkas di kolom multipart \u201cfile\u201d."), code="file_missing")
    f = ops.add_file(a, user, upload.filename or "", upload.read())
    return {"id": f.id, "name": f.name, "size": f.size, "kind": f.kind}, 201


@route("/assignments/<int:assignment_id>/submission/files/<int:file_id>", "DELETE",
       summary="Remove a file from the draft", tag="assignments", response=SubmissionOut)
def submission_file_delete(assignment_id: int, file_id: int):
    user = user_ctx()
    a = q.visible_assignment(user, assignment_id)
    ops.remove_file(a, user, file_id)
    after_commit(ops.purge_pending_files)  # the bytes go once the rows are gone for good
    return submission_dict(a, user, ops.latest_submission(a, user))


@route("/assignments/<int:assignment_id>/submission/submit", "POST", summary="Submit for grading; after the due "
       "date it is marked late; after the cut-off → 409", tag="assignments", response=SubmittedOut)
def submission_submit(assignment_id: int):
    user = user_ctx()
    a = q.visible_assignment(user, assignment_id)
    data = request.get_json(silent=True) or {}
    statement = data.get("statement") if isinstance(data, dict) else None
    if statement is not None and not isinstance(statement, bool):
        raise BadInput(_("statement harus true atau false."), code="invalid_body")
    sub = ops.submit(a, user, statement=statement)
    return submission_dict(a, user, sub)


@route("/assignments/<int:assignment_id>/submissions", "GET", summary="Every enrolled learner in the grader's reach "
       "with their submission; filter not_submitted | needs_grading | late | graded | unreleased",
       tag="assignments", query=SubmissionQuery, response=SubmissionListOut)
def submissions_list(assignment_id: int, params: SubmissionQuery):
    user = user_ctx()
    a = q.get_assignment(assignment_id)
    r = q.require_grader(user, a)
    if params.filter not in q.FILTERS:
        raise BadInput(_("filter tidak dikenal; pilih: %(f)s", f=", ".join(k for k in q.FILTERS if k)),
                       code="invalid_filter")
    rows = q.grader_rows(a, r, flt=params.filter, q=params.q)
    page = max(1, params.page)
    per_page = min(max(1, params.per_page), 200)
    chunk = rows[(page - 1) * per_page: page * per_page]
    return {"items": [{"nip": x.user.nip, "name": x.user.name, "status": x.status, "late": x.late,
                       "grade": _f(x.submission.grade) if x.submission else None,
                       "submitted_at": ops.wib_iso(x.submission.submitted_at) if x.submission else None,
                       "marking_state": x.submission.marking_state if x.submission else "not_graded",
                       "attempt": x.submission.attempt if x.submission else None,
                       "files": len(x.submission.files) if x.submission else 0} for x in chunk],
            "page": page, "per_page": per_page, "total": len(rows)}


@route("/assignments/<int:assignment_id>/submissions/<nip>/grade", "PUT", summary="Grade a learner's submission: "
       "`grade` (points, or a scale level 1..n or its name) or `rubric` {criterion id: level id}, `feedback`, "
       "`release`; out of range → 422", tag="assignments", body=GradeIn, response=SubmissionOut)
def submission_grade(assignment_id: int, nip: str, body: GradeIn):
    user = user_ctx()
    a = q.get_assignment(assignment_id)
    r = q.require_grader(user, a)
    learner = q.learner_in_reach(a, r, nip)
    sub = ops.submission_for_grading(a, learner)
    grade: Any = body.grade
    if isinstance(grade, float) and grade.is_integer():
        grade = int(grade)
    ops.grade_submission(sub, user, grade=grade, feedback=body.feedback, rubric=body.rubric, release=body.release,
                         state=body.state)
    return submission_dict(a, learner, sub, staff=True)


@route("/assignments/<int:assignment_id>/release", "POST", summary="Release every grade given and not yet released",
       tag="assignments", response=ReleaseOut)
def grades_release(assignment_id: int):
    user = user_ctx()
    a = q.get_assignment(assignment_id)
    r = q.require_grader(user, a)
    ids = None if r.everything else {x.user.id for x in q.grader_rows(a, r)}
    n = ops.release_grades(a, user, user_ids=ids)
    return {"released": n}



# --- resumable uploads (tus 1.0 core + creation), as for videos ------------------------------------

class UploadOut(BaseModel):
    id: str
    url: str
    offset: int
    length: int
    state: str
    file_id: int | None


TUS_HEADERS = {"Tus-Resumable": "1.0.0", "Tus-Version": "1.0.0", "Tus-Extension": "creation"}


def _upload_out(up) -> dict:
    from flask import url_for

    return {"id": up.id, "url": url_for("api.assignments_upload_patch", upload_id=up.id), "offset": up.offset,
            "length": up.length, "state": up.state, "file_id": up.file_id}


def _tus(resp, up):
    resp.headers.update(TUS_HEADERS)
    resp.headers["Upload-Offset"] = str(up.offset)
    resp.headers["Upload-Length"] = str(up.length)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _int_header(name: str) -> int:
    raw = request.headers.get(name, "")
    if not raw.isdigit() or len(raw) > 15:
        raise BadInput(_("Header %(h)s wajib berupa bilangan bulat tak negatif.", h=name), code="invalid_header")
    return int(raw)


def _filename(header: str) -> str:
    import base64

    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _sep, value = pair.partition(" ")
        if key == "filename" and value:
            try:
                return base64.b64decode(value, validate=True).decode("utf-8")
            except ValueError:
                raise BadInput(_("Upload-Metadata filename harus base64."), code="invalid_metadata") from None
    return "berkas"


@route("/assignments/<int:assignment_id>/submission/uploads", "POST", summary="Start a resumable file upload to the "
       "draft (tus): headers Upload-Length and Upload-Metadata `filename <base64>`; over the size cap → 413",
       tag="assignments", response=UploadOut, status=201, body_content={"application/octet-stream": {"type": "string"}})
def upload_create(assignment_id: int):
    from flask import Response

    user = user_ctx()
    a = q.visible_assignment(user, assignment_id)
    up = ops.create_upload(a, user, _filename(request.headers.get("Upload-Metadata", "")), _int_header("Upload-Length"))
    body = _upload_out(up)
    resp = _tus(Response(UploadOut(**body).model_dump_json(), status=201, mimetype="application/json"), up)
    resp.headers["Location"] = body["url"]
    return resp


@route("/assignment-uploads/<upload_id>", "GET", summary="An upload's state; HEAD answers Upload-Offset (tus)",
       tag="assignments", response=UploadOut)
def upload_state(upload_id: str):
    from flask import Response

    up = ops.get_upload(user_ctx(), upload_id)
    return _tus(Response(UploadOut(**_upload_out(up)).model_dump_json(), mimetype="application/json"), up)


@route("/assignment-uploads/<upload_id>", "PATCH", summary="Send a chunk at Upload-Offset; with the last byte the "
       "file is checked (type by content) and added to the draft", tag="assignments", status=204,
       body_content={"application/offset+octet-stream": {"type": "string", "format": "binary"}})
def upload_patch(upload_id: str):
    from flask import Response

    if request.mimetype != "application/offset+octet-stream":
        raise BadInput(_("Content-Type harus application/offset+octet-stream."), code="bad_content_type", status=415)
    up = ops.receive_chunk(user_ctx(), upload_id, _int_header("Upload-Offset"), request.stream)
    return _tus(Response(status=204), up)
