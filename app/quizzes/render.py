"""The attempt page's questions of the commonest types as HTML, written in Python.

The attempt page is the page learners hit hardest (a whole class at once, again after every page
change), and its questions were most of its time: per question a template include (a new
context), per choice a dozen template expressions, each a generator step through four nested
templates, a dict attribute lookup that first fails as an attribute, and an escape. For the types
most quizzes are made of (multiple choice, true/false, short answer, numerical, matching and
their calculated / random variants) the whole question's fieldset is written here instead, with
the markup of templates/quizzes/attempt.html and qtypes/<type>.html; every value that is not
already sanitised HTML (a choice's or stem's text is, as the templates' `|safe` says) goes through
`escape`. The other types, and any question with the interactive behaviour's check, keep their
templates (attempt.html uses an item's "html" when it has one).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from app.web import page_locale

# markupsafe's escapes, in one C call per value (`escape` is several Python calls, and here runs
# about ten times per question); a value here is never Markup already
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def _e(value: Any) -> str:
    return str(value).translate(_ESCAPES)


class Texts:
    """The page's words, translated and escaped once per worker and locale (see `texts`)."""

    def __init__(self) -> None:
        self.question, self.point = _e(_("Soal")), _e(_("poin"))
        self.true, self.false = _e(_("Benar")), _e(_("Salah"))
        self.answer, self.number, self.pick = _e(_("Jawaban")), _e(_("Jawaban angka")), _e(_("— pilih —"))
        self.units = _e(_("Satuan"))
        self.num = current_app.jinja_env.filters["num"]


def _locale_key() -> tuple[str, str | None] | None:
    """The request's locale as a plain key (a babel Locale hashes and compares in Python)."""
    locale = page_locale()
    return None if locale is None else (locale.language, locale.territory)


def texts() -> Texts:
    """The page's Texts, made once per application and locale: eight strings translated are some
    two hundred calls, a twentieth of the page, and they are the same on every request."""
    key = _locale_key()
    kept: dict[Any, Texts] = current_app.extensions.setdefault("lentera_attempt_texts", {})
    found = kept.get(key)
    if found is None:
        found = kept[key] = Texts()
    return found


#: (language, territory, msgid) -> its translation: see `word`
_WORDS: dict[tuple[str, str | None, str], str] = {}


def word(msgid: str) -> str:
    """gettext(msgid) in the request's locale, translated once per worker and locale: for the
    words a question type writes into every attempt item (true/false's two choices). A msgid
    here is a literal of this code, so the memo is bounded."""
    key = _locale_key()
    if key is None:  # outside a request: as gettext
        return _(msgid)
    found = _WORDS.get((*key, msgid))
    if found is None:
        found = _WORDS[(*key, msgid)] = _(msgid)
    return found


#: (deadline, language, territory, time zone) -> the deadline as the page writes it
_DEADLINES: dict[tuple, str] = {}
_DEADLINES_MAX = 4096


def deadline_text(deadline: datetime) -> str:
    """`deadline|localdt`: the attempt's deadline in the reader's locale and time zone. Babel's
    formatting is some two hundred calls, for a value that is the same on every view of an
    attempt (JavaScript counts down from it): kept per worker by what the text depends on."""
    from flask_babel import get_timezone

    key = (deadline, _locale_key(), str(get_timezone()))
    found = _DEADLINES.get(key)
    if found is None:
        if len(_DEADLINES) >= _DEADLINES_MAX:
            _DEADLINES.clear()
        found = _DEADLINES[key] = current_app.jinja_env.filters["localdt"](deadline)
    return found


def _multichoice(item: dict, r: Any, t: Texts, out: list[str]) -> None:
    multiple = item["multiple"]
    kind = "checkbox" if multiple else "radio"
    name = f"q-{item['id']}"
    labels = item.get("labels")
    for i, c in enumerate(item["choices"]):
        cid = c["id"]
        checked = (multiple and r and cid in r) or (not multiple and r == cid)
        out.append(f'  <label class="choice"><input type="{kind}" name="{name}" value="{_e(cid)}"'
                   f'{" checked" if checked else ""}> ')
        if labels:
            out.append(f'<span class="numbering">{labels[i]}.</span> ')  # a, B, iv, 12: no markup
        out.append(f'<span>{c["text"]}</span></label>\n')


