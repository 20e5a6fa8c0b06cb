"""Run dbt Python model bodies as each adapter would: in a Snowpark local-testing session
(refs are Snowpark DataFrames with UPPER-CASE columns, the session is a Snowpark Session) and
on DuckDB (refs are DuckDB relations, the session a DuckDB connection), on the same tables."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]


def local_session():
    from snowflake.snowpark import Session

    return Session.builder.config("local_testing", True).create()


def model_configs() -> dict[str, dict]:
    """Each ml model's config from its folder's YAML, with var() resolved from dbt_project.yml."""
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
    configs = {}
    for path in sorted((REPO / "models" / "ml").glob("*/_*.yml")):
        text = path.read_text()
        for name, value in project.items():
            text = text.replace("{{ var('" + name + "') }}", str(value))
        configs |= {m["name"]: m.get("config", {}) for m in yaml.safe_load(text)["models"]}
    return configs


class FakeConfig:
    def __init__(self, values: dict):
        self.values = values

    def get(self, key, default=None):
        return self.values.get(key, default)

    def __call__(self, **kwargs):  # dbt.config(materialized=...) in the model body
        return None


class SnowparkDbt:
    """The `dbt` object a Python model receives on Snowflake: ref() and config."""

    def __init__(self, session, tables: dict[str, pd.DataFrame], config: dict):
        self.session, self.tables, self.config = session, tables, FakeConfig(config)

    def ref(self, name: str):
        frame = self.tables[name].copy()
        for column in frame.columns:  # Snowpark cannot take pandas' nullable-integer NA
            if pd.api.types.is_extension_array_dtype(frame[column]) and pd.api.types.is_numeric_dtype(
                frame[column]
            ):
                frame[column] = frame[column].astype("float64")
        frame.columns = [c.upper() for c in frame.columns]  # what Snowflake hands back
        return self.session.create_dataframe(frame)


class DuckDbt:
    """The `dbt` object on DuckDB: each table lives in an in-memory database, as dbt-duckdb's
    refs do, so cursors of the session see it."""

    def __init__(self, session, tables: dict[str, pd.DataFrame], config: dict):
        self.session, self.tables, self.config = session, tables, FakeConfig(config)

    def ref(self, name: str):
        self.session.register("incoming", self.tables[name])
        self.session.execute(f"create or replace table {name} as select * from incoming")
        self.session.unregister("incoming")
        return self.session.table(name)


def model_path(name: str) -> Path:
    (path,) = (REPO / "models" / "ml").glob(f"*/{name}.py")
    return path


def as_pandas(output) -> pd.DataFrame:
    """A model's return value as pandas, lower-case columns (a DataFrame, an Arrow stream or a
    Snowpark DataFrame)."""
    if hasattr(output, "to_pandas") and not isinstance(output, pd.DataFrame):
        frame = output.to_pandas()
    elif hasattr(output, "read_all"):
        frame = output.read_all().to_pandas()
    else:
        frame = output
    return frame.rename(columns=str.lower)


def run_model(name: str, session, tables: dict[str, pd.DataFrame], adapter: str = "snowflake"):
    """The model's return value, run with the adapter's `dbt` object."""
    spec = importlib.util.spec_from_file_location(name, model_path(name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dbt = (SnowparkDbt if adapter == "snowflake" else DuckDbt)(session, tables, model_configs()[name])
    return module.model(dbt, session)


def duck_session():
    return duckdb.connect(":memory:")
