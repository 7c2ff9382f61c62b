"""Essay: a written answer (and optionally files) a person marks.

data: {"response_format": "editor"|"plain"|"monospaced"|"noinline", "required": bool,
       "lines": int, "attachments": int (0 none, -1 unlimited), "attachments_required": int,
       "file_types": str (".pdf,.docx", Moodle's filetypeslist: extensions, groups such as
       "document" or "image", or content types), "max_bytes": int (0 = the site's limit),
       "template": html, "grader_info": html, "min_words": int|None, "max_words": int|None}
Response: the text (a string). Attached files are rows of their own (`AttemptFile`), uploaded
into the attempt and checked here (`check_attachment`).
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from app.quizzes.qtypes.base import Outcome, QuestionType, formatted, leaf, strip_tags, sub, text_of

FORMATS = ("editor", "editorfilepicker", "plain", "monospaced", "noinline")

# Moodle's file type groups (core_filetypes) as far as an essay's attachments use them
GROUPS: dict[str, tuple[str, ...]] = {
    "image": (".bmp", ".gif", ".jpe", ".jpeg", ".jpg", ".png", ".svg", ".svgz", ".tif", ".tiff", ".webp"),
    "web_image": (".gif", ".jpe", ".jpeg", ".jpg", ".png", ".svg", ".svgz", ".webp"),
    "document": (".doc", ".docx", ".epub", ".odt", ".ott", ".pdf", ".rtf", ".txt", ".md"),
    "spreadsheet": (".csv", ".ods", ".ots", ".xls", ".xlsx", ".xlsm"),
    "presentation": (".odp", ".otp", ".pps", ".ppt", ".pptx"),
    "audio": (".aac", ".flac", ".m4a", ".mp3", ".oga", ".ogg", ".opus", ".wav", ".weba"),
    "video": (".avi", ".m4v", ".mov", ".mp4", ".mpeg", ".mpg", ".ogv", ".webm"),
    "archive": (".7z", ".gz", ".rar", ".tar", ".tgz", ".zip"),
}


def allowed_extensions(file_types: str) -> list[str] | None:
    """The extensions Moodle's filetypeslist allows (".pdf", "document", "image/png" or "*"),
    lower case with their dot; None = any type."""
    import mimetypes

    tokens = [t.strip().lower() for t in re.split(r"[\s,;]+", file_types or "") if t.strip()]
    if not tokens or "*" in tokens:
        return None
    out: list[str] = []
    for t in tokens:
        if t in GROUPS:
            out.extend(GROUPS[t])
        elif "/" in t:  # a content type, e.g. application/pdf or image/*
            if t.endswith("/*"):
                out.extend(ext for ext, kind in mimetypes.types_map.items() if kind.startswith(t[:-1]))
            else:
                out.extend(mimetypes.guess_all_extensions(t))
        else:
            out.append(t if t.startswith(".") else "." + t)
    return sorted(set(out))


def check_attachment(data: dict, name: str, size: int, count: int, site_max: int) -> str | None:
    """Why the file `name` (`size` bytes, `count` already attached) may not be attached to this
    essay, in Indonesian naming the file; None when it may."""
    allowed = int(data.get("attachments") or 0)
    if allowed == 0:
        return str(_l("Soal ini tidak menerima lampiran."))
    if allowed > 0 and count >= allowed:
        return str(_l("Berkas %(f)s ditolak: paling banyak %(n)d lampiran; hapus satu dulu.", f=name, n=allowed))
    exts = allowed_extensions(data.get("file_types", ""))
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if exts is not None and ext not in exts:
        return str(_l("Berkas %(f)s ditolak: jenisnya tidak diterima. Yang diterima: %(k)s.", f=name,
                      k=", ".join(exts)))
    limit = max_bytes(data, site_max)
    if size > limit:
        return str(_l("Berkas %(f)s ditolak: terlalu besar (%(s)s); paling besar %(m)s.", f=name,
                      s=human_size(size), m=human_size(limit)))
    if size == 0:
        return str(_l("Berkas %(f)s kosong.", f=name))
    return None


def max_bytes(data: dict, site_max: int) -> int:
    own = int(data.get("max_bytes") or 0)
    return min(own, site_max) if own > 0 else site_max


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB".replace(".", ",")
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"


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
        exts = allowed_extensions(data.get("file_types", ""))
        return {"lines": data.get("lines", 10), "template": data.get("template", ""),
                "response_format": data.get("response_format", "editor"),
                "attachments": int(data.get("attachments") or 0),
                "attachments_required": int(data.get("attachments_required") or 0),
                "accept": ",".join(exts) if exts else ""}

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
                "max_bytes": _int(form.get("max_bytes"), 0, 0, 2**31 - 1),
                "template": form.get("template", ""), "grader_info": form.get("grader_info", "")}, []

    def read_xml(self, el, path: str) -> dict:
        fmt = text_of(el, "responseformat").strip() or "editor"
        return {"response_format": fmt if fmt in FORMATS else "editor",
                "required": text_of(el, "responserequired").strip() != "0",
                "lines": _int(text_of(el, "responsefieldlines") or None, 15, 1, 50),
                "attachments": _int(text_of(el, "attachments") or None, 0, -1, 10),
                "attachments_required": _int(text_of(el, "attachmentsrequired") or None, 0, 0, 10),
                "file_types": text_of(el, "filetypeslist").strip(),
                **({"max_bytes": limit} if (limit := _int(text_of(el, "maxbytes") or None, 0, 0, 2**31 - 1)) else {}),
                "template": formatted(el.find("responsetemplate")),
                "grader_info": formatted(el.find("graderinfo"))}

    def write_xml(self, el, data: dict) -> None:
        leaf(el, "responseformat", data.get("response_format", "editor"))
        leaf(el, "responserequired", "1" if data.get("required", True) else "0")
        leaf(el, "responsefieldlines", data.get("lines", 10))
        leaf(el, "attachments", data.get("attachments", 0))
        leaf(el, "attachmentsrequired", data.get("attachments_required", 0))
        leaf(el, "filetypeslist", data.get("file_types", ""))
        leaf(el, "maxbytes", data.get("max_bytes", 0))
        sub(el, "graderinfo", data.get("grader_info", ""), format="html")
        sub(el, "responsetemplate", data.get("template", ""), format="html")

    def write_gift(self, data: dict) -> str | None:
        return ""


TYPE = Essay()
