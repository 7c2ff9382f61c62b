"""Every change of the grade book: settings (pass mark, the completion rule), categories, item
weights, and overrides with their reason, each override written to the history."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User, utcnow
from app.courses.models import Activity, Course
from app.errors import BadInput, NotFound, RuleViolation
from app.extensions import db
from app.grades.models import DEFAULT_PASS_PERCENT, GradeCategory, GradeHistory, GradeItemSetting, GradeOverride, GradeSettings

MAX_REASON = 2000


def _number(value: Any, field: str, *, lo: Decimal = Decimal(0), hi: Decimal | None = None) -> Decimal:
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        d = None
    if d is None or not d.is_finite() or d < lo or (hi is not None and d > hi) or d != d.quantize(Decimal("0.01")):
        top = f" sampai {hi.normalize():f}" if hi is not None else " atau lebih"
        raise RuleViolation(_("%(f)s harus angka %(lo)s%(top)s (paling banyak dua desimal).", f=field,
                              lo=f"{lo.normalize():f}", top=top), code="invalid_number",
                            details=[{"field": field, "message": _("angka di luar rentang")}])
    return d


def settings_for(course: Course) -> GradeSettings:
    s = db.session.scalar(select(GradeSettings).where(GradeSettings.course_id == course.id))
    if s is None:
        s = GradeSettings(course_id=course.id, pass_percent=DEFAULT_PASS_PERCENT, completion_requires_pass=False,
                          letters=[])
        db.session.add(s)
        db.session.flush()
    return s


def parse_letters(value: Any) -> list[list]:
    """Letter bands from `A=85` lines (or [[letter, minimum], …]); checked, highest first."""
    if isinstance(value, str):
        items = []
        for n, line in enumerate(value.splitlines(), start=1):
            if not line.strip():
                continue
            letter, eq, minimum = line.partition("=")
            if not eq:
                raise RuleViolation(_("Baris %(n)d huruf mutu: tulis HURUF=NILAI_MINIMUM, mis. A=85.", n=n),
                                    code="invalid_letters")
            items.append([letter.strip(), minimum.strip()])
        value = items
    if not isinstance(value, list):
        raise RuleViolation(_("Huruf mutu harus daftar [huruf, nilai minimum]."), code="invalid_letters")
    out = []
    for item in value:
        if not isinstance(item, list | tuple) or len(item) != 2 or not isinstance(item[0], str) or \
                not item[0].strip() or len(item[0].strip()) > 10:
            raise RuleViolation(_("Setiap huruf mutu perlu huruf (paling panjang 10) dan nilai minimum."),
                                code="invalid_letters")
        out.append([item[0].strip(), float(_number(item[1], "letters", hi=Decimal(100)))])
    out.sort(key=lambda x: -x[1])
    if len({m for _l, m in out}) != len(out):
        raise RuleViolation(_("Dua huruf mutu tidak boleh punya nilai minimum yang sama."), code="invalid_letters")
    return out


def update_settings(course: Course, *, pass_percent: Any = None, completion_requires_pass: bool | None = None,
                    letters: Any = None) -> GradeSettings:
    s = settings_for(course)
    if letters is not None:
        s.letters = parse_letters(letters)
    if pass_percent is not None:
        s.pass_percent = _number(pass_percent, "pass_percent", hi=Decimal(100))
    if completion_requires_pass is not None:
        s.completion_requires_pass = bool(completion_requires_pass)
    s.updated_at = utcnow()
    db.session.flush()
    from app.courses.operations import recompute_completions

    recompute_completions(course)  # a lower pass mark may now complete someone
    return s


def add_category(course: Course, name: str, weight: Any = 1) -> GradeCategory:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise RuleViolation(_("Nama kategori wajib diisi (paling panjang 120 karakter)."), code="invalid_category")
    if db.session.scalar(select(GradeCategory.id).where(GradeCategory.course_id == course.id,
                                                        GradeCategory.name == name)):
        raise RuleViolation(_("Kategori %(n)s sudah ada.", n=name), code="duplicate_category")
    position = len(db.session.scalars(select(GradeCategory.id).where(GradeCategory.course_id == course.id)).all())
    c = GradeCategory(course_id=course.id, name=name, weight=_number(weight, "weight", hi=Decimal(1000)),
                      position=position)
    db.session.add(c)
    db.session.flush()
    return c


def update_category(category: GradeCategory, *, name: str | None = None, weight: Any = None) -> None:
    if name is not None:
        name = name.strip()
        if not name or len(name) > 120:
            raise RuleViolation(_("Nama kategori wajib diisi (paling panjang 120 karakter)."), code="invalid_category")
        category.name = name
    if weight is not None:
        category.weight = _number(weight, "weight", hi=Decimal(1000))
    db.session.flush()


def delete_category(category: GradeCategory) -> None:
    db.session.delete(category)  # its items keep counting, outside any category
    db.session.flush()


def set_item(course: Course, activity: Activity, *, weight: Any = None, category_id: int | None | str = "") -> GradeItemSetting:
    if activity.course_id != course.id:
        raise NotFound(_("Aktivitas tidak ada di kursus ini."), code="activity_not_in_course")
    s = db.session.scalar(select(GradeItemSetting).where(GradeItemSetting.activity_id == activity.id))
    if s is None:
        s = GradeItemSetting(course_id=course.id, activity_id=activity.id, weight=Decimal(1))
        db.session.add(s)
    if weight is not None:
        s.weight = _number(weight, "weight", hi=Decimal(1000))
    if category_id != "":
        if category_id is not None:
            cat = db.session.get(GradeCategory, category_id)
            if cat is None or cat.course_id != course.id:
                raise BadInput(_("Kategori tidak ada di kursus ini."), code="category_not_found")
        s.category_id = category_id
    db.session.flush()
    return s


def _item_max(course: Course, activity: Activity | None) -> Decimal:
    if activity is None:
        return Decimal(100)
    from app.grades.sources import SOURCES

    src = SOURCES.get(activity.type)
    if src is None:
        raise RuleViolation(_("Aktivitas ini tidak dinilai."), code="not_graded_item")
    return src.maxima([activity]).get(activity.id, Decimal(100))


def override(course: Course, learner: User, activity: Activity | None, grade: Any, reason: str, *,
             by: User) -> GradeOverride:
    """Set a grade by hand (an item's, or the course total's when `activity` is None). A reason is required."""
    from app.grades.queries import enrolled, gradebook

    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("Tuliskan alasan perubahan nilai."), code="reason_required")
    if len(reason) > MAX_REASON:
        raise RuleViolation(_("Alasan terlalu panjang."), code="reason_too_long")
    if activity is not None and activity.course_id != course.id:
        raise NotFound(_("Aktivitas tidak ada di kursus ini."), code="activity_not_in_course")
    if not enrolled(course, learner):
        raise NotFound(_("%(n)s tidak terdaftar di kursus ini.", n=learner.name), code="learner_not_found")
    value = _number(grade, "grade", hi=_item_max(course, activity))
    before = gradebook(course, user_ids=[learner.id]).rows[0]
    old = before.total if activity is None else before.cells.get(activity.id).grade if activity.id in before.cells \
        else None
    cond = GradeOverride.activity_id.is_(None) if activity is None else GradeOverride.activity_id == activity.id
    o = db.session.scalar(select(GradeOverride).where(GradeOverride.course_id == course.id,
                                                      GradeOverride.user_id == learner.id, cond))
    if o is None:
        o = GradeOverride(course_id=course.id, user_id=learner.id, activity_id=activity.id if activity else None,
                          grade=value, reason=reason)
        db.session.add(o)
    o.grade, o.reason, o.by_id, o.at = value, reason, by.id, utcnow()
    db.session.add(GradeHistory(course_id=course.id, user_id=learner.id, activity_id=activity.id if activity else None,
                                item_title=activity.title if activity else _("Nilai akhir kursus"), old_grade=old,
                                new_grade=value, reason=reason, by_id=by.id))
    db.session.flush()
    _recheck(learner, course)
    return o


def remove_override(course: Course, learner: User, activity: Activity | None, reason: str, *, by: User) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("Tuliskan alasan perubahan nilai."), code="reason_required")
    cond = GradeOverride.activity_id.is_(None) if activity is None else GradeOverride.activity_id == activity.id
    o = db.session.scalar(select(GradeOverride).where(GradeOverride.course_id == course.id,
                                                      GradeOverride.user_id == learner.id, cond))
    if o is None:
        raise NotFound(_("Tidak ada nilai yang diubah manual di sini."), code="override_not_found")
    db.session.add(GradeHistory(course_id=course.id, user_id=learner.id, activity_id=o.activity_id,
                                item_title=activity.title if activity else _("Nilai akhir kursus"), old_grade=o.grade,
                                new_grade=None, reason=reason, by_id=by.id))
    db.session.delete(o)
    db.session.flush()


def _recheck(learner: User, course: Course) -> None:
    from app.courses.operations import check_course_completion

    check_course_completion(learner, course)


def gate(user: User, course: Course) -> bool:
    """The course-completion condition the grade book adds (see courses.activity_types.COMPLETION_GATES)."""
    s = db.session.scalar(select(GradeSettings).where(GradeSettings.course_id == course.id))
    if s is None or not s.completion_requires_pass:
        return True
    from app.grades.queries import course_passed

    return course_passed(user, course)
