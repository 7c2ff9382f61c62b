"""Monitoring forms: the reminder schedule."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

MONTH_CHOICES = [(i, str(i)) for i in range(1, 13)]


class ScheduleForm(FlaskForm):
    name = StringField(_l("Nama jadwal"), validators=[DataRequired(), Length(max=200)])
    year = IntegerField(_l("Tahun"), validators=[DataRequired(), NumberRange(2000, 2100)])
    kind = SelectField(_l("Cara menentukan tanggal"), choices=[("monthly", _l("Setiap bulan pada tanggal tertentu")),
                                                               ("dates", _l("Daftar tanggal"))])
    day_of_month = IntegerField(_l("Tanggal setiap bulan"), validators=[Optional(), NumberRange(1, 28)], default=1)
    start_month = SelectField(_l("Mulai bulan"), choices=MONTH_CHOICES, coerce=int, default=7)
    end_month = SelectField(_l("Sampai bulan"), choices=MONTH_CHOICES, coerce=int, default=12)
    dates = TextAreaField(_l("Tanggal (YYYY-MM-DD, satu per baris)"), validators=[Optional()])
    unit_id = SelectField(_l("Unit"), coerce=int)
    notify_supervisors = BooleanField(_l("Beri tahu atasan tentang stafnya"), default=True)
