"""Outgoing mail over SMTP (settings MAIL_*); without MAIL_SERVER a message goes to the log."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from app.jobs.operations import enqueue, handler

log = logging.getLogger(__name__)


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send one plain-text message; True when it was handed to an SMTP server.

    Raises smtplib/OSError errors so a caller can decide; without MAIL_SERVER the message is
    logged (the embedded default) and False is returned.
    """
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        log.info("mail (no MAIL_SERVER) to %s: %s\n%s", to, subject, body)
        return False
    msg = EmailMessage()
    msg["From"] = cfg.get("MAIL_FROM", "lentera@localhost")
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT", 25)), timeout=15) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        smtp.send_message(msg)
    return True


def queue_mail(to: str, subject: str, body: str) -> None:
    """Send later, from the job runner: a page never waits for an SMTP server (and never answers
    faster or slower because a message was or was not sent), and a refused delivery is retried."""
    enqueue("mail.send", {"to": to, "subject": subject, "body": body})


@handler("mail.send")
def _send_job(job) -> None:
    send_mail(job.payload["to"], job.payload["subject"], job.payload["body"])


def site_link(path: str) -> str:
    """A site path as a link for mail: absolute from PUBLIC_BASE_URL (or the current request's own
    address); in a job without that setting, the path alone (better than a guessed host)."""
    from flask import has_request_context, request

    base = current_app.config.get("PUBLIC_BASE_URL") or current_app.config.get("CERT_PUBLIC_BASE_URL")
    if not base and has_request_context():
        base = request.url_root
    return (base or "").rstrip("/") + path
