"""SCORM pages and the sandboxed content path.

- `/scorm-konten/<token>/<path>`: the package's files, for the learner the token names (see
  launch.py for why a token and not the session). HTML gets two script tags put at the top of
  its <head>: scorm-again's SCORM 1.2 run-time and a boot script carrying the learner's CMI data,
  so the SCO finds `window.API` in its own window. Every response carries a CSP `sandbox`
  without `allow-same-origin`.
- `/scorm-konten/<token>/__lentera__/commit`: LMSCommit/LMSFinish from that run-time; the token
  is the only credential it accepts and it writes only that SCO's CMI.
- staff: upload a package, the report of attempts, scores and time, and its XLSX.
"""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import lazyload

from app.accounts.models import User
from app.courses import queries as course_q
from app.courses.models import Activity
from app.errors import Forbidden, LenteraError, NotFound, RuleViolation
from app.extensions import csrf, db
from app.scorm import operations as ops
from app.scorm import queries
from app.scorm.launch import RESERVED, SHELL, Launch, on_content_origin, read_token
from app.scorm.models import ScormAttempt, ScormPackage, ScormSco
from app.storage import StorageError, get_storage, send_stored
from app.web import flash_error, run_operation, undo

bp = Blueprint("scorm", __name__)
log = logging.getLogger(__name__)


@bp.record_once
def _configure(state) -> None:
    """A separate content origin must be allowed to be framed by the app's pages."""
    import os

    origin = state.app.config.get("SCORM_CONTENT_ORIGIN") or os.environ.get("LENTERA_SCORM_CONTENT_ORIGIN")
    if origin:
        state.app.config["CSP_FRAME_SOURCES"] = sorted({*state.app.config.get("CSP_FRAME_SOURCES", []),
                                                        origin.rstrip("/")})

#: The content's own policy: scripts and styles inline (authoring tools write them), nothing from
#: other sites, and the sandbox that gives it an opaque origin.
CONTENT_CSP = ("sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads; "
               "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; img-src 'self' data: blob:; "
               "media-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
               "frame-ancestors 'self'; form-action 'self'; base-uri 'self'")
_HEAD = re.compile(rb"<head(?:\s[^>]*)?>", re.IGNORECASE)
_HTML = re.compile(rb"<html(?:\s[^>]*)?>", re.IGNORECASE)


# --- the content path ---------------------------------------------------------------------------------

def _launch_or_404(token: str) -> tuple[Launch, User, ScormPackage, ScormSco]:
    launch = read_token(token)
    if launch is None:
        abort(404)
    user = db.session.get(User, launch.user_id)
    pkg = db.session.get(ScormPackage, launch.package_id)
    sco = db.session.get(ScormSco, launch.sco_id)
    if user is None or not user.active or pkg is None or sco is None or sco.package_id != pkg.id:
        abort(404)
    if not queries.can_play(user, pkg):  # unenrolled since the launch: the files are gone for them
        abort(404)
    return launch, user, pkg, sco


def _sandboxed(resp: Response) -> Response:
    if on_content_origin():
        # The package's own origin (a second host name): its frames may share it; the player page
        # on the app's origin frames it.
        app_origin = current_app.config.get("PUBLIC_BASE_URL") or "*"
        resp.headers["Content-Security-Policy"] = CONTENT_CSP.replace(
            "allow-downloads;", "allow-downloads allow-same-origin;").replace(
            "frame-ancestors 'self'", f"frame-ancestors 'self' {app_origin}")
    else:
        resp.headers["Content-Security-Policy"] = CONTENT_CSP
        resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Cache-Control"] = "private, no-store"
    # The frame's opaque origin ("null") makes a package's XMLHttpRequest/fetch of its own files
    # cross-origin: Adobe Captivate loads its scripts and data so, and is blocked without this.
    # No credential is involved — the token in the address is the right, as for a plain GET.
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def _inject(html: bytes, token: str) -> bytes:
    base = url_for("scorm.content", token=token, path=RESERVED)
    tags = (f'<script src="{base}/scorm12.js"></script><script src="{base}/boot.js"></script>').encode()
    m = _HEAD.search(html[:65536])
    if m is None:
        m = _HTML.search(html[:65536])
    if m is not None:
        return html[:m.end()] + tags + html[m.end():]
    return tags + html


