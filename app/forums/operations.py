"""Every state change of forums and communities. Views and the API call these; they flush, the
caller commits. Messages are sanitised as lessons are (nh3 allow-list) before they are stored."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User, utcnow
from app.courses.html import sanitize_html
from app.courses.models import Activity
from app.errors import BadInput, Conflict, Forbidden, RuleViolation, TooLarge
from app.extensions import db
from app.forums import queries as q
from app.forums.models import (
    FORUM_TYPES,
    Community,
    CommunityFile,
    CommunityMember,
    Discussion,
    DiscussionRead,
    Forum,
    ForumSubscription,
    Post,
    PostAttachment,
)
from app.notifications.operations import link_to, notify

SUBJECT_MAX = 250
#: A post's HTML as sent (before cleaning); a forum post is not a document.
MESSAGE_MAX_CHARS = 20_000
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_POST = 5


def edit_minutes() -> int:
    """How long an author may edit their own post (Moodle's maxeditingtime; setting, default 30)."""
    return int(current_app.config.get("FORUM_EDIT_MINUTES", 30))


# --- text ------------------------------------------------------------------------------------------

def clean_subject(subject: str | None) -> str:
    subject = re.sub(r"\s+", " ", subject or "").strip()
    if not subject:
        raise BadInput(_("Judul diskusi wajib diisi."), code="subject_required",
                       details=[{"field": "subject", "message": _("wajib diisi")}])
    if len(subject) > SUBJECT_MAX:
        raise BadInput(_("Judul diskusi paling panjang %(max)d karakter (ini %(n)d).", max=SUBJECT_MAX, n=len(subject)),
                       code="subject_too_long", details=[{"field": "subject", "message": _("terlalu panjang")}])
    return subject


def clean_message(message: str | None) -> str:
    """The allow-listed HTML of a message; refuses an empty one (also one that was only a script)
    and one longer than MESSAGE_MAX_CHARS, saying which."""
    message = message or ""
    if len(message) > MESSAGE_MAX_CHARS:
        raise TooLarge(_("Pesan terlalu panjang: paling banyak %(max)d karakter (ini %(n)d).",
                         max=MESSAGE_MAX_CHARS, n=len(message)), code="message_too_long",
                       details=[{"field": "message", "message": _("terlalu panjang")}])
    if "<" not in message:
        # Plain text (the API, a phone without the editor): keep its paragraphs and line breaks.
        from markupsafe import escape

        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", message) if p.strip()]
        message = "".join("<p>" + str(escape(p)).replace("\n", "<br>") + "</p>" for p in paragraphs)
    clean = sanitize_html(message)
    text = re.sub(r"<[^>]+>|&nbsp;|\s", "", clean)
    if not text and "<img" not in clean:
        raise BadInput(_("Pesan tidak boleh kosong."), code="message_required",
                       details=[{"field": "message", "message": _("wajib diisi")}])
    return clean


# --- forums ----------------------------------------------------------------------------------------

def _check_type(forum_type: str) -> str:
    if forum_type not in FORUM_TYPES:
        raise BadInput(_("Jenis forum tidak dikenal: %(t)s (pilih general, qanda, single atau news).", t=forum_type),
                       code="invalid_forum_type", details=[{"field": "forum_type", "message": _("nilai tidak dikenal")}])
    return forum_type


def _check_count(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
        raise BadInput(_("%(f)s harus bilangan bulat 0–1000.", f=field), code="invalid_completion",
                       details=[{"field": field, "message": _("tidak valid")}])
    return value


def forum_for_activity(activity: Activity) -> Forum:
    """The forum row of a forum activity, made on first need (an activity added in the browser gets
    its settings on the edit page that follows)."""
    forum = q.forum_of_activity(activity)
    if forum is None:
        forum = Forum(activity_id=activity.id, type="general", title=activity.title)
        try:
            with db.session.begin_nested():
                db.session.add(forum)
        except IntegrityError:
            forum = q.forum_of_activity(activity)
    return forum


def configure_forum(forum: Forum, *, forum_type: str | None = None, completion_posts: int | None = None,
                    completion_replies: int | None = None, by: User | None = None) -> Forum:
    if forum_type is not None and forum_type != forum.type:
        _check_type(forum_type)
        if forum.type == "single" and db.session.scalar(
                select(db.func.count()).select_from(Discussion).where(Discussion.forum_id == forum.id)) > 1:
            raise RuleViolation(_("Forum ini sudah punya beberapa diskusi."), code="forum_has_discussions")
        forum.type = forum_type
    if completion_posts is not None:
        forum.completion_posts = _check_count(completion_posts, "completion_posts")
    if completion_replies is not None:
        forum.completion_replies = _check_count(completion_replies, "completion_replies")
    db.session.flush()
    if forum.type == "single" and by is not None:
        ensure_single_discussion(forum, by)
    if forum.activity_id is not None:
        from app.courses.operations import recompute_completions

        recompute_completions(db.session.get(Activity, forum.activity_id).course)
    return forum


def ensure_single_discussion(forum: Forum, by: User, intro: str = "") -> Discussion | None:
    """A "single simple discussion" forum is one discussion, opened by its author with the forum."""
    if forum.type != "single":
        return None
    existing = db.session.scalar(select(Discussion).where(Discussion.forum_id == forum.id).limit(1))
    if existing is not None:
        return existing
    activity = db.session.get(Activity, forum.activity_id) if forum.activity_id else None
    text = intro or (activity.body if activity is not None and activity.body else "") or forum.title
    return _new_discussion(by, forum, forum.title, clean_message(text))


# --- posting -----------------------------------------------------------------------------------------

def _check_can_post(user: User, forum: Forum) -> bool:
    if not q.is_member(user, forum):
        raise Forbidden(_("Anda bukan anggota forum ini."), code="not_forum_member")
    return q.is_moderator(user, forum)


def _new_discussion(user: User, forum: Forum, subject: str, message: str) -> Discussion:
    now = utcnow()
    d = Discussion(forum_id=forum.id, subject=subject, author_id=user.id, created_at=now, last_post_at=now)
    db.session.add(d)
    db.session.flush()
    db.session.add(Post(discussion_id=d.id, forum_id=forum.id, author_id=user.id, message=message, created_at=now))
    db.session.flush()
    return d


def start_discussion(user: User, forum: Forum, subject: str, message: str,
                     files: list[tuple[str, bytes]] | None = None) -> Discussion:
    moderator = _check_can_post(user, forum)
    if forum.type == "news" and not moderator:
        raise Forbidden(_("Hanya pengajar yang menulis pengumuman."), code="announcements_staff_only")
    if forum.type == "single" and (not moderator or db.session.scalar(
            select(Discussion.id).where(Discussion.forum_id == forum.id).limit(1)) is not None):
        # One discussion, opened by the teacher (a package imported without an owner leaves it to them).
        raise RuleViolation(_("Forum ini satu diskusi saja: balas diskusinya."), code="single_discussion_forum")
    d = _new_discussion(user, forum, clean_subject(subject), clean_message(message))
    post = db.session.scalar(select(Post).where(Post.discussion_id == d.id))
    add_attachments(post, files or [])
    _mark_read_to(user, d, post.id)
    _after_post(user, forum, d, post)
    return d


def reply(user: User, discussion: Discussion, message: str, parent_id: int | None = None,
          files: list[tuple[str, bytes]] | None = None) -> Post:
    forum = discussion.forum
    moderator = _check_can_post(user, forum)
    if forum.type == "news" and not moderator:
        raise Forbidden(_("Pengumuman tidak dapat dibalas."), code="announcements_staff_only")
    if discussion.locked:
        raise Conflict(_("Diskusi ini dikunci: tidak dapat dibalas."), code="discussion_locked")
    clean = clean_message(message)
    if parent_id is None:
        parent_id = q.first_post_id(discussion)
    else:
        parent = db.session.get(Post, parent_id)
        if parent is None or parent.discussion_id != discussion.id:
            raise BadInput(_("Pesan yang dibalas tidak ada di diskusi ini."), code="invalid_parent",
                           details=[{"field": "parent_id", "message": _("tidak valid")}])
        if not q.can_see_post(user, parent):
            raise BadInput(_("Pesan yang dibalas tidak ada di diskusi ini."), code="invalid_parent",
                           details=[{"field": "parent_id", "message": _("tidak valid")}])
    now = utcnow()
    post = Post(discussion_id=discussion.id, forum_id=forum.id, parent_id=parent_id, author_id=user.id,
                message=clean, created_at=now)
    db.session.add(post)
    db.session.flush()
    # The counters move in the database, so two replies at once do not lose one.
    db.session.execute(update(Discussion).where(Discussion.id == discussion.id).values(
        reply_count=Discussion.reply_count + 1, last_post_at=now))
    db.session.refresh(discussion)
    add_attachments(post, files or [])
    _mark_read_to(user, discussion, post.id)
    _after_post(user, forum, discussion, post)
    return post


def add_attachments(post: Post, files: list[tuple[str, bytes]]) -> None:
    from app.storage import get_storage

    files = [(name, data) for name, data in files if name or data]
    if len(files) > ATTACHMENTS_PER_POST:
        raise BadInput(_("Paling banyak %(n)d lampiran per pesan.", n=ATTACHMENTS_PER_POST), code="too_many_files")
    for name, data in files:
        if not data:
            raise BadInput(_("Lampiran %(name)s kosong.", name=name), code="empty_file")
        if len(data) > ATTACHMENT_MAX_BYTES:
            raise TooLarge(_("Lampiran %(name)s lebih dari %(mb)d MB.", name=name,
                             mb=ATTACHMENT_MAX_BYTES // (1024 * 1024)), code="file_too_large")
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name or "lampiran").strip("-.")[:120] or "lampiran"
        key = f"forums/{post.forum_id}/{post.id}/{uuid.uuid4().hex}-{safe}"
        get_storage().put_bytes(key, data, content_type="application/octet-stream")
        db.session.add(PostAttachment(post_id=post.id, name=(name or safe)[:250], storage_key=key, size=len(data)))
    db.session.flush()


def _after_post(user: User, forum: Forum, discussion: Discussion, post: Post) -> None:
    _notify_subscribers(user, forum, discussion, post)
    if forum.activity_id is not None:
        _check_completion(user, forum)
    if forum.community_id is not None:
        credit_community(user, forum.community)


def _notify_subscribers(author: User, forum: Forum, discussion: Discussion, post: Post) -> None:
    """Subscribers hear of a new post in the app and by mail as each chose (immediate, the daily
    digest or none: notify() decides). Announcements go to every member."""
    if forum.type == "news":
        ids = set(_member_ids(forum))
    else:
        ids = set(db.session.scalars(select(ForumSubscription.user_id).where(ForumSubscription.forum_id == forum.id)))
    ids.discard(author.id)
    if not ids:
        return
    link = link_to("forums.discussion", discussion_id=discussion.id)
    if link:
        link += f"#pesan-{post.id}"
    plain = re.sub(r"<[^>]+>", " ", post.message)
    plain = re.sub(r"\s+", " ", plain).strip()
    title = _("%(who)s di forum %(forum)s: %(subject)s", who=author.name, forum=forum.title, subject=discussion.subject)
    for user in db.session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True))):
        # Q&A: a learner is not told the content of an answer they may not see yet.
        body = "" if forum.type == "qanda" and not q.can_see_post(user, post) else plain[:500]
        notify(user, title, body, link=link)


