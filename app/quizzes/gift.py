"""GIFT, Moodle's text format for questions, read the way Moodle's own reader
(`question/format/gift/format.php` in moodle/moodle) reads it, and written the way it writes it.

Questions are separated by blank lines; a line starting `//` is a comment and does not end a
question (a comment may carry `[id:…]` and `[tag:…]`, the question's idnumber and tags);
`::title::` names a question; `$CATEGORY: a/b` sets the category of the questions after it.
A text without `{…}` is a description. In the answer part: `{}` essay; `#…` numerical
(`3.14:0.01`, `1..5`, several `=%50%…` rows, `~#feedback` the "any other answer" row);
any `~` makes a multiple choice (`=` marks the right answer, also written `~=`; `%50%` weights;
no `=` at all means several answers may be chosen); `=` with `->` matching; `T`/`TRUE`/`F`/
`FALSE` true/false; anything else a short answer (`=` optional). `#` after an answer is its
feedback, `####` the general feedback. `[html]`, `[moodle]`, `[plain]`, `[markdown]` at the start
of the question text, an answer, a stem or a feedback set its format and are removed. Escapes
`\\~ \\= \\# \\{ \\} \\:` are literal characters and `\\n` a line break. Answers placed in the middle
of the text make a missing-word question (the text gets `_____`).

Weights must be ones Moodle offers (100, 90, 83.33333, … 5, and their negatives): Moodle refuses
a question with another weight (e.g. 33 %), and so do we, with the weight named.

Every problem is reported with its line; the questions that could be read are returned beside
the problems, and the import decides (stop on error, or skip the bad ones).
"""

from __future__ import annotations

import re

from app.quizzes.parsed import (
    ParsedQuestion,
    ParseProblem,
    ParseResult,
    check_types,
    clean_category_path,
    moodle_fraction,
    to_html,
)

# Placeholders (private-use characters) for escaped control characters while parsing.
_ESCAPES = {"\\:": "\ue005", "\\#": "\ue002", "\\=": "\ue001", "\\{": "\ue003", "\\}": "\ue004", "\\~": "\ue000",
            "\\n": "\ue007"}
_BACK = {"\ue005": ":", "\ue002": "#", "\ue001": "=", "\ue003": "{", "\ue004": "}", "\ue000": "~", "\ue007": "\n"}
_FORMATS = ("html", "markdown", "plain", "moodle")
_WEIGHT = re.compile(r"^%(-*)([0-9]{1,2}\.?[0-9]*)%")  # Moodle's: %50%, %-33.33333%, %100%
_ID = re.compile(r"\[id:((?:\\.|[^\]\\])+)\]")
_TAG = re.compile(r"\[tag:((?:\\.|[^\]\\])+)\]")


def _protect(s: str) -> str:
    s = s.replace("\\\\", "\ue006")
    for k, v in _ESCAPES.items():
        s = s.replace(k, v)
    return s.replace("\ue006", "\\")


def _plain(s: str) -> str:
    """Protected text back to what the author meant."""
    for k, v in _BACK.items():
        s = s.replace(k, v)
    return s.strip()


class _Fail(Exception):
    def __init__(self, pos: int | None, message: str) -> None:
        super().__init__(message)
        self.pos, self.message = pos, message


def _with_format(text: str, default: str) -> tuple[str, str]:
    """(text, format) of a piece that may start with `[format]`; an unknown name stays text."""
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        if end > 0 and text[1:end] in _FORMATS:
            return _plain(text[end + 1:]), text[1:end]
    return _plain(text), default


def _html(text: str, default: str) -> str:
    body, fmt = _with_format(text, default)
    return to_html(body, fmt) if body else ""


