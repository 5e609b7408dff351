"""The Bilaga 1 inventory of one group (or unit) on one printable page, and the list of them.

Same access as every results page (`round_view()`): readers and process leaders of the
round's delregion and administrators; anyone else gets 404.
"""

from __future__ import annotations

from flask import abort, render_template

from survey.localtime import format_local
from survey.results.inventory import inventory_of, round_inventories
from survey.results.views import bp
from survey.rounds.access import round_view
from survey.schema.rounds import Round


@bp.get("/omgangar/<int:round_id>/resultat/inventeringar")
@round_view()
def inventories(round_: Round) -> str:
    """Every submitted inventory of the round, each linking to its own page."""
    return render_template(
        "results/inventories.html",
        round=round_,
        entries=round_inventories(round_),
        format_local=format_local,
    )


@bp.get("/omgangar/<int:round_id>/resultat/inventeringar/<int:response_id>")
@round_view()
def inventory(round_: Round, response_id: int) -> str:
    """One group's whole inventory, section by section, ready to print."""
    found = inventory_of(round_, response_id)
    if found is None:
        abort(404)
    return render_template(
        "results/inventory.html", round=round_, inventory=found, format_local=format_local
    )
