"""Embedded answers (Cloze, Moodle's multianswer): answer fields inside the text, written in
Moodle's cloze syntax, e.g. `{1:SHORTANSWER:=Jakarta#Tepat~%50%DKI}`, `{2:NUMERICAL:=3.14:0.01}`,
`{1:MULTICHOICE:=pelayan#Ya~penguasa}`, `{MULTIRESPONSE:%50%a~%50%b~%-100%c}`.

The text is stored with each field as `{#n}`; the fields are in data:
{"subs": [{"id": "1", "kind": "shortanswer"|"numerical"|"multichoice"|"multiresponse",
           "code": the Moodle type as written (kept for export), "weight": int,
           "case_sensitive": bool, "shuffle": bool,
           "answers": [{"text": str, "fraction": -1..1, "feedback": str}]
                      (numerical: {"value": float | "*", "tolerance": float, …})}]}
Response: {sub id: text | choice id | [choice ids]}. The mark is the weighted share of the
fields' marks, as in Moodle.
"""

from __future__ import annotations

import random
import re
from typing import Any

from flask_babel import lazy_gettext as _l

from app.quizzes.qtypes.base import (
    ZERO,
    BadResponse,
    Outcome,
    QuestionType,
    XmlProblem,
    clamp,
    exact,
    fmt_number,
    parse_number,
    strip_tags,
    text_of,
)
from app.quizzes.qtypes.shortanswer import wildcard_match

CODE = re.compile(r"\{(\d*):([A-Za-z_]+):((?:\\.|[^}\\])*)\}")
PLACE = re.compile(r"\{#(\d+)\}")
KINDS = {
    "SHORTANSWER": "shortanswer", "SA": "shortanswer", "MW": "shortanswer",
    "SHORTANSWER_C": "shortanswer_c", "SAC": "shortanswer_c", "MWC": "shortanswer_c",
    "NUMERICAL": "numerical", "NM": "numerical",
    "MULTICHOICE": "multichoice", "MC": "multichoice", "MULTICHOICE_V": "multichoice", "MCV": "multichoice",
    "MULTICHOICE_H": "multichoice", "MCH": "multichoice",
    "MULTICHOICE_S": "multichoice_s", "MCS": "multichoice_s", "MULTICHOICE_VS": "multichoice_s",
    "MCVS": "multichoice_s", "MULTICHOICE_HS": "multichoice_s", "MCHS": "multichoice_s",
    "MULTIRESPONSE": "multiresponse", "MR": "multiresponse", "MULTIRESPONSE_H": "multiresponse",
    "MRH": "multiresponse", "MULTIRESPONSE_S": "multiresponse_s", "MRS": "multiresponse_s",
    "MULTIRESPONSE_HS": "multiresponse_s", "MRHS": "multiresponse_s",
}
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s).strip()


def _split(body: str, mark: str) -> list[str]:
    """Split on `mark` where it is not escaped with a backslash."""
    return re.split(r"(?<!\\)" + re.escape(mark), body)