def _member_ids(forum: Forum) -> list[int]:
    from app.courses.models import CourseInstructor, Enrolment

    if forum.community_id is not None:
        return list(db.session.scalars(select(CommunityMember.user_id).where(
            CommunityMember.community_id == forum.community_id, CommunityMember.state == "active")))
    activity = db.session.get(Activity, forum.activity_id)
    ids = list(db.session.scalars(select(Enrolment.user_id).where(Enrolment.course_id == activity.course_id)))
    ids += list(db.session.scalars(select(CourseInstructor.user_id).where(
        CourseInstructor.course_id == activity.course_id)))
    if activity.course.owner_id:
        ids.append(activity.course.owner_id)
    return ids


def _check_completion(user: User, forum: Forum) -> None:
    from app.courses.operations import complete_activity, get_enrolment

    activity = db.session.get(Activity, forum.activity_id)
    if get_enrolment(activity.course, user) is None:
        return  # staff posting are not learners of the course
    if q.meets_completion(user, forum):
        complete_activity(user, activity, source="forum")


def view_forum(user: User, forum: Forum) -> None:
    """Opening a forum with no posting rule completes it, like a lesson."""
    if forum.activity_id is None or forum.completion_posts or forum.completion_replies:
        return
    from app.courses.operations import complete_activity, get_enrolment

    activity = db.session.get(Activity, forum.activity_id)
    if get_enrolment(activity.course, user) is not None:
        complete_activity(user, activity, source="view")


