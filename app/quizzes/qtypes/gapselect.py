"""Select missing words (Moodle's gapselect): the text holds gaps `[[1]]`, `[[2]]`…; gap `[[n]]`
is rightly filled with choice n, and offers every choice of choice n's group.

data: {"shuffle": bool, "choices": [{"id": "a1b2c3", "text": str, "group": 1}],
       "gaps": [choice id rightly in the 1st gap, …] (from the text, on save),
       "feedback": {"correct", "partial", "incorrect"}: html (optional)}
Choice ids are opaque and stable (kept through edits): `[[n]]` names the n-th choice by its
place in the list, so a choice's id must not say which gap it belongs to, or the page's option
values would give the answer away.
Response: {gap number ("1" = the first gap in the text): choice id}. Each right gap earns an
equal share, as in Moodle.
"""

from __future__ import annotations

import random
import re
import secrets
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
    leaf,
    read_combined_feedback,
    strip_tags,
    text_of,
    write_combined_feedback,
)

GAP = re.compile(r"\[\[(\d+)\]\]")


def new_id() -> str:
    return secrets.token_hex(3)


def gaps_of(text: str) -> list[str]:
    """The choice numbers of the gaps, in the order they appear in the text."""
    return GAP.findall(text or "")


class GapSelect(QuestionType):
    name = "gapselect"
    label = _l("Pilih kata yang hilang")
    element = "selectoption"  # the XML element of a choice
    response_shape = "map"
    hide_ids = True

    def with_text(self, text: str, data: dict) -> tuple[dict, list[str]]:
        choices = data.get("choices", [])
        gaps = gaps_of(text)
        if not gaps:
            return data, [str(_l("Tulis sedikitnya satu celah [[1]] di teks soal."))]
        missing = sorted({g for g in gaps if not 1 <= int(g) <= len(choices)}, key=int)
        if missing:
            return data, [str(_l("Celah [[%(n)s]] tidak punya pilihan nomor itu.", n=", ".join(missing)))]
        return {**data, "gaps": [choices[int(g) - 1]["id"] for g in gaps]}, []

    def validate(self, data: dict) -> list[str]:
        if not data.get("choices"):
            return [str(_l("Isi sedikitnya satu pilihan."))]
        if any(not str(c.get("text", "")).strip() for c in data["choices"]):
            return [str(_l("Setiap pilihan harus berisi teks."))]
        return []

    def clean(self, data: dict, sanitize) -> dict:
        out = {**data, "choices": [{"id": str(c["id"]), "text": strip_tags(str(c["text"])),
                                    "group": int(c.get("group") or 1), **({"infinite": True} if c.get("infinite") else {})}
                                   for c in data.get("choices", [])]}
        if data.get("feedback"):
            out["feedback"] = {k: sanitize(v) for k, v in data["feedback"].items() if v}
        return out

    def choices(self, data: dict) -> list[dict]:
        return [{"id": c["id"], "text": c["text"], "group": c.get("group", 1)} for c in data.get("choices", [])]

    def layout(self, data: dict, shuffle: bool, rng: random.Random) -> dict:
        ids = [c["id"] for c in data.get("choices", [])]
        if shuffle and data.get("shuffle", True):
            rng.shuffle(ids)
        return {"choices": ids}

    def item(self, data: dict, entry: dict) -> dict:
        return {"all_choices": self.choices(data)}

    def attempt_text(self, text: str, data: dict, entry: dict) -> list[dict] | None:
        return self.parts(text, data, entry.get("choices", []))

    def parts(self, text: str, data: dict, order: list[str]) -> list[dict]:
        """The text cut at its gaps: [{"html"}, {"gap", "options"}, …] for the attempt page."""
        by_id = {c["id"]: c for c in data.get("choices", [])}
        ordered = [by_id[i] for i in order if i in by_id] or list(by_id.values())
        out: list[dict] = []
        pos = 0
        choices = data.get("choices", [])
        for n, m in enumerate(GAP.finditer(text or ""), 1):
            out.append({"html": text[pos:m.start()]})
            k = int(m.group(1))
            group = choices[k - 1].get("group", 1) if 1 <= k <= len(choices) else 1
            out.append({"gap": str(n), "options": [{"id": c["id"], "text": c["text"]} for c in ordered
                                                   if c.get("group", 1) == group]})
            pos = m.end()
        out.append({"html": text[pos:]})
        return out

    def check_response(self, data: dict, response: Any) -> Any:
        if response is None:
            return None
        if not isinstance(response, dict):
            raise BadResponse("harus berupa objek {celah: pilihan}")
        ids = {c["id"] for c in data.get("choices", [])}
        out = {}
        for k, v in response.items():
            if not str(k).isdigit():
                raise BadResponse("celah tidak dikenal")
            if v in (None, ""):
                continue
            if str(v) not in ids:
                raise BadResponse("pilihan tidak dikenal")
            out[str(k)] = str(v)
        return out

    def grade(self, data: dict, response: Any) -> Outcome:
        gaps = data.get("gaps", [])
        if not gaps or not response:
            return Outcome(ZERO)
        by_id = {c["id"]: c for c in data.get("choices", [])}
        right = 0
        for n, want in enumerate(gaps, 1):
            got = response.get(str(n))
            # another choice with the same text in the same group is as right (as in Moodle)
            if got == want or (got in by_id and want in by_id and by_id[got]["text"] == by_id[want]["text"]
                               and by_id[got].get("group") == by_id[want].get("group")):
                right += 1
        fraction = exact(right) / exact(len(gaps))
        combined = (data.get("feedback") or {}).get(
            "correct" if right == len(gaps) else "partial" if right else "incorrect", "")
        return Outcome(fraction, combined)

    def _gap_right(self, data: dict, gap: str, got: Any) -> bool:
        gaps = data.get("gaps", [])
        if not gap.isdigit() or not 1 <= int(gap) <= len(gaps):
            return False
        want = gaps[int(gap) - 1]
        by_id = {c["id"]: c for c in data.get("choices", [])}
        return got == want or (got in by_id and want in by_id and by_id[got]["text"] == by_id[want]["text"]
                               and by_id[got].get("group") == by_id[want].get("group"))

    def parts_right(self, data: dict, response: Any) -> tuple[int, int] | None:
        return (sum(1 for g, c in (response or {}).items() if self._gap_right(data, g, c)),
                len(data.get("gaps", [])))

    def clear_wrong(self, data: dict, response: Any) -> Any:
        return {g: c for g, c in (response or {}).items() if self._gap_right(data, g, c)}

    def form_response(self, item: dict, form) -> tuple[bool, Any]:
        key = f"q-{item['id']}"
        return True, {p["gap"]: form.get(f"{key}-{p['gap']}") for p in item.get("parts", [])
                      if "gap" in p and form.get(f"{key}-{p['gap']}")}

    def right_answer(self, data: dict) -> str:
        by_id = {c["id"]: c["text"] for c in data.get("choices", [])}
        return "; ".join(f"{n}: {by_id.get(want, '—')}" for n, want in enumerate(data.get("gaps", []), 1))

    def response_text(self, item: dict, response: Any) -> str:
        names = {c["id"]: c["text"] for c in item.get("all_choices", [])}
        return "; ".join(f"{p['gap']}: {names.get(response.get(p['gap']), '—')}" for p in item.get("parts", [])
                         if "gap" in p)

    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        errors: list[str] = []
        choices = []
        for i in range(int(form.get("rows", 0) or 0)):
            text = form.get(f"c{i}_text", "").strip()
            if not text:
                continue
            try:
                group = max(1, min(20, int(form.get(f"c{i}_group", "1") or 1)))
            except ValueError:
                errors.append(f"Grup '{form.get(f'c{i}_group')}' bukan angka.")
                group = 1
            choice = {"id": form.get(f"c{i}_id", "").strip() or new_id(), "text": text, "group": group}
            if form.get(f"c{i}_infinite"):
                choice["infinite"] = True
            choices.append(choice)
        data: dict = {"shuffle": bool(form.get("shuffle")), "choices": choices}
        combined = {k: form.get(f"feedback_{k}", "").strip() for k in ("correct", "partial", "incorrect")}
        if any(combined.values()):
            data["feedback"] = {k: v for k, v in combined.items() if v}
        return data, errors

    def read_xml(self, el, path: str) -> dict:
        choices = []
        for i, opt in enumerate(el.findall(self.element), 1):
            text = text_of(opt).strip()
            if not text:
                raise XmlProblem(opt, f"{path}/{self.element}[{i}]", "Pilihan kosong.")
            try:
                group = int(text_of(opt, "group").strip() or 1)
            except ValueError:
                raise XmlProblem(opt, f"{path}/{self.element}[{i}]/group", "Grup pilihan bukan angka.") from None
            choice = {"id": new_id(), "text": text, "group": group}
            if opt.find("infinite") is not None:
                choice["infinite"] = True
            choices.append(choice)
        data: dict = {"shuffle": as_bool(text_of(el, "shuffleanswers") or None, True), "choices": choices}
        return read_combined_feedback(el, data)

    def write_xml(self, el, data: dict) -> None:
        from lxml import etree

        leaf(el, "shuffleanswers", "1" if data.get("shuffle", True) else "0")
        write_combined_feedback(el, data)
        for c in data.get("choices", []):
            opt = etree.SubElement(el, self.element)
            etree.SubElement(opt, "text").text = c["text"]
            leaf(opt, "group", c.get("group", 1))
            if c.get("infinite"):
                etree.SubElement(opt, "infinite")


TYPE = GapSelect()
