"""What the user chose for the allowance of a run: `--plan`, `--wait`, `--allowance` and
`--yes`, as given.

Plain data, imported by the command line as it declares its options: nothing here loads the
cost model, the ledger or the network (`decision` does, once a run starts).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AllowanceChoice:
    """`--plan`, `--wait`, `--allowance N[/WINDOW]` and `--yes`, as given."""

    plan: bool = False
    wait: bool = False
    allowance: str | None = None
    yes: bool = False
