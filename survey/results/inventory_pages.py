"""The Bilaga 1 inventory of one group (or unit) on one printable page, and the list of them.

The list names organisations only and is a results page (`round_view()`): readers and
process leaders of the round's delregion and administrators. One group's inventory may name
its participants (the answer "Vem är med vid inventeringen?"), so it is for those who manage
the round (`round_view(manage=True)`, docs/privacy.md): a reader gets 403, the list shows a
reader no link to it.
"""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from survey.localtime import format_local
from survey.results.inventory import inventory_of, round_inventories
from survey.results.views import bp
from survey.rounds.access import can_manage_round, round_view
from survey.schema.rounds import Round


@bp.get("/omgangar/<int:round_id>/resultat/inventeringar")
@round_view()
def inventories(round_: Round) -> str:
    """Every submitted inventory of the round, each linking to its own page."""
    return render_template(
        "results/inventories.html",
        round=round_,
        entries=round_inventories(round_),
        can_open=can_manage_round(current_user, round_),
        format_local=format_local,
    )


@bp.get("/omgangar/<int:round_id>/resultat/inventeringar/<int:response_id>")
@round_view(manage=True)
def inventory(round_: Round, response_id: int) -> str:
    """One group's whole inventory, section by section, ready to print."""
    found = inventory_of(round_, response_id)
    if found is None:
        abort(404)
    return render_template(
        "results/inventory.html", round=round_, inventory=found, format_local=format_local
    )
