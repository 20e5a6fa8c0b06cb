"""BG/NBD and Gamma-Gamma fitted on rows left in a real DuckDB table (the likelihood summed there
at each step) give the parameters of the same rows read into numpy, and lifetimes' own; the
sums are exact, so neither the table's row order nor DuckDB's threads change a bit."""

import warnings

import duckdb
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value

from python_utils import btyd, btyd_likelihood, weighted_rows


@pytest.fixture(scope="module")
def cdnow():
    data = load_cdnow_summary_data_with_monetary_value()
    return data.rename(columns={"recency": "recency_days", "T": "t_days"})


def _weighted(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame.groupby(columns).size().rename("weight").reset_index()


def _table(frame: pd.DataFrame, seed: int):
    """The rows as a DuckDB table, stored in a shuffled order."""
    connection = duckdb.connect()
    connection.execute("set threads = 2")
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # noqa: F841
    connection.execute("create table fit_rows as select * from shuffled")
    return connection, connection.table("fit_rows")


def test_bgnbd_summed_in_duckdb_equals_numpy_and_lifetimes(cdnow):
    rows = _weighted(cdnow, ["frequency", "recency_days", "t_days"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = (
            BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency_days"], cdnow["t_days"]).params_.to_dict()
        )
    in_numpy = btyd_likelihood.fit_bgnbd(
        rows["frequency"], rows["recency_days"], rows["t_days"], rows["weight"], 0.0
    )
    in_duckdb = []
    for seed in (1, 2):
        _, relation = _table(rows, seed)
        in_duckdb.append(btyd_likelihood.fit_bgnbd_rows(weighted_rows.warehouse_rows(relation), 0.0))
    assert in_duckdb[0] == in_duckdb[1]  # bit for bit, whatever the row order
    assert in_duckdb[0] == pytest.approx(in_numpy, rel=1e-10)
    assert in_duckdb[0] == pytest.approx(theirs, rel=1e-8)


def test_gamma_gamma_summed_in_duckdb_equals_numpy_and_lifetimes(cdnow):
    repeat = cdnow[cdnow["frequency"] > 0]
    rows = _weighted(repeat, ["frequency", "monetary_value"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"]).params_.to_dict()
    in_numpy = btyd_likelihood.fit_gamma_gamma(rows["frequency"], rows["monetary_value"], rows["weight"], 0.0)
    in_duckdb = [
        btyd_likelihood.fit_gamma_gamma_rows(weighted_rows.warehouse_rows(_table(rows, seed)[1]), 0.0)
        for seed in (1, 2)
    ]
    assert in_duckdb[0] == in_duckdb[1]
    assert in_duckdb[0] == pytest.approx(in_numpy, rel=1e-8)
    assert in_duckdb[0] == pytest.approx(theirs, rel=1e-8)


def test_warehouse_rows_are_checked_as_lifetimes_checks_arrays():
    broken = pd.DataFrame(
        {"frequency": [1, 2, 0], "recency_days": [10, 40, 0], "t_days": [20, 30, 30], "weight": [1, 1, 1]}
    )
    _, relation = _table(broken, 0)
    with pytest.raises(ValueError, match="recency vector are larger than T"):
        btyd_likelihood.fit_bgnbd_rows(weighted_rows.warehouse_rows(relation), 0.0)
    spend = pd.DataFrame({"frequency": [1, 2], "monetary_value": [10.0, 0.0], "weight": [3, 1]})
    with pytest.raises(ValueError, match="non-positive"):
        btyd_likelihood.fit_gamma_gamma_rows(weighted_rows.warehouse_rows(_table(spend, 0)[1]), 0.0)
    # the shop-level preconditions too: no repeat buyer, no BG/NBD
    one_time = broken.assign(frequency=0, recency_days=0)
    with pytest.raises(RuntimeError, match="0 repeat buyers"):
        btyd.fit_bgnbd_rows(weighted_rows.warehouse_rows(_table(one_time, 0)[1]))


def test_bounded_reads_small_fits_and_leaves_large_ones_in_the_warehouse(cdnow):
    rows = _weighted(cdnow, ["frequency", "recency_days", "t_days"]).assign(model_name="bgnbd")
    connection, relation = _table(rows, 3)
    columns = ["frequency", "recency_days", "t_days"]
    where = {"model_name": "bgnbd"}
    read = weighted_rows.bounded(relation, connection, where, columns, max_rows=len(rows))
    summed = weighted_rows.bounded(relation, connection, where, columns, max_rows=len(rows) - 1)
    assert isinstance(read, weighted_rows.ArrayRows) and read.count() == len(rows)
    assert isinstance(summed, weighted_rows.DuckDBRows) and summed.count() == len(rows)
    # read sorted, so equal to the rows sorted in pandas whatever the table's order
    assert read.column("t_days").tolist() == rows.sort_values(columns)["t_days"].astype(float).tolist()
    assert btyd.fit_bgnbd_rows(read).params == pytest.approx(btyd.fit_bgnbd_rows(summed).params, rel=1e-10)
