"""Marking a response to a question: pure functions, no database.

The shape of `Question.data` per type (what GIFT, Moodle XML and the editor all produce):

- multichoice: {"single": bool, "shuffle": bool,
                "choices": [{"id": "1", "text": html, "fraction": 0..1 (may be negative), "feedback": html}]}
- truefalse:   {"answer": bool, "feedback_true": html, "feedback_false": html}
- shortanswer: {"case_sensitive": bool, "answers": [{"text": str, "fraction": 0..1, "feedback": html}]}
               (`*` in an accepted answer matches anything, `\\*` a literal star — as in Moodle)
- numerical:   {"answers": [{"value": float, "tolerance": float, "fraction": 0..1, "feedback": html}]}
               (a GIFT range min..max is stored as its midpoint with half the width as tolerance)
- matching:    {"shuffle": bool, "pairs": [{"id": "1", "stem": html, "answer": str}]}
               (a pair with an empty stem is a distractor answer)
- essay:       {"response_format": "editor", "lines": int, "grader_info": html}

Responses (the API's): multichoice a choice id (single) or a list of ids; truefalse a bool;
shortanswer a string; numerical a number; matching {stem id: choice id}; essay a string.
As in Moodle, the first accepted shortanswer/numerical answer that matches gives the mark.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any


class BadResponse(ValueError):
    """The response does not fit the question (wrong shape, unknown choice)."""


@dataclass
class Outcome:
    fraction: float | None  # None: waits for a person (essay)
    feedback: str = ""


def matching_choices(data: dict) -> list[dict]:
    """The distinct answers of a matching question, each with a stable id (`c1`, `c2`, ...)."""
    seen: dict[str, str] = {}
    out = []
    for pair in data.get("pairs", []):
        text = pair["answer"]
        if text not in seen:
            seen[text] = f"c{len(seen) + 1}"
            out.append({"id": seen[text], "text": text})
    return out


def matching_stems(data: dict) -> list[dict]:
    return [{"id": p["id"], "text": p["stem"]} for p in data.get("pairs", []) if p.get("stem", "").strip()]


def choices_of(qtype: str, data: dict) -> list[dict]:
    """The choices a learner picks from, as [{"id", "text"}] (empty for typed answers)."""
    if qtype == "multichoice":
        return [{"id": c["id"], "text": c["text"]} for c in data.get("choices", [])]
    if qtype == "truefalse":
        return [{"id": "true", "text": "Benar"}, {"id": "false", "text": "Salah"}]
    if qtype == "matching":
        return matching_choices(data)
    return []


def _norm_text(s: str, case_sensitive: bool) -> str:
    s = " ".join(str(s).split())
    return s if case_sensitive else s.casefold()


def _wildcard_match(pattern: str, value: str, case_sensitive: bool) -> bool:
    pattern = _norm_text(pattern, case_sensitive)
    value = _norm_text(value, case_sensitive)
    if "*" not in pattern:
        return pattern == value
    parts = re.split(r"(?<!\\)\*", pattern)
    regex = ".*".join(re.escape(p.replace("\\*", "*")) for p in parts)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def parse_number(value: Any) -> float:
    """A learner's number: 3.5, "3.5", "3,5" (Indonesian decimal comma) or "1e3"."""
    if isinstance(value, bool):
        raise BadResponse("bukan angka")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise BadResponse("bukan angka") from None
    else:
        raise BadResponse("bukan angka")
    if not math.isfinite(number):
        raise BadResponse("bukan angka")
    return number


def check_response(qtype: str, data: dict, response: Any) -> Any:
    """The response in its canonical form, or BadResponse. `None` (cleared) is always accepted."""
    if response is None:
        return None
    if qtype == "multichoice":
        ids = {c["id"] for c in data.get("choices", [])}
        if data.get("single", True):
            if not isinstance(response, str | int) or isinstance(response, bool) or str(response) not in ids:
                raise BadResponse("pilihan tidak dikenal")
            return str(response)
        if isinstance(response, str | int) and not isinstance(response, bool):
            response = [response]
        if not isinstance(response, list) or any(str(r) not in ids for r in response):
            raise BadResponse("pilihan tidak dikenal")
        return sorted({str(r) for r in response})
    if qtype == "truefalse":
        if isinstance(response, bool):
            return response
        if response in ("true", "false"):
            return response == "true"
        raise BadResponse("harus true atau false")
    if qtype in ("shortanswer", "essay"):
        if not isinstance(response, str):
            raise BadResponse("harus berupa teks")
        if len(response) > 100_000:
            raise BadResponse("terlalu panjang")
        return response
    if qtype == "numerical":
        if isinstance(response, str) and not response.strip():
            return None
        return parse_number(response)
    if qtype == "matching":
        if not isinstance(response, dict):
            raise BadResponse("harus berupa objek {stem: pilihan}")
        stems = {s["id"] for s in matching_stems(data)}
        choices = {c["id"] for c in matching_choices(data)}
        out = {}
        for k, v in response.items():
            if str(k) not in stems:
                raise BadResponse("pernyataan tidak dikenal")
            if v in (None, ""):
                continue
            if str(v) not in choices:
                raise BadResponse("pilihan tidak dikenal")
            out[str(k)] = str(v)
        return out
    raise BadResponse("jenis soal tidak dikenal")