# --- editing and moderation ---------------------------------------------------------------------------

def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def can_edit_post(user: User, post: Post, now: datetime | None = None, *, moderator: bool | None = None) -> bool:
    """Moderators always; the author within the edit window. Pass `moderator` when asking for many
    posts of one forum, so the answer costs no query per post."""
    if post.deleted_at is not None:
        return False
    if moderator is None:
        moderator = q.is_moderator(user, post.discussion.forum)
    if moderator:
        return True
    now = _aware(now or utcnow())
    return post.author_id == user.id and now - _aware(post.created_at) <= timedelta(minutes=edit_minutes())


def edit_post(user: User, post: Post, message: str, subject: str | None = None) -> Post:
    if post.deleted_at is not None:
        raise Conflict(_("Pesan ini sudah dihapus."), code="post_deleted")
    if post.author_id != user.id and not q.is_moderator(user, post.discussion.forum):
        raise Forbidden(_("Hanya penulis atau moderator yang boleh menyunting pesan ini."), code="not_post_author")
    if not can_edit_post(user, post):
        raise RuleViolation(_("Pesan hanya dapat disunting %(n)d menit setelah dikirim.", n=edit_minutes()),
                            code="edit_window_passed")
    post.message = clean_message(message)
    post.edited_at = utcnow()
    if subject is not None and post.id == q.first_post_id(post.discussion):
        post.discussion.subject = clean_subject(subject)
    db.session.flush()
    return post


