"""Login, logout, one's own password, and user administration for administrators."""

from __future__ import annotations

import math

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from survey.accounts.authentication import LoginOutcome, LoginThrottle, attempt_login
from survey.accounts.forms import (
    ChangeOwnPasswordForm,
    CreateUserForm,
    EditUserForm,
    LoginForm,
    SetPasswordForm,
    add_problems,
    form_errors,
    validate_with_rules,
)
from survey.accounts.passwords import Problem, password_problems, verify_password
from survey.accounts.permissions import landing_endpoint, login_required, role_required
from survey.accounts.redirects import safe_next_path
from survey.accounts.sessions import SESSION_ID_KEY, begin_server_session, end_server_session
from survey.accounts.users import (
    AccountError,
    NewUser,
    all_users,
    deactivate_user,
    new_user_problems,
    reactivate_user,
    role_problems,
    set_password,
    update_user,
)
from survey.accounts.users import create_user as create_account
from survey.db import db
from survey.localtime import format_local
from survey.organisations import DELREGIONS
from survey.schema.accounts import ROLE_LABELS, Role, User
from survey.security import KEEP_PREFIX, kept_form_fields

bp = Blueprint("accounts", __name__)

LOGIN_FAILED = "Fel e-postadress eller lösenord."
LOGGED_OUT = "Du är nu utloggad."
WRONG_CURRENT_PASSWORD = "Det nuvarande lösenordet är fel."


def login_throttle() -> LoginThrottle:
    return LoginThrottle(
        max_failures=current_app.config["SURVEY_LOGIN_MAX_FAILURES"],
        window_seconds=current_app.config["SURVEY_LOGIN_WINDOW_SECONDS"],
    )


def throttled_message(wait_seconds: int) -> str:
    """Say what happened and when to try again (minutes, or seconds when it is that soon)."""
    if wait_seconds >= 60:
        minutes = math.ceil(wait_seconds / 60)
        wait = f"{minutes} minut" if minutes == 1 else f"{minutes} minuter"
    else:
        seconds = max(1, wait_seconds)
        wait = f"{seconds} sekund" if seconds == 1 else f"{seconds} sekunder"
    return (
        "För många misslyckade inloggningsförsök. Av säkerhetsskäl kan du inte logga in "
        f"just nu. Vänta {wait} och försök sedan igen."
    )


def client_address() -> str:
    """The client's address (ProxyFix puts the real one here behind trusted proxies)."""
    return request.remote_addr or "okänd"


def start_session(user: User) -> None:
    """Log the user in on a fresh server-side session (one fixed by someone else is dropped)."""
    end_server_session(session.get(SESSION_ID_KEY))
    session.clear()
    # Flask-WTF caches this request's token in g: a page rendered now needs a new one.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    session[SESSION_ID_KEY] = begin_server_session(user)
    db.session.commit()
    login_user(user)
    session.permanent = True


