"""Every route against the role table of docs/security.md: who may open what, and that a
reader never sees who was asked (docs/privacy.md: "results and the pseudonymised export only").

The table names every endpoint of the app. `app.url_map` is walked, so a route added
without a line here fails `test_it_has_a_role_for_every_route`; each line is then checked
for an anonymous visitor, a reader, a process leader of the round's delregion, a process
leader of another delregion and an administrator.
"""

from __future__ import annotations

import io
import zipfile
from enum import Enum

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.security_helpers import (
    ANSWERED_EMAIL,
    FAILED_EMAIL,
    GROUP_CONTACT_EMAIL,
    GROUP_CONTACT_NAME,
    HEALTHY_EMAIL,
    INVENTORY_PARTICIPANT,
    World,
    client_of,
    rules_with,
    seed_world,
    url_for_rule,
)


class Access(Enum):
    PUBLIC = "anyone"
    LINK = "a respondent with a personal link"
    LOGGED_IN = "any logged-in user"
    READ = "readers, process leaders of the delregion, administrators"
    MANAGE = "process leaders of the delregion, administrators"
    PROCESS_LEADER = "process leaders (their delregion), administrators"
    # An export job's pages: only the user who ordered it, while they may still READ the
    # round (an identifying job: MANAGE). The seeded job was ordered by the administrator.
    ORDERER = "the user who ordered the job, if they may read the round"
    # An import job's pages: only its orderer, while they may still MANAGE the round.
    IMPORT_ORDERER = "the user who ordered the import, if they may manage the round"
    ADMIN = "administrators"


A = Access
ROLE_TABLE: dict[str, Access] = {
    "pages.start": A.PUBLIC,
    "pages.accessibility": A.PUBLIC,
    "pages.health": A.PUBLIC,
    "static": A.PUBLIC,
    "accounts.login": A.PUBLIC,
    "accounts.logout": A.PUBLIC,
    "respond.form": A.LINK,
    "respond.post_answers": A.LINK,
    "respond.open_link": A.LINK,
    "respond.confirmation": A.LINK,
    "respond.reminders": A.LINK,
    "respond.autosave": A.LINK,
    # A lokal samverkan's contact: the group link opens the plan in the holder's session.
    "local_collaboration.open_group_link": A.LINK,
    "local_collaboration.contact_plan": A.LINK,
    "local_collaboration.contact_post": A.LINK,
    "local_collaboration.contact_history": A.LINK,
    "accounts.change_password": A.LOGGED_IN,
    "answering.preview": A.LOGGED_IN,
    "rounds.list_rounds": A.LOGGED_IN,
    "rounds.recipients_template": A.LOGGED_IN,  # an empty file with example rows
    # A reader's round page: settings and counts, no recipient (checked below).
    "rounds.show_round": A.READ,
    "results.round_results": A.READ,
    "results.breakdown": A.READ,
    "results.free_text": A.READ,
    "results.question_summary": A.READ,
    "results.inventories": A.READ,  # organisations only, no link to an inventory for a reader
    "export.download_round": A.READ,  # pseudonymised; ?identifierande=1 is MANAGE (below)
    # Exports as jobs: anyone who reads the round orders a pseudonymised one; an
    # identifying one (identifierande=1) is MANAGE (below).
    "export_jobs.export_page": A.READ,
    "export_jobs.start_export": A.READ,
    "export_jobs.job_page": A.ORDERER,
    "export_jobs.job_status": A.ORDERER,
    "export_jobs.download_job": A.ORDERER,
    # One group's whole inventory: the answer "who is with us" may name participants.
    "results.inventory": A.MANAGE,
    "rounds.show_recipient": A.MANAGE,
    "rounds.edit_recipient": A.MANAGE,
    "rounds.revoke": A.MANAGE,
    "rounds.reissue": A.MANAGE,
    "rounds.remind_one": A.MANAGE,
    "rounds.remove": A.MANAGE,
    "rounds.upload_recipients": A.MANAGE,
    "rounds.new_recipient": A.MANAGE,
    "rounds.edit_round": A.MANAGE,
    "rounds.extend": A.MANAGE,
    "rounds.close": A.MANAGE,
    "rounds.open_now": A.MANAGE,
    "rounds.remind_all": A.MANAGE,
    "rounds.outbox": A.MANAGE,
    "rounds.show_message": A.MANAGE,
    "rounds.resend": A.MANAGE,
    "rounds.confirm_open": A.MANAGE,
    "rounds.confirm_remind": A.MANAGE,
    "rounds.message_preview": A.MANAGE,
    "rounds.send_test": A.MANAGE,
    "rounds.copy": A.MANAGE,
    "rounds.delete": A.MANAGE,
    "answering.recipient_answers": A.MANAGE,  # one recipient's answers, with their name
    "export.download_non_respondents": A.MANAGE,  # names and e-post of who has not answered
    "response_import.import_page": A.MANAGE,
    "response_import.import_template": A.MANAGE,
    # Imports as jobs: the seeded job (a check found correct) was ordered by the administrator.
    "response_import.job_page": A.IMPORT_ORDERER,
    "response_import.job_status": A.IMPORT_ORDERER,
    "response_import.import_checked_file": A.IMPORT_ORDERER,
    "audit.round_log": A.MANAGE,
    # Plans: read by the plan's delregion (another delregion's plan does not exist: 404).
    "plans.list_plans": A.LOGGED_IN,  # the plans the user may read, none for another delregion
    "plans.show_plan": A.READ,
    "plans.show_indicator": A.READ,
    "plans.report": A.READ,
    "plans.report_file": A.READ,
    # The report as a job: ordered by the plan's readers; its pages and file the orderer's
    # (the seeded one the administrator's) while they may read the plan.
    "plans.start_report_job": A.READ,
    "plans.report_job_page": A.ORDERER,
    "plans.report_job_status": A.ORDERER,
    "plans.download_report_job": A.ORDERER,
    "plans.side_by_side": A.READ,  # the indicator in every plan the user may read
    "plans.record": A.MANAGE,
    "plans.analysis": A.MANAGE,
    "plans.import_file": A.MANAGE,
    "plans.template": A.MANAGE,
    # Lokal samverkan: a reader sees the plans but never the contact (name, e-mail, link).
    "local_collaboration.overview_page": A.LOGGED_IN,  # the groups of the user's delregion
    "local_collaboration.group_plan_page": A.READ,
    "local_collaboration.group_history": A.READ,
    "local_collaboration.overview_export": A.MANAGE,  # names the contacts
    "local_collaboration.group_export": A.MANAGE,
    "local_collaboration.group_post": A.MANAGE,
    "local_collaboration.contact_form": A.MANAGE,
    "local_collaboration.contact_change": A.MANAGE,
    "local_collaboration.send_link": A.MANAGE,
    "local_collaboration.revoke_link_page": A.MANAGE,
    "local_collaboration.new_group_form": A.PROCESS_LEADER,  # a group in their own delregion
    "local_collaboration.new_group": A.PROCESS_LEADER,
    "rounds.new_round": A.PROCESS_LEADER,
    "audit.log": A.PROCESS_LEADER,
    "accounts.users": A.ADMIN,
    "accounts.create_user": A.ADMIN,
    "accounts.edit_user": A.ADMIN,
    "accounts.reset_password": A.ADMIN,
    "accounts.deactivate": A.ADMIN,
    "accounts.reactivate": A.ADMIN,
}