def _check_moderator(user: User, forum: Forum) -> None:
    if not q.is_moderator(user, forum):
        raise Forbidden(_("Hanya moderator forum yang boleh melakukan ini."), code="not_moderator")


def delete_post(user: User, post: Post) -> Discussion | None:
    """A moderator deletes a post (authors may delete their own within the edit window). Deleting
    the first post deletes the discussion; answers `None` then, else the discussion."""
    d = post.discussion
    own = post.author_id == user.id and can_edit_post(user, post)
    if not own:
        _check_moderator(user, d.forum)
    if post.id == q.first_post_id(d):
        if not q.is_moderator(user, d.forum) and d.reply_count:
            raise RuleViolation(_("Diskusi yang sudah dibalas hanya dapat dihapus moderator."), code="has_replies")
        _delete_files(select(PostAttachment.storage_key).join(Post).where(Post.discussion_id == d.id))
        db.session.delete(d)
        db.session.flush()
        return None
    if post.deleted_at is None:
        _delete_files(select(PostAttachment.storage_key).where(PostAttachment.post_id == post.id))
        post.attachments.clear()
        post.message = ""
        post.deleted_at, post.deleted_by_id = utcnow(), user.id
        d.reply_count = max(0, d.reply_count - 1)
    db.session.flush()
    return d


def _delete_files(stmt) -> None:
    from app.storage import get_storage

    storage = get_storage()
    for key in db.session.scalars(stmt):
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - a missing file must not keep a moderator from deleting a post
            current_app.logger.warning("forum attachment %s could not be deleted", key)


def set_pinned(user: User, discussion: Discussion, pinned: bool) -> Discussion:
    _check_moderator(user, discussion.forum)
    discussion.pinned = bool(pinned)
    db.session.flush()
    return discussion


