"""The process leader's pages: the overview, each group's plan, link and contact, exports.

Readers of the delregion see the overview and the plans; process leaders of the delregion
and administrators also edit, send and revoke links, change the contact and export.
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey.accounts.permissions import active_account, login_required, role_required
from survey.audit.recording import record_audit
from survey.db import db, utcnow
from survey.errors import ErrorCode
from survey.local_collaboration import checking
from survey.local_collaboration.checking import Refused
from survey.local_collaboration.groups import (
    GroupError,
    can_manage_group,
    change_contact,
    create_group,
    group_view,
    revoke_link,
    visible_groups,
)
from survey.local_collaboration.links import issue_group_link
from survey.local_collaboration.mailing import queue_link
from survey.local_collaboration.overview import group_plan, overview
from survey.local_collaboration.pages import (
    PlanPage,
    bp,
    handle_plan_post,
    render_history,
    render_plan,
    today_local,
)
from survey.local_collaboration.plan import Editor
from survey.local_collaboration.vocabulary import MATURITY_LEVELS, STEP_LABELS
from survey.local_collaboration.workbook import XLSX_MIMETYPE, overview_workbook, plan_workbook
from survey.localtime import format_local
from survey.organisations import DELREGIONS, SKANE_KOMMUNER, delregion_label
from survey.schema.accounts import Role
from survey.schema.local_collaboration import LocalGroup


def leader_page(group: LocalGroup) -> PlanPage:
    return PlanPage(
        post_url=url_for("local_collaboration.group_post", group_id=group.id),
        history_url=url_for("local_collaboration.group_history", group_id=group.id),
        export_url=url_for("local_collaboration.group_export", group_id=group.id),
        can_edit=can_manage_group(current_user, group),
        as_contact=False,
    )


def _delregion_filter() -> str | None:
    wanted = request.args.get("delregion") or None
    if wanted is not None and wanted not in DELREGIONS:
        return None
    return wanted


@bp.get("/samverkan")
@login_required
def overview_page() -> ResponseReturnValue:
    """Every group of the delregion: step, maturity, actions open and overdue, last update."""
    account = active_account(current_user)
    if account is None:
        abort(403)
    delregion = _delregion_filter() if account.is_admin else None
    groups = list(db.session.scalars(visible_groups(current_user, delregion)))
    return render_template(
        "local_collaboration/overview.html",
        rows=overview(groups, today_local()),
        delregion=delregion,
        delregions=DELREGIONS,
        is_admin=account.is_admin,
        step_labels=STEP_LABELS,
        maturity_levels=MATURITY_LEVELS,
        format_local=format_local,
        delregion_label=delregion_label,
        can_manage=any(can_manage_group(current_user, g) for g in groups),
        can_create=account.is_admin or account.role == Role.PROCESS_LEADER,
    )


# Which form field a refused creation belongs to.
NO_CONTACT = (
    "Gruppen har ingen kontaktperson: uppgifterna är raderade på begäran. "
    "Ange en ny kontaktperson under Byt kontaktperson, så skickas länken till hen."
)
_GROUP_ERROR_FIELDS = {
    ErrorCode.GROUP_NOT_A_KOMMUN: "kommun",
    ErrorCode.GROUP_EXISTS: "kommun",
    ErrorCode.GROUP_NOT_A_DELREGION: "delregion",
}


def _render_new_group(errors: list[tuple[str, str]], posted: Mapping[str, str]) -> str:
    account = active_account(current_user)
    return render_template(
        "local_collaboration/new_group.html",
        errors=errors,
        posted=posted,
        kommuner=SKANE_KOMMUNER,
        delregions=DELREGIONS,
        is_admin=account is not None and account.is_admin,
    )


@bp.get("/samverkan/ny")
@role_required(Role.PROCESS_LEADER)
def new_group_form() -> ResponseReturnValue:
    """The form for a new lokal samverkan, in the leader's delregion."""
    return _render_new_group([], {})


@bp.post("/samverkan/ny")
@role_required(Role.PROCESS_LEADER)
def new_group() -> ResponseReturnValue:
    """Create a kommun's lokal samverkan (and, when asked, queue its link) or show the errors."""
    account = active_account(current_user)
    assert account is not None  # role_required let only active accounts in
    form = request.form
    errors: list[tuple[str, str]] = []
    kommun = (form.get("kommun") or "").strip()
    if not kommun:
        errors.append(("kommun", "Välj en kommun."))
    delregion = (form.get("delregion") or "").strip() if account.is_admin else account.delregion
    if account.is_admin and not delregion:
        errors.append(("delregion", "Välj en delregion."))
    elif not delregion:
        errors.append(
            ("kommun", "Ditt konto hör inte till någon delregion. Be en administratör om hjälp.")
        )
    try:
        contact_name, contact_email = checking.check_contact(form)
    except Refused as refused:
        errors += [(problem.field, problem.message) for problem in refused.problems]
    if not errors:
        try:
            group = create_group(
                kommun=kommun,
                delregion=delregion or "",
                contact_name=contact_name,
                contact_email=contact_email,
                name=(form.get("namn") or "").strip()[: checking.MAX_SHORT] or None,
                user=account,
            )
        except GroupError as error:
            errors.append((_GROUP_ERROR_FIELDS.get(error.code, "kommun"), error.swedish))
    if errors:
        db.session.rollback()
        return _render_new_group(errors, form), 422
    sent = form.get("skicka_lank") == "ja"
    if sent:
        issue_group_link(group)
        queue_link(group, utcnow())
        record_audit(
            "local_group.link_send",
            f"Skickade en ny länk till {group.name}.",
            delregion=group.delregion,
            details={"group_id": group.id, "generation": group.token_generation},
        )
    db.session.commit()
    link = f" Länken skickas till {group.contact_email}." if sent else ""
    flash(f"{group.name} är skapad.{link}", "success")
    return redirect(url_for("local_collaboration.group_plan_page", group_id=group.id), 303)


