"""Quiz routes of API.md. A quiz's `{id}` is the Quiz id (shown on the quiz's pages), not the
activity id; an attempt's `{id}` is the attempt id returned when it starts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from flask import Response, request
from flask_babel import gettext as _
from pydantic import BaseModel

from app.api.core import route, user_ctx
from app.courses.models import Course
from app.errors import BadInput, Forbidden, NotFound, TooLarge
from app.extensions import db
from app.inputs import body_limit
from app.quizzes import operations as ops
from app.quizzes import queries
from app.quizzes.gift import export_gift
from app.quizzes.models import Attempt, Quiz
from app.quizzes.moodle_xml import export_moodle_xml
from app.web import after_commit

MAX_IMPORT_BYTES = 50 * 1024 * 1024  # a 10,000-question bank; above 512 KB it is imported by a job


class SkippedOut(BaseModel):
    line: int | None
    message: str
    element: str | None = None


class ImportOut(BaseModel):
    imported: int
    category: str
    skipped: list[SkippedOut] = []


class ImportJobOut(BaseModel):
    job_id: int
    state: str
    progress: int
    message: str | None = None
    status_url: str
    result: ImportOut | None = None
    problems: list[SkippedOut] = []


def job_dict(course: Course, job) -> dict:
    result = job.result or {}
    out = {"job_id": job.id, "state": job.state, "progress": job.progress, "message": job.message,
           "status_url": f"/api/v1/courses/{course.id}/questions/imports/{job.id}",
           "problems": result.get("problems", [])}
    if job.state == "done":
        out["result"] = {k: result.get(k) for k in ("imported", "category", "skipped")}
    return out


class ImportQuery(BaseModel):
    on_error: Literal["stop", "skip"] = "stop"
    category: str | None = None


class ChoiceOut(BaseModel):
    id: str
    text: str


class GapOut(BaseModel):
    id: str
    choices: list[ChoiceOut]


class AttemptFileOut(BaseModel):
    id: int
    name: str
    size: int
    url: str


class CheckOut(BaseModel):
    """A question's tries in an interactive quiz."""
    state: str | None  # None: open for an answer; "wrong": feedback and hint shown, retry next; "done"
    tries: int
    tries_left: int
    fraction: float | None = None
    mark: float | None = None
    feedback: str = ""
    hint: str = ""
    num_right: list[int] | None = None


class CheckResultOut(CheckOut):
    question_id: int
    response: Any = None


class AttemptQuestionOut(BaseModel):
    id: int
    type: str
    text: str
    mark: float
    choices: list[ChoiceOut]
    stems: list[ChoiceOut] | None = None
    gaps: list[GapOut] | None = None
    multiple: bool = False
    response: Any = None
    attachments: int | None = None  # essay: files allowed (-1 = any number), 0 = none
    attachments_required: int | None = None
    file_types: str | None = None  # essay: the extensions accepted, comma-separated ("" = any)
    files: list[AttemptFileOut] | None = None
    check: CheckOut | None = None  # interactive quizzes: each question's tries


class AttemptOut(BaseModel):
    id: int
    quiz_id: int
    number: int
    state: str
    started_at: str
    deadline: str | None
    questions: list[AttemptQuestionOut]


class AnswerIn(BaseModel):
    response: Any


class AnswerOut(BaseModel):
    question_id: int
    saved_at: str


class ResultOut(BaseModel):
    id: int
    score: float | None
    max_score: float | None
    percent: float | None
    passed: bool | None
    state: str
    needs_grading: bool


def iso(dt: datetime | None) -> str | None:
    return dt.replace(tzinfo=UTC).isoformat() if dt is not None else None


def attempt_dict(attempt: Attempt) -> dict:
    qs = []
    for item in queries.attempt_questions(attempt):
        q = {k: item[k] for k in ("id", "type", "text", "mark", "choices", "multiple", "response")}
        if "stems" in item:
            q["stems"] = item["stems"]
        if "parts" in item:  # the text's gaps ([[n]] in `text`), each with what it offers
            q["gaps"] = [{"id": p["gap"], "choices": p.get("options", [])} for p in item["parts"] if "gap" in p]
        if "check" in item:
            q["check"] = item["check"]
        if item.get("attachments"):
            q.update(attachments=item["attachments"], attachments_required=item.get("attachments_required", 0),
                     file_types=item.get("accept", ""),
                     files=[file_dict(attempt.id, f) for f in item.get("files", [])])
        qs.append(q)
    return {"id": attempt.id, "quiz_id": attempt.quiz_id, "number": attempt.number, "state": attempt.state,
            "started_at": iso(attempt.started_at), "deadline": iso(attempt.deadline), "questions": qs}


def file_dict(attempt_id: int, f) -> dict:
    fid, name, size = (f["id"], f["name"], f["size"]) if isinstance(f, dict) else (f.id, f.name, f.size)
    return {"id": fid, "name": name, "size": size, "url": f"/api/v1/attempts/{attempt_id}/files/{fid}"}


