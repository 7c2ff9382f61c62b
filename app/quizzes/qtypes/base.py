"""What every question type offers, with the defaults most types share."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree

from app.inputs import is_digits


class BadResponse(ValueError):
    """The response does not fit the question (wrong shape, unknown choice)."""


def exact(value: Any) -> Decimal:
    """A fraction or mark as an exact decimal: from its shortest text, so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(float(value))) if isinstance(value, float) else Decimal(str(value))


ZERO, ONE = Decimal(0), Decimal(1)


def clamp(value: Decimal) -> Decimal:
    return max(ZERO, min(ONE, value))


@dataclass
class Outcome:
    """What a response earns: `exact` is the fraction of the question's mark (0..1) as a Decimal,
    None while it waits for a person (essay); `fraction` is the same as a float for display."""

    exact: Decimal | None
    feedback: str = ""

    def __init__(self, fraction: Decimal | float | None, feedback: str = "") -> None:
        self.exact = None if fraction is None else exact(fraction)
        self.feedback = feedback

    @property
    def fraction(self) -> float | None:
        return None if self.exact is None else float(self.exact)


def strip_tags(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html or "").split())


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


def fmt_number(x: Any) -> str:
    f = float(x)
    return str(int(f)) if f.is_integer() else repr(f)


def percent_of(raw: str, default: float, errors: list[str]) -> float:
    """An editor's weight in percent ("50", "33,33333", "-100 %") as a fraction."""
    raw = (raw or "").strip().rstrip("%").strip()
    if not raw:
        return default
    try:
        return parse_number(raw) / 100
    except BadResponse:
        errors.append(f"Bobot '{raw}' bukan angka.")
        return 0.0


def next_id(items: list[dict]) -> int:
    return max([int(i["id"]) for i in items if is_digits(str(i.get("id", "")))] + [0]) + 1


# --- Moodle XML helpers shared by the types -------------------------------------------------------

class XmlProblem(Exception):
    """A problem in one question's XML, with the element's path and line."""

    def __init__(self, el, element: str, message: str) -> None:
        super().__init__(message)
        self.line = getattr(el, "sourceline", None)
        self.element, self.message = element, message


def text_of(el, path: str = "text") -> str:
    node = el.find(path) if el is not None else None
    return (node.text or "") if node is not None else ""


