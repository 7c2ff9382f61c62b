"""Forum and community pages: thin routes over forums.operations and forums.queries."""

from __future__ import annotations

import mimetypes

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.accounts.queries import user_by_nip
from app.errors import BadInput, LenteraError
from app.extensions import db
from app.forums import operations as ops
from app.forums import queries as q
from app.forums.forms import (
    CommunityForm,
    DiscussionForm,
    EditForm,
    FileForm,
    ForumSettingsForm,
    InviteForm,
    ReplyForm,
)
from app.forums.models import CommunityFile, CommunityMember, Forum, PostAttachment
from app.web import NavItem, flash_error, page_args, run_operation

bp = Blueprint("forums", __name__)

NAV = [NavItem(_l("Komunitas"), "forums.communities", order=40, group="development")]


@bp.app_template_filter("forum_time")
def forum_time(value) -> str:
    """A post's time in the reader's zone, "05-01-2027 09.00". Babel's formatter costs about a
    millisecond a call, which a 200-post thread would pay 200 times; the zone is resolved once."""
    from datetime import UTC

    from flask import g
    from flask_babel import get_timezone

    if value is None:
        return ""
    tz = getattr(g, "_forum_tz", None)
    if tz is None:
        tz = g._forum_tz = get_timezone()
    d = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(tz)
    return f"{d:%d-%m-%Y %H.%M}"


def _files(field) -> list[tuple[str, bytes]]:
    return [(f.filename, f.read()) for f in (field.data or []) if getattr(f, "filename", None)]


def _forum_or_403(forum_id: int) -> Forum:
    return q.readable_forum(current_user, forum_id)


def _discussion_or_403(discussion_id: int):
    return q.readable_discussion(current_user, discussion_id)


# --- a forum ----------------------------------------------------------------------------------------

@bp.route("/forum/<int:forum_id>", methods=["GET", "POST"])
@login_required
def forum(forum_id: int):
    f = _forum_or_403(forum_id)
    form = DiscussionForm()
    if form.validate_on_submit():
        try:
            d = ops.start_discussion(current_user, f, form.subject.data, form.message.data, _files(form.files))
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Diskusi dimulai."), "success")
            return redirect(url_for("forums.discussion", discussion_id=d.id))
    page, per_page = page_args()
    rows, total = q.thread_rows(current_user, f, page=page, per_page=per_page)
    moderator = q.is_moderator(current_user, f)
    can_start = (f.type not in ("single", "news") or moderator) and not (f.type == "single" and total)
    html = render_template("forums/forum.html", forum=f, rows=rows, total=total, page=page, per_page=per_page,
                           form=form, can_start=can_start, moderator=moderator,
                           subscribed=q.is_subscribed(current_user, f), **q.forum_place(f))
    # Written after rendering (the request commits after the view returns, so what the page shows is
    # never expired and loaded again row by row).
    ops.view_forum(current_user, f)
    return html


@bp.get("/forum/<int:forum_id>/cari")
@login_required
def search(forum_id: int):
    f = _forum_or_403(forum_id)
    text = request.args.get("q", "")[:200]
    return render_template("forums/search.html", forum=f, text=text, results=q.search(current_user, f, text),
                           **q.forum_place(f))


@bp.post("/forum/<int:forum_id>/langganan")
@login_required
def subscription(forum_id: int):
    f = _forum_or_403(forum_id)
    on = request.form.get("subscribed") == "1"
    run_operation(lambda: ops.set_subscription(current_user, f, on),
                  _("Anda berlangganan forum ini.") if on else _("Langganan forum dihentikan."))
    return redirect(url_for("forums.forum", forum_id=f.id))


@bp.post("/forum/<int:forum_id>/pengaturan")
@login_required
def settings(forum_id: int):
    f = _forum_or_403(forum_id)
    if not q.is_moderator(current_user, f):
        abort(403)
    form = ForumSettingsForm()
    if form.validate_on_submit():
        run_operation(lambda: ops.configure_forum(f, forum_type=form.forum_type.data,
                                                  completion_posts=form.completion_posts.data or 0,
                                                  completion_replies=form.completion_replies.data or 0,
                                                  by=current_user),
                      _("Pengaturan forum disimpan."))
    else:
        flash(_("Pengaturan forum tidak valid: jumlah harus 0–1000."), "error")
    if f.activity_id:
        return redirect(url_for("courses.activity_edit", activity_id=f.activity_id))
    return redirect(url_for("forums.forum", forum_id=f.id))


# --- a discussion -----------------------------------------------------------------------------------

