"""Evaluation reports as XLSX, through the house's export helper: the same numbers as the page,
and for an anonymous survey no row that names a person."""

from __future__ import annotations

from flask_babel import gettext as _

from app.evaluation.queries import InstructorReport, SummaryRow, SurveyReport
from app.monitoring.exports import Table, xlsx_bytes


def _safe(value):
    """Text a person wrote, never read as a formula by a spreadsheet (=, +, -, @ lead a formula)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _dist(d: dict[str, int] | None) -> str:
    return "; ".join(f"{k}: {v}" for k, v in (d or {}).items())


def course_report_xlsx(rep: SurveyReport) -> bytes:
    summary = Table(_("Ringkasan"), [_("Keterangan"), _("Nilai")], [
        [_("Survei"), _safe(rep.survey.activity.title)],
        [_("Kursus"), _safe(rep.survey.activity.course.title)],
        [_("Anonim"), _("ya") if rep.survey.anonymous else _("tidak")],
        [_("Responden"), rep.responses],
        [_("Peserta"), rep.invited],
        [_("Tingkat respons (%)"), rep.rate if rep.rate is not None else "—"],
    ] + ([[_("Catatan"), _("Responden kurang dari batas minimum: hanya jumlah yang ditampilkan.")]]
         if rep.suppressed else []))
    questions = Table(_("Pertanyaan"), [_("Kelompok"), _("Pertanyaan"), _("Pengajar"), _("Jenis"), _("n"),
                                        _("Rata-rata"), _("Sebaran")],
                      [[_safe(s.question.group), _safe(s.question.text), _safe(s.instructor.name) if s.instructor else "",
                        s.question.kind,
                        s.count, s.average if s.average is not None else "", _dist(s.distribution)]
                       for s in rep.stats])
    comments = Table(_("Komentar"), [_("Pertanyaan"), _("Pengajar"), _("Komentar")],
                     [[_safe(s.question.text), _safe(s.instructor.name) if s.instructor else "", _safe(text)]
                      for s in rep.stats for text in s.comments])
    tables = [summary, questions, comments]
    if rep.respondents is not None:
        tables.append(Table(_("Responden"), [_("NIP"), _("Nama"), _("Waktu")],
                            [[nip or "", _safe(name), at.strftime("%Y-%m-%d %H:%M")] for nip, name, at in rep.respondents]))
    return xlsx_bytes(*tables)


def instructor_report_xlsx(rep: InstructorReport) -> bytes:
    return xlsx_bytes(
        Table(_("Per kursus"), [_("Kursus"), _("Tahun"), _("Responden"), _("Rata-rata")],
              [[_safe(c.title), c.year or "", c.respondents, c.average if c.average is not None else _("hanya jumlah")]
               for c in rep.courses]),
        Table(_("Per aspek"), [_("Aspek"), _("n"), _("Rata-rata"), _("Sebaran")],
              [[_safe(i.text), i.count, i.average if i.average is not None else "", _dist(i.distribution)] for i in rep.items]),
        Table(_("Per tahun"), [_("Tahun"), _("Responden"), _("Rata-rata")],
              [[y, n, a if a is not None else ""] for y, n, a in rep.years]),
        Table(_("Komentar"), [_("Kursus"), _("Komentar")], [[_safe(t), _safe(c)] for t, c in rep.comments]),
    )


def summary_xlsx(rows: list[SummaryRow], by: str) -> bytes:
    label = _("Penyelenggara") if by == "organiser" else _("Unit kerja")
    return xlsx_bytes(Table(_("Ringkasan"), [label, _("Tahun"), _("Responden"), _("Jawaban skala"), _("Rata-rata (1–5)")],
                            [[_safe(r.key), r.year, r.respondents, r.answers,
                              r.average if r.average is not None else _("hanya jumlah")] for r in rows]))
