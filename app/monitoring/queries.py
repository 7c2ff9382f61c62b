"""The read side of monitoring: attainment figures for a year and a unit, drill-down lists,
a person's entries. Every function takes the viewer and answers only within their reach
(`app.accounts.queries.reach`, roles bpsdm/admin).

All figures come from `monitoring_jp_totals` (one row per person and year, kept exact by the
ledger subscriber), so a dashboard over 50,000 employees is one grouped scan of their rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal, or_, select

from app.accounts.models import Position, Unit, User
from app.accounts.queries import Reach, reach
from app.errors import BadInput, Forbidden, NotFound
from app.extensions import db
from app.inputs import is_digits
from app.ledger.models import CATEGORIES, LedgerEntry
from app.monitoring.models import MONTHS, JpYearTotal
from app.monitoring.totals import hundredths, to_jp

STAFF_ROLES = ("admin", "bpsdm")
#: The 10:20:70 guidance (BKN), shown beside the actual mix, never enforced.
GUIDANCE = {"classical": 10, "social": 20, "experiential": 70}
#: Histogram edges as fractions of the target: 0, <25%, 25–50%, 50–75%, 75–100%, 100–150%, 150–200%, ≥200%.
BUCKET_EDGES = (Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal("1"), Decimal("1.5"), Decimal("2"))


def local_today() -> date:
    return datetime.now(ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))).date()


def default_year() -> int:
    return local_today().year


def parse_year(value) -> int:
    if value in (None, ""):
        return default_year()
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise BadInput(_("Tahun harus berupa angka, misalnya 2026."), code="invalid_year") from None
    if not 2000 <= year <= 2100:
        raise BadInput(_("Tahun di luar rentang 2000–2100."), code="invalid_year")
    return year


def pct(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def q2(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- targets ------------------------------------------------------------------------------

def default_target() -> Decimal:
    return Decimal(current_app.config.get("JP_TARGET_DEFAULT", 20))


def target_for_unit(unit: Unit | None) -> Decimal:
    """The JP target of people in `unit`: `jp_target` of its instansi (the root of its path),
    else the site default (setting JP_TARGET_DEFAULT) — the rule of app.ledger.queries.target_for,
    which takes a person; the dashboard needs it for a unit (and in SQL, `_targets_by_unit`)."""
    if unit is None:
        return default_target()
    ids = unit.ancestor_ids()
    root = unit if not ids or ids[0] == unit.id else db.session.get(Unit, ids[0])
    return Decimal(root.jp_target) if root is not None and root.jp_target else default_target()


def target_for_user(user: User) -> Decimal:
    """The ledger's own rule (app.ledger.queries.target_for), as a Decimal."""
    from app.ledger.queries import target_for

    return Decimal(target_for(user))


def _targets_by_unit(paths: list[str]) -> dict[int, Decimal]:
    """{unit_id: target} for every unit under `paths` whose target differs from the default."""
    roots = {u.id: u.jp_target for u in db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)))}
    default = default_target()
    special_roots = {rid: Decimal(t) for rid, t in roots.items() if t and Decimal(t) != default}
    if not special_roots:
        return {}
    out = {}
    stmt = select(Unit.id, Unit.path)
    if paths:
        stmt = stmt.where(or_(*[Unit.path.startswith(p, autoescape=True) for p in paths]))
    for uid, path in db.session.execute(stmt):
        root_id = int(path.strip("/").split("/")[0])
        if root_id in special_roots:
            out[uid] = special_roots[root_id]
    return out


def _target_expr(targets: dict[int, Decimal]):
    """Each employee's target in hundredths of a JP (the unit of monitoring_jp_totals)."""
    default = hundredths(default_target())
    if not targets:
        return literal(default)
    return case({uid: hundredths(t) for uid, t in targets.items()}, value=User.unit_id, else_=literal(default))


# --- scope and filters --------------------------------------------------------------------