def result_dict(attempt: Attempt) -> dict:
    percent = round(attempt.score / attempt.max_score * 100, 2) if attempt.max_score and attempt.score is not None else None
    return {"id": attempt.id, "score": attempt.score, "max_score": attempt.max_score, "percent": percent,
            "passed": attempt.passed, "state": attempt.state, "needs_grading": attempt.needs_grading}


def managed_course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_("Kursus tidak ditemukan."))
    if not queries.can_manage_course(user_ctx(), course):
        raise Forbidden(_("Hanya instruktur kursus ini atau admin yang boleh mengelola bank soalnya."))
    return course


@body_limit(MAX_IMPORT_BYTES)
@route("/courses/<int:course_id>/questions/import", "POST", tag="Kuis", status=201, response=ImportOut,
       query=ImportQuery,
       summary="Impor soal GIFT (text/plain) atau Moodle XML (application/xml) ke bank soal kursus. "
               "`on_error=stop` (bawaan): satu soal salah menolak seluruh berkas; `on_error=skip`: soal yang "
               "baik disimpan, yang salah didaftar di `skipped` dengan baris/elemen dan alasannya. "
               "Query `category` = kategori bawaan. Berkas di atas 512 KB diimpor sebagai tugas latar: jawaban 202 "
               "`{job_id, state, progress, status_url}`; hasilnya di `status_url`.",
       body_content={"text/plain": {"type": "string"}, "application/xml": {"type": "string"}})
def import_questions(course_id: int, params: ImportQuery):
    course = managed_course(course_id)
    if request.content_length and request.content_length > MAX_IMPORT_BYTES:
        raise TooLarge(_("Berkas soal terlalu besar (maks. 5 MB)."))
    data = request.get_data(cache=False)
    if not data.strip():
        raise BadInput(_("Badan permintaan kosong: kirim teks GIFT atau Moodle XML."), code="empty_body")
    fmt = ops.detect_format(request.content_type, None, data)
    if ops.is_large_import(data):
        job = ops.start_import_job(course, data, fmt, by=user_ctx(), category=params.category,
                                   on_error=params.on_error)
        return job_dict(course, job), 202
    report = ops.import_bank(course, data, fmt, category=params.category, on_error=params.on_error)
    return report.as_dict()


@route("/courses/<int:course_id>/questions/imports/<int:job_id>", "GET", tag="Kuis", response=ImportJobOut,
       summary="Kemajuan impor soal besar (tugas latar): state queued|running|done|failed, progress 0–100, "
               "dan hasilnya {imported, category, skipped} setelah selesai; masalah berkas di `problems`")
def import_status(course_id: int, job_id: int):
    from app.jobs.models import Job

    course = managed_course(course_id)
    job = db.session.get(Job, job_id)
    if job is None or job.kind != ops.IMPORT_JOB or (job.payload or {}).get("course_id") != course.id:
        raise NotFound(_("Impor tidak ditemukan."))
    return job_dict(course, job)


class ExportQuery(BaseModel):
    format: Literal["xml", "gift"] = "xml"


@route("/courses/<int:course_id>/questions/export", "GET", tag="Kuis", response_content="application/xml",
       query=ExportQuery,
       summary="Ekspor seluruh bank soal kursus sebagai Moodle XML (`format=xml`, bawaan) atau GIFT (`format=gift`)")