# Who may pass each kind of access (besides the public).
ALLOWED: dict[Access, set[str]] = {
    A.LOGGED_IN: {"reader_nv", "leader_nv", "leader_no", "admin"},
    A.READ: {"reader_nv", "leader_nv", "admin"},
    A.MANAGE: {"leader_nv", "admin"},
    A.PROCESS_LEADER: {"leader_nv", "leader_no", "admin"},
    A.ADMIN: {"admin"},
    A.ORDERER: {"admin"},
    A.IMPORT_ORDERER: {"admin"},
}
WHO = ("anonymous", "reader_nv", "leader_no", "leader_nv", "admin")
# What names a person in the seeded round: none of it may reach a reader. (Organisations
# are no person: the pseudonymised export keeps them, for the non-respondents' sheet.)
PERSONAL = (HEALTHY_EMAIL, "Anna Andersson", FAILED_EMAIL, "Bo Berg", "cilla@example.se",
            "Cilla Carlsson", GROUP_CONTACT_NAME, GROUP_CONTACT_EMAIL, INVENTORY_PARTICIPANT,
            ANSWERED_EMAIL)  # fmt: skip
# The recipients file template's example rows happen to use the same made-up names.
NO_ROUND_DATA = {"rounds.recipients_template"}


@pytest.fixture
def world_app(make_app) -> tuple[Flask, World]:  # type: ignore[no-untyped-def]
    # Mail kept in the outbox, so that the message page exists at all.
    app = make_app(SURVEY_MAIL_DELIVERY="outbox")
    return app, seed_world(app)


