"""`flask content import PATH` and the demo courses: content/ imported, the demo learner enrolled."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from app.accounts.queries import user_by_username
from app.courses.operations import enrol, get_enrolment
from app.courses.package import import_package, load_manifest
from app.courses.queries import course_by_code
from app.errors import LenteraError
from app.extensions import db

CONTENT_DIR = Path(__file__).resolve().parent.parent.parent / "content"


@click.group("content")
def content_group() -> None:
    """Course packages."""


@content_group.command("import")
@click.argument("path", type=click.Path(exists=True))
@click.option("--owner", default=None, help="Username of the course owner (new courses).")
@with_appcontext
def content_import(path: str, owner: str | None) -> None:
    """Import a course package (a folder or a zip). Re-importing the same code updates the course."""
    owner_user = user_by_username(owner) if owner else None
    if owner and owner_user is None:
        raise click.ClickException(f"Pengguna tidak ditemukan: {owner}")
    try:
        course, created = import_package(path, owner_user)
        db.session.commit()
    except LenteraError as exc:
        db.session.rollback()
        lines = [exc.message] + [f"  {d.get('file') or ''}{':' + str(d['line']) if d.get('line') else ''}: {d['message']}"
                                 for d in exc.details]
        raise click.ClickException("\n".join(lines)) from None
    click.echo(f"Kursus {course.code} \u201c{course.title}\u201d {'dibuat' if created else 'diperbarui'} (id {course.id}).")


def package_dirs() -> list[Path]:
    return sorted(p for p in CONTENT_DIR.iterdir() if (p / "course.yaml").is_file()) if CONTENT_DIR.is_dir() else []


def seed_demo() -> None:
    """Import every package in content/ whose course is not there yet, and enrol `peserta` in
    LITDIG-01. Idempotent: a second run changes nothing (`content import` updates a course on purpose)."""
    owner = user_by_username("instruktur")
    for path in package_dirs():
        code = (load_manifest((path / "course.yaml").read_text(encoding="utf-8")) or {}).get("code")
        if code and course_by_code(code) is not None:
            continue
        import_package(path, owner)
    db.session.flush()
    learner = user_by_username("peserta")
    course = course_by_code("LITDIG-01")
    if learner is not None and course is not None and get_enrolment(course, learner) is None:
        enrol(course, learner, method="manual")
    db.session.flush()


def register(app: Flask) -> None:
    app.cli.add_command(content_group)