def export_questions(course_id: int, params: ExportQuery):
    course = managed_course(course_id)
    rows = queries.bank_for_export(course)
    if params.format == "gift":
        return Response(export_gift(rows), mimetype="text/plain",
                        headers={"Content-Disposition": f'attachment; filename="bank-soal-{course.code}.gift.txt"'})
    body = export_moodle_xml(rows)
    return Response(body, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="bank-soal-{course.code}.xml"'})


@route("/quizzes/<int:quiz_id>/attempts", "POST", tag="Kuis", status=201, response=AttemptOut,
       summary="Mulai percobaan kuis, atau lanjutkan percobaan yang masih terbuka (200). {quiz_id} = id Kuis.")
def start_attempt(quiz_id: int):
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        raise NotFound(_("Kuis tidak ditemukan."))
    existing = {a.id for a in ops.attempts_of(quiz, user_ctx()) if a.state == "open"}
    attempt = ops.start_attempt(quiz, user_ctx())
    return attempt_dict(attempt), (200 if attempt.id in existing else 201)


@route("/attempts/<int:attempt_id>", "GET", tag="Kuis", response=AttemptOut,
       summary="Percobaan milik sendiri beserta jawaban yang tersimpan")
def get_attempt(attempt_id: int):
    return attempt_dict(ops.get_own_attempt(attempt_id, user_ctx()))


@route("/attempts/<int:attempt_id>/answers/<int:question_id>", "PUT", tag="Kuis", body=AnswerIn, response=AnswerOut,
       summary="Simpan jawaban satu soal; setelah batas waktu atau setelah dikumpulkan → 409. `response` per jenis: "
               "multichoice id pilihan (atau daftar id); truefalse true/false; shortanswer teks; numerical angka "
               "atau teks berisi angka dan satuan (\"2 m\"); matching dan randomsamatch {id stem: id pilihan}; "
               "gapselect dan ddwtos {nomor celah: id pilihan}; ordering daftar id butir menurut urutan (atau "
               "{id butir: posisi}); multianswer {nomor isian: teks | id pilihan | [id pilihan]}; essay teks; "
               "description tidak dijawab")
def save_answer(attempt_id: int, question_id: int, body: AnswerIn):
    answer = ops.save_answer(attempt_id, question_id, body.response, user_ctx())
    return {"question_id": question_id, "saved_at": iso(answer.saved_at)}


@route("/attempts/<int:attempt_id>/answers/<int:question_id>/files", "POST", tag="Kuis", status=201,
       response=AttemptFileOut,
       summary="Lampirkan berkas (multipart `file`) ke soal esai yang menerima lampiran, selama percobaan terbuka. "
               "Jumlah, jenis (filetypeslist) dan ukuran (maxbytes) diperiksa; penolakan 422 menyebut nama berkasnya; "
               "setelah batas waktu atau dikumpulkan → 409",
       body_content={"multipart/form-data": {"type": "object", "required": ["file"], "properties": {
           "file": {"type": "string", "format": "binary"}}}})
def attach_file(attempt_id: int, question_id: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadInput(_("Kirim berkas di kolom multipart \u201cfile\u201d."), code="file_missing")
    f = ops.attach_file(attempt_id, question_id, upload.filename, upload.stream, user_ctx())
    return file_dict(attempt_id, f), 201


def _check_result(attempt_id: int, question_id: int) -> dict:
    attempt = ops.get_own_attempt(attempt_id, user_ctx())
    item = next(i for i in queries.attempt_questions(attempt) if i["id"] == question_id)
    return {"question_id": question_id, "response": item["response"], **item["check"]}


@route("/attempts/<int:attempt_id>/answers/<int:question_id>/check", "POST", tag="Kuis", response=CheckResultOut,
       summary="Kuis interaktif: periksa jawaban tersimpan soal ini (\u201cPeriksa\u201d). Benar atau percobaan terakhir: "
               "state done dengan nilainya (dikurangi penalti per percobaan salah sebelumnya); salah: state wrong dengan "
               "umpan balik dan petunjuk berikutnya, lalu /retry. Jawaban kosong tidak memakai percobaan (422)")
def check_answer(attempt_id: int, question_id: int):
    ops.check_answer(attempt_id, question_id, user_ctx())
    return _check_result(attempt_id, question_id)


@route("/attempts/<int:attempt_id>/answers/<int:question_id>/retry", "POST", tag="Kuis", response=CheckResultOut,
       summary="Kuis interaktif: \u201cCoba lagi\u201d setelah percobaan salah; jawaban bisa diubah lagi (bagian yang salah "
               "dihapus bila petunjuknya meminta)")
def retry_answer(attempt_id: int, question_id: int):
    ops.retry_answer(attempt_id, question_id, user_ctx())
    return _check_result(attempt_id, question_id)


@route("/attempts/<int:attempt_id>/files/<int:file_id>", "DELETE", tag="Kuis", status=204,
       summary="Hapus lampiran dari percobaan yang masih terbuka (pemilik percobaan)")
def remove_file(attempt_id: int, file_id: int):
    keys = ops.remove_file(attempt_id, file_id, user_ctx())
    after_commit(lambda: ops.purge_files(keys))  # the bytes go once the row is gone for good
    return Response(status=204)


@route("/attempts/<int:attempt_id>/files/<int:file_id>", "GET", tag="Kuis", response_content="application/octet-stream",
       summary="Unduh lampiran esai: pemilik percobaan dan penilai kursus (dalam cakupannya); selalu sebagai unduhan")
def get_file(attempt_id: int, file_id: int):
    from app.quizzes.models import AttemptFile
    from app.storage import send_stored

    f = db.session.get(AttemptFile, file_id)
    if f is None or f.attempt_id != attempt_id or not queries.can_see_attempt(user_ctx(), f.attempt):
        raise NotFound(_("Lampiran tidak ditemukan."))
    return send_stored(f.key, filename=f.name, mimetype="application/octet-stream", as_attachment=True)


@route("/attempts/<int:attempt_id>/submit", "POST", tag="Kuis", response=ResultOut,
       summary="Kumpulkan dan nilai percobaan; pengiriman kedua mengembalikan hasil yang sama")
def submit_attempt(attempt_id: int):
    attempt = ops.submit_attempt(attempt_id, user_ctx())
    return result_dict(attempt)
