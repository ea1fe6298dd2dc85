"""`bbpr report --format json` against the emulator's truth, on Cloud and Data Center: after
`bbpr sync --review-events`, the counts of the period, merged without approval, and the
nearest-rank p50 and p90 of pickup and time to merge with their counts, computed here from
`Emulator.review_truth` and the server's records, never through bbpr's code; and the cost
the report names for a copy without events is the cost `bbpr sync --plan` gives."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bbpr.emulator import Emulator
from bbpr.emulator.truth import ReviewTruth

from ..conftest import bbpr, flavour_environment

PRS = 237
DATA_ENDS = datetime(2026, 3, 2, tzinfo=UTC)
TARGETS = {"cloud": "acme/widgets", "datacenter": "ACME/widgets"}
PERIODS = [(datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)),
           (datetime(2026, 1, 19, tzinfo=UTC), datetime(2026, 2, 9, tzinfo=UTC))]
"""All of the data, and three weeks in its middle (pull requests that began before it and
ended in it, or began in it and end after it)."""
CLOSES = ("merged", "declined", "superseded")


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(prs=PRS, seed=23, now=DATA_ENDS) as emulator:
        yield emulator




@pytest.fixture(scope="module")
def copies(emu: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    found = {}
    for flavour, target in TARGETS.items():
        path = tmp_path_factory.mktemp(flavour) / "copy.sqlite"
        run = bbpr("sync", target, "--review-events", "--db", str(path),
                   env=flavour_environment(emu, flavour))
        assert run.code == 0, run.err
        found[flavour] = path
    return found


def nearest_rank(values: list[int], percent: int) -> int | None:
    ordered = sorted(values)
    return ordered[math.ceil(percent * len(ordered) / 100) - 1] if ordered else None


def span(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None or end < start:
        return None
    return (end - start) // timedelta(seconds=1)


def close_of(truth: ReviewTruth) -> tuple[str, datetime] | None:
    """How and when the activity shows the pull request closed (the last close: Data Center
    may reopen)."""
    closes = [(event.kind, event.on) for event in truth.events if event.kind in CLOSES]
    return closes[-1] if closes else None


def expected(emu: Emulator, flavour: str, since: datetime, until: datetime,
             exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    owner, slug = TARGETS[flavour].split("/")
    truth = emu.review_truth(owner, slug, flavour=flavour, exclude=exclude)
    records = (emu.pull_requests(owner, slug) if flavour == "cloud"
               else emu.dc_pull_requests(owner, slug))
    states = {record["id"]: record["state"] for record in records}

    def within(moment: datetime | None) -> bool:
        return moment is not None and since <= moment < until

    closes = {number: close_of(found) for number, found in truth.items()}
    merged = [number for number, found in truth.items() if within(found.merged_on)]
    pickups = [span(found.ready_on, found.first_review_on) for found in truth.values()
               if within(found.first_review_on)]
    merges = [span(truth[number].ready_on, truth[number].merged_on) for number in merged]
    still_open = [number for number, found in truth.items() if found.created_on < until
                  and (states[number] == "OPEN" or (closes[number] is not None
                                                    and closes[number][1] >= until))]

    def figure(values: list[int | None]) -> dict[str, Any]:
        kept = [value for value in values if value is not None]
        return {"count": len(kept), "p50": nearest_rank(kept, 50),
                "p90": nearest_rank(kept, 90)}

    return {
        "opened": sum(within(found.created_on) for found in truth.values()),
        "merged": len(merged),
        "declined": sum(close is not None and close[0] == "declined" and within(close[1])
                        for close in closes.values()),
        "still_open": len(still_open),
        "merged_without_approval": sorted(number for number in merged
                                          if truth[number].merged_without_approval),
        "pickup_time": figure(pickups),
        "time_to_merge": figure(merges),
    }


def reported(path: Path, flavour: str, emu: Emulator, since: datetime, until: datetime,
             *args: str) -> dict[str, Any]:
    run = bbpr("report", TARGETS[flavour], "--db", str(path), "--format", "json",
               "--since", since.isoformat(), "--until", until.isoformat(), "--tz", "UTC",
               *args, env=flavour_environment(emu, flavour))
    assert run.code == 0, run.err
    report = json.loads(run.out)
    summary = report["summary"]
    return {
        **{name: summary[name] for name in ("opened", "merged", "declined", "still_open")},
        "merged_without_approval": sorted(pr["id"] for pr in report["merged_without_approval"]),
        **{name: {key: summary[name][key] for key in ("count", "p50", "p90")}
           for name in ("pickup_time", "time_to_merge")},
    }


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
@pytest.mark.parametrize("period", PERIODS, ids=["all", "three-weeks"])
def test_the_report_is_the_truth(emu: Emulator, copies: dict[str, Path], flavour: str,
                                 period: tuple[datetime, datetime]) -> None:
    since, until = period
    truth = expected(emu, flavour, since, until)
    assert reported(copies[flavour], flavour, emu, since, until) == truth
    assert truth["merged_without_approval"] and truth["pickup_time"]["count"] > 10
    assert truth["time_to_merge"]["count"] > 10 and truth["declined"]


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_exclude_user_leaves_the_bot_out_as_the_truth_does(emu: Emulator,
                                                           copies: dict[str, Path],
                                                           flavour: str) -> None:
    since, until = PERIODS[0]
    without_bot = expected(emu, flavour, since, until, exclude=("buildbot",))
    assert reported(copies[flavour], flavour, emu, since, until, "--exclude-user",
                    "buildbot") == without_bot
    assert without_bot["pickup_time"] != expected(emu, flavour, since, until)["pickup_time"]


def said_cost(run_err: str) -> str:
    found = re.search(r"\(about ([\d,]+) requests\)", run_err)
    assert found, run_err
    return found.group(1)


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_the_cost_the_report_names_is_the_sync_plan_s(emu: Emulator, tmp_path: Path,
                                                      flavour: str) -> None:
    path, env = tmp_path / "bare.sqlite", flavour_environment(emu, flavour)
    target = TARGETS[flavour]
    owner = target.split("/")[0]
    assert bbpr("sync", owner, "--db", str(path), env=env).code == 0
    for name, figure in ((target, (math.ceil(PRS / 50) + math.ceil(PRS / 5)
                                   if flavour == "cloud" else 2 + PRS)), (owner, None)):
        refused = bbpr("report", name, "--db", str(path), env=env)
        assert refused.code == 2
        cost = said_cost(refused.err)
        planned = bbpr("sync", name, "--review-events", "--plan", "--db", str(path),
                       env=env)
        assert planned.code == 0, planned.err
        assert f"Cost: about {cost} requests." in planned.out
        if figure is not None:  # the list read whole, and the events: Cloud's feed walk,
            assert cost == f"{figure:,}"  # Data Center's activities
    # A repository that keeps its events already costs a sync one request, not a reading.
    whole = said_cost(bbpr("report", owner, "--db", str(path), env=env).err)
    synced = bbpr("sync", target, "--review-events", "--db", str(path), env=env)
    assert synced.code == 0, synced.err
    refused = bbpr("report", owner, "--db", str(path), env=env)
    assert refused.code == 2
    cost = said_cost(refused.err)
    assert int(cost.replace(",", "")) < int(whole.replace(",", ""))
    planned = bbpr("sync", owner, "--review-events", "--plan", "--db", str(path),
                   env=env)
    assert f"Cost: about {cost} requests." in planned.out
