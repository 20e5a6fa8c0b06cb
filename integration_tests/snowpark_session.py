"""Run dbt Python model bodies in a Snowpark local-testing session, as Snowflake would:
refs are Snowpark DataFrames with UPPER-CASE columns, the session is a Snowpark Session."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]


def local_session():
    from snowflake.snowpark import Session

    return Session.builder.config("local_testing", True).create()


def model_configs() -> dict[str, dict]:
    """Each ml model's config from _ml__models.yml, with var() resolved from dbt_project.yml."""
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
    text = (REPO / "models" / "ml" / "_ml__models.yml").read_text()
    for name, value in project.items():
        text = text.replace("{{ var('" + name + "') }}", str(value))
    return {m["name"]: m.get("config", {}) for m in yaml.safe_load(text)["models"]}


class FakeConfig:
    def __init__(self, values: dict):
        self.values = values

    def get(self, key, default=None):
        return self.values.get(key, default)

    def __call__(self, **kwargs):  # dbt.config(materialized=...) in the model body
        return None


class FakeDbt:
    """The `dbt` object a Python model receives: ref() and config."""

    # One Snowpark DataFrame per (session, table), reused by every ref: the local session
    # converts a pandas frame cell by cell, about 30 s per 20,000-row table.
    created: dict[tuple[int, str, int], object] = {}

    def __init__(self, session, tables: dict[str, pd.DataFrame], config: dict):
        self.session, self.tables, self.config = session, tables, FakeConfig(config)

    def ref(self, name: str):
        key = (id(self.session), name, id(self.tables[name]))
        if key not in self.created:
            self.created[key] = self.create(name)
        return self.created[key]

    def create(self, name: str):
        frame = self.tables[name].copy()
        for column in frame.columns:  # Snowpark cannot take pandas' nullable-integer NA
            if pd.api.types.is_extension_array_dtype(frame[column]) and pd.api.types.is_numeric_dtype(
                frame[column]
            ):
                frame[column] = frame[column].astype("float64")
        frame.columns = [c.upper() for c in frame.columns]  # what Snowflake hands back
        return self.session.create_dataframe(frame)


def run_model(name: str, session, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    spec = importlib.util.spec_from_file_location(name, REPO / "models" / "ml" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.model(FakeDbt(session, tables, model_configs()[name]), session)
