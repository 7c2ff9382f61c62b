"""Forms of the quiz pages. A question's repeating rows (choices, answers, pairs) are plain
indexed inputs read by `question_data_from_form`, so the editor works without JavaScript."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.inputs import FiniteFloatField, is_digits
from app.quizzes.grading import BadResponse, parse_number

TYPE_LABELS = {
    "multichoice": _l("Pilihan ganda"),
    "truefalse": _l("Benar/salah"),
    "shortanswer": _l("Isian singkat"),
    "numerical": _l("Angka"),
    "matching": _l("Menjodohkan"),
    "essay": _l("Esai"),
}


class QuestionForm(FlaskForm):
    name = StringField(_l("Nama soal"), validators=[Optional(), Length(max=250)])
    category = StringField(_l("Kategori (mis. Etika/Dasar)"), validators=[Optional(), Length(max=900)])
    text = TextAreaField(_l("Teks soal (HTML diperbolehkan)"), validators=[DataRequired(_l("Wajib diisi."))])
    general_feedback = TextAreaField(_l("Umpan balik umum"), validators=[Optional()])
    default_mark = FiniteFloatField(_l("Nilai soal"), default=1.0,
                              validators=[InputRequired(_l("Wajib diisi.")), NumberRange(min=0.01, message=_l("Harus > 0."))])


class CategoryForm(FlaskForm):
    path = StringField(_l("Kategori baru (a/b untuk subkategori)"), validators=[DataRequired(_l("Wajib diisi.")),
                                                                               Length(max=900)])


class ImportForm(FlaskForm):
    file = FileField(_l("Berkas GIFT (.gift/.txt) atau Moodle XML (.xml)"))
    text = TextAreaField(_l("…atau tempel teks GIFT / Moodle XML"), validators=[Optional()])
    category = StringField(_l("Kategori bawaan (untuk soal tanpa $CATEGORY)"), validators=[Optional(), Length(max=900)])
    on_error = RadioField(_l("Bila ada soal yang salah"), default="stop",
                          choices=[("stop", _l("Hentikan: tolak seluruh berkas, tidak ada soal yang disimpan")),
                                   ("skip", _l("Lewati soal yang salah: simpan yang baik, tampilkan yang dilewati"))])


class QuizSettingsForm(FlaskForm):
    pass_percent = FiniteFloatField(_l("Batas lulus (persen)"), validators=[InputRequired(_l("Wajib diisi.")),
                                                                NumberRange(0, 100, _l("Antara 0 dan 100."))])
    max_attempts = IntegerField(_l("Jumlah percobaan (0 = tanpa batas)"),
                                validators=[InputRequired(_l("Wajib diisi.")), NumberRange(min=0)])
    time_limit_minutes = IntegerField(_l("Batas waktu, menit (0 = tanpa batas)"),
                                      validators=[InputRequired(_l("Wajib diisi.")), NumberRange(min=0)])
    questions_per_page = IntegerField(_l("Soal per halaman (0 = semua di satu halaman)"),
                                      validators=[InputRequired(_l("Wajib diisi.")), NumberRange(min=0)])
    shuffle_questions = BooleanField(_l("Acak urutan soal"))
    shuffle_choices = BooleanField(_l("Acak urutan pilihan"))
    open_at = DateTimeLocalField(_l("Dibuka (WIB)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    close_at = DateTimeLocalField(_l("Ditutup (WIB)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    review_after = SelectField(_l("Kunci dan umpan balik ditampilkan"), choices=[
        ("submit", _l("Setelah dikumpulkan")), ("close", _l("Setelah kuis ditutup")), ("never", _l("Tidak pernah"))])


class GradeForm(FlaskForm):
    mark = FiniteFloatField(_l("Nilai"), validators=[InputRequired(_l("Wajib diisi.")), NumberRange(min=0)])
    feedback = TextAreaField(_l("Komentar"), validators=[Optional()])


def _pct(raw: str, default: float = 0.0) -> float:
    raw = (raw or "").strip().rstrip("%")
    if not raw:
        return default
    try:
        return parse_number(raw) / 100
    except BadResponse:
        raise ValueError(raw) from None


def question_data_from_form(qtype: str, form, existing: dict | None = None) -> tuple[dict, list[str]]:
    """The `data` of a question from the editor's rows; returns (data, errors)."""
    errors: list[str] = []
    existing = existing or {}
    rows = range(int(form.get("rows", 0) or 0))

    def pct(raw: str, default: float = 0.0) -> float:
        try:
            return _pct(raw, default)
        except ValueError:
            errors.append(f"Bobot '{raw}' bukan angka.")
            return 0.0

    data: dict[str, Any]
    if qtype == "multichoice":
        used = {c["id"] for c in existing.get("choices", [])}
        next_id = max([int(i) for i in used if is_digits(str(i))] + [0]) + 1
        choices = []
        for i in rows:
            text = form.get(f"c{i}_text", "").strip()
            if not text:
                continue
            cid = form.get(f"c{i}_id", "").strip()
            if not cid:  # a new choice gets a fresh id; old ids stay, so past answers still point right
                cid = str(next_id)
                next_id += 1
            choices.append({"id": cid, "text": text, "fraction": pct(form.get(f"c{i}_fraction", "0")),
                            "feedback": form.get(f"c{i}_feedback", "")})
        data = {"single": form.get("single") == "1", "shuffle": bool(form.get("shuffle")), "choices": choices}
    elif qtype == "truefalse":
        answer = form.get("answer")
        data = {"answer": {"true": True, "false": False}.get(answer), "feedback_true": form.get("feedback_true", ""),
                "feedback_false": form.get("feedback_false", "")}
    elif qtype == "shortanswer":
        answers = [{"text": form.get(f"a{i}_text", "").strip(), "fraction": pct(form.get(f"a{i}_fraction", "100"), 1.0),
                    "feedback": form.get(f"a{i}_feedback", "")} for i in rows if form.get(f"a{i}_text", "").strip()]
        data = {"case_sensitive": bool(form.get("case_sensitive")), "answers": answers}
    elif qtype == "numerical":
        answers = []
        for i in rows:
            raw = form.get(f"a{i}_value", "").strip()
            if not raw:
                continue
            try:
                value = parse_number(raw)
                tol = abs(parse_number(form.get(f"a{i}_tolerance", "0") or "0"))
            except BadResponse:
                errors.append(f"Angka '{raw}' atau toleransinya tidak valid.")
                continue
            answers.append({"value": value, "tolerance": tol, "fraction": pct(form.get(f"a{i}_fraction", "100"), 1.0),
                            "feedback": form.get(f"a{i}_feedback", "")})
        data = {"answers": answers}
    elif qtype == "matching":
        used = {p["id"] for p in existing.get("pairs", [])}
        next_id = max([int(i) for i in used if is_digits(str(i))] + [0]) + 1
        pairs = []
        for i in rows:
            stem, answer = form.get(f"p{i}_stem", "").strip(), form.get(f"p{i}_answer", "").strip()
            if not stem and not answer:
                continue
            pid = form.get(f"p{i}_id", "").strip()
            if not pid:
                pid = str(next_id)
                next_id += 1
            pairs.append({"id": pid, "stem": stem, "answer": answer})
        data = {"shuffle": bool(form.get("shuffle")), "pairs": pairs}
    else:
        try:
            lines = max(1, min(50, int(form.get("lines", "10") or 10)))
        except ValueError:
            lines = 10
        data = {"response_format": "editor", "lines": lines, "grader_info": form.get("grader_info", "")}
    return data, errors


def responses_from_form(items: list[dict], form) -> dict[int, Any]:
    """Responses posted by the attempt page (the no-JavaScript path), for the questions it showed."""
    out: dict[int, Any] = {}
    for item in items:
        qid = item["id"]
        if f"present-{qid}" not in form:
            continue
        key = f"q-{qid}"
        if item["type"] == "multichoice" and item["multiple"]:
            out[qid] = form.getlist(key)
        elif item["type"] == "matching":
            out[qid] = {s["id"]: form.get(f"{key}-{s['id']}") for s in item["stems"] if form.get(f"{key}-{s['id']}")}
        elif item["type"] == "truefalse":
            if form.get(key) in ("true", "false"):
                out[qid] = form.get(key) == "true"
        elif item["type"] == "numerical":
            raw = form.get(key, "").strip()
            out[qid] = raw if raw else None
        elif key in form:
            out[qid] = form.get(key)
    return out
