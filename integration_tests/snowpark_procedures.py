"""Run the stored procedures dbt-snowflake submits for Python models in a Snowpark local-testing
session, so tests exercise dbt's own generated code (its `dbtObj`, `ref`, config and the
`materialize` that writes through `save_as_table`) instead of a stand-in.

dbt-snowflake turns each Python model into `WITH <name>__dbt_sp AS PROCEDURE () ... RUNTIME_VERSION
... PACKAGES ... IMPORTS ... AS $$ <generated code> $$ CALL <name>__dbt_sp();` and sends it
through `SnowflakeAdapter.execute`. `intercept()` catches that statement, records its runtime,
packages and imports, copies the tables the code reads from the emulator (fakesnow) into the
local session, runs the code's `main(session)` and copies the table it wrote back to the
emulator, so SQL models and tests downstream read it there.

What the model reads comes back the way the real connector hands it over (`to_pandas`,
`to_pandas_batches`): integers in the smallest integer type that holds the batch (int8, int16,
...; float64 when there are nulls), DATE as `datetime.date` objects, NUMBER with a scale as
float64 (the connector's default), unlike the local emulator's own int64 and datetime64.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import traceback
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

PROCEDURE = re.compile(
    r"RUNTIME_VERSION = '(?P<runtime>[^']*)'\s*PACKAGES = \('(?P<packages>[^)]*)'\).*?"
    r"(?:IMPORTS = \('(?P<imports>[^)]*)'\))?\s*HANDLER = 'main'.*?\$\$(?P<code>.*)\$\$",
    re.S,
)
# A regular expression: the process is killed right after the first statement matching it
# (a run that dies mid-update, for test_snowflake.py).
KILL_AFTER = "CLV_EMULATOR_KILL_AFTER"
# A regular expression: statements matching it are not run (what the project would do without them).
SKIP = "CLV_EMULATOR_SKIP"
# The account's TIMESTAMP_TYPE_MAPPING to emulate (e.g. TIMESTAMP_LTZ): a plain `timestamp` type
# in a statement means that type on a connection whose session has not set the parameter.
ACCOUNT_TIMESTAMP_MAPPING = "CLV_EMULATOR_TIMESTAMP_TYPE_MAPPING"
PLAIN_TIMESTAMP = re.compile(r"\btimestamp\b(?![_(]|\s*')", re.I)
MAPPING_SET = re.compile(r"\s*alter session set .*\btimestamp_type_mapping\s*=\s*'(\w+)'", re.I | re.S)
RELATION = re.compile(r"\b([A-Za-z_]\w*\.[A-Za-z_]\w*\.[A-Za-z_]\w*)\b")


@dataclass
class Procedure:
    name: str
    runtime: str
    packages: list[str]
    imports: list[str]
    code: str


@dataclass
class ProcedureRunner:
    session: object
    emulator: object  # a fakesnow (snowflake.connector) connection
    procedures: list[Procedure] = field(default_factory=list)
    written: set[str] = field(default_factory=set)
    query_tags: list[str] = field(default_factory=list)  # every `alter session set query_tag`
    created: dict[str, str] = field(default_factory=dict)  # table -> "transient" or "permanent"

    def run(self, sql: str) -> None:
        match = PROCEDURE.search(sql)
        assert match, f"not a Python model's procedure:\n{sql[:2000]}"
        name = re.search(r"(\w+)__dbt_sp", sql).group(1)
        code = match["code"]
        procedure = Procedure(
            name=name,
            runtime=match["runtime"],
            packages=match["packages"].split("', '"),
            imports=(match["imports"] or "").split("', '") if match["imports"] else [],
            code=code,
        )
        self.procedures.append(procedure)
        for relation in set(RELATION.findall(code)):
            self._load(relation.upper())
        # Snowflake's Python runtime provides this list; dbt's generated code appends to it.
        sys._xoptions.setdefault("snowflake_partner_attribution", [])
        namespace: dict = {"__name__": f"{name}__dbt_sp"}
        exec(compile(code, f"<{name}__dbt_sp>", "exec"), namespace)
        assert namespace["main"](self.session) is not None
        target = re.search(r"save_as_table\('([^']+)'", code).group(1).upper()
        self._store(target)

    def _load(self, relation: str) -> None:
        """An emulator table into the local session with its Snowflake column types (once;
        Python models' outputs stay there)."""
        if relation in self.written:
            return
        cursor = self.emulator.cursor()
        try:
            cursor.execute(f"select * from {relation}")
        except Exception:  # not a table (a name in a string or comment)
            return
        from snowflake.snowpark.types import StructField, StructType

        rows = [list(row) for row in cursor.fetchall()]
        with_nulls = {i for row in rows for i, value in enumerate(row) if value is None}
        schema = StructType([StructField(c.name, snowpark_type(c, i in with_nulls), True)
                             for i, c in enumerate(cursor.description)])  # fmt: skip
        self.session.create_dataframe(rows, schema=schema).write.save_as_table(relation, mode="overwrite")
        self.written.add(relation)

    def _store(self, relation: str) -> None:
        """The model's table, written in the local session, into the emulator."""
        from snowflake.connector.pandas_tools import write_pandas

        written = self.session.table(relation)
        frame = written.to_pandas()
        database, schema, table = relation.split(".")
        cursor = self.emulator.cursor()
        cursor.execute(f"create schema if not exists {database}.{schema}")
        # the table's own column types (a DATE written from pandas would otherwise be text)
        columns = ", ".join(f"{f.name} {sql_type(f.datatype)}" for f in written.schema.fields)
        cursor.execute(f"create or replace table {relation} ({columns})")
        write_pandas(self.emulator, frame, table, database=database, schema=schema,
                     auto_create_table=False, use_logical_type=True)  # fmt: skip
        self.written.add(relation)


def sql_type(kind) -> str:
    """The Snowflake column type of a Snowpark type."""
    from snowflake.snowpark import types

    if isinstance(kind, types.DecimalType):
        return f"number({kind.precision}, {kind.scale})"
    names = {types.StringType: "varchar", types.DoubleType: "double", types.FloatType: "double",
             types.LongType: "bigint", types.IntegerType: "bigint", types.ShortType: "bigint",
             types.ByteType: "bigint", types.BooleanType: "boolean", types.DateType: "date",
             types.TimestampType: "timestamp_ntz"}  # fmt: skip
    return names[type(kind)]


def snowpark_type(column, has_nulls: bool):
    """The Snowpark type of a result column, from the connector's type code (its FIELD_ID)."""
    from snowflake.snowpark import types

    code = column.type_code
    if code == 0 and has_nulls and not column.scale:
        # the emulator's to_pandas fails on NUMBER(p, 0) with nulls; the connector returns such a
        # column as float64, which a DOUBLE column gives too
        return types.DoubleType()
    if code == 0:  # FIXED: NUMBER(p, s)
        return types.DecimalType(column.precision or 38, column.scale or 0)
    kinds = {1: types.DoubleType(), 2: types.StringType(), 3: types.DateType(), 13: types.BooleanType(),
             8: types.TimestampType(types.TimestampTimeZone.NTZ)}  # fmt: skip
    if code not in kinds:
        raise NotImplementedError(f"column {column.name}: connector type code {code}")
    return kinds[code]


def local_session():
    from snowflake.snowpark import Session

    _emulate_exp()
    return Session.builder.config("local_testing", True).create()


def _emulate_exp() -> None:
    """Snowflake's EXP, which local testing lacks (weighted_rows sums BG/NBD's likelihood with
    it): the emulator's own LN, with math.exp in place of math.log."""
    import math

    from snowflake.snowpark.mock import patch
    from snowflake.snowpark.mock._snowflake_data_type import ColumnType
    from snowflake.snowpark.types import FloatType

    @patch("exp")
    def mock_exp(column):
        result = column.apply(math.exp)
        result.sf_type = ColumnType(FloatType(), column.sf_type.nullable)
        return result


def connector_frame(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """``frame`` as the Snowflake connector returns it for a result with ``schema`` (a Snowpark
    StructType): see the module's docstring."""
    from snowflake.snowpark import types

    frame = frame.copy()
    for column, field_ in zip(frame.columns, schema.fields, strict=True):
        kind = field_.datatype
        values = frame[column]
        if isinstance(kind, types.DateType):
            frame[column] = pd.Series(
                [None if pd.isna(v) else pd.Timestamp(v).date() for v in values], dtype="object"
            )
        elif isinstance(kind, types.DecimalType) and kind.scale > 0:
            frame[column] = pd.to_numeric(values).astype("float64")
        elif isinstance(kind, types._IntegralType | types.DecimalType):
            numbers = pd.to_numeric(values)
            if numbers.isna().any():
                frame[column] = numbers.astype("float64")
            elif len(numbers) == 0:
                frame[column] = numbers.astype("int8")
            else:
                frame[column] = numbers.astype(smallest_integer(int(numbers.min()), int(numbers.max())))
    return frame


def smallest_integer(low: int, high: int) -> str:
    for dtype in ("int8", "int16", "int32", "int64"):
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return dtype
    raise OverflowError(f"{low}..{high} needs NUMBER as Decimal")


SEEN_DTYPES: set[str] = set()  # every dtype a model was handed, for the tests


def patch_connector_types() -> None:
    """Make the local session's `to_pandas` / `to_pandas_batches` return the connector's types."""
    from snowflake.snowpark import DataFrame
    from snowflake.snowpark.mock import _connection

    # Emulator bug (snowpark 1.56): after a filter, integer columns are assigned by index and
    # text columns by position, so every integer of rows past the first came back NaN.
    fix_fixed_types = _connection._fix_pandas_df_fixed_type
    _connection._fix_pandas_df_fixed_type = lambda table: fix_fixed_types(table.reset_index(drop=True))

    to_pandas, to_pandas_batches = DataFrame.to_pandas, DataFrame.to_pandas_batches

    def typed_to_pandas(self, *args, **kwargs):
        frame = connector_frame(to_pandas(self, *args, **kwargs), self.schema)
        SEEN_DTYPES.update(map(str, frame.dtypes))
        return frame

    def typed_to_pandas_batches(self, *args, **kwargs):
        schema = self.schema
        for batch in to_pandas_batches(self, *args, **kwargs):
            frame = connector_frame(batch, schema)
            SEEN_DTYPES.update(map(str, frame.dtypes))
            yield frame

    DataFrame.to_pandas = typed_to_pandas
    DataFrame.to_pandas_batches = typed_to_pandas_batches


def patch_emulator_transpiler() -> None:
    """Emulator bug (sqlglot 30.22, which fakesnow translates Snowflake SQL with): for
    TRY_TO_TIMESTAMP(text, format) its DuckDB output is generated, then parsed again without
    the dialect, which turns REGEXP_SUBSTR(..., 'e', 1) inside `text` into the whole match.
    Built here without the second parse; what it produces is otherwise the same."""
    from sqlglot import exp
    from sqlglot.generators.duckdb import DuckDBGenerator

    strtotime_sql = DuckDBGenerator.strtotime_sql

    def without_reparse(self, expression):
        target_type = expression.args.get("target_type")
        if not expression.args.get("safe") or (target_type and target_type.this in (
                exp.DType.TIMESTAMPLTZ, exp.DType.TIMESTAMPTZ)):  # fmt: skip
            return strtotime_sql(self, expression)
        value, formatted_time = self._strptime_default_year(expression)
        return f"CAST({self.func('TRY_STRPTIME', value, formatted_time)} AS TIMESTAMP)"

    DuckDBGenerator.strtotime_sql = without_reparse


def intercept(runner: ProcedureRunner) -> None:
    """Route dbt-snowflake's Python procedures to ``runner``; every other statement, one at a
    time as dbt-snowflake splits them (`add_standard_query`, which also runs the queries of
    contract checks), to the emulator, after what the harness emulates or records."""
    from dbt.adapters.snowflake.connections import SnowflakeConnectionManager
    from dbt.adapters.snowflake.impl import SnowflakeAdapter

    execute = SnowflakeAdapter.execute
    add_standard_query = SnowflakeConnectionManager.add_standard_query
    session_mappings: dict[int, str] = {}  # connection -> the mapping its session set

    def routed(self, sql, auto_begin=False, fetch=False, limit=None):
        if "LANGUAGE PYTHON" in sql and "AS PROCEDURE" in sql:
            try:
                runner.run(sql)
            except Exception:  # dbt keeps only the message: the traceback goes to stderr
                traceback.print_exc()
                raise
            return execute(self, "select 'procedure ran locally' as status", auto_begin, fetch, limit)
        return execute(self, sql, auto_begin, fetch, limit)

    def statement(self, sql, **kwargs):
        if (skipped := os.environ.get(SKIP)) and re.search(skipped, sql, re.I):
            return add_standard_query(self, "select 'skipped' as status", **kwargs)
        if account_mapping := os.environ.get(ACCOUNT_TIMESTAMP_MAPPING):
            connection = id(self.get_thread_connection())
            if pinned := MAPPING_SET.match(sql):
                session_mappings[connection] = pinned.group(1).upper()
            mapping = session_mappings.get(connection, account_mapping.upper())
            if mapping != "TIMESTAMP_NTZ":
                sql = PLAIN_TIMESTAMP.sub(mapping, sql)
        if tag := re.match(r"\s*alter session set query_tag = '(.*)'\s*$", sql, re.S | re.I):
            runner.query_tags.append(tag.group(1))  # fakesnow has no query tags: the runner no-ops them
        if created := re.match(r"\s*create or replace (transient |temporary )?table (\S+)", sql, re.I):
            kind = (created.group(1) or "permanent ").strip().lower()
            runner.created[created.group(2).split(".")[-1].lower()] = kind
        # the emulator keeps temporary objects in a catalog of its own, where dbt's qualified
        # names cannot reach them: made ordinary (dbt drops them after use)
        sql = re.sub(
            r"^(\s*create or replace\s+)temporary(\s+(table|view)\b)", r"\1\2", sql, count=1, flags=re.I
        )
        result = add_standard_query(self, sql, **kwargs)
        if (pattern := os.environ.get(KILL_AFTER)) and re.search(pattern, sql, re.I):
            os.kill(os.getpid(), signal.SIGKILL)  # a crash right after this statement
        return result

    SnowflakeConnectionManager.add_standard_query = statement
    SnowflakeAdapter.execute = routed
    patch_connector_types()
    patch_emulator_transpiler()