@dataclass
class Filters:
    position_id: int | None = None
    golongan: str | None = None
    employment_type: str | None = None

    @classmethod
    def from_args(cls, args) -> Filters:
        pos = args.get("position") or None
        try:
            position_id = int(pos) if pos else None
        except ValueError:
            raise BadInput(_("Jabatan tidak dikenal."), code="invalid_position") from None
        et = (args.get("employment_type") or "").strip().upper() or None
        if et and et not in ("PNS", "PPPK"):
            raise BadInput(_("Jenis kepegawaian harus PNS atau PPPK."), code="invalid_employment_type")
        return cls(position_id, (args.get("golongan") or "").strip() or None, et)

    def apply(self, stmt):
        if self.position_id:
            stmt = stmt.where(User.position_id == self.position_id)
        if self.golongan:
            stmt = stmt.where(User.golongan == self.golongan)
        if self.employment_type:
            stmt = stmt.where(User.employment_type == self.employment_type)
        return stmt

    def as_args(self) -> dict:
        return {k: v for k, v in (("position", self.position_id), ("golongan", self.golongan),
                                  ("employment_type", self.employment_type)) if v}


def staff_reach(viewer: User) -> Reach:
    if not viewer.has_role(*STAFF_ROLES):
        raise Forbidden(_("Hanya BPSDM dan admin yang dapat membuka pemantauan JP."))
    return reach(viewer, STAFF_ROLES)


def resolve_unit(viewer: User, value) -> Unit | None:
    """The unit a viewer asked for (id or code), checked against their reach. None = all they reach
    (only meaningful for a site-wide admin; others get the root of their reach)."""
    r = staff_reach(viewer)
    if value in (None, ""):
        if r.everything:
            return None
        if not r.unit_paths:
            raise Forbidden(_("Anda belum diberi cakupan unit untuk pemantauan."))
        root_id = int(r.unit_paths[0].strip("/").split("/")[-1])
        return db.session.get(Unit, root_id)
    unit = None
    if is_digits(str(value)):
        unit = db.session.get(Unit, int(value))
    if unit is None:
        unit = db.session.scalar(select(Unit).where(Unit.code == str(value)))
    if unit is None:
        raise NotFound(_("Unit tidak ditemukan."), code="unit_not_found")
    if not r.covers_unit(unit):
        raise Forbidden(_("Unit ini di luar cakupan Anda."), code="unit_out_of_reach")
    return unit


def _employees_stmt(cols, unit: Unit | None, year: int, filters: Filters):
    """Employees (active users with a NIP) in `unit`'s subtree, outer-joined with their totals."""
    stmt = (select(*cols).select_from(User).join(Unit, User.unit_id == Unit.id)
            .outerjoin(JpYearTotal, and_(JpYearTotal.user_id == User.id, JpYearTotal.year == year))
            .where(User.active.is_(True), User.nip.is_not(None)))
    if unit is not None:
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    return filters.apply(stmt)


# --- the dashboard ------------------------------------------------------------------------

@dataclass
class UnitRow:
    unit: Unit | None
    label: str
    employees: int = 0
    met_target: int = 0
    total_jp: Decimal = Decimal(0)
    below: int = 0

    @property
    def percent(self) -> Decimal:
        return pct(self.met_target, self.employees)

    @property
    def average_jp(self) -> Decimal:
        return q2(self.total_jp / self.employees) if self.employees else Decimal("0.00")


@dataclass
class Dashboard:
    year: int
    unit: Unit | None
    filters: Filters
    target_jp: Decimal | None  # None when the scope mixes instansi with different targets
    employees: int = 0
    met_target: int = 0
    total_jp: Decimal = Decimal(0)
    histogram: list[dict] = field(default_factory=list)
    monthly: list[dict] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)

    @property
    def percent(self) -> Decimal:
        return pct(self.met_target, self.employees)

    @property
    def average_jp(self) -> Decimal:
        return q2(self.total_jp / self.employees) if self.employees else Decimal("0.00")

    @property
    def below_target(self) -> int:
        return self.employees - self.met_target


