"""What every page shares: navigation, the home page, errors, language, security headers."""

from __future__ import annotations

import functools
import time
from collections import ChainMap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date
from decimal import Decimal
from functools import wraps
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.globals import _cv_request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Domain
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from itsdangerous import BadSignature
from jinja2 import Template, pass_context
from jinja2.runtime import Context, new_context
from markupsafe import Markup
from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.exc import DataError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from app import pg_reads
from app.errors import BadInput, LenteraError, error_response, is_api_request
from app.extensions import db, login_manager


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in URLs, bounded to the database's integer range: a larger number is simply not
    a match (404) instead of an overflow deep in the database driver."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=2**31 - 1 if max is None else max,
                         signed=signed)


MAX_PER_PAGE = 200


class PageParams(BaseModel):
    page: int = 1
    per_page: int = 50


def page_args() -> tuple[int, int]:
    """`page` and `per_page` of the query string, checked (the API's lists and the pages' alike)."""
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 50))
    except ValueError:
        raise BadInput(_("page dan per_page harus bilangan bulat."), code="invalid_query") from None
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise BadInput(_("page minimal 1; per_page antara 1 dan %(n)d.", n=MAX_PER_PAGE), code="invalid_query")
    return page, per_page


def paginate(stmt, serialize: Callable[[Any], Any]) -> dict[str, Any]:
    """Answer `{"items", "page", "per_page", "total"}` for a select() statement."""
    from sqlalchemy import func, select

    page, per_page = page_args()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [serialize(r) for r in rows], "page": page, "per_page": per_page, "total": total}


@dataclass
class PageOf:
    """One page of a listing for a template: its rows, the total and where we are."""

    rows: list
    total: int
    page: int
    per_page: int


def page_of(stmt, per_page: int) -> PageOf:
    """The `?page=` of a select() statement for a page (a page number out of range is page 1 or
    the last rows, never an error: people follow old links)."""
    from sqlalchemy import func, select

    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return PageOf(rows, total, page, per_page)


#: The menus that group pages, in the order they appear. A page with no group stands on its own.
MENU_GROUPS = {
    "development": _l("Pengembangan saya"),
    "manage": _l("Kelola"),
    "admin": _l("Administrasi"),
}


@dataclass
class NavItem:
    """A link in the main menu, shown to users holding any of `roles` (empty = everyone logged in).

    `group` puts it in one of MENU_GROUPS (a drop-down, so the bar fits at 1280 px and on a phone);
    `place="header"` puts it beside the person's name instead, with `badge(user)` as a count."""

    label: Any
    endpoint: str
    roles: tuple[str, ...] = ()
    order: int = 50
    icon: str = ""
    group: str = ""
    place: str = "menu"
    badge: Callable[[Any], int] | None = None

    def visible_to(self, user) -> bool:
        return user.is_authenticated and (not self.roles or user.has_role(*self.roles))


@dataclass
class MenuEntry:
    """One entry of the bar: a link, or a group of links shown as a drop-down."""

    label: Any
    item: NavItem | None = None
    items: list[NavItem] = field(default_factory=list)
    key: str = ""


def menu_key(user, items: list[NavItem]) -> tuple:
    """What the bar's entries depend on: the menu items and the person's rights (the same for
    everyone with the same roles; labels translate when shown)."""
    return (len(items), user.is_authenticated, tuple(user.role_names) if user.is_authenticated else ())


def menu_for(user, items: list[NavItem], key: tuple | None = None
             ) -> tuple[list[MenuEntry], list[tuple[NavItem, int]]]:
    """The bar's entries for `user` (groups placed where their first page would be) and the header
    links with their badge counts."""
    if hasattr(user, "_get_current_object"):
        user = user._get_current_object()  # one proxy lookup, not two per menu item
    # The layout is worked out once per role set and application; only the badges are per person.
    menus = current_app.extensions.setdefault("lentera_menus", {})
    key = menu_key(user, items) if key is None else key
    if key not in menus:
        menus[key] = _menu_layout(user, items)
    entries, header_items = menus[key]
    return entries, [(item, item.badge(user) if item.badge else 0) for item in header_items]


def _menu_layout(user, items: list[NavItem]) -> tuple[list[MenuEntry], list[NavItem]]:
    entries: list[MenuEntry] = []
    groups: dict[str, MenuEntry] = {}
    header: list[NavItem] = []
    for item in sorted(items, key=lambda i: i.order):
        if not item.visible_to(user):
            continue
        if item.place == "header":
            header.append(item)
        elif item.group in MENU_GROUPS:
            if item.group not in groups:
                groups[item.group] = MenuEntry(MENU_GROUPS[item.group], key=item.group)
                entries.append(groups[item.group])
            groups[item.group].items.append(item)
        else:
            entries.append(MenuEntry(item.label, item=item))
    return entries, header


@dataclass
class HomePanel:
    """A block on the home page: a template and a function giving its context for the user
    (return None to hide the block), or `rows` (below) instead of or before it."""

    template: str
    context: Callable[[Any], dict | None] | None = None
    roles: tuple[str, ...] = ()
    order: int = 50
    extra: dict = field(default_factory=dict)
    #: Optional, to read the panel's rows with every other panel's in one statement (app/home.py):
    #: `rows(user)` gives an `app.home.PanelRows`, or None to use `context` (if any) for this person.
    rows: Callable[[Any], Any] | None = None