@bp.route("/scorm-konten/<token>/<path:path>", methods=["GET", "HEAD", "OPTIONS"])
@csrf.exempt
def content(token: str, path: str):
    if request.method == "OPTIONS":
        # The preflight of a package's own XMLHttpRequest with a Range header (Captivate's audio).
        return Response(status=204, headers={
            "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD",
            "Access-Control-Allow-Headers": "Range, Content-Type, X-Requested-With", "Access-Control-Max-Age": "600"})
    launch, user, pkg, sco = _launch_or_404(token)
    if path == f"{RESERVED}/scorm12.js":
        return _sandboxed(_runtime())
    if path == f"{RESERVED}/boot.js":
        return _sandboxed(_boot(token, launch, user, sco))
    if path == SHELL:
        return _sandboxed(_shell(token, sco))
    from app.courses.package import _safe_relpath

    clean = _safe_relpath(path)
    if clean is None or clean.startswith(RESERVED):
        abort(404)
    key = pkg.files_prefix + clean
    if clean.lower().endswith((".html", ".htm")):
        try:
            data = get_storage().read_bytes(key)
        except (StorageError, FileNotFoundError, OSError):
            abort(404)
        if not launch.preview and clean == sco.href.split("?", 1)[0] and sco.scorm_type == "asset":
            ops.record_asset_view(user, sco, launch.key)
        resp = Response(_inject(data, token), mimetype="text/html")
        return _sandboxed(resp)
    return _sandboxed(send_stored(key, filename=Path(clean).name, allow_redirect=False))


def _shell(token: str, sco: ScormSco) -> Response:
    """The page holding the API on a separate content origin, the SCO framed inside it."""
    from markupsafe import escape

    path, _sep, query = sco.href.partition("?")
    src = url_for("scorm.content", token=token, path=path) + (f"?{query}" if query else "")
    html = ('<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(sco.title)}</title>"
            "<style>html,body{margin:0;height:100%;overflow:hidden}"
            "iframe{border:0;width:100%;height:100%;display:block}</style></head>"
            f'<body><iframe id="sco" src="{escape(src)}" title="{escape(sco.title)}" allow="fullscreen"></iframe>'
            "</body></html>")
    return Response(_inject(html.encode(), token), mimetype="text/html")


def _runtime() -> Response:
    from app.web import VENDOR_FILES

    path = Path(current_app.root_path).parent / "node_modules" / VENDOR_FILES["scorm12.min.js"]
    if not path.is_file():
        log.error("scorm-again is not installed: run `npm install` (package.json lists it)")
        abort(404)
    from flask import send_file

    return send_file(path, mimetype="text/javascript", max_age=3600, conditional=True)


def _boot(token: str, launch: Launch, user: User, sco: ScormSco) -> Response:
    attempt = db.session.get(ScormAttempt, launch.attempt_id) if launch.attempt_id else None
    if attempt is not None and not launch.preview:
        state = ops.state_for(attempt, sco, create=False)
    else:
        state = None
    from app.scorm.models import ScormScoState

    cmi = ops.initial_cmi(sco, user, state or ScormScoState(cmi={}, lesson_status="not attempted", commits=0,
                                                             total_time_cs=0, session_time_cs=0))
    if launch.preview:
        cmi["cmi.core.lesson_mode"] = "browse"
        cmi["cmi.core.credit"] = "no-credit"
    cfg = {"cmi": cmi, "preview": launch.preview, "sco": sco.id,
           "commitUrl": None if launch.preview else url_for("scorm.commit", token=token)}
    body = "(function(){var cfg=" + json.dumps(cfg, ensure_ascii=True).replace("<", "\\u003c") + ";\n" + _BOOT_JS + "})();"
    return Response(body, mimetype="text/javascript")