def set_locked(user: User, discussion: Discussion, locked: bool) -> Discussion:
    _check_moderator(user, discussion.forum)
    discussion.locked = bool(locked)
    db.session.flush()
    return discussion


def move_discussion(user: User, discussion: Discussion, target: Forum) -> Discussion:
    _check_moderator(user, discussion.forum)
    if target.id == discussion.forum_id:
        return discussion
    if target.id not in {f.id for f in q.moderated_forums(user, discussion.forum)}:
        raise Forbidden(_("Diskusi hanya dapat dipindah ke forum lain yang Anda moderasi di kursus atau komunitas "
                          "yang sama."), code="invalid_target_forum")
    if target.type == "single":
        raise RuleViolation(_("Forum satu diskusi tidak dapat menerima diskusi lain."), code="single_discussion_forum")
    discussion.forum_id = target.id
    db.session.execute(update(Post).where(Post.discussion_id == discussion.id).values(forum_id=target.id))
    db.session.flush()
    db.session.refresh(discussion)
    return discussion


# --- reading and subscriptions ----------------------------------------------------------------------

def _mark_read_to(user: User, discussion: Discussion, post_id: int) -> None:
    row = db.session.scalar(select(DiscussionRead).where(DiscussionRead.user_id == user.id,
                                                         DiscussionRead.discussion_id == discussion.id))
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(DiscussionRead(user_id=user.id, discussion_id=discussion.id, last_read_post_id=post_id))
            return
        except IntegrityError:
            row = db.session.scalar(select(DiscussionRead).where(DiscussionRead.user_id == user.id,
                                                                 DiscussionRead.discussion_id == discussion.id))
    if row.last_read_post_id < post_id:
        row.last_read_post_id = post_id


def mark_read(user: User, discussion: Discussion, posts: list[Post]) -> None:
    """Everything the person was shown is read (in Q&A, what was held back stays unread)."""
    if posts:
        _mark_read_to(user, discussion, max(p.id for p in posts))
        db.session.flush()


def set_subscription(user: User, forum: Forum, subscribed: bool) -> bool:
    if not q.is_member(user, forum):
        raise Forbidden(_("Anda bukan anggota forum ini."), code="not_forum_member")
    if forum.type == "news":
        raise RuleViolation(_("Pengumuman selalu dikirim ke semua anggota."), code="forced_subscription")
    row = db.session.scalar(select(ForumSubscription).where(ForumSubscription.user_id == user.id,
                                                            ForumSubscription.forum_id == forum.id))
    if subscribed and row is None:
        try:
            with db.session.begin_nested():
                db.session.add(ForumSubscription(user_id=user.id, forum_id=forum.id))
        except IntegrityError:
            pass
    elif not subscribed and row is not None:
        db.session.delete(row)
    db.session.flush()
    return subscribed


# --- communities -------------------------------------------------------------------------------------------

def create_community(user: User, *, name: str, description: str = "", competency: str | None = None,
                     open: bool = True, facilitators: list[User] | None = None, credit_min_posts: int = 0,
                     credit_minutes: int = 0) -> Community:
    if not q.can_manage_communities(user):
        raise Forbidden(_("Hanya BPSDM atau admin yang membuat komunitas."), code="not_allowed")
    name = re.sub(r"\s+", " ", name or "").strip()
    if not name:
        raise BadInput(_("Nama komunitas wajib diisi."), code="name_required",
                       details=[{"field": "name", "message": _("wajib diisi")}])
    if len(name) > 200:
        raise BadInput(_("Nama komunitas paling panjang 200 karakter."), code="name_too_long",
                       details=[{"field": "name", "message": _("terlalu panjang")}])
    competency = (competency or "").strip().upper() or None
    if competency:
        from app.courses.operations import check_competency_codes

        if check_competency_codes([competency]):
            raise BadInput(_("Kode kompetensi %(c)s tidak ada di kamus kompetensi.", c=competency),
                           code="unknown_competency", details=[{"field": "competency", "message": _("tidak dikenal")}])
    if db.session.scalar(select(Community.id).where(db.func.lower(Community.name) == name.lower())) is not None:
        raise Conflict(_("Komunitas bernama %(n)s sudah ada.", n=name), code="duplicate_community")
    c = Community(name=name, description=sanitize_html(description or ""), competency=competency, open=bool(open),
                  created_by_id=user.id)
    db.session.add(c)
    db.session.flush()
    set_credit_rule(user, c, min_posts=credit_min_posts, minutes=credit_minutes)
    db.session.add(Forum(community_id=c.id, type="general", title=_("Diskusi %(name)s", name=name)[:250]))
    for person in facilitators or []:
        add_member(user, c, person, role="facilitator")
    db.session.flush()
    return c


