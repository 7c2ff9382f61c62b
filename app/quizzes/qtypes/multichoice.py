"""Multiple choice: one answer (radio) or several (checkboxes, weights added up), as Moodle.

data: {"single": bool, "shuffle": bool, "numbering": "abc"|"ABCD"|"123"|"none",
       "choices": [{"id": "1", "text": html, "fraction": -1..1, "feedback": html}],
       "feedback": {"correct", "partial", "incorrect"}: html (combined feedback, optional)}
"""

from __future__ import annotations

import functools
import random
from typing import Any

from flask_babel import lazy_gettext as _l

from app.quizzes.parsed import to_html
from app.quizzes.qtypes.base import (
    ZERO,
    BadResponse,
    Outcome,
    QuestionType,
    XmlProblem,
    as_bool,
    clamp,
    exact,
    formatted,
    gift_html,
    gift_weight,
    leaf,
    next_id,
    percent_of,
    read_combined_feedback,
    strip_tags,
    sub,
    text_of,
    write_combined_feedback,
    xml_fraction,
)

NUMBERINGS = ("abc", "ABCD", "123", "iii", "IIII", "none")
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv", "xvi",
          "xvii", "xviii", "xix", "xx")


def numbering_labels(style: str, n: int) -> list[str]:
    """The labels Moodle puts before the choices (a. b. c. / A. B. / 1. 2. / i. ii.); none: []."""
    return list(_labels(style, n))


@functools.lru_cache(maxsize=256)
def _labels(style: str, n: int) -> tuple[str, ...]:
    # a few calls per choice of every multiple-choice question of an attempt page, for what a
    # handful of (style, count) pairs give: made once per worker
    if style == "none":
        return ()
    out = []
    for i in range(n):
        if style == "123" or (style in ("iii", "IIII") and i >= len(_ROMAN)) or (style in ("abc", "ABCD") and i >= 26):
            out.append(str(i + 1))
        elif style in ("iii", "IIII"):
            out.append(_ROMAN[i] if style == "iii" else _ROMAN[i].upper())
        else:
            out.append(chr(ord("a" if style == "abc" else "A") + i))
    return tuple(out)