# The run-time's settings: commits as flat CMI ("cmi.core.lesson_status": …) to the token URL as
# text/plain (a simple cross-origin request from the opaque-origin frame: no preflight), and a
# note to the player page (postMessage carries no data) so it refreshes the table of contents.
_BOOT_JS = r"""
// Every HTML page of the package gets this script. A page framed by another page of the same
// launch (frames share an origin only on a separate content origin) uses that page's API, so the
// SCO has one run-time whatever frame it looks in; elsewhere the page gets its own.
var shared = null;
try {
  for (var w = window.parent, n = 0; w && w !== window && n < 8; n++) {
    if (w.__lenteraScorm && w.__lenteraScorm.sco === cfg.sco && w.__lenteraScorm.commitUrl === cfg.commitUrl) {
      shared = w.API; break;
    }
    if (w === w.parent) { break; }
    w = w.parent;
  }
} catch (e) { shared = null; }  // an ancestor of another origin (the app's page) ends the search
function own(a) {
  // Fixed in place: a package that brings a stand-in API for previewing outside an LMS (some
  // exports carry simplify-scorm or the like) must not replace the one that stores the learner's data.
  try { Object.defineProperty(window, "API", {value: a, writable: false, configurable: false, enumerable: true}); }
  catch (e) { window.API = a; }
}
window.__lenteraScorm = cfg;
if (shared) { own(shared); return; }
var api = new window.Scorm12API({
  lmsCommitUrl: cfg.commitUrl || false, dataCommitFormat: "flattened",
  commitRequestDataType: "text/plain;charset=UTF-8", autocommit: true, autocommitSeconds: 30,
  logLevel: 4, selfReportSessionTime: false, alwaysSendTotalTime: false
});
api.loadFromFlattenedJSON(cfg.cmi, "");
// A SCO that never set lesson_status is "completed" at LMSFinish (SCORM 1.2 RTE 3.4.4; the golf
// examples' minimum-calls SCOs rely on it). A SCO cannot set "not attempted" itself, so a status
// still "not attempted" here was never set by it. (scorm-again's autoCompleteLessonStatus does
// not fire once the status is pre-loaded, as it is here.)
var finish = api.LMSFinish;
api.LMSFinish = function (p) {
  try {
    if (api.cmi.core.lesson_mode === "normal" && api.cmi.core.lesson_status === "not attempted") {
      api.cmi.core.lesson_status = "completed";
    }
  } catch (e) { /* not initialised: LMSFinish answers the error itself */ }
  return finish.call(api, p);
};
function tell(kind) { try { window.top.postMessage({lenteraScorm: kind, sco: cfg.sco}, "*"); } catch (e) {} }
api.on("LMSCommit", function () { tell("commit"); });
api.on("LMSFinish", function () { tell("finish"); });
api.on("LMSInitialize", function () { tell("initialize"); });
own(api);
"""


@bp.route("/scorm-konten/<token>/__lentera__/commit", methods=["POST", "OPTIONS"])
@csrf.exempt
def commit(token: str):
    """LMSCommit / LMSFinish. Answers scorm-again's {"result", "errorCode"}; CORS-readable by the
    opaque-origin frame (no credentials are involved: the token is the right)."""
    headers = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST",
               "Access-Control-Allow-Headers": "Content-Type", "Cache-Control": "no-store"}
    if request.method == "OPTIONS":
        return Response(status=204, headers=headers)
    launch = read_token(token)
    if launch is None or launch.preview:
        return Response(json.dumps({"result": False, "errorCode": 101, "message": _(
            "Sesi pemutaran kedaluwarsa; muat ulang halaman.")}), status=401, mimetype="application/json",
            headers=headers)
    # The hot path of every LMSCommit: each row read once and handed on (the operation checks the
    # enrolment and that the launch's attempt is the learner's latest itself), the roles of the
    # learner not loaded at all unless something asks for them.
    user = db.session.get(User, launch.user_id, options=[lazyload(User.roles)])
    sco = db.session.get(ScormSco, launch.sco_id)
    pkg = sco.package if sco is not None else None
    if user is None or not user.active or pkg is None or pkg.id != launch.package_id:
        return Response(json.dumps({"result": False, "errorCode": 101, "message": _(
            "Sesi pemutaran kedaluwarsa; muat ulang halaman.")}), status=404, mimetype="application/json",
            headers=headers)
    activity = db.session.get(Activity, pkg.activity_id)
    try:
        values = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError:
        values = None
    if not isinstance(values, dict):
        return Response(json.dumps({"result": False, "errorCode": 101, "message": _("Data CMI bukan JSON.")}),
                        status=400, mimetype="application/json", headers=headers)
    try:
        if not launch.attempt_id:
            raise RuleViolation(_("Percobaan tidak ditemukan."), code="attempt_missing")
        ops.commit_cmi(user, sco, values, strict=False, launch=launch.key, attempt=launch.attempt_id,
                       activity=activity)
    except LenteraError as exc:
        undo()  # the response is normal JSON: the request's commit must not keep partial writes
        log.warning("SCORM commit refused for sco %s: %s %s", sco.id, exc.message, exc.details[:3])
        return Response(json.dumps({"result": False, "errorCode": 101, "message": exc.message,
                                    "details": exc.details}), status=exc.status, mimetype="application/json",
                        headers=headers)
    return Response(json.dumps({"result": True, "errorCode": 0}), mimetype="application/json", headers=headers)