def _truefalse(item: dict, r: Any, t: Texts, out: list[str]) -> None:
    name = f"q-{item['id']}"
    out.append(f'<label class="choice"><input type="radio" name="{name}" value="true" '
               f'{"checked" if r is True else ""}> {t.true}</label>\n'
               f'<label class="choice"><input type="radio" name="{name}" value="false" '
               f'{"checked" if r is False else ""}> {t.false}</label>\n')


def _shortanswer(item: dict, r: Any, t: Texts, out: list[str]) -> None:
    out.append(f'<input type="text" name="q-{item["id"]}" value="{_e(r or "")}" aria-label="{t.answer}" '
               'autocomplete="off">\n')


def _numerical(item: dict, r: Any, t: Texts, out: list[str]) -> None:
    units = item.get("units")
    value = "" if r is None else (r if isinstance(r, str) else f"{r:g}")
    out.append(f'<input type="text" inputmode="{"text" if units else "decimal"}" name="q-{item["id"]}" '
               f'value="{_e(value)}" aria-label="{t.number}" autocomplete="off">\n')
    if units:
        out.append(f'<small class="help">{t.units}: {", ".join(_e(u) for u in units)}</small>\n')


def _matching(item: dict, r: Any, t: Texts, out: list[str]) -> None:
    qid = item["id"]
    options = [(_e(c["id"]), c["id"], _e(c["text"])) for c in item["choices"]]
    pick = t.pick
    for s in item["stems"]:
        sid = _e(s["id"])
        given = r.get(s["id"]) if r else None
        out.append(f'  <label class="match">{s["text"]}\n    <select name="q-{qid}-{sid}" data-stem="{sid}">\n'
                   f'      <option value="">{pick}</option>\n      ')
        out.append("".join(f'<option value="{value}" {"selected" if given == raw else ""}>{text}</option>'
                           for value, raw, text in options))
        out.append("\n    </select></label>\n")


BODIES: dict[str, Callable[[dict, Any, Texts, list[str]], None]] = {
    "multichoice": _multichoice, "calculatedmulti": _multichoice, "truefalse": _truefalse,
    "shortanswer": _shortanswer, "numerical": _numerical, "calculatedsimple": _numerical,
    "matching": _matching, "randomsamatch": _matching,
}


def question_html(item: dict, t: Texts) -> Markup | None:
    """The question's fieldset on the attempt page, or None when its template draws it (a type
    not written here, text with fields inside, or the interactive behaviour's check)."""
    body = BODIES.get(item["type"])
    if body is None or item.get("parts") or item.get("check"):
        return None
    qid = item["id"]
    # the type and shape are names of this code (the BODIES keys, a type's response_shape)
    out = [f'<fieldset class="question card" id="soal-{qid}" data-qid="{qid}" data-type="{item["type"]}" '
           f'data-shape="{item["shape"]}" data-multiple="{"1" if item.get("multiple") else "0"}">\n']
    if item["graded"]:
        out.append(f'    <input type="hidden" name="present-{qid}" value="1">\n'
                   f'    <legend>{t.question} {item["number"]} <small class="muted">({_e(t.num(item["mark"], 4))} '
                   f'{t.point})</small></legend>\n')
    out.append(f'    <div class="prose">{item["text"]}</div>\n')
    body(item, item.get("response"), t, out)
    out.append("  </fieldset>")
    return Markup("".join(out))


def attach_html(items: list[dict]) -> Markup | None:
    """Give each item of the page its "html": written here, or None where its template draws it.
    When every item is written here, the page's questions as attempt.html's loop would join them
    (one value for the template instead of a loop of two lookups and an escape per question)."""
    t = texts()
    for item in items:
        item["html"] = question_html(item, t)
    if any(item["html"] is None for item in items):
        return None
    return Markup("".join([f"\n  {item['html']}\n  " for item in items]))
