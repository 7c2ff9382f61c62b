"""Ordering (Moodle's qtype_ordering): put the items in the right order.

data: {"items": [{"id": "1", "text": html}] in the right order, "grading": one of GRADINGS,
       "numbering": "none"|"123"|"abc"|…, "feedback": {"correct", "partial", "incorrect"} (optional)}
Response: the item ids in the learner's order (a list), or {item id: position} as the page sends.
Grading as Moodle's: ALL_OR_NOTHING; ABSOLUTE_POSITION (a share per item in its right place);
RELATIVE_NEXT_EXCLUDE_LAST / _INCLUDE_LAST (a share per item followed by its right successor);
LONGEST_ORDERED_SUBSET / LONGEST_CONTIGUOUS_SUBSET (the longest run in the right order, as a share).
"""

from __future__ import annotations

import random
from typing import Any

from flask_babel import lazy_gettext as _l

from app.quizzes.parsed import to_html
from app.quizzes.qtypes.base import (
    ONE,
    ZERO,
    BadResponse,
    Outcome,
    QuestionType,
    XmlProblem,
    exact,
    leaf,
    read_combined_feedback,
    strip_tags,
    sub,
    text_of,
    write_combined_feedback,
)

GRADINGS = ("ALL_OR_NOTHING", "ABSOLUTE_POSITION", "RELATIVE_NEXT_EXCLUDE_LAST", "RELATIVE_NEXT_INCLUDE_LAST",
            "LONGEST_ORDERED_SUBSET", "LONGEST_CONTIGUOUS_SUBSET")
_MOODLE_NUMBERS = {"-1": "ALL_OR_NOTHING", "0": "ABSOLUTE_POSITION", "1": "RELATIVE_NEXT_EXCLUDE_LAST",
                   "2": "RELATIVE_NEXT_INCLUDE_LAST", "4": "LONGEST_ORDERED_SUBSET", "5": "LONGEST_CONTIGUOUS_SUBSET"}


def _longest_ordered(seq: list[int]) -> int:
    best: list[int] = []
    for i in range(len(seq)):
        best.append(1 + max([best[j] for j in range(i) if seq[j] < seq[i]] or [0]))
    return max(best or [0])


def _longest_contiguous(seq: list[int]) -> int:
    best = run = 1 if seq else 0
    for a, b in zip(seq, seq[1:], strict=False):
        run = run + 1 if b == a + 1 else 1
        best = max(best, run)
    return best


