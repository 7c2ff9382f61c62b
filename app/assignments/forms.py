"""The instructor's assignment settings and the grader's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.assignments.filetypes import KINDS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SettingsForm(FlaskForm):
    submission_types = MultiCheckboxField(_l("Bentuk pengumpulan"),
                                          choices=[("text", _l("Teks daring")), ("file", _l("Berkas"))])
    allowed_types = MultiCheckboxField(_l("Jenis berkas yang diterima (kosong = semua yang dikenal)"),
                                       choices=[(k, v[0]) for k, v in KINDS.items()])
    max_files = IntegerField(_l("Jumlah berkas paling banyak"), default=3, validators=[NumberRange(min=1, max=20)])
    max_file_mb = IntegerField(_l("Ukuran berkas paling besar (MB)"), default=10,
                               validators=[NumberRange(min=1, max=100)])
    open_at = StringField(_l("Dibuka mulai"), validators=[Optional()], render_kw={"type": "datetime-local"})
    due_at = StringField(_l("Tenggat"), validators=[Optional()], render_kw={"type": "datetime-local"})
    cutoff_at = StringField(_l("Batas akhir (setelah ini tidak bisa dikumpulkan)"), validators=[Optional()],
                            render_kw={"type": "datetime-local"})
    max_attempts = IntegerField(_l("Percobaan paling banyak (0 = tanpa batas)"), default=0,
                                validators=[NumberRange(min=0, max=100)])
    require_statement = BooleanField(_l("Wajib pernyataan bahwa ini karya sendiri"))
    grading = SelectField(_l("Cara menilai"), choices=[("points", _l("Poin")), ("scale", _l("Skala")),
                                                        ("rubric", _l("Rubrik"))])
    max_grade = DecimalField(_l("Nilai maksimum (poin)"), places=2, default=100, validators=[Optional()])
    pass_grade = DecimalField(_l("Nilai lulus (kosong = asal dinilai)"), places=2, validators=[Optional()])
    scale = TextAreaField(_l("Tingkat skala, satu per baris, dari terendah"),
                          default="Belum kompeten\nKompeten")
    rubric_id = SelectField(_l("Rubrik"), coerce=int, validators=[Optional()])
    workplace_assessment = BooleanField(_l("Atasan peserta ikut menilai (penilaian tempat kerja)"))


class RubricForm(FlaskForm):
    title = StringField(_l("Judul rubrik"))
    body = TextAreaField(_l("Kriteria dan tingkat"),
                         description=_l("Satu kriteria per baris: kriteria | tingkat = poin | tingkat = poin …"))
