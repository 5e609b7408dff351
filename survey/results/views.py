"""The results pages of a round: indicators, response rates, trend, breakdowns and free text.

Process leaders and readers of the round's delregion and administrators may read them;
for anyone else the round does not exist (404). Every page takes the same filter (GET
parameters ``organisationstyp`` and ``kommun``) and works without JavaScript.
"""

from __future__ import annotations

from typing import Any, Final

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user

from survey.organisations import ORGANISATION_TYPE_LABELS, OrganisationType
from survey.paging import requested_page
from survey.questionnaires.answers import shorten
from survey.questionnaires.model import Measure
from survey.questionnaires.storage import questionnaire_of
from survey.results import formatting as fmt
from survey.results import report
from survey.results.cache import cached
from survey.results.frame import load_recipients_frame, load_responses_frame
from survey.results.freetext import FreeTextAnswers
from survey.results.freetext_pages import free_text_page
from survey.results.report import (
    GROUPINGS,
    KOMMUN_PARAMETER,
    TYPE_PARAMETER,
    ResultsFilter,
    build_breakdown,
    build_round_report,
    collate_answers,
    parse_results_filter,
    round_kommuner,
)
from survey.results.summary import summarise_questions
from survey.rounds.access import can_manage_round, round_view
from survey.schema.rounds import Round

bp = Blueprint("results", __name__)

# The round pages belong to the rounds part (linked only when it is registered).
ROUND_PAGE_ENDPOINT: Final = "rounds.show_round"
ROUNDS_LIST_ENDPOINT: Final = "rounds.list_rounds"


def round_page_url(round_id: int) -> str | None:
    """The URL of the round's own page, when the rounds part has one."""
    if ROUND_PAGE_ENDPOINT in current_app.view_functions:
        return url_for(ROUND_PAGE_ENDPOINT, round_id=round_id)
    return None


def rounds_list_url() -> str | None:
    """The URL of the list of rounds, when the rounds part has one."""
    if ROUNDS_LIST_ENDPOINT in current_app.view_functions:
        return url_for(ROUNDS_LIST_ENDPOINT)
    return None


def min_responses() -> int:
    return int(current_app.config["SURVEY_MIN_RESPONSES"])


@bp.context_processor
def formatting() -> dict[str, Any]:
    """The Swedish number formatting and the bar geometry, for the results templates."""
    return {
        "format_value": fmt.format_value,
        "format_target_value": fmt.format_target_value,
        "format_target_date": fmt.format_target_date,
        "format_change": fmt.format_change,
        "format_percent": fmt.format_percent,
        "status_class": fmt.status_class,
        "target_sentence": fmt.target_sentence,
        "bounds_text": fmt.bounds_text,
        "goal_text": fmt.goal_text,
        "format_share": fmt.format_share,
        "format_number_value": fmt.format_number_value,
        "bar_for": report.bar_for,
        "sparkline_for": report.sparkline_for,
        "BAR_WIDTH": report.BAR_WIDTH,
        "BAR_HEIGHT": report.BAR_HEIGHT,
        "SPARK_BAR_WIDTH": report.SPARK_BAR_WIDTH,
        "NO_VALUE": fmt.NO_VALUE,
        "round_page_url": round_page_url,
        "rounds_list_url": rounds_list_url,
        "svg_id": svg_id,
        "shorten": shorten,
    }


def svg_id(prefix: str, indicator_id: str) -> str:
    """An HTML id made from an indicator id ("1a.1b" → "bar-1a-1b")."""
    return prefix + "-" + "".join(ch if ch.isalnum() else "-" for ch in indicator_id)


def read_filter(round_: Round) -> tuple[ResultsFilter, list[str], list[str]]:
    """The page's filter from the query string, the notices about it, and the kommuner offered."""
    kommuner = round_kommuner(round_.id)
    results_filter, notices = parse_results_filter(request.args, kommuner)
    return results_filter, notices, kommuner


def common_context(
    round_: Round, results_filter: ResultsFilter, kommuner: list[str]
) -> dict[str, Any]:
    return {
        "round": round_,
        "questionnaire": questionnaire_of(round_.questionnaire_version),
        "results_filter": results_filter,
        "filter_query": results_filter.query(),
        "kommuner": kommuner,
        "organisation_types": [
            (str(kind), ORGANISATION_TYPE_LABELS[kind]) for kind in OrganisationType
        ],
        "type_parameter": TYPE_PARAMETER,
        "kommun_parameter": KOMMUN_PARAMETER,
        "can_manage": can_manage_round(current_user, round_),
        "groupings": list(GROUPINGS),
    }


@bp.get("/omgangar/<int:round_id>/resultat")
@round_view()
def round_results(round_: Round) -> str:
    """The round's results: response rate, indicators against targets, trend."""
    results_filter, notices, kommuner = read_filter(round_)
    built = build_round_report(round_, results_filter, min_responses=min_responses())
    scored = [result for result in built.results if result.indicator.measure is not Measure.NONE]
    collated = None
    if not scored:
        collated = collate_answers(built.questionnaire, built.responses)
    return render_template(
        "results/round.html",
        report=built,
        scored=scored,
        collated=collated,
        notices=notices,
        **common_context(round_, results_filter, kommuner),
    )


@bp.get("/omgangar/<int:round_id>/resultat/fritext")
@round_view()
def free_text(round_: Round) -> str:
    """The free-text (and week or date) answers of one question, with who gave them, paged."""
    results_filter, notices, kommuner = read_filter(round_)
    questionnaire = questionnaire_of(round_.questionnaire_version)

    def collate() -> tuple[list[FreeTextAnswers], int]:
        responses = results_filter.apply(load_responses_frame(round_.id, questionnaire))
        return collate_answers(questionnaire, responses), len(responses)

    filter_key = tuple(sorted(results_filter.query().items()))
    collated, answered = cached([round_.id], "free_text", filter_key, collate)
    shown = free_text_page(
        collated,
        question_id=request.args.get("fraga"),
        search=request.args.get("sok"),
        page=requested_page(request.args.get("sida")),
    )
    return render_template(
        "results/free_text.html",
        shown=shown,
        answered=answered,
        notices=notices,
        **common_context(round_, results_filter, kommuner),
    )


@bp.get("/omgangar/<int:round_id>/resultat/fragor")
@round_view()
def question_summary(round_: Round) -> str:
    """Every question summarised: counts and shares, numbers, free text (filterable)."""
    results_filter, notices, kommuner = read_filter(round_)
    questionnaire = questionnaire_of(round_.questionnaire_version)
    responses = results_filter.apply(load_responses_frame(round_.id, questionnaire))
    recipients = results_filter.apply(load_recipients_frame(round_.id))
    return render_template(
        "results/summary.html",
        summaries=summarise_questions(questionnaire, responses, recipients),
        answered=len(responses),
        invited=len(recipients),
        notices=notices,
        **common_context(round_, results_filter, kommuner),
    )


@bp.get("/omgangar/<int:round_id>/resultat/fordelning")
@round_view()
def breakdown(round_: Round) -> str:
    """Every indicator per organisation type, kommun or delregion (``?per=``)."""
    results_filter, notices, kommuner = read_filter(round_)
    per = request.args.get("per", "organisationstyp")
    if per not in GROUPINGS:
        abort(404)
    table = build_breakdown(round_, results_filter, GROUPINGS[per], min_responses=min_responses())
    return render_template(
        "results/breakdown.html",
        table=table,
        per=per,
        notices=notices,
        **common_context(round_, results_filter, kommuner),
    )
