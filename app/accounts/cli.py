"""`flask users create` and the demo organisation."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from app.accounts import operations as ops
from app.accounts.models import ROLES
from app.accounts.queries import find_unit_by_name, user_by_nip, user_by_username
from app.errors import LenteraError
from app.extensions import db

DEMO_PASSWORD = "lentera123"
#: (username, password, role) printed by `make run` and `seed-demo`.
DEMO_LOGINS = [
    ("admin", DEMO_PASSWORD, "admin"),
    ("bpsdm", DEMO_PASSWORD, "bpsdm"),
    ("instruktur", DEMO_PASSWORD, "instructor"),
    ("peserta", DEMO_PASSWORD, "learner"),
    ("atasan", DEMO_PASSWORD, "supervisor"),
]

INSTANSI = "Pemerintah Provinsi Maluku Utara"
DEMO_UNITS = {
    "Badan Pengembangan Sumber Daya Manusia": ["Bidang Pengembangan Kompetensi Manajerial",
                                               "Bidang Sertifikasi Kompetensi"],
    "Dinas Komunikasi, Informatika dan Persandian": ["Bidang Aplikasi Informatika", "Bidang Persandian"],
    "Badan Pengelolaan Keuangan dan Aset Daerah": ["Bidang Anggaran", "Bidang Akuntansi"],
    "Dinas Penanaman Modal dan PTSP": ["Bidang Pelayanan Perizinan"],
    "Inspektorat Daerah": [],
    "Dinas Kesehatan": ["Bidang Pelayanan Kesehatan"],
}
POSITIONS = ["Analis Kebijakan", "Pranata Komputer Ahli Pertama", "Analis Keuangan Pusat dan Daerah",
             "Penata Laporan Keuangan", "Auditor Ahli Muda", "Pengelola Layanan Operasional",
             "Kepala Bidang", "Perencana Ahli Muda"]
GIVEN = ["Ahmad", "Siti", "Rahmat", "Nurhayati", "Yusuf", "Fatimah", "Hendra", "Maria", "Abdul", "Dewi",
         "Irfan", "Yohana", "Samsul", "Rina", "Muhammad", "Sarah", "Fadli", "Agustina", "Ridwan", "Wati"]
FAMILY = ["Sangadji", "Tomagola", "Hasan", "Umasangadji", "Lamadi", "Syah", "Papilaya", "Kaidati",
          "Djafar", "Ternate", "Abbas", "Marasabessy"]


def demo_nip(i: int) -> str:
    """A well-formed, deterministic NIP for demo employee number i."""
    year = 1970 + (i * 7) % 30
    month = 1 + (i * 5) % 12
    day = 1 + (i * 11) % 28
    start = min(year + 22 + i % 8, 2024)
    gender = 1 + i % 2
    return f"{year:04d}{month:02d}{day:02d}{start:04d}{1 + i % 12:02d}{gender}{100 + i % 900:03d}"


def seed_demo() -> None:
    """Pemerintah Provinsi Maluku Utara: BPSDM and five OPD, 48 employees, one user per role."""
    instansi = find_unit_by_name(INSTANSI, None) or ops.create_unit(INSTANSI, None, "instansi", "MALUT")
    units = []
    for opd, subs in DEMO_UNITS.items():
        unit = find_unit_by_name(opd, instansi) or ops.create_unit(opd, instansi)
        units.append(unit)
        for sub in subs:
            units.append(find_unit_by_name(sub, unit) or ops.create_unit(sub, unit))
    bpsdm_unit = find_unit_by_name("Badan Pengembangan Sumber Daya Manusia", instansi)
    kominfo = find_unit_by_name("Dinas Komunikasi, Informatika dan Persandian", instansi)

    def ensure(username, name, roles, unit, nip, position, scopes=None):
        user = user_by_username(username)
        if user is None:
            user = ops.create_user(username, password=DEMO_PASSWORD, name=name, nip=nip, unit=unit,
                                   position=position, golongan="III/c", employment_type="PNS",
                                   email=f"{username}@malutprov.go.id")
            ops.set_roles(user, roles, scopes)
        return user

    ensure("admin", "Administrator Lentera", ["admin"], bpsdm_unit, None, None, {"admin": None})
    ensure("bpsdm", "Nurlela Hasan, S.Sos.", ["bpsdm"], bpsdm_unit, "198503122010012003",
           "Analis Kebijakan", {"bpsdm": instansi})
    ensure("instruktur", "Dr. Rusdi Abubakar, M.Si.", ["instructor"], bpsdm_unit, "197804042005011002",
           "Widyaiswara Ahli Madya")
    atasan = ensure("atasan", "Ir. Hamid Tomagola", ["learner"], kominfo, "197501202000031001", "Kepala Bidang")
    if kominfo.head_id is None:
        ops.update_unit(kominfo, head=atasan)
    ensure("peserta", "Siti Rahma Sangadji", ["learner"], kominfo, "199208172019032011",
           "Pranata Komputer Ahli Pertama")
    leaf_units = [u for u in units if u.id != bpsdm_unit.id]
    for i in range(48):
        nip = demo_nip(i)
        if user_by_username(nip) is None and user_by_nip(nip) is None:
            name = f"{GIVEN[i % len(GIVEN)]} {FAMILY[(i * 7) % len(FAMILY)]}"
            ops.create_user(nip, password=DEMO_PASSWORD, name=name, nip=nip, unit=leaf_units[i % len(leaf_units)],
                            position=POSITIONS[i % len(POSITIONS)], golongan=["II/c", "III/a", "III/b", "III/d", "IV/a"][i % 5],
                            employment_type="PPPK" if i % 6 == 0 else "PNS")
    db.session.flush()


@click.group("users")
def users_group() -> None:
    """Manage user accounts."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), default=["learner"], show_default=True,
              help="May be given several times.")