@bp.route("/logga-in", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_path = safe_next_path(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_path or url_for(landing_endpoint(current_user)))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_login(form, next_path, form_errors(form))
    throttle = login_throttle()
    attempt = attempt_login(
        form.email.data or "", form.password.data or "", client_address(), throttle
    )
    # Failures are committed too: they are what the throttling counts.
    db.session.commit()
    if attempt.outcome is LoginOutcome.THROTTLED:
        message = throttled_message(attempt.wait_seconds)
        return render_login(form, next_path, [("email", message)], 429, attempt.wait_seconds)
    if attempt.user is None:
        return render_login(form, next_path, [("email", LOGIN_FAILED)])
    start_session(attempt.user)
    kept = kept_form_fields(KEEP_PREFIX)
    if kept and next_path:
        # Logged in again from the page of a form refused after the session ended: what
        # was typed is posted again, with a fresh token, when the user presses the button.
        return render_template("pages/resubmit.html", kept=kept, retry_url=next_path)
    return redirect(next_path or url_for(landing_endpoint(attempt.user)))


def render_login(
    form: LoginForm,
    next_path: str | None,
    errors: list[tuple[str, str]],
    status: int = 200,
    retry_after: int = 0,
) -> ResponseReturnValue:
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    # A login from the page of a refused form keeps carrying what was typed there.
    kept = kept_form_fields(KEEP_PREFIX) if request.method == "POST" else []
    return (
        render_template(
            "accounts/login.html",
            form=form,
            errors=errors,
            action=url_for("accounts.login", next=next_path),
            kept=kept,
            keep_prefix=KEEP_PREFIX,
        ),
        status,
        headers,
    )


@bp.post("/logga-ut")
def logout() -> ResponseReturnValue:
    # The server forgets the session: a copy of the cookie no longer logs anyone in.
    end_server_session(session.get(SESSION_ID_KEY))
    db.session.commit()
    logout_user()
    session.clear()
    flash(LOGGED_OUT, "success")
    return redirect(url_for("accounts.login"))


@bp.route("/konto/losenord", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    user: User = current_user._get_current_object()
    form = ChangeOwnPasswordForm()
    status = 200
    if validate_with_rules(form, lambda: password_problems(form.password.data or "", user.email)):
        throttle = login_throttle()
        wait = throttle.wait_seconds(user.email, client_address())
        if wait > 0:
            form.current_password.errors = [throttled_message(wait)]
            status = 429
        elif not verify_password(user.password_hash, form.current_password.data or "").matches:
            throttle.register_failure(user.email, client_address())
            db.session.commit()
            form.current_password.errors = [WRONG_CURRENT_PASSWORD]
        else:
            try:
                set_password(user, form.password.data or "", actor=user)
            except AccountError as error:
                add_problems(form, error.problems)
            else:
                db.session.commit()
                start_session(user)  # the new session generation; other sessions end
                flash("Ditt lösenord är bytt. Du är utloggad på andra enheter.", "success")
                return redirect(url_for(landing_endpoint(user)))
    errors = form_errors(form)
    return (
        render_template("accounts/change_password.html", form=form, errors=errors),
        status,
    )


def user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/admin/anvandare")
@role_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    return render_template(
        "accounts/users.html",
        users=all_users(),
        role_labels=ROLE_LABELS,
        delregions=DELREGIONS,
        format_local=format_local,
    )


@bp.route("/admin/anvandare/ny", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def create_user() -> ResponseReturnValue:
    form = CreateUserForm()
    new = NewUser(
        email=form.email.data or "",
        name=form.name.data or "",
        role=form.role.data or "",
        delregion=form.delregion.data or None,
        password=form.password.data or "",
    )
    if validate_with_rules(form, lambda: new_user_problems(new)):
        try:
            user = create_account(new, actor=current_user._get_current_object())
        except AccountError as error:
            db.session.rollback()
            add_problems(form, error.problems)
        else:
            db.session.commit()
            flash(f"Kontot för {user.name} ({user.email}) är skapat.", "success")
            return redirect(url_for("accounts.users"))
    errors = form_errors(form)
    return render_template("accounts/create_user.html", form=form, errors=errors)


@bp.route("/admin/anvandare/<int:user_id>/andra", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_user(user_id: int) -> ResponseReturnValue:
    user = user_or_404(user_id)
    form = EditUserForm(obj=user)

    def rules() -> list[Problem]:
        return role_problems(form.name.data or "", form.role.data or "", form.delregion.data)

    if validate_with_rules(form, rules):
        try:
            update_user(
                user,
                name=form.name.data or "",
                role=form.role.data or "",
                delregion=form.delregion.data or None,
                actor=current_user._get_current_object(),
            )
        except AccountError as error:
            add_problems(form, error.problems)
        else:
            db.session.commit()
            flash(f"Kontot för {user.name} är ändrat.", "success")
            return redirect(url_for("accounts.users"))
    errors = form_errors(form)
    return render_template("accounts/edit_user.html", form=form, user=user, errors=errors)


@bp.route("/admin/anvandare/<int:user_id>/losenord", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def reset_password(user_id: int) -> ResponseReturnValue:
    user = user_or_404(user_id)
    form = SetPasswordForm()
    if validate_with_rules(form, lambda: password_problems(form.password.data or "", user.email)):
        actor: User = current_user._get_current_object()
        try:
            set_password(user, form.password.data or "", actor=actor)
        except AccountError as error:
            add_problems(form, error.problems)
        else:
            db.session.commit()
            if user.id == actor.id:
                start_session(user)
            flash(
                f"Lösenordet för {user.name} är bytt. Lämna det nya lösenordet till "
                "personen på ett säkert sätt.",
                "success",
            )
            return redirect(url_for("accounts.users"))
    errors = form_errors(form)
    return render_template("accounts/reset_password.html", form=form, user=user, errors=errors)


@bp.post("/admin/anvandare/<int:user_id>/inaktivera")
@role_required(Role.ADMIN)
def deactivate(user_id: int) -> ResponseReturnValue:
    user = user_or_404(user_id)
    try:
        deactivate_user(user, actor=current_user._get_current_object())
    except AccountError as error:
        flash(error.problems[0].swedish, "error")
    else:
        db.session.commit()
        flash(
            f"Kontot för {user.name} är inaktiverat. Personen kan inte längre logga in.",
            "success",
        )
    return redirect(url_for("accounts.users"))


@bp.post("/admin/anvandare/<int:user_id>/aktivera")
@role_required(Role.ADMIN)
def reactivate(user_id: int) -> ResponseReturnValue:
    user = user_or_404(user_id)
    reactivate_user(user, actor=current_user._get_current_object())
    db.session.commit()
    flash(f"Kontot för {user.name} är aktiverat igen.", "success")
    return redirect(url_for("accounts.users"))
