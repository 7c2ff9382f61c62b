"""`flask corpu ...` commands and the CMB demo data (standards, assessments, ratings, a budget)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db

#: Demo position standards (jabatan -> {competency: required level}).
DEMO_STANDARDS = {
    "Pranata Komputer Ahli Pertama": {"MJ-INT": 2, "MJ-KS": 2, "MJ-KOM": 2, "MJ-OPH": 2, "MJ-PP": 2, "MJ-PDOL": 1,
                                      "MJ-MP": 2, "MJ-PK": 1, "SK-PB": 2, "TEK-LITDIG": 3},
    "Analis Kebijakan": {"MJ-INT": 3, "MJ-KS": 3, "MJ-KOM": 3, "MJ-OPH": 3, "MJ-PP": 3, "MJ-PDOL": 2, "MJ-MP": 3,
                         "MJ-PK": 3, "SK-PB": 3, "TEK-LITDIG": 2},
    "Penata Laporan Keuangan": {"MJ-INT": 2, "MJ-KS": 2, "MJ-KOM": 2, "MJ-OPH": 2, "MJ-PP": 2, "MJ-PDOL": 1,
                                "MJ-MP": 1, "MJ-PK": 2, "SK-PB": 2, "TEK-KEUDA": 3},
    "Analis Keuangan Pusat dan Daerah": {"MJ-INT": 3, "MJ-KOM": 3, "MJ-PK": 3, "TEK-KEUDA": 4, "PEM-OTDA": 3},
    "Kepala Bidang": {"MJ-INT": 3, "MJ-KS": 3, "MJ-KOM": 3, "MJ-OPH": 3, "MJ-PP": 3, "MJ-PDOL": 3, "MJ-MP": 3,
                      "MJ-PK": 3, "SK-PB": 3, "PEM-OTDA": 3},
}
#: Demo learner `peserta`: assessment-centre results.
PESERTA_LEVELS = {"MJ-INT": 2, "MJ-KS": 2, "MJ-KOM": 1, "MJ-OPH": 2, "MJ-PP": 2, "MJ-PDOL": 1, "MJ-MP": 1,
                  "MJ-PK": 1, "SK-PB": 2, "TEK-LITDIG": 1}


def seed_demo() -> None:
    """Idempotent: standards for the demo positions, assessments for every demo employee,
    talent ratings for 2025, the province's APBD."""
    from app.accounts.models import Position, Unit, User
    from app.accounts.operations import get_or_create_position
    from app.corpu import operations as ops
    from app.corpu.models import Assessment, TalentRating, TrainingBudget

    for jabatan, levels in DEMO_STANDARDS.items():
        position = db.session.scalar(select(Position).where(Position.name == jabatan)) or get_or_create_position(jabatan)
        for code, level in levels.items():
            comp = ops.competency_by_code(code)
            if comp is not None:
                ops.set_standard(position, comp, level)
    people = db.session.scalars(select(User).where(User.nip.is_not(None)).order_by(User.id)).all()
    if db.session.scalar(select(Assessment.id).limit(1)) is None:
        on = date(date.today().year - 1, 11, 15) if date.today().month < 12 else date(date.today().year, 1, 15)
        for i, person in enumerate(people):
            if person.username == "peserta":
                levels = PESERTA_LEVELS
            elif person.position is not None and person.position.name in DEMO_STANDARDS:
                # a spread of results: most people one level short somewhere, some meeting the standard
                levels = {code: max(1, req - ((i + k) % 3 == 0) - ((i * k) % 5 == 0))
                          for k, (code, req) in enumerate(DEMO_STANDARDS[person.position.name].items())}
            else:
                continue
            for code, level in levels.items():
                ops.record_assessment(person, ops.get_competency(code), level, on, "assessment_centre")
    period = str(date.today().year - 1)
    if db.session.scalar(select(TalentRating.id).limit(1)) is None:
        ratings = ("low", "medium", "high")
        for i, person in enumerate(people):
            db.session.add(TalentRating(user_id=person.id, period=period, kinerja=ratings[(i * 2 + 1) % 3],
                                        potensi=ratings[(i + i // 3) % 3]))
    instansi = db.session.scalar(select(Unit).where(Unit.code == "MALUT"))
    if instansi is not None and db.session.scalar(select(TrainingBudget.id).where(
            TrainingBudget.unit_id == instansi.id)) is None:
        ops.set_budget(instansi, date.today().year, "3200000000000")  # Rp3,2 triliun
    db.session.flush()


@click.group("corpu")
def corpu_group() -> None:
    """Competencies, standards, assessments and certifications (CMB)."""


def _run_import(kind: str, path: str) -> None:
    from app.accounts.queries import Reach
    from app.corpu import operations as ops
    from app.errors import LenteraError

    data = Path(path).read_bytes()
    try:
        if kind == "competencies":
            result = ops.import_competencies(path, data)
        elif kind == "standards":
            result = ops.import_standards(path, data)
        else:
            result = ops.import_assessments(path, data, Reach(everything=True))
    except LenteraError as exc:
        db.session.rollback()
        click.echo(exc.message, err=True)
        for d in exc.details:
            click.echo(f"  baris {d.get('row')}, kolom {d.get('column')}: {d.get('message')}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(", ".join(f"{k}: {v}" for k, v in result.items()))


@corpu_group.command("import")
@click.argument("kind", type=click.Choice(["competencies", "standards", "assessments"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_cmd(kind: str, path: str) -> None:
    """Import a CSV/XLSX file of competencies, position standards or assessments (all or nothing)."""
    _run_import(kind, path)


@corpu_group.command("notify-expiring")
@with_appcontext
def notify_expiring_cmd() -> None:
    """Tell holders of certifications that expire soon (also run periodically by the scheduler)."""
    from app.corpu.operations import notify_expiring

    n = notify_expiring()
    db.session.commit()
    click.echo(f"{n} pemberitahuan dibuat")


def register(app: Flask) -> None:
    app.cli.add_command(corpu_group)