def parse_gift(source: str) -> ParseResult:
    result = ParseResult()
    source = source.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for lineno, line in enumerate(source.split("\n"), 1):
        if not line.strip():
            if current:
                blocks.append(current)
                current = []
            continue
        current.append((lineno, line))
    if current:
        blocks.append(current)

    category: str | None = None
    seen_any = False
    for block in blocks:
        comments = "\n".join(line.strip() for _, line in block if line.strip().startswith("//"))
        lines = [(n, line) for n, line in block if not line.strip().startswith("//")]
        if not lines:
            continue  # a block of comments only
        seen_any = True
        if lines[0][1].strip().startswith("$CATEGORY:"):
            category = clean_category_path(lines[0][1].strip()[len("$CATEGORY:"):]) or None
            lines = lines[1:]
            if not lines:
                continue
        text = _protect("\n".join(line for _, line in lines).strip())
        first = lines[0][0]

        def line_at(pos: int | None, lines=lines, text=text) -> int:
            if pos is None:
                return lines[0][0]
            return lines[min(text.count("\n", 0, pos), len(lines) - 1)][0]

        try:
            q = _parse_question(text)
        except _Fail as fail:
            result.problems.append(ParseProblem(line_at(fail.pos), fail.message))
            continue
        m = _ID.search(comments)
        if m:
            q.idnumber = m.group(1).replace("\\]", "]").strip()[:100] or None
        q.tags = [t.group(1).replace("\\]", "]").strip() for t in _TAG.finditer(comments) if t.group(1).strip()]
        q.category = category
        q.line = first
        result.questions.append(q)
    if not seen_any:
        result.problems.append(ParseProblem(1, "Berkas tidak berisi soal."))
        result.fatal = True
    elif not any("{" in "".join(line for _, line in b) for b in blocks):
        # Moodle would read every paragraph of any text file as a description; a file without a
        # single answer part is almost certainly not a GIFT file, so say so instead.
        result.questions = []
        result.problems = [ParseProblem(1, "Berkas ini bukan GIFT: tidak ada satu pun bagian jawaban {…}.")]
        result.fatal = True
    return check_types(result)


def _parse_question(text: str) -> ParsedQuestion:
    name = None
    offset = 0  # how far `text` is into the block, for line numbers
    if text.startswith("::"):
        end = text.find("::", 2)
        if end >= 0:
            name = _plain(text[2:end])
            rest = text[end + 2:]
            offset = end + 2 + len(rest) - len(rest.lstrip())
            text = rest.strip()
        else:
            text, offset = text[2:], 2  # Moodle: an unclosed title is no title; the text goes on
    start, finish = text.find("{"), text.find("}")
    description = start < 0 and finish < 0
    if not description and (start < 0 or finish < 0):
        pos = start if start >= 0 else finish
        raise _Fail(offset + pos, "Kurung kurawal { … } tidak berpasangan; tulis \\{ atau \\} untuk karakternya.")
    if not description and finish < start:
        raise _Fail(offset + finish, "Kurung kurawal } sebelum {; tulis \\} untuk karakternya.")

    if description:
        answer, stem = "", text
    else:
        answer = text[start + 1:finish].strip()
        after = text[finish + 1:]
        stem = text[:start] + ("_____" + after if after.strip() else "")
    general_feedback = ""
    gf = answer.rfind("####")
    if gf >= 0:
        general_feedback, answer = answer[gf + 4:], answer[:gf].strip()

    body, fmt = _with_format(stem, "moodle")
    if not body.strip():
        raise _Fail(offset + start if start >= 0 else None, "Teks soal kosong.")
    q = ParsedQuestion(type="", name=name or _default_name(body), text=to_html(body, fmt), data={},
                       general_feedback=_html(general_feedback, fmt))
    q.text_format = fmt
    at = offset + start + 1

    if description:
        q.type, q.default_mark = "description", 0.0
        return q
    if answer == "":
        q.type = "essay"
        q.data = {"response_format": "editor", "required": True, "lines": 15, "attachments": 0,
                  "attachments_required": 0, "file_types": "", "template": "", "grader_info": ""}
        return q
    if answer.startswith("#"):
        q.type, q.data = "numerical", {"answers": _numerical(answer[1:], at, fmt)}
        return q
    if "~" in answer:
        q.type, q.data = "multichoice", _multichoice(answer, at, fmt)
        return q
    if "=" in answer and "->" in answer:
        q.type, q.data = "matching", _matching(answer, at, fmt)
        return q
    head = (answer[:answer.find("#")] if answer.find("#") > 0 else answer).strip()
    if head in ("T", "TRUE", "F", "FALSE"):
        bits = answer.split("#", 2)
        right = bits[0].strip() in ("T", "TRUE")
        wrong_fb = _html(bits[1], fmt) if len(bits) > 1 else ""
        right_fb = _html(bits[2], fmt) if len(bits) > 2 else ""
        q.type = "truefalse"
        q.data = {"answer": right, "feedback_true": right_fb if right else wrong_fb,
                  "feedback_false": wrong_fb if right else right_fb}
        return q
    q.type, q.data = "shortanswer", _shortanswer(answer, at, fmt)
    return q


