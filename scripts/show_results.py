"""Print where the build's tables are, how many rows each holds, and how BI tools connect to the
published copy."""

import sys
from pathlib import Path

import duckdb

from python_utils.tools.publish import connection_help

SCHEMAS = ("marts", "ml", "intermediate", "reference")


def main(path: str, published: str | None = None) -> None:
    con = duckdb.connect(path, read_only=True)
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ? and table_type = 'BASE TABLE' order by 1, 2",
        [list(SCHEMAS)],
    ).fetchall()
    print(f"\nResults are in {Path(path).resolve()} (DuckDB). Tables:")
    for schema, table in tables:
        (rows,) = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
        print(f"  {schema + '.' + table:<45} {rows:>10,} rows")
    print(f"\nThe build's own file (locked while dbt builds): {Path(path).resolve()}")
    if published:
        print("\n" + connection_help(Path(published)))


if __name__ == "__main__":
    main(*(sys.argv[1:] or ["clv.duckdb"]))
