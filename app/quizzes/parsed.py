"""What an import format produces: questions not yet saved, and the problems found on the way."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import markdown as _markdown


@dataclass
class ParsedQuestion:
    type: str
    name: str
    text: str  # HTML (not yet sanitised; operations sanitise on save)
    data: dict
    category: str | None = None  # slash-separated path, None = the import's default category
    general_feedback: str = ""
    default_mark: float = 1.0
    line: int | None = None  # where it starts in the source (GIFT line, XML element line)
    idnumber: str | None = None  # Moodle's "ID number", unique in a course's bank when set
    tags: list[str] = field(default_factory=list)
    text_format: str = "html"  # the format the text came in (what GIFT export writes back)
    files: dict[str, bytes] = field(default_factory=dict)  # embedded files (XML), by name
    element: str | None = None  # its XML element's path (quiz/question[3])


@dataclass
class ParseProblem:
    line: int | None
    message: str
    element: str | None = None

    def as_detail(self) -> dict[str, Any]:
        d: dict[str, Any] = {"line": self.line, "message": self.message}
        if self.element is not None:
            d["element"] = self.element
        return d


@dataclass
class ParseResult:
    """The questions that could be read and the problems of those that could not. `fatal` is set
    when the file as a whole could not be read (not XML, not UTF-8, no question at all): then
    nothing can be imported, whatever the on-error choice."""

    questions: list[ParsedQuestion] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    fatal: bool = False


def to_html(text: str, fmt: str) -> str:
    """Question text in a GIFT/XML text format → HTML (sanitised later, on save).

    As Moodle: `html` is HTML; `moodle` (auto-format, GIFT's default) is HTML too, with its line
    breaks kept; `plain` is text, escaped; `markdown` is Markdown."""
    fmt = (fmt or "moodle").lower()
    if fmt in ("html", "1"):
        return text.strip()
    if fmt in ("markdown", "4"):
        return _markdown.markdown(text.strip(), extensions=["extra"])
    if fmt in ("plain_text", "plain", "2"):
        return html.escape(text.strip()).replace("\n", "<br>")
    # moodle_auto_format, moodle, 0
    return text.strip().replace("\r\n", "\n").replace("\n", "<br>")


# The grades Moodle offers for an answer (question_bank::fraction_options_full); an import with
# any other grade is refused, as Moodle does ("matchgrades = error").
MOODLE_FRACTIONS = (1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25, 0.2,
                    0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05, 0.0)


def moodle_fraction(value: float) -> float | None:
    """The grade from Moodle's list this value means (within Moodle's 0.00001), or None."""
    for option in MOODLE_FRACTIONS:
        for signed in (option, -option):
            if abs(value - signed) < 0.00001:
                return signed
    return None


def clean_category_path(path: str) -> str:
    """Normalise `$course$/top/a/b`, `top/a/b` and `a / b` to `a/b`."""
    parts = [p.strip() for p in path.replace("\\/", "\u2215").split("/")]
    parts = [p for p in parts if p]
    while parts and parts[0] in ("$course$", "$module$", "$system$", "$coursecategory$", "$cat1$", "$cat2$"):
        parts.pop(0)
    if parts and parts[0].lower() == "top":
        parts.pop(0)
    return "/".join(p.replace("\u2215", "/") for p in parts)


def check_types(result: ParseResult, *, element_of=None) -> ParseResult:
    """Run each read question through its type's checks, so a question Moodle would refuse on
    saving (e.g. a single-answer choice without a 100 % answer) is a problem with its line now,
    not a surprise later. `element_of(q)` names the XML element of a question."""
    from app.quizzes import qtypes

    kept = []
    for q in result.questions:
        if qtypes.known(q.type):
            q.data, errors = qtypes.get(q.type).with_text(q.text, q.data)
            errors = errors + qtypes.get(q.type).validate(q.data)
        else:
            errors = ["Jenis soal tidak dikenal."]
        if errors:
            result.problems.append(ParseProblem(q.line, " ".join(errors),
                                                element=element_of(q) if element_of else None))
        else:
            kept.append(q)
    result.questions = kept
    result.problems.sort(key=lambda p: p.line or 0)
    return result
