"""Random short-answer matching (Moodle's randomsamatch): when an attempt starts, `choose` short
answer questions are drawn from the question's own category (and its subcategories when
`subcats`); their texts become the stems and their right answers the choices of a matching
question. The drawn pairs are fixed in the attempt, so grading and review see what was shown.

data: {"choose": int, "subcats": bool, "shuffle": true}
Response: as matching, {stem id: choice id}.
"""

from __future__ import annotations

import random

from flask_babel import lazy_gettext as _l

from app.quizzes.qtypes.base import XmlProblem, as_bool, leaf, strip_tags, text_of
from app.quizzes.qtypes.matching import Matching, matching_choices, matching_stems

DRAWS_FROM = "shortanswer"


class RandomShortAnswerMatching(Matching):
    name = "randomsamatch"
    label = _l("Menjodohkan isian singkat acak")
    xml_names = ()
    draws_from_bank = DRAWS_FROM

    def validate(self, data: dict) -> list[str]:
        if not 2 <= int(data.get("choose") or 0) <= 20:
            return [str(_l("Jumlah soal yang ditarik harus antara 2 dan 20."))]
        return []

    def clean(self, data: dict, sanitize) -> dict:
        return {"choose": int(data.get("choose") or 2), "subcats": bool(data.get("subcats", True)), "shuffle": True}

    def draw(self, data: dict, pool: list[tuple[int, str, dict]], rng: random.Random) -> dict:
        """The pairs for one attempt from the short answers available: (id, text, data)."""
        usable = []
        for qid, text, qdata in pool:
            right = next((a["text"] for a in qdata.get("answers", []) if float(a.get("fraction", 0)) >= 1
                          and "*" not in a["text"]), None)
            if right:
                usable.append({"id": str(qid), "stem": text, "answer": right})
        n = int(data.get("choose") or 2)
        if len(usable) < n:
            raise ValueError(f"kategori ini hanya punya {len(usable)} soal isian singkat yang bisa dipakai, "
                             f"kurang dari {n}")
        return {"pairs": rng.sample(usable, n)}

    def attempt_data(self, data: dict, entry: dict) -> dict:
        return {**data, "pairs": entry.get("pairs", []), "shuffle": True}

    def layout(self, data: dict, shuffle: bool, rng: random.Random) -> dict:
        choices = [c["id"] for c in matching_choices(data)]
        rng.shuffle(choices)
        return {"choices": choices, "stems": [s["id"] for s in matching_stems(data)]}

    def right_answer(self, data: dict) -> str:
        if not data.get("pairs"):
            return str(_l("(ditarik acak dari %(n)s soal isian singkat)", n=data.get("choose")))
        return "; ".join(f"{strip_tags(p['stem'])} → {p['answer']}" for p in data["pairs"])

    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        try:
            choose = int(form.get("choose", "3") or 3)
        except ValueError:
            return {"choose": 0}, ["Jumlah soal yang ditarik harus angka."]
        return {"choose": choose, "subcats": bool(form.get("subcats")), "shuffle": True}, []

    def read_xml(self, el, path: str) -> dict:
        raw = text_of(el, "choose").strip() or "2"
        if not raw.isdigit():
            raise XmlProblem(el.find("choose"), path + "/choose", f"Jumlah '{raw}' bukan angka.")
        return {"choose": int(raw), "subcats": as_bool(text_of(el, "subcats") or None, True), "shuffle": True}

    def write_xml(self, el, data: dict) -> None:
        leaf(el, "choose", data.get("choose", 2))
        leaf(el, "subcats", "1" if data.get("subcats", True) else "0")

    def write_gift(self, data: dict) -> str | None:
        return None


TYPE = RandomShortAnswerMatching()