# --- learner: a new attempt ---------------------------------------------------------------------------------

@bp.post("/scorm/<int:scorm_id>/percobaan-baru")
@login_required
def new_attempt(scorm_id: int):
    pkg = queries.visible_package(current_user, scorm_id)
    run_operation(lambda: ops.new_attempt(pkg, current_user), _("Percobaan baru dimulai."))
    return redirect(url_for("courses.activity", activity_id=pkg.activity_id))


# --- staff: upload and report --------------------------------------------------------------------------

def _editable_activity(activity_id: int) -> Activity:
    a = db.session.get(Activity, activity_id)
    if a is None or a.type != "scorm":
        raise NotFound(_("Aktivitas tidak ditemukan."))
    course_q.editable_course(current_user, a.course_id)
    return a


@bp.post("/mengajar/aktivitas/<int:activity_id>/scorm")
@login_required
def upload(activity_id: int):
    a = _editable_activity(activity_id)
    f = request.files.get("package")
    attempts = request.form.get("max_attempts", "0").strip() or "0"
    if not attempts.isdigit() or int(attempts) > 100:
        flash(_("Jumlah percobaan harus bilangan bulat 0–100 (0 = tanpa batas)."), "error")
        return redirect(url_for("courses.activity_edit", activity_id=a.id))
    if f is None or not f.filename:
        pkg = queries.package_for(a)
        if pkg is None:
            flash(_("Pilih berkas zip paket SCORM 1.2."), "error")
        else:
            run_operation(lambda: ops.set_max_attempts(pkg, int(attempts)), _("Pengaturan SCORM disimpan."))
        return redirect(url_for("courses.activity_edit", activity_id=a.id))
    data = f.read()
    try:
        pkg = ops.store_package(a, data, f.filename or "", max_attempts=int(attempts))
    except LenteraError as exc:
        flash_error(exc)
        for d in exc.details[:10]:
            flash(f"{d.get('file') or ''}: {d.get('message')}", "error")
        return redirect(url_for("courses.activity_edit", activity_id=a.id))
    flash(_("Paket SCORM '%(t)s' disimpan: %(n)d item.", t=pkg.title, n=len(pkg.scos)), "success")
    for w in pkg.warnings or []:
        flash(w, "warning")
    return redirect(url_for("courses.activity_edit", activity_id=a.id))


def _report_data(scorm_id: int):
    pkg = queries.get_package(scorm_id)
    activity = queries.activity_of(pkg)
    r = course_q.staff_reach(current_user, activity.course)
    if r is None:
        raise Forbidden(_("Laporan SCORM hanya untuk pengajar dan pengelola kursus ini."))
    scos, rows = queries.report(pkg, r)
    return pkg, activity, scos, rows


@bp.get("/mengajar/scorm/<int:scorm_id>/laporan")
@login_required
def report(scorm_id: int):
    pkg, activity, scos, rows = _report_data(scorm_id)
    return render_template("scorm/report.html", pkg=pkg, activity=activity, scos=scos, rows=rows,
                           status_label=queries.status_label)


@bp.get("/mengajar/scorm/<int:scorm_id>/laporan.xlsx")
@login_required
def report_xlsx(scorm_id: int):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from app.scorm.cmi import format_timespan

    pkg, activity, scos, rows = _report_data(scorm_id)
    wb = Workbook()
    ws = wb.active
    ws.title = "SCORM"
    headers = [_("NIP"), _("Nama"), _("Unit"), _("Percobaan"), _("Status"), _("Nilai terbaik"), _("Nilai terakhir"),
               _("Waktu total"), _("Terakhir dibuka")] + [s.title for s in scos]
    ws.append([_plain(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = [row.user.nip or "", row.user.name, row.user.unit.name if row.user.unit else "", row.attempts,
                  queries.status_label(row.status),
                  float(row.best_score) if row.best_score is not None else None,
                  float(row.last_score) if row.last_score is not None else None,
                  format_timespan(row.time_cs), row.last_access] + [
            queries.status_label(row.per_sco.get(s.id, "not attempted")) for s in scos]
        ws.append([_plain(v) for v in values])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever a name or title starts with
    buf = io.BytesIO()
    wb.save(buf)
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", activity.title).strip("-")[:60] or "scorm"
    return Response(buf.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="laporan-scorm-{name}.xlsx"'})


def _plain(value):
    # openpyxl reads a string starting with "=" as a formula; keep such text as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value

