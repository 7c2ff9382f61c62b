"""GIFT, Moodle's text format for questions, as Moodle documents it.

Questions are separated by blank lines; `//` starts a comment line; `::title::` names a
question; `$CATEGORY: a/b` sets the category of the questions after it; `[html]`,
`[markdown]`, `[plain]`, `[moodle]` set the text format; answers sit in `{...}`:
`=right ~wrong` (multichoice), `~%50%a ~%50%b ~%-100%c` (several right, weights),
`{T}`/`{FALSE}` (true/false, then `#wrong feedback#right feedback`), `{=a =%50%b}` (short
answer), `{#3.14:0.01}` / `{#1..5}` / `{#=%100%2:0 =%50%2:1}` (numerical), `{=x -> y ...}`
(matching), `{}` (essay). `#` after an answer is its feedback, `####` the general feedback,
`\\~ \\= \\# \\{ \\} \\:` are literal characters and `\\n` a line break. Answers placed in the middle
of the text make a missing-word question.

Every problem is reported with its line; the questions that could be read are returned beside
the problems, and the import decides (stop on error, or skip the bad ones).
"""

from __future__ import annotations

import re

from app.quizzes.parsed import ParsedQuestion, ParseProblem, ParseResult, to_html

_ESCAPES = {"\\~": "\ue000", "\\=": "\ue001", "\\#": "\ue002", "\\{": "\ue003", "\\}": "\ue004", "\\:": "\ue005"}
_FORMATS = ("html", "markdown", "plain", "moodle")
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"


def _protect(s: str) -> str:
    s = s.replace("\\\\", "\ue006")
    for k, v in _ESCAPES.items():
        s = s.replace(k, v)
    return s


def _plain(s: str) -> str:
    """Protected text back to what the author meant."""
    s = s.replace("\\n", "\n")
    for k, v in _ESCAPES.items():
        s = s.replace(v, k[1])
    return s.replace("\ue006", "\\").strip()


class _Fail(Exception):
    def __init__(self, pos: int | None, message: str) -> None:
        super().__init__(message)
        self.pos, self.message = pos, message


def parse_gift(source: str) -> ParseResult:
    result = ParseResult()
    source = source.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for lineno, line in enumerate(source.split("\n"), 1):
        if line.lstrip().startswith("//"):
            continue  # a comment line; it does not end a question
        if not line.strip():
            if current:
                blocks.append(current)
                current = []
            continue
        current.append((lineno, line))
    if current:
        blocks.append(current)

    category: str | None = None
    for block in blocks:
        if block[0][1].strip().startswith("$CATEGORY:"):
            from app.quizzes.parsed import clean_category_path

            category = clean_category_path(block[0][1].strip()[len("$CATEGORY:"):]) or None
            block = block[1:]
            if not block:
                continue
        text = _protect("\n".join(line for _, line in block))

        def line_at(pos: int | None, block=block, text=text) -> int:
            if pos is None:
                return block[0][0]
            return block[min(text.count("\n", 0, pos), len(block) - 1)][0]

        try:
            q = _parse_question(text)
        except _Fail as fail:
            result.problems.append(ParseProblem(line_at(fail.pos), fail.message))
            continue
        q.category = category
        q.line = block[0][0]
        result.questions.append(q)
    if not blocks:
        result.problems.append(ParseProblem(1, "Berkas tidak berisi soal."))
        result.fatal = True
    return result


