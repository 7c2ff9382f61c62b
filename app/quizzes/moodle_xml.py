"""Moodle XML, the format Moodle exports question banks in: read it and write it.

`<quiz>` holds `<question type="...">` elements; a `type="category"` question sets the category
(`$course$/top/a/b`) of those after it. Each question has `<name><text>`, `<questiontext
format="..."><text>`, `<generalfeedback>`, `<defaultgrade>` and its type's own elements
(`<answer fraction="..">` with `<feedback>`, `<single>`, `<shuffleanswers>`, `<usecase>`,
`<tolerance>`, `<subquestion>`, `<responseformat>`...). A problem is reported with the element's
path (`question[3]/answer[2]`) and line; the questions that could be read come back beside the
problems, and the import decides what to do with them.
"""

from __future__ import annotations

from lxml import etree

from app.inputs import is_digits
from app.quizzes.parsed import ParsedQuestion, ParseProblem, ParseResult, clean_category_path, to_html

SUPPORTED = ("multichoice", "truefalse", "shortanswer", "numerical", "matching", "essay")


def _parser() -> etree.XMLParser:
    # No DTDs, no entities from outside, no network: an uploaded file cannot read the server's files.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True)


def _text(el, path: str = "text") -> str:
    node = el.find(path) if el is not None else None
    return (node.text or "") if node is not None else ""


def _formatted(el) -> str:
    """An element with a format attribute and a <text> child, as HTML."""
    if el is None:
        return ""
    return to_html(_text(el), el.get("format", "html"))


