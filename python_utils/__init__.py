"""The modelling library behind the dbt CLV project (no dbt, duckdb or snowpark imports)."""

__version__ = "0.1.0"