def _bucket_labels(target: Decimal | None) -> list[str]:
    fr = (Decimal(0),) + BUCKET_EDGES
    labels = ["0"]
    for lo, hi in zip(fr, BUCKET_EDGES, strict=False):
        if target is not None:
            labels.append(f"{_fmt(lo * target)}–<{_fmt(hi * target)}" if lo else f">0–<{_fmt(hi * target)}")
        else:
            labels.append(f"{int(lo * 100)}–<{int(hi * 100)}%" if lo else f">0–<{int(hi * 100)}%")
    labels.append(f"≥{_fmt(BUCKET_EDGES[-1] * target)}" if target is not None else f"≥{int(BUCKET_EDGES[-1] * 100)}%")
    return labels


def _fmt(d: Decimal) -> str:
    text = f"{d.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text or "0"


def dashboard(viewer: User, year: int, unit: Unit | None, filters: Filters | None = None) -> Dashboard:
    """Every figure of the monitoring dashboard for `unit`'s subtree in `year`, one grouped scan."""
    filters = filters or Filters()
    r = staff_reach(viewer)
    if unit is not None and not r.covers_unit(unit):
        raise Forbidden(_("Unit ini di luar cakupan Anda."), code="unit_out_of_reach")
    paths = [unit.path] if unit is not None else ([] if r.everything else list(r.unit_paths))
    targets = _targets_by_unit(paths)
    t = _target_expr(targets)
    jp = func.coalesce(JpYearTotal.jp, 0)

    def count_if(cond):
        return func.count().filter(cond)  # COUNT(*) FILTER (WHERE …): PostgreSQL and SQLite ≥ 3.30

    # Cumulative counts below each histogram edge (edges are fractions of the target: 1/4, 1/2,
    # 3/4, 1, 3/2, 2), integer comparisons only; bucket counts are their differences.
    cols = [User.unit_id, func.count().label("n"), count_if(jp <= 0).label("le0"),
            count_if(jp * 4 < t).label("lt1"), count_if(jp * 2 < t).label("lt2"),
            count_if(jp * 4 < t * 3).label("lt3"), count_if(jp < t).label("lt4"),
            count_if(jp * 2 < t * 3).label("lt5"), count_if(jp < t * 2).label("lt6"),
            func.sum(JpYearTotal.jp).label("total")]
    cols += [func.sum(getattr(JpYearTotal, c)).label(c) for c in CATEGORIES]
    cols += [count_if(getattr(JpYearTotal, f"cum{m:02d}") >= t).label(f"c{m:02d}") for m in MONTHS]
    stmt = _employees_stmt(cols, unit, year, filters)
    if unit is None and not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    rows = db.session.execute(stmt.group_by(User.unit_id)).mappings().all()

    distinct_targets = set(targets.values())
    if unit is not None:
        single = target_for_unit(unit)
    elif not targets:
        single = default_target()
    else:
        single = None if len(distinct_targets | {default_target()}) > 1 else default_target()
    d = Dashboard(year=year, unit=unit, filters=filters, target_jp=single)

    # Roll the per-unit rows up to the children of the chosen unit (the ranked table).
    if unit is not None:
        children = list(db.session.scalars(select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.name)))
    elif r.everything:
        children = list(db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.name)))
    else:
        children = [db.session.get(Unit, int(p.strip("/").split("/")[-1])) for p in r.unit_paths]
    unit_paths = dict(db.session.execute(select(Unit.id, Unit.path).where(
        Unit.id.in_({row["unit_id"] for row in rows}))).all()) if rows else {}
    by_child: dict[int | None, UnitRow] = {c.id: UnitRow(c, c.name) for c in children}
    own = UnitRow(unit, _("(langsung di %(u)s)", u=unit.name) if unit is not None else _("(lainnya)"))
    buckets = [0] * (len(BUCKET_EDGES) + 2)
    cat_totals = {c: 0 for c in CATEGORIES}
    cum = [0] * 12
    for row in rows:
        path = unit_paths.get(row["unit_id"], "")
        target_row = own
        for c in children:
            if path.startswith(c.path):
                target_row = by_child[c.id]
                break
        n = int(row["n"])
        m_ = n - int(row["lt4"] or 0)
        total = to_jp(row["total"])
        target_row.employees += n
        target_row.met_target += m_
        target_row.total_jp += total
        d.employees += n
        d.met_target += m_
        d.total_jp += total
        below_edge = [int(row["le0"] or 0)] + [int(row[f"lt{i}"] or 0) for i in range(1, 7)] + [n]
        for i in range(len(buckets)):
            buckets[i] += below_edge[i] - (below_edge[i - 1] if i else 0)
        for c in CATEGORIES:
            cat_totals[c] += int(row[c] or 0)
        for i in range(12):
            cum[i] += int(row[f"c{i + 1:02d}"] or 0)
    d.total_jp = q2(d.total_jp)
    d.units = sorted([u for u in by_child.values() if u.employees], key=lambda u: (-u.percent, u.label))
    if own.employees:
        d.units.append(own)
    labels = _bucket_labels(single)
    d.histogram = [{"label": labels[i], "employees": n} for i, n in enumerate(buckets)]
    today = local_today()
    last_month = 12 if year < today.year else (0 if year > today.year else today.month)
    d.monthly = [{"month": i + 1, "met_target": cum[i] if i < last_month else None,
                  "percent": pct(cum[i], d.employees) if i < last_month else None} for i in range(12)]
    positive = sum(v for v in cat_totals.values() if v > 0)
    d.categories = [{"category": c, "jp": to_jp(cat_totals[c]),
                     "percent": pct(max(cat_totals[c], 0), positive) if positive else Decimal("0.0"),
                     "guidance": GUIDANCE[c]} for c in CATEGORIES]
    return d


