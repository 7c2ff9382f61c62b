"""Offline learning pages: the service worker and the web app manifest (installing Lentera on a
phone), the "Belajar offline" page with the device's queue, the course's files for a device to
store, the instructor's quiz setting, and BPSDM's review of entries that arrived late."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.accounts.queries import reach
from app.courses import queries as cq
from app.errors import LenteraError
from app.extensions import db
from app.sync import operations as ops
from app.sync import queries as q
from app.sync.models import SyncEvent
from app.web import NavItem, run_operation, staff_required

bp = Blueprint("sync", __name__)

NAV = [
    NavItem(_l("Belajar offline"), "sync.offline_home", order=22, group="development"),
    NavItem(_l("Sinkronisasi terlambat"), "sync.late_review", roles=("admin", "bpsdm"), order=68, group="manage"),
]

#: the app shell a phone keeps so that Lentera opens without a signal: the layout's own files
SHELL_STATIC = ["lentera.css", "favicon.svg", "offline/lentera-offline.js", "offline/download.js",
                "media/media.css", "media/player.js", "quizzes/attempt.js", "quizzes/quiz.css"]
#: hls.js is not in the shell: a first visit would pay ~120 KB for it. A course download stores it.
SHELL_VENDOR: list[str] = []
WORKBOX_MODULES = ["workbox-core.prod.js", "workbox-precaching.prod.js", "workbox-routing.prod.js",
                   "workbox-strategies.prod.js", "workbox-expiration.prod.js"]


@bp.get("/sw.js")
def service_worker():
    """The service worker, at the root so that it serves every page of the site. Its precache list
    names the shell's files by their content hash: a deploy that changes one changes this script,
    and the phone updates."""
    from app.assets import static_path

    shell = [{"url": url_for("static", filename=f), "revision": None} for f in SHELL_STATIC if static_path(f)]
    shell += [{"url": url_for("web.vendor", name=n), "revision": None} for n in SHELL_VENDOR]
    shell.append({"url": url_for("sync.offline_fallback"), "revision": _shell_revision()})
    body = render_template("sync/sw.js", precache=json.dumps(shell),
                           page_timeout_ms=int(current_app.config["OFFLINE_PAGE_TIMEOUT_SECONDS"]) * 1000,
                           assets=json.dumps(_asset_hashes(), sort_keys=True, separators=(",", ":")),
                           asset_entries=int(current_app.config["OFFLINE_ASSET_CACHE_ENTRIES"]),
                           workbox=url_for("web.vendor", name="workbox-sw.js"),
                           workbox_prefix=url_for("web.vendor", name="workbox-core.prod.js").rsplit("/", 1)[0],
                           workbox_modules=json.dumps({m: url_for("web.vendor", name=m) for m in WORKBOX_MODULES}))
    resp = Response(body, mimetype="text/javascript")
    # Browsers check the worker for updates themselves; never let a cache hold an old one. The
    # check revalidates: an unchanged worker costs a 304, not the script again, on a weak signal.
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Service-Worker-Allowed"] = "/"
    resp.add_etag()
    return resp.make_conditional(request)


def _asset_hashes() -> dict[str, str]:
    """The current content hash of every static file ("s/<path>") and npm library ("v/<name>"):
    the service worker deletes a kept file whose name now has another hash (an older deploy's)."""
    from pathlib import Path

    from app.assets import file_hash, vendor_path
    from app.web import VENDOR_FILES

    out: dict[str, str] = {}
    root = Path(current_app.static_folder or "")
    for path in sorted(root.rglob("*")):
        digest = file_hash(path) if path.is_file() else None
        if digest:
            out["s/" + path.relative_to(root).as_posix()] = digest
    for name in VENDOR_FILES:
        path = vendor_path(name)
        digest = file_hash(path) if path is not None else None
        if digest:
            out["v/" + name] = digest
    return out


def _shell_revision() -> str:
    import hashlib

    from app.assets import file_hash, static_path

    parts = [file_hash(p) or "" for p in (static_path(f) for f in SHELL_STATIC) if p]
    return hashlib.sha256("".join(parts).encode()).hexdigest()[:12]


@bp.get("/manifest.webmanifest")
def web_manifest():
    """The web app manifest: Lentera can be installed on a phone's home screen."""
    data = {
        "name": current_app.config["SITE_NAME"],
        "short_name": current_app.config["SITE_NAME"],
        "description": _("Sistem pembelajaran ASN"),
        "lang": "id",
        "start_url": url_for("web.home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f4e79",
        "icons": [{"src": url_for("static", filename="favicon.svg"), "sizes": "any", "type": "image/svg+xml"}] + [
            {"src": url_for("sync.app_icon", size=n), "sizes": f"{n}x{n}", "type": "image/png"} for n in ICON_SIZES],
    }
    resp = Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


#: the PNG sizes phones ask for to install an app on the home screen
ICON_SIZES = (192, 512)
_icons: dict[int, bytes] = {}


@bp.get("/ikon-<int:size>.png")
def app_icon(size: int):
    """The home-screen icon: the brand's diamond on the theme colour, drawn once per size."""
    if size not in ICON_SIZES:
        abort(404)
    if size not in _icons:
        import io

        from PIL import Image, ImageDraw

        img = Image.new("RGB", (size, size), "#1f4e79")
        c, r = size / 2, size * 0.3
        ImageDraw.Draw(img).polygon([(c, c - r), (c + r, c), (c, c + r), (c - r, c)], fill="#f5b700")
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=True)
        _icons[size] = buf.getvalue()
    resp = Response(_icons[size], mimetype="image/png")
    resp.headers["Cache-Control"] = "public, max-age=604800"
    return resp


@bp.get("/offline/halaman")
def offline_fallback():
    """What the service worker shows for a page that was never stored on this phone."""
    return render_template("sync/fallback.html")


@bp.get("/offline")
@login_required
def offline_home():
    """The courses stored on this device, the queue waiting for a signal, the sync button (the
    lists themselves live on the device and are drawn by download.js)."""
    return render_template("sync/offline.html")


@bp.get("/offline/berkas/<int:activity_id>")
@login_required
def stored_file(activity_id: int):
    """A file activity's file for a device to store. Unlike the learner's own download, it does
    not mark the file as read: the device records that when the learner opens it."""
    from app.storage import send_stored

    a = cq.get_activity(activity_id)
    c = a.course
    if a.type != "file" or not a.file_key or not cq.can_view(current_user, c):
        abort(404)
    if cq.enrolment_of(current_user, c.id) is None and not cq.can_edit(current_user, c):
        abort(404)
    # through the app, never a redirect to the bucket: a page's fetch() of another origin would
    # depend on the bucket's CORS rules
    return send_stored(a.file_key, filename=a.file_name, as_attachment=True, allow_redirect=False)


#: the names of a course's pictures (the content's hash), as courses.course_image takes them
STORED_IMAGE_NAME = r"[0-9a-f]{24}\.(?:png|jpg|gif|webp)"


@bp.get("/offline/gambar/<int:course_id>/<name>")
@login_required
def stored_image(course_id: int, name: str):
    """A picture of a course's text for a device to store (kept under the page's own address),
    through the app like the other stored files. Same check as the picture's own route."""
    import re

    from app.storage import send_stored

    c = cq.get_course(course_id)
    if not re.fullmatch(STORED_IMAGE_NAME, name) or not cq.can_view(current_user, c):
        abort(404)
    if cq.enrolment_of(current_user, c.id) is None and not cq.can_edit(current_user, c):
        abort(404)
    return send_stored(f"courses/{c.id}/images/{name}", filename=name, allow_redirect=False)


@bp.get("/offline/video/<int:activity_id>/<path:name>")
@login_required
def stored_video(activity_id: int, name: str):
    """A video's file for a device to store, as it is in storage: with S3 the online player gets
    playlists of signed bucket URLs (segments straight from the bucket), but a phone keeps the
    video under the player's own addresses (the package's `url`), so that its stored playlist names
    segments the service worker can answer without a signal. Same access check as the player's."""
    from app.media.queries import asset_for, can_view_media
    from app.media.serving import send_video_file

    a = cq.get_activity(activity_id)
    if a.type != "video" or not can_view_media(current_user, a):
        abort(404)
    asset = asset_for(a)
    if asset is None or asset.state != "ready":
        abort(404)
    return send_video_file(asset.prefix, name, for_device=True)


@bp.route("/mengajar/kursus/<int:course_id>/offline", methods=["GET", "POST"])
@login_required
def quiz_settings(course_id: int):
    """The instructor's "may be taken offline" setting of each quiz of a course."""
    c = cq.editable_course(current_user, course_id)
    quizzes = [a for s in c.sections for a in s.activities if a.type == "quiz"]
    if request.method == "POST":
        chosen = set(request.form.getlist("offline", type=int))

        def save():
            refused = []
            for a in quizzes:
                try:
                    with db.session.begin_nested():
                        ops.set_offline_quiz(a, a.id in chosen, by=current_user)
                except LenteraError as exc:
                    refused.append(f"{a.title}: {exc.message}")
            if refused:
                from flask import flash

                for message in refused:
                    flash(message, "error")

        run_operation(save, _("Pengaturan offline disimpan."))
        return redirect(url_for("sync.quiz_settings", course_id=c.id))
    from app.quizzes.operations import get_or_create_quiz

    rows = [(a, get_or_create_quiz(a)) for a in quizzes]
    allowed = q.offline_quiz_ids([a.id for a in quizzes])
    page = render_template("sync/quiz_settings.html", course=c, rows=rows, allowed=allowed)
    return page


@bp.get("/bpsdm/sinkronisasi-terlambat")
@staff_required("admin", "bpsdm")
def late_review():
    """Learning recorded offline that reached the server after its year was closed (or long after):
    applied, and listed here for BPSDM to look at."""
    reviewed = request.args.get("status") == "ditinjau"
    events = q.late_events(reach(current_user), reviewed=reviewed)
    return render_template("sync/late_review.html", events=events, reviewed=reviewed)


@bp.post("/bpsdm/sinkronisasi-terlambat/<int:event_id>/tinjau")
@staff_required("admin", "bpsdm")
def mark_reviewed(event_id: int):
    event = db.session.get(SyncEvent, event_id)
    if event is None or not event.late:
        abort(404)
    run_operation(lambda: ops.mark_reviewed(event, by=current_user), _("Ditandai sudah ditinjau."))
    return redirect(url_for("sync.late_review"))
