from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.numbers import NumberField

REQUIRED = _l("Wajib diisi.")


class LengthMixin:
    days = IntegerField(_l("Jumlah hari (seminar, workshop)"),
                        validators=[Optional(), NumberRange(min=1, max=366, message=_l("1 sampai 366."))])
    minutes = IntegerField(_l("Lama kegiatan dalam menit (coaching, mentoring, e-learning, …)"),
                           validators=[Optional(), NumberRange(min=1, max=1_000_000, message=_l("Minimal 1."))])
    stated_jp = NumberField(_l("JP menurut kurikulum / sertifikat"), places=2,
                             validators=[Optional(), NumberRange(min=0.01, max=10000, message=_l("Lebih dari 0."))])
    international = BooleanField(_l("Kegiatan internasional"))


class ClaimForm(LengthMixin, FlaskForm):
    rule = SelectField(_l("Jenis kegiatan"), validators=[DataRequired(REQUIRED)])
    title = StringField(_l("Nama kegiatan"), validators=[DataRequired(REQUIRED), Length(max=250)])
    organiser = StringField(_l("Penyelenggara"), validators=[DataRequired(REQUIRED), Length(max=250)])
    start_date = DateField(_l("Tanggal mulai"), validators=[DataRequired(_l("Isi tanggal (YYYY-MM-DD)."))])
    end_date = DateField(_l("Tanggal selesai"), validators=[DataRequired(_l("Isi tanggal (YYYY-MM-DD)."))])
    certificate_number = StringField(_l("Nomor sertifikat (jika ada)"), validators=[Optional(), Length(max=100)])
    evidence = FileField(_l("Bukti (PDF, PNG atau JPEG, paling besar 10 MB)"), validators=[FileRequired(REQUIRED)])


class ReviewForm(FlaskForm):
    reason = TextAreaField(_l("Catatan / alasan"), validators=[Optional(), Length(max=2000)])


class BatchForm(LengthMixin, FlaskForm):
    rule = SelectField(_l("Jenis pelatihan"), validators=[DataRequired(REQUIRED)])
    title = StringField(_l("Nama pelatihan"), validators=[DataRequired(REQUIRED), Length(max=250)])
    organiser = StringField(_l("Penyelenggara"), validators=[DataRequired(REQUIRED), Length(max=250)])
    start_date = DateField(_l("Tanggal mulai"), validators=[DataRequired(_l("Isi tanggal (YYYY-MM-DD)."))])
    end_date = DateField(_l("Tanggal selesai"), validators=[DataRequired(_l("Isi tanggal (YYYY-MM-DD)."))])


class AttendanceListForm(FlaskForm):
    nips = TextAreaField(_l("NIP peserta (satu per baris)"), validators=[DataRequired(REQUIRED)])


class AttendanceUploadForm(FlaskForm):
    file = FileField(_l("Berkas CSV atau XLSX (kolom nip)"), validators=[FileRequired(REQUIRED)])


class RuleForm(FlaskForm):
    name = StringField(_l("Nama kegiatan"), validators=[DataRequired(REQUIRED), Length(max=200)])
    category = SelectField(_l("Kategori 10:20:70"), choices=[
        ("classical", _l("Klasikal / formal")), ("social", _l("Sosial")), ("experiential", _l("Pengalaman kerja"))])
    unit = SelectField(_l("Satuan"), choices=[("per_day", _l("Per hari")), ("minutes", _l("Menit ÷ menit per JP")),
                                              ("per_curriculum", _l("Menurut kurikulum"))])
    jp_national = NumberField(_l("JP per hari (nasional)"), places=2, validators=[Optional()])
    jp_international = NumberField(_l("JP per hari (internasional)"), places=2, validators=[Optional()])
    international_bonus_pct = IntegerField(_l("Tambahan internasional (%)"), default=0,
                                           validators=[NumberRange(min=0, max=500, message=_l("0 sampai 500."))])
    jenis_diklat_id = SelectField(_l("Jenis diklat SIASN"), coerce=int)
    active = BooleanField(_l("Aktif"))


class ManualEntryForm(FlaskForm):
    nip = StringField(_l("NIP"), validators=[DataRequired(REQUIRED), Length(min=18, max=18, message=_l("18 angka."))])
    kind = SelectField(_l("Jenis"), validators=[DataRequired(REQUIRED)])
    title = StringField(_l("Nama kegiatan"), validators=[DataRequired(REQUIRED), Length(max=250)])
    organiser = StringField(_l("Penyelenggara"), validators=[Optional(), Length(max=250)])
    occurred_on = DateField(_l("Tanggal"), validators=[DataRequired(_l("Isi tanggal (YYYY-MM-DD)."))])
    jp = NumberField(_l("JP"), places=2, validators=[Optional(), NumberRange(min=0.01, message=_l("Lebih dari 0."))])
    minutes = IntegerField(_l("atau menit"), validators=[Optional(), NumberRange(min=1, message=_l("Minimal 1."))])
    certificate_number = StringField(_l("Nomor sertifikat"), validators=[Optional(), Length(max=100)])
    reason = TextAreaField(_l("Keterangan (mis. koreksi dari entri yang dibatalkan)"),
                           validators=[Optional(), Length(max=2000)])


class ReverseForm(FlaskForm):
    reason = TextAreaField(_l("Alasan pembatalan"), validators=[DataRequired(REQUIRED), Length(min=3, max=2000)])


class ExportForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it reads, it changes nothing

    unit = SelectField(_l("Unit"), coerce=int)
    year = IntegerField(_l("Tahun"), validators=[DataRequired(REQUIRED), NumberRange(min=1900, max=2200)])
