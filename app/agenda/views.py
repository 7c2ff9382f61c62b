"""The calendar page, its home card and the private iCal feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from icalendar import Calendar
from icalendar import Event as IcsEvent

from app.agenda import operations as ops
from app.agenda import queries as q
from app.home import PanelRows
from app.web import HomePanel, NavItem, run_operation

bp = Blueprint("agenda", __name__)

NAV = [NavItem(_l("Kalender"), "agenda.index", order=25)]

#: how far the page and the feed reach
PAST_DAYS, FUTURE_DAYS = 7, 120


#: the home page's "Segera": the next five events of the coming fortnight
HOME_DAYS, HOME_EVENTS = 14, 5


def _panel_rows(user) -> PanelRows:
    now = datetime.now(UTC)
    start, end = now, now + timedelta(days=HOME_DAYS)
    rows = q.rows_between(start, end)

    def context(parts: dict[str, list]) -> dict | None:
        events = q.events_from(user, parts, start, end)[:HOME_EVENTS]
        return {"events": events} if events else None

    rows.context = context
    return rows


HOME_PANELS = [HomePanel("agenda/_home.html", order=8, rows=_panel_rows)]


def _zone() -> ZoneInfo:
    return ZoneInfo(str(get_timezone()))


def _page(feed_url: str | None = None) -> Response:
    now = datetime.now(UTC)
    zone = _zone()
    days: dict = {}
    for e in q.events_for(current_user, now - timedelta(days=PAST_DAYS), now + timedelta(days=FUTURE_DAYS)):
        days.setdefault(q.day_of(e, zone), []).append(e)
    resp = Response(render_template("agenda/index.html", days=days, today=now.astimezone(zone).date(),
                                    has_feed=q.has_feed(current_user), feed_url=feed_url))
    resp.headers["Cache-Control"] = "no-store"  # personal, and once it holds the feed's secret address
    return resp


@bp.get("/kalender")
@login_required
def index():
    return _page()


@bp.post("/kalender/tautan")
@login_required
def new_feed():
    """A new private address; the old one stops working. Shown once, like an API token."""
    box: dict = {}
    run_operation(lambda: box.update(token=ops.new_feed_token(current_user)))
    return _page(url_for("agenda.feed", token=box["token"], _external=True) if box else None)


@bp.get("/kalender/<token>.ics")
def feed(token: str):
    """The private feed a calendar app subscribes to (no login: the address is the secret)."""
    user = q.user_for_feed(token) if len(token) < 100 else None
    if user is None or not user.active:
        abort(404)
    now = datetime.now(UTC)
    cal = Calendar()
    cal.add("prodid", "-//Lentera//Kalender//ID")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Lentera – %(n)s", n=user.name))
    cal.add("x-wr-timezone", user.timezone or "Asia/Jakarta")
    host = request.host_url.rstrip("/")
    for e in q.events_for(user, now - timedelta(days=PAST_DAYS), now + timedelta(days=FUTURE_DAYS)):
        item = IcsEvent()
        item.add("uid", f"{e.uid}@lentera")
        item.add("dtstamp", now)
        item.add("summary", f"{e.kind_label}: {e.title}")
        if e.all_day:
            item.add("dtstart", e.starts_at.date())
        else:
            item.add("dtstart", e.starts_at.astimezone(UTC))
            if e.ends_at:
                item.add("dtend", e.ends_at.astimezone(UTC))
        if e.course:
            item.add("description", e.course)
        if e.location:
            item.add("location", e.location)
        if e.link:
            item.add("url", host + e.link)
        cal.add_component(item)
    resp = Response(cal.to_ical(), mimetype="text/calendar")
    resp.headers["Content-Disposition"] = 'inline; filename="lentera.ics"'
    resp.headers["Cache-Control"] = "private, max-age=300"
    return resp