# --- people -------------------------------------------------------------------------------

@dataclass
class PersonRow:
    user_id: int
    name: str
    nip: str | None
    unit: str
    position: str | None
    golongan: str | None
    employment_type: str | None
    jp: Decimal
    target_jp: Decimal

    @property
    def met(self) -> bool:
        return self.jp >= self.target_jp

    @property
    def shortfall(self) -> Decimal:
        return max(self.target_jp - self.jp, Decimal(0))


def people(viewer: User, year: int, unit: Unit | None, filters: Filters | None = None, *,
           below_only: bool = False, page: int | None = None, per_page: int = 50) -> tuple[list[PersonRow], int]:
    """Employees of `unit`'s subtree with their JP for `year` (lowest first); (rows, total)."""
    filters = filters or Filters()
    r = staff_reach(viewer)
    if unit is not None and not r.covers_unit(unit):
        raise Forbidden(_("Unit ini di luar cakupan Anda."), code="unit_out_of_reach")
    paths = [unit.path] if unit is not None else ([] if r.everything else list(r.unit_paths))
    target = _target_expr(_targets_by_unit(paths))
    jp = func.coalesce(JpYearTotal.jp, 0)
    stmt = _employees_stmt([User.id, User.name, User.nip, Unit.name.label("unit_name"), Position.name.label("pos"),
                            User.golongan, User.employment_type, jp.label("jp"), target.label("target")],
                           unit, year, filters).outerjoin(Position, User.position_id == Position.id)
    if unit is None and not r.everything:
        stmt = stmt.where(r.unit_filter(Unit.path))
    if below_only:
        stmt = stmt.where(jp < target)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    stmt = stmt.order_by(jp, User.name, User.id)
    if page is not None:
        stmt = stmt.limit(per_page).offset((page - 1) * per_page)
    rows = [PersonRow(row.id, row.name, row.nip, row.unit_name, row.pos, row.golongan, row.employment_type,
                      to_jp(row.jp), to_jp(row.target)) for row in db.session.execute(stmt)]
    return rows, total


def person_in_reach(viewer: User, user_id: int) -> User:
    r = staff_reach(viewer)
    person = db.session.get(User, user_id)
    if person is None:
        raise NotFound(_("Pegawai tidak ditemukan."))
    if not r.covers(person):
        raise Forbidden(_("Pegawai ini di luar cakupan Anda."), code="person_out_of_reach")
    return person


