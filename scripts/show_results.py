"""Print where the build's tables are and how many rows each holds."""

import sys
from pathlib import Path

import duckdb

SCHEMAS = ("marts", "ml", "intermediate", "reference")


def main(path: str) -> None:
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
    print(f"\nOpen it with:  .venv/bin/python -c \"import duckdb; duckdb.connect('{path}')\"")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "clv.duckdb")
