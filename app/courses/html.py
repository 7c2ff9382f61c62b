"""Author-written text made safe: lesson HTML is cleaned with an allow-list (nh3) on save, and
lesson Markdown from course packages becomes HTML first. What is not on the list is dropped,
so a lesson can never carry a script, an event handler or a style that breaks the page."""

from __future__ import annotations

import markdown as md
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "b", "em", "i", "u", "s", "mark", "small", "sub", "sup", "code", "pre", "kbd",
    "blockquote", "h2", "h3", "h4", "h5", "ul", "ol", "li", "dl", "dt", "dd", "a", "img", "figure",
    "figcaption", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "abbr", "span", "div",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "abbr": {"title"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> str:
    """The allow-listed part of `html`; links get rel=noopener noreferrer."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer").strip()


def markdown_to_html(text: str) -> str:
    """Markdown (with tables, footnotes and definition lists) rendered and then sanitised."""
    rendered = md.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return sanitize_html(rendered)
