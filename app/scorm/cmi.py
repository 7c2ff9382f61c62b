"""The SCORM 1.2 CMI data model (SCORM 1.2 RTE, section 3.4): which elements a SCO may write,
the type and limit of each, and the time arithmetic. The server checks every value itself —
a browser's run-time library is a convenience, not a guard."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

MAX_INTERACTIONS = 250
MAX_OBJECTIVES = 100
MAX_INTERACTION_PARTS = 50  # objectives / correct_responses of one interaction

STATUS_VOCAB = ("passed", "completed", "failed", "incomplete", "browsed", "not attempted")
EXIT_VOCAB = ("time-out", "suspend", "logout", "")
INTERACTION_TYPES = ("true-false", "choice", "fill-in", "matching", "performance", "sequencing", "likert", "numeric")
RESULT_VOCAB = ("correct", "wrong", "unanticipated", "neutral")

_TIMESPAN = re.compile(r"^(\d{2,4}):([0-5]\d):([0-5]\d)(?:\.(\d{1,2}))?$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d{1,2}))?$")
_IDENT = re.compile(r"^[\x21-\x7e]{1,255}$")  # CMIIdentifier: no spaces, printable ASCII


class CmiError(ValueError):
    """One value the SCORM 1.2 data model does not allow; `code` is the SCORM error number."""

    def __init__(self, element: str, message: str, code: int = 405) -> None:
        super().__init__(message)
        self.element = element
        self.message = message
        self.code = code


def timespan_cs(value: str) -> int:
    """A CMITimespan (HHHH:MM:SS.SS) in hundredths of a second."""
    m = _TIMESPAN.match(value)
    if not m:
        raise ValueError(value)
    frac = (m.group(4) or "0").ljust(2, "0")
    return ((int(m.group(1)) * 60 + int(m.group(2))) * 60 + int(m.group(3))) * 100 + int(frac)


def format_timespan(cs: int) -> str:
    seconds, hundredths = divmod(max(cs, 0), 100)
    minutes, s = divmod(seconds, 60)
    h, m = divmod(minutes, 60)
    return f"{min(h, 9999):04d}:{m:02d}:{s:02d}.{hundredths:02d}"


# --- value checkers ----------------------------------------------------------------------------------------

def _string(limit: int) -> Callable[[str, str], str]:
    def check(element: str, value: str) -> str:
        if len(value) > limit:
            raise CmiError(element, _("%(e)s paling panjang %(n)d karakter menurut SCORM 1.2 (ini %(m)d).",
                                      e=element, n=limit, m=len(value)))
        return value
    return check


def _vocab(words: tuple[str, ...]) -> Callable[[str, str], str]:
    def check(element: str, value: str) -> str:
        if value not in words:
            raise CmiError(element, _("%(e)s harus salah satu dari: %(w)s.", e=element,
                                      w=", ".join(f"'{w}'" for w in words)))
        return value
    return check


def _decimal(lo: Decimal | None, hi: Decimal | None, blank: bool = False) -> Callable[[str, str], str]:
    def check(element: str, value: str) -> str:
        if value == "" and blank:
            return value
        try:
            d = Decimal(value)
        except (InvalidOperation, ValueError):
            d = None
        if d is None or not d.is_finite() or len(value) > 20:
            raise CmiError(element, _("%(e)s harus berupa angka desimal.", e=element))
        if (lo is not None and d < lo) or (hi is not None and d > hi):
            raise CmiError(element, _("%(e)s harus di antara %(lo)s dan %(hi)s.", e=element, lo=lo, hi=hi))
        return value
    return check


def _integer(lo: int, hi: int) -> Callable[[str, str], str]:
    def check(element: str, value: str) -> str:
        if value == "":
            return value  # not set (the run-time echoes unset preferences as "")
        if not re.fullmatch(r"-?\d{1,4}", value) or not lo <= int(value) <= hi:
            raise CmiError(element, _("%(e)s harus bilangan bulat %(lo)d sampai %(hi)d.", e=element, lo=lo, hi=hi))
        return value
    return check


def _identifier(element: str, value: str) -> str:
    if not _IDENT.match(value):
        raise CmiError(element, _("%(e)s harus pengenal tanpa spasi, 1–255 karakter ASCII.", e=element))
    return value


def _timespan(element: str, value: str) -> str:
    if not _TIMESPAN.match(value):
        raise CmiError(element, _("%(e)s harus berformat HHHH:MM:SS.SS.", e=element))
    return value


def _time(element: str, value: str) -> str:
    if not _TIME.match(value):
        raise CmiError(element, _("%(e)s harus berformat HH:MM:SS.", e=element))
    return value


def _result(element: str, value: str) -> str:
    if value in RESULT_VOCAB:
        return value
    return _decimal(None, None)(element, value)


_score = _decimal(Decimal(0), Decimal(100), blank=True)

#: element -> checker, for the elements a SCO may write (RW and WO)
WRITABLE: dict[str, Callable[[str, str], str]] = {
    "cmi.core.lesson_location": _string(255),
    "cmi.core.lesson_status": _vocab(STATUS_VOCAB[:-1]),  # a SCO may not set "not attempted"
    "cmi.core.score.raw": _score,
    "cmi.core.score.min": _score,
    "cmi.core.score.max": _score,
    "cmi.core.exit": _vocab(EXIT_VOCAB),
    "cmi.core.session_time": _timespan,
    "cmi.suspend_data": _string(4096),
    "cmi.comments": _string(4096),
    "cmi.student_preference.audio": _integer(-1, 100),
    "cmi.student_preference.language": _string(255),
    "cmi.student_preference.speed": _integer(-100, 100),
    "cmi.student_preference.text": _integer(-1, 1),
}
_OBJECTIVE = {"id": _identifier, "score.raw": _score, "score.min": _score, "score.max": _score,
              "status": _vocab(STATUS_VOCAB)}
_INTERACTION = {"id": _identifier, "time": _time, "type": _vocab(INTERACTION_TYPES), "weighting": _decimal(None, None),
                "student_response": _string(255), "result": _result, "latency": _timespan}
_INTERACTION_PART = {"objectives": ("id", _identifier), "correct_responses": ("pattern", _string(255))}

#: read-only elements: the LMS sets them; a SCO's full commit may echo them back and they are ignored
READ_ONLY = re.compile(
    r"^cmi\.(core\.(_children|student_id|student_name|credit|entry|total_time|lesson_mode|score\._children)|"
    r"launch_data|comments_from_lms|_version|student_data\.(_children|mastery_score|max_time_allowed|time_limit_action)|"
    r"student_preference\._children|objectives\.(_children|_count)|interactions\.(_children|_count)|"
    r"objectives\.\d+\.score\._children|interactions\.\d+\.(objectives|correct_responses)\._count)$")


@dataclass
class Checked:
    values: dict[str, str]
    ignored: list[str]


def check_values(values: dict, *, strict: bool, known: dict | None = None) -> Checked:
    """Every (element, value) checked against the SCORM 1.2 data model. `strict` (the REST API)
    refuses read-only and unknown elements; the player's commit ignores them (a full commit
    echoes the read-only ones back). Raises CmiError listing the first problem of each element."""
    out: dict[str, str] = {}
    ignored: list[str] = []
    errors: list[CmiError] = []
    for element, raw in values.items():
        if not isinstance(element, str) or len(element) > 255:
            errors.append(CmiError(str(element)[:80], _("Nama elemen CMI tidak valid."), 401))
            continue
        if raw is None:
            raw = ""
        if not strict and isinstance(raw, dict | list) and not raw:
            ignored.append(element)  # the run-time renders an empty collection as {}
            continue
        if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
            errors.append(CmiError(element, _("%(e)s harus berupa teks atau angka.", e=element)))
            continue
        value = raw if isinstance(raw, str) else format(Decimal(str(raw)), "f")
        if known is not None and element != "cmi.core.lesson_status" and known.get(element) == value:
            out[element] = value  # stored before, so checked before
            continue
        if not strict and element == "cmi.core.lesson_status" and value == "not attempted":
            # The run-time echoes the LMS's initial value back in a commit made before the SCO set
            # a status: not a write by the SCO (RTE 3.4.4), so it is taken as "status not set".
            out[element] = value
            continue
        try:
            checker = _checker(element)
        except CmiError as exc:
            errors.append(exc)
            continue
        if checker is None:
            if strict and not READ_ONLY.match(element):
                errors.append(CmiError(element, _("%(e)s bukan elemen data model SCORM 1.2.", e=element), 401))
            elif strict:
                errors.append(CmiError(element, _("%(e)s hanya dapat dibaca.", e=element), 403))
            else:
                ignored.append(element)
            continue
        try:
            out[element] = checker(element, value)
        except CmiError as exc:
            if not strict and value == "":
                ignored.append(element)  # an element the SCO never set, echoed back empty
            else:
                errors.append(exc)
    if errors:
        raise CmiErrors(errors)
    return Checked(out, ignored)


class CmiErrors(ValueError):
    def __init__(self, errors: list[CmiError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


_OBJECTIVE_RE = re.compile(r"^cmi\.objectives\.(\d{1,4})\.(.+)$")
_INTERACTION_RE = re.compile(r"^cmi\.interactions\.(\d{1,4})\.(.+)$")
_PART_RE = re.compile(r"^(objectives|correct_responses)\.(\d{1,4})\.(id|pattern)$")


def _checker(element: str) -> Callable[[str, str], str] | None:
    if element in WRITABLE:
        return WRITABLE[element]
    m = _OBJECTIVE_RE.match(element)
    if m:
        if int(m.group(1)) >= MAX_OBJECTIVES:
            raise CmiError(element, _("Paling banyak %(n)d objectives per SCO.", n=MAX_OBJECTIVES), 405)
        return _OBJECTIVE.get(m.group(2))
    m = _INTERACTION_RE.match(element)
    if m:
        if int(m.group(1)) >= MAX_INTERACTIONS:
            raise CmiError(element, _("Paling banyak %(n)d interactions per SCO.", n=MAX_INTERACTIONS), 405)
        rest = m.group(2)
        if rest in _INTERACTION:
            return _INTERACTION[rest]
        m2 = _PART_RE.match(rest)
        if m2 and _INTERACTION_PART[m2.group(1)][0] == m2.group(3):
            if int(m2.group(2)) >= MAX_INTERACTION_PARTS:
                raise CmiError(element, _("Terlalu banyak bagian pada satu interaction.", ), 405)
            return _INTERACTION_PART[m2.group(1)][1]
    return None


def _count(cmi: dict, kind: str) -> int:
    # Runs on every commit over every element (300+ with 50 interactions): string slicing, no regex.
    prefix = f"cmi.{kind}."
    start = len(prefix)
    top = -1
    for k in cmi:
        if k.startswith(prefix):
            end = k.find(".", start)
            index = k[start:end] if end > 0 else ""
            if index.isdigit() and int(index) > top:
                top = int(index)
    return top + 1


def interaction_count(cmi: dict) -> int:
    return _count(cmi, "interactions")


def objective_count(cmi: dict) -> int:
    return _count(cmi, "objectives")