@click.option("--password", required=True)
@click.option("--name")
@click.option("--nip")
@click.option("--unit", help="Unit name or code.")
@with_appcontext
def users_create(username, roles, password, name, nip, unit) -> None:
    """Create a user with roles."""
    from sqlalchemy import func, or_, select

    from app.accounts.models import Unit

    unit_obj = None
    if unit:
        unit_obj = db.session.scalar(select(Unit).where(or_(func.lower(Unit.name) == unit.lower(), Unit.code == unit)))
        if unit_obj is None:
            raise click.ClickException(f"Unit tidak ditemukan: {unit}")
    try:
        user = ops.create_user(username, password=password, name=name, nip=nip, unit=unit_obj, roles=list(roles))
        db.session.commit()
    except LenteraError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Pengguna {user.username} dibuat dengan peran {', '.join(user.role_names)}.")


@click.group("units")
def units_group() -> None:
    """The organisation: instansi > unit kerja > sub-units (the first day, scripted)."""


def _unit_arg(key: str):
    from sqlalchemy import select

    from app.accounts.models import Unit
    from app.inputs import is_digits

    unit = db.session.get(Unit, int(key)) if is_digits(key) and len(key) < 10 else \
        db.session.scalar(select(Unit).where(Unit.code == key))
    if unit is None:
        raise click.ClickException(f"Unit tidak ditemukan: {key}")
    return unit


def _run(change):
    try:
        result = change()
        db.session.commit()
    except LenteraError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    return result


@units_group.command("list")
@with_appcontext
def units_list() -> None:
    """Every unit, top down: id, code, kind and name (indented by depth)."""
    from sqlalchemy import select

    from app.accounts.models import Unit

    for unit in db.session.scalars(select(Unit).order_by(Unit.path)):
        depth = unit.path.strip("/").count("/")
        click.echo(f"{unit.id:>6}  {unit.code or '-':<14} {unit.kind:<9} {'  ' * depth}{unit.name}")


@units_group.command("create")
@click.argument("name")
@click.option("--parent", help="Id or code of the parent unit; without it, a new instansi.")
@click.option("--code", help="A short unique code (e.g. DISKOMINFO).")
@with_appcontext
def units_create(name, parent, code) -> None:
    """Add a unit (an instansi when --parent is left out)."""
    parent_unit = _unit_arg(parent) if parent else None
    unit = _run(lambda: ops.create_unit(name, parent_unit, code=(code or "").strip() or None))
    click.echo(f"Unit {unit.id} dibuat: {unit.name} ({unit.kind}).")


@units_group.command("rename")
@click.argument("unit")
@click.argument("name")
@click.option("--code", help="A new code; an empty string removes it.")
@with_appcontext
def units_rename(unit, name, code) -> None:
    """Rename a unit (id or code), and optionally re-code it."""
    target = _unit_arg(unit)
    _run(lambda: ops.update_unit(target, name=name, code=code))
    click.echo(f"Unit {target.id} sekarang: {target.name}.")


@units_group.command("move")
@click.argument("unit")
@click.option("--parent", help="Id or code of the new parent.")
@click.option("--top", is_flag=True, help="Move to the top (the unit becomes an instansi).")
@with_appcontext
def units_move(unit, parent, top) -> None:
    """Move a unit, with everything below it, under another parent (or to the top)."""
    if bool(parent) == bool(top):
        raise click.ClickException("Sebutkan salah satu: --parent ID atau --top.")
    target = _unit_arg(unit)
    new_parent = None if top else _unit_arg(parent)
    _run(lambda: ops.update_unit(target, parent=new_parent))
    click.echo(f"Unit {target.id} dipindah: {target.path}")


def register(app: Flask) -> None:
    app.cli.add_command(users_group)
    app.cli.add_command(units_group)
