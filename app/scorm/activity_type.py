"""The `scorm` activity type in the course engine's registry: what the activity page shows (the
table of contents and the player), the upload on the edit page, the course-package hooks
(`type: scorm`, `package: scorm/paket.zip`, `max_attempts: 0`), duplication and the rule."""

from __future__ import annotations

from pathlib import PurePosixPath

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.courses.activity_types import LABELS, ActivityType, register
from app.scorm import operations as ops
from app.scorm import queries
from app.scorm.launch import SHELL, Launch, content_origin, content_url, frame_sandbox, make_token
from app.scorm.package import PackageError, open_scorm_zip


def _package_path(spec: dict) -> str | None:
    rel = spec.get("package") or spec.get("file")
    return rel if isinstance(rel, str) and rel else None


def validate(spec: dict, reader, problems) -> None:
    rel = _package_path(spec)
    if rel is None:
        problems.add(None, None, _("Aktivitas SCORM '%(t)s' perlu berkas paket zip (package).", t=spec.get("title", "")))
        return
    if not reader.exists(rel):
        problems.add(rel, None, _("Berkas paket SCORM tidak ada."))
        return
    attempts = spec.get("max_attempts", 0)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 0 <= attempts <= 100:
        problems.add(rel, None, _("max_attempts harus bilangan bulat 0–100 (0 = tanpa batas)."))
    try:
        open_scorm_zip(reader.read_bytes(rel))
    except PackageError as exc:
        problems.add(rel, None, exc.message)
        for d in exc.details:
            if d.get("message") != exc.message:
                problems.add(f"{rel}:{d.get('file')}", d.get("line"), d.get("message"))


def apply(activity, spec: dict, reader) -> None:
    rel = _package_path(spec)
    ops.store_package(activity, reader.read_bytes(rel), PurePosixPath(rel).name,
                      max_attempts=int(spec.get("max_attempts", 0) or 0))


def export(activity, writer) -> dict:
    pkg = queries.package_for(activity)
    if pkg is None:
        return {}
    name = PurePosixPath(pkg.source_name or "paket.zip").name
    if not name.lower().endswith(".zip"):
        name += ".zip"
    rel = f"scorm/{activity.id}-{name}"
    writer.write_from_storage(rel, ops.source_key(pkg))
    return {"package": rel, "max_attempts": pkg.max_attempts}


def api_fields(activity) -> dict:
    pkg = queries.package_for(activity)
    return {"scorm_id": pkg.id if pkg else None}


def view_context(activity, user) -> dict:
    pkg = queries.package_for(activity)
    if pkg is None:
        return {"pkg": None}
    from app.courses import queries as course_q

    enrolled = course_q.enrolment_of(user, activity.course_id) is not None
    attempt = ops.current_attempt(pkg, user, create=True) if enrolled else None
    states = queries.states_of(attempt)
    status_map = {s.identifier: states[s.id].lesson_status for s in pkg.scos if s.id in states}
    items = []
    for s in pkg.scos:
        st = states.get(s.id)
        items.append({"sco": s, "status": st.lesson_status if st else "not attempted",
                      "label": queries.status_label(st.lesson_status if st else "not attempted"),
                      "done": bool(st and queries.is_done(st.lesson_status)),
                      "open": ops.sco_open(s, status_map), "score": st.score_raw if st else None})
    launchable = [i for i in items if i["sco"].launchable]
    chosen = None
    wanted = request.args.get("sco", type=int)
    if wanted:
        chosen = next((i for i in launchable if i["sco"].id == wanted and i["open"]), None)
    if chosen is None:
        chosen = next((i for i in launchable if not i["done"] and i["open"]), None) or (launchable[0] if launchable else None)
    launch_url = None
    if chosen is not None and (chosen["open"] or not enrolled):
        launch = Launch(user_id=user.id, package_id=pkg.id, sco_id=chosen["sco"].id,
                        attempt_id=attempt.id if attempt else 0, key=ops.launch_key(), preview=not enrolled)
        token = make_token(launch)
        path, _sep, query = chosen["sco"].href.partition("?")
        if content_origin():
            # On the package's own origin the SCO runs inside a shell page holding the API, as in
            # the LMS frames authoring tools expect: `parent.X()` from the SCO reaches the shell,
            # not the app's page (which no script of the package may touch).
            launch_url = content_url(token, SHELL)
        else:
            launch_url = content_url(token, path, query)
        if enrolled:
            ops.record_launch(user, chosen["sco"], attempt)
    attempts = ops.attempt_count(pkg, user) if enrolled else 0
    can_retry = bool(enrolled and attempt is not None and attempt.states and
                     (not pkg.max_attempts or attempt.number < pkg.max_attempts))
    return {"pkg": pkg, "items": items, "chosen": chosen, "launch_url": launch_url, "attempt": attempt,
            "attempts": attempts, "can_retry": can_retry, "preview": not enrolled,
            "attempt_done": bool(attempt and attempt.completed_at), "sandbox": frame_sandbox(),
            "state_url": url_for("api.scorm_scorm_get", scorm_id=pkg.id)}


def edit_context(activity) -> dict:
    pkg = queries.package_for(activity)
    return {"pkg": pkg, "upload_url": url_for("scorm.upload", activity_id=activity.id),
            "report_url": url_for("scorm.report", scorm_id=pkg.id) if pkg else None}


LABELS["scorm"] = _l("Paket SCORM")
register(ActivityType(
    name="scorm", label=LABELS["scorm"], completion="scorm",
    template="scorm/_activity.html", view_context=view_context,
    edit_template="scorm/_edit.html", edit_context=edit_context,
    validate=validate, apply=apply, export=export,
    duplicate=ops.duplicate_package, meets_rule=ops.meets_rule, api_fields=api_fields,
))
