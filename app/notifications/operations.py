"""Telling a person something in the app, and by mail as they chose: each notification as it
comes, one daily digest, or none. Any domain calls `notify()` inside its transaction."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from app.accounts.models import User, utcnow
from app.errors import BadInput, NotFound
from app.extensions import db
from app.jobs.operations import enqueue, handler, periodic
from app.mail import queue_mail, site_link
from app.notifications.models import DEFAULT_MAIL_MODE, MAIL_MODES, Notification, NotificationSetting

DIGEST_JOB = "notifications.digest"
DIGEST_HOUR = 7  # local time: the digest arrives with the working day
UNSUBSCRIBE_SALT = "lentera.notifications.unsubscribe"


def link_to(endpoint: str, **values) -> str | None:
    """The site path of a page, for a notification's link. Built from the URL map alone, so it works
    in a job outside any request too; None for an endpoint that does not exist."""
    from werkzeug.routing import BuildError

    try:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return None


def mail_mode(user: User) -> str:
    setting = db.session.get(NotificationSetting, user.id)
    return setting.mail if setting is not None else DEFAULT_MAIL_MODE


def set_mail_mode(user: User, mode: str) -> NotificationSetting:
    if mode not in MAIL_MODES:
        raise BadInput(_("Pilihan surel tidak dikenal."), code="invalid_choice")
    setting = db.session.get(NotificationSetting, user.id)
    if setting is None:
        setting = NotificationSetting(user_id=user.id, digest_until=utcnow())
        db.session.add(setting)
    setting.mail = mode
    db.session.flush()
    return setting


def unsubscribe_token(user: User) -> str:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).dumps(user.id)


def user_for_unsubscribe_token(token: str) -> User:
    """The person a mail's "stop these mails" link is for; it works without logging in."""
    from itsdangerous import BadSignature, URLSafeSerializer

    try:
        user_id = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        raise NotFound(_("Tautan berhenti berlangganan tidak sah.")) from None
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("Tautan berhenti berlangganan tidak sah."))
    return user


def _footer(user: User) -> str:
    return _("Atur surel notifikasi: %(settings)s\nBerhenti menerima surel notifikasi: %(stop)s",
             settings=site_link(link_to("notifications.settings") or "/"),
             stop=site_link(link_to("notifications.unsubscribe", token=unsubscribe_token(user)) or "/"))


def notify(user: User | int, title: str, body: str = "", link: str | None = None) -> Notification:
    user_obj = user if isinstance(user, User) else db.session.get(User, user)
    note = Notification(user_id=user_obj.id, title=str(title)[:250], body=str(body), link=link)
    db.session.add(note)
    db.session.flush()
    if user_obj.email and user_obj.active and mail_mode(user_obj) == "immediate":
        with force_locale(user_obj.locale or "id"):
            lines = [note.title, "", note.body] if note.body else [note.title]
            if link:
                lines += ["", site_link(link)]
            queue_mail(user_obj.email, note.title, "\n".join(lines + ["", "--", _footer(user_obj)]))
    return note


def mark_read(user: User, note_id: int) -> Notification:
    note = db.session.get(Notification, note_id)
    if note is None or note.user_id != user.id:
        raise NotFound(_("Notifikasi tidak ditemukan."))
    if note.read_at is None:
        note.read_at = utcnow()
    db.session.flush()
    return note


def mark_all_read(user: User) -> int:
    result = db.session.execute(update(Notification).where(Notification.user_id == user.id,
                                                           Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount or 0


# --- the daily digest ---------------------------------------------------------------------------

def send_digests(now=None) -> int:
    """One mail per person who chose the daily digest (or left the default) and has unread
    notifications they have not had in a digest yet. Each person's `digest_until` moves forward
    in the same transaction, so a re-run job tells nobody twice."""
    now = now or utcnow()
    default_daily = DEFAULT_MAIL_MODE == "daily"
    rows = db.session.execute(
        select(User, NotificationSetting)
        .join(NotificationSetting, NotificationSetting.user_id == User.id, isouter=True)
        .where(User.active.is_(True), User.email.is_not(None), User.email != "",
               or_(NotificationSetting.mail == "daily",
                   NotificationSetting.user_id.is_(None) if default_daily else False))
        .where(select(func.count()).select_from(Notification).where(
            Notification.user_id == User.id, Notification.read_at.is_(None),
            Notification.created_at <= now,
            or_(NotificationSetting.digest_until.is_(None),
                Notification.created_at > NotificationSetting.digest_until)).scalar_subquery() > 0)
    ).all()
    sent = 0
    for user, setting in rows:
        since = setting.digest_until if setting is not None and setting.digest_until else now - timedelta(days=1)
        notes = list(db.session.scalars(select(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None), Notification.created_at > since,
            Notification.created_at <= now).order_by(Notification.created_at)))
        if setting is None:
            setting = NotificationSetting(user_id=user.id, mail="daily")
            db.session.add(setting)
        setting.digest_until = now
        db.session.flush()
        if not notes:
            continue
        with force_locale(user.locale or "id"):
            subject = _("%(n)d notifikasi baru di %(site)s", n=len(notes), site=current_app.config.get("SITE_NAME"))
            lines = [_("Yth. %(name)s, ini notifikasi Anda yang belum dibaca:", name=user.name), ""]
            for n in notes:
                lines.append(f"- {n.title}" + (f"\n  {site_link(n.link)}" if n.link else ""))
            lines += ["", site_link(link_to("notifications.index") or "/"), "", "--", _footer(user)]
        queue_mail(user.email, subject, "\n".join(lines))  # one mail job each: a refused delivery retries alone
        sent += 1
    return sent


@handler(DIGEST_JOB)
def _digest_job(job) -> dict:
    return {"sent": send_digests()}


@periodic(DIGEST_JOB, 3600)
def _enqueue_digest() -> None:
    """Hourly, the elected scheduler makes sure today's digest job exists from 07:00 local time on;
    its dedupe key makes it one job a day however many workers and restarts there are."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    local = datetime.now(ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")))
    if local.hour >= DIGEST_HOUR:
        enqueue(DIGEST_JOB, {}, dedupe_key=f"{DIGEST_JOB}:{local.date().isoformat()}")
