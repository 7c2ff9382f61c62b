from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Alasan pencabutan"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=2000)])


class ReissueForm(FlaskForm):
    holder_name = StringField(_l("Nama pada sertifikat baru (kosongkan: nama di profil)"),
                              validators=[Optional(), Length(max=200)])


class ZipForm(FlaskForm):
    course_id = SelectField(_l("Kursus"), coerce=int, validators=[Optional()])
    unit_id = SelectField(_l("Unit kerja"), coerce=int, validators=[Optional()])
    date_from = DateField(_l("Terbit sejak"), validators=[Optional()])
    date_to = DateField(_l("Terbit sampai"), validators=[Optional()])


class TemplateForm(FlaskForm):
    heading = StringField(_l("Judul"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=120)])
    serial_format = StringField(_l("Format nomor"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=120)])
    serial_code = StringField(_l("Kode instansi pada nomor"), validators=[DataRequired(_l("Wajib diisi.")),
                                                                         Length(max=40)])
    place_of_issue = StringField(_l("Tempat terbit"), validators=[Optional(), Length(max=120)])
    signatory_name = StringField(_l("Nama penandatangan"), validators=[Optional(), Length(max=200)])
    signatory_position = StringField(_l("Jabatan penandatangan"), validators=[Optional(), Length(max=200)])
    signatory_nip = StringField(_l("NIP penandatangan"), validators=[Optional(), Length(max=18)])
    validity_years = IntegerField(_l("Masa berlaku (tahun; kosong = selamanya)"),
                                  validators=[Optional(), NumberRange(1, 50)])
    background = FileField(_l("Gambar latar (PNG/JPEG, A4 mendatar)"))
    logo = FileField(_l("Logo (PNG/JPEG)"))
    signature = FileField(_l("Gambar tanda tangan (PNG transparan)"))
    layout_json = TextAreaField(_l("Tata letak (JSON: kolom → x, y, size, align)"), validators=[Optional()])
