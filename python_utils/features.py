"""Shared feature helpers for the models: categorical columns as clean text and their levels."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def category_values(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as text, missing values as 'unknown'."""
    return frame[column].fillna("unknown").astype(str)


def category_levels(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, list[str]]:
    """Sorted levels of each categorical column, to store with a fit and reuse when scoring."""
    return {column: sorted(category_values(frame, column).unique()) for column in columns}
