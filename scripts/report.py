"""Print the build's segment profiles and CLV backtest as markdown tables (for docs/methodology.md)."""

import sys

import duckdb

QUERIES = {
    "Segment profiles": """
        select segment_id, segment_name, customers, round(100 * customer_share, 1) as share_pct,
            round(mean_days_since_last_order) as mean_days_since_last_order,
            round(mean_frequency, 2) as mean_frequency, round(mean_monetary, 1) as mean_revenue_usd,
            round(mean_avg_order_value, 1) as mean_aov_usd,
            round(mean_discount_share, 3) as mean_discount_share, round(silhouette, 3) as silhouette
        from marts.customer_segment_profiles order by segment_id""",
    "K search": """
        select k, round(inertia) as inertia, round(silhouette, 3) as silhouette, is_chosen, is_elbow
        from ml.segmentation_metrics order by k""",
    "CLV backtest, all customers": """
        select model_name, round(100 * aggregate_revenue_error, 1) as revenue_error_pct,
            round(100 * aggregate_transactions_error, 1) as transactions_error_pct,
            round(mae, 2) as mae_usd, round(rmse, 1) as rmse_usd, round(spearman, 3) as spearman,
            round(normalized_gini, 3) as gini, round(decile_mape, 3) as decile_mape
        from ml.clv_model_metrics where customer_group = 'all' order by mae""",
    "Published model per group": """
        select customer_group, published_model, round(100 * aggregate_revenue_error, 1) as revenue_error_pct,
            round(mae, 2) as mae_usd, round(best_baseline_mae, 2) as best_baseline_mae_usd,
            round(normalized_gini, 3) as gini, round(best_baseline_gini, 3) as best_baseline_gini,
            round(100 * interval_coverage, 1) as interval_coverage_pct
        from ml.clv_model_metrics where model_name = 'published' order by customer_group""",
    "Fitted models": """
        select model_name, rows_used, distinct_rows, round(fit_seconds, 2) as fit_seconds, penalizer
        from ml.clv_model_fits where snapshot_name = 'scoring' order by model_name""",
}


def markdown(columns: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def main(path: str) -> None:
    con = duckdb.connect(path, read_only=True)
    for title, sql in QUERIES.items():
        cursor = con.execute(sql)
        print(f"\n**{title}**\n\n{markdown([d[0] for d in cursor.description], cursor.fetchall())}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "clv.duckdb")