def _default_name(body: str) -> str:
    words = re.sub(r"<[^>]+>", " ", body)
    return " ".join(words.split())[:80]


def _weight(piece: str, at: int, default: float) -> tuple[float, str]:
    """A leading `%n%` weight (checked against Moodle's list) and the rest; `%` that is not a
    weight is part of the answer, as in Moodle."""
    m = _WEIGHT.match(piece)
    if not m:
        return default, piece
    raw = ("-" if m.group(1) else "") + m.group(2)
    value = moodle_fraction(float(raw.rstrip(".")) / 100)
    if value is None:
        raise _Fail(at, f"Bobot {raw}% tidak termasuk bobot yang diterima Moodle "
                        "(100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, "
                        "16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0, atau negatifnya); soal dilewati.")
    return value, piece[m.end():]


def _split(answer: str, mark: str) -> list[tuple[str, int]]:
    """Split on `mark`, keeping where each piece starts; the empty first piece is dropped."""
    out, pos = [], 0
    for piece in answer.split(mark):
        out.append((piece, pos))
        pos += len(piece) + 1
    if out and not out[0][0].strip():
        out.pop(0)
    return out


def _multichoice(answer: str, at: int, fmt: str) -> dict:
    single = "=" in answer  # Moodle: one answer to pick when any is marked =, else several
    choices = []
    # `=` starts an answer as `~` does (`{=a ~b}` and `{~=a ~b}` are the same)
    for piece, pos in _split(answer.replace("=", "~="), "~"):
        piece = piece.strip()
        if not piece:
            continue
        where = at + max(0, pos - answer[:pos].count("=") - 1)
        if piece.startswith("="):
            weight, piece = 1.0, piece[1:]
        else:
            weight, piece = _weight(piece, where, 0.0)
        text, _, feedback = piece.partition("#")
        body = _html(text, fmt)
        if not body:
            raise _Fail(where, "Pilihan jawaban kosong.")
        choices.append({"id": str(len(choices) + 1), "text": body, "fraction": weight, "feedback": _html(feedback, fmt)})
    if len(choices) < 2:
        raise _Fail(at, "Soal pilihan ganda butuh sedikitnya dua pilihan.")
    return {"single": single, "shuffle": True, "numbering": "abc", "choices": choices}


def _matching(answer: str, at: int, fmt: str) -> dict:
    pairs = []
    for piece, pos in _split(answer, "="):
        if "->" not in piece:
            raise _Fail(at + pos, "Pasangan menjodohkan harus ditulis =pernyataan -> jawaban.")
        stem_t, ans_t = piece.split("->", 1)
        if not _plain(ans_t):
            raise _Fail(at + pos, "Jawaban pasangan kosong.")
        pairs.append({"id": str(len(pairs) + 1), "stem": _html(stem_t, fmt), "answer": _plain(ans_t)})
    if sum(1 for p in pairs if p["stem"]) < 2:
        raise _Fail(at, "Soal menjodohkan butuh sedikitnya dua pasangan.")
    return {"shuffle": True, "pairs": pairs}


