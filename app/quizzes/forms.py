"""Forms of the quiz pages. A question's repeating rows (choices, answers, pairs) are plain
indexed inputs read by `question_data_from_form`, so the editor works without JavaScript."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
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
from app.numbers import parse_number
from app.quizzes import qtypes


class _TypeLabels:
    """{type name: its label}, read from the registry each time (a type added later shows up)."""

    def __getitem__(self, name: str):
        return qtypes.get(name).label

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and qtypes.known(name)

    def items(self):
        return [(t.name, t.label) for t in qtypes.all_types()]

    def get(self, name: str, default=None):
        return qtypes.get(name).label if qtypes.known(name) else default


TYPE_LABELS = _TypeLabels()


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
    behaviour = SelectField(_l("Perilaku soal"), choices=[
        ("deferredfeedback", _l("Umpan balik ditunda")),
        ("interactive", _l("Interaktif dengan beberapa percobaan"))])


class GradeForm(FlaskForm):
    mark = FiniteFloatField(_l("Nilai"), validators=[InputRequired(_l("Wajib diisi.")), NumberRange(min=0)])
    feedback = TextAreaField(_l("Komentar"), validators=[Optional()])


#: Hint rows read from one editor post at most (Moodle's form offers a few; this bounds a forged post).
MAX_HINTS = 20


def question_data_from_form(qtype: str, form, existing: dict | None = None) -> tuple[dict, list[str]]:
    """The `data` of a question from its type's editor rows; returns (data, errors)."""
    kind = qtypes.get(qtype)
    data, errors = kind.from_form(form, existing or {})
    if kind.graded and not kind.manual:
        _tries_from_form(form, existing or {}, data, errors)
    return data, errors


def _tries_from_form(form, existing: dict, data: dict, errors: list[str]) -> None:
    """Penalty and hints of the interactive behaviour (Moodle's "Multiple tries" section). A post
    without the section keeps what the question had: an imported question's hints are never lost
    by saving it from a form that does not show them."""
    if "hint_rows" not in form:
        for key in ("penalty", "hints"):
            if key in existing:
                data.setdefault(key, existing[key])
        return
    raw = (form.get("penalty") or "").strip().rstrip("%").strip()
    if raw:
        try:
            value = float(parse_number(raw))
        except ValueError:
            value = None
        if value is None or not 0 <= value <= 100:
            errors.append(_("Penalti per percobaan salah: tulis persen antara 0 dan 100, mis. 33,3."))
        else:
            data["penalty"] = value / 100
    rows = form.get("hint_rows", "")
    hints = []
    for i in range(min(int(rows) if is_digits(rows) else 0, MAX_HINTS)):
        text = (form.get(f"h{i}_text") or "").strip()
        if text:
            hints.append({"text": text, "show_num_correct": bool(form.get(f"h{i}_num")),
                          "clear_wrong": bool(form.get(f"h{i}_clear"))})
    if hints:
        data["hints"] = hints


def responses_from_form(items: list[dict], form) -> dict[int, Any]:
    """Responses posted by the attempt page (the no-JavaScript path), for the questions it showed."""
    out: dict[int, Any] = {}
    for item in items:
        if f"present-{item['id']}" not in form:
            continue
        present, response = qtypes.get(item["type"]).form_response(item, form)
        if present:
            out[item["id"]] = response
    return out
