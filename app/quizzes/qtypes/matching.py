"""Matching: each stem gets one of the answers from a list (a pair without a stem is a distractor).

data: {"shuffle": bool, "pairs": [{"id": "1", "stem": html, "answer": str}],
       "feedback": {"correct", "partial", "incorrect"}: html (optional)}
Response: {stem id: choice id}; the choices are the distinct answers, ids `c1`, `c2`, …
"""

from __future__ import annotations

import random
from typing import Any

from flask_babel import lazy_gettext as _l

from app.quizzes.qtypes.base import (
    ZERO,
    BadResponse,
    Outcome,
    QuestionType,
    XmlProblem,
    as_bool,
    exact,
    formatted,
    gift_escape,
    gift_html,
    leaf,
    next_id,
    read_combined_feedback,
    strip_tags,
    sub,
    text_of,
    write_combined_feedback,
)


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


class Matching(QuestionType):
    name = "matching"
    label = _l("Menjodohkan")
    xml_names = ("match",)
    response_shape = "map"
    hide_ids = True  # choice c1 is the first pair's answer: its id would name stem 1's match

    def validate(self, data: dict) -> list[str]:
        pairs = data.get("pairs", [])
        errors = []
        if sum(1 for p in pairs if p.get("stem", "").strip()) < 2:
            errors.append(str(_l("Menjodohkan butuh sedikitnya dua pasangan.")))
        if any(not str(p.get("answer", "")).strip() for p in pairs):
            errors.append(str(_l("Setiap pasangan harus punya jawaban.")))
        return errors

    def clean(self, data: dict, sanitize) -> dict:
        out = {**data, "pairs": [{**p, "id": str(p["id"]), "stem": sanitize(p.get("stem"))} for p in data.get("pairs", [])]}
        if data.get("feedback"):
            out["feedback"] = {k: sanitize(v) for k, v in data["feedback"].items() if v}
        return out

    def choices(self, data: dict) -> list[dict]:
        return matching_choices(data)

    def stems(self, data: dict) -> list[dict] | None:
        return matching_stems(data)

    def layout(self, data: dict, shuffle: bool, rng: random.Random) -> dict:
        # As Moodle: the choices are always shuffled (in the pairs' order the n-th choice would
        # be the n-th stem's answer); "shuffle" shuffles the stems.
        choices = [c["id"] for c in matching_choices(data)]
        rng.shuffle(choices)
        stems = [s["id"] for s in matching_stems(data)]
        if shuffle and data.get("shuffle", True):
            rng.shuffle(stems)
        return {"choices": choices, "stems": stems}

    def check_response(self, data: dict, response: Any) -> Any:
        if response is None:
            return None
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

    def grade(self, data: dict, response: Any) -> Outcome:
        stems = matching_stems(data)
        if not response or not stems:
            return Outcome(ZERO)
        choice_id = {c["text"]: c["id"] for c in matching_choices(data)}
        right = sum(1 for p in data.get("pairs", []) if p.get("stem", "").strip()
                    and response.get(p["id"]) == choice_id[p["answer"]])
        fraction = exact(right) / exact(len(stems))
        combined = (data.get("feedback") or {}).get(
            "correct" if right == len(stems) else "partial" if right else "incorrect", "")
        return Outcome(fraction, combined)

    def _right_by_stem(self, data: dict) -> dict[str, str]:
        choice_id = {c["text"]: c["id"] for c in matching_choices(data)}
        return {p["id"]: choice_id[p["answer"]] for p in data.get("pairs", []) if p.get("stem", "").strip()}

    def parts_right(self, data: dict, response: Any) -> tuple[int, int] | None:
        right = self._right_by_stem(data)
        return sum(1 for s, c in (response or {}).items() if right.get(s) == c), len(right)

    def clear_wrong(self, data: dict, response: Any) -> Any:
        right = self._right_by_stem(data)
        return {s: c for s, c in (response or {}).items() if right.get(s) == c}

    def form_response(self, item: dict, form) -> tuple[bool, Any]:
        key = f"q-{item['id']}"
        return True, {s["id"]: form.get(f"{key}-{s['id']}") for s in item["stems"] if form.get(f"{key}-{s['id']}")}

    def right_answer(self, data: dict) -> str:
        return "; ".join(f"{strip_tags(p['stem'])} → {p['answer']}" for p in data.get("pairs", [])
                         if p.get("stem", "").strip())

    def response_text(self, item: dict, response: Any) -> str:
        names = {c["id"]: c["text"] for c in item.get("choices", [])}
        return "; ".join(f"{strip_tags(s['text'])} → {names.get(response.get(s['id']), '—')}"
                         for s in item.get("stems", []))

    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        fresh = next_id(existing.get("pairs", []))
        pairs = []
        for i in range(int(form.get("rows", 0) or 0)):
            stem, answer = form.get(f"p{i}_stem", "").strip(), form.get(f"p{i}_answer", "").strip()
            if not stem and not answer:
                continue
            pid = form.get(f"p{i}_id", "").strip()
            if not pid:
                pid, fresh = str(fresh), fresh + 1
            pairs.append({"id": pid, "stem": stem, "answer": answer})
        data: dict = {"shuffle": bool(form.get("shuffle")), "pairs": pairs}
        combined = {k: form.get(f"feedback_{k}", "").strip() for k in ("correct", "partial", "incorrect")}
        if any(combined.values()):
            data["feedback"] = {k: v for k, v in combined.items() if v}
        return data, []

    def read_xml(self, el, path: str) -> dict:
        pairs = []
        for i, sq in enumerate(el.findall("subquestion"), 1):
            answer = text_of(sq, "answer/text").strip()
            stem = formatted(sq)
            if not answer:
                if not stem.strip():
                    continue  # Moodle ignores a wholly empty subquestion
                raise XmlProblem(sq, f"{path}/subquestion[{i}]/answer", "Jawaban pasangan kosong.")
            pairs.append({"id": str(len(pairs) + 1), "stem": stem, "answer": answer})
        if sum(1 for p in pairs if p["stem"].strip()) < 2:
            raise XmlProblem(el, path, "Soal menjodohkan butuh sedikitnya dua <subquestion> berisi teks.")
        data = {"shuffle": as_bool(text_of(el, "shuffleanswers") or None, True), "pairs": pairs}
        return read_combined_feedback(el, data)

    def write_xml(self, el, data: dict) -> None:
        from lxml import etree

        leaf(el, "shuffleanswers", "true" if data.get("shuffle", True) else "false")
        write_combined_feedback(el, data)
        for pair in data.get("pairs", []):
            s = sub(el, "subquestion", pair.get("stem", ""), format="html")
            a = etree.SubElement(s, "answer")
            etree.SubElement(a, "text").text = pair["answer"]

    def write_gift(self, data: dict) -> str | None:
        return "\n" + "\n".join(f"\t={gift_html(p.get('stem', ''))} -> {gift_escape(p['answer'])}"
                                for p in data.get("pairs", [])) + "\n"


TYPE = Matching()
