"""Percentiles by the nearest-rank method: the p-th percentile of n values is the value of
rank ceil(p * n / 100) in ascending order (the lower median for an even count). Every figure
is a value some pull request really had, and says how many it rests on.

A metric's values come from one query, one row a pull request (never an event), each with
the groups it falls in under several groupings at once (its week, its repository, its
author...): one scan serves every figure of that metric. Python keeps the values of each
group (a few integers a pull request, whatever the number of events), sorts them, and
reads the ranks. (A temporary table and index a grouping, and three queries a group, took
four times as long on 50,000 pull requests.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import islice

from .records import Figure

NONE = Figure()
"""The figure of no pull request at all: count 0, every value None."""
PERCENTS = (50, 75, 90)


def rank(percent: int, count: int) -> int:
    """The 1-based rank of the `percent`-th percentile of `count` values: ceil(p * n / 100)."""
    return (percent * count + 99) // 100


def of_values(values: list[int]) -> Figure:
    """The figure of `values` (sorted here, in place)."""
    if not values:
        return NONE
    values.sort()
    count = len(values)
    p50, p75, p90 = (values[rank(percent, count) - 1] for percent in PERCENTS)
    return Figure(count=count, p50=p50, p75=p75, p90=p90, mean=int(sum(values) / count + 0.5))


def grouped(rows: Iterable[Sequence[object]], groupings: int) -> list[dict[object, Figure]]:
    """A `Figure` per group of each grouping, from `rows` of (value, the group under the
    first grouping, under the second, ...); no value may be NULL. Rows are taken a batch at
    a time and each batch a column at a time, so that the loop that sorts values into their
    groups does nothing else."""
    found: list[defaultdict[object, list[int]]] = [defaultdict(list) for _ in range(groupings)]
    remaining = iter(rows)
    while batch := list(islice(remaining, 4096)):
        values, *columns = zip(*batch, strict=True)
        for groups, keys in zip(found, columns, strict=True):
            for key, value in zip(keys, values, strict=True):
                groups[key].append(value)
    return [{key: of_values(values) for key, values in groups.items()} for groups in found]
