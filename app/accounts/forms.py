from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class LoginForm(FlaskForm):
    username = StringField(_l("Nama pengguna atau NIP"), validators=[DataRequired(_l("Wajib diisi."))])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(_l("Wajib diisi."))])
    remember = BooleanField(_l("Ingat saya di perangkat ini"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Kata sandi saat ini"), validators=[DataRequired(_l("Wajib diisi."))])
    new = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(_l("Wajib diisi.")),
                                                            Length(min=8, message=_l("Minimal 8 karakter."))])
    confirm = PasswordField(_l("Ulangi kata sandi baru"),
                            validators=[EqualTo("new", message=_l("Tidak sama dengan kata sandi baru."))])


class ForgotPasswordForm(FlaskForm):
    identifier = StringField(_l("Nama pengguna, NIP atau email"),
                             validators=[DataRequired(_l("Wajib diisi.")), Length(max=200)])


class ResetPasswordForm(FlaskForm):
    new = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(_l("Wajib diisi.")),
                                                            Length(min=8, message=_l("Minimal 8 karakter."))])
    confirm = PasswordField(_l("Ulangi kata sandi baru"),
                            validators=[EqualTo("new", message=_l("Tidak sama dengan kata sandi baru."))])


class ProfileForm(FlaskForm):
    email = StringField(_l("Email"), validators=[Optional(), Length(max=200)])
    timezone = SelectField(_l("Zona waktu"), choices=[
        ("Asia/Jakarta", "WIB (Asia/Jakarta)"), ("Asia/Makassar", "WITA (Asia/Makassar)"),
        ("Asia/Jayapura", "WIT (Asia/Jayapura)")])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UnitForm(FlaskForm):
    name = StringField(_l("Nama unit"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=200)])
    code = StringField(_l("Kode (opsional)"), validators=[Optional(), Length(max=50)])
    parent_id = SelectField(_l("Induk"), coerce=int)
    head_id = SelectField(_l("Kepala unit (atasan langsung)"), coerce=int)
    jp_target = StringField(_l("Target JP per tahun (khusus instansi; kosong = bawaan)"), validators=[Optional()])


class UserForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=80)])
    name = StringField(_l("Nama lengkap"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=200)])
    nip = StringField(_l("NIP"), validators=[Optional(), Length(max=30)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=200)])
    unit_id = SelectField(_l("Unit kerja"), coerce=int)
    position = StringField(_l("Jabatan"), validators=[Optional(), Length(max=200)])
    golongan = StringField(_l("Golongan"), validators=[Optional(), Length(max=10)])
    employment_type = SelectField(_l("Jenis pegawai"), choices=[("", "—"), ("PNS", "PNS"), ("PPPK", "PPPK")])
    roles = MultiCheckboxField(_l("Peran"), choices=[("instructor", _l("Instruktur")), ("bpsdm", _l("BPSDM")),
                                                     ("admin", _l("Admin"))])
    scope_unit_id = SelectField(_l("Jangkauan BPSDM/Admin (unit)"), coerce=int)
    password = PasswordField(_l("Kata sandi baru (kosongkan bila tidak diubah)"), validators=[Optional()])
    active = BooleanField(_l("Akun aktif"), default=True)


class ImportForm(FlaskForm):
    file = FileField(_l("Berkas CSV atau XLSX"), validators=[FileRequired(_l("Pilih berkas."))])