def person_entries(viewer: User, person: User, year: int) -> list[LedgerEntry]:
    person_in_reach(viewer, person.id)
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == person.id,
                                                             LedgerEntry.year == year)
                                   .order_by(LedgerEntry.occurred_on, LedgerEntry.id)))


def person_total(person: User, year: int) -> Decimal:
    t = db.session.get(JpYearTotal, (person.id, year))
    return to_jp(t.jp) if t else Decimal("0.00")


def unit_trail(unit: Unit | None) -> list[Unit]:
    """The unit's ancestors then itself, for the breadcrumb."""
    if unit is None:
        return []
    ids = unit.ancestor_ids()
    found = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


#: Golongan ruang of PNS (I/a–IV/e) and PPPK (I–XVII): a fixed list, so that the filter does not
#: scan 50,000 employees for their distinct values on every page view.
GOLONGAN = tuple(f"{g}/{r}" for g, rs in (("I", "abcd"), ("II", "abcd"), ("III", "abcd"), ("IV", "abcde"))
                 for r in rs) + ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII",
                                 "XIV", "XV", "XVI", "XVII")


def filter_choices(viewer: User) -> dict:
    positions = list(db.session.execute(select(Position.id, Position.name).order_by(Position.name)))
    return {"positions": positions, "golongan": GOLONGAN, "employment_types": ["PNS", "PPPK"]}


def below_target_people(unit: Unit | None, year: int) -> list[tuple[User, Decimal, Decimal]]:
    """(person, jp, target) for every employee of `unit`'s subtree below target in `year`.
    System use (reminders): no viewer, the caller decided the scope."""
    target = _target_expr(_targets_by_unit([unit.path] if unit is not None else []))
    jp = func.coalesce(JpYearTotal.jp, 0)
    stmt = _employees_stmt([User, jp.label("jp"), target.label("target")], unit, year, Filters())
    stmt = stmt.where(jp < target).order_by(User.id)
    return [(row[0], to_jp(row[1]), to_jp(row[2])) for row in db.session.execute(stmt)]


def recommended_courses(user: User, limit: int = 3) -> list:
    """Published self-enrolment courses the person is neither enrolled in nor has completed,
    smallest JP first (the quickest way to close a gap)."""
    from app.courses.models import Course, CourseCompletion, Enrolment

    enrolled = select(Enrolment.course_id).where(Enrolment.user_id == user.id)
    completed = select(CourseCompletion.course_id).where(CourseCompletion.user_id == user.id)
    stmt = (select(Course).where(Course.published.is_(True), Course.self_enrol.is_(True), Course.jp > 0,
                                 Course.id.not_in(enrolled), Course.id.not_in(completed))
            .order_by(Course.jp, Course.title, Course.id).limit(limit))
    return list(db.session.scalars(stmt))


def attainment_dict(d: Dashboard) -> dict:
    """A dashboard as plain data: the API's answer and the page's chart data."""
    return {
        "year": d.year, "unit": d.unit.name if d.unit else None, "unit_id": d.unit.id if d.unit else None,
        "target_jp": float(d.target_jp) if d.target_jp is not None else None,
        "employees": d.employees, "met_target": d.met_target, "percent": float(d.percent),
        "total_jp": float(d.total_jp), "average_jp": float(d.average_jp),
        "units": [{"unit": u.label, "unit_id": u.unit.id if u.unit else None, "code": u.unit.code if u.unit else None,
                   "employees": u.employees, "met_target": u.met_target, "percent": float(u.percent),
                   "total_jp": float(u.total_jp), "average_jp": float(u.average_jp)} for u in d.units],
        "monthly": [{"month": m["month"], "met_target": m["met_target"],
                     "percent": float(m["percent"]) if m["percent"] is not None else None} for m in d.monthly],
        "categories": [{"category": c["category"], "jp": float(c["jp"]), "percent": float(c["percent"]),
                        "guidance": c["guidance"]} for c in d.categories],
        "histogram": d.histogram,
    }
