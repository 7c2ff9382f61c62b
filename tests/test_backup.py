"""`flask backup` / `flask restore`: every table and every stored file round-trip, on both backends."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.accounts.models import Unit, User
from app.courses.models import Course
from app.extensions import db
from app.storage import get_storage
from tests.conftest import count
from tests.factories import enrol_all, make_course


def test_backup_and_restore_round_trip(app, org, tmp_path):
    course = make_course(org.instructor, title="Kursus Cadangan", jp="2.5")
    enrol_all(course, org.learner_a1)
    get_storage().put_bytes("files/panduan.pdf", b"%PDF-1.4 isi")
    db.session.commit()
    users_before = {u.username: (u.nip, u.unit_id) for u in db.session.scalars(select(User))}
    head_before, unit_a = org.a.head_id, org.a.id
    course_id = course.id

    runner = app.test_cli_runner()
    archive = tmp_path / "cadangan.tar.gz"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output

    # Damage: a user gone, a course changed, a file lost, a new unit.
    db.session.delete(db.session.get(Course, course_id))
    db.session.add(Unit(name="Unit Liar", path="/999/", kind="unit"))
    db.session.commit()
    get_storage().delete("files/panduan.pdf")

    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert {u.username: (u.nip, u.unit_id) for u in db.session.scalars(select(User))} == users_before
    restored = db.session.scalar(select(Course).where(Course.title == "Kursus Cadangan"))
    assert restored.jp == Decimal("2.5")
    assert db.session.scalar(select(Unit).where(Unit.name == "Unit Liar")) is None
    assert db.session.get(Unit, unit_a).head_id == head_before
    assert get_storage().read_bytes("files/panduan.pdf") == b"%PDF-1.4 isi"
    # New rows after a restore get fresh ids (sequences were reset past the restored rows).
    db.session.add(Unit(name="Unit Baru", path="/", kind="unit"))
    db.session.commit()
    assert count(Unit) == 5


def test_restore_refuses_a_file_that_is_not_a_backup(app, tmp_path):
    bad = tmp_path / "bukan.tar.gz"
    bad.write_bytes(b"bukan arsip")
    result = app.test_cli_runner().invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code != 0
