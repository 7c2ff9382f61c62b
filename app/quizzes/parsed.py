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
    """Question text in a GIFT/XML text format → HTML."""
    fmt = (fmt or "moodle").lower()
    if fmt == "html":
        return text.strip()
    if fmt == "markdown":
        return _markdown.markdown(text.strip(), extensions=["extra"])
    # plain / moodle auto-format: escape, keep line breaks
    return html.escape(text.strip()).replace("\n", "<br>")


def clean_category_path(path: str) -> str:
    """Normalise `$course$/top/a/b`, `top/a/b` and `a / b` to `a/b`."""
    parts = [p.strip() for p in path.replace("\\/", "\u2215").split("/")]
    parts = [p for p in parts if p]
    while parts and parts[0] in ("$course$", "$module$", "$system$", "$coursecategory$", "$cat1$", "$cat2$"):
        parts.pop(0)
    if parts and parts[0].lower() == "top":
        parts.pop(0)
    return "/".join(p.replace("\u2215", "/") for p in parts)