def _bool(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes")


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
        result.problems.append(ParseProblem(root.sourceline, "Elemen akar harus <quiz>.", element=root.tag))
        result.fatal = True
        return result
    category: str | None = None
    for index, el in enumerate(root.findall("question"), 1):
        path = f"quiz/question[{index}]"
        qtype = el.get("type", "")
        if qtype == "category":
            category = clean_category_path(_text(el, "category/text")) or None
            continue
        if qtype not in SUPPORTED:
            result.problems.append(ParseProblem(el.sourceline, f"Jenis soal '{qtype}' tidak didukung "
                                                f"(didukung: {', '.join(SUPPORTED)}).", element=path))
            continue
        try:
            q = _question(el, qtype, path)
        except _Problem as p:
            result.problems.append(ParseProblem(p.line, p.message, element=p.element))
            continue
        q.category, q.line = category, el.sourceline
        result.questions.append(q)
    if not root.findall("question"):
        result.problems.append(ParseProblem(root.sourceline, "Berkas tidak berisi soal.", element="quiz"))
        result.fatal = True
    return result


class _Problem(Exception):
    def __init__(self, el, element: str, message: str) -> None:
        super().__init__(message)
        self.line = getattr(el, "sourceline", None)
        self.element, self.message = element, message


def _fraction(ans, path: str) -> float:
    raw = ans.get("fraction", "0")
    try:
        value = float(raw) / 100
    except ValueError:
        raise _Problem(ans, path + "/@fraction", f"Nilai fraction '{raw}' bukan angka.") from None
    if not -1 <= value <= 1:
        raise _Problem(ans, path + "/@fraction", "Nilai fraction harus antara -100 dan 100.")
    return value


def _question(el, qtype: str, path: str) -> ParsedQuestion:
    text = _formatted(el.find("questiontext"))
    if not text.strip():
        raise _Problem(el, path + "/questiontext", "Teks soal kosong.")
    name = _text(el, "name/text").strip() or text[:80]
    mark_raw = _text(el, "defaultgrade") or "1"
    try:
        mark = float(mark_raw)
    except ValueError:
        raise _Problem(el.find("defaultgrade"), path + "/defaultgrade", f"Nilai '{mark_raw}' bukan angka.") from None
    q = ParsedQuestion(type=qtype, name=name[:250], text=text, data={},
                       general_feedback=_formatted(el.find("generalfeedback")), default_mark=mark if mark > 0 else 1.0)
    answers = el.findall("answer")
    if qtype == "multichoice":
        choices = []
        for i, ans in enumerate(answers, 1):
            apath = f"{path}/answer[{i}]"
            body = to_html(_text(ans), ans.get("format", "html"))
            if not body.strip():
                raise _Problem(ans, apath, "Pilihan jawaban kosong.")
            choices.append({"id": str(i), "text": body, "fraction": _fraction(ans, apath),
                            "feedback": _formatted(ans.find("feedback"))})
        if len(choices) < 2:
            raise _Problem(el, path, "Soal pilihan ganda butuh sedikitnya dua <answer>.")
        if not any(c["fraction"] > 0 for c in choices):
            raise _Problem(el, path, "Soal pilihan ganda tidak punya jawaban dengan fraction positif.")
        q.data = {"single": _bool(_text(el, "single") or None, True),
                  "shuffle": _bool(_text(el, "shuffleanswers") or None, True), "choices": choices}
    elif qtype == "truefalse":
        right = None
        fb = {"true": "", "false": ""}
        for i, ans in enumerate(answers, 1):
            apath = f"{path}/answer[{i}]"
            word = _text(ans).strip().lower()
            if word not in ("true", "false"):
                raise _Problem(ans, apath, "Jawaban benar/salah harus 'true' atau 'false'.")
            fb[word] = _formatted(ans.find("feedback"))
            if _fraction(ans, apath) > 0:
                right = word == "true"
        if right is None:
            raise _Problem(el, path, "Soal benar/salah tidak punya jawaban dengan fraction 100.")
        q.data = {"answer": right, "feedback_true": fb["true"], "feedback_false": fb["false"]}
    elif qtype == "shortanswer":
        items = []
        for i, ans in enumerate(answers, 1):
            apath = f"{path}/answer[{i}]"
            if not _text(ans).strip():
                raise _Problem(ans, apath, "Jawaban isian kosong.")
            items.append({"text": _text(ans).strip(), "fraction": _fraction(ans, apath),
                          "feedback": _formatted(ans.find("feedback"))})
        if not any(a["fraction"] > 0 for a in items):
            raise _Problem(el, path, "Soal isian tidak punya jawaban dengan fraction positif.")
        q.data = {"case_sensitive": _bool(_text(el, "usecase") or None, False), "answers": items}
    elif qtype == "numerical":
        items = []
        for i, ans in enumerate(answers, 1):
            apath = f"{path}/answer[{i}]"
            raw = _text(ans).strip()
            if raw == "*":
                continue  # Moodle's "any other answer" row carries only feedback; it earns nothing
            try:
                value = float(raw)
                tol = abs(float(_text(ans, "tolerance") or 0))
            except ValueError:
                raise _Problem(ans, apath, f"Jawaban angka '{raw}' atau tolerance-nya bukan angka.") from None
            items.append({"value": value, "tolerance": tol, "fraction": _fraction(ans, apath),
                          "feedback": _formatted(ans.find("feedback"))})
        if not any(a["fraction"] > 0 for a in items):
            raise _Problem(el, path, "Soal angka tidak punya jawaban dengan fraction positif.")
        q.data = {"answers": items}
    elif qtype == "matching":
        pairs = []
        for i, sub in enumerate(el.findall("subquestion"), 1):
            spath = f"{path}/subquestion[{i}]"
            answer = _text(sub, "answer/text").strip()
            if not answer:
                raise _Problem(sub, spath + "/answer", "Jawaban pasangan kosong.")
            pairs.append({"id": str(i), "stem": _formatted(sub), "answer": answer})
        if sum(1 for p in pairs if p["stem"].strip()) < 2:
            raise _Problem(el, path, "Soal menjodohkan butuh sedikitnya dua <subquestion> berisi teks.")
        q.data = {"shuffle": _bool(_text(el, "shuffleanswers") or None, True), "pairs": pairs}
    elif qtype == "essay":
        lines_raw = _text(el, "responsefieldlines") or "10"
        q.data = {"response_format": _text(el, "responseformat") or "editor",
                  "lines": int(lines_raw) if is_digits(lines_raw) else 10,
                  "grader_info": _formatted(el.find("graderinfo"))}
    return q


# --- export -------------------------------------------------------------------------------------

def _sub(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    el = etree.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        t = etree.SubElement(el, "text")
        t.text = etree.CDATA(text) if text else ""
    return el


def _num(x: float) -> str:
    return repr(float(x)) if not float(x).is_integer() else str(int(float(x)))


def _pct(fraction: float) -> str:
    return f"{float(fraction) * 100:.7f}".rstrip("0").rstrip(".") or "0"


def export_moodle_xml(questions: list[tuple[str, object]]) -> bytes:
    """[(category path, Question), ...] → a Moodle XML document (UTF-8 bytes)."""
    root = etree.Element("quiz")
    last_category = None
    for cat_path, q in questions:
        if cat_path != last_category:
            c = etree.SubElement(root, "question", type="category")
            _sub(c, "category", "$course$/top/" + cat_path if cat_path else "$course$/top")
            last_category = cat_path
        el = etree.SubElement(root, "question", type=q.type)
        _sub(el, "name", q.name)
        _sub(el, "questiontext", q.text, format="html")
        _sub(el, "generalfeedback", q.general_feedback or "", format="html")
        etree.SubElement(el, "defaultgrade").text = _num(q.default_mark)
        data = q.data or {}
        if q.type == "multichoice":
            etree.SubElement(el, "single").text = "true" if data.get("single", True) else "false"
            etree.SubElement(el, "shuffleanswers").text = "true" if data.get("shuffle", True) else "false"
            for ch in data.get("choices", []):
                a = _sub(el, "answer", ch["text"], fraction=_pct(ch.get("fraction", 0)), format="html")
                _sub(a, "feedback", ch.get("feedback", ""), format="html")
        elif q.type == "truefalse":
            for word in ("true", "false"):
                right = bool(data.get("answer")) == (word == "true")
                a = etree.SubElement(el, "answer", fraction="100" if right else "0", format="moodle_auto_format")
                etree.SubElement(a, "text").text = word
                _sub(a, "feedback", data.get(f"feedback_{word}", ""), format="html")
        elif q.type == "shortanswer":
            etree.SubElement(el, "usecase").text = "1" if data.get("case_sensitive") else "0"
            for ans in data.get("answers", []):
                a = etree.SubElement(el, "answer", fraction=_pct(ans.get("fraction", 0)), format="moodle_auto_format")
                etree.SubElement(a, "text").text = ans["text"]
                _sub(a, "feedback", ans.get("feedback", ""), format="html")
        elif q.type == "numerical":
            for ans in data.get("answers", []):
                a = etree.SubElement(el, "answer", fraction=_pct(ans.get("fraction", 0)), format="moodle_auto_format")
                etree.SubElement(a, "text").text = _num(ans["value"])
                etree.SubElement(a, "tolerance").text = _num(ans.get("tolerance", 0))
                _sub(a, "feedback", ans.get("feedback", ""), format="html")
        elif q.type == "matching":
            etree.SubElement(el, "shuffleanswers").text = "true" if data.get("shuffle", True) else "false"
            for pair in data.get("pairs", []):
                s = _sub(el, "subquestion", pair.get("stem", ""), format="html")
                a = etree.SubElement(s, "answer")
                etree.SubElement(a, "text").text = pair["answer"]
        elif q.type == "essay":
            etree.SubElement(el, "responseformat").text = data.get("response_format", "editor")
            etree.SubElement(el, "responsefieldlines").text = str(data.get("lines", 10))
            _sub(el, "graderinfo", data.get("grader_info", ""), format="html")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
