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


def trusted_request_root() -> str | None:
    """This request's own address, when it can be trusted: the host was checked against
    TRUSTED_HOSTS (Flask refuses others), or it is a development machine (loopback). Otherwise
    None: a Host header is whatever the client sent, and a link built from it (a password reset
    link, a certificate's QR code) could point at an attacker's site."""
    from flask import has_request_context, request

    if not has_request_context():
        return None
    host = request.host
    name = host if host.endswith("]") else host.rsplit(":", 1)[0]
    if current_app.config.get("TRUSTED_HOSTS") or name.strip("[]") in ("localhost", "127.0.0.1", "::1"):
        return request.url_root
    return None


def site_link(path: str) -> str:
    """A site path as a link for mail: absolute from PUBLIC_BASE_URL (or the current request's own
    address when trusted, see `trusted_request_root`); else the path alone (better than a guessed
    or forged host)."""
    base = current_app.config.get("PUBLIC_BASE_URL") or current_app.config.get("CERT_PUBLIC_BASE_URL")
    if not base:
        base = trusted_request_root()
    return (base or "").rstrip("/") + path