@bp.get("/samverkan/oversikt.xlsx")
@login_required
def overview_export() -> ResponseReturnValue:
    """The overview and every group's plan as one Excel workbook."""
    account = active_account(current_user)
    if account is None:
        abort(403)
    delregion = _delregion_filter() if account.is_admin else None
    groups = [
        g
        for g in db.session.scalars(visible_groups(current_user, delregion))
        if can_manage_group(current_user, g)
    ]
    if not groups and not account.is_admin:
        abort(403)
    data = overview_workbook(overview(groups, today_local()), [group_plan(g) for g in groups])
    return _audited_workbook(
        data,
        f"lokal-samverkan-{utcnow():%Y-%m-%d}.xlsx",
        f"Exporterade översikten över {len(groups)} lokala samverkansgrupper.",
        delregion=account.delregion,
        details={"group_ids": [g.id for g in groups]},
    )


def _audited_workbook(
    data: BytesIO, filename: str, summary: str, *, delregion: str | None, details: dict[str, Any]
) -> ResponseReturnValue:
    """Record the export in the audit log, commit, and send the workbook as a download."""
    record_audit("local_group.export", summary, delregion=delregion, details=details)
    db.session.commit()
    return send_file(data, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)


@bp.get("/samverkan/grupper/<int:group_id>/plan")
@group_view()
def group_plan_page(group: LocalGroup) -> ResponseReturnValue:
    """A group's action plan, for the process leader (and, read only, readers)."""
    return render_plan(group, leader_page(group))


@bp.post("/samverkan/grupper/<int:group_id>/plan")
@group_view(manage=True)
def group_post(group: LocalGroup) -> ResponseReturnValue:
    """One part of the plan, posted by the process leader."""
    return handle_plan_post(
        group,
        request.form,
        Editor.of_user(current_user),
        leader_page(group),
        lambda: redirect(url_for("local_collaboration.group_plan_page", group_id=group.id), 303),
    )


@bp.get("/samverkan/grupper/<int:group_id>/historik")
@group_view()
def group_history(group: LocalGroup) -> ResponseReturnValue:
    return render_history(
        group,
        url_for("local_collaboration.group_plan_page", group_id=group.id),
        names_people=can_manage_group(current_user, group),
    )


@bp.get("/samverkan/grupper/<int:group_id>/plan.xlsx")
@group_view(manage=True)
def group_export(group: LocalGroup) -> ResponseReturnValue:
    """The group's plan as an Excel workbook."""
    return _audited_workbook(
        plan_workbook(group_plan(group)),
        f"handlingsplan-{group.kommun}.xlsx",
        f"Exporterade handlingsplanen för {group.name}.",
        delregion=group.delregion,
        details={"group_id": group.id},
    )


@bp.get("/samverkan/grupper/<int:group_id>/kontakt")
@group_view(manage=True)
def contact_form(group: LocalGroup) -> ResponseReturnValue:
    return render_template("local_collaboration/contact.html", group=group, errors=[], posted={})


@bp.post("/samverkan/grupper/<int:group_id>/kontakt")
@group_view(manage=True)
def contact_change(group: LocalGroup) -> ResponseReturnValue:
    """Give the group a new contact; a new person gets a new link by mail."""
    try:
        name, email = checking.check_contact(request.form)
    except Refused as refused:
        errors = [(problem.field, problem.message) for problem in refused.problems]
        page = render_template(
            "local_collaboration/contact.html", group=group, errors=errors, posted=request.form
        )
        return page, 422
    renewed = change_contact(group, name, email, user=current_user)
    if renewed:
        queue_link(group, utcnow())
    db.session.commit()
    flash(
        "Kontaktpersonen är ändrad." + (" En ny länk skickas till hen." if renewed else ""),
        "success",
    )
    return redirect(url_for("local_collaboration.group_plan_page", group_id=group.id), 303)


@bp.post("/samverkan/grupper/<int:group_id>/lank")
@group_view(manage=True)
def send_link(group: LocalGroup) -> ResponseReturnValue:
    """Issue a new link (the old one stops working) and mail it to the contact."""
    if not group.contact_email:
        flash(NO_CONTACT, "error")
        return redirect(url_for("local_collaboration.group_plan_page", group_id=group.id), 303)
    issue_group_link(group)
    queue_link(group, utcnow())
    record_audit(
        "local_group.link_send",
        f"Skickade en ny länk till {group.name}.",
        delregion=group.delregion,
        details={"group_id": group.id, "generation": group.token_generation},
    )
    db.session.commit()
    flash(
        f"En ny länk skickas till {group.contact_email}. Den gamla länken fungerar inte längre.",
        "success",
    )
    return redirect(url_for("local_collaboration.group_plan_page", group_id=group.id), 303)


@bp.post("/samverkan/grupper/<int:group_id>/lank/aterkalla")
@group_view(manage=True)
def revoke_link_page(group: LocalGroup) -> ResponseReturnValue:
    """Stop the group's link from working at once."""
    try:
        revoke_link(group, user=current_user)
    except GroupError as error:
        flash(error.swedish, "error")
        return redirect(url_for("local_collaboration.group_plan_page", group_id=group.id), 303)
    db.session.commit()
    flash("Länken är återkallad och fungerar inte längre.", "success")
    return redirect(url_for("local_collaboration.group_plan_page", group_id=group.id), 303)
