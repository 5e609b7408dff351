"""User administration pages: only administrators; create, change, deactivate, reset password."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey.accounts.passwords import verify_password
from survey.db import db
from survey.schema.accounts import User
from survey.schema.audit import AuditEvent
from tests.factories import DEFAULT_PASSWORD, Cast, ClientFor, MakeApp, login, make_cast

NEW_PASSWORD = "ett-nytt-långt-lösenord"


def user_by_email(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        db.session.expunge(user)
        return user


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def audit_actions(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        return [(event.action, event.actor, event.summary) for event in events]


def admin_requests(cast: Cast) -> list[tuple[str, str]]:
    target = cast.leader_nv.id
    return [
        ("GET", "/admin/anvandare"),
        ("GET", "/admin/anvandare/ny"),
        ("POST", "/admin/anvandare/ny"),
        ("GET", f"/admin/anvandare/{target}/andra"),
        ("GET", f"/admin/anvandare/{target}/losenord"),
        ("POST", f"/admin/anvandare/{target}/inaktivera"),
        ("POST", f"/admin/anvandare/{target}/aktivera"),
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("reader_nv", 403), ("leader_nv", 403), ("leader_no", 403)],
)
def test_it_lets_only_administrators_in(
    app: Flask, cast: Cast, client_for: ClientFor, who: str, expected: int
) -> None:
    client = client_for(who)
    for method, path in admin_requests(cast):
        response = client.open(path, method=method)
        assert response.status_code == expected, (method, path)
        if expected == 302:
            assert response.location.startswith("/logga-in")
        else:
            assert "Du har inte behörighet att göra detta." in response.get_data(as_text=True)
    assert user_by_email(app, cast.leader_nv.email).active  # nothing was changed
    assert audit_actions(app) == []


def test_it_shows_administrators_every_account(
    app: Flask, cast: Cast, client_for: ClientFor
) -> None:
    client = client_for("admin")
    response = client.get("/admin/anvandare")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for member in (cast.admin, cast.leader_nv, cast.leader_no, cast.reader_nv):
        assert member.email in html
    assert "Processledare" in html and "Läsare" in html and "Nordvästra Skåne" in html
    assert '<a href="/admin/anvandare" aria-current="page">Användare</a>' in html


def test_it_answers_404_for_an_account_that_does_not_exist(
    app: Flask, client_for: ClientFor
) -> None:
    client = client_for("admin")
    assert client.get("/admin/anvandare/99999/andra").status_code == 404
    assert client.post("/admin/anvandare/99999/inaktivera").status_code == 404


def create_form(**changes: str) -> dict[str, str]:
    form = {
        "email": "Ny.Processledare@Example.se",
        "name": "Nora Nyström",
        "role": "processledare",
        "delregion": "NO",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    form.update(changes)
    return form


def test_it_creates_an_account(app: Flask, cast: Cast, client_for: ClientFor) -> None:
    client = client_for("admin")
    response = client.post("/admin/anvandare/ny", data=create_form(), follow_redirects=True)
    assert "Kontot för Nora Nyström (ny.processledare@example.se) är skapat." in response.get_data(
        as_text=True
    )
    user = user_by_email(app, "ny.processledare@example.se")
    assert user is not None
    assert (user.name, user.role, user.delregion, user.active) == (
        "Nora Nyström",
        "processledare",
        "NO",
        True,
    )
    assert verify_password(user.password_hash, NEW_PASSWORD).matches
    assert NEW_PASSWORD not in user.password_hash
    assert audit_actions(app)[-1] == (
        "user.created",
        cast.admin.email,
        "Kontot ny.processledare@example.se (Processledare, NO) skapades.",
    )
    new_client = app.test_client()
    assert login(new_client, "ny.processledare@example.se", NEW_PASSWORD).status_code == 302


def test_it_creates_an_administrator_without_a_delregion(app: Flask, client_for: ClientFor) -> None:
    client = client_for("admin")
    data = create_form(email="ny.admin@example.se", role="admin", delregion="")
    assert client.post("/admin/anvandare/ny", data=data).status_code == 302
    user = user_by_email(app, "ny.admin@example.se")
    assert user is not None
    assert (user.role, user.delregion) == ("admin", None)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": ""}, "email", "Ange e-postadressen."),
        ({"email": "inte-en-adress"}, "email", "Ange en giltig e-postadress"),
        (
            {"email": "Processledare.NV@example.se"},
            "email",
            "Det finns redan ett konto med den e-postadressen.",
        ),
        ({"name": " "}, "name", "Ange namnet."),
        ({"name": "Nora\x00"}, "name", "Namnet innehåller otillåtna tecken"),
        ({"email": "nora\x00@example.se"}, "email", "Ange en giltig e-postadress"),
        ({"role": ""}, "role", "Välj en roll."),
        ({"role": "superuser"}, "role", "Välj en roll."),
        (
            {"delregion": ""},
            "delregion",
            "Välj delregion – processledare och läsare hör alltid till en delregion.",
        ),
        ({"role": "lasare", "delregion": ""}, "delregion", "Välj delregion"),
        ({"delregion": "XX"}, "delregion", "Välj en delregion i listan."),
        (
            {"password": "kort", "password_confirm": "kort"},
            "password",
            "Lösenordet måste vara minst 12 tecken långt.",
        ),
        (
            {
                "email": "anna.andersson@example.se",
                "password": "Anna.Andersson@example.se",
                "password_confirm": "Anna.Andersson@example.se",
            },
            "password",
            "Lösenordet får inte vara e-postadressen.",
        ),
        (
            {"password_confirm": "något-annat-lösenord"},
            "password_confirm",
            "Lösenorden stämmer inte överens.",
        ),
    ],
)
def test_it_explains_what_is_wrong_and_creates_nothing(
    app: Flask, client_for: ClientFor, changes: dict[str, str], field: str, message: str
) -> None:
    client = client_for("admin")
    users_before = count(app, User)
    response = client.post("/admin/anvandare/ny", data=create_form(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Fel: Skapa konto" in html
    assert re.search(rf'<li><a href="#{field}">{re.escape(message)}', html), html
    assert count(app, User) == users_before
    assert audit_actions(app) == []


def test_it_keeps_what_was_typed_except_passwords(app: Flask, client_for: ClientFor) -> None:
    client = client_for("admin")
    html = client.post("/admin/anvandare/ny", data=create_form(delregion="")).get_data(as_text=True)
    assert 'value="Nora Nyström"' in html
    assert NEW_PASSWORD not in html


def test_it_deactivates_and_reactivates_an_account(
    app: Flask, cast: Cast, client_for: ClientFor
) -> None:
    admin = client_for("admin")
    leader = client_for("leader_nv")
    assert leader.get("/konto/losenord").status_code == 200
    response = admin.post(f"/admin/anvandare/{cast.leader_nv.id}/inaktivera", follow_redirects=True)
    assert "är inaktiverat" in response.get_data(as_text=True)
    assert not user_by_email(app, cast.leader_nv.email).active
    assert leader.get("/konto/losenord").status_code == 302  # the open session has ended
    assert login(app.test_client(), cast.leader_nv.email).status_code == 200
    admin.post(f"/admin/anvandare/{cast.leader_nv.id}/aktivera")
    assert user_by_email(app, cast.leader_nv.email).active
    assert login(app.test_client(), cast.leader_nv.email).status_code == 302
    actions = [action for action, _, _ in audit_actions(app)]
    assert actions == ["user.deactivated", "user.reactivated"]


def test_it_does_not_let_administrators_deactivate_themselves(
    app: Flask, cast: Cast, client_for: ClientFor
) -> None:
    admin = client_for("admin")
    response = admin.post(f"/admin/anvandare/{cast.admin.id}/inaktivera", follow_redirects=True)
    assert "Du kan inte inaktivera ditt eget konto." in response.get_data(as_text=True)
    assert user_by_email(app, cast.admin.email).active
    assert audit_actions(app) == []


def test_it_changes_name_role_and_delregion(app: Flask, cast: Cast, client_for: ClientFor) -> None:
    admin = client_for("admin")
    data = {"name": "Läsare Blir Ledare", "role": "processledare", "delregion": "SV"}
    assert admin.post(f"/admin/anvandare/{cast.reader_nv.id}/andra", data=data).status_code == 302
    user = user_by_email(app, cast.reader_nv.email)
    assert (user.name, user.role, user.delregion) == ("Läsare Blir Ledare", "processledare", "SV")
    assert audit_actions(app)[-1][0] == "user.updated"


def test_it_does_not_let_administrators_change_their_own_role(
    app: Flask, cast: Cast, client_for: ClientFor
) -> None:
    admin = client_for("admin")
    data = {"name": "Admin", "role": "lasare", "delregion": "NV"}
    response = admin.post(f"/admin/anvandare/{cast.admin.id}/andra", data=data)
    assert "Du kan inte ändra din egen roll." in response.get_data(as_text=True)
    assert user_by_email(app, cast.admin.email).role == "admin"


def test_it_resets_a_password_and_ends_the_users_sessions(
    app: Flask, cast: Cast, client_for: ClientFor
) -> None:
    admin = client_for("admin")
    leader = client_for("leader_nv")
    data = {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    response = admin.post(f"/admin/anvandare/{cast.leader_nv.id}/losenord", data=data)
    assert response.status_code == 302
    assert leader.get("/konto/losenord").status_code == 302
    assert login(app.test_client(), cast.leader_nv.email).status_code == 200  # old password
    assert login(app.test_client(), cast.leader_nv.email, NEW_PASSWORD).status_code == 302
    assert admin.get("/admin/anvandare").status_code == 200  # the administrator stays in
    action, actor, summary = audit_actions(app)[-1]
    assert (action, actor) == ("user.password_reset", cast.admin.email)
    assert NEW_PASSWORD not in summary


def test_it_refuses_a_weak_reset_password(app: Flask, cast: Cast, client_for: ClientFor) -> None:
    admin = client_for("admin")
    data = {"password": "kort", "password_confirm": "kort"}
    response = admin.post(f"/admin/anvandare/{cast.leader_nv.id}/losenord", data=data)
    assert "Lösenordet måste vara minst 12 tecken långt." in response.get_data(as_text=True)
    assert login(app.test_client(), cast.leader_nv.email, DEFAULT_PASSWORD).status_code == 302


def test_it_refuses_administration_without_a_csrf_token(make_app: MakeApp) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        cast = make_cast()
        db.session.commit()
    client = app.test_client()
    page = client.get("/logga-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    client.post(
        "/logga-in",
        data={
            "email": cast.admin.email,
            "password": DEFAULT_PASSWORD,
            "csrf_token": token.group(1),
        },
    )
    users_before = count(app, User)
    assert client.post("/admin/anvandare/ny", data=create_form()).status_code == 400
    assert client.post(f"/admin/anvandare/{cast.leader_nv.id}/inaktivera").status_code == 400
    assert count(app, User) == users_before
    assert user_by_email(app, cast.leader_nv.email).active
    # The page's own form carries a token that is accepted.
    form_page = client.get("/admin/anvandare/ny").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', form_page)
    assert form_token is not None
    data = create_form(csrf_token=form_token.group(1))
    assert client.post("/admin/anvandare/ny", data=data).status_code == 302
    assert count(app, User) == users_before + 1


def test_it_lists_every_error_at_once(app: Flask, client_for: ClientFor) -> None:
    client = client_for("admin")
    data = create_form(email="", role="lasare", delregion="", password="kort", password_confirm="x")
    html = client.post("/admin/anvandare/ny", data=data).get_data(as_text=True)
    start = html.index('class="error-summary"')
    summary = html[start : html.index("</ul>", start)]
    linked_fields = re.findall(r'href="#(\w+)"', summary)
    assert linked_fields == ["email", "delregion", "password", "password_confirm"]


def test_it_explains_a_missing_delregion_when_changing_an_account(
    app: Flask, cast: Cast, client_for: ClientFor
) -> None:
    admin = client_for("admin")
    data = {"name": "Läsare NV", "role": "lasare", "delregion": ""}
    response = admin.post(f"/admin/anvandare/{cast.reader_nv.id}/andra", data=data)
    html = response.get_data(as_text=True)
    assert "<title>Fel: Ändra" in html
    assert '<a href="#delregion">Välj delregion' in html
    assert user_by_email(app, cast.reader_nv.email).delregion == "NV"
