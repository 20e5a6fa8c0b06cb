"""The route a user would take instead: pandas + lifetimes on the same transactions.

Reads customer_id, order_date, net_amount (Parquet), builds the RFM summary with
lifetimes.utils.summary_data_from_transaction_data (days), fits BetaGeoFitter and
GammaGammaFitter, and predicts revenue over the horizon. Prints seconds per step and the
fitted parameters as JSON.
"""

import json
import sys
import time

import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data


def main(path: str, as_of_date: str, horizon_days: int) -> None:
    seconds = {}
    started = time.perf_counter()
    transactions = pd.read_parquet(path)
    seconds["read"] = time.perf_counter() - started

    step = time.perf_counter()
    summary = summary_data_from_transaction_data(
        transactions, "customer_id", "order_date", monetary_value_col="net_amount",
        observation_period_end=as_of_date, freq="D",
    )  # fmt: skip
    seconds["summary"] = time.perf_counter() - step

    step = time.perf_counter()
    bgnbd = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    seconds["bgnbd_fit"] = time.perf_counter() - step

    step = time.perf_counter()
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    gamma_gamma = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    seconds["gamma_gamma_fit"] = time.perf_counter() - step

    step = time.perf_counter()
    purchases = bgnbd.conditional_expected_number_of_purchases_up_to_time(
        horizon_days, summary["frequency"], summary["recency"], summary["T"]
    )
    spend = gamma_gamma.conditional_expected_average_profit(
        summary["frequency"].where(summary["monetary_value"] > 0, 0),
        summary["monetary_value"].where(summary["monetary_value"] > 0, 0),
    )
    revenue = float((purchases * spend).sum())
    seconds["predict"] = time.perf_counter() - step

    print(
        json.dumps(
            {
                "seconds": seconds,
                "total_seconds": time.perf_counter() - started,
                "customers": len(summary),
                "params": {**bgnbd.params_.to_dict(), **gamma_gamma.params_.to_dict()},
                "predicted_revenue": revenue,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
