"""Forms of the login and user administration pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired

from survey.accounts.passwords import Problem
from survey.organisations import DELREGIONS
from survey.schema.accounts import ROLE_LABELS

PASSWORDS_DIFFER = "Lösenorden stämmer inte överens. Skriv samma lösenord i båda fälten."


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


def delregion_choices() -> list[SelectChoice]:
    return [SelectChoice("", "Ingen delregion (bara för administratörer)")] + [
        SelectChoice(code, f"{name} ({code})") for code, name in DELREGIONS.items()
    ]


def form_errors(form: FlaskForm) -> list[tuple[str, str]]:
    """The (field id, message) pairs the error summary macro shows, in the order of the form."""
    return [(field.id, message) for field in form for message in field.errors]


def add_problems(form: FlaskForm, problems: Iterable[Problem]) -> None:
    """Show rule violations found by the domain functions next to fields without errors yet.

    A field that already has an error (e.g. "Ange e-postadressen.") keeps only that one.
    """
    for problem in problems:
        field = getattr(form, problem.field, None)
        if field is None or field.errors:
            continue
        field.errors = [problem.swedish]


def validate_with_rules(form: FlaskForm, rules: Callable[[], Iterable[Problem]]) -> bool:
    """Validate a submitted form and the domain rules together, so every error shows at once."""
    if not form.is_submitted():
        return False
    form_valid = form.validate()
    add_problems(form, rules())
    return bool(form_valid) and not form_errors(form)


class LoginForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF has no type hints
    email = EmailField(
        "E-post",
        validators=[DataRequired("Ange din e-postadress.")],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Lösenord",
        validators=[InputRequired("Ange ditt lösenord.")],
        render_kw={"autocomplete": "current-password"},
    )


def new_password_field(label: str = "Nytt lösenord") -> PasswordField:
    return PasswordField(
        label,
        validators=[InputRequired("Ange ett lösenord.")],
        description="Minst 12 tecken. Använd gärna en fras av flera ord.",
        render_kw={"autocomplete": "new-password"},
    )


def password_confirm_field() -> PasswordField:
    return PasswordField(
        "Upprepa lösenordet",
        validators=[InputRequired("Upprepa lösenordet."), EqualTo("password", PASSWORDS_DIFFER)],
        render_kw={"autocomplete": "new-password"},
    )


def name_field() -> StringField:
    return StringField(
        "Namn", validators=[DataRequired("Ange namnet.")], render_kw={"autocomplete": "off"}
    )


def role_field() -> RadioField:
    # An unknown role is named by the domain rules, in the same words as on the command line.
    return RadioField(
        "Roll",
        choices=role_choices(),
        validators=[InputRequired("Välj en roll.")],
        validate_choice=False,
    )


def delregion_field() -> SelectField:
    return SelectField(
        "Delregion",
        choices=delregion_choices(),
        validate_choice=False,
        description="Processledare och läsare ser bara omgångar i sin delregion.",
    )


class CreateUserForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF has no type hints
    email = EmailField(
        "E-post",
        validators=[DataRequired("Ange e-postadressen.")],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = name_field()
    role = role_field()
    delregion = delregion_field()
    password = new_password_field("Lösenord")
    password_confirm = password_confirm_field()


class EditUserForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF has no type hints
    name = name_field()
    role = role_field()
    delregion = delregion_field()


class SetPasswordForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF has no type hints
    password = new_password_field()
    password_confirm = password_confirm_field()


class ChangeOwnPasswordForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF has no type hints
    current_password = PasswordField(
        "Nuvarande lösenord",
        validators=[InputRequired("Ange ditt nuvarande lösenord.")],
        render_kw={"autocomplete": "current-password"},
    )
    password = new_password_field()
    password_confirm = password_confirm_field()
