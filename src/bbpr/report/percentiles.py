"""Percentiles in SQL, by the nearest-rank method: the p-th percentile of n values is the
value of rank ceil(p * n / 100) in ascending order (the lower median for an even count).
Every figure is a value some pull request really had, and says how many it rests on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from .records import Figure

NONE = Figure()
"""The figure of no pull request at all: count 0, every value None."""


def figures(connection: sqlite3.Connection, values_sql: str,
            parameters: Mapping[str, object]) -> dict[object, Figure]:
    """A `Figure` per group of `values_sql`, a query of rows `(grp, value)`; rows whose value
    is NULL do not count."""
    rows = connection.execute(f"""
        WITH ranked AS (
            SELECT grp, value,
                   row_number() OVER (PARTITION BY grp ORDER BY value) AS rank,
                   count(*) OVER (PARTITION BY grp) AS n
            FROM ({values_sql}) WHERE value IS NOT NULL
        )
        SELECT grp, n,
            max(CASE WHEN rank = (50 * n + 99) / 100 THEN value END),
            max(CASE WHEN rank = (75 * n + 99) / 100 THEN value END),
            max(CASE WHEN rank = (90 * n + 99) / 100 THEN value END),
            avg(value)
        FROM ranked GROUP BY grp""", parameters)  # noqa: S608 (the caller's constant SQL)
    return {grp: Figure(count=n, p50=p50, p75=p75, p90=p90, mean=int(mean + 0.5))
            for grp, n, p50, p75, p90, mean in rows}


def figure(connection: sqlite3.Connection, values_sql: str,
           parameters: Mapping[str, object]) -> Figure:
    """The one `Figure` of `values_sql` (rows `(grp, value)`, one group)."""
    found = figures(connection, values_sql, parameters)
    return next(iter(found.values()), NONE)
