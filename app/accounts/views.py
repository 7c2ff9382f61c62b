"""Login, profile and password; the administrator's organisation, users and employee import."""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, or_, select

from app import spreadsheets
from app.accounts import operations as ops
from app.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    ImportForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    UnitForm,
    UserForm,
)
from app.accounts.models import Unit, User, UserRole
from app.accounts.queries import login_sessions_of, people_query, reach, rights_within, units_in_reach
from app.errors import Forbidden, LenteraError, RuleViolation, Throttled
from app.extensions import db
from app.inputs import is_digits
from app.redirects import safe_local_path
from app.web import HomePanel, NavItem, flash_error, page_of, public_url, run_operation, staff_required, undo

bp = Blueprint("accounts", __name__)

NAV = [
    NavItem(_l("Organisasi"), "accounts.units", roles=("admin",), order=90, group="admin"),
    NavItem(_l("Pengguna"), "accounts.users", roles=("admin",), order=91, group="admin"),
]
HOME_PANELS = [
    HomePanel("accounts/_home_admin.html", lambda user: {"reach": reach(user)}, roles=("admin",), order=90),
]


#: Where a person whose password was set by an administrator may still go before changing it.
_PASSWORD_CHANGE_OPEN = {"accounts.profile", "accounts.change_password", "accounts.logout", "accounts.login",
                         "accounts.forgot_password", "accounts.reset_password_by_link",
                         "web.set_language", "static", "web.vendor", "web.healthz"}


@bp.before_app_request
def require_own_password():
    # API clients are not redirected (they get their data); pages send the person to change
    # the temporary password first, so it does not stay in use.
    if request.path.startswith("/api/") or request.endpoint in _PASSWORD_CHANGE_OPEN:
        return None
    user = current_user._get_current_object()  # once through Flask-Login's proxy, not twice
    if user.is_authenticated and user.must_change_password:
        flash(_("Kata sandi Anda dibuat oleh administrator. Gantilah dengan kata sandi Anda sendiri "
                "sebelum melanjutkan."), "warning")
        return redirect(url_for("accounts.profile"))
    return None


def _safe_next(target: str | None) -> str:
    return safe_local_path(target)


@bp.get("/login")
def login_alias():
    """People type /login: lead them to the login page, keeping a same-site `next`."""
    return redirect(url_for("accounts.login", **({"next": request.args["next"]} if "next" in request.args else {})), 301)


@bp.route("/masuk", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = ops.authenticate(form.username.data, form.password.data, request.remote_addr or "")
        except Throttled as exc:
            flash_error(exc)
            status = 429
        except LenteraError as exc:
            flash_error(exc)  # the failure itself is recorded by authenticate(), committed there
            status = 401
        else:
            ops.start_session(user, remember=bool(form.remember.data), address=request.remote_addr)
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), status


@bp.route("/lupa-sandi", methods=["GET", "POST"])
def forgot_password():
    """A reset link by mail; the same answer whether or not the account exists."""
    form = ForgotPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            ops.request_password_reset(
                form.identifier.data, request.remote_addr or "",
                lambda token: public_url("accounts.reset_password_by_link", token=token))
        except Throttled as exc:
            flash(exc.message, "error")
            status = 429
        else:
            flash(_("Jika akun itu ada dan punya alamat email, tautan untuk mengatur ulang kata sandi "
                    "telah dikirim. Periksa kotak masuk (dan folder spam) dalam beberapa menit."), "info")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form), 422 if form.errors else status


@bp.route("/atur-ulang-sandi/<token>", methods=["GET", "POST"])
def reset_password_by_link(token: str):
    form = ResetPasswordForm()
    try:
        user = ops.user_for_reset_token(token)
    except LenteraError as exc:
        return render_template("accounts/reset.html", form=None, error=exc.message), 410
    if form.validate_on_submit():
        try:
            ops.reset_password_with_token(token, form.new.data)
        except LenteraError as exc:
            db.session.rollback()
            form.new.errors.append(exc.message)
        else:
            if current_user.is_authenticated:
                logout_user()
            flash(_("Kata sandi %(u)s sudah diganti. Silakan masuk dengan kata sandi baru.", u=user.username),
                  "success")
            return redirect(url_for("accounts.login"))
    resp = render_template("accounts/reset.html", form=form, user=user, error=None)
    return resp, 422 if form.errors else 200


