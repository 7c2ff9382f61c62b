"""Numerical: a number within a tolerance of an accepted answer, first match wins (as Moodle).

data: {"answers": [{"value": float | "*", "tolerance": float, "fraction": 0..1, "feedback": html}],
       "units": [{"name": "m", "multiplier": 1.0}],       (optional, Moodle's units)
       "unit_penalty": 0..1, "unit_graded": bool}         (a wrong or missing unit costs the penalty)
`"*"` is Moodle's "any other answer" row: it matches whatever was typed, with its fraction
(usually 0) and its feedback. A GIFT range min..max is stored as midpoint ± half the width.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from app.quizzes.qtypes.base import (
    ONE,
    ZERO,
    BadResponse,
    Outcome,
    QuestionType,
    XmlProblem,
    as_bool,
    clamp,
    exact,
    fmt_number,
    formatted,
    gift_html,
    gift_weight,
    leaf,
    parse_number,
    pct,
    percent_of,
    sub,
    text_of,
    xml_fraction,
)

_NUMBER_UNIT = re.compile(r"^\s*([-+]?[\d.,]+(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _split_unit(value: Any, units: list[dict], read=parse_number) -> tuple[float, dict | None, bool]:
    """(number in the main unit, the unit found, whether a unit was typed); `read` reads the
    number part (calculated questions read it as Indonesians write it)."""
    if not isinstance(value, str) or not units:
        return read(value), None, False
    m = _NUMBER_UNIT.match(value)
    if not m:
        raise BadResponse("bukan angka")
    number, unit_text = read(m.group(1)), m.group(2)
    if not unit_text:
        return number, None, False
    for unit in units:
        if unit["name"].strip() == unit_text:
            return number / float(unit.get("multiplier") or 1), unit, True
    return number, None, True


# --- units: Moodle's numerical units, shared with the calculated type ------------------------------

def units_valid(data: dict) -> list[str]:
    if any(not float(u.get("multiplier") or 0) for u in data.get("units", [])):
        return [str(_l("Pengali satuan harus angka selain nol."))]
    return []


def clean_units(data: dict) -> dict:
    """The unit fields of `data`, normalised (empty when the question has no units)."""
    if not data.get("units"):
        return {}
    return {"units": [{"name": str(u["name"]).strip(), "multiplier": float(u.get("multiplier") or 1)}
                      for u in data["units"] if str(u.get("name", "")).strip()],
            "unit_penalty": max(0.0, min(1.0, float(data.get("unit_penalty", 0.1)))),
            **({"unit_graded": bool(data["unit_graded"])} if "unit_graded" in data else {})}


def units_from_form(form, errors: list[str]) -> dict:
    units = []
    for i in range(int(form.get("unit_rows", 0) or 0)):
        name = form.get(f"u{i}_name", "").strip()
        if not name:
            continue
        try:
            units.append({"name": name, "multiplier": parse_number(form.get(f"u{i}_multiplier", "1") or "1")})
        except BadResponse:
            errors.append(f"Pengali satuan '{name}' tidak valid.")
    if not units:
        return {}
    return {"units": units, "unit_graded": bool(form.get("unit_graded")),
            "unit_penalty": percent_of(form.get("unit_penalty", "10"), 0.1, errors)}


def units_from_xml(el, path: str) -> dict:
    units = []
    for j, unit in enumerate(el.findall("units/unit"), 1):
        name = text_of(unit, "unit_name").strip()
        try:
            mult = float(text_of(unit, "multiplier") or 1)
        except ValueError:
            raise XmlProblem(unit, f"{path}/units/unit[{j}]/multiplier", "Pengali satuan bukan angka.") from None
        if name:
            units.append({"name": name, "multiplier": mult or 1.0})
    if not units or text_of(el, "showunits").strip() == "3":  # 3 = "no units" in Moodle
        return {}
    try:
        penalty = float(text_of(el, "unitpenalty") or 0.1)
    except ValueError:
        penalty = 0.1
    return {"units": units, "unit_penalty": max(0.0, min(1.0, penalty)),
            "unit_graded": as_bool(text_of(el, "unitgradingtype") or None, False)}


def write_units_xml(el, data: dict, *, always: bool = False) -> None:
    """Moodle's unit elements; `always` writes the unit options even without units (as Moodle
    does for calculated questions, with showunits 3 = no units)."""
    from lxml import etree

    if not data.get("units") and not always:
        return
    leaf(el, "unitgradingtype", "1" if data.get("unit_graded") else "0")
    leaf(el, "unitpenalty", fmt_number(data.get("unit_penalty", 0.1)))
    leaf(el, "showunits", "0" if data.get("units") else "3")
    leaf(el, "unitsleft", "0")
    if data.get("units"):
        units = etree.SubElement(el, "units")
        for u in data["units"]:
            unit = etree.SubElement(units, "unit")
            leaf(unit, "multiplier", fmt_number(u["multiplier"]))
            leaf(unit, "unit_name", u["name"])


class Numerical(QuestionType):
    name = "numerical"
    label = _l("Angka")

    def validate(self, data: dict) -> list[str]:
        answers = data.get("answers", [])
        if not any(float(a.get("fraction", 0)) > 0 and a.get("value") != "*" for a in answers):
            return [str(_l("Isi sedikitnya satu jawaban angka dengan bobot positif."))]
        for a in answers:
            if a.get("value") != "*":
                try:
                    float(a["value"])
                    float(a.get("tolerance", 0) or 0)
                except (TypeError, ValueError, KeyError):
                    return [str(_l("Jawaban angka dan toleransinya harus berupa angka."))]
        return units_valid(data)

    def clean(self, data: dict, sanitize) -> dict:
        out = {**data, "answers": [{**a, "feedback": sanitize(a.get("feedback")), "fraction": float(a.get("fraction", 0)),
                                    "value": a["value"] if a.get("value") == "*" else float(a["value"]),
                                    "tolerance": abs(float(a.get("tolerance", 0) or 0))}
                                   for a in data.get("answers", [])]}
        out.update(clean_units(data))
        return out

    def item(self, data: dict, entry: dict) -> dict:
        return {"units": [u["name"] for u in data.get("units", [])]}

    def check_response(self, data: dict, response: Any) -> Any:
        if response is None or (isinstance(response, str) and not response.strip()):
            return None
        if data.get("units") and isinstance(response, str):
            _split_unit(response, data["units"])  # refuses what is not a number (with or without unit)
            return response.strip()
        return parse_number(response)

    def grade(self, data: dict, response: Any) -> Outcome:
        if response is None or response == "":
            return Outcome(ZERO)
        units = data.get("units", [])
        value, unit, typed = _split_unit(response, units)
        unit_ok = not units or unit is not None or (not typed and not data.get("unit_graded"))
        for ans in data.get("answers", []):
            if ans.get("value") == "*":
                return Outcome(clamp(exact(ans.get("fraction", 0))), ans.get("feedback", ""))
            target = float(ans["value"])
            tol = abs(float(ans.get("tolerance", 0) or 0))
            # a relative epsilon so that 0.1 + 0.2 style float noise never flips a right answer
            eps = 1e-9 * max(1.0, abs(target))
            if target - tol - eps <= value <= target + tol + eps:
                fraction = clamp(exact(ans.get("fraction", 0)))
                if not unit_ok:
                    fraction *= ONE - exact(data.get("unit_penalty", 0.1))
                return Outcome(max(ZERO, fraction.quantize(Decimal("0.0000001"))), ans.get("feedback", ""))
        return Outcome(ZERO)

    def form_response(self, item: dict, form) -> tuple[bool, Any]:
        key = f"q-{item['id']}"
        raw = form.get(key, "").strip()
        return (key in form), (raw or None)

    def right_answer(self, data: dict) -> str:
        real = [a for a in data.get("answers", []) if a.get("value") != "*"]
        full = [a for a in real if float(a.get("fraction", 0)) >= 1] or real[:1]
        unit = data["units"][0]["name"] if data.get("units") else ""
        return " / ".join((f"{fmt_number(a['value'])} ± {fmt_number(a.get('tolerance', 0))}" if a.get("tolerance")
                           else fmt_number(a["value"])) + (f" {unit}" if unit else "") for a in full)

    def response_text(self, item: dict, response: Any) -> str:
        return response if isinstance(response, str) else fmt_number(response)

    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        errors: list[str] = []
        answers = []
        for i in range(int(form.get("rows", 0) or 0)):
            raw = form.get(f"a{i}_value", "").strip()
            if not raw:
                continue
            try:
                value: float | str = "*" if raw == "*" else parse_number(raw)
                tol = abs(parse_number(form.get(f"a{i}_tolerance", "0") or "0"))
            except BadResponse:
                errors.append(f"Angka '{raw}' atau toleransinya tidak valid.")
                continue
            answers.append({"value": value, "tolerance": tol,
                            "fraction": percent_of(form.get(f"a{i}_fraction", "100"), 1.0, errors),
                            "feedback": form.get(f"a{i}_feedback", "")})
        data: dict = {"answers": answers}
        data.update(units_from_form(form, errors))
        return data, errors

    def read_xml(self, el, path: str) -> dict:
        items = []
        for i, ans in enumerate(el.findall("answer"), 1):
            apath = f"{path}/answer[{i}]"
            raw = text_of(ans).strip()
            fraction = xml_fraction(ans, apath)
            fb = formatted(ans.find("feedback"))
            if raw in ("*", ""):
                items.append({"value": "*", "tolerance": 0.0, "fraction": fraction, "feedback": fb})
                continue
            try:
                value = float(raw)
                tol = abs(float(text_of(ans, "tolerance") or 0))
            except ValueError:
                raise XmlProblem(ans, apath, f"Jawaban angka '{raw}' atau tolerance-nya bukan angka.") from None
            items.append({"value": value, "tolerance": tol, "fraction": fraction, "feedback": fb})
        if not any(a["fraction"] > 0 and a["value"] != "*" for a in items):
            raise XmlProblem(el, path, "Soal angka tidak punya jawaban dengan fraction positif.")
        data: dict = {"answers": items}
        data.update(units_from_xml(el, path))
        return data

    def write_xml(self, el, data: dict) -> None:
        from lxml import etree

        for ans in data.get("answers", []):
            a = etree.SubElement(el, "answer", fraction=pct(ans.get("fraction", 0)), format="moodle_auto_format")
            etree.SubElement(a, "text").text = "*" if ans["value"] == "*" else fmt_number(ans["value"])
            leaf(a, "tolerance", fmt_number(ans.get("tolerance", 0)))
            sub(a, "feedback", ans.get("feedback", ""), format="html")
        write_units_xml(el, data)

    def write_gift(self, data: dict) -> str | None:
        if data.get("units"):
            return None  # GIFT has no units
        lines = []
        for ans in data.get("answers", []):
            if ans["value"] == "*":
                lines.append("\t~#" + gift_html(ans.get("feedback", "")))
                continue
            line = f"\t={gift_weight(ans.get('fraction', 1))}{fmt_number(ans['value'])}:{fmt_number(ans.get('tolerance', 0))}"
            if ans.get("feedback"):
                line += "#" + gift_html(ans["feedback"])
            lines.append(line)
        return "#\n" + "\n".join(lines) + "\n"


TYPE = Numerical()