def _parse_question(s: str) -> ParsedQuestion:
    pos = len(s) - len(s.lstrip())
    name = None
    if s.startswith("::", pos):
        end = s.find("::", pos + 2)
        if end < 0:
            raise _Fail(pos, "Judul soal diawali :: tetapi tidak ditutup dengan ::.")
        name = _plain(s[pos + 2:end])
        pos = end + 2
    opening = s.find("{", pos)
    if opening < 0:
        raise _Fail(None, "Soal tidak punya bagian jawaban {…}.")
    closing = s.find("}", opening + 1)
    if closing < 0:
        raise _Fail(opening, "Kurung kurawal { tidak ditutup dengan }.")
    nested = s.find("{", opening + 1, closing)
    if nested >= 0:
        raise _Fail(nested, "Kurung kurawal { di dalam bagian jawaban; tulis \\{ bila maksudnya karakter {.")
    stray = re.search(r"[{}]", s[closing + 1:])
    if stray:
        raise _Fail(closing + 1 + stray.start(),
                    "Satu soal hanya boleh punya satu bagian jawaban {…}; tulis \\{ atau \\} untuk karakternya.")
    stray = s.find("}", pos, opening)
    if stray >= 0:
        raise _Fail(stray, "Kurung kurawal } tanpa pembuka {.")

    before, answer, after = s[pos:opening], s[opening + 1:closing], s[closing + 1:]
    fmt = "moodle"
    m = re.match(r"\s*\[(\w+)\]", before)
    if m:
        if m.group(1).lower() not in _FORMATS:
            raise _Fail(pos, f"Format teks [{m.group(1)}] tidak dikenal (html, markdown, plain, moodle).")
        fmt = m.group(1).lower()
        before = before[m.end():]
    if after.strip():
        stem = _plain(before).rstrip() + " _____ " + _plain(after).lstrip()
    else:
        stem = _plain(before)
    if not stem.strip():
        raise _Fail(opening, "Teks soal kosong.")

    def small(t: str) -> str:  # answers and feedback: HTML kept only when the format is HTML
        return to_html(_plain(t), "html" if fmt == "html" else "plain")

    general_feedback = ""
    gf = answer.find("####")
    if gf >= 0:
        general_feedback = to_html(_plain(answer[gf + 4:]), fmt)
        answer = answer[:gf]
    a = answer.strip()
    base = opening + 1 + (len(answer) - len(answer.lstrip()))
    plain_name = name or re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", stem)).strip()[:80]
    q = ParsedQuestion(type="", name=plain_name, text=to_html(stem, fmt), data={}, general_feedback=general_feedback)

    if not a:
        q.type, q.data = "essay", {"response_format": "editor", "lines": 10, "grader_info": ""}
        return q
    if a.startswith("#"):
        q.type, q.data = "numerical", {"answers": _numerical(a[1:], base + 1, small)}
        return q
    head = a.split("#", 1)[0].strip().upper()
    if head in ("T", "F", "TRUE", "FALSE"):
        parts = a.split("#")
        if len(parts) > 3:
            raise _Fail(base, "Soal benar/salah hanya punya dua umpan balik: {T#jika salah#jika benar}.")
        right = head in ("T", "TRUE")
        wrong_fb = small(parts[1]) if len(parts) > 1 else ""
        right_fb = small(parts[2]) if len(parts) > 2 else ""
        q.type = "truefalse"
        q.data = {"answer": right, "feedback_true": right_fb if right else wrong_fb,
                  "feedback_false": wrong_fb if right else right_fb}
        return q

    tokens = list(re.finditer(r"[=~][^=~]*", a))
    if not tokens or a[:tokens[0].start()].strip():
        raise _Fail(base, "Setiap jawaban harus diawali = (benar) atau ~ (salah); "
                          "untuk benar/salah tulis T atau F, untuk angka awali dengan #.")
    parsed = [_answer(t.group(0), base + t.start()) for t in tokens]

    if "->" in a and all(mark == "=" for mark, *_ in parsed):
        pairs = []
        for i, (_mark, _weight, body, _fb, at) in enumerate(parsed, 1):
            if "->" not in body:
                raise _Fail(at, "Pasangan menjodohkan harus ditulis =pernyataan -> jawaban.")
            stem_t, ans_t = body.split("->", 1)
            if not _plain(ans_t):
                raise _Fail(at, "Jawaban pasangan kosong.")
            pairs.append({"id": str(i), "stem": to_html(_plain(stem_t), "html" if fmt == "html" else "plain")
                          if _plain(stem_t) else "", "answer": _plain(ans_t)})
        if sum(1 for p in pairs if p["stem"]) < 2:
            raise _Fail(base, "Soal menjodohkan butuh sedikitnya dua pasangan.")
        q.type, q.data = "matching", {"shuffle": True, "pairs": pairs}
        return q
    if "~" in a:
        choices = []
        for i, (mark, weight, body, fb, at) in enumerate(parsed, 1):
            if "->" in body:
                raise _Fail(at, "Tanda -> hanya untuk soal menjodohkan (semua jawaban diawali =).")
            if not _plain(body):
                raise _Fail(at, "Pilihan jawaban kosong.")
            fraction = weight if weight is not None else (1.0 if mark == "=" else 0.0)
            choices.append({"id": str(i), "text": small(body), "fraction": fraction, "feedback": small(fb)})
        if not any(c["fraction"] > 0 for c in choices):
            raise _Fail(base, "Soal pilihan ganda tidak punya jawaban benar (= atau bobot positif).")
        single = not any(mark == "~" and (weight or 0) > 0 for mark, weight, *_ in parsed)
        q.type, q.data = "multichoice", {"single": single, "shuffle": True, "choices": choices}
        return q
    answers = []
    for _mark, weight, body, fb, at in parsed:
        if not _plain(body):
            raise _Fail(at, "Jawaban isian kosong.")
        answers.append({"text": _plain(body), "fraction": 1.0 if weight is None else weight, "feedback": small(fb)})
    q.type, q.data = "shortanswer", {"case_sensitive": False, "answers": answers}
    return q


def _answer(token: str, at: int) -> tuple[str, float | None, str, str, int]:
    mark, body = token[0], token[1:]
    weight = None
    stripped = body.lstrip()
    if stripped.startswith("%"):
        m = re.match(r"%\s*(" + _NUMBER + r")\s*%", stripped)
        if not m:
            raise _Fail(at, "Bobot jawaban harus ditulis %angka%, misalnya %50% atau %-25%.")
        weight = float(m.group(1)) / 100
        if not -1 <= weight <= 1:
            raise _Fail(at, "Bobot jawaban harus antara -100% dan 100%.")
        body = stripped[m.end():]
    text, _, feedback = body.partition("#")
    return mark, weight, text, feedback, at


def _numerical(body: str, at: int, small) -> list[dict]:
    answers = []
    if "=" in body:
        tokens = list(re.finditer(r"[=~][^=~]*", body))
        if body[:tokens[0].start()].strip():
            raise _Fail(at, "Jawaban angka ganda harus masing-masing diawali =.")
        for t in tokens:
            mark, weight, text, fb, pos = _answer(t.group(0), at + t.start())
            if mark != "=":
                raise _Fail(pos, "Jawaban angka diawali =, bukan ~.")
            value, tol = _number_spec(text, pos)
            answers.append({"value": value, "tolerance": tol, "fraction": 1.0 if weight is None else weight,
                            "feedback": small(fb)})
    else:
        text, _, fb = body.partition("#")
        value, tol = _number_spec(text, at)
        answers.append({"value": value, "tolerance": tol, "fraction": 1.0, "feedback": small(fb)})
    return answers


def _number_spec(text: str, at: int) -> tuple[float, float]:
    t = _plain(text).replace("\ue005", ":")
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
