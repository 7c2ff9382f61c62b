"""Gap analysis: for each competency the employee's position requires, required − current level."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import Select, and_, bindparam, func, select

from app.accounts.models import User
from app.corpu.models import GROUPS, Competency, CurrentLevel, PositionStandard
from app.extensions import db
from app.home import home_row


@dataclass(frozen=True)
class Gap:
    competency: str  # code
    name: str
    kind: str  # group code: manajerial, sosial_kultural, teknis, pemerintahan
    required_level: int
    current_level: int  # 0 when never assessed

    @property
    def gap(self) -> int:
        """How many levels are missing; 0 when the employee meets or exceeds the standard."""
        return max(self.required_level - self.current_level, 0)

    @property
    def kind_label(self) -> str:
        return GROUPS.get(self.kind, self.kind)

    def as_dict(self) -> dict:
        return {"competency": self.competency, "name": self.name, "kind": self.kind,
                "required_level": self.required_level, "current_level": self.current_level, "gap": self.gap}


def employee_gaps(user: User) -> list[Gap]:
    """Every competency of the employee's position standard, largest gap first (then by code).
    An employee without a position, or whose position has no standard, has no gaps to show."""
    if user.position_id is None:
        return []
    cur = func.coalesce(CurrentLevel.level, 0)
    rows = db.session.execute(
        select(Competency.code, Competency.name, Competency.group, PositionStandard.required_level, cur)
        .join(PositionStandard, PositionStandard.competency_id == Competency.id)
        .outerjoin(CurrentLevel, and_(CurrentLevel.competency_id == Competency.id, CurrentLevel.user_id == user.id))
        .where(PositionStandard.position_id == user.position_id)
    ).all()
    gaps = [Gap(code, name, group, int(req), int(level)) for code, name, group, req, level in rows]
    return sorted(gaps, key=lambda g: (-g.gap, g.competency))


@functools.cache
def home_gap_rows() -> Select:
    """The open gaps (`open_gaps`) as a branch of the home statement (app.home); parameter
    `corpu_position`. Sorted in Python, as `employee_gaps` does."""
    cur = func.coalesce(CurrentLevel.level, 0)
    return (select(*home_row("corpu.gaps", s1=Competency.code, s2=Competency.name, s3=Competency.group,
                             i1=PositionStandard.required_level, i2=cur))
            .join(PositionStandard, PositionStandard.competency_id == Competency.id)
            .outerjoin(CurrentLevel, and_(CurrentLevel.competency_id == Competency.id,
                                          CurrentLevel.user_id == bindparam("home_user")))
            .where(PositionStandard.position_id == bindparam("corpu_position"), PositionStandard.required_level > cur))


def home_gaps(rows: list) -> list[Gap]:
    """The rows of `home_gap_rows` as gaps, largest first (then by code)."""
    return sorted((Gap(r.s1, r.s2, r.s3, int(r.i1), int(r.i2)) for r in rows), key=lambda g: (-g.gap, g.competency))


def open_gaps(user: User) -> list[Gap]:
    return [g for g in employee_gaps(user) if g.gap > 0]