def grade(qtype: str, data: dict, response: Any) -> Outcome:
    """The fraction (0..1) of the question's mark this response earns, and the feedback it gets."""
    if qtype == "essay":
        return Outcome(None)
    if response is None or response == "" or response == [] or response == {}:
        return Outcome(0.0)
    if qtype == "multichoice":
        by_id = {c["id"]: c for c in data.get("choices", [])}
        picked = [response] if isinstance(response, str) else list(response)
        picked = [by_id[p] for p in picked if p in by_id]
        total = sum(float(c.get("fraction", 0)) for c in picked)
        feedback = " ".join(c.get("feedback", "") for c in picked if c.get("feedback"))
        return Outcome(min(1.0, max(0.0, total)), feedback)
    if qtype == "truefalse":
        right = bool(data.get("answer"))
        feedback = data.get("feedback_true" if response else "feedback_false", "")
        return Outcome(1.0 if bool(response) == right else 0.0, feedback)
    if qtype == "shortanswer":
        cs = bool(data.get("case_sensitive"))
        for ans in data.get("answers", []):
            if _wildcard_match(ans["text"], response, cs):
                return Outcome(max(0.0, min(1.0, float(ans.get("fraction", 0)))), ans.get("feedback", ""))
        return Outcome(0.0)
    if qtype == "numerical":
        value = float(response)
        for ans in data.get("answers", []):
            target = float(ans["value"])
            tol = abs(float(ans.get("tolerance", 0) or 0))
            # a relative epsilon so that 0.1 + 0.2 style float noise never flips a right answer
            eps = 1e-9 * max(1.0, abs(target))
            if target - tol - eps <= value <= target + tol + eps:
                return Outcome(max(0.0, min(1.0, float(ans.get("fraction", 0)))), ans.get("feedback", ""))
        return Outcome(0.0)
    if qtype == "matching":
        stems = matching_stems(data)
        if not stems:
            return Outcome(0.0)
        choice_id = {c["text"]: c["id"] for c in matching_choices(data)}
        right = sum(1 for p in data.get("pairs", []) if p.get("stem", "").strip()
                    and response.get(p["id"]) == choice_id[p["answer"]])
        return Outcome(right / len(stems))
    raise BadResponse("jenis soal tidak dikenal")


def right_answer_text(qtype: str, data: dict) -> str:
    """A short statement of the right answer, for the review page."""
    if qtype == "multichoice":
        best = [c for c in data.get("choices", []) if float(c.get("fraction", 0)) > 0]
        return "; ".join(re.sub(r"<[^>]+>", "", c["text"]) for c in best)
    if qtype == "truefalse":
        return "Benar" if data.get("answer") else "Salah"
    if qtype == "shortanswer":
        full = [a["text"] for a in data.get("answers", []) if float(a.get("fraction", 0)) >= 1]
        return " / ".join(full or [a["text"] for a in data.get("answers", [])[:1]])
    if qtype == "numerical":
        full = [a for a in data.get("answers", []) if float(a.get("fraction", 0)) >= 1] or data.get("answers", [])[:1]
        return " / ".join(f"{_fmt(a['value'])} ± {_fmt(a.get('tolerance', 0))}" if a.get("tolerance")
                          else _fmt(a["value"]) for a in full)
    if qtype == "matching":
        return "; ".join(f"{re.sub(r'<[^>]+>', '', p['stem'])} → {p['answer']}" for p in data.get("pairs", [])
                         if p.get("stem", "").strip())
    return ""


def _fmt(x: Any) -> str:
    f = float(x)
    return str(int(f)) if f.is_integer() else repr(f)
