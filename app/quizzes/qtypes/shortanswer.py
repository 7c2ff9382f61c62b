"""Short answer: typed text compared with the accepted answers, first match wins (as Moodle);
`*` in an accepted answer matches anything, `\\*` a literal star.

data: {"case_sensitive": bool, "answers": [{"text": str, "fraction": 0..1, "feedback": html}]}
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from app.quizzes.qtypes.base import (
    ZERO,
    Outcome,
    QuestionType,
    XmlProblem,
    as_bool,
    clamp,
    exact,
    formatted,
    gift_escape,
    gift_html,
    gift_weight,
    leaf,
    pct,
    percent_of,
    sub,
    text_of,
    xml_fraction,
)


def _norm(s: str, case_sensitive: bool) -> str:
    s = " ".join(str(s).split())
    return s if case_sensitive else s.casefold()


def wildcard_match(pattern: str, value: str, case_sensitive: bool) -> bool:
    pattern = _norm(pattern, case_sensitive)
    value = _norm(value, case_sensitive)
    if "*" not in pattern:
        return pattern == value
    parts = re.split(r"(?<!\\)\*", pattern)
    regex = ".*".join(re.escape(p.replace("\\*", "*")) for p in parts)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


class ShortAnswer(QuestionType):
    name = "shortanswer"
    label = _l("Isian singkat")

    def validate(self, data: dict) -> list[str]:
        answers = data.get("answers", [])
        if not any(float(a.get("fraction", 0)) > 0 and str(a.get("text", "")).strip() for a in answers):
            return [str(_l("Isi sedikitnya satu jawaban yang diterima dengan bobot positif."))]
        if any(not 0 <= float(a.get("fraction", 0)) <= 1 for a in answers):
            return [str(_l("Bobot jawaban isian harus antara 0 dan 100 persen."))]
        best = max(float(a.get("fraction", 0)) for a in answers)
        if abs(best - 1) > 1e-6:  # Moodle: "One of the answers should have a score of 100%"
            return [str(_l("Satu jawaban harus berbobot 100%% (bobot tertinggi sekarang %(p)s%%).", p=f"{best * 100:g}"))]
        return []

    def clean(self, data: dict, sanitize) -> dict:
        return {**data, "answers": [{**a, "text": str(a.get("text", "")).strip(), "feedback": sanitize(a.get("feedback")),
                                     "fraction": float(a.get("fraction", 0))} for a in data.get("answers", [])]}

    def grade(self, data: dict, response: Any) -> Outcome:
        if not response:
            return Outcome(ZERO)
        cs = bool(data.get("case_sensitive"))
        for ans in data.get("answers", []):
            if wildcard_match(ans["text"], response, cs):
                return Outcome(clamp(exact(ans.get("fraction", 0))), ans.get("feedback", ""))
        return Outcome(ZERO)

    def right_answer(self, data: dict) -> str:
        full = [a["text"] for a in data.get("answers", []) if float(a.get("fraction", 0)) >= 1]
        return " / ".join(full or [a["text"] for a in data.get("answers", [])[:1]])

    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        errors: list[str] = []
        answers = [{"text": form.get(f"a{i}_text", "").strip(),
                    "fraction": percent_of(form.get(f"a{i}_fraction", "100"), 1.0, errors),
                    "feedback": form.get(f"a{i}_feedback", "")}
                   for i in range(int(form.get("rows", 0) or 0)) if form.get(f"a{i}_text", "").strip()]
        return {"case_sensitive": bool(form.get("case_sensitive")), "answers": answers}, errors

    def read_xml(self, el, path: str) -> dict:
        items = []
        for i, ans in enumerate(el.findall("answer"), 1):
            apath = f"{path}/answer[{i}]"
            if not text_of(ans).strip():
                continue  # Moodle drops empty answers
            items.append({"text": text_of(ans).strip(), "fraction": xml_fraction(ans, apath),
                          "feedback": formatted(ans.find("feedback"))})
        if not any(a["fraction"] > 0 for a in items):
            raise XmlProblem(el, path, "Soal isian tidak punya jawaban dengan fraction positif.")
        return {"case_sensitive": as_bool(text_of(el, "usecase") or None, False), "answers": items}

    def write_xml(self, el, data: dict) -> None:
        from lxml import etree

        leaf(el, "usecase", "1" if data.get("case_sensitive") else "0")
        for ans in data.get("answers", []):
            a = etree.SubElement(el, "answer", fraction=pct(ans.get("fraction", 0)), format="moodle_auto_format")
            etree.SubElement(a, "text").text = ans["text"]
            sub(a, "feedback", ans.get("feedback", ""), format="html")

    def write_gift(self, data: dict) -> str | None:
        if data.get("case_sensitive"):
            return None  # GIFT has no way to say "case sensitive"
        lines = []
        for ans in data.get("answers", []):
            line = "\t=" + gift_weight(ans.get("fraction", 1)) + gift_escape(ans["text"])
            if ans.get("feedback"):
                line += "#" + gift_html(ans["feedback"])
            lines.append(line)
        return "\n" + "\n".join(lines) + "\n"


TYPE = ShortAnswer()