def parse_cloze(text: str) -> tuple[str, list[dict], list[str]]:
    """(text with {#n}, the fields, problems)."""
    subs: list[dict] = []
    problems: list[str] = []

    def one(m: re.Match) -> str:
        n = len(subs) + 1
        weight, code, body = m.group(1), m.group(2).upper(), m.group(3)
        kind = KINDS.get(code)
        if kind is None:
            problems.append(f"Isian ke-{n}: jenis '{m.group(2)}' tidak dikenal.")
            return m.group(0)
        sub: dict[str, Any] = {"id": str(n), "kind": kind.split("_")[0], "code": code,
                               "weight": int(weight) if weight else 1}
        if kind == "shortanswer_c":
            sub["case_sensitive"] = True
        if kind.endswith("_s"):
            sub["shuffle"] = True
        answers = []
        for piece in _split(body, "~"):
            piece = piece.strip()
            if not piece:
                continue
            fraction = 0.0
            if piece.startswith("="):
                fraction, piece = 1.0, piece[1:]
            else:
                w = _WEIGHT.match(piece)
                if w:
                    fraction, piece = float(w.group(1)) / 100, piece[w.end():]
            parts = _split(piece, "#")
            answer, feedback = parts[0], "#".join(parts[1:])
            row: dict[str, Any] = {"fraction": fraction, "feedback": _unescape(feedback)}
            if sub["kind"] == "numerical":
                value = _unescape(answer)
                try:
                    if value == "*":
                        row.update(value="*", tolerance=0.0)
                    else:
                        v, _, tol = value.partition(":")
                        row.update(value=float(v), tolerance=abs(float(tol or 0)))
                except ValueError:
                    problems.append(f"Isian ke-{n}: '{value}' bukan angka (tulis 3.14 atau 3.14:0.01).")
                    continue
            else:
                row["text"] = _unescape(answer)
                if sub["kind"] in ("multichoice", "multiresponse"):
                    row["id"] = str(len(answers) + 1)
            answers.append(row)
        if not any(a["fraction"] > 0 for a in answers):
            problems.append(f"Isian ke-{n} tidak punya jawaban benar (= atau bobot positif).")
        sub["answers"] = answers
        subs.append(sub)
        return "{#" + str(n) + "}"

    return CODE.sub(one, text or ""), subs, problems


def cloze_code(sub: dict) -> str:
    """A field back in Moodle's syntax."""
    def esc(s: Any) -> str:
        return re.sub(r"([}~#\\])", r"\\\1", str(s))

    rows = []
    for a in sub["answers"]:
        f = float(a.get("fraction", 0))
        mark = "=" if f == 1 else ("%" + fmt_number(round(f * 100, 5)) + "%") if f else ""
        if sub["kind"] == "numerical":
            body = "*" if a["value"] == "*" else f"{fmt_number(a['value'])}:{fmt_number(a.get('tolerance', 0))}"
        else:
            body = esc(a["text"])
        rows.append(mark + body + (("#" + esc(a["feedback"])) if a.get("feedback") else ""))
    weight = str(sub.get("weight", 1))
    return "{" + weight + ":" + sub.get("code", sub["kind"].upper()) + ":" + "~".join(rows) + "}"


