"""BPSDM monitoring pages: the dashboard, drill-down to people, a person's entries, exports,
reminder schedules. Thin: parse arguments, call queries/operations, render."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.queries import reach
from app.errors import LenteraError
from app.extensions import db
from app.monitoring import exports, operations
from app.monitoring import queries as q
from app.monitoring.forms import ScheduleForm
from app.web import HomePanel, NavItem, staff_required

bp = Blueprint("monitoring", __name__)

STAFF = ("bpsdm", "admin")
PER_PAGE = 50

NAV = [NavItem(_l("Pemantauan JP"), "monitoring.dashboard", roles=STAFF, order=60, group="manage")]


def _home_panel(user) -> dict | None:
    try:
        unit = q.resolve_unit(user, None)
        d = q.dashboard(user, q.default_year(), unit)
    except LenteraError:
        return None
    return {"d": d}


HOME_PANELS = [HomePanel("monitoring/_home_panel.html", _home_panel, roles=("bpsdm",), order=20)]


def _scope():
    year = q.parse_year(request.args.get("year"))
    unit = q.resolve_unit(current_user, request.args.get("unit"))
    filters = q.Filters.from_args(request.args)
    return year, unit, filters


def _args(year, unit, filters, **extra) -> dict:
    out = {"year": year, **filters.as_args(), **extra}
    if unit is not None:
        out["unit"] = unit.id
    return out


@bp.get("/pemantauan")
@staff_required(*STAFF)
def dashboard():
    year, unit, filters = _scope()
    d = q.dashboard(current_user, year, unit, filters)
    chart_data = q.attainment_dict(d)
    chart_data["labels"] = {"met": _("Mencapai target (%)"), "employees": _("Pegawai"), "jp": _("JP"),
                            "actual": _("Aktual (%)"), "guidance": _("Panduan 10:20:70 (%)"),
                            "months": [_("Jan"), _("Feb"), _("Mar"), _("Apr"), _("Mei"), _("Jun"), _("Jul"),
                                       _("Agu"), _("Sep"), _("Okt"), _("Nov"), _("Des")],
                            "categories": {c: exports.category_label(c) for c in ("classical", "social",
                                                                                   "experiential")}}
    return render_template("monitoring/dashboard.html", d=d, year=year, unit=unit, filters=filters,
                           trail=q.unit_trail(unit), choices=q.filter_choices(current_user),
                           args=_args(year, unit, filters), chart_data=chart_data,
                           years=range(q.default_year() + 1, q.default_year() - 6, -1))


@bp.get("/pemantauan/ekspor/unit.<fmt>")
@staff_required(*STAFF)
def export_units(fmt: str):
    year, unit, filters = _scope()
    d = q.dashboard(current_user, year, unit, filters)
    tables = [exports.units_table(d), exports.summary_table(d), exports.monthly_table(d), exports.histogram_table(d)]
    return exports.respond(fmt, f"capaian-jp-unit-{year}", *tables)


@bp.get("/pemantauan/pegawai")
@staff_required(*STAFF)
def people():
    year, unit, filters = _scope()
    below = request.args.get("below") == "1"
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    rows, total = q.people(current_user, year, unit, filters, below_only=below, page=page, per_page=PER_PAGE)
    return render_template("monitoring/people.html", rows=rows, total=total, page=page, per_page=PER_PAGE,
                           year=year, unit=unit, filters=filters, below=below, trail=q.unit_trail(unit),
                           choices=q.filter_choices(current_user),
                           args=_args(year, unit, filters, **({"below": 1} if below else {})))


@bp.get("/pemantauan/ekspor/pegawai.<fmt>")
@staff_required(*STAFF)
def export_people(fmt: str):
    year, unit, filters = _scope()
    below = request.args.get("below") == "1"
    rows, _total = q.people(current_user, year, unit, filters, below_only=below)
    title = _("Di bawah target") if below else _("Pegawai")
    return exports.respond(fmt, f"{'di-bawah-target' if below else 'pegawai'}-{year}",
                           exports.people_table(rows, title))


@bp.get("/pemantauan/pegawai/<int:user_id>")
@staff_required(*STAFF)
def person(user_id: int):
    year = q.parse_year(request.args.get("year"))
    person = q.person_in_reach(current_user, user_id)
    entries = q.person_entries(current_user, person, year)
    return render_template("monitoring/person.html", person=person, entries=entries, year=year,
                           total=q.person_total(person, year), target=q.target_for_user(person),
                           trail=q.unit_trail(person.unit), category_label=exports.category_label)


@bp.get("/pemantauan/pegawai/<int:user_id>/ekspor.<fmt>")
@staff_required(*STAFF)
def export_person(user_id: int, fmt: str):
    year = q.parse_year(request.args.get("year"))
    person = q.person_in_reach(current_user, user_id)
    entries = q.person_entries(current_user, person, year)
    return exports.respond(fmt, f"jp-{person.nip or person.id}-{year}", exports.entries_table(entries))


# --- reminders ----------------------------------------------------------------------------

@bp.route("/pemantauan/pengingat", methods=["GET", "POST"])
@staff_required(*STAFF)
def reminders():
    r = reach(current_user, STAFF)
    from app.accounts.queries import units_in_reach

    units = units_in_reach(current_user, r)
    form = ScheduleForm()
    form.unit_id.choices = ([(0, _("(seluruh organisasi)"))] if r.everything else []) + [
        (u.id, "\u2003" * u.depth + u.name) for u in units]
    if request.method == "GET" and not form.year.data:
        form.year.data = q.default_year()
    if form.validate_on_submit():
        try:
            operations.create_schedule(current_user, name=form.name.data, year=form.year.data, kind=form.kind.data,
                                       day_of_month=form.day_of_month.data, start_month=form.start_month.data,
                                       end_month=form.end_month.data, dates_text=form.dates.data or "",
                                       unit_id=form.unit_id.data or None,
                                       notify_supervisors=form.notify_supervisors.data)
        except LenteraError as exc:
            db.session.rollback()
            form.name.errors.append(exc.message)
        else:
            flash(_("Jadwal pengingat disimpan."), "success")
            return redirect(url_for("monitoring.reminders"))
    schedules = operations.schedules_for(current_user)
    return render_template("monitoring/reminders.html", form=form, schedules=schedules,
                           dates_of=operations.schedule_dates, sent_counts=operations.sent_counts(schedules))


@bp.post("/pemantauan/pengingat/<int:schedule_id>/hapus")
@staff_required(*STAFF)
def reminder_delete(schedule_id: int):
    schedule = operations.schedule_in_reach(current_user, schedule_id)
    if schedule is None:
        abort(404)
    operations.deactivate_schedule(current_user, schedule)
    flash(_("Jadwal pengingat dinonaktifkan."), "success")
    return redirect(url_for("monitoring.reminders"))
