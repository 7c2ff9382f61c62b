from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.richtext import RichTextField

REQUIRED = _l("Wajib diisi.")
FORUM_TYPE_CHOICES = [("general", _l("Forum umum")), ("qanda", _l("Tanya jawab (lihat jawaban lain setelah menjawab)")),
                      ("single", _l("Satu diskusi sederhana")), ("news", _l("Pengumuman (hanya pengajar)"))]


class DiscussionForm(FlaskForm):
    subject = StringField(_l("Judul"), validators=[DataRequired(REQUIRED), Length(max=250)])
    message = RichTextField(_l("Pesan"), validators=[DataRequired(REQUIRED)])
    files = MultipleFileField(_l("Lampiran (paling banyak 5, masing-masing 10 MB)"))


class ReplyForm(FlaskForm):
    message = RichTextField(_l("Balasan"), validators=[DataRequired(REQUIRED)])
    parent_id = HiddenField()
    files = MultipleFileField(_l("Lampiran"))


class EditForm(FlaskForm):
    subject = StringField(_l("Judul"), validators=[Optional(), Length(max=250)])
    message = RichTextField(_l("Pesan"), validators=[DataRequired(REQUIRED)])


class ForumSettingsForm(FlaskForm):
    forum_type = SelectField(_l("Jenis forum"), choices=FORUM_TYPE_CHOICES)
    completion_posts = IntegerField(_l("Selesai setelah menulis … pesan (0 = tidak)"), default=0,
                                    validators=[Optional(), NumberRange(min=0, max=1000)])
    completion_replies = IntegerField(_l("Selesai setelah membalas … kali (0 = tidak)"), default=0,
                                      validators=[Optional(), NumberRange(min=0, max=1000)])


class CommunityForm(FlaskForm):
    name = StringField(_l("Nama komunitas"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = RichTextField(_l("Uraian"), validators=[Optional(), Length(max=20000)])
    competency = StringField(_l("Kode kompetensi (opsional, mis. TEK-KEUDA)"), validators=[Optional(), Length(max=40)])
    open = BooleanField(_l("Terbuka: siapa pun boleh bergabung"), default=True)
    facilitators = TextAreaField(_l("NIP fasilitator (satu per baris)"), validators=[Optional(), Length(max=5000)])
    credit_min_posts = IntegerField(_l("JP NKL12: minimal pesan setahun (0 = tidak dikreditkan)"), default=0,
                                    validators=[Optional(), NumberRange(min=0, max=100000)])
    credit_minutes = IntegerField(_l("… dikreditkan sebagai menit belajar"), default=0,
                                  validators=[Optional(), NumberRange(min=0, max=100000)])


class InviteForm(FlaskForm):
    nip = StringField(_l("NIP"), validators=[DataRequired(REQUIRED), Length(max=30)])
    facilitator = BooleanField(_l("Sebagai fasilitator"))


class FileForm(FlaskForm):
    file = FileField(_l("Berkas (paling besar 10 MB)"))
