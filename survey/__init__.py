"""Survey engine for Swedish collaborative health care: questionnaires, rounds, results."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask


def create_app(config: str | Mapping[str, Any] | None = None) -> Flask:
    """Assemble the application: settings, extensions, infrastructure, pages, menu, commands.

    `config` is the name of a configuration ("development", "testing", "production"),
    a mapping of settings applied on top of the configuration named by its
    ``SURVEY_ENV`` key (or the environment), or None for the environment's choice.
    """
    # config imports survey.errors, so it is read here rather than when survey is imported.
    from config import PROJECT_ROOT, load_settings
    from survey import pages, security
    from survey.accounts import commands as account_commands
    from survey.accounts import views as account_pages
    from survey.accounts.permissions import main_menu, register_menu_item
    from survey.accounts.sessions import init_login
    from survey.answering import autosave as _autosave  # noqa: F401  (its route)
    from survey.answering import recipient_answers as _answers  # noqa: F401  (its route)
    from survey.answering import respondent
    from survey.answering import views as preview_pages
    from survey.audit_pages import views as audit_pages
    from survey.database import init_database
    from survey.datespans import keep_dates_whole
    from survey.db import db
    from survey.demo import demo_cli
    from survey.export import job_pages as export_job_pages
    from survey.export import non_respondent_list as _non_respondents  # noqa: F401  (its route)
    from survey.export import views as export_pages
    from survey.export.commands import export_command
    from survey.export.jobs import EXPORT_JOB_KIND
    from survey.extensions import csrf, mail
    from survey.jobs.cli import worker_command
    from survey.jobs.registry import register_job_kind
    from survey.local_collaboration import contact_pages, leader_pages  # noqa: F401  (routes)
    from survey.local_collaboration.commands import group_cli
    from survey.local_collaboration.links import GROUP_LINK_MARKER, live_group_links
    from survey.local_collaboration.pages import bp as local_collaboration_blueprint
    from survey.logredact import DEFAULT_LOGGERS, install_log_redaction
    from survey.mail.cli import outbox_cli
    from survey.mail.send_time_fields import (
        register_send_time_field,
        register_send_time_message_field,
    )
    from survey.mail.settings import check_mail_settings
    from survey.plans import pages as plan_pages
    from survey.plans import report_job_pages as _report_jobs  # noqa: F401  (routes)
    from survey.plans.commands import plan_cli
    from survey.plans.report_jobs import PLAN_REPORT_JOB_KIND
    from survey.privacy.commands import privacy_cli
    from survey.proxies import trust_proxies
    from survey.questionnaires.commands import questionnaire_cli
    from survey.responses import import_views as import_pages
    from survey.responses.import_jobs import IMPORT_JOB_KIND
    from survey.results import inventory_pages  # noqa: F401  (routes on the results blueprint)
    from survey.results import views as results_pages
    from survey.results.commands import import_responses_command, results_command
    from survey.rounds import (  # noqa: F401  (routes)
        copy_pages,
        outbox_pages,
        recipient_pages,
        round_pages,
        sending_pages,
    )
    from survey.rounds.answers_version import track_answer_changes
    from survey.rounds.commands import round_cli
    from survey.rounds.links import live_links
    from survey.rounds.pages import bp as round_blueprint
    from survey.rounds.tokens import LINK_MARKER
    from survey.schema.accounts import Role
    from survey.ticks import tick_command
    from survey.upload_limits import allow_larger_upload

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(Path(__file__).parent / "static"),
    )

    # Settings: the named configuration, then the caller's overrides.
    overrides: Mapping[str, Any] = {}
    name: str | None
    if isinstance(config, Mapping):
        overrides = config
        name = overrides.get("SURVEY_ENV")
    else:
        name = config
    app.config.from_mapping(load_settings(name, Path(app.instance_path)))
    app.config.from_mapping(overrides)
    check_mail_settings(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    # Extensions.
    init_database(app)
    # Every change to a round's answers bumps its answers version (cached results' key).
    track_answer_changes(db.session)
    csrf.init_app(app)
    init_login(app)
    mail.init_app(app)

    # Infrastructure: proxies in front, security headers, personal links out of the logs.
    trust_proxies(app)
    security.protect(app)
    install_log_redaction((*DEFAULT_LOGGERS, app.logger.name))

    # Pages. `<int:…>` matches row ids only; set before any route is added. The rounds
    # blueprint carries the routes of round_pages, recipient_pages and outbox_pages, which
    # each add theirs to it when imported above.
    app.url_map.converters["int"] = pages.RowIdConverter
    for blueprint in (
        pages.bp,
        account_pages.bp,
        round_blueprint,
        respondent.bp,
        preview_pages.bp,
        results_pages.bp,
        import_pages.bp,
        export_pages.bp,
        export_job_pages.bp,
        audit_pages.bp,
        plan_pages.bp,
        local_collaboration_blueprint,
    ):
        app.register_blueprint(blueprint)
    pages.register_error_pages(app)
    # Answers files may be larger than other uploads: a job checks and imports them.
    allow_larger_upload(app, "response_import.import_page", "SURVEY_MAX_IMPORT_MB")
    # If the database is down when answers are posted, the 503 page keeps them to post again.
    pages.keep_posted_fields_on_outage(app, "respond.post_answers", respondent.kept_fields)

    # The main menu: lower order first; the first landing item is where a user lands.
    app.add_template_global(main_menu, "main_menu")
    app.add_template_filter(keep_dates_whole, "dates_whole")
    register_menu_item(
        app, "rounds.list_rounds", "Omgångar", [Role.PROCESS_LEADER, Role.READER], order=10
    )
    register_menu_item(
        app, "plans.list_plans", "Planer", [Role.PROCESS_LEADER, Role.READER, Role.ADMIN], order=20
    )
    register_menu_item(
        app, "local_collaboration.overview_page", "Lokal samverkan",
        [Role.PROCESS_LEADER, Role.READER], order=25,
    )  # fmt: skip
    register_menu_item(app, "audit.log", "Logg", [Role.PROCESS_LEADER], order=700, landing=False)
    register_menu_item(app, "accounts.users", "Användare", [Role.ADMIN], order=800)
    register_menu_item(
        app, "accounts.change_password", "Byt lösenord", list(Role), order=900, landing=False
    )

    # Mail: the personal link is put into each message as it is sent, never stored in it.
    register_send_time_field(app, LINK_MARKER, live_links)
    register_send_time_message_field(app, GROUP_LINK_MARKER, live_group_links)

    # Jobs: the kinds of long work a worker (`survey worker`) runs; see survey/jobs/registry.py.
    register_job_kind(app, EXPORT_JOB_KIND)
    register_job_kind(app, IMPORT_JOB_KIND)
    register_job_kind(app, PLAN_REPORT_JOB_KIND)

    # Commands: `survey <group> …`.
    for command in (results_command, import_responses_command, export_command):
        round_cli.add_command(command)
    for group in (
        account_commands.user_cli,
        demo_cli,
        questionnaire_cli,
        plan_cli,
        round_cli,
        outbox_cli,
        privacy_cli,
        group_cli,
        tick_command,
        worker_command,
    ):
        app.cli.add_command(group)
    return app
