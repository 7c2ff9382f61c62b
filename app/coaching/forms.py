from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

REQUIRED = _l("Wajib diisi.")


class EngagementForm(FlaskForm):
    kind = SelectField(_l("Jenis"), choices=[("coaching", _l("Coaching")), ("mentoring", _l("Mentoring"))])
    learner_nip = StringField(_l("NIP peserta"), validators=[DataRequired(REQUIRED), Length(max=30)])
    coach_nip = StringField(_l("NIP coach / mentor (biasanya atasan, atau pegawai senior)"),
                            validators=[DataRequired(REQUIRED), Length(max=30)])
    links = SelectMultipleField(_l("Kaitkan dengan kesenjangan kompetensi / rencana pengembangan"), choices=[],
                                validate_choice=False)
    goals = TextAreaField(_l("Tujuan (satu per baris)"), validators=[Optional(), Length(max=20000)])


class SessionForm(FlaskForm):
    held_on = DateField(_l("Tanggal sesi"), validators=[DataRequired(_l("Isi tanggal (YYYY-MM-DD)."))])
    # The upper bound (a day) is the operation's rule, so the page and the API say the same thing.
    minutes = IntegerField(_l("Durasi (menit)"), validators=[DataRequired(REQUIRED),
                                                            NumberRange(min=1, message=_l("Minimal 1 menit."))])
    topics = TextAreaField(_l("Topik yang dibahas"), validators=[DataRequired(REQUIRED), Length(max=5000)])
    actions = TextAreaField(_l("Tindak lanjut yang disepakati"), validators=[Optional(), Length(max=5000)])