class Ordering(QuestionType):
    name = "ordering"
    label = _l("Urutkan")
    response_shape = "map"
    hide_ids = True  # the own ids are the items' right places ("1" first)

    def map_response(self, response: Any, to: Any, *, ids: dict[str, str] | None = None) -> Any:
        if isinstance(response, dict):  # {item id: position}, as the page sends it
            return {to(str(k)): v for k, v in response.items()}
        return super().map_response(response, to, ids=ids)

    def validate(self, data: dict) -> list[str]:
        items = data.get("items", [])
        if len(items) < 2:
            return [str(_l("Urutan butuh sedikitnya dua butir."))]
        if data.get("grading", "ABSOLUTE_POSITION") not in GRADINGS:
            return [str(_l("Cara penilaian urutan tidak dikenal."))]
        return []

    def clean(self, data: dict, sanitize) -> dict:
        out = {**data, "items": [{"id": str(i["id"]), "text": sanitize(i.get("text"))} for i in data.get("items", [])]}
        out["grading"] = data.get("grading", "ABSOLUTE_POSITION")
        if data.get("feedback"):
            out["feedback"] = {k: sanitize(v) for k, v in data["feedback"].items() if v}
        return out

    def choices(self, data: dict) -> list[dict]:
        return [{"id": i["id"], "text": i["text"]} for i in data.get("items", [])]

    def layout(self, data: dict, shuffle: bool, rng: random.Random) -> dict:
        ids = [i["id"] for i in data.get("items", [])]
        # always shown shuffled (the order is the question), never in the right order by chance
        for _ in range(5):
            rng.shuffle(ids)
            if ids != [i["id"] for i in data.get("items", [])] or len(ids) < 2:
                break
        return {"choices": ids}

    def item(self, data: dict, entry: dict) -> dict:
        return {"positions": list(range(1, len(entry.get("choices", [])) + 1))}

    def check_response(self, data: dict, response: Any) -> Any:
        if response is None:
            return None
        ids = [i["id"] for i in data.get("items", [])]
        if isinstance(response, dict):
            try:
                pos = {str(k): int(v) for k, v in response.items() if v not in (None, "")}
            except (TypeError, ValueError):
                raise BadResponse("posisi harus angka") from None
            if set(pos) - set(ids):
                raise BadResponse("butir tidak dikenal")
            if len(pos) < len(ids):
                return sorted(pos, key=lambda k: pos[k]) if pos else None  # partly ordered: as far as given
            response = sorted(pos, key=lambda k: (pos[k], ids.index(k)))
        if not isinstance(response, list) or any(str(r) not in ids for r in response) or \
                len(set(map(str, response))) != len(response):
            raise BadResponse("harus berupa daftar id butir, masing-masing sekali")
        return [str(r) for r in response]

    def grade(self, data: dict, response: Any) -> Outcome:
        right = [i["id"] for i in data.get("items", [])]
        if not response or not right:
            return Outcome(ZERO)
        rank = {item: n for n, item in enumerate(right)}
        given = [rank[r] for r in response if r in rank]
        n = len(right)
        how = data.get("grading", "ABSOLUTE_POSITION")
        if how == "ALL_OR_NOTHING":
            fraction = ONE if given == list(range(n)) else ZERO
        elif how == "ABSOLUTE_POSITION":
            fraction = exact(sum(1 for p, r in enumerate(given) if p == r)) / exact(n)
        elif how in ("RELATIVE_NEXT_EXCLUDE_LAST", "RELATIVE_NEXT_INCLUDE_LAST"):
            pairs = sum(1 for a, b in zip(given, given[1:], strict=False) if b == a + 1)
            last_ok = how == "RELATIVE_NEXT_INCLUDE_LAST" and given and given[-1] == n - 1
            fraction = exact(pairs + int(bool(last_ok))) / exact(n - 1 + (how == "RELATIVE_NEXT_INCLUDE_LAST"))
        elif how == "LONGEST_ORDERED_SUBSET":
            fraction = exact(_longest_ordered(given)) / exact(n) if len(given) > 1 else ZERO
        else:
            fraction = exact(_longest_contiguous(given)) / exact(n) if len(given) > 1 else ZERO
        combined = (data.get("feedback") or {}).get(
            "correct" if fraction == 1 else "partial" if fraction > 0 else "incorrect", "")
        return Outcome(fraction, combined)

    def form_response(self, item: dict, form) -> tuple[bool, Any]:
        key = f"q-{item['id']}"
        return True, {c["id"]: form.get(f"{key}-{c['id']}") for c in item.get("choices", [])
                      if form.get(f"{key}-{c['id']}")}

    def right_answer(self, data: dict) -> str:
        return " → ".join(strip_tags(i["text"]) for i in data.get("items", []))

    def response_text(self, item: dict, response: Any) -> str:
        names = {c["id"]: strip_tags(c["text"]) for c in item.get("choices", [])}
        order = response if isinstance(response, list) else []
        return " → ".join(names.get(r, "?") for r in order)

    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        items = []
        for i in range(int(form.get("rows", 0) or 0)):
            text = form.get(f"i{i}_text", "").strip()
            if text:
                items.append({"id": str(len(items) + 1), "text": text})
        data: dict = {"items": items, "grading": form.get("grading", "ABSOLUTE_POSITION")}
        combined = {k: form.get(f"feedback_{k}", "").strip() for k in ("correct", "partial", "incorrect")}
        if any(combined.values()):
            data["feedback"] = {k: v for k, v in combined.items() if v}
        return data, []

    def read_xml(self, el, path: str) -> dict:
        answers = el.findall("answer")
        items = []
        for i, ans in enumerate(answers, 1):
            body = to_html(text_of(ans), ans.get("format", "html"))
            if not body.strip():
                continue
            try:
                place = float(ans.get("fraction", i))
            except ValueError:
                raise XmlProblem(ans, f"{path}/answer[{i}]/@fraction", "Posisi butir bukan angka.") from None
            items.append((place, i, body))
        items.sort()
        raw = text_of(el, "gradingtype").strip().upper() or "ABSOLUTE_POSITION"
        grading = _MOODLE_NUMBERS.get(raw, raw)
        if grading not in GRADINGS:
            raise XmlProblem(el.find("gradingtype"), path + "/gradingtype",
                             f"Cara penilaian urutan '{raw}' belum didukung Lentera; soal dilewati.")
        data: dict = {"items": [{"id": str(n), "text": body} for n, (_p, _i, body) in enumerate(items, 1)],
                      "grading": grading}
        return read_combined_feedback(el, data)

    def write_xml(self, el, data: dict) -> None:
        leaf(el, "layouttype", "VERTICAL")
        leaf(el, "selecttype", "ALL")
        leaf(el, "selectcount", "0")
        leaf(el, "gradingtype", data.get("grading", "ABSOLUTE_POSITION"))
        leaf(el, "showgrading", "SHOW")
        write_combined_feedback(el, data)
        for n, item in enumerate(data.get("items", []), 1):
            sub(el, "answer", item["text"], fraction=str(n), format="html")


TYPE = Ordering()
