"""Pages to copy a round into next year's and to delete a draft never sent."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from wtforms import BooleanField, StringField

from survey.db import db, utcnow
from survey.rounds.access import round_view
from survey.rounds.copying import copy_round, delete_draft_round, deletion_refusal
from survey.rounds.forms import _date_field, _time_field, parse_date, parse_moment
from survey.rounds.pages import (
    CONCURRENT_CHANGE,
    acting_user,
    bp,
    error_pairs,
    page_context,
    round_url,
)
from survey.rounds.settings import RoundError, RoundSettingsInvalid
from survey.schema.rounds import Round

FIELD_OF = {"opens_at": "opens_date", "closes_at": "closes_date"}


class CopyRoundForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF has no type hints
    title = StringField("Titel på den nya omgången", description="Till exempel Årlig enkät 2026.")
    reference_date = _date_field("Referensdatum", "Det datum svaren beskriver.")
    opens_date = _date_field("Öppnar, datum")
    opens_time = _time_field("Öppnar, klockslag")
    closes_date = _date_field("Stänger, datum")
    closes_time = _time_field("Stänger, klockslag")
    with_recipients = BooleanField("Ta med mottagarna", default=True)


@bp.route("/omgangar/<int:round_id>/kopiera", methods=["GET", "POST"])
@round_view(manage=True)
def copy(round_: Round) -> ResponseReturnValue:
    form = CopyRoundForm()
    if request.method == "GET":
        form.title.data = f"{round_.title} (kopia)"
        form.opens_time.data = "08:00"
        form.closes_time.data = "23:59"
        form.with_recipients.data = True
    else:
        problems: dict[str, str] = {}
        reference = parse_date(form.reference_date.data, "reference_date", problems)
        opens_at = parse_moment(form, "opens", problems)
        closes_at = parse_moment(form, "closes", problems)
        if not problems:
            try:
                created = copy_round(
                    round_,
                    title=form.title.data or "",
                    reference_date=reference,
                    opens_at=opens_at,
                    closes_at=closes_at,
                    with_recipients=bool(form.with_recipients.data),
                    actor=acting_user(),
                    now=utcnow(),
                )
                db.session.commit()
            except RoundSettingsInvalid as error:
                db.session.rollback()
                for problem in error.problems:
                    problems.setdefault(FIELD_OF.get(problem.field, problem.field), problem.swedish)
            except (RoundError, StaleDataError) as error:
                db.session.rollback()
                flash(
                    error.swedish if isinstance(error, RoundError) else CONCURRENT_CHANGE, "error"
                )
                return redirect(round_url(round_))
            else:
                flash(
                    f"Omgången ”{created.title}” är skapad som utkast, kopierad från "
                    f"”{round_.title}”. Kontrollera texterna och mottagarna.",
                    "success",
                )
                return redirect(round_url(created))
        for name, message in problems.items():
            field = getattr(form, name, None) or form.title
            field.errors = [message]
    return render_template(
        "rounds/copy.html", round=round_, form=form, errors=error_pairs(form), **page_context()
    )


@bp.route("/omgangar/<int:round_id>/ta-bort", methods=["GET", "POST"])
@round_view(manage=True)
def delete(round_: Round) -> ResponseReturnValue:
    refusal = deletion_refusal(round_)
    if refusal:
        flash(refusal, "error")
        return redirect(round_url(round_))
    if request.method == "GET":
        return render_template("rounds/delete.html", round=round_, **page_context())
    title = round_.title
    try:
        delete_draft_round(round_, actor=acting_user())
        db.session.commit()
    except RoundError as error:
        db.session.rollback()
        flash(error.swedish, "error")
        return redirect(round_url(round_))
    except StaleDataError:
        db.session.rollback()
        flash(CONCURRENT_CHANGE, "error")
        return redirect(round_url(round_))
    flash(f"Utkastet ”{title}” är borttaget.", "success")
    return redirect(url_for("rounds.list_rounds"))