def set_credit_rule(user: User, community: Community, *, min_posts: int, minutes: int) -> Community:
    if not q.can_manage_communities(user):
        raise Forbidden(_("Hanya BPSDM atau admin yang menetapkan aturan JP komunitas."), code="not_allowed")
    for value, field in ((min_posts, "credit_min_posts"), (minutes, "credit_minutes")):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
            raise BadInput(_("%(f)s harus bilangan bulat 0–100000.", f=field), code="invalid_credit_rule",
                           details=[{"field": field, "message": _("tidak valid")}])
    if bool(min_posts) != bool(minutes):
        raise BadInput(_("Isi jumlah pesan dan menit yang dikreditkan, atau kosongkan keduanya."),
                       code="invalid_credit_rule")
    community.credit_min_posts, community.credit_minutes = min_posts, minutes
    db.session.flush()
    return community


def add_member(actor: User, community: Community, person: User, *, role: str = "member") -> CommunityMember:
    """Join (oneself, an open community), invite (a facilitator: the person is a member at once in an
    open community, invited in a closed one until they accept) or name a facilitator (BPSDM, admin)."""
    if role not in ("member", "facilitator"):
        raise BadInput(_("Peran anggota tidak dikenal."), code="invalid_role")
    if role == "facilitator" and not q.can_manage_communities(actor):
        raise Forbidden(_("Hanya BPSDM atau admin yang menunjuk fasilitator."), code="not_allowed")
    self_join = actor.id == person.id
    manager = q.is_facilitator(actor, community) or q.can_manage_communities(actor)
    if not manager:
        if not self_join:
            raise Forbidden(_("Hanya fasilitator yang boleh mengundang anggota."), code="not_facilitator")
        existing = q.membership(actor, community)
        if not community.open and (existing is None or existing.state != "invited"):
            raise Forbidden(_("Komunitas ini tertutup: bergabung hanya dengan undangan."), code="invitation_only")
    if not person.active:
        raise RuleViolation(_("Akun %(n)s tidak aktif.", n=person.name), code="inactive_user")
    m = q.membership(person, community)
    state = "active" if self_join or community.open or role == "facilitator" else "invited"
    if m is not None:
        if m.state == "active" and (m.role == role or role == "member"):
            raise Conflict(_("%(n)s sudah anggota komunitas ini.", n=person.name), code="already_member")
        if self_join:
            m.state = "active"
        if role == "facilitator":
            m.role, m.state = "facilitator", "active"
    else:
        m = CommunityMember(community_id=community.id, user_id=person.id, role=role, state=state,
                            invited_by_id=None if self_join else actor.id)
        db.session.add(m)
    db.session.flush()
    if not self_join:
        text = (_("Anda diundang ke komunitas %(c)s.", c=community.name) if m.state == "invited"
                else _("Anda ditambahkan ke komunitas %(c)s.", c=community.name))
        notify(person, text, link=link_to("forums.community", community_id=community.id))
    return m


def leave_community(user: User, community: Community) -> None:
    m = q.membership(user, community)
    if m is None:
        raise RuleViolation(_("Anda bukan anggota komunitas ini."), code="not_member")
    db.session.delete(m)
    db.session.flush()


