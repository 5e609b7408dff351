"""docs/reliability.md, produced from the test suite's own tables, and a plugin that tallies it.

The report is generated from static data, never from a test run's order, so it is the same
under pytest-xdist and on every database:

* the bad inputs: every row of `tests.bad_inputs.cases.ALL_ROWS`, with the status and
  message its own test (`tests/test_bad_inputs.py::test_it_handles_bad_input[ID]`) asserts;
* the faults and attacks: `FAULTS` and `ATTACKS` below, each naming the tests that prove it.

`tests/test_reliability_report.py` checks that the committed file equals `render()` and that
every test named here exists, so the report cannot go stale or cite a test that is gone.

    python -m tests.reliability_report          # rewrite docs/reliability.md
    python -m tests.reliability_report --check  # exit 1 if it differs (make reliability-report)

As a pytest plugin (registered in tests/conftest.py) it collects what each bad-input test
observed (carried in the report's user_properties, which pytest-xdist sends to the
controller) and prints a one-line tally at the end of the run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPORT_PATH = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"
BAD_INPUT_TEST = "tests/test_bad_inputs.py::test_it_handles_bad_input"
PROPERTY = "reliability"


@dataclass(frozen=True)
class Proven:
    """A fault survived or an attack refused, what happens, and the tests that prove it."""

    what: str
    outcome: str
    tests: tuple[str, ...]


FAULTS: tuple[Proven, ...] = (
    Proven(
        "SMTP server down (connection refused)",
        "Every message stays queued and is retried later; none lost.",
        ("tests/test_mail_worker.py::test_it_keeps_every_message_while_the_server_is_down",),
    ),
    Proven(
        "SMTP server answers 4xx (temporary)",
        "Retried with a growing delay and delivered exactly once; "
        "failed after the maximum attempts.",
        (
            "tests/test_mail_worker.py::test_it_retries_temporary_failures_later_and_delivers_once",
            "tests/test_mail_worker.py::test_it_fails_a_message_after_the_maximum_attempts",
            "tests/test_round_flow_smtp.py::test_it_retries_a_temporary_refusal_and_marks_a_permanent_one",
        ),
    ),
    Proven(
        "SMTP server answers 5xx (permanent)",
        "That message is marked failed at once; the rest of the batch is sent.",
        ("tests/test_mail_worker.py::test_it_fails_permanent_errors_at_once_and_sends_the_rest",),
    ),
    Proven(
        "SMTP connection dropped mid-batch",
        "The rest is delivered later; nothing twice. A message whose reply was lost is marked "
        "uncertain and never resent without a person's decision.",
        (
            "tests/test_mail_worker.py::test_it_delivers_the_rest_later_when_the_connection_drops_mid_batch",
            "tests/test_mail_worker.py::test_it_never_resends_a_message_whose_reply_was_lost",
        ),
    ),
    Proven(
        "Mail worker killed mid-batch, then restarted",
        "Each message delivered exactly once; claims of a dead worker are reclaimed.",
        (
            "tests/test_mail_worker_processes.py::test_it_delivers_each_message_once_when_a_worker_is_killed_mid_send",
            "tests/test_mail_worker.py::test_it_reclaims_messages_a_dead_worker_claimed_but_never_sent",
        ),
    ),
    Proven(
        "Two mail workers at once",
        "Each message delivered exactly once (claims are conditional "
        "updates checked by row count).",
        (
            "tests/test_mail_worker_processes.py::test_it_delivers_each_message_once_with_two_workers_at_once",
            "tests/test_mail_worker.py::test_it_never_hands_over_a_message_another_worker_took_from_it",
        ),
    ),
    Proven(
        "Database unavailable while a respondent posts (PostgreSQL: connections ended and "
        "refused; SQLite: write lock held past the busy timeout)",
        "503 with Retry-After and the Swedish page “Tjänsten kunde inte nå sin databas”; the "
        "typed answers come back in the page's form, and pressing its button after the outage "
        "saves them. No menu (it would need the database), no 500, no error logged.",
        (
            "tests/test_database_faults.py::test_it_keeps_the_typed_answers_through_a_database_outage",
            "tests/test_database_faults.py::test_it_shows_a_logged_in_process_leader_the_503_page_without_the_menu",
            "tests/test_database_faults.py::test_it_would_answer_500_without_the_database_unavailable_handler",
        ),
    ),
    Proven(
        "Database connections ended between two requests (server restart)",
        "Unnoticed: the pool tests each connection before use and replaces dead ones.",
        (
            "tests/test_database_faults.py::test_it_replaces_connections_the_server_ended_between_requests",
        ),
    ),
    Proven(
        "The same response submitted from two tabs at once",
        "Submissions numbered 1 and 2, the second tab waits for the first; a conflict keeps the "
        "typed answers on the page. No duplicate response (unique recipient, version column).",
        (
            "tests/test_response_service.py::test_it_numbers_two_tabs_submitting_at_once_1_and_2",
            "tests/test_response_service.py::test_it_makes_the_second_tab_wait_for_the_first",
            "tests/test_response_service.py::test_it_turns_a_concurrent_first_submission_into_an_amendment",
            "tests/test_respondent_pages.py::test_it_keeps_the_answers_when_another_window_changed_them_at_the_same_moment",
        ),
    ),
    Proven(
        "A submission racing the round's closing",
        "Either committed before the close and counted, or refused after it; never half. The "
        "close is stamped once it holds the round's lock, so no accepted answer is stamped "
        "later than the close (a real close over HTTP racing a submission).",
        (
            "tests/test_round_close_race.py::test_it_stamps_the_close_after_every_answer_it_let_in",
            "tests/test_response_service.py::test_it_refuses_a_submission_that_waited_for_the_round_to_close",
            "tests/test_response_service.py::test_it_lets_a_submission_under_way_finish_before_the_round_closes",
            "tests/test_response_service.py::test_it_refuses_answers_once_the_closing_is_committed",
        ),
    ),
    Proven(
        "An app server down during a rolling restart, or every one down (the shipped nginx "
        "config in a real nginx)",
        "The request goes to the other server; with none left nginx answers its own Swedish "
        "page (502; 504 when too slow; 413 “Filen är för stor”), without its version. No "
        "personal link, in any of its forms, in the access log or the error log.",
        (
            "tests/test_nginx.py::test_it_keeps_links_out_of_every_log_while_an_app_server_restarts",
            "tests/test_nginx.py::test_it_serves_a_swedish_page_and_logs_no_link_when_every_app_server_is_down",
            "tests/test_nginx.py::test_it_says_in_swedish_that_the_file_is_too_large",
            "tests/test_nginx.py::test_it_says_in_swedish_that_the_app_did_not_answer_in_time",
        ),
    ),
    Proven(
        "A logged-in user's session or form token ended while a form was open (12 hours, a "
        "key rotation, another tab)",
        "The Swedish page keeps what was typed and posts it again with one press, after a "
        "new login if the session had ended; never a password, never for a post from "
        "another site.",
        (
            "tests/test_security_kept_text.py::test_it_keeps_the_typed_text_when_the_token_no_longer_holds",
            "tests/test_security_kept_text.py::test_it_keeps_the_typed_text_across_a_new_login_when_the_session_has_ended",
            "tests/test_security_kept_text_browser.py::test_it_keeps_the_typed_text_over_an_ended_session_and_a_new_login",
        ),
    ),
    Proven(
        "SQLite: 20 respondents × 5 draft saves and a submission at once over HTTP",
        "All 140 requests succeed (no “database is locked”), every draft and submission stored. "
        "WAL and a 15 s busy timeout on every connection; a writer holding the lock is waited "
        "for, and without the busy timeout the same save fails (the test's control).",
        (
            "tests/test_sqlite_concurrency.py::test_it_saves_every_draft_of_twenty_respondents_answering_at_once",
            "tests/test_sqlite_concurrency.py::test_it_runs_sqlite_in_wal_mode_with_a_busy_timeout",
            "tests/test_sqlite_concurrency.py::test_it_waits_for_another_writer_instead_of_failing",
        ),
    ),
    Proven(
        "Settings missing, malformed or weak at start (a boolean that is not one, a number "
        "below its minimum, an unreadable `<NAME>_FILE`, a weak key in production, a bad "
        "sender address)",
        "`survey`, `flask --app survey` and gunicorn stop before doing anything: exit status 1 "
        "and one message naming every bad variable and its fix, no traceback; gunicorn starts "
        "no worker.",
        (
            "tests/test_config_refusals.py::test_it_stops_the_survey_command_with_one_line_naming_the_setting_and_the_fix",
            "tests/test_config_refusals.py::test_it_names_every_bad_setting_at_once",
            "tests/test_config_refusals.py::test_it_stops_gunicorn_before_any_worker_with_one_line",
            "tests/test_config.py::test_it_refuses_every_other_boolean_instead_of_guessing",
        ),
    ),
)

ATTACKS: tuple[Proven, ...] = (
    Proven(
        "CSRF: every POST without a token",
        "Refused (400 page, or the respondent's form shown again "
        "with the answers kept); nothing changed.",
        (
            "tests/test_security_csrf.py::test_it_refuses_every_post_without_a_csrf_token_and_changes_nothing",
            "tests/test_security_csrf.py::test_it_carries_out_the_same_post_with_its_csrf_token",
            "tests/test_respondent_pages.py::test_it_refuses_a_post_without_a_csrf_token_and_keeps_the_answers",
        ),
    ),
    Proven(
        "XSS: script in questionnaire texts, answers, recipient and organisation names",
        "Shown as text on every page, in mail and in Excel exports.",
        (
            "tests/test_security_escaping.py::test_it_shows_text_from_people_as_text_on_the_process_leaders_pages",
            "tests/test_security_escaping.py::test_it_shows_text_from_people_as_text_on_the_respondents_pages",
            "tests/test_security_escaping.py::test_it_sends_mail_as_plain_text_with_the_names_as_written",
            "tests/test_security_escaping.py::test_it_exports_text_from_people_as_text",
            "tests/test_export_safety.py::test_it_never_writes_a_formula_or_a_link",
        ),
    ),
    Proven(
        "Header injection in names, subjects and addresses",
        "Refused before anything is queued; every mail has one recipient.",
        (
            "tests/test_outbox.py::test_it_refuses_header_injection_and_queues_nothing",
            "tests/test_outbox.py::test_it_refuses_anything_but_one_plain_address",
            f"{BAD_INPUT_TEST}[admin-round-reply-to-newline]",
            f"{BAD_INPUT_TEST}[admin-round-title-newline]",
        ),
    ),
    Proven(
        "Open redirect through `next`",
        "Only paths on this site are followed; other sites, `//`, "
        "`/\\`, tabs and javascript: are dropped.",
        (
            "tests/test_accounts_login.py::test_it_accepts_only_paths_on_this_site_as_next",
            "tests/test_accounts_login.py::test_it_redirects_after_login_only_within_the_site",
            f"{BAD_INPUT_TEST}[admin-next-protocol-relative]",
        ),
    ),
    Proven(
        "Guessing personal links",
        "256-bit tokens, only hashes stored, malformed ones never queried; wrong links from one "
        "address are slowed down (429) and all look alike.",
        (
            "tests/test_personal_links.py::test_it_derives_256_bit_tokens_that_differ_per_round_recipient_generation_and_key",
            "tests/test_personal_links.py::test_it_rejects_malformed_tokens_before_any_lookup",
            "tests/test_respondent_pages.py::test_it_slows_down_repeated_wrong_links_from_one_address",
            "tests/test_respondent_pages.py::test_it_answers_every_link_that_does_not_work_with_the_same_page",
        ),
    ),
    Proven(
        "Login brute force",
        "Stopped per account and address and per address, slowed down per account (429 with "
        "the wait in Swedish); the error never reveals whether the account exists.",
        (
            "tests/test_accounts_login.py::test_it_throttles_an_email_after_too_many_failures",
            "tests/test_accounts_login.py::test_it_slows_down_guesses_at_one_account_from_many_addresses",
            "tests/test_accounts_login.py::test_it_throttles_a_client_address_after_four_times_as_many_failures",
            "tests/test_accounts_login.py::test_it_answers_unknown_emails_and_wrong_passwords_alike",
            "tests/test_ratelimit.py::test_it_counts_concurrent_failures_without_losing_or_crashing",
        ),
    ),
    Proven(
        "Locking people out: wrong passwords for someone's email, wrong links from a "
        "hospital's one address",
        "The owner logs in from elsewhere (the account is slowed, never blocked); a valid "
        "link is always let in, even from an address that guessed too often.",
        (
            "tests/test_accounts_login.py::test_it_lets_the_real_user_in_from_elsewhere_while_an_attacker_is_throttled",
            "tests/test_respondent_pages.py::test_it_lets_a_valid_link_in_from_an_address_that_guessed_too_often",
            "tests/test_security_login.py::test_it_throttles_link_guessing_per_address_and_says_nothing_about_the_link",
        ),
    ),
    Proven(
        "Dodging the throttling with a rotating X-Forwarded-For, straight to gunicorn",
        "The forwarded headers count only from SURVEY_PROXY_ADDRESSES; anyone else is "
        "throttled as itself (30 tries: 429 after the limit).",
        (
            "tests/test_proxies.py::test_it_throttles_a_direct_caller_however_it_rotates_x_forwarded_for",
            "tests/test_proxies.py::test_it_drops_every_forwarded_header_from_anyone_else",
            "tests/test_gunicorn.py::test_it_takes_the_client_address_from_the_proxy_only_when_told_to",
        ),
    ),
    Proven(
        "A copied session cookie replayed after logout, deactivation or a new password; a "
        "session kept alive by activity",
        "Refused: the session is held on the server and deleted; it ends at its absolute "
        "lifetime whatever the activity.",
        (
            "tests/test_security_sessions.py::test_it_ends_the_session_on_the_server_at_logout",
            "tests/test_security_sessions.py::test_it_ends_every_session_of_a_user_an_administrator_deactivates",
            "tests/test_security_sessions.py::test_it_ends_the_other_sessions_on_a_password_change_and_keeps_this_one",
            "tests/test_security_sessions.py::test_it_ends_a_session_at_its_absolute_lifetime_however_active",
        ),
    ),
    Proven(
        "A reader opening the pages and downloads that name people",
        "Every route checked against the role table: recipients, outbox, identifying export "
        "and logs 403; the round page shows counts only; nothing a reader may open names a "
        "recipient.",
        (
            "tests/test_security_roles.py::test_it_has_a_role_for_every_route",
            "tests/test_security_roles.py::test_it_opens_every_page_only_to_the_roles_of_the_table",
            "tests/test_security_roles.py::test_it_refuses_every_guarded_post_to_the_roles_outside_the_table",
            "tests/test_security_roles.py::test_it_gives_the_identifying_export_only_to_those_who_manage_the_round",
        ),
    ),
    Proven(
        "Personal links in logs, in mangled forms (`/SVARA/1/…`, `/svara/<token>`, "
        "`/svara/1/%20…`, `/svara/1/<token>/klart`, percent-encoded)",
        "Blanked in every log: the app's, gunicorn's, nginx's access and error logs.",
        (
            "tests/test_respondent_logs.py::test_it_blanks_the_token_of_every_personal_link",
            "tests/test_gunicorn.py::test_it_serves_the_app_and_keeps_links_and_query_strings_out_of_the_access_log",
            "tests/test_nginx.py::test_it_blanks_links_in_the_access_log_as_the_app_does",
        ),
    ),
    Proven(
        "Security headers and weak keys",
        "CSP without inline script, nosniff, frame-ancestors and Referrer-Policy on every page; "
        "production refuses weak or default keys.",
        (
            "tests/test_security_headers.py::test_it_sends_the_security_headers_on_every_get_route",
            "tests/test_config.py::test_it_refuses_weak_secret_keys_in_production",
            "tests/test_personal_links.py::test_it_regenerates_the_live_token_with_a_fallback_key_after_rotation",
        ),
    ),
)

# Rows whose test is also run with the protection removed, to show it would then fail.
# (Kept here, not in the test module, so that the report can say so.)
SABOTAGED_ROWS: frozenset[str] = frozenset(
    {
        "admin-id-overflow",
        "admin-next-protocol-relative",
        "recipients-zip-bomb-ratio",
        "answer-control-characters",
        "size-recipients-upload",
        "token-garbled",
        "recipients-empty-file",
    }
)


def bad_input_node_id(row_id: str) -> str:
    return f"{BAD_INPUT_TEST}[{row_id}]"


def referenced_tests() -> list[str]:
    """Every test node id the report names."""
    from tests.bad_inputs.cases import ALL_ROWS

    named = [test for proven in (*FAULTS, *ATTACKS) for test in proven.tests]
    return named + [bad_input_node_id(row.id) for row in ALL_ROWS]


# -- rendering -----------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Text for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else text


def _proven_table(rows: Sequence[Proven]) -> list[str]:
    lines = ["| What | Outcome | Proven by |", "|---|---|---|"]
    for proven in rows:
        tests = "<br>".join(_code(test) for test in proven.tests)
        lines.append(f"| {_cell(proven.what)} | {_cell(proven.outcome)} | {tests} |")
    return lines


def render() -> str:
    """The Markdown of docs/reliability.md."""
    from tests.bad_inputs.cases import ALL_ROWS, Category

    refused = [row for row in ALL_ROWS if row.outcome == "refused"]
    ignored = [row for row in ALL_ROWS if row.outcome == "ignored"]
    accepted = [row for row in ALL_ROWS if row.outcome == "accepted"]
    lines = [
        "# Reliability: bad inputs, faults and attacks",
        "",
        "<!-- Generated by `python -m tests.reliability_report` from the test suite's tables;",
        "     tests/test_reliability_report.py fails when this file "
        "differs. Do not edit by hand. -->",
        "",
        "Everything below is asserted by a named test. The suite runs twice in CI, on SQLite "
        "and on PostgreSQL, so every row holds on both databases.",
        "",
        f"- **{len(ALL_ROWS)} bad inputs** in {len(Category)} categories: "
        f"{len(refused)} refused with a message and nothing changed, {len(ignored)} where the "
        f"bad part is silently dropped and the rest stored, and {len(accepted)} controls that "
        "must be accepted intact.",
        f"- **{len(FAULTS)} faults** survived and **{len(ATTACKS)} kinds of attack** refused.",
        "",
        "## Bad inputs",
        "",
        "Each row is one test, `" + BAD_INPUT_TEST + "[ID]`. For every row the test asserts:",
        "",
        "- the status (HTTP, or the command's exit code) and that the message appears in what "
        "the person reads (Swedish for users, English for operators at the command line);",
        "- never a 500, and no unhandled exception logged (the app runs with exceptions not "
        "propagated, as in production);",
        "- **refused**: the database is unchanged: the rows of every table hash the same before "
        "and after (`tests/bad_inputs/fingerprint.py::database_fingerprint`). The only "
        "exception is marked in the table: a wrong personal link is counted in "
        "`rate_limit_counters` on purpose (that is what slows down guessing), and the test "
        "asserts that this table, and only it, changed;",
        "- **dropped**: the request succeeds and the stored answers show the bad part is gone;",
        "- **control**: the input is good and is stored exactly as sent (å, ä, ö, emoji).",
        "",
        "The *Protection* column names the code that stops the input; without it the row fails. "
        "Rows marked † are also run with that protection removed, and the test asserts the row "
        "then fails (`tests/test_bad_inputs.py::test_it_fails_a_row_whose_protection_is_removed`).",
        "",
    ]
    outcome_words = {"refused": "refused", "ignored": "dropped", "accepted": "control"}
    for category in Category:
        rows = [row for row in ALL_ROWS if row.category is category]
        lines += [f"### {category.value} ({len(rows)})", ""]
        lines += [
            "| ID | Input | Sent as | Status | Message (fragment) | Outcome | Protection |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in rows:
            outcome = outcome_words[row.outcome]
            if row.counts_in:
                outcome += ", counted in " + ", ".join(
                    f"`{name}`" for name in sorted(row.counts_in)
                )
            message = f"“{_cell(row.message)}”" if row.message else "–"
            marker = " †" if row.id in SABOTAGED_ROWS else ""
            lines.append(
                f"| `{row.id}` | {_cell(row.description)} | {_cell(row.sent)} | "
                f"{row.shown_status} | {message} | {outcome} | {_cell(row.protection)}{marker} |"
            )
        lines.append("")
    lines += ["## Faults survived", ""]
    lines += _proven_table(FAULTS)
    lines += ["", "## Attacks refused", ""]
    lines += _proven_table(ATTACKS)
    lines += [
        "",
        "## Bugs these tests found (and that are fixed)",
        "",
        "- A round, recipient or message id beyond PostgreSQL's `integer` in an address "
        "(`/omgangar/99999999999999999999`) or on the command line was a 500 (PostgreSQL "
        "refuses the query; SQLite's driver raises OverflowError): `<int:…>` routes now "
        "match only ids up to 2³¹−1 (`survey.pages.RowIdConverter`), and the commands and "
        "the round form check the range.",
        "- An empty recipients file said “choose a file”; it now says “Filen är tom.”",
        "- A database outage was a 500 page (and, for a logged-in user, a second error "
        "while drawing the menu); it is now a 503 “try again” page that keeps the "
        "respondent's answers.",
        "- A respondent's too-large form post was called a too-large *file*.",
        "",
        "Found by an outside-style probe (issue 11), each now held by the tests above:",
        "",
        "- Logging out did not end the session: a copied cookie still worked, and kept "
        "refreshing itself. Sessions are now held on the server, with an absolute lifetime.",
        "- Readers saw every recipient's name, address, status and messages on the round, "
        "recipient and outbox pages.",
        "- nginx's error log held personal links when an app server was down (its English "
        "502 page showed its version); mangled forms of a link were in clear in nginx's and "
        "gunicorn's access logs.",
        "- A rotating X-Forwarded-For took a direct caller past every throttle.",
        "- Five wrong passwords locked the real user out for 15 minutes; 20 wrong links "
        "locked out every valid link behind one address.",
        "- Answers could be stamped 1–4 ms after the round's close.",
        "- A process leader's typed text was lost when the session had ended.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    produced = render()
    if args == ["--check"]:
        current = REPORT_PATH.read_text(encoding="utf-8") if REPORT_PATH.exists() else ""
        if current != produced:
            print(f"{REPORT_PATH} is out of date: run python -m tests.reliability_report")
            return 1
        print(f"{REPORT_PATH} is up to date")
        return 0
    if args:
        print("usage: python -m tests.reliability_report [--check]")
        return 2
    REPORT_PATH.write_text(produced, encoding="utf-8")
    print(f"wrote {REPORT_PATH}")
    return 0


# -- the pytest plugin ---------------------------------------------------------------------


def record_outcome(request: pytest.FixtureRequest, row_id: str, status: int, message: str) -> None:
    """Attach a row's observed outcome to its test report (xdist carries it to the controller)."""
    request.node.user_properties.append(
        (PROPERTY, json.dumps({"id": row_id, "status": status, "message": message}))
    )


_observed: dict[str, dict[str, object]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" or not report.passed:
        return
    for name, value in report.user_properties:
        if name == PROPERTY:
            observed = json.loads(str(value))
            _observed[observed["id"]] = observed


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _observed:
        terminalreporter.write_line(
            f"reliability: {len(_observed)} bad inputs behaved as docs/reliability.md says"
        )


if __name__ == "__main__":
    raise SystemExit(main())
