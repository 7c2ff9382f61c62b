"""Moodle XML, the format Moodle exports question banks in: read it whole and write it, as
Moodle's `question/format/xml/format.php` does.

`<quiz>` holds `<question type="...">` elements; a `type="category"` question sets the category
(`$course$/top/a/b`) of those after it. What every question has is read here: `<name>`,
`<questiontext format>` (with its embedded `<file encoding="base64">` and `@@PLUGINFILE@@`
links, or Moodle 1.9's `<image>`/`<image_base64>`), `<generalfeedback>`, `<defaultgrade>`,
`<penalty>`, `<idnumber>`, `<tags>`, `<hint>`s. Each type's own elements are read by its class in
`app/quizzes/qtypes/`. A type Lentera does not have (a plugin such as stack or coderunner, or a
core type not offered yet) is reported by name and skipped. A problem is reported with the
element's path (`question[3]/answer[2]`) and line; the questions that could be read come back
beside the problems, and the import decides what to do with them.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
import re
from urllib.parse import unquote

from lxml import etree

from app.quizzes import qtypes
from app.quizzes.parsed import (
    ParsedQuestion,
    ParseProblem,
    ParseResult,
    check_types,
    clean_category_path,
    to_html,
)
from app.quizzes.qtypes.base import XmlProblem, fmt_number, leaf, sub, text_of

# Moodle's own question types that Lentera does not offer yet (said as such, not as "plugin").
MOODLE_CORE_TYPES = ("ddimageortext", "ddmarker",
                     "random", "missingtype")
MAX_FILE_BYTES = 10 * 1024 * 1024  # one embedded file; the import's own size limit bounds the total
_TYPE_ALIASES = {"match": "matching", "cloze": "multianswer"}  # Lentera's names for Moodle's


def _parser() -> etree.XMLParser:
    # No DTDs, no entities from outside, no network: an uploaded file cannot read the server's
    # files, and "billion laughs" entity expansion is never performed.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True)


def _formatted(el) -> str:
    if el is None:
        return ""
    return to_html(text_of(el), el.get("format", "html"))


def parse_moodle_xml(source: bytes | str) -> ParseResult:
    result = ParseResult()
    data = source.encode("utf-8") if isinstance(source, str) else source
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else None
        result.problems.append(ParseProblem(line, f"XML tidak valid: {exc.msg}", element=None))
        result.fatal = True
        return result
    if root.tag != "quiz":
        result.problems.append(ParseProblem(root.sourceline, "Elemen akar harus <quiz>.", element=str(root.tag)))
        result.fatal = True
        return result
    category: str | None = None
    questions = root.findall("question")
    for index, el in enumerate(questions, 1):
        path = f"quiz/question[{index}]"
        raw_type = el.get("type", "")
        if raw_type == "category":
            category = clean_category_path(text_of(el, "category/text")) or None
            continue
        name = _TYPE_ALIASES.get(raw_type, raw_type)
        kind = next((t for t in qtypes.all_types() if t.name == name or raw_type in t.xml_names), None)
        if kind is None:
            if raw_type in MOODLE_CORE_TYPES or name in MOODLE_CORE_TYPES:
                message = f"Jenis soal Moodle '{raw_type}' belum didukung Lentera; soal dilewati."
            elif not raw_type:
                message = "Elemen <question> tanpa atribut type; soal dilewati."
            else:
                message = (f"Jenis soal '{raw_type}' adalah plugin Moodle yang tidak ada di Lentera; soal dilewati "
                           f"(didukung: {', '.join(t.name for t in qtypes.all_types())}).")
            result.problems.append(ParseProblem(el.sourceline, message, element=path))
            continue
        try:
            q = _question(el, kind, path)
        except XmlProblem as p:
            result.problems.append(ParseProblem(p.line, p.message, element=p.element))
            continue
        q.category, q.line = category, el.sourceline
        q.element = path
        result.questions.append(q)
    if not questions:
        result.problems.append(ParseProblem(root.sourceline, "Berkas tidak berisi soal.", element="quiz"))
        result.fatal = True
    return check_types(result, element_of=lambda q: q.element)


def _files(el, path: str, files: dict[str, bytes]) -> None:
    """Collect every `<file name="" encoding="base64">` under `el` (question text, feedback,
    answers, hints) into `files`, by the name `@@PLUGINFILE@@/` links use."""
    for i, f in enumerate(el.iter("file"), 1):
        if (f.get("encoding") or "base64") != "base64":
            raise XmlProblem(f, f"{path}//file[{i}]", "Berkas tersemat harus berkode base64.")
        name = posixpath.normpath("/" + (f.get("path") or "/") + "/" + (f.get("name") or "")).lstrip("/")
        if not name or name == ".":
            raise XmlProblem(f, f"{path}//file[{i}]/@name", "Berkas tersemat tanpa nama.")
        try:
            body = base64.b64decode("".join((f.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            raise XmlProblem(f, f"{path}//file[{i}]", f"Berkas tersemat '{name}' bukan base64 yang sah.") from None
        if len(body) > MAX_FILE_BYTES:
            raise XmlProblem(f, f"{path}//file[{i}]", f"Berkas tersemat '{name}' lebih dari 10 MB.")
        files[name] = body
        f.getparent().remove(f)  # read once; what remains is text


def _question(el, kind, path: str) -> ParsedQuestion:
    files: dict[str, bytes] = {}
    _files(el, path, files)
    text = _formatted(el.find("questiontext"))
    # Moodle 1.9: <image>name</image> with <image_base64>; the image goes after the text
    image = text_of(el, "image").strip() if el.find("image") is not None else ""
    if image:
        b64 = el.find("image_base64")
        if b64 is not None and (b64.text or "").strip():
            try:
                files[posixpath.basename(image)] = base64.b64decode("".join(b64.text.split()), validate=True)
            except (binascii.Error, ValueError):
                raise XmlProblem(b64, path + "/image_base64", "Gambar tersemat bukan base64 yang sah.") from None
            text += f'<p><img src="@@PLUGINFILE@@/{posixpath.basename(image)}" alt=""></p>'
        elif image.startswith(("http://", "https://")):
            text += f'<p><img src="{image}" alt=""></p>'
    if not text.strip():
        raise XmlProblem(el, path + "/questiontext", "Teks soal kosong.")
    name = text_of(el, "name/text").strip() or " ".join(text.split())[:80]
    mark_raw = text_of(el, "defaultgrade").strip() or "1"
    try:
        mark = float(mark_raw)
    except ValueError:
        raise XmlProblem(el.find("defaultgrade"), path + "/defaultgrade", f"Nilai '{mark_raw}' bukan angka.") from None
    q = ParsedQuestion(type=kind.name, name=name[:250], text=text, data={},
                       general_feedback=_formatted(el.find("generalfeedback")),
                       default_mark=mark if mark > 0 else 1.0)
    q.text_format = (el.find("questiontext").get("format", "html") if el.find("questiontext") is not None
                     else "html")
    q.data = kind.read_xml(el, path)
    if "_text" in q.data:  # the type rewrote the text (cloze: its fields become {#n})
        q.text = q.data.pop("_text")
    penalty = text_of(el, "penalty").strip()
    if penalty:
        try:
            q.data["penalty"] = max(0.0, min(1.0, float(penalty)))
        except ValueError:
            raise XmlProblem(el.find("penalty"), path + "/penalty", f"Penalti '{penalty}' bukan angka.") from None
    hints = []
    for h in el.findall("hint"):
        body = _formatted(h)
        if body.strip():
            hints.append({"text": body, "show_num_correct": h.find("shownumcorrect") is not None,
                          "clear_wrong": h.find("clearwrong") is not None})
    if hints:
        q.data["hints"] = hints
    q.idnumber = text_of(el, "idnumber").strip() or None
    q.tags = [t for t in (text_of(tag).strip() for tag in el.findall("tags/tag")) if t]
    q.files = {unquote(k): v for k, v in files.items()}
    return q


# --- export -------------------------------------------------------------------------------------

_FILE_LINK = re.compile(r"/kursus/(\d+)/bank-soal/berkas/([0-9a-f]{32})/([^\"'<>\s]+)")


def _embed_files(el, q, data: dict) -> dict:
    """Point the question's links to stored files back at `@@PLUGINFILE@@/name` and put the files
    themselves in the XML (base64), so the export carries its pictures to another site."""
    from app.quizzes.operations import file_key
    from app.storage import StorageError, get_storage

    found: dict[str, str] = {}

    def swap(html: str) -> str:
        def one(m: re.Match) -> str:
            found[m.group(3)] = file_key(int(m.group(1)), m.group(2), unquote(m.group(3)))
            return "@@PLUGINFILE@@/" + m.group(3)
        return _FILE_LINK.sub(one, html or "")

    text, feedback = swap(q.text), swap(q.general_feedback or "")
    data = json.loads(swap(json.dumps(data, ensure_ascii=False))) if found else data
    if not found:
        return {"text": q.text, "general_feedback": q.general_feedback or "", "data": data, "files": {}}
    files = {}
    store = get_storage()
    for name, key in found.items():
        try:
            files[unquote(name)] = store.read_bytes(key)
        except (StorageError, OSError):
            continue  # a file gone from storage: the link stays, pointing nowhere, as in Moodle
    return {"text": text, "general_feedback": feedback, "data": data, "files": files}


def export_moodle_xml(questions: list[tuple[str, object]]) -> bytes:
    """[(category path, Question), ...] → a Moodle XML document (UTF-8 bytes)."""
    root = etree.Element("quiz")
    last_category = None
    for cat_path, q in questions:
        if cat_path != last_category:
            c = etree.SubElement(root, "question", type="category")
            sub(c, "category", "$course$/top/" + cat_path if cat_path else "$course$/top")
            last_category = cat_path
        kind = qtypes.get(q.type)
        el = etree.SubElement(root, "question", type="match" if q.type == "matching" else q.type)
        parts = _embed_files(el, q, q.data or {})
        parts["text"] = kind.editor_text(parts["text"], parts["data"])
        data = parts["data"]
        sub(el, "name", q.name)
        qt = sub(el, "questiontext", parts["text"], format="html")
        for name, body in parts["files"].items():
            f = etree.SubElement(qt, "file", name=name, path="/", encoding="base64")
            f.text = base64.b64encode(body).decode("ascii")
        sub(el, "generalfeedback", parts["general_feedback"], format="html")
        leaf(el, "defaultgrade", fmt_number(q.default_mark))
        if "penalty" in data:
            leaf(el, "penalty", fmt_number(data["penalty"]))
        leaf(el, "hidden", "0")
        leaf(el, "idnumber", getattr(q, "idnumber", None) or "")
        kind.write_xml(el, data)
        for hint in data.get("hints", []):
            h = sub(el, "hint", hint["text"], format="html")
            if hint.get("show_num_correct"):
                etree.SubElement(h, "shownumcorrect")
            if hint.get("clear_wrong"):
                etree.SubElement(h, "clearwrong")
        tags = getattr(q, "tags", None) or []
        if tags:
            tags_el = etree.SubElement(el, "tags")
            for t in tags:
                sub(tags_el, "tag", t)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
