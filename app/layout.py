"""`{% samefor key, … %}…{% endsamefor %}`: a part of a template rendered once per worker and key.

The layout around every page (the head's links, the menu with its labels and links, the footer and
its script's messages) is the same for everyone who shares a language and the same rights, yet Jinja
rebuilt it on every request: some sixty strings translated, thirty addresses built and two hundred
pieces of output joined, a third of a small page's time (issue 23). A `samefor` block's output is
kept by the application, keyed by the block, the expressions given after the tag, the page's
locale and the script root, and reused by the next request with the same key.

What a block shows must depend on nothing but its key and the locale: per-person data (a name, a
badge count, a CSRF token, a flashed message) stays outside every `samefor` block. Outside
production (debug or TEMPLATES_AUTO_RELOAD, where templates and static files change under a running
server) and outside a request every block is rendered afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, has_request_context, request
from jinja2 import nodes
from jinja2.ext import Extension
from markupsafe import Markup

#: how many kept blocks an application holds before starting afresh (keys are bounded by the
#: endpoints × rights × locales, so this is only a guard)
MAX_BLOCKS = 10_000


class SameForEveryone(Extension):
    tags = {"samefor"}

    def parse(self, parser: Any) -> nodes.Node:
        lineno = next(parser.stream).lineno
        keys: list[nodes.Expr] = []
        while parser.stream.current.type != "block_end":
            if keys:
                parser.stream.expect("comma")
            keys.append(parser.parse_expression())
        body = parser.parse_statements(("name:endsamefor",), drop_needle=True)
        block = nodes.Const(f"{parser.name or parser.filename}:{lineno}")
        call = self.call_method("_kept", [block, nodes.Tuple(keys, "load"), nodes.ContextReference()])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _kept(self, block: str, key: tuple, context: Any, caller: Callable[[], str]) -> Markup | str:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        if app.debug or app.config.get("TEMPLATES_AUTO_RELOAD") or not has_request_context():
            return caller()
        locale = context.get("current_locale")
        if locale is None:  # a template rendered without the layout's context
            from flask_babel import get_locale

            locale = str(get_locale())
        kept: dict[tuple, Markup | str] = app.extensions.setdefault("lentera_samefor", {})
        full_key = (block, locale, request.script_root, *key)
        html = kept.get(full_key)
        if html is None:
            html = caller()
            if len(kept) >= MAX_BLOCKS:
                kept.clear()
            kept[full_key] = html
        return html