class Cloze(QuestionType):
    name = "multianswer"
    label = _l("Isian tersemat (Cloze)")
    response_shape = "map"
    xml_names = ("cloze",)
    hide_ids = True  # a drop-down's own ids follow the author's order

    def hidden_ids(self, data: dict, entry: dict) -> list[str]:
        # a field's choice ids are "1", "2"… in every field: keyed by field, "field:choice"
        return [f"{sub}:{cid}" for sub, ids in (entry.get("sub_order") or {}).items() for cid in ids]

    def tokens(self, data: dict, entry: dict) -> dict[str, str]:
        # "field:shown id", so that both ways a field's value is looked up as "field:value"
        return {own: own.split(":", 1)[0] + ":" + token for own, token in super().tokens(data, entry).items()}

    def map_response(self, response: Any, to: Any, *, ids: dict[str, str] | None = None) -> Any:
        if not isinstance(response, dict):
            return response
        # the fields with choices are those with ids ("field:choice"); a typed answer holds no id
        choosing = {own.split(":", 1)[0] for own in (ids or {})}
        out = {}
        for k, v in response.items():
            if str(k) not in choosing:
                out[k] = v
            elif isinstance(v, list):
                out[k] = [to(f"{k}:{x}").split(":", 1)[-1] if isinstance(x, str) else x for x in v]
            elif isinstance(v, str) and v:
                out[k] = to(f"{k}:{v}").split(":", 1)[-1]
            else:
                out[k] = v
        return out

    def show_ids(self, item: dict, ids: dict[str, str]) -> None:
        for part in item.get("parts") or []:
            if "options" in part:
                part["options"] = [{**c, "id": ids.get(f"{part['gap']}:{c['id']}", c["id"]).split(":", 1)[-1]}
                                   for c in part["options"]]
        if item.get("response") is not None:
            item["response"] = self.map_response(item["response"], lambda x: ids.get(x, x), ids=ids)

    def validate(self, data: dict) -> list[str]:
        subs = data.get("subs", [])
        if not subs:
            return [str(_l("Tulis sedikitnya satu isian, mis. {1:SHORTANSWER:=jawaban}."))]
        for sub in subs:
            if not any(float(a.get("fraction", 0)) > 0 for a in sub.get("answers", [])):
                return [str(_l("Isian ke-%(n)s tidak punya jawaban benar.", n=sub["id"]))]
        return []

    def clean(self, data: dict, sanitize) -> dict:
        return {**data, "subs": [{**s, "answers": [{**a, "feedback": strip_tags(str(a.get("feedback", ""))),
                                                    **({"text": str(a["text"])} if "text" in a else {})}
                                                   for a in s.get("answers", [])]}
                                 for s in data.get("subs", [])]}

    def layout(self, data: dict, shuffle: bool, rng: random.Random) -> dict:
        order = {}
        for sub in data.get("subs", []):
            if sub["kind"] in ("multichoice", "multiresponse"):
                ids = [a["id"] for a in sub["answers"]]
                if shuffle and sub.get("shuffle"):
                    rng.shuffle(ids)
                order[sub["id"]] = ids
        return {"choices": [], "sub_order": order}

    def attempt_text(self, text: str, data: dict, entry: dict) -> list[dict] | None:
        subs = {s["id"]: s for s in data.get("subs", [])}
        out: list[dict] = []
        pos = 0
        for m in PLACE.finditer(text or ""):
            sub = subs.get(m.group(1))
            if sub is None:
                continue
            out.append({"html": text[pos:m.start()]})
            part: dict[str, Any] = {"gap": sub["id"], "kind": sub["kind"]}
            if sub["kind"] in ("multichoice", "multiresponse"):
                by_id = {a["id"]: a for a in sub["answers"]}
                order = entry.get("sub_order", {}).get(sub["id"]) or list(by_id)
                part["options"] = [{"id": i, "text": by_id[i]["text"]} for i in order if i in by_id]
                part["multiple"] = sub["kind"] == "multiresponse"
            else:
                longest = max((len(str(a.get("text", a.get("value", "")))) for a in sub["answers"]), default=8)
                part["size"] = max(6, min(40, longest + 2))
            out.append(part)
            pos = m.end()
        out.append({"html": text[pos:]})
        return out

    def check_response(self, data: dict, response: Any) -> Any:
        if response is None:
            return None
        if not isinstance(response, dict):
            raise BadResponse("harus berupa objek {isian: jawaban}")
        subs = {s["id"]: s for s in data.get("subs", [])}
        out: dict[str, Any] = {}
        for k, v in response.items():
            sub = subs.get(str(k))
            if sub is None:
                raise BadResponse("isian tidak dikenal")
            if v in (None, "", []):
                continue
            if sub["kind"] == "multiresponse":
                v = v if isinstance(v, list) else [v]
                ids = {a["id"] for a in sub["answers"]}
                if any(str(x) not in ids for x in v):
                    raise BadResponse("pilihan tidak dikenal")
                out[str(k)] = sorted({str(x) for x in v})
            elif sub["kind"] == "multichoice":
                if str(v) not in {a["id"] for a in sub["answers"]}:
                    raise BadResponse("pilihan tidak dikenal")
                out[str(k)] = str(v)
            else:
                if not isinstance(v, str | int | float) or isinstance(v, bool):
                    raise BadResponse("harus berupa teks")
                if sub["kind"] == "numerical":
                    parse_number(v)
                out[str(k)] = str(v)[:1000]
        return out

    def _sub_grade(self, sub: dict, value: Any) -> tuple[Any, str]:
        if value in (None, "", []):
            return ZERO, ""
        if sub["kind"] == "multiresponse":
            picked = [a for a in sub["answers"] if a["id"] in value]
            return clamp(sum((exact(a["fraction"]) for a in picked), ZERO)), " ".join(
                a["feedback"] for a in picked if a.get("feedback"))
        for a in sub["answers"]:
            if sub["kind"] == "multichoice":
                hit = a["id"] == value
            elif sub["kind"] == "numerical":
                try:
                    number = parse_number(value)
                except BadResponse:
                    return ZERO, ""
                hit = a["value"] == "*" or abs(number - float(a["value"])) <= float(a.get("tolerance", 0)) + \
                    1e-9 * max(1.0, abs(float(a["value"])))
            else:
                hit = wildcard_match(a["text"], value, bool(sub.get("case_sensitive")))
            if hit:
                return clamp(exact(a["fraction"])), a.get("feedback", "")
        return ZERO, ""

    def grade(self, data: dict, response: Any) -> Outcome:
        subs = data.get("subs", [])
        total_weight = sum(int(s.get("weight", 1)) for s in subs)
        if not subs or not total_weight or not response:
            return Outcome(ZERO)
        earned = ZERO
        notes = []
        for sub in subs:
            fraction, fb = self._sub_grade(sub, response.get(sub["id"]))
            earned += fraction * exact(int(sub.get("weight", 1)))
            if fb:
                notes.append(fb)
        return Outcome(earned / exact(total_weight), " ".join(notes))

    def form_response(self, item: dict, form) -> tuple[bool, Any]:
        key = f"q-{item['id']}"
        out: dict[str, Any] = {}
        for p in item.get("parts", []):
            if "gap" not in p:
                continue
            if p.get("multiple"):
                values = form.getlist(f"{key}-{p['gap']}")
                if values:
                    out[p["gap"]] = values
            elif form.get(f"{key}-{p['gap']}"):
                out[p["gap"]] = form.get(f"{key}-{p['gap']}")
        return True, out

    def right_answer(self, data: dict) -> str:
        out = []
        for sub in data.get("subs", []):
            best = max(sub["answers"], key=lambda a: float(a.get("fraction", 0)), default=None)
            if best is None:
                continue
            shown = fmt_number(best["value"]) if sub["kind"] == "numerical" and best["value"] != "*" else \
                best.get("text", best.get("value"))
            if sub["kind"] == "multiresponse":
                shown = ", ".join(a["text"] for a in sub["answers"] if float(a.get("fraction", 0)) > 0)
            out.append(f"{sub['id']}: {shown}")
        return "; ".join(out)

    def response_text(self, item: dict, response: Any) -> str:
        out = []
        for p in item.get("parts", []):
            if "gap" not in p:
                continue
            v = response.get(p["gap"])
            if "options" in p:
                names = {o["id"]: o["text"] for o in p["options"]}
                v = ", ".join(names.get(x, "?") for x in v) if isinstance(v, list) else names.get(v, "—")
            out.append(f"{p['gap']}: {v if v not in (None, '') else '—'}")
        return "; ".join(out)

    def editor_text(self, text: str, data: dict) -> str:
        subs = {s["id"]: s for s in data.get("subs", [])}
        return PLACE.sub(lambda m: cloze_code(subs[m.group(1)]) if m.group(1) in subs else m.group(0), text or "")

    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        text, subs, problems = parse_cloze(form.get("text", ""))
        return {"subs": subs, "_text": text}, problems

    def read_xml(self, el, path: str) -> dict:
        text, subs, problems = parse_cloze(text_of(el, "questiontext/text"))
        if problems:
            raise XmlProblem(el, path + "/questiontext", " ".join(problems))
        return {"subs": subs, "_text": text}

    def write_xml(self, el, data: dict) -> None:
        pass  # the fields travel inside the question text (see editor_text)


TYPE = Cloze()
