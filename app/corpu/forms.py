"""Forms of the CMB pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.corpu.models import GROUPS
from app.numbers import NumberField

REQUIRED = _l("Wajib diisi.")
LEVEL_CHOICES = [(i, str(i)) for i in range(1, 6)]
SOURCE_CHOICES = [("assessment_centre", _l("Pusat asesmen (assessment centre)")), ("supervisor", _l("Penilaian atasan"))]
KIND_LABELS = {"course": _l("Kursus"), "coaching": _l("Coaching"), "mentoring": _l("Mentoring"),
               "internship": _l("Magang"), "other": _l("Kegiatan lain")}
STATUS_LABELS = {"draft": _l("Draf"), "submitted": _l("Menunggu persetujuan"), "approved": _l("Disetujui"),
                 "returned": _l("Dikembalikan")}
SOURCE_LABELS = {"assessment_centre": _l("Pusat asesmen"), "supervisor": _l("Penilaian atasan"), "course": _l("Kursus")}
RATING_LABELS = {"low": _l("Rendah"), "medium": _l("Sedang"), "high": _l("Tinggi")}


class CompetencyForm(FlaskForm):
    code = StringField(_l("Kode (mis. TEK-LITDIG)"), validators=[DataRequired(REQUIRED), Length(max=40)])
    name = StringField(_l("Nama kompetensi"), validators=[DataRequired(REQUIRED), Length(max=200)])
    group = SelectField(_l("Kelompok"), choices=list(GROUPS.items()))
    description = TextAreaField(_l("Definisi"), validators=[Optional()])
    level1 = TextAreaField(_l("Level 1: deskripsi"))
    ind1 = TextAreaField(_l("Level 1: indikator perilaku (satu per baris)"))
    level2 = TextAreaField(_l("Level 2: deskripsi"))
    ind2 = TextAreaField(_l("Level 2: indikator perilaku (satu per baris)"))
    level3 = TextAreaField(_l("Level 3: deskripsi"))
    ind3 = TextAreaField(_l("Level 3: indikator perilaku (satu per baris)"))
    level4 = TextAreaField(_l("Level 4: deskripsi"))
    ind4 = TextAreaField(_l("Level 4: indikator perilaku (satu per baris)"))
    level5 = TextAreaField(_l("Level 5: deskripsi"))
    ind5 = TextAreaField(_l("Level 5: indikator perilaku (satu per baris)"))


class StandardForm(FlaskForm):
    position = StringField(_l("Jabatan"), validators=[DataRequired(REQUIRED), Length(max=200)])
    competency = SelectField(_l("Kompetensi"))
    required_level = SelectField(_l("Level yang dipersyaratkan"), coerce=int, choices=LEVEL_CHOICES)


class AssessmentForm(FlaskForm):
    nip = StringField(_l("NIP pegawai"), validators=[DataRequired(REQUIRED), Length(max=18)])
    competency = SelectField(_l("Kompetensi"))
    level = SelectField(_l("Level"), coerce=int, choices=LEVEL_CHOICES)
    assessed_on = DateField(_l("Tanggal penilaian"), validators=[DataRequired(_l("Tanggal tidak valid."))])
    source = SelectField(_l("Sumber"), choices=SOURCE_CHOICES)


class PlanItemForm(FlaskForm):
    kind = SelectField(_l("Jenis kegiatan"), choices=[(k, v) for k, v in KIND_LABELS.items() if k != "course"])
    title = StringField(_l("Nama kegiatan"), validators=[DataRequired(REQUIRED), Length(max=250)])
    planned_jp = NumberField(_l("JP yang direncanakan"), places=2,
                             validators=[InputRequired(REQUIRED), NumberRange(min=0.25, max=1000)])
    competency = SelectField(_l("Kompetensi yang dikembangkan"), validators=[Optional()])


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Catatan untuk pegawai"), validators=[Optional(), Length(max=2000)])


class BudgetForm(FlaskForm):
    apbd = NumberField(_l("APBD tahun ini (Rp)"), places=2, money=True,
                       validators=[InputRequired(REQUIRED), NumberRange(min=0)])


class ProgramForm(FlaskForm):
    code = StringField(_l("Kode program"), validators=[DataRequired(REQUIRED), Length(max=60)])
    title = StringField(_l("Judul"), validators=[DataRequired(REQUIRED), Length(max=250)])
    description = TextAreaField(_l("Uraian"), validators=[Optional()])
    validity_years = IntegerField(_l("Masa berlaku sertifikasi (tahun; kosong = tidak kedaluwarsa)"),
                                  validators=[Optional(), NumberRange(min=1, max=50)])
    certificate = BooleanField(_l("Terbitkan sertifikat saat program selesai (dan saat sertifikasi ulang)"),
                               default=True)
    courses = TextAreaField(_l("Kode kursus, berurutan, satu per baris"), validators=[DataRequired(REQUIRED)])


class RecertifyForm(FlaskForm):
    nip = StringField(_l("NIP pegawai"), validators=[DataRequired(REQUIRED), Length(max=18)])
    on = DateField(_l("Tanggal sertifikasi ulang"), validators=[DataRequired(_l("Tanggal tidak valid."))])
