"""JP conversion: a rule (data, editable by BPSDM) and an activity's length give its JP."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import NotFound, RuleViolation
from app.extensions import db
from app.ledger.models import JpRule

CENT = Decimal("0.01")
#: SIASN jenis diklat by the course engine's `Course.training_type`.
TRAINING_TYPE_RULES = {"struktural": "KL01", "kepemimpinan": "KL01", "manajerial": "KL02", "teknis": "KL03",
                       "fungsional": "KL04", "sosial_kultural": "KL05", "sosial kultural": "KL05",
                       "seminar": "KL06", "workshop": "KL07", "kursus": "KL08", "penataran": "KL09",
                       "bimtek": "KL10", "sosialisasi": "KL11", "magang": "NKL10"}
#: The rule an online (e-learning) course completion is recorded under.
ELEARNING_RULE = "NKL03"


def jp_minutes() -> int:
    return int(current_app.config.get("JP_MINUTES", 45))


def q(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def rule_by_code(code: str) -> JpRule:
    rule = db.session.scalar(select(JpRule).where(JpRule.code == code))
    if rule is None:
        raise NotFound(_("Aturan JP %(code)s tidak ditemukan.", code=code))
    return rule


def active_rules() -> list[JpRule]:
    return list(db.session.scalars(select(JpRule).where(JpRule.active.is_(True)).order_by(JpRule.id)))


def all_rules() -> list[JpRule]:
    return list(db.session.scalars(select(JpRule).order_by(JpRule.id)))


@dataclass
class Computed:
    jp: Decimal
    minutes: int | None
    explanation: str


def compute(rule: JpRule, *, days: int | None = None, minutes: int | None = None,
            stated_jp: Decimal | None = None, international: bool = False) -> Computed:
    """The JP an activity earns under `rule`. Raises RuleViolation naming what is missing."""
    bonus = Decimal(rule.international_bonus_pct or 0) if international else Decimal(0)
    factor = 1 + bonus / 100
    if rule.unit == "per_day":
        if not days or days < 1:
            raise RuleViolation(_("Aturan %(code)s dihitung per hari: isi jumlah hari (minimal 1).", code=rule.code),
                                code="days_required", details=[{"field": "days", "message": _("wajib diisi")}])
        rate = rule.jp_international if international else rule.jp_national
        if rate is None:
            raise RuleViolation(_("Aturan %(code)s belum punya JP per hari.", code=rule.code), code="rule_incomplete")
        jp = q(Decimal(rate) * days)
        return Computed(jp, minutes, _("%(days)d hari × %(rate)s JP", days=days, rate=q(rate)))
    if rule.unit == "minutes":
        if not minutes or minutes < 1:
            raise RuleViolation(_("Aturan %(code)s dihitung dari lama kegiatan: isi jumlah menit.", code=rule.code),
                                code="minutes_required", details=[{"field": "minutes", "message": _("wajib diisi")}])
        jp = q(Decimal(minutes) / jp_minutes() * factor)
        text = _("%(m)d menit ÷ %(per)d", m=minutes, per=jp_minutes())
        return Computed(jp, minutes, text + (f" + {rule.international_bonus_pct}%" if bonus else ""))
    if rule.unit == "per_curriculum":
        if stated_jp is None or Decimal(stated_jp) <= 0:
            raise RuleViolation(_("Aturan %(code)s memakai JP menurut kurikulum: isi JP yang tertera.", code=rule.code),
                                code="jp_required", details=[{"field": "stated_jp", "message": _("wajib diisi")}])
        jp = q(Decimal(stated_jp) * factor)
        return Computed(jp, minutes, _("%(jp)s JP kurikulum", jp=q(stated_jp))
                        + (f" + {rule.international_bonus_pct}%" if bonus else ""))
    raise RuleViolation(_("Satuan aturan tidak dikenal: %(unit)s.", unit=rule.unit), code="rule_incomplete")


def course_rule(course) -> JpRule:
    """The rule a course completion is recorded under: e-learning for online courses, else the
    course's training type (teknis by default)."""
    if course.mode == "online":
        return rule_by_code(ELEARNING_RULE)
    code = TRAINING_TYPE_RULES.get((course.training_type or "").strip().lower(), "KL03")
    return rule_by_code(code)


def siasn_type_for_course(course, rule: JpRule) -> int | None:
    code = TRAINING_TYPE_RULES.get((course.training_type or "").strip().lower())
    if code:
        return rule_by_code(code).jenis_diklat_id
    return rule.jenis_diklat_id


def kind_category(kind: str) -> tuple[str, str | None]:
    """(category, rule code) for a ledger kind, from the first active rule producing that kind."""
    rule = db.session.scalar(select(JpRule).where(JpRule.kind == kind).order_by(JpRule.id))
    if rule is None:
        return "classical", None
    return rule.category, rule.code


def known_kinds() -> list[str]:
    kinds = list(dict.fromkeys(db.session.scalars(select(JpRule.kind).order_by(JpRule.id))))
    for k in ("course", "classroom", "external"):
        if k not in kinds:
            kinds.append(k)
    return kinds
