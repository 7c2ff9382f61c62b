"""`flask --app wsgi quizzes ...`: import and export a course's question bank, close overdue attempts."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.courses.models import Course
from app.errors import LenteraError
from app.extensions import db

quizzes_group = AppGroup("quizzes", help="Bank soal dan kuis.")


def _course(code: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.code == code))
    if course is None:
        raise click.ClickException(f"Kursus dengan kode {code} tidak ditemukan.")
    return course


@quizzes_group.command("import")
@click.argument("course_code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--category", default=None, help="Kategori bawaan untuk soal tanpa $CATEGORY.")
@click.option("--on-error", "on_error", type=click.Choice(["stop", "skip"]), default="stop", show_default=True,
              help="stop: satu soal salah menolak seluruh berkas; skip: simpan yang baik, daftar yang dilewati.")
def import_command(course_code: str, path: Path, category: str | None, on_error: str) -> None:
    """Impor berkas GIFT atau Moodle XML ke bank soal kursus."""
    from app.quizzes import operations as ops

    course = _course(course_code)
    data = path.read_bytes()
    try:
        report = ops.import_bank(course, data, ops.detect_format(None, path.name, data), category=category,
                                 on_error=on_error)
    except LenteraError as exc:
        db.session.rollback()
        for d in exc.details:
            click.echo(_where(path, d), err=True)
        raise click.ClickException(exc.message) from None
    db.session.commit()
    for d in report.skipped:
        click.echo(_where(path, d) + " (dilewati)", err=True)
    click.echo(f"{len(report.questions)} soal diimpor ke kategori {report.category}"
               + (f"; {len(report.skipped)} soal dilewati." if report.skipped else "."))


def _where(path: Path, d: dict) -> str:
    """`file:line: element message`, the shape compilers use, so editors can jump to it."""
    return f"{path}:{d.get('line') or ''}: {d.get('element') or ''} {d['message']}".replace("  ", " ")


@quizzes_group.command("export")
@click.argument("course_code")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["xml", "gift"]), default=None,
              help="xml (Moodle XML) atau gift; bawaan: dari akhiran nama berkas, selain itu xml.")
def export_command(course_code: str, path: Path, fmt: str | None) -> None:
    """Ekspor bank soal kursus sebagai Moodle XML atau GIFT."""
    from app.quizzes.gift import export_gift
    from app.quizzes.moodle_xml import export_moodle_xml
    from app.quizzes.queries import bank_for_export

    rows = bank_for_export(_course(course_code))
    fmt = fmt or ("gift" if path.suffix.lower() in (".gift", ".txt") else "xml")
    if fmt == "gift":
        path.write_text(export_gift(rows), encoding="utf-8")
    else:
        path.write_bytes(export_moodle_xml(rows))
    click.echo(f"{len(rows)} soal diekspor ke {path}.")


@quizzes_group.command("close-overdue")
def close_overdue_command() -> None:
    """Tutup dan nilai percobaan yang melewati batas waktu (biasanya dijalankan penjadwal)."""
    from app.quizzes.operations import close_overdue

    click.echo(f"{close_overdue()} percobaan ditutup.")


def register(app: Flask) -> None:
    app.cli.add_command(quizzes_group)
