"""Essay: a written answer (and optionally files) a person marks.

data: {"response_format": "editor"|"plain"|"monospaced"|"noinline", "required": bool,
       "lines": int, "attachments": int (0 none, -1 unlimited), "attachments_required": int,
       "file_types": str (".pdf,.docx"), "template": html, "grader_info": html,
       "min_words": int|None, "max_words": int|None}
Response: the text (a string).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.quizzes.qtypes.base import Outcome, QuestionType, formatted, leaf, strip_tags, sub, text_of

FORMATS = ("editor", "editorfilepicker", "plain", "monospaced", "noinline")


def _int(raw: str | None, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(str(raw).strip())))
    except (TypeError, ValueError):
        return default


class Essay(QuestionType):
    name = "essay"
    label = _l("Esai")
    manual = True

    def validate(self, data: dict) -> list[str]:
        if data.get("response_format", "editor") == "noinline" and not data.get("attachments"):
            return [str(_l("Esai tanpa kotak teks harus menerima lampiran."))]
        if int(data.get("attachments_required") or 0) > max(0, int(data.get("attachments") or 0)) and \
                int(data.get("attachments") or 0) != -1:
            return [str(_l("Jumlah lampiran wajib tidak boleh melebihi jumlah lampiran yang diizinkan."))]
        return []

    def clean(self, data: dict, sanitize) -> dict:
        return {**data, "grader_info": sanitize(data.get("grader_info")), "template": sanitize(data.get("template"))}

    def item(self, data: dict, entry: dict) -> dict:
        return {"lines": data.get("lines", 10), "template": data.get("template", ""),
                "response_format": data.get("response_format", "editor"),
                "attachments": int(data.get("attachments") or 0)}

    def grade(self, data: dict, response: Any) -> Outcome:
        return Outcome(None)

    def response_text(self, item: dict, response: Any) -> str:
        return strip_tags(str(response))

    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        fmt = form.get("response_format", existing.get("response_format", "editor"))
        return {"response_format": fmt if fmt in FORMATS else "editor",
                "required": form.get("required", "1") == "1",
                "lines": _int(form.get("lines"), 10, 1, 50),
                "attachments": _int(form.get("attachments"), 0, -1, 10),
                "attachments_required": _int(form.get("attachments_required"), 0, 0, 10),
                "file_types": form.get("file_types", "").strip()[:200],
                "template": form.get("template", ""), "grader_info": form.get("grader_info", "")}, []

    def read_xml(self, el, path: str) -> dict:
        fmt = text_of(el, "responseformat").strip() or "editor"
        return {"response_format": fmt if fmt in FORMATS else "editor",
                "required": text_of(el, "responserequired").strip() != "0",
                "lines": _int(text_of(el, "responsefieldlines") or None, 15, 1, 50),
                "attachments": _int(text_of(el, "attachments") or None, 0, -1, 10),
                "attachments_required": _int(text_of(el, "attachmentsrequired") or None, 0, 0, 10),
                "file_types": text_of(el, "filetypeslist").strip(),
                "template": formatted(el.find("responsetemplate")),
                "grader_info": formatted(el.find("graderinfo"))}

    def write_xml(self, el, data: dict) -> None:
        leaf(el, "responseformat", data.get("response_format", "editor"))
        leaf(el, "responserequired", "1" if data.get("required", True) else "0")
        leaf(el, "responsefieldlines", data.get("lines", 10))
        leaf(el, "attachments", data.get("attachments", 0))
        leaf(el, "attachmentsrequired", data.get("attachments_required", 0))
        leaf(el, "filetypeslist", data.get("file_types", ""))
        sub(el, "graderinfo", data.get("grader_info", ""), format="html")
        sub(el, "responsetemplate", data.get("template", ""), format="html")

    def write_gift(self, data: dict) -> str | None:
        return ""


TYPE = Essay()
