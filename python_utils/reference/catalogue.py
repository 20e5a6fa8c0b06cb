"""The CLV model catalogue as the SQL reads it: the clv_candidates and
clv_own_spend_min_frequency and cold_start_days vars of dbt_project.yml (macros/clv/catalogue.sql, clv_catalogue). One list,
read by the warehouse, the tests' oracle and the report."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from python_utils.clv import GROUPS

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project.yml"


@cache
def project_vars(project: Path = PROJECT) -> dict:
    return yaml.safe_load(project.read_text())["vars"]


def catalogue() -> dict[str, dict]:
    """{model_name: {groups, predicts_purchases, is_baseline, is_default, label}}, in order."""
    return project_vars()["clv_candidates"]


def candidates() -> dict[str, tuple[str, ...]]:
    """Per customer group, the models that may be chosen for it."""
    return {
        group: tuple(m for m, entry in catalogue().items() if group in entry["groups"]) for group in GROUPS
    }


def baselines() -> tuple[str, ...]:
    return tuple(m for m, entry in catalogue().items() if entry.get("is_baseline"))


def default_model() -> str:
    (model,) = (m for m, entry in catalogue().items() if entry.get("is_default"))
    return model


def labels() -> dict[str, str]:
    """What a reader calls each model."""
    return {m: entry.get("label", m) for m, entry in catalogue().items()}


def own_spend_min_frequency() -> int:
    return int(project_vars()["clv_own_spend_min_frequency"])


def cold_start_days() -> int:
    return int(project_vars()["cold_start_days"])
