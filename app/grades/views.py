"""Grade book pages: the instructor's book of a course (settings, categories, weights, overrides
with their history, XLSX/CSV export) and the learner's own grades."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts.models import User
from app.courses.models import Activity, Course, Enrolment
from app.errors import LenteraError
from app.extensions import db
from app.grades import operations as ops
from app.grades import queries as q
from app.grades.models import GradeCategory
from app.web import NavItem, flash_error, run_operation

bp = Blueprint("grades", __name__)

#: Learners per page of the grade book (a 500-learner course: five pages; the export has everyone).
PER_PAGE = 100

NAV = [NavItem(_l("Nilai saya"), "grades.mine", order=33, group="development")]


#: The course engine's staff page lists these without knowing this module (see course_edit.html).
#: Made once, its label translated when shown: the context processor runs for every template of
#: every page, and a `_()` there translated it (and so chose the request's locale) on each.
_STAFF_LINKS = {"course_staff_links": [(_l("Buku nilai"), "grades.book")]}


@bp.app_context_processor
def _course_staff_links() -> dict:
    return _STAFF_LINKS


def _staff(course_id: int):
    return q.staff_course(current_user, course_id)


@bp.get("/kursus/<int:course_id>/nilai")
@login_required
def book(course_id: int):
    course, r = _staff(course_id)
    search = (request.args.get("q") or "").strip()[:100]
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 100_000))
    gb = q.gradebook(course, reach=r, q=search, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    # Hundreds of learners times twenty items: the cells are written here once, cheaply (see
    # assignments.queries.number_text), and the template only places them.
    from flask_babel import get_locale

    from app.assignments.queries import number_text

    sep = "," if str(get_locale()) == "id" else "."
    person_url = url_for("grades.person", course_id=course.id, user_id=0).rsplit("/", 1)[0] + "/"
    rows = []
    for row in gb.rows:
        cells = []
        for it in gb.items:
            c = row.cells[it.activity.id]
            cells.append((number_text(c.grade, sep) or "—", c.override.reason if c.override else None))
        rows.append({"url": person_url + str(row.user.id), "name": row.user.name, "nip": row.user.nip or "",
                     "cells": cells, "total": number_text(row.total, sep) or "—",
                     "total_reason": row.total_override.reason if row.total_override else None, "passed": row.passed,
                     "letter": gb.letter(row.total) or ""})
    letters_text = "\n".join(f"{letter}={number_text(Decimal(str(m)), '.')}" for letter, m in gb.letters)
    return render_template("grades/book.html", course=course, book=gb, rows=rows, search=search,
                           letters_text=letters_text, page=page, per_page=PER_PAGE)


@bp.post("/kursus/<int:course_id>/nilai/pengaturan")
@login_required
def settings(course_id: int):
    course, _r = _staff(course_id)

    def save():
        ops.update_settings(course, pass_percent=request.form.get("pass_percent", "").strip() or None,
                            completion_requires_pass=request.form.get("completion_requires_pass") == "1",
                            letters=request.form.get("letters") if "letters" in request.form else None)
        for it in q.graded_activities(course):
            weight = request.form.get(f"w{it.id}")
            cat = request.form.get(f"c{it.id}")
            ops.set_item(course, it, weight=weight.strip() if weight is not None and weight.strip() else None,
                         category_id=(int(cat) if cat and cat.isdigit() and cat != "0" else None)
                         if cat is not None else "")
        for c in db.session.scalars(select(GradeCategory).where(GradeCategory.course_id == course.id)):
            w = request.form.get(f"cw{c.id}")
            if w is not None and w.strip():
                ops.update_category(c, weight=w.strip())

    run_operation(save, _("Pengaturan buku nilai disimpan."))
    return redirect(url_for("grades.book", course_id=course.id))


@bp.post("/kursus/<int:course_id>/nilai/kategori")
@login_required
def category_add(course_id: int):
    course, _r = _staff(course_id)
    run_operation(lambda: ops.add_category(course, request.form.get("name", ""), request.form.get("weight") or 1),
                  _("Kategori ditambahkan."))
    return redirect(url_for("grades.book", course_id=course.id))


@bp.post("/kursus/<int:course_id>/nilai/kategori/<int:category_id>/hapus")
@login_required
def category_delete(course_id: int, category_id: int):
    course, _r = _staff(course_id)
    c = db.session.get(GradeCategory, category_id)
    if c is None or c.course_id != course.id:
        abort(404)
    run_operation(lambda: ops.delete_category(c), _("Kategori dihapus."))
    return redirect(url_for("grades.book", course_id=course.id))


@bp.route("/kursus/<int:course_id>/nilai/peserta/<int:user_id>", methods=["GET", "POST"])
@login_required
def person(course_id: int, user_id: int):
    course, r = _staff(course_id)
    learner = db.session.get(User, user_id)
    if learner is None or not q.enrolled(course, learner):
        abort(404)
    if not r.covers(learner):
        abort(403)
    status = 200
    if request.method == "POST":
        raw = request.form.get("activity_id", "")
        activity = None
        if raw and raw != "total":
            activity = db.session.get(Activity, int(raw)) if raw.isdigit() else None
            if activity is None or activity.course_id != course.id:
                abort(404)
        try:
            if request.form.get("action") == "remove":
                ops.remove_override(course, learner, activity, request.form.get("reason", ""), by=current_user)
            else:
                ops.override(course, learner, activity, request.form.get("grade", ""), request.form.get("reason", ""),
                             by=current_user)
        except LenteraError as exc:
            flash_error(exc)
            status = 422
        else:
            flash(_("Nilai %(n)s disimpan.", n=learner.name), "success")
            return redirect(url_for("grades.person", course_id=course.id, user_id=learner.id))
    gb = q.gradebook(course, user_ids=[learner.id])
    return render_template("grades/person.html", course=course, learner=learner, book=gb, row=gb.rows[0],
                           history=q.history(course, user_ids=[learner.id])), status


@bp.get("/kursus/<int:course_id>/nilai.<any(xlsx, csv):fmt>")
@login_required
def export(course_id: int, fmt: str):
    from app.grades.exports import book_table
    from app.monitoring.exports import respond

    course, r = _staff(course_id)
    gb = q.gradebook(course, reach=r)
    return respond(fmt, f"nilai-{course.code}", book_table(gb))


@bp.get("/kursus/<int:course_id>/nilai-saya")
@login_required
def mine_in_course(course_id: int):
    course = db.session.get(Course, course_id)
    if course is None or not q.enrolled(course, current_user):
        abort(404)
    return render_template("grades/mine_course.html", course=course, g=q.learner_grades(course, current_user))


@bp.get("/nilai-saya")
@login_required
def mine():
    courses = list(db.session.scalars(select(Course).join(Enrolment, Enrolment.course_id == Course.id)
                                      .where(Enrolment.user_id == current_user.id).order_by(Course.title)))
    rows = []
    for c in courses:
        g = q.learner_grades(c, current_user)
        if g["items"]:
            rows.append((c, g))
    return render_template("grades/mine.html", rows=rows)
