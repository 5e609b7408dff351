"""Shared setup of the plan tests: the shipped NV plan, loaded, and a 2.1 revision of it."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from survey.db import db
from survey.plans.storage import load_plan_text, plan_by_key
from survey.schema.plans import PlanRecord
from tests.factories import Cast, make_cast

PLAN_FILE = Path(__file__).resolve().parents[1] / "plans" / "nv-2.0.yaml"
PLAN_KEY = "nv-aktivitetsplan"


def plan_text() -> str:
    return PLAN_FILE.read_text(encoding="utf-8")


def revision_21() -> str:
    """Version 2.1 in force from 2026-06-01: 1a.3d's target is lowered to 11 % for 2026."""
    text = (
        plan_text()
        .replace('version: "2.0"', 'version: "2.1"')
        .replace("in_force_from: 2024-09-01", "in_force_from: 2026-06-01")
    )
    old = "              - {date: 2025-12-31, value: 12, direction: at_most}\n"
    new = old + "              - {date: 2026-12-31, value: 11, direction: at_most}\n"
    assert old in text
    return text.replace(old, new, 1).replace(
        "text: Hur har antalet återinläggningar förändrats sedan 2023 01 01?",
        "text: Hur stor är andelen återinläggningar?",
    )


def other_delregion_plan() -> str:
    """The same plan applied in delregion NO (the Skåne-wide indicator ids are shared)."""
    return (
        plan_text()
        .replace("id: nv-aktivitetsplan", "id: no-aktivitetsplan")
        .replace("delregion: NV", "delregion: NO")
        .replace(
            "title: Aktivitets- och tidplan avseende god och nära vård – Nordvästra Skåne",
            "title: Aktivitets- och tidplan avseende god och nära vård – Nordost",
        )
    )


def load_nv_plan() -> PlanRecord:
    load_plan_text(plan_text(), "plans/nv-2.0.yaml")
    db.session.commit()
    record = plan_by_key(PLAN_KEY)
    assert record is not None
    return record


def plans_of_two_delregions(app: Flask) -> Cast:
    """The cast, the NV plan and another delregion's plan, stored."""
    with app.app_context():
        cast = make_cast()
        load_nv_plan()
        load_plan_text(other_delregion_plan(), "plans/no.yaml")
        db.session.commit()
    return cast