def _shortanswer(answer: str, at: int, fmt: str) -> dict:
    answers = []
    for piece, pos in _split(answer, "="):
        piece = piece.strip()
        weight, piece = _weight(piece, at + pos, 1.0)
        text, _, feedback = piece.partition("#")
        body, _fmt = _with_format(text, fmt)
        if not body:
            raise _Fail(at + pos, "Jawaban isian kosong.")
        answers.append({"text": body, "fraction": weight, "feedback": _html(feedback, fmt)})
    if not answers:
        raise _Fail(at, "Soal isian butuh sedikitnya satu jawaban.")
    return {"case_sensitive": False, "answers": answers}


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"


def _numerical(body: str, at: int, fmt: str) -> list[dict]:
    wrong = ""
    tilde = body.find("~")
    if tilde >= 0:
        body, wrong = body[:tilde], body[tilde:]
    answers = []
    for piece, pos in _split(body, "="):
        piece = piece.strip()
        if not piece:
            continue
        weight, piece = _weight(piece, at + pos, 1.0)
        text, _, feedback = piece.partition("#")
        value, tol = _number_spec(_with_format(text, fmt)[0], at + pos)
        answers.append({"value": value, "tolerance": tol, "fraction": weight, "feedback": _html(feedback, fmt)})
    if not answers:
        raise _Fail(at, "Soal angka tidak punya jawaban: tulis misalnya {#3.14:0.01}.")
    if wrong:
        # `~#feedback`: Moodle's "any other answer" row, which earns nothing but says something
        answers.append({"value": "*", "tolerance": 0.0, "fraction": 0.0,
                        "feedback": _html(wrong[1:].partition("#")[2], fmt)})
    return answers


def _number_spec(t: str, at: int) -> tuple[float | str, float]:
    if t.strip() == "*":
        return "*", 0.0
    m = re.fullmatch(rf"\s*({_NUMBER})\s*\.\.\s*({_NUMBER})\s*", t)
    if m:
        lo, hi = float(m.group(1)), float(m.group(2))
        if lo > hi:
            raise _Fail(at, f"Rentang {t.strip()}: batas bawah lebih besar dari batas atas.")
        return (lo + hi) / 2, (hi - lo) / 2
    m = re.fullmatch(rf"\s*({_NUMBER})\s*(?::\s*({_NUMBER}))?\s*", t)
    if not m:
        raise _Fail(at, f"Jawaban angka '{t.strip()}' tidak valid: tulis 3.14, 3.14:0.01 atau 1..5.")
    return float(m.group(1)), abs(float(m.group(2) or 0))


# --- export -------------------------------------------------------------------------------------

def export_gift(questions: list[tuple[str, object]]) -> str:
    """[(category path, Question), ...] → GIFT text that `parse_gift` (and Moodle) read back to the
    same questions. Texts are written as `[html]`; a question GIFT cannot hold (a case-sensitive
    short answer, numerical units) is left out with a comment saying why."""
    from app.quizzes import qtypes
    from app.quizzes.qtypes.base import gift_escape

    out: list[str] = ["// Bank soal Lentera, format GIFT", ""]
    last_category = None
    for cat_path, q in questions:
        if cat_path != last_category:
            out += [f"$CATEGORY: $course$/top/{cat_path}" if cat_path else "$CATEGORY: $course$/top", ""]
            last_category = cat_path
        kind = qtypes.get(q.type)
        inner = kind.write_gift(q.data or {})
        if inner is None:
            out += [f"// Soal '{q.name}' ({q.type}) tidak dapat ditulis dalam GIFT; pakai ekspor Moodle XML.", ""]
            continue
        meta = []
        if getattr(q, "idnumber", None):
            meta.append(f"[id:{q.idnumber.replace(']', chr(92) + ']')}]")
        meta += [f"[tag:{t.replace(']', chr(92) + ']')}]" for t in (getattr(q, "tags", None) or [])]
        if meta:
            out.append("// " + " ".join(meta))
        head = f"::{gift_escape(q.name)}::[html]{gift_escape(q.text)}"
        if q.type == "description":
            out += [head, ""]
            continue
        general = f"####{gift_escape(q.general_feedback)}" if q.general_feedback else ""
        if inner.endswith("\n"):
            body = inner + (f"\t{general}\n" if general else "")
        else:
            body = inner + general
        out += [head + "{" + body + "}", ""]
    return "\n".join(out)