@bp.post("/keluar")
@login_required
def logout():
    ops.end_session(current_user._get_current_object())  # every copy of this cookie ends with it
    logout_user()
    flash(_("Anda telah keluar."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/akun", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user, prefix="p")
    pw = ChangePasswordForm(prefix="pw")
    if request.method == "POST" and "p-timezone" in request.form and form.validate():
        try:
            ops.update_user(current_user, email=form.email.data or None, timezone=form.timezone.data)
        except LenteraError as exc:
            db.session.rollback()
            form.email.errors.append(exc.message)
        else:
            flash(_("Profil disimpan."), "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(form, pw, 422 if form.errors else 200)


def _profile_page(form: ProfileForm, pw: ChangePasswordForm, status: int):
    me = current_user._get_current_object()
    sessions = [(row, ops.is_current_session(me, row)) for row in login_sessions_of(me)]
    return render_template("accounts/profile.html", form=form, pw=pw, sessions=sessions), status


@bp.post("/akun/sesi/keluar-lainnya")
@login_required
def end_other_sessions():
    from flask_wtf import FlaskForm

    if not FlaskForm().validate_on_submit():  # the CSRF token
        abort(400)
    ended = ops.end_other_sessions(current_user._get_current_object())
    flash(_("%(n)d sesi di perangkat lain diakhiri.", n=ended), "success")
    return redirect(url_for("accounts.profile") + "#sesi")


@bp.post("/akun/sandi")
@login_required
def change_password():
    pw = ChangePasswordForm(prefix="pw")
    if pw.validate():
        try:
            ops.change_password(current_user, pw.current.data, pw.new.data, request.remote_addr)
        except Throttled as exc:
            undo()
            pw.current.errors.append(exc.message)
            return _profile_page(ProfileForm(obj=current_user, prefix="p"), pw, 429)
        except LenteraError as exc:
            undo()
            (pw.current if exc.code == "wrong_password" else pw.new).errors.append(exc.message)
        else:
            # The new password ended every session of the account, this one included: renew it.
            me = current_user._get_current_object()
            remember = bool(getattr(me, "login_session_remember", False))
            ops.start_session(me, remember=remember, address=request.remote_addr)
            login_user(me, remember=remember)
            flash(_("Kata sandi diganti. Sesi lain akun ini telah diakhiri."), "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(ProfileForm(obj=current_user, prefix="p"), pw, 422)


@bp.post("/akun/foto")
@login_required
def profile_picture():
    upload = request.files.get("picture")
    if request.form.get("action") == "hapus":
        ops.remove_picture(current_user)
        flash(_("Foto profil dihapus."), "success")
    elif upload is None or not upload.filename:
        flash(_("Pilih foto yang akan diunggah."), "error")
    else:
        try:
            ops.set_picture(current_user, upload.stream)
        except LenteraError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("Foto profil disimpan."), "success")
    return redirect(url_for("accounts.profile"))


@bp.get("/akun/foto/<name>")
@login_required
def picture(name: str):
    """A person's picture, for anyone signed in (as in forums and lists); the name carries the
    content's hash, so it can be cached for long."""
    import re

    if not re.fullmatch(r"\d+-[0-9a-f]{16}\.(?:png|jpg|gif|webp)", name):
        abort(404)
    from app.storage import send_stored

    return send_stored(f"accounts/pictures/{name}", filename=name, max_age=30 * 24 * 3600, allow_redirect=False)


# --- organisation -------------------------------------------------------------------------

def _unit_choices(units: list[Unit], none_label: str | None = None) -> list[tuple[int, str]]:
    choices = [(0, none_label)] if none_label else []
    for u in units:
        choices.append((u.id, "\u2003" * u.depth + u.name))
    return choices


def _unit_in_reach(unit_id: int) -> Unit:
    unit = db.get_or_404(Unit, unit_id)
    if not reach(current_user, ("admin",)).covers_unit(unit):
        abort(403)
    return unit


def _head_choices(unit: Unit | None) -> list[tuple[int, str]]:
    choices = [(0, "—")]
    if unit is not None:
        people = db.session.scalars(
            select(User).join(Unit, User.unit_id == Unit.id)
            .where(Unit.path.startswith(unit.path, autoescape=True)).order_by(User.name)).all()
        choices += [(p.id, f"{p.name} ({p.nip or p.username})") for p in people]
    return choices


@bp.route("/admin/organisasi", methods=["GET", "POST"])
@staff_required("admin")
def units():
    r = reach(current_user, ("admin",))
    all_units = units_in_reach(current_user, r)
    form = UnitForm()
    del form.head_id, form.jp_target  # set when editing a unit that already has people
    form.parent_id.choices = _unit_choices(all_units, _("(instansi baru, tanpa induk)") if r.everything else None)
    if form.validate_on_submit():
        parent = _unit_in_reach(form.parent_id.data) if form.parent_id.data else None
        if parent is None and not r.everything:
            abort(403)
        try:
            unit = ops.create_unit_by(current_user, form.name.data, parent, code=form.code.data or None)
        except LenteraError as exc:
            undo()
            form.name.errors.append(exc.message)
        else:
            flash(_("Unit \u201c%(n)s\u201d ditambahkan.", n=unit.name), "success")
            return redirect(url_for("accounts.units"))
    counts = dict(db.session.execute(select(User.unit_id, func.count()).group_by(User.unit_id)).all())
    return render_template("accounts/units.html", units=all_units, form=form, counts=counts)


@bp.route("/admin/organisasi/<int:unit_id>", methods=["GET", "POST"])
@staff_required("admin")
def unit_edit(unit_id: int):
    unit = _unit_in_reach(unit_id)
    r = reach(current_user, ("admin",))
    candidates = [u for u in units_in_reach(current_user, r) if not u.path.startswith(unit.path)]
    form = UnitForm(obj=unit, data={"parent_id": unit.parent_id or 0, "head_id": unit.head_id or 0,
                                    "jp_target": unit.jp_target or ""} if request.method == "GET" else None)
    form.parent_id.choices = _unit_choices(candidates, _("(tanpa induk: instansi)") if r.everything else None)
    form.head_id.choices = _head_choices(unit)
    if form.validate_on_submit():
        parent = _unit_in_reach(form.parent_id.data) if form.parent_id.data else None
        head = db.session.get(User, form.head_id.data) if form.head_id.data else None
        target = form.jp_target.data.strip() if form.jp_target.data else ""
        try:
            if target and not is_digits(target):
                raise RuleViolation(_("Target JP harus bilangan bulat."))
            ops.change_unit_by(current_user, unit, name=form.name.data, code=form.code.data or "", parent=parent)
            ops.update_unit(unit, head=head, jp_target=int(target) if target else None)
        except LenteraError as exc:
            db.session.rollback()
            form.name.errors.append(exc.message)
        else:
            flash(_("Unit disimpan."), "success")
            return redirect(url_for("accounts.units"))
    return render_template("accounts/unit_edit.html", unit=unit, form=form)


@bp.post("/admin/organisasi/<int:unit_id>/hapus")
@staff_required("admin")
def unit_delete(unit_id: int):
    unit = _unit_in_reach(unit_id)
    run_operation(lambda: ops.delete_unit(unit), _("Unit dihapus."))
    return redirect(url_for("accounts.units"))


# --- users --------------------------------------------------------------------------------

ROLE_LABELS = {"learner": _l("Peserta"), "instructor": _l("Instruktur"), "bpsdm": _l("BPSDM"), "admin": _l("Admin")}


@bp.get("/admin/pengguna")
@staff_required("admin")
def users():
    r = reach(current_user, ("admin",))
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    stmt = people_query(current_user, r).order_by(User.name)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(User.name).like(like), User.nip.like(f"%{q}%"),
                              func.lower(User.username).like(like)))
    if role and role != "learner":
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    unit_id = request.args.get("unit", 0, type=int)
    if unit_id:
        unit = _unit_in_reach(unit_id)
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    listing = page_of(stmt, per_page=50)
    return render_template("accounts/users.html", rows=listing.rows, total=listing.total, page=listing.page,
                           per_page=listing.per_page, q=q,
                           role=role, role_labels=ROLE_LABELS, unit_id=unit_id,
                           unit_choices=_unit_choices(units_in_reach(current_user, r), _("Semua")))


def _password_sheet(issued: list[tuple[User, str]]) -> Response:
    """The temporary passwords as a CSV download: shown once, never stored in clear."""
    buf = io.StringIO()
    out = spreadsheets.writer(buf)
    out.writerow(["nama_pengguna", "nip", "nama", "unit_kerja", "kata_sandi_sementara"])
    for user, password in issued:
        out.writerow([user.username, user.nip or "", user.name, user.unit.name if user.unit else "", password])
    resp = Response(buf.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = "attachment; filename=kata-sandi-sementara.csv"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/admin/pengguna/sandi-awal")
@staff_required("admin")
def initial_passwords():
    """Temporary passwords for every employee without one in a unit (subtree), as a CSV sheet."""
    unit_id = request.form.get("unit", 0, type=int)
    unit = _unit_in_reach(unit_id) if unit_id else None
    r = reach(current_user, ("admin",))
    stmt = people_query(current_user, r).where(User.password_hash.is_(None), User.active.is_(True))
    if unit is not None:
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    # Only people whose every right is within the actor's: a temporary password is a takeover.
    people = [p for p in db.session.scalars(stmt.order_by(User.name)) if rights_within(current_user, p, ("admin",))]
    issued = ops.set_initial_passwords(people)
    if not issued:
        flash(_("Semua pegawai di unit ini sudah memiliki kata sandi."), "info")
        return redirect(url_for("accounts.users", unit=unit.id if unit else None))
    return _password_sheet(issued)


@bp.post("/admin/pengguna/<int:user_id>/reset-sandi")
@staff_required("admin")
def reset_password(user_id: int):
    user = ops.get_user_or_404(user_id)
    if user.id == current_user.id or not rights_within(current_user, user, ("admin",)):
        abort(403)  # one's own password is changed on the account page, with the current one
    password = ops.reset_password(user, by=current_user)
    resp = Response(render_template("accounts/password_issued.html", person=user, password=password))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _fill_user_form(form: UserForm, units: list[Unit]) -> None:
    form.unit_id.choices = _unit_choices(units, "—")
    form.scope_unit_id.choices = _unit_choices(units, _("(seluruh situs — hanya admin)"))


def _save_user(form: UserForm, user: User | None) -> User:
    unit = _unit_in_reach(form.unit_id.data) if form.unit_id.data else None
    scope = _unit_in_reach(form.scope_unit_id.data) if form.scope_unit_id.data else None
    if scope is None and not reach(current_user, ("admin",)).everything and \
            any(r in form.roles.data for r in ("admin", "bpsdm")):
        scope = unit  # a scoped admin cannot grant site-wide reach
    fields = dict(name=form.name.data, email=form.email.data or None, unit=unit,
                  position=form.position.data or None, golongan=form.golongan.data or None,
                  employment_type=form.employment_type.data or None, nip=form.nip.data or None)
    if user is None:
        user = ops.create_user(form.username.data, password=form.password.data or None, roles=[], **fields)
    else:
        ops.update_user(user, active=form.active.data, **fields)
        if form.password.data:
            # Someone else's password chosen by an administrator is temporary.
            ops.set_password(user, form.password.data, by_admin=user.id != current_user.id)
    scopes = {r: scope for r in ("admin", "bpsdm") if r in form.roles.data}
    ops.set_roles(user, list(form.roles.data), scopes)
    if not rights_within(current_user, user, ("admin",)):
        # Rights granted must be within the granter's own (no admin of a sibling unit, no BPSDM
        # reach over the whole instansi from an admin of one dinas).
        raise Forbidden(_("Peran atau jangkauan ini melebihi hak Anda sendiri."))
    return user


@bp.route("/admin/pengguna/baru", methods=["GET", "POST"])
@staff_required("admin")
def user_new():
    units = units_in_reach(current_user, reach(current_user, ("admin",)))
    form = UserForm()
    _fill_user_form(form, units)
    if form.validate_on_submit():
        try:
            user = _save_user(form, None)
        except Forbidden:
            db.session.rollback()
            abort(403)
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Pengguna %(u)s dibuat.", u=user.username), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_edit.html", form=form, user=None)


@bp.route("/admin/pengguna/<int:user_id>", methods=["GET", "POST"])
@staff_required("admin")
def user_edit(user_id: int):
    user = ops.get_user_or_404(user_id)
    r = reach(current_user, ("admin",))
    if user.id != current_user.id and not rights_within(current_user, user, ("admin",)):
        abort(403)  # someone with rights beyond the actor's: editing them would be a takeover
    units = units_in_reach(current_user, r)
    scope_row = next((x for x in user.roles if x.role in ("admin", "bpsdm")), None)
    data = None
    if request.method == "GET":
        data = {"unit_id": user.unit_id or 0, "position": user.position.name if user.position else "",
                "roles": [x.role for x in user.roles if x.role != "learner"],
                "scope_unit_id": scope_row.unit_id or 0 if scope_row else 0,
                "employment_type": user.employment_type or ""}
    form = UserForm(obj=user, data=data)
    _fill_user_form(form, units)
    form.username.render_kw = {"readonly": True}
    if form.validate_on_submit():
        form.username.data = user.username
        try:
            _save_user(form, user)
            if user.id == current_user.id and form.password.data:
                # a new own password ended this session too: renew it
                ops.start_session(user, address=request.remote_addr)
                login_user(user)
        except Forbidden:
            db.session.rollback()
            abort(403)
        except LenteraError as exc:
            flash_error(exc)
        else:
            flash(_("Pengguna disimpan."), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_edit.html", form=form, user=user)


@bp.route("/admin/pegawai/impor", methods=["GET", "POST"])
@staff_required("admin")
def import_employees():
    form = ImportForm()
    details, status, result = [], 200, None
    if form.validate_on_submit():
        f = form.file.data
        try:
            result = ops.import_employees(f.filename or "", f.read(), reach(current_user, ("admin",)))
        except LenteraError as exc:
            flash_error(exc)
            details, status = exc.details, exc.status
        else:
            flash(_("Impor selesai: %(c)d pegawai baru, %(u)d diperbarui.", c=result["created"], u=result["updated"]),
                  "success")
    return render_template("accounts/import.html", form=form, details=details, result=result), status
