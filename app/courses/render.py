"""The course page's sections and activities as HTML, written in Python (issue 23).

The outline was most of the course page's own work: per activity a dozen template expressions,
each an escape and a generator step through three nested templates, a translated label and an
address built. All of it except four things is the same for every reader of a course in one
language: whether an activity is done, which one is next (the reader's), and whether titles are
links and hidden parts are shown (two per-viewer switches, part of the key). So the rest is written
once per course version, language, script root and those switches, kept per worker
(app/cache.py: an author's change to the course writes it again on the next request), and each
request only joins the kept pieces with the reader's badges.

The markup is templates/courses/course.html's former loop, whitespace included (a test holds the
two to each other): every value that is not sanitised HTML (the section summary is, as its `|safe`
said) goes through `_e`; translations and activity labels are Markup, as the template showed them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request, url_for
from flask_babel import get_domain
from flask_babel import gettext as _
from markupsafe import Markup

from app.cache import versioned

# markupsafe's escapes in one C call per value (`escape` is several Python calls per value)
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})
_LI = '\n    \n    <li class="activity-item'


def _e(value: Any) -> str:
    return str(value).translate(_ESCAPES)


class OutlinePieces:
    """A course's outline for one kind of viewer: static strings, and per activity
    (id, the markup from after its class to its badges, the markup after its badges)."""

    __slots__ = ("items", "done_badge", "next_badge")

    def __init__(self, items: tuple, done_badge: str, next_badge: str) -> None:
        self.items = items
        self.done_badge = done_badge
        self.next_badge = next_badge


def _pieces(sections: list[tuple[Any, list[Any]]], labels: Mapping[str, Markup], linked: bool) -> OutlinePieces:
    hidden = f'<span class="badge badge-warn">{_("tersembunyi")}</span>'
    optional = f'<span class="muted">({_("opsional")})</span>'
    items: list[Any] = []
    static: list[str] = []
    for section, acts in sections:
        summary = f'<div class="prose">{section.summary}</div>' if section.summary else ""  # sanitised HTML
        static.append(f'\n<section class="card" id="bagian-{_e(section.id)}">\n  <h2>{_e(section.title)}'
                      f'{"" if section.visible else " " + hidden}</h2>\n  {summary}'
                      '\n  <ol class="activity-list">\n  ')
        for a in acts:
            label = labels.get(a.type)
            title = _e(a.title)
            if linked:
                title = f'<a href="{_e(url_for("courses.activity", activity_id=a.id))}">{title}</a>'
            head = (f'" id="aktivitas-{_e(a.id)}">\n      <span class="badge">'
                    f'{label if label is not None else _e(a.type)}</span>\n      {title}\n      ')
            date = a.settings.get("date") if a.type == "classroom" else None
            when = ""
            if date:
                place = a.settings.get("place")
                when = f'<span class="muted">· {_e(str(date).replace("T", " "))}{", " + _e(place) if place else ""}</span>'
            tail = (f'\n      {"" if a.required else optional}\n      {"" if a.visible else hidden}'
                    f'\n      {when}\n    </li>\n  ')
            items.append("".join(static))
            static = []
            items.append((a.id, head, tail))
        if not acts:
            static.append(f'\n    <li class="muted">{_("Belum ada aktivitas.")}</li>\n  ')
        static.append("\n  </ol>\n</section>\n")
    items.append("".join(static))
    return OutlinePieces(tuple(i for i in items if i != ""),
                         f'<span class="badge badge-ok">✓ {_("selesai")}</span>\n      ',
                         f'<span class="badge badge-warn">{_("berikutnya")}</span>')


def outline_html(outline: Any, editor: bool, labels: Mapping[str, Markup]) -> Markup:
    """The outline's sections and activities with the viewer's progress (done, next) as the
    course page shows them: titles are links for an enrolled learner or an editor."""
    course = outline.course
    linked = bool(outline.enrolment or editor)
    key = (course.id, outline.staff_view, linked, get_domain().get_translations(), request.script_root, len(labels))
    pieces: OutlinePieces = versioned("course_outline_html", key, course.content_version,
                                      lambda: _pieces(outline.sections, labels, linked))
    completed = outline.completed
    nxt = outline.next_activity if outline.enrolment else None
    next_id = nxt.id if nxt is not None else None
    done_badge, next_badge = pieces.done_badge, pieces.next_badge
    out: list[str] = []
    for item in pieces.items:
        if item.__class__ is str:
            out.append(item)
            continue
        activity_id, head, tail = item
        if completed.get(activity_id):  # a time: done (the template's test of the same value)
            out.append(f"{_LI} is-done{head}{done_badge}{tail}")
        elif activity_id == next_id:
            out.append(f"{_LI}{head}{next_badge}{tail}")
        else:
            out.append(f"{_LI}{head}{tail}")
    return Markup("".join(out))