def as_bool(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes")


def sub(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    """`<tag attrs><text>…</text></tag>` (the text as CDATA), or a bare element when text is None."""
    el = etree.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        t = etree.SubElement(el, "text")
        t.text = etree.CDATA(text) if text else ""
    return el


def leaf(parent, tag: str, value: Any) -> etree._Element:
    el = etree.SubElement(parent, tag)
    el.text = str(value)
    return el


def pct(fraction: Any) -> str:
    """A fraction as Moodle XML writes it: 100, 50, 33.33333, -100."""
    return f"{float(fraction) * 100:.7f}".rstrip("0").rstrip(".") or "0"


def gift_escape(text: str) -> str:
    """Text for GIFT: the reserved characters escaped, line breaks as \\n (as Moodle writes it)."""
    out = text.replace("\\", "\\\\")
    for ch in "#=~{}:":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\r", "").replace("\n", "\\n")


def gift_html(text: str) -> str:
    """HTML for GIFT. The export marks each question's text `[html]`, and the answers and
    feedback of a question default to its text's format, so they need no marker of their own."""
    return gift_escape(text) if text else ""


def gift_weight(fraction: float) -> str:
    return "%" + pct(fraction) + "%"


def make_tokens(own_ids: list[str]) -> dict[str, str]:
    """Fresh, unguessable shown ids for an attempt, one per own id, all different."""
    import secrets

    out: dict[str, str] = {}
    used: set[str] = set()
    for own in own_ids:
        if own in out:
            continue
        token = secrets.token_hex(4)
        while token in used:
            token = secrets.token_hex(4)
        used.add(token)
        out[own] = token
    return out


def reveal(kind: QuestionType, response: Any, ids: dict[str, str]) -> Any:
    """A response written with an attempt's shown ids, in the question's own ids; an id the
    attempt did not show is refused (the own ids are not accepted either: they could be guessed)."""
    back = {v: k for k, v in ids.items()}

    def own(x: str) -> str:
        if x not in back:
            raise BadResponse("pilihan tidak dikenal")
        return back[x]

    return kind.map_response(response, own, ids=ids)


class QuestionType:
    """The defaults: a type with no choices, graded automatically, whose response is a string."""

    name = ""
    label = ""  # a lazy translated name (set by each type)
    graded = True  # False: shown, never marked (description)
    manual = False  # True: a person marks it (essay)
    xml_names: tuple[str, ...] = ()  # other `type=` values Moodle XML uses for it (e.g. "match")

    response_shape = "value"  # "map": the response is {part id: value}, one per [data-stem] field

    # --- the data ---------------------------------------------------------------------------------
    def with_text(self, text: str, data: dict) -> tuple[dict, list[str]]:
        """The data completed from the question's text (e.g. the gaps written in it), and what is
        wrong between the two; called before `validate` whenever a question is saved or read."""
        return data, []

    def validate(self, data: dict) -> list[str]:
        """What is wrong with a question's data (empty = fine); Indonesian sentences."""
        return []

    def clean(self, data: dict, sanitize) -> dict:
        """The data with every HTML part sanitised."""
        return dict(data)

    def default_mark(self, mark: float) -> float:
        return mark

    # --- the attempt ------------------------------------------------------------------------------
    def choices(self, data: dict) -> list[dict]:
        """What a learner picks from, as [{"id", "text"}] (empty for typed answers)."""
        return []

    def stems(self, data: dict) -> list[dict] | None:
        return None

    draws_from_bank: str | None = None  # a type whose attempt draws other questions (randomsamatch)

    def attempt_data(self, data: dict, entry: dict) -> dict:
        """The data as one attempt sees it: the question's, plus what the attempt fixed when it
        started (questions drawn for it). Grading, checking and showing all use this."""
        return data

    def layout(self, data: dict, shuffle: bool, rng: random.Random) -> dict:
        """What an attempt fixes when it starts: the order of choices (and stems)."""
        return {"choices": [c["id"] for c in self.choices(data)]}

    def present(self, html: str, data: dict) -> str:
        """A text of the question (its text, its general feedback) as this attempt shows it:
        the calculated type writes its wildcards' values into it; the others show it as stored."""
        return html

    def item(self, data: dict, entry: dict) -> dict:
        """Extra fields the attempt page and API show for this question."""
        return {}

    # --- ids the attempt shows ----------------------------------------------------------------------
    # A question's own ids can say the answer (matching's c1 is stem 1's answer, ordering's ids are
    # the right places, a choice id says where the author wrote it). An attempt shows fresh random
    # ids instead, fixed when it starts (entry["ids"]: {own id: shown id}); answers are translated
    # back before they are checked and stored, so stored responses, grading and regrading keep
    # using the question's own ids. Attempts from before this have no "ids" and show the own ids.
    hide_ids = False

    def hidden_ids(self, data: dict, entry: dict) -> list[str]:
        """The own ids an attempt of this question shows (its choices, in the attempt's order)."""
        return list(entry.get("choices", []))

    def tokens(self, data: dict, entry: dict) -> dict[str, str]:
        """{own id: shown id} for a new attempt (stored in its layout as entry["ids"])."""
        return make_tokens(self.hidden_ids(data, entry))

    def map_response(self, response: Any, to: Any, *, ids: dict[str, str] | None = None) -> Any:
        """The response with each id it holds passed through `to` (a choice id, a list of them, or
        a {part: choice id | [choice ids]} map)."""
        if isinstance(response, str):
            return to(response)
        if isinstance(response, list):
            return [to(x) if isinstance(x, str) else x for x in response]
        if isinstance(response, dict):
            return {k: self.map_response(v, to, ids=ids) if isinstance(v, str | list) and v != "" else v
                    for k, v in response.items()}
        return response

    def show_ids(self, item: dict, ids: dict[str, str]) -> None:
        """Put the attempt's shown ids into an attempt item (its choices, gap options, response)."""
        def shown(x: str) -> str:
            return ids.get(x, x)

        for key in ("choices", "all_choices"):
            if key in item:  # inline, not shown(): once per choice of every question of a page
                item[key] = [{**c, "id": ids.get(c["id"], c["id"])} for c in item[key]]
        for part in item.get("parts") or []:
            if "options" in part:
                part["options"] = [{**c, "id": shown(c["id"])} for c in part["options"]]
        if item.get("response") is not None:
            item["response"] = self.map_response(item["response"], shown, ids=ids)

    def attempt_text(self, text: str, data: dict, entry: dict) -> list[dict] | None:
        """The question text cut into parts with fields inside it ([{"html"}, {"gap", …}]), for
        types whose answers sit in the text (gaps, cloze); None for the others."""
        return None

    def check_response(self, data: dict, response: Any) -> Any:
        """The response in its canonical form, or BadResponse. None (cleared) is always accepted."""
        if response is None:
            return None
        if not isinstance(response, str):
            raise BadResponse("harus berupa teks")
        if len(response) > 100_000:
            raise BadResponse("terlalu panjang")
        return response

    def grade(self, data: dict, response: Any) -> Outcome:
        raise NotImplementedError

    # --- interactive behaviour (hint options, as Moodle's) -------------------------------------------
    default_penalty = 0.3333333  # Moodle's default share lost per wrong try

    def parts_right(self, data: dict, response: Any) -> tuple[int, int] | None:
        """(right parts, parts) for a hint's "show the number of correct responses"; None when
        the type has no parts to count."""
        return None

    def clear_wrong(self, data: dict, response: Any) -> Any:
        """The response without its wrong parts, for a hint's "clear incorrect responses"."""
        return response

    def form_response(self, item: dict, form) -> tuple[bool, Any]:
        """(present, response) from the attempt page's form (the no-JavaScript path)."""
        key = f"q-{item['id']}"
        return (key in form), form.get(key)

    # --- the review -------------------------------------------------------------------------------
    def right_answer(self, data: dict) -> str:
        return ""

    def response_text(self, item: dict, response: Any) -> str:
        return str(response)

    # --- the editor -------------------------------------------------------------------------------
    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        """The data from the editor. A type whose fields live in the text (cloze) may return the
        text to store as data["_text"]."""
        return dict(existing), []

    def editor_text(self, text: str, data: dict) -> str:
        """The text as its author writes it (and as Moodle XML carries it): cloze puts its fields
        back in Moodle's syntax; the others show the text as stored."""
        return text

    # --- formats ----------------------------------------------------------------------------------
    def read_xml(self, el, path: str) -> dict:
        """This type's part of a Moodle XML `<question>`; raise XmlProblem for a bad element."""
        return {}

    def write_xml(self, el, data: dict) -> None:
        pass

    def write_gift(self, data: dict) -> str | None:
        """What goes inside GIFT's `{…}` (None: GIFT cannot hold this type)."""
        return None


def formatted(el) -> str:
    """An element with a `format` attribute and a <text> child, as HTML."""
    from app.quizzes.parsed import to_html

    if el is None:
        return ""
    return to_html(text_of(el), el.get("format", "html"))


def xml_fraction(ans, path: str) -> float:
    """An answer's `fraction` (percent) as Moodle accepts it, or the problem Moodle reports."""
    from app.quizzes.parsed import moodle_fraction

    raw = ans.get("fraction", "0")
    try:
        value = float(raw) / 100
    except ValueError:
        raise XmlProblem(ans, path + "/@fraction", f"Nilai fraction '{raw}' bukan angka.") from None
    matched = moodle_fraction(value)
    if matched is None:
        raise XmlProblem(ans, path + "/@fraction",
                         f"Nilai ({raw}) tidak cocok dengan pilihan nilai Moodle; soal dilewati "
                         "(Moodle: \"Grades do not match grade options - question skipped\").")
    return matched


# --- Moodle's combined feedback (correct / partially correct / incorrect), shared by the types
# that have it: multichoice, matching, ordering, gapselect, ddwtos.

_COMBINED = (("correct", "correctfeedback"), ("partial", "partiallycorrectfeedback"),
             ("incorrect", "incorrectfeedback"))


def read_combined_feedback(el, data: dict) -> dict:
    """Put the question element's combined feedback, if any, into `data["feedback"]`."""
    combined = {key: formatted(el.find(tag)) for key, tag in _COMBINED}
    if any(combined.values()):
        data["feedback"] = {k: v for k, v in combined.items() if v}
    return data


def write_combined_feedback(el, data: dict) -> None:
    fb = data.get("feedback") or {}
    for key, tag in _COMBINED:
        sub(el, tag, fb.get(key, ""), format="html")
