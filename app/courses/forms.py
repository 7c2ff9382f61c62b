from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.richtext import RichTextField

MODE_CHOICES = [("online", _l("Daring (online)")), ("classroom", _l("Klasikal (tatap muka)")),
                ("blended", _l("Campuran (blended)"))]
TRAINING_TYPE_CHOICES = [("", "—"), ("teknis", _l("Teknis")), ("fungsional", _l("Fungsional")),
                         ("manajerial", _l("Manajerial")), ("struktural", _l("Struktural / kepemimpinan")),
                         ("sosial_kultural", _l("Sosial kultural")), ("sosialisasi", _l("Sosialisasi")),
                         ("bimtek", _l("Bimbingan teknis")), ("workshop", _l("Workshop / lokakarya")),
                         ("seminar", _l("Seminar")), ("magang", _l("Magang"))]
REQUIRED = DataRequired(_l("Wajib diisi."))


class CourseForm(FlaskForm):
    title = StringField(_l("Judul"), validators=[REQUIRED, Length(max=250)])
    code = StringField(_l("Kode (kosongkan untuk dibuat otomatis)"), validators=[Optional(), Length(max=60)])
    summary = TextAreaField(_l("Ringkasan"), validators=[Optional()])
    jp = StringField(_l("JP (1 JP = 45 menit)"), validators=[REQUIRED])
    mode = SelectField(_l("Mode"), choices=MODE_CHOICES)
    competency_lines = TextAreaField(_l("Kompetensi yang dilayani (satu per baris: KODE:LEVEL, mis. TEK-LITDIG:2)"),
                                 validators=[Optional()])
    organiser = StringField(_l("Penyelenggara"), validators=[Optional(), Length(max=250)])
    training_type = SelectField(_l("Jenis pelatihan (SIASN)"), choices=TRAINING_TYPE_CHOICES)
    start_date = DateField(_l("Tanggal mulai"), validators=[Optional()])
    end_date = DateField(_l("Tanggal selesai"), validators=[Optional()])
    self_enrol = BooleanField(_l("Peserta boleh mendaftar sendiri"))
    certificate = BooleanField(_l("Terbitkan sertifikat saat selesai"))
    published = BooleanField(_l("Terbit (tampil di katalog)"))


class SectionForm(FlaskForm):
    title = StringField(_l("Judul bagian"), validators=[REQUIRED, Length(max=250)])


class ActivityForm(FlaskForm):
    title = StringField(_l("Judul"), validators=[REQUIRED, Length(max=250)])
    body = RichTextField(_l("Isi / keterangan"), validators=[Optional()])
    url = StringField(_l("Alamat tautan (https://…)"), validators=[Optional(), Length(max=1000)])
    file = FileField(_l("Berkas"))
    date = StringField(_l("Tanggal dan jam sesi"), validators=[Optional()], render_kw={"type": "datetime-local"})
    place = StringField(_l("Tempat"), validators=[Optional(), Length(max=250)])
    minutes = IntegerField(_l("Durasi (menit)"), validators=[Optional(), NumberRange(min=1, max=6000)])
    required = BooleanField(_l("Wajib untuk menyelesaikan kursus"), default=True)
    visible = BooleanField(_l("Tampil untuk peserta"), default=True)


class EnrolNipForm(FlaskForm):
    nip = StringField(_l("NIP"), validators=[REQUIRED, Length(max=30)])


class EnrolUnitForm(FlaskForm):
    unit_id = SelectField(_l("Unit kerja (beserta sub-unitnya)"), coerce=int)


class EnrolPositionForm(FlaskForm):
    position_id = SelectField(_l("Jabatan"), coerce=int)


class PackageForm(FlaskForm):
    file = FileField(_l("Paket kursus (.zip)"), validators=[FileRequired(_l("Pilih berkas."))])


def parse_competencies(text: str) -> list[tuple[str, int]]:
    """`KODE:LEVEL` per line (level defaults to 1)."""
    from flask_babel import gettext as _

    from app.errors import RuleViolation

    items = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        code, _sep, level = line.partition(":")
        try:
            items.append((code.strip().upper(), int(level.strip() or 1)))
        except ValueError:
            raise RuleViolation(_("Baris %(n)d kompetensi: level harus angka 1–5.", n=n)) from None
    return items
