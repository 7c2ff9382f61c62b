"""English is the second language of every page: each message in the source has a checked English
translation in app/translations/en, and a page asked for in English shows it.

The messages are extracted from the source as `make i18n-extract` (pybabel with babel.cfg and the
`_l` keyword) extracts them, and compared with the .po file itself, so a string added to the code
without running the extraction and translating it fails here, by name."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from babel.messages.catalog import PYTHON_FORMAT
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask_babel import refresh

ROOT = Path(__file__).resolve().parent.parent
EN_PO = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"

#: `{n}` in strings the page's JavaScript fills in (the offline banner, the download button).
BRACE_FIELD = re.compile(r"\{[A-Za-z_]\w*\}")
HTML_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)\b[^>]*>")


def _source_messages() -> dict[str | tuple[str, ...], str]:
    """Every message the code and templates ask to translate, with its first location."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}

    def only_app(path: str) -> bool:
        rel = Path(path).relative_to(ROOT)
        return rel.parts[0] == "app" and not rel.name.startswith((".", "_"))

    found: dict[str | tuple[str, ...], str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords, directory_filter=only_app):
        key = message if isinstance(message, str) else tuple(message)
        if key[0] if isinstance(key, tuple) else key:  # skip the empty msgid
            found.setdefault(key, f"{filename}:{lineno}")
    return found


def _placeholders(text: str) -> Counter:
    """The parts of a message a program fills in: %(name)s, %d, %%, {name}."""
    return Counter([m.group(0) for m in PYTHON_FORMAT.finditer(text)] + BRACE_FIELD.findall(text))


def test_the_extraction_finds_the_second_wave_messages():
    # guards the test below against passing because the extraction found nothing
    found = _source_messages()
    assert len(found) > 2000
    assert "Kumpulkan semua dan selesai" in found  # a template (quizzes/attempt_summary.html)
    assert "Tenggat" in found  # an `_l` form label (assignments/forms.py)
    assert ("%(num)d soal belum dijawab.", "%(num)d soal belum dijawab.") in found  # ngettext


def test_every_message_has_a_checked_english_translation():
    with open(EN_PO, "rb") as f:
        catalog = read_po(f)
    problems: list[str] = []
    for key, where in sorted(_source_messages().items(), key=lambda kv: kv[1]):
        msgid = key if isinstance(key, str) else key[0]
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"not in en/messages.po (run make i18n-extract): {msgid!r} ({where})")
            continue
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        if not all(strings):
            problems.append(f"no English translation: {msgid!r} ({where})")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy (unchecked) translation: {msgid!r} -> {strings[0]!r} ({where})")
        # a plural's first form answers to the singular msgid, every other form to msgid_plural
        sources = [key] if isinstance(key, str) else [key[0]] + [key[1]] * (len(strings) - 1)
        for source, text in zip(sources, strings, strict=True):
            if _placeholders(source) != _placeholders(text):
                problems.append(f"placeholders differ: {source!r} -> {text!r} ({where})")
            if Counter(HTML_TAG.findall(source)) != Counter(HTML_TAG.findall(text)):
                problems.append(f"HTML tags differ: {source!r} -> {text!r} ({where})")
    assert not problems, f"{len(problems)} message(s) without a good English translation:\n" + "\n".join(problems)


def test_the_catalogue_has_english_plural_forms():
    with open(EN_PO, "rb") as f:
        catalog = read_po(f)
    assert catalog.num_plurals == 2
    entry = catalog.get("%(num)d soal belum dijawab.")
    assert entry is not None and len(entry.string) == 2 and entry.string[0] != entry.string[1]


def test_a_second_wave_page_in_english(client, org, login):
    """The coaching page (a second-wave domain) after choosing English: its title, button and
    explanation are English and none of its Indonesian sentences are left."""
    login(org.learner_a1)
    resp = client.get("/lang/en", query_string={"next": "/pendampingan"})
    assert resp.status_code == 302
    html = client.get("/pendampingan").get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Start a new coaching relationship" in html
    assert "My coaching and mentoring" in html
    assert "recorded automatically in the JP history" in html
    with open(EN_PO, "rb") as f:
        catalog = read_po(f)
    # whole Indonesian sentences that have an English translation must not show up untranslated
    left = [m.id for m in catalog if isinstance(m.id, str) and len(m.id) >= 15 and m.string
            and m.string != m.id and not _placeholders(m.id) and m.id in html]
    assert not left, left
    # and back to Indonesian. The test's app context outlives the requests (the `app` fixture), so
    # Flask-Babel's per-context cache of the locale is dropped as a new request's context would.
    client.get("/lang/id")
    refresh()
    assert "Buka pendampingan baru" in client.get("/pendampingan").get_data(as_text=True)



def test_kept_template_messages_follow_the_language_and_escape_their_arguments(client, org, login):
    """The templates' `_()` keeps each language's messages (app/web.py): the home page in
    Indonesian, in English, then in Indonesian again shows each language's words, and an argument
    (the person's name) is still escaped in the kept message it fills."""
    from app.accounts.models import User
    from app.extensions import db

    learner = db.session.get(User, org.learner_a1.id)
    learner.name = "<b>Siti</b> & Rahma"
    db.session.commit()
    login(learner)
    for _round in range(2):  # the second time from the kept messages
        client.get("/lang/id")
        refresh()
        page = client.get("/").get_data(as_text=True)
        assert "<title>Beranda" in page and "Selamat datang, &lt;b&gt;Siti&lt;/b&gt; &amp; Rahma" in page
        client.get("/lang/en")
        refresh()
        page = client.get("/").get_data(as_text=True)
        assert "<title>Home" in page and "&lt;b&gt;Siti&lt;/b&gt; &amp; Rahma" in page
        assert "Selamat datang" not in page and "Beranda" not in page
