"""What a run asks the allowance room (`decision.decide`): the job it is about to do, and
what the user chose for the allowance (`--plan`, `--wait`, `--allowance`, `--yes`).

Plain data, imported by the command line as it declares its options: nothing here loads the
cost model, the ledger or the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from ..asked.targets import Target
    from ..models import Query
    from .plan import CostOf


@dataclass(frozen=True)
class AllowanceChoice:
    """`--plan`, `--wait`, `--allowance N[/WINDOW]` and `--yes`, as given."""

    plan: bool = False
    wait: bool = False
    allowance: str | None = None
    yes: bool = False


@dataclass(frozen=True)
class Job:
    """A list or sync about to run, as the allowance sees it."""

    command: str
    """`bbpr list acme` or `bbpr sync acme/widgets`, as the sentences name it."""
    target: Target
    cost_of: CostOf
    copy: Path
    """The local copy whose counts the cost is estimated from."""
    repos: str | None = None
    probe: Query | None = None
    """The query whose first page tells a repository's count, where a run should know it
    before it starts (Cloud's close times)."""
    plan_probe: Query | None = None
    """The same, for --plan (which probes a repository the copy lacks whatever it asks)."""

    @property
    def kind(self) -> str:
        """`list` or `sync`."""
        return self.command.split()[1]