def clients(app: Flask, world: World) -> dict[str, FlaskClient]:
    cast = world.cast
    emails = {
        "anonymous": None,
        "reader_nv": cast.reader_nv.email,
        "leader_no": cast.leader_no.email,
        "leader_nv": cast.leader_nv.email,
        "admin": cast.admin.email,
    }
    return {who: client_of(app, email) for who, email in emails.items()}


def test_it_has_a_role_for_every_route(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - ROLE_TABLE.keys())
    assert not missing, f"add these endpoints to ROLE_TABLE (and docs/security.md): {missing}"
    assert not ROLE_TABLE.keys() - endpoints, "ROLE_TABLE names endpoints that are gone"


def refused(status: int, who: str) -> bool:
    """A refusal: the login page for a visitor, 403 for the wrong role, 404 out of scope."""
    return status in ({302} if who == "anonymous" else {403, 404})


def guarded_rules(app: Flask, method: str) -> list[Rule]:
    return [
        rule
        for rule in rules_with(app, method)
        if ROLE_TABLE[rule.endpoint] not in {A.PUBLIC, A.LINK}
    ]


def test_it_opens_every_page_only_to_the_roles_of_the_table(world_app: tuple[Flask, World]) -> None:
    app, world = world_app
    by_who = clients(app, world)
    wrong: list[str] = []
    for rule in guarded_rules(app, "GET"):
        url = url_for_rule(app, rule, world)
        allowed_to = ALLOWED[ROLE_TABLE[rule.endpoint]]
        for who in WHO:
            response = by_who[who].get(url)
            status = response.status_code
            if who in allowed_to:
                if status not in {200, 302}:
                    wrong.append(f"{who} GET {url}: {status}, should be allowed")
            elif not refused(status, who):
                wrong.append(f"{who} GET {url}: {status}, should be refused")
            if who == "reader_nv" and status == 200 and rule.endpoint not in NO_ROUND_DATA:
                body = response.get_data()
                if (response.mimetype or "").endswith("sheet"):
                    with zipfile.ZipFile(io.BytesIO(body)) as workbook:
                        body = b"".join(workbook.read(name) for name in workbook.namelist())
                text = body.decode("utf-8", "replace")
                wrong += [f"reader GET {url} shows {personal!r}" for personal in PERSONAL
                          if personal in text]  # fmt: skip
    assert not wrong, "\n".join(wrong)


def test_it_refuses_every_guarded_post_to_the_roles_outside_the_table(
    world_app: tuple[Flask, World],
) -> None:
    # Only refusals are posted (an allowed post would change the world for the next one);
    # test_security_csrf.py carries out every post with a user who may.
    app, world = world_app
    by_who = clients(app, world)
    wrong: list[str] = []
    for rule in guarded_rules(app, "POST"):
        url = url_for_rule(app, rule, world)
        allowed_to = ALLOWED[ROLE_TABLE[rule.endpoint]]
        for who in WHO:
            if who in allowed_to:
                continue
            status = by_who[who].post(url, data={}).status_code
            if not refused(status, who):
                wrong.append(f"{who} POST {url}: {status}, should be refused")
    assert not wrong, "\n".join(wrong)


def test_it_gives_the_identifying_export_only_to_those_who_manage_the_round(
    world_app: tuple[Flask, World],
) -> None:
    app, world = world_app
    by_who = clients(app, world)
    url = f"/omgangar/{world.round_id}/export.xlsx?identifierande=1"
    assert by_who["reader_nv"].get(url).status_code == 403
    assert by_who["leader_no"].get(url).status_code == 404
    assert by_who["leader_nv"].get(url).status_code == 200
    assert by_who["admin"].get(url).status_code == 200
    # Ordered as a job from the web: the same rule.
    order = f"/omgangar/{world.round_id}/export"
    assert by_who["reader_nv"].post(order, data={"identifierande": "1"}).status_code == 403
    assert by_who["leader_no"].post(order, data={"identifierande": "1"}).status_code == 404
    assert by_who["leader_nv"].post(order, data={"identifierande": "1"}).status_code == 302


def test_it_shows_a_reader_the_round_counts_but_nobody_who_was_asked(
    world_app: tuple[Flask, World],
) -> None:
    app, world = world_app
    by_who = clients(app, world)
    reader_page = by_who["reader_nv"].get(f"/omgangar/{world.round_id}").get_data(as_text=True)
    leader_page = by_who["leader_nv"].get(f"/omgangar/{world.round_id}").get_data(as_text=True)
    assert "Svar per organisationstyp" in reader_page
    assert "avidentifierade exporten" in reader_page
    assert HEALTHY_EMAIL in leader_page and HEALTHY_EMAIL not in reader_page
    assert f"/omgangar/{world.round_id}/utskick" not in reader_page