bp = Blueprint("web", __name__)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))

    from app.home import panels

    return render_template("home.html", panels=panels(current_user, current_app.extensions["home_panels"]))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code not in ("id", "en"):
        abort(404)
    session["lang"] = code
    if current_user.is_authenticated:
        from app.accounts.operations import update_user

        update_user(current_user, locale=code)
    from app.redirects import safe_local_path

    return redirect(safe_local_path(request.args.get("next") or request.referrer))


#: Front-end libraries installed from npm (`make assets`) and served by the app itself: no CDN.
def _too_large_message() -> str:
    """Say what was too large, with the limit: the whole upload, or one text field of a form (a
    long lesson pasted from a word processor with its pictures embedded)."""
    max_body = request.max_content_length or 0  # this route's limit (app/inputs.py)
    max_field = current_app.config.get("MAX_FORM_MEMORY_SIZE") or 0
    if max_body and (request.content_length or 0) > max_body:
        if request.mimetype == "multipart/form-data" and max_body >= 1024 * 1024:
            return _("Berkas terlalu besar: paling besar %(n)d MB per unggahan.", n=max_body // (1024 * 1024))
        return _("Permintaan terlalu besar: paling besar %(n)d KB.", n=max(1, max_body // 1024))
    if max_field and request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return _("Teks yang diisikan terlalu panjang: paling banyak %(n)d KB per isian. Gambar yang ditempel ke "
                 "dalam teks membuatnya besar; unggah gambar lewat tombol Gambar di penyunting.", n=max_field // 1024)
    return _("Permintaan terlalu besar.")


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link for mail and documents that leave the site: from PUBLIC_BASE_URL when set
    (it must be, in production: a link built from a request's Host header could point a reset link
    at an attacker's site), else from this request's own address."""
    from app.mail import site_link

    return site_link(url_for(endpoint, **values))


VENDOR_FILES = {
    "hls.min.js": "hls.js/dist/hls.min.js",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    # the API reference at /api/v1/docs (Swagger UI: the OpenAPI viewer most API users know)
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    # the rich-text editor (Quill 2: BSD, no build step, tables and a clean semantic-HTML export)
    "quill.js": "quill/dist/quill.js",
    "quill.snow.css": "quill/dist/quill.snow.css",
    # TeX in questions and lessons (KaTeX: fast, synchronous, MIT; loaded by static/math.js only
    # on pages with a \( \), \[ \] or $$ delimiter)
    "katex.min.js": "katex/dist/katex.min.js",
    "katex.min.css": "katex/dist/katex.min.css",
    "katex-auto-render.min.js": "katex/dist/contrib/auto-render.min.js",
    # the SCORM 1.2 run-time (scorm-again: maintained, MIT, full 1.2 data-model checks); the SCORM
    # module serves it again under its sandboxed content path, where a SCO can load it
    "scorm12.min.js": "scorm-again/dist/scorm12.min.js",
}
# Folders whose files a vendored stylesheet asks for by relative URL (KaTeX's fonts/…).
VENDOR_DIRS = {"fonts": "katex/dist/fonts"}


@bp.get("/vendor/<name>")
def vendor(name: str):
    from pathlib import Path

    from flask import send_file

    rel = VENDOR_FILES.get(name)
    if rel is None:
        abort(404)
    path = Path(current_app.root_path).parent / "node_modules" / rel
    if not path.is_file():
        abort(404)
    mimetype = "text/css" if name.endswith(".css") else "text/javascript"
    return send_file(path, mimetype=mimetype, max_age=7 * 24 * 3600, conditional=True)


@bp.get("/vendor/<folder>/<name>")
def vendor_dir(folder: str, name: str):
    from pathlib import Path

    from flask import send_file

    rel = VENDOR_DIRS.get(folder)
    if rel is None or "/" in name or name.startswith(".") or not name.endswith((".woff2", ".woff", ".ttf")):
        abort(404)
    path = Path(current_app.root_path).parent / "node_modules" / rel / name
    if not path.is_file():
        abort(404)
    mimetype = {"woff2": "font/woff2", "woff": "font/woff", "ttf": "font/ttf"}[name.rsplit(".", 1)[1]]
    return send_file(path, mimetype=mimetype, max_age=7 * 24 * 3600, conditional=True)


@bp.get("/healthz")
def healthz():
    """Database, storage and scheduler, for load balancers and operators."""
    from sqlalchemy import text

    from app.accounts.models import utcnow
    from app.jobs.operations import scheduler_holder
    from app.storage import get_storage

    report: dict[str, Any] = {}
    ok = True
    try:
        db.session.execute(text("SELECT 1"))
        report["database"] = "ok"
    except Exception as exc:  # report, do not crash: this page is for diagnosing outages
        db.session.rollback()
        report["database"] = f"error: {exc.__class__.__name__}"
        ok = False
    try:
        store = get_storage()
        store.exists("healthz-probe")
        report["storage"] = f"ok ({store.kind})"
    except Exception as exc:
        report["storage"] = f"error: {exc.__class__.__name__}"
        ok = False
    try:
        lock = scheduler_holder()
        report["scheduler"] = ({"holder": lock.holder, "alive": lock.expires_at > utcnow()}
                               if lock else {"holder": None, "alive": False})
    except Exception as exc:
        db.session.rollback()
        report["scheduler"] = f"error: {exc.__class__.__name__}"
    report["status"] = "ok" if ok else "degraded"
    return report, (200 if ok else 503)


def init_app(app: Flask) -> None:
    from flask_wtf import FlaskForm

    # Every form's WTForms messages through our catalog (Flask-WTF's Meta hook, set once for all forms).
    FlaskForm.Meta.get_translations = lambda self, form: FORM_TRANSLATIONS
    app.register_blueprint(bp)
    app.session_interface = KeptCookieSessions()
    from app import assets, cache

    cache.init_app(app)  # what is the same for everyone, per worker, keyed by a database version

    assets.init_app(app)  # compression and content-hashed static addresses (issue 20)

    @login_manager.user_loader
    def load_user(user_id: str):
        # The id is "<user id>:<session version>:<session key>": the key names a server-side
        # login session (ended by logout, for every copy of the cookie); a session made before
        # the account was deactivated or its password changed carries an old version and is refused.
        from app.accounts.operations import user_for_session

        parts = (user_id or "").split(":")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or not parts[2]:
            return None
        return user_for_session(int(parts[0]), int(parts[1]), parts[2])

    def forget_previous_user() -> None:
        # Flask-Login keeps the request's user in g, which lives on the app context. A request
        # made while an outer app context is pushed (the tests, a CLI command) reuses that g,
        # so a user loaded by an earlier request (another client, another person) would carry
        # over. Each request starts from its own session cookie or token.
        g.pop("_login_user", None)
        g.pop("retry_after", None)

    def refuse_untrusted_host():
        # A Host outside TRUSTED_HOSTS: Flask leaves the request without a URL adapter, so no page
        # (nor its links) can be built; answer plainly before anything else runs.
        from werkzeug.exceptions import SecurityError

        if isinstance(request.routing_exception, SecurityError):
            return app.response_class(_("Alamat host ini tidak dilayani oleh situs ini."), 400, mimetype="text/plain")
        return None

    # First of all before-request hooks, blueprints' included (they were registered earlier).
    app.before_request_funcs.setdefault(None, []).insert(0, forget_previous_user)
    app.before_request_funcs[None].insert(0, refuse_untrusted_host)

    @app.before_request
    def bearer_token_user():
        # A bearer token wins over any session cookie sent along: an API client acts as the
        # token's owner. Flask-Login reads the request's user from g._login_user.
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            from app.accounts.operations import user_for_token

            g._login_user = user_for_token(header[7:].strip()) or login_manager.anonymous_user()

    @login_manager.unauthorized_handler
    def unauthorized():
        if is_api_request():
            return error_response(401, "unauthorized", _("Harus masuk terlebih dahulu."))
        return redirect(url_for("accounts.login", next=request.full_path if request.query_string else request.path))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        messages = {
            400: _("Permintaan tidak valid."),
            401: _("Harus masuk terlebih dahulu."),
            403: _("Anda tidak diizinkan membuka halaman ini."),
            404: _("Halaman atau data tidak ditemukan."),
            405: _("Metode tidak diizinkan untuk alamat ini."),
            413: _("Berkas terlalu besar."),
            429: _("Terlalu banyak permintaan. Coba lagi sebentar lagi."),
        }
        code = exc.code or 500
        message = messages.get(code, exc.description or "")
        if code == 413:
            message = _too_large_message()
        if code == 400 and exc.description and "CSRF" in str(exc.description):
            message = _("Sesi formulir kedaluwarsa atau tidak valid. Muat ulang halaman lalu coba lagi.")
        if is_api_request():
            names = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                     405: "method_not_allowed", 413: "too_large", 429: "too_many_requests"}
            return error_response(code, names.get(code, "error"), message)
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(LenteraError)
    def lentera_error(exc: LenteraError):
        db.session.rollback()
        if is_api_request():
            return error_response(exc.status, exc.code, exc.message, exc.details)
        return render_template("error.html", code=exc.status, message=exc.message, details=exc.details), exc.status

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def value_out_of_range(exc):
        # A number or text the database cannot hold (an id beyond its integer range, a title longer
        # than its column on PostgreSQL): bad input, answered as such instead of a 500.
        db.session.rollback()
        app.logger.warning("value refused by the database: %s", str(exc).splitlines()[0][:200])
        message = _("Nilai di luar batas yang diizinkan (angka terlalu besar atau teks terlalu panjang).")
        if is_api_request():
            return error_response(400, "value_out_of_range", message)
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(DisconnectionError)
    def database_unavailable(exc):
        # The database went away (restarted, failed over, network cut, out of connections) or is
        # briefly locked: nothing the person did is wrong and the same request will work again
        # shortly, so 503 with Retry-After rather than a 500. Nothing here may touch the database:
        # the pool replaces its dead connections by itself (pre-ping) once the server is back.
        try:
            db.session.rollback()
        except Exception:  # the connection is already gone; the session is discarded at teardown
            pass
        # A user loaded earlier in this request would reload its expired attributes from the
        # database when the page (or the locale selector) reads them: answer as anonymous.
        g._login_user = login_manager.anonymous_user()
        app.logger.warning("database unavailable: %s", str(getattr(exc, "orig", None) or exc).splitlines()[0][:200])
        message = _("Basis data sedang tidak tersedia. Coba lagi dalam beberapa saat.")
        if is_api_request():
            resp = error_response(503, "database_unavailable", message)
        else:
            resp = app.make_response((render_template("error.html", code=503, message=message), 503))
        resp.headers["Retry-After"] = "5"
        return resp

    @app.errorhandler(500)
    def server_error(exc):
        db.session.rollback()
        if is_api_request():
            return error_response(500, "server_error", _("Terjadi kesalahan pada server. Tim teknis sudah dicatat."))
        return render_template("error.html", code=500, message=_("Terjadi kesalahan pada server.")), 500

    app.wsgi_app = TrustedProxies(app)

    @app.after_request
    def https_and_privacy(resp):
        if resp.status_code == 429 and g.get("retry_after"):  # a rate limit says when to come back
            resp.headers["Retry-After"] = str(g.retry_after)
        if request.is_secure:
            # Served over HTTPS (directly, or behind a trusted proxy): keep browsers on HTTPS (the
            # cookies are made Secure by TrustedProxies, after every hook has set its own).
            resp.headers.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}")
        # A signed-in person's pages, data and files are theirs: no shared or browser cache keeps
        # them (a shared computer in an office, a proxy). Files meant to be cached say so.
        login_user = g.get("_login_user")
        # is_anonymous, not is_authenticated: the latter reads the account's `active` column, which
        # a page that committed after rendering (the activity page) would load again just for this.
        if login_user is not None and not login_user.is_anonymous:
            cache = resp.headers.get("Cache-Control", "")
            if not cache or cache == "private, max-age=0":
                resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.after_request
    def security_headers(resp):
        # Each header unless the view set its own: the names the response has are read once (four
        # setdefault calls each walked the headers through werkzeug's case-insensitive lookup).
        headers = resp.headers
        present = {key.lower() for key, _value in headers}
        for key, value in _SECURITY_HEADERS:
            if key.lower() not in present:
                headers.add(key, value)
        if "content-security-policy" not in present:
            headers.add("Content-Security-Policy", _csp(tuple(app.config.get("CSP_MEDIA_SOURCES", [])),
                                                        tuple(app.config.get("CSP_FRAME_SOURCES", []))))
        return resp

    from app.layout import SameForEveryone

    app.jinja_env.add_extension(SameForEveryone)  # the layout's parts kept per worker (base.html)
    app.jinja_env.globals["csrf_token"] = _csrf_token_once_per_request
    app.jinja_env.template_class = FlatGlobalsTemplate
    _memoize_template_url_for(app)
    _translations_once_per_locale(app)

    @app.context_processor
    def layout_context():
        from flask import has_request_context

        layout = getattr(request, "_lentera_menu", None) if has_request_context() else ([], [], ())
        if layout is None:  # once per request, however many templates it renders
            user = current_user._get_current_object()
            key = menu_key(user, app.extensions["nav"])
            layout = request._lentera_menu = (*menu_for(user, app.extensions["nav"], key), key)
        menu, header_links, key = layout
        # menu_key: the key of the layout's menu block (base.html, `samefor`)
        # csrf_token: Flask-WTF's context processor (registered before this one) gives its own
        return {"menu": menu, "header_links": header_links, "menu_key": key, "current_locale": str(page_locale()),
                "site_name": app.config["SITE_NAME"], "csrf_token": _csrf_token_once_per_request}

    @app.template_filter("jp")
    def format_jp(value) -> str:
        """JP with up to two decimals, Indonesian style (2,5)."""
        if value is None:
            return "0"
        d = Decimal(value).quantize(_CENT)
        text = f"{d:.2f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if str(page_locale()) == "id" else text

    @app.template_filter("initials")
    def initials(name: str) -> str:
        """"Siti Rahayu, S.Kom." → "SR": the first letters of the first two words of a name."""
        words = [w for w in (name or "").split(",")[0].split() if w[:1].isalpha()]
        return "".join(w[0] for w in words[:2]).upper() or "?"

    @app.template_filter("num")
    def format_number(value, digits: int = 2, fixed: bool = False) -> str:
        """A number in the page's locale (1.234,5 in Indonesian, 1,234.5 in English), at most
        `digits` decimals (exactly `digits` when `fixed`, as for an average of 4,00): one way to
        write numbers on every page."""
        if value is None:
            return "—"
        if fixed:
            return _number_pattern("#,##0." + "0" * digits if digits else "#,##0").apply(value, page_locale())
        try:
            if value == int(value) and -1000 < value < 1000:
                return str(int(value))  # the common case (a mark of 1, a score of 7): no locale needed
        except (TypeError, ValueError, OverflowError):
            pass
        return _number_pattern("#,##0." + "#" * digits if digits else "#,##0").apply(value, page_locale())

    @app.template_filter("pct")
    def format_pct(value, digits: int = 1) -> str:
        """A share (0.727) as a percentage in the page's locale: 72,7 %."""
        from flask_babel import format_percent

        if value is None:
            return "—"
        return format_percent(value, format="#,##0." + "#" * digits + " %" if digits else "#,##0 %")

    @app.template_filter("localdt")
    def localdt(value, fmt: str = "medium") -> str:
        from flask_babel import format_datetime

        if value is None:
            return ""

        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return format_datetime(value, fmt)

    @app.template_filter("localtime")
    def localtime(value, fmt: str = "short") -> str:
        from flask_babel import format_time

        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return format_time(value, fmt)

    from babel.dates import format_date as babel_format_date
    from flask_babel import format_date, get_babel

    date_formats = get_babel(app).instance.date_formats

    @app.template_filter("localdate")
    def localdate(value, fmt: str = "medium") -> str:
        if not value:
            return ""
        if type(value) is not date or date_formats.get(f"date.{fmt}") is not None:
            return format_date(value, fmt)  # a datetime is first moved to the person's time zone
        # A plain date, as in every row of a JP list: what flask_babel.format_date does with it
        # (no time zone; the locale's own pattern), without its half-dozen lookups of the app's
        # Babel settings and the locale.
        return babel_format_date(value, fmt, locale=page_locale())


_CENT = Decimal("0.01")


def page_locale() -> Any:
    """The request's locale, as flask_babel.get_locale() gives it, read straight from where
    Flask-Babel keeps it once chosen (g._flask_babel): get_locale() is a dozen calls, and the
    number filters ask for it for every figure of a page."""
    try:
        kept = g._get_current_object().__dict__.get("_flask_babel")
    except RuntimeError:  # no application context
        kept = None
    locale = getattr(kept, "babel_locale", None) if kept is not None else None
    if locale is None:
        from flask_babel import get_locale

        locale = get_locale()
    return locale


@functools.lru_cache(maxsize=64)
def _number_pattern(pattern: str) -> Any:
    """A parsed Babel number pattern: what babel.numbers.format_decimal parses afresh every time
    (patterns are immutable; the filters use a handful)."""
    from babel.numbers import parse_pattern

    return parse_pattern(pattern)


#: Sent with every response unless the view set its own value.
_SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "SAMEORIGIN"),
                     ("Referrer-Policy", "same-origin"))


@functools.lru_cache(maxsize=32)
def _csp(media: tuple[str, ...], frames: tuple[str, ...]) -> str:
    """The Content-Security-Policy for these extra media and frame sources (e.g. the storage's S3
    origin, SCORM's separate content origin): written once per set, not on every response."""
    extra = " ".join(media)
    return ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
            f"script-src 'self'; media-src 'self' blob: {extra}; connect-src 'self' {extra}; "
            f"frame-src 'self' {' '.join(frames)}; "
            "frame-ancestors 'self'; form-action 'self'; base-uri 'self'")


#: value types whose url_for() result may be remembered (anything else is built every time)
_URL_VALUE_TYPES = (str, int, float, bool, type(None))
#: how many addresses a process remembers before starting afresh
URL_MEMO_SIZE = 20_000


def _memoize_template_url_for(app: Flask) -> None:
    """Templates' url_for(), remembered per (endpoint, arguments, script root).

    A page builds 30-50 addresses (the menu, the layout's files, every link of a list), each through
    the URL map and every url_defaults hook (the static files' content hash); the answer for the
    same arguments never changes while the process runs, except in development, where static files
    and the URL map change under a running server (then nothing is remembered). Addresses with
    _external, _anchor and the like, or with arguments that are not plain values, are built as before.
    """
    build = app.jinja_env.globals["url_for"]
    memo: dict[tuple, str] = {}
    config = app.config
    request_ctx = _cv_request.get

    def url_for(endpoint: str, **values: Any) -> str:
        # The request context straight from its context variable, the settings straight from the
        # dict: each proxy or property lookup is a few Python calls, paid for every link of a page.
        ctx = request_ctx(None)
        if ctx is None or config["DEBUG"] or config.get("TEMPLATES_AUTO_RELOAD"):
            return build(endpoint, **values)
        req = ctx.request
        if values:
            for name, value in values.items():
                if name[:1] == "_" or type(value) not in _URL_VALUE_TYPES:
                    return build(endpoint, **values)
            key: tuple = (req.blueprint if endpoint[:1] == "." else None, req.root_path, endpoint,
                          *sorted(values.items()))
        else:
            key = (req.blueprint if endpoint[:1] == "." else None, req.root_path, endpoint)
        url = memo.get(key)
        if url is None:
            url = build(endpoint, **values)
            if len(memo) >= URL_MEMO_SIZE:
                memo.clear()
            memo[key] = url
        return url

    app.jinja_env.globals["url_for"] = url_for


def remembered_url_for(endpoint: str, **values: Any) -> str:
    """url_for() for Python code that builds the same addresses on every request (an activity's
    file and API links): answered from the templates' memo (see _memoize_template_url_for), with
    the same rules about what may be remembered."""
    return current_app.jinja_env.globals["url_for"](endpoint, **values)


class FlatGlobalsTemplate(Template):
    """A template whose context is made with C-level dict merges.

    Jinja keeps a template's globals as a ChainMap over the environment's, and `dict(ChainMap)`
    walks it key by key in Python: some two hundred calls for each page rendered, to copy thirty
    names. The same dict, made with `dict.update` over the same maps in the same order."""

    def new_context(self, vars: dict | None = None, shared: bool = False, locals: Any = None) -> Context:
        globals_ = self.globals
        if shared or not isinstance(globals_, ChainMap):
            return super().new_context(vars, shared, locals)
        parent: dict[str, Any] = {}
        for mapping in reversed(globals_.maps):  # the last map is the lowest: the environment's
            parent.update(mapping)
        if vars:
            parent.update(vars)
        return new_context(self.environment, self.name, self.blocks, parent, True, globals_, locals)

    def _get_default_module(self, ctx: Context | None = None) -> Any:
        # `{% from "_macros.html" import … %}`: Jinja asks which of the importer's globals the macros'
        # template lacks through a set difference with the ChainMap's key view, one Python-level
        # membership test per name. The same difference, taken against each map at C speed.
        globals_ = self.globals
        if ctx is not None and isinstance(globals_, ChainMap) and not self.environment.is_async:
            keys = ctx.globals_keys.difference(*globals_.maps)
            if keys:
                return self.make_module({k: ctx.parent[k] for k in keys})
            ctx = None
        return super()._get_default_module(ctx)


def _csrf_token_once_per_request() -> str:
    """Templates' csrf_token(): Flask-WTF's token, asked for once per request.

    A page asks three or four times (the layout's meta tag and logout form, the page's own forms);
    Flask-WTF answers each call after reading its two settings and the token kept in g, some forty
    calls each time. The same signed token is kept on the request itself."""
    from flask_wtf.csrf import generate_csrf

    if not has_request_context():
        return generate_csrf()
    kept = request.__dict__
    token = kept.get("_lentera_csrf_token")
    if token is None:
        token = kept["_lentera_csrf_token"] = _signed_csrf_token()
    return token


#: Signed CSRF tokens by (the session's raw token, the signing key): see _signed_csrf_token.
_SIGNED_CSRF: dict[tuple[str, Any], str] = {}


def _signed_csrf_token() -> str:
    """Flask-WTF's signed token for the session's raw token, signed once per worker.

    Signing (itsdangerous: key derivation, HMAC, base64, the timestamp) was some 170 calls on every
    page. The signature only changes with its timestamp, which nothing reads while tokens do not
    expire (WTF_CSRF_TIME_LIMIT None): validate_csrf accepts a token signed earlier exactly as one
    signed now. With a time limit, or no raw token yet, Flask-WTF signs as usual."""
    from flask_wtf.csrf import generate_csrf

    config = current_app.config
    raw = session.get("csrf_token")
    secret = config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
    if (type(raw) is not str or secret is None or config.get("WTF_CSRF_TIME_LIMIT") is not None
            or config.get("WTF_CSRF_FIELD_NAME", "csrf_token") != "csrf_token" or "csrf_token" in g):
        return generate_csrf()
    key = (raw, secret)
    token = _SIGNED_CSRF.get(key)
    if token is None:
        token = generate_csrf()
        if len(_SIGNED_CSRF) >= 20_000:
            _SIGNED_CSRF.clear()
        _SIGNED_CSRF[key] = token
    else:
        g.csrf_token = token  # where generate_csrf leaves it: Flask-WTF's forms ask it again
    return token


class RequestTranslations(Domain):
    """Flask-Babel's message domain, finding the request's catalog once instead of at every string.

    Flask-Babel looks up the app context three times, the domain, the locale (and its name) for each
    `_()` in Python or a template and each lazy label shown: some sixty times a page, a tenth of its
    time. The catalog found is kept in `g` beside the locale object it was found for, so a locale
    forced for a mail (`force_locale`) or changed by `refresh()` finds its own catalog."""

    def get_translations(self):
        try:
            store = g._get_current_object().__dict__
        except RuntimeError:  # no application context: what Flask-Babel gives there
            return super().get_translations()
        babel_ctx = store.get("_flask_babel")
        locale = getattr(babel_ctx, "babel_locale", None) if babel_ctx is not None else None
        if locale is not None:
            kept = store.get("_lentera_translations")
            if kept is not None and kept[0] is locale and kept[1] is self:
                return kept[2]
        translations = super().get_translations()
        locale = getattr(store.get("_flask_babel"), "babel_locale", None)
        if locale is not None:
            store["_lentera_translations"] = (locale, self, translations)
        return translations


#: Messages kept per language by the templates' `_()` (see `_translations_once_per_locale`).
MAX_KEPT_MESSAGES = 5000


def _translations_once_per_locale(app: Flask) -> None:
    from flask_babel import get_babel

    config = get_babel(app)
    domain = config.instance.__dict__.get("domain_instance")
    if not isinstance(domain, RequestTranslations):
        domain = RequestTranslations(domain=config.default_domain)
        config.instance.domain_instance = domain  # a cached property of the Babel object: set once
    # Templates straight to the domain (Flask-Babel's own callables look it up in g every time).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # Jinja's newstyle `_()` is an alias that resolves `gettext` in the context and calls it through
    # the context, which calls our lambda through the context again: three Context.call layers for
    # every string of a page (some thirty a page). The same steps, once: the catalog's message,
    # made Markup when autoescaping, always %-formatted with the keyword arguments.
    # A message is the same in a language on every request, and so is the formatted result of one
    # without arguments (most of them): both are kept with the language's catalog, and a page's
    # thirty strings cost a dictionary lookup each instead of the catalog, the Markup and the
    # formatting. Bounded all the same: a template may translate a value (a kind, a status).
    translations = domain.get_translations

    @pass_context
    def gettext(__context: Context, __string: str, **variables: Any) -> str:
        catalog = translations()
        kept = catalog.__dict__.get("_lentera_kept")
        if kept is None or len(kept) > MAX_KEPT_MESSAGES:
            kept = catalog.__dict__["_lentera_kept"] = {}
        key = (__string, __context.eval_ctx.autoescape, not variables)
        message = kept.get(key)
        if message is None:
            message = catalog.ugettext(__string)
            if key[1]:
                message = Markup(message)
            if key[2]:
                message = message % variables
            kept[key] = message
        return message % variables if variables else message

    app.jinja_env.globals["gettext"] = app.jinja_env.globals["_"] = gettext


class TrustedProxies:
    """WSGI middleware: believe X-Forwarded-For and X-Forwarded-Proto from TRUSTED_PROXIES
    proxies (read per request, so the setting can change without rebuilding the app); with none,
    the headers of whoever connects are ignored. A request served over HTTPS gets every cookie
    marked Secure (the session's, remember-me's), so none ever travels over plain HTTP."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        self._fixes: dict[int, Any] = {}

    def __call__(self, environ, start_response):
        def secure_cookies(status, headers, exc_info=None):
            # ProxyFix has set the scheme in `environ` by the time the response starts.
            if environ.get("wsgi.url_scheme") == "https":
                headers = [(k, v + "; Secure" if k.lower() == "set-cookie" and "; secure" not in v.lower() else v)
                           for k, v in headers]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        n = int(self.app.config.get("TRUSTED_PROXIES") or 0)
        if n <= 0:
            return self.wsgi_app(environ, secure_cookies)
        fix = self._fixes.get(n)
        if fix is None:
            from werkzeug.middleware.proxy_fix import ProxyFix

            fix = self._fixes[n] = ProxyFix(self.wsgi_app, x_for=n, x_proto=n)
        return fix(environ, secure_cookies)


#: value types a kept session may hold: copied with the dict, nothing a request could change in place
_FLAT_SESSION_VALUES = (str, int, float, bool, type(None))


class KeptCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, each cookie's signature checked once per worker.

    A browser sends the same session cookie with every request until the session changes, and
    Flask verified it every time (the key derivation, the HMAC, base64, the timestamp, the JSON):
    some three hundred calls a request. A cookie that verified is kept with its data and signing
    time, keyed by its exact value and the secret keys; the next request with it gets a fresh
    session from a copy of that data after the same age check (PERMANENT_SESSION_LIFETIME).
    Only flat sessions (strings, numbers) are kept: one holding lists (flashed messages) is read
    the usual way. A cookie that failed is never kept, so nothing is ever accepted that Flask would
    refuse."""

    max_kept = 20_000

    def __init__(self) -> None:
        self._verified: dict[tuple, tuple[int, dict]] = {}

    def open_session(self, app: Flask, request: Any) -> Any:
        if not app.secret_key:
            return super().open_session(app, request)
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (val, app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = self._verified.get(key)
        if kept is not None:
            age = int(time.time()) - kept[0]  # as itsdangerous's TimestampSigner.unsign
            return self.session_class(kept[1] if 0 <= age <= max_age else None)
        try:
            data, signed_at = self.get_signing_serializer(app).loads(val, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(type(v) in _FLAT_SESSION_VALUES for v in data.values()):
            if len(self._verified) >= self.max_kept:
                self._verified.clear()
            self._verified[key] = (int(signed_at.timestamp()), data)
        return self.session_class(data)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        # Most requests leave the session as the cookie brought it: Flask would still read the
        # cookie's seven settings (name, domain, path, secure, …) before finding nothing to set.
        if session and not session.modified and not self.should_set_cookie(app, session):
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


class FormTranslations:
    """WTForms' own messages ("This field is required.") in the page's language. WTForms ships no
    Indonesian catalog, so ours (app/translations/id/LC_MESSAGES/wtforms.po) is read first, then
    WTForms' own for other languages."""

    def _catalog(self):
        from babel import support
        from flask_babel import get_locale
        from wtforms.i18n import messages_path

        if not has_request_context():
            return None
        catalog = getattr(request, "_lentera_wtforms", None)
        if catalog is None:
            ours = str(Path(__file__).parent / "translations")
            catalog = support.Translations.load(ours, [get_locale()], domain="wtforms")
            if not isinstance(catalog, support.Translations):  # none of ours for this language
                catalog = support.Translations.load(messages_path(), [get_locale()], domain="wtforms")
            request._lentera_wtforms = catalog
        return catalog

    def gettext(self, string: str) -> str:
        catalog = self._catalog()
        return string if catalog is None else catalog.ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        catalog = self._catalog()
        if catalog is None:
            return singular if n == 1 else plural
        return catalog.ungettext(singular, plural, n)


FORM_TRANSLATIONS = FormTranslations()


# --- One transaction per request ------------------------------------------------------------
# Every page view and API route runs inside the request's transaction, as Indico's request handler
# does: when the view returns, the transaction is committed once — after the template was rendered,
# so a page never reloads objects a mid-view commit would have expired; when it raises (LenteraError,
# an HTTPException such as abort(403), anything) the transaction is rolled back before the error
# handler answers, so a refused request leaves nothing behind. Views never call
# db.session.commit() (tests/test_house.py checks it); a view that catches an operation's error and
# answers normally undoes the operation's partial writes itself (`flash_error`, `undo`). Work that
# must wait for the rows to be saved (deleting a removed file's bytes) is handed to `after_commit`.
# No view needs a commit in its middle today: jobs are rows a scheduler picks up later, mail goes
# through jobs, and the commit comes before the response leaves, so whoever learns of a row from
# the response (a browser, a test, another worker) finds it saved.
#
# Why a wrapper around every entry of app.view_functions, put on once the app is built, rather
# than a decorator on each route: it covers every blueprint — the API's, every domain's, those
# still to come — without touching a route, it cannot be forgotten on a new one, and it sits
# directly around the view, inside Flask's error handling, so the rollback comes before the handler.
# Before-request hooks run outside it: their writes (rare) commit with the view's, or not at all
# when the hook answers itself.


# Whether the request's transaction wrote anything: a page that only read has nothing to commit,
# and committing it anyway would expire every loaded object — the signed-in person included, whom
# the after-request hooks read again (one more query on every page, issue 23's hot path).
@event.listens_for(Session, "after_flush")
def _wrote_by_flush(session: Session, _ctx: Any) -> None:
    session.info["lentera_wrote"] = True


@event.listens_for(Session, "do_orm_execute")
def _wrote_by_statement(state: Any) -> None:
    if not state.is_select:  # update()/delete()/insert() or text SQL through the session
        state.session.info["lentera_wrote"] = True


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost one: committed, rolled back or closed
        session.info.pop("lentera_wrote", None)


def _has_writes() -> bool:
    session = db.session()
    return session.in_transaction() and bool(
        session.info.get("lentera_wrote") or session.new or session.dirty or session.deleted)


def end_read_only_transaction(exc: BaseException | None) -> None:
    """End a request that only read with COMMIT, not the ROLLBACK of closing the session.

    For a transaction that wrote nothing the two are the same to the database, but psycopg forgets
    every statement it has prepared on the connection at each ROLLBACK (a rollback may undo the
    DDL they depend on). Ending reads with a rollback therefore made PostgreSQL parse and plan
    every statement of every page afresh — for the home page's one statement, 7 ms of planning
    for under 1 ms of work. A request that failed, or left writes behind, is still rolled back by
    the session's close. On PostgreSQL a request that only read never opened a transaction
    (app.pg_reads): there is nothing to end, and SQLAlchemy's commit is skipped too."""
    session = db.session()
    if exc is None and session.in_transaction() and not _has_writes() and not pg_reads.idle_on_server(session):
        session.commit()


def _rollback_keeping_the_error() -> None:
    # With the database gone the rollback fails too; the error the view (or the commit) raised is
    # the one its handler must see (503 with Retry-After), and the session is discarded at teardown.
    try:
        db.session.rollback()
    except (DisconnectionError, InterfaceError, OperationalError):
        pass


def in_request_transaction(view: Callable) -> Callable:
    """`view`, committed once when it returns normally and rolled back when it raises."""
    if getattr(view, "lentera_one_transaction", False):
        return view

    @wraps(view)
    def one_transaction(*args: Any, **kwargs: Any) -> Any:
        try:
            rv = view(*args, **kwargs)
        except BaseException:
            g.pop("lentera_after_commit", None)
            _rollback_keeping_the_error()
            raise
        try:
            if _has_writes():
                db.session.commit()
        except BaseException:
            g.pop("lentera_after_commit", None)
            _rollback_keeping_the_error()  # a failed commit (a constraint, the database gone) leaves nothing
            raise
        for fn in g.pop("lentera_after_commit", ()):
            fn()
        return rv

    one_transaction.lentera_one_transaction = True  # type: ignore[attr-defined]
    return one_transaction


#: Endpoints that never touch the database (static files): no transaction to end.
NO_TRANSACTION_ENDPOINTS = frozenset({"static", "web.vendor", "web.vendor_dir"})


def one_transaction_per_request(app: Flask) -> None:
    """Wrap every endpoint of `app` (call once, after every blueprint is registered)."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint not in NO_TRANSACTION_ENDPOINTS:
            app.view_functions[endpoint] = in_request_transaction(view)


def after_commit(fn: Callable[[], Any]) -> None:
    """Run `fn` once this request's transaction is committed (never when it is rolled back): work
    that must not happen unless the rows are saved, such as deleting the stored bytes of a file
    whose row the request removed."""
    g.setdefault("lentera_after_commit", []).append(fn)


def undo() -> None:
    """Roll back the writes of an operation that failed in a view that still answers normally (a
    form shown again with the reason): the request's commit must not keep its partial work."""
    db.session.rollback()


def flash_error(exc: LenteraError) -> None:
    """A page's answer to a refused operation: undo its writes and tell the person why."""
    undo()
    flash(exc.message, "error")


def run_operation(action: Callable[[], Any], success: str | None = None) -> bool:
    """Run a state change for a page and flash `success`, or undo its partial changes and flash
    the reason. Returns whether it went through. The request's commit (above) keeps it.

    The action runs in a savepoint: a refused step undoes only itself, so a page doing several
    (a draft, then each uploaded file, then "submit") keeps the steps that went through, as it
    did when each step was committed on its own."""
    try:
        with db.session.begin_nested():
            action()
    except LenteraError as exc:
        flash(exc.message, "error")
        return False
    if success:
        flash(success, "success")
    return True


def staff_required(*roles: str):
    """Decorator for pages that need one of `roles` (403 otherwise)."""
    from functools import wraps

    def deco(fn):
        @wraps(fn)
        @login_required
        def wrapper(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return fn(*args, **kwargs)

        return wrapper

    return deco


__all__ = ["NavItem", "HomePanel", "staff_required", "flash_error", "run_operation", "undo", "after_commit",
           "one_transaction_per_request", "_l"]