class MultiChoice(QuestionType):
    name = "multichoice"
    label = _l("Pilihan ganda")
    hide_ids = True  # the own ids follow the author's order, where the right answer is often first

    def validate(self, data: dict) -> list[str]:
        choices = data.get("choices", [])
        errors = []
        if len(choices) < 2:
            errors.append(str(_l("Pilihan ganda butuh sedikitnya dua pilihan.")))
        fractions = [float(c.get("fraction", 0)) for c in choices]
        if any(not -1 <= f <= 1 for f in fractions):
            errors.append(str(_l("Bobot pilihan harus antara -100 dan 100 persen.")))
        elif not any(f > 0 for f in fractions):
            errors.append(str(_l("Tandai sedikitnya satu pilihan sebagai benar (bobot positif).")))
        elif data.get("single", True):
            if abs(max(fractions) - 1) > 1e-6:  # Moodle: "One of the choices should be 100%"
                errors.append(str(_l("Satu pilihan harus berbobot 100%% (bobot tertinggi sekarang %(p)s%%).",
                                     p=f"{max(fractions) * 100:g}")))
        elif abs(round(sum(f for f in fractions if f > 0), 2) - 1) > 1e-6:
            # Moodle: "The positive grades you have chosen do not add up to 100%"
            errors.append(str(_l("Bobot positif harus berjumlah 100%% (sekarang %(p)s%%).",
                                 p=f"{sum(f for f in fractions if f > 0) * 100:g}")))
        if len({c.get("id") for c in choices}) != len(choices):
            errors.append(str(_l("Id pilihan harus unik.")))
        return errors

    def clean(self, data: dict, sanitize) -> dict:
        data = dict(data)
        data["choices"] = [{**c, "id": str(c["id"]), "text": sanitize(c.get("text")),
                            "feedback": sanitize(c.get("feedback")), "fraction": float(c.get("fraction", 0))}
                           for c in data.get("choices", [])]
        if data.get("feedback"):
            data["feedback"] = {k: sanitize(v) for k, v in data["feedback"].items() if v}
        return data

    def choices(self, data: dict) -> list[dict]:
        return [{"id": c["id"], "text": c["text"]} for c in data.get("choices", [])]

    def layout(self, data: dict, shuffle: bool, rng: random.Random) -> dict:
        ids = [c["id"] for c in data.get("choices", [])]
        if shuffle and data.get("shuffle", True):
            rng.shuffle(ids)
        return {"choices": ids}

    def item(self, data: dict, entry: dict) -> dict:
        return {"multiple": not data.get("single", True),
                "labels": numbering_labels(data.get("numbering", "abc"), len(entry.get("choices", [])))}

    def check_response(self, data: dict, response: Any) -> Any:
        if response is None:
            return None
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

    def grade(self, data: dict, response: Any) -> Outcome:
        if response in (None, "", []):
            return Outcome(ZERO)
        by_id = {c["id"]: c for c in data.get("choices", [])}
        picked = [response] if isinstance(response, str) else list(response)
        chosen = [by_id[p] for p in picked if p in by_id]
        total = clamp(sum((exact(c.get("fraction", 0)) for c in chosen), ZERO))
        feedback = " ".join(c.get("feedback", "") for c in chosen if c.get("feedback"))
        combined = (data.get("feedback") or {}).get("correct" if total == 1 else "partial" if total > 0 else "incorrect")
        if combined:
            feedback = (feedback + " " + combined).strip()
        return Outcome(total, feedback)

    def parts_right(self, data: dict, response: Any) -> tuple[int, int] | None:
        if data.get("single", True):
            return None  # Moodle counts right choices only where several are right
        good = {c["id"] for c in data.get("choices", []) if float(c.get("fraction", 0)) > 0}
        return len(good & set(response or [])), len(good)

    def clear_wrong(self, data: dict, response: Any) -> Any:
        if data.get("single", True) or not isinstance(response, list):
            return response
        good = {c["id"] for c in data.get("choices", []) if float(c.get("fraction", 0)) > 0}
        return [r for r in response if r in good]

    def form_response(self, item: dict, form) -> tuple[bool, Any]:
        key = f"q-{item['id']}"
        if item.get("multiple"):
            return True, form.getlist(key)
        return (key in form), form.get(key)

    def right_answer(self, data: dict) -> str:
        return "; ".join(strip_tags(c["text"]) for c in data.get("choices", []) if float(c.get("fraction", 0)) > 0)

    def response_text(self, item: dict, response: Any) -> str:
        picked = set(response) if isinstance(response, list) else {response}
        return "; ".join(strip_tags(c["text"]) for c in item.get("choices", []) if c["id"] in picked)

    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        errors: list[str] = []
        old = existing.get("choices", [])
        fresh = next_id(old)
        choices = []
        for i in range(int(form.get("rows", 0) or 0)):
            text = form.get(f"c{i}_text", "").strip()
            if not text:
                continue
            cid = form.get(f"c{i}_id", "").strip()
            if not cid:  # a new choice gets a fresh id; old ids stay, so past answers still point right
                cid, fresh = str(fresh), fresh + 1
            choices.append({"id": cid, "text": text, "fraction": percent_of(form.get(f"c{i}_fraction", "0"), 0.0, errors),
                            "feedback": form.get(f"c{i}_feedback", "")})
        numbering = form.get("numbering", existing.get("numbering", "abc"))
        data = {"single": form.get("single") == "1", "shuffle": bool(form.get("shuffle")),
                "numbering": numbering if numbering in NUMBERINGS else "abc", "choices": choices}
        combined = {k: form.get(f"feedback_{k}", "").strip() for k in ("correct", "partial", "incorrect")}
        if any(combined.values()):
            data["feedback"] = {k: v for k, v in combined.items() if v}
        return data, errors

    def read_xml(self, el, path: str) -> dict:
        choices = []
        for i, ans in enumerate(el.findall("answer"), 1):
            apath = f"{path}/answer[{i}]"
            body = to_html(text_of(ans), ans.get("format", "html"))
            if not body.strip():
                continue  # Moodle drops empty answers
            choices.append({"id": str(len(choices) + 1), "text": body, "fraction": xml_fraction(ans, apath),
                            "feedback": formatted(ans.find("feedback"))})
        if len(choices) < 2:
            raise XmlProblem(el, path, "Soal pilihan ganda butuh sedikitnya dua <answer> berisi teks.")
        numbering = text_of(el, "answernumbering").strip() or "abc"
        data = {"single": as_bool(text_of(el, "single") or None, True),
                "shuffle": as_bool(text_of(el, "shuffleanswers") or None, True),
                "numbering": numbering if numbering in NUMBERINGS else "abc", "choices": choices}
        return read_combined_feedback(el, data)

    def write_xml(self, el, data: dict) -> None:
        leaf(el, "single", "true" if data.get("single", True) else "false")
        leaf(el, "shuffleanswers", "true" if data.get("shuffle", True) else "false")
        leaf(el, "answernumbering", data.get("numbering", "abc"))
        write_combined_feedback(el, data)
        from app.quizzes.qtypes.base import pct

        for ch in data.get("choices", []):
            a = sub(el, "answer", ch["text"], fraction=pct(ch.get("fraction", 0)), format="html")
            sub(a, "feedback", ch.get("feedback", ""), format="html")

    def write_gift(self, data: dict) -> str | None:
        single = data.get("single", True)
        lines = []
        for ch in data.get("choices", []):
            f = float(ch.get("fraction", 0))
            mark = "=" if single and abs(f - 1) < 1e-9 else "~" if f == 0 else "~" + gift_weight(f)
            line = mark + gift_html(ch["text"])
            if ch.get("feedback"):
                line += "#" + gift_html(ch["feedback"])
            lines.append("\t" + line)
        return "\n" + "\n".join(lines) + "\n"


TYPE = MultiChoice()
