"""Roles and delregion scoping: who may read and manage which round, and who sees what menu."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask_login import login_user
from werkzeug.exceptions import Forbidden, NotFound

from survey.accounts.permissions import main_menu, menu_for, register_menu_item, role_required
from survey.db import db
from survey.rounds.access import can_manage_round, can_read_round, get_round_for, visible_rounds
from survey.schema.accounts import Role, User
from survey.schema.rounds import Round
from tests.factories import Cast, make_cast, make_round


@pytest.fixture
def world(app: Flask) -> tuple[Cast, int, int]:
    """The cast, a round in NV and a round in NO."""
    with app.app_context():
        cast = make_cast()
        nv = make_round(delregion="NV", title="Årlig enkät NV")
        no = make_round(nv.questionnaire_version, delregion="NO", title="Årlig enkät NO")
        db.session.commit()
        return cast, nv.id, no.id


@contextmanager
def logged_in_as(app: Flask, who: str, cast: Cast) -> Iterator[User | None]:
    """A request in which `who` (a cast member's name, or "anonymous") is logged in."""
    with app.test_request_context("/"):
        user = None
        if who != "anonymous":
            user = db.session.get(User, getattr(cast, who).id)
            assert login_user(user)
        yield user


OK, FORBIDDEN, NOT_FOUND = "ok", 403, 404

# who, round, read outcome, manage outcome
ROUND_ACCESS = [
    ("admin", "NV", OK, OK),
    ("admin", "NO", OK, OK),
    ("leader_nv", "NV", OK, OK),
    ("leader_nv", "NO", NOT_FOUND, NOT_FOUND),
    ("leader_no", "NV", NOT_FOUND, NOT_FOUND),
    ("leader_no", "NO", OK, OK),
    ("reader_nv", "NV", OK, FORBIDDEN),
    ("reader_nv", "NO", NOT_FOUND, NOT_FOUND),
    ("anonymous", "NV", NOT_FOUND, NOT_FOUND),
    ("anonymous", "NO", NOT_FOUND, NOT_FOUND),
]


def outcome_of(user: object, round_id: int, manage: bool) -> object:
    try:
        found = get_round_for(user, round_id, manage=manage)
    except NotFound:
        return NOT_FOUND
    except Forbidden:
        return FORBIDDEN
    assert found.id == round_id
    return OK


@pytest.mark.parametrize(("who", "delregion", "read", "manage"), ROUND_ACCESS)
def test_it_gives_each_cast_member_the_rounds_of_their_delregion(
    app: Flask, world: tuple[Cast, int, int], who: str, delregion: str, read: object, manage: object
) -> None:
    cast, nv_id, no_id = world
    round_id = nv_id if delregion == "NV" else no_id
    with logged_in_as(app, who, cast) as user:
        from flask_login import current_user

        assert outcome_of(current_user, round_id, manage=False) == read
        assert outcome_of(current_user, round_id, manage=True) == manage
        round_ = db.session.get_one(Round, round_id)
        assert can_read_round(user, round_) is (read == OK)
        assert can_manage_round(user, round_) is (manage == OK)


@pytest.mark.parametrize("who", ["admin", "leader_nv", "reader_nv", "anonymous"])
def test_it_answers_404_for_a_round_that_does_not_exist(
    app: Flask, world: tuple[Cast, int, int], who: str
) -> None:
    cast, nv_id, no_id = world
    with logged_in_as(app, who, cast) as user:
        with pytest.raises(NotFound):
            get_round_for(user, max(nv_id, no_id) + 1000)
        with pytest.raises(NotFound):
            get_round_for(user, max(nv_id, no_id) + 1000, manage=True)


@pytest.mark.parametrize(
    ("who", "titles"),
    [
        ("admin", {"Årlig enkät NV", "Årlig enkät NO"}),
        ("leader_nv", {"Årlig enkät NV"}),
        ("leader_no", {"Årlig enkät NO"}),
        ("reader_nv", {"Årlig enkät NV"}),
        ("anonymous", set()),
    ],
)
def test_it_lists_only_the_visible_rounds(
    app: Flask, world: tuple[Cast, int, int], who: str, titles: set[str]
) -> None:
    cast, _, _ = world
    with logged_in_as(app, who, cast) as user:
        rounds = db.session.scalars(visible_rounds(user)).all()
        assert {round_.title for round_ in rounds} == titles


def test_it_shows_nothing_to_a_deactivated_user(app: Flask, world: tuple[Cast, int, int]) -> None:
    cast, nv_id, _ = world
    with app.app_context():
        user = db.session.get_one(User, cast.leader_nv.id)
        user.active = False
        assert db.session.scalars(visible_rounds(user)).all() == []
        with pytest.raises(NotFound):
            get_round_for(user, nv_id)


@role_required(Role.PROCESS_LEADER)
def leaders_only() -> str:
    return "inne"


@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("admin", OK),
        ("leader_nv", OK),
        ("leader_no", OK),
        ("reader_nv", FORBIDDEN),
        ("anonymous", "login"),
    ],
)
def test_it_lets_only_the_named_roles_and_administrators_through(
    app: Flask, world: tuple[Cast, int, int], who: str, outcome: object
) -> None:
    cast, _, _ = world
    with logged_in_as(app, who, cast):
        if outcome == OK:
            assert leaders_only() == "inne"
        elif outcome == FORBIDDEN:
            with pytest.raises(Forbidden):
                leaders_only()
        else:
            response: Any = leaders_only()  # the redirect to the login page
            assert response.status_code == 302
            assert response.location.startswith("/logga-in")


@pytest.mark.parametrize(
    ("who", "has_users_item"),
    [("admin", True), ("leader_nv", False), ("reader_nv", False)],
)
def test_it_shows_user_administration_only_to_administrators(
    app: Flask, world: tuple[Cast, int, int], who: str, has_users_item: bool
) -> None:
    cast, _, _ = world
    with logged_in_as(app, who, cast):
        menu = main_menu()
        assert (("accounts.users", "Användare") in menu) is has_users_item
        assert ("accounts.change_password", "Byt lösenord") in menu


def test_it_shows_no_menu_to_anonymous_visitors(app: Flask, world: tuple[Cast, int, int]) -> None:
    cast, _, _ = world
    with logged_in_as(app, "anonymous", cast):
        assert main_menu() == []


def test_it_lets_other_parts_add_menu_items_in_order(
    app: Flask, world: tuple[Cast, int, int]
) -> None:
    cast, _, _ = world
    register_menu_item(app, "tests.readers_page", "Resultat", [Role.READER], order=10)
    with logged_in_as(app, "reader_nv", cast) as reader:
        # Not shown in the app, where no such page exists …
        assert ("tests.readers_page", "Resultat") not in main_menu()
        endpoints = ["tests.readers_page", "accounts.users", "accounts.change_password"]
        # … shown first where it does, to readers and to administrators only.
        assert menu_for(reader, endpoints)[0] == ("tests.readers_page", "Resultat")
        admin = db.session.get(User, cast.admin.id)
        assert menu_for(admin, endpoints)[0] == ("tests.readers_page", "Resultat")
        leader = db.session.get(User, cast.leader_nv.id)
        assert ("tests.readers_page", "Resultat") not in menu_for(leader, endpoints)