def remove_member(actor: User, community: Community, person: User) -> None:
    """A member leaves; a facilitator (or BPSDM) removes a member; only BPSDM removes a facilitator."""
    if actor.id == person.id:
        return leave_community(actor, community)
    m = q.membership(person, community)
    if m is None:
        raise RuleViolation(_("%(n)s bukan anggota komunitas ini.", n=person.name), code="not_member")
    allowed = q.can_manage_communities(actor) or (q.is_facilitator(actor, community) and m.role != "facilitator")
    if not allowed:
        raise Forbidden(_("Hanya fasilitator yang mengeluarkan anggota (dan hanya BPSDM yang mengganti fasilitator)."),
                        code="not_facilitator")
    db.session.delete(m)
    db.session.flush()
    return None


def update_community(actor: User, community: Community, *, description: str | None = None, open: bool | None = None,
                     credit_min_posts: int | None = None, credit_minutes: int | None = None) -> Community:
    if not q.can_manage_communities(actor):
        raise Forbidden(_("Hanya BPSDM atau admin yang mengubah komunitas."), code="not_allowed")
    if description is not None:
        community.description = sanitize_html(description)
    if open is not None:
        community.open = bool(open)
    if credit_min_posts is not None or credit_minutes is not None:
        set_credit_rule(actor, community,
                        min_posts=community.credit_min_posts if credit_min_posts is None else credit_min_posts,
                        minutes=community.credit_minutes if credit_minutes is None else credit_minutes)
    db.session.flush()
    return community


def add_community_file(user: User, community: Community, name: str, data: bytes) -> CommunityFile:
    from app.storage import get_storage

    m = q.membership(user, community)
    if not q.is_facilitator(user, community) and (m is None or m.state != "active"):
        raise Forbidden(_("Hanya anggota yang berbagi berkas di komunitas ini."), code="not_member")
    if not data:
        raise BadInput(_("Pilih berkas yang diunggah."), code="empty_file")
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise TooLarge(_("Berkas lebih dari %(mb)d MB.", mb=ATTACHMENT_MAX_BYTES // (1024 * 1024)),
                       code="file_too_large")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name or "berkas").strip("-.")[:120] or "berkas"
    key = f"communities/{community.id}/{uuid.uuid4().hex}-{safe}"
    get_storage().put_bytes(key, data, content_type="application/octet-stream")
    f = CommunityFile(community_id=community.id, name=(name or safe)[:250], storage_key=key, size=len(data),
                      uploaded_by_id=user.id)
    db.session.add(f)
    db.session.flush()
    return f


def credit_community(user: User, community: Community) -> None:
    """NKL12 (komunitas belajar) by the community's rule: the post that reaches the year's minimum
    credits the rule's minutes, once per (member, community, year); the rule's conversion (data,
    editable by BPSDM) turns minutes into JP."""
    if not community.credit_min_posts or not community.credit_minutes:
        return
    from app.ledger import rules
    from app.ledger.operations import append_entry, ledger_zone, local_date

    today = local_date(utcnow())
    start = datetime(today.year, 1, 1, tzinfo=ledger_zone()).astimezone(UTC).replace(tzinfo=None)
    end = datetime(today.year + 1, 1, 1, tzinfo=ledger_zone()).astimezone(UTC).replace(tzinfo=None)
    if q.posts_in_year(user, community, start, end) < community.credit_min_posts:
        return
    rule = rules.rule_by_code(current_app.config.get("COMMUNITY_JP_RULE", "NKL12"))
    computed = rules.compute(rule, minutes=community.credit_minutes)
    entry, created = append_entry(
        user, kind=rule.kind, category=rule.category, title=_("Komunitas belajar: %(c)s", c=community.name),
        occurred_on=today, jp=computed.jp, minutes=computed.minutes, rule=rule, source_type="community",
        source_id=community.id, organiser=current_app.config.get("SITE_NAME", "Lentera"), start_date=today,
        end_date=today)
    if created:
        notify(user, _("%(jp)s JP dari komunitas %(c)s", jp=f"{computed.jp:f}".rstrip("0").rstrip("."), c=community.name),
               computed.explanation, link=link_to("ledger.my_jp", year=entry.year))
