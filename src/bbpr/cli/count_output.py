"""`bbpr list REPO --count`: the per-state counts in each output format.

- table and tsv: one `STATE<TAB>count` line a state (the table aligned), then `ALL` and
  the total; what the numbers rest on goes to stderr (unless --quiet), so that stdout
  stays data.
- csv: a `state,count` header, then the same rows.
- json: one object, `{"repository", "counts": {STATE: n}, "total", "highest_id",
  "rests_on"}`; ndjson: the same object on one line.
`ids` has no count to print: refused before any request (exit 2).
"""

from __future__ import annotations

from typing import IO

import msgspec

from ..errors import InputError
from ..models import StateCounts
from .common import note

COUNT_FORMATS = ("table", "tsv", "csv", "json", "ndjson")


def check_count_format(output_format: str) -> None:
    if output_format not in COUNT_FORMATS:
        raise InputError(f"--count prints counts, not pull requests: use --format "
                         f"{', '.join(COUNT_FORMATS)}, not {output_format}.")


def write_counts(counts: StateCounts, output_format: str, stream: IO[str]) -> None:
    total = counts.total if counts.total is not None else sum(counts.counts.values())
    rows = [*counts.counts.items(), ("ALL", total)]
    if output_format in ("json", "ndjson"):
        data = msgspec.json.encode(counts).decode()
        if output_format == "json":
            data = msgspec.json.format(data, indent=2)
        stream.write(data + "\n")
        return
    if output_format == "csv":
        stream.write("state,count\r\n" + "".join(f"{state},{n}\r\n" for state, n in rows))
    else:
        width = max(len(state) for state, _ in rows) if output_format == "table" else 0
        stream.write("".join(f"{state:<{width}}\t{n}\n" if not width else
                             f"{state:<{width}}  {n}\n" for state, n in rows))
    note(f"{counts.repository}: the counts rest on {counts.rests_on}.")