@bp.route("/diskusi/<int:discussion_id>", methods=["GET", "POST"])
@login_required
def discussion(discussion_id: int):
    d = _discussion_or_403(discussion_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            parent = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None
            post = ops.reply(current_user, d, form.message.data, parent, _files(form.files))
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Balasan terkirim."), "success")
            return redirect(url_for("forums.discussion", discussion_id=d.id, _anchor=f"pesan-{post.id}"))
    moderator = q.is_moderator(current_user, d.forum)
    view = q.visible_posts(current_user, d, moderator=moderator)
    unread_from = q.unread_counts(current_user, [d.id]).get(d.id, 0)
    editable = {p.id for p in view.posts if ops.can_edit_post(current_user, p, moderator=moderator)}
    can_reply = not d.locked and (d.forum.type != "news" or moderator)
    html = render_template("forums/discussion.html", d=d, forum=d.forum, view=view, form=form, moderator=moderator,
                           editable=editable, can_reply=can_reply, unread=unread_from,
                           targets=q.moderated_forums(current_user, d.forum) if moderator else [],
                           **q.forum_place(d.forum))
    # The read mark is written after rendering; the request's commit follows the view, never expiring
    # the posts before they are shown.
    ops.mark_read(current_user, d, view.posts)
    return html


@bp.post("/diskusi/<int:discussion_id>/<any(sematkan, lepas, kunci, buka):action>")
@login_required
def moderate(discussion_id: int, action: str):
    d = _discussion_or_403(discussion_id)
    if action in ("sematkan", "lepas"):
        run_operation(lambda: ops.set_pinned(current_user, d, action == "sematkan"),
                      _("Diskusi disematkan.") if action == "sematkan" else _("Diskusi tidak lagi disematkan."))
    else:
        run_operation(lambda: ops.set_locked(current_user, d, action == "kunci"),
                      _("Diskusi dikunci.") if action == "kunci" else _("Diskusi dibuka kembali."))
    return redirect(url_for("forums.discussion", discussion_id=d.id))


@bp.post("/diskusi/<int:discussion_id>/pindah")
@login_required
def move(discussion_id: int):
    d = _discussion_or_403(discussion_id)
    target_id = request.form.get("forum_id", "")
    target = db.session.get(Forum, int(target_id)) if target_id.isdigit() and len(target_id) < 10 else None
    if target is None:
        flash(_("Pilih forum tujuan."), "error")
    else:
        run_operation(lambda: ops.move_discussion(current_user, d, target), _("Diskusi dipindahkan."))
    return redirect(url_for("forums.discussion", discussion_id=d.id))


@bp.route("/pesan/<int:post_id>/sunting", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    try:
        post = q.get_post(post_id)
    except LenteraError:
        abort(404)
    d = post.discussion
    if not q.is_member(current_user, d.forum) or not ops.can_edit_post(current_user, post):
        abort(403)
    first = post.id == q.first_post_id(d)
    form = EditForm(data={"message": post.message, "subject": d.subject} if request.method == "GET" else None)
    if form.validate_on_submit():
        if run_operation(lambda: ops.edit_post(current_user, post, form.message.data,
                                               form.subject.data if first else None), _("Pesan disimpan.")):
            return redirect(url_for("forums.discussion", discussion_id=d.id, _anchor=f"pesan-{post.id}"))
    return render_template("forums/edit.html", form=form, post=post, d=d, first=first, forum=d.forum,
                           **q.forum_place(d.forum))


@bp.post("/pesan/<int:post_id>/hapus")
@login_required
def delete(post_id: int):
    try:
        post = q.get_post(post_id)
    except LenteraError:
        abort(404)
    d = post.discussion
    forum_id = d.forum_id
    if not q.is_member(current_user, d.forum):
        abort(403)
    remaining = []
    if run_operation(lambda: remaining.append(ops.delete_post(current_user, post)), _("Pesan dihapus.")) and \
            remaining and remaining[0] is None:
        return redirect(url_for("forums.forum", forum_id=forum_id))
    return redirect(url_for("forums.discussion", discussion_id=d.id))


def _download(name: str, key: str) -> Response:
    from app.storage import get_storage

    data = get_storage().read_bytes(key)
    ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    inline = ctype in ("image/png", "image/jpeg", "application/pdf")
    resp = Response(data, mimetype=ctype if inline else "application/octet-stream")
    from werkzeug.http import dump_options_header  # quotes and encodes the name (RFC 6266 / 5987)

    resp.headers["Content-Disposition"] = dump_options_header("inline" if inline else "attachment",
                                                              {"filename*": "UTF-8''" + _quote(name)})
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "sandbox"
    return resp


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@bp.get("/forum/lampiran/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    a = db.session.get(PostAttachment, attachment_id)
    if a is None:
        abort(404)
    post = q.get_post(a.post_id)
    if not q.is_member(current_user, post.discussion.forum) or not q.can_see_post(current_user, post):
        abort(403)
    return _download(a.name, a.storage_key)


# --- communities -----------------------------------------------------------------------------------------

@bp.route("/komunitas", methods=["GET", "POST"])
@login_required
def communities():
    form = CommunityForm()
    manager = q.can_manage_communities(current_user)
    if manager and form.validate_on_submit():
        try:
            people = []
            for nip in (form.facilitators.data or "").split():
                person = user_by_nip(nip.strip())
                if person is None:
                    raise BadInput(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=nip))
                people.append(person)
            c = ops.create_community(current_user, name=form.name.data, description=form.description.data or "",
                                     competency=form.competency.data, open=form.open.data, facilitators=people,
                                     credit_min_posts=form.credit_min_posts.data or 0,
                                     credit_minutes=form.credit_minutes.data or 0)
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Komunitas dibuat."), "success")
            return redirect(url_for("forums.community", community_id=c.id))
    text = request.args.get("q", "")[:200]
    items = list(db.session.scalars(q.communities_stmt(text)))
    mine = {m.community_id: m for m in db.session.scalars(
        db.select(CommunityMember).where(CommunityMember.user_id == current_user.id))}
    return render_template("forums/communities.html", items=items, counts=q.member_counts([c.id for c in items]),
                           mine=mine, form=form, manager=manager, text=text)


@bp.get("/komunitas/<int:community_id>")
@login_required
def community(community_id: int):
    try:
        c = q.get_community(community_id)
    except LenteraError:
        abort(404)
    m = q.membership(current_user, c)
    facilitator = q.is_facilitator(current_user, c)
    member = facilitator or (m is not None and m.state == "active")
    forum = q.community_forum(c)
    rows = q.thread_rows(current_user, forum, per_page=10)[0] if forum is not None and member else []
    return render_template("forums/community.html", c=c, m=m, member=member, facilitator=facilitator,
                           manager=q.can_manage_communities(current_user), forum=forum, rows=rows,
                           members=q.community_members(c), files=q.community_files(c) if member else [],
                           invite=InviteForm(), file_form=FileForm())


@bp.post("/komunitas/<int:community_id>/<any(gabung, keluar):action>")
@login_required
def join(community_id: int, action: str):
    c = q.get_community(community_id)
    if action == "gabung":
        run_operation(lambda: ops.add_member(current_user, c, current_user), _("Anda bergabung dengan komunitas."))
    else:
        run_operation(lambda: ops.leave_community(current_user, c), _("Anda keluar dari komunitas."))
    return redirect(url_for("forums.community", community_id=c.id))


@bp.post("/komunitas/<int:community_id>/undang")
@login_required
def invite(community_id: int):
    c = q.get_community(community_id)
    form = InviteForm()
    if form.validate_on_submit():
        person = user_by_nip(form.nip.data.strip())
        if person is None:
            flash(_("Pegawai dengan NIP %(nip)s tidak ditemukan.", nip=form.nip.data), "error")
        else:
            run_operation(lambda: ops.add_member(current_user, c, person,
                                                 role="facilitator" if form.facilitator.data else "member"),
                          _("%(n)s ditambahkan.", n=person.name))
    return redirect(url_for("forums.community", community_id=c.id))


@bp.post("/komunitas/<int:community_id>/berkas")
@login_required
def upload(community_id: int):
    c = q.get_community(community_id)
    form = FileForm()
    f = form.file.data
    if not form.validate_on_submit() or f is None or not f.filename:
        flash(_("Pilih berkas yang diunggah."), "error")
    else:
        run_operation(lambda: ops.add_community_file(current_user, c, f.filename, f.read()), _("Berkas dibagikan."))
    return redirect(url_for("forums.community", community_id=c.id, _anchor="berkas"))


@bp.get("/komunitas/berkas/<int:file_id>")
@login_required
def community_file(file_id: int):
    f = db.session.get(CommunityFile, file_id)
    if f is None:
        abort(404)
    c = q.get_community(f.community_id)
    m = q.membership(current_user, c)
    if not q.is_facilitator(current_user, c) and (m is None or m.state != "active"):
        abort(403)
    return _download(f.name, f.storage_key)
