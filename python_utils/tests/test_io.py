"""Writing a Python model's batches on Snowflake, in a Snowpark local-testing session."""

import warnings

import pandas as pd
import pytest

from python_utils.io import batches_to_warehouse


class This:
    """What dbt-snowflake's generated code hands a model as dbt.this."""

    database, schema, identifier = "CLV", "CI_PR_7_ML", "clv_model_scores"


@pytest.fixture(scope="module")
def session():
    warnings.simplefilter("ignore")
    from snowflake.snowpark import Session

    return Session.builder.config("local_testing", True).create()


def test_batches_land_in_a_temporary_table_beside_the_model_whatever_the_sessions_schema(session):
    """The procedure runs before dbt sets the session's schema: the batch table is named in the
    model's own database and schema, never the session's (a fresh CI schema has none)."""
    batches = iter([pd.DataFrame({"customer_id": ["a", "b"], "x": [1.0, 2.0]}),
                    pd.DataFrame({"customer_id": ["c"], "x": [3.0]})])  # fmt: skip
    written = batches_to_warehouse(batches, {"customer_id": "string", "x": "float64"}, session, This)
    assert written.to_pandas().to_dict("list") == {"CUSTOMER_ID": ["a", "b", "c"], "X": [1.0, 2.0, 3.0]}
    assert session.table("CLV.CI_PR_7_ML.CLV_MODEL_SCORES__BATCHES").count() == 3
    assert session.get_current_schema() != '"CI_PR_7_ML"'
    with pytest.raises(Exception, match="does not exist"):
        session.table("CLV_MODEL_SCORES__BATCHES").count()  # nothing in the session's schema


def test_batches_keep_the_declared_column_types(session):
    """Integers handed over as int8 (as the connector returns small ones) are written as the
    declared int64, so the table's type does not depend on a batch's values."""
    from snowflake.snowpark import types

    batches = iter(
        [pd.DataFrame({"customer_id": ["a"], "frequency": pd.Series([3], dtype="int8"), "x": [1.0]})]
    )
    columns = {"customer_id": "string", "frequency": "int64", "x": "float64"}
    written = batches_to_warehouse(batches, columns, session, This)
    kinds = {field.name: type(field.datatype) for field in written.schema.fields}
    assert kinds["FREQUENCY"] is types.LongType and kinds["X"] is types.DoubleType
    assert written.to_pandas()["FREQUENCY"].tolist() == [3]


def test_no_batch_gives_an_empty_table_of_the_columns(session):
    written = batches_to_warehouse(iter([]), {"customer_id": "string", "x": "float64"}, session, This)
    assert written.count() == 0 and written.columns == ["CUSTOMER_ID", "X"]
