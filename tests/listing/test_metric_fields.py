"""The review metrics as `bbpr list` fields, against the emulator's truth on both flavours:
live (the events read as the pages arrive: on Cloud the one feed walk that dates the closes
too, on Data Center one activities request per pull request), `--cached` after `bbpr sync
--review-events` (the same bytes), `--exclude-user`, every format, what they cost, and the
library's typed records. Real command line, real emulator, real SQLite.

The expected values are computed here from `Emulator.review_truth`'s times, never through
bbpr's code: spans are the truth's differences in whole seconds, empty where an end is."""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bbpr import Client, read_metrics
from bbpr.emulator import Emulator
from bbpr.emulator.truth import ReviewTruth

from ..conftest import Run, base_environment, bbpr, flavour_environment, iso_exact

PRS = 237
DATA_ENDS = datetime(2026, 3, 2, tzinfo=UTC)
"""Data that never changes."""
METRICS = ("ready_on", "first_review_on", "first_approval_on", "merged_on", "pickup_time",
           "review_time", "time_to_merge", "approvals", "review_comments", "changes_requested",
           "merged_without_approval")
FIELDS = ",".join(("id", *METRICS))
TARGETS = {"cloud": "acme/widgets", "datacenter": "ACME/widgets"}
FEED = "/2.0/repositories/acme/widgets/pullrequests/activity"
LIST = "/2.0/repositories/acme/widgets/pullrequests"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(prs=PRS, seed=23, now=DATA_ENDS) as emulator:
        yield emulator




def listed(emu: Emulator, flavour: str, *args: str, **extra: str) -> tuple[Run, list[str]]:
    """Run `bbpr list` of every state; return it and the paths of the requests it sent."""
    before = len(emu.requests)
    run = bbpr("list", TARGETS[flavour], "--state", "all", *args,
               env=flavour_environment(emu, flavour, **extra))
    assert run.code == 0, run.err
    return run, [request.path for request in emu.requests[before:]]


def seconds(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None or end < start:
        return ""
    return str((end - start) // timedelta(seconds=1))


def row(truth: ReviewTruth) -> list[str]:
    """The truth's metrics as TSV cells, in `METRICS` order."""
    return [iso_exact(truth.ready_on) or "", iso_exact(truth.first_review_on) or "",
            iso_exact(truth.first_approval_on) or "", iso_exact(truth.merged_on) or "",
            seconds(truth.ready_on, truth.first_review_on),
            seconds(truth.first_review_on, truth.merged_on),
            seconds(truth.ready_on, truth.merged_on),
            str(truth.approvals), str(truth.review_comments), str(truth.changes_requested),
            "true" if truth.merged_without_approval else "false"]


def expected(emu: Emulator, flavour: str, exclude: tuple[str, ...] = ()) -> dict[int, list[str]]:
    owner, slug = TARGETS[flavour].split("/")
    return {number: row(truth) for number, truth in
            emu.review_truth(owner, slug, flavour=flavour, exclude=exclude).items()}


def rows(tsv: str) -> dict[int, list[str]]:
    return {int(cells[0]): cells[1:] for cells in (line.split("\t") for line in
                                                    tsv.splitlines())}


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_live_fields_are_the_truth_of_every_pull_request(emu: Emulator, flavour: str) -> None:
    run, paths = listed(emu, flavour, "--fields", FIELDS, "--format", "tsv")
    found, truth = rows(run.out), expected(emu, flavour)
    assert len(found) == PRS
    assert found == truth
    # The data decides every case: drafts, merges without approval or review, drafts made
    # ready, spans of each kind.
    cells = list(truth.values())
    assert any(not cells_[0] for cells_ in cells), "a draft has no ready_on"
    assert any(cells_[10] == "true" for cells_ in cells)
    assert any(cells_[3] and not cells_[1] for cells_ in cells), "merged without review"
    assert all(any(cells_[index] for cells_ in cells) for index in (4, 5, 6))
    if flavour == "cloud":  # the list, and one walk of the feed: no pull request's own feed
        assert paths.count(LIST) == math.ceil(PRS / 50)
        assert len(paths) == paths.count(LIST) + paths.count(FEED)
    else:  # the list, and each pull request's activities once
        activities = [path for path in paths if path.endswith("/activities")]
        assert len(activities) == PRS == len(set(activities))
        assert len(paths) == PRS + 1


def test_closed_on_with_the_metrics_costs_no_second_walk(emu: Emulator) -> None:
    _, alone = listed(emu, "cloud", "--fields", "id,pickup_time", "--format", "tsv")
    run, both = listed(emu, "cloud", "--fields", "id,closed_on,time_to_merge", "--format", "tsv")
    assert sorted(both) == sorted(alone)
    owner, slug = TARGETS["cloud"].split("/")
    truth = emu.review_truth(owner, slug)
    for number, closed_on, time_to_merge in (line.split("\t") for line in run.out.splitlines()):
        merged = truth[int(number)].merged_on
        if merged is not None:
            assert closed_on == iso_exact(merged)
        assert time_to_merge == seconds(truth[int(number)].ready_on, merged)


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_exclude_user_leaves_the_bot_out_as_the_truth_does(emu: Emulator, flavour: str) -> None:
    run, _ = listed(emu, flavour, "--fields", FIELDS, "--format", "tsv",
                    "--exclude-user", "buildbot")
    without_bot = expected(emu, flavour, exclude=("buildbot",))
    assert rows(run.out) == without_bot
    assert without_bot != expected(emu, flavour)  # the bot's comments were reviews
    assert "matched no one" not in run.err


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_a_misspelt_excluded_user_is_said_live_and_cached(emu: Emulator, flavour: str,
                                                          tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    target = TARGETS[flavour]
    env = flavour_environment(emu, flavour)
    assert bbpr("sync", target, "--review-events", "--db", str(path), env=env).code == 0
    args = ("--fields", FIELDS, "--exclude-user", "buildbot", "--exclude-user", "bulidbot")
    live, _ = listed(emu, flavour, *args)
    cached = bbpr("list", target, "--state", "all", *args, "--cached", "--db", str(path),
                  env=env)
    assert cached.code == 0 and cached.out == live.out  # the list is right for what was typed
    assert rows(live.out) == expected(emu, flavour, exclude=("buildbot",))
    for run, where in ((live, "among the pull requests listed"), (cached, "in the local copy")):
        said = [line for line in run.err.splitlines() if "matched no one" in line]
        assert len(said) == 1, run.err  # the name that matched someone is not in it
        assert said[0].startswith(f"--exclude-user 'bulidbot' matched no one {where}")
        assert "check the spelling" in said[0]


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_cached_prints_what_live_prints(emu: Emulator, flavour: str, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    target = TARGETS[flavour]
    synced = bbpr("sync", target, "--review-events", "--db", str(path),
                  env=flavour_environment(emu, flavour))
    assert synced.code == 0, synced.err
    for args in (("--format", "tsv"), ("--format", "json"),
                 ("--format", "csv", "--exclude-user", "buildbot")):
        live, _ = listed(emu, flavour, "--fields", f"{FIELDS},title,closed_on", *args)
        before = len(emu.requests)
        cached = bbpr("list", target, "--state", "all", "--fields", f"{FIELDS},title,closed_on",
                      *args, "--cached", "--db", str(path), env=flavour_environment(emu, flavour))
        assert cached.code == 0, cached.err
        assert cached.out == live.out
        assert len(emu.requests) == before  # no network
    # A copy without review events is no answer: exit 2, and the sync to run.
    bare = tmp_path / "bare.sqlite"
    assert bbpr("sync", target, "--db", str(bare), env=flavour_environment(emu, flavour)).code == 0
    refused = bbpr("list", target, "--fields", "id,pickup_time", "--cached", "--db", str(bare),
                   env=flavour_environment(emu, flavour))
    assert refused.code == 2
    server = f" --server {emu.datacenter_url}" if flavour == "datacenter" else ""
    assert f"`bbpr sync {target}{server} --db {bare} --review-events`" in refused.err
    assert "Traceback" not in refused.err


def test_every_format_writes_spans_as_seconds_and_the_table_short(emu: Emulator) -> None:
    owner, slug = TARGETS["cloud"].split("/")
    truth = emu.review_truth(owner, slug)
    number = next(n for n, t in truth.items() if t.merged_on and t.first_review_on
                  and t.ready_on and t.merged_on - t.ready_on > timedelta(days=2))
    merge = int(seconds(truth[number].ready_on, truth[number].merged_on))
    fields = "id,time_to_merge,approvals,merged_without_approval,first_review_on"
    json_run, _ = listed(emu, "cloud", "--json", fields)
    record = next(r for r in json.loads(json_run.out) if r["id"] == number)
    assert record["time_to_merge"] == merge and isinstance(record["approvals"], int)
    assert isinstance(record["merged_without_approval"], bool)
    assert record["first_review_on"] == iso_exact(truth[number].first_review_on)
    ndjson_run, _ = listed(emu, "cloud", "--fields", fields, "--format", "ndjson")
    assert [json.loads(line) for line in ndjson_run.out.splitlines()] == json.loads(
        json_run.out)
    csv_run, _ = listed(emu, "cloud", "--fields", fields, "--format", "csv")
    csv_row = next(r for r in csv.DictReader(io.StringIO(csv_run.out)) if r["id"] == str(number))
    assert csv_row["time_to_merge"] == str(merge)
    table, _ = listed(emu, "cloud", "--fields", "id,time_to_merge,pickup_time", "--format",
                      "table", COLUMNS="120")
    assert table.out.splitlines()[0].split() == ["ID", "TIME", "TO", "MERGE", "PICKUP", "TIME"]
    line = next(line for line in table.out.splitlines()[1:] if line.split()[0] == str(number))
    assert line.split()[1] == f"{merge / 86400:.1f}".removesuffix(".0") + "d"
    shorts = {cell for line in table.out.splitlines()[1:] for cell in line[4:].split("  ")
              if cell.strip()}
    assert all(cell.strip()[-1] in "smhd" for cell in shorts)
    assert any(cell.strip().endswith("m") and "h" in cell for cell in shorts)  # `3h 20m`


def test_a_misspelt_field_gets_a_did_you_mean(emu: Emulator) -> None:
    env = flavour_environment(emu, "cloud")
    typo = bbpr("list", "acme/widgets", "--fields", "id,pickup_tme", env=env)
    assert typo.code == 2 and "Did you mean 'pickup_time'?" in typo.err
    help_text = bbpr("list", "--help", env=env | {"COLUMNS": "200"})
    assert "merged_without_approval" in help_text.out and "--exclude-user" in help_text.out
    alone = bbpr("list", "acme/widgets", "--exclude-user", "buildbot", env=env)
    assert alone.code == 2 and "--exclude-user" in alone.err and "Traceback" not in alone.err


def test_plan_and_the_sentence_before_a_run_count_the_events(emu: Emulator,
                                                             tmp_path: Path) -> None:
    data = {"XDG_DATA_HOME": str(tmp_path / "data")}
    for flavour in ("cloud", "datacenter"):
        synced = bbpr("sync", TARGETS[flavour], env=flavour_environment(emu, flavour, **data))
        assert synced.code == 0, synced.err
    plain = bbpr("list", "acme/widgets", "--state", "all", "--fields", "id,title", "--plan",
                 env=flavour_environment(emu, "cloud", **data))
    assert f"Cost: about {math.ceil(PRS / 50)} requests." in plain.out
    # The list and the feed walk: four to seven pull requests a feed page
    # (allowance.costs.feed_range).
    cloud_cost = (f"{math.ceil(PRS / 50) + math.ceil(PRS / 7)} to "
                  f"{math.ceil(PRS / 50) + math.ceil(PRS / 4)} requests")
    planned = bbpr("list", "acme/widgets", "--state", "all", "--fields", "id,pickup_time",
                   "--plan", env=flavour_environment(emu, "cloud", **data))
    assert planned.code == 0, planned.err
    assert f"Cost: {cloud_cost}." in planned.out
    dc = bbpr("list", "ACME/widgets", "--state", "all", "--fields", "id,approvals", "--plan",
              env=flavour_environment(emu, "datacenter", **data))
    assert dc.code == 0, dc.err
    assert f"Cost: about {2 + PRS} requests." in dc.out  # the list, and each one's activities
    short = bbpr("list", "acme/widgets", "--state", "all", "--fields", "id,pickup_time",
                 "--allowance", "20/1h", env=flavour_environment(emu, "cloud", BBPR_STATE_DIR=str(
                     tmp_path / "state"), **data))
    assert short.code == 5
    assert f"This bbpr list acme/widgets needs {cloud_cost}" in short.err


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_the_library_gives_typed_fields(emu: Emulator, flavour: str) -> None:
    environ = flavour_environment(emu, flavour)
    with Client.from_env(environ) as client:
        found = {pr.id: pr for pr in client.pull_requests(TARGETS[flavour], state="all",
                                                          fields=["id", *METRICS],
                                                          exclude_users=["buildbot"])}
    owner, slug = TARGETS[flavour].split("/")
    truth = emu.review_truth(owner, slug, flavour=flavour, exclude=("buildbot",))
    assert found.keys() == truth.keys()
    for number, record in found.items():
        assert record.ready_on == truth[number].ready_on
        assert record.first_review_on == truth[number].first_review_on
        assert record.merged_on == truth[number].merged_on
        assert record.approvals == truth[number].approvals
        assert record.merged_without_approval is truth[number].merged_without_approval
        pickup = seconds(truth[number].ready_on, truth[number].first_review_on)
        assert record.pickup_time == (int(pickup) if pickup else None)


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_a_workspace_or_project_reads_each_repository_s_events(emu: Emulator,
                                                               flavour: str) -> None:
    owner = TARGETS[flavour].split("/")[0]
    run = bbpr("list", owner, "--state", "all", "--fields", f"repository,{FIELDS}",
               "--format", "tsv", env=flavour_environment(emu, flavour))
    assert run.code == 0, run.err
    found: dict[str, dict[int, list[str]]] = {}
    for line in run.out.splitlines():
        repository, number, *cells = line.split("\t")
        found.setdefault(repository, {})[int(number)] = cells
    assert len(found) > 1
    for repository, pull_requests in found.items():
        slug = repository.split("/")[1]
        truth = emu.review_truth(owner, slug, flavour=flavour)
        assert pull_requests == {number: row(found_) for number, found_ in truth.items()}


def test_cached_pages_beyond_the_first_agree_with_the_library(tmp_path: Path) -> None:
    """A repository of more than one page of the copy (a thousand pull requests) gets the
    later pages' metrics from one computation of its whole: the same as `read_metrics`."""
    from ..report.timelines import HOST, Timeline, write_copy

    def story(number: int, repository: str) -> Timeline:
        hour = number % 50
        early = [("ci-bot", "comment", hour + 0.1), ("dana", "ready", hour + 0.5)]
        verdict = ("approval", "comment", "changes_requested")[number % 3]
        return Timeline(number, repository=repository, author=("dana", "alex")[number % 2],
                        created=hour, draft=number % 17 == 0,
                        events=[*early[: number % 3], ("priya", verdict, hour + 2)],
                        merged=hour + 5 if number % 4 else None)

    stories = [story(number, repository)
               for repository, count in (("acme/infra", 1300), ("acme/widgets", 2100))
               for number in range(1, count + 1)]
    path = write_copy(tmp_path / "copy.sqlite", stories)
    with sqlite3.connect(path) as db:  # as a sync of the workspace lists its repositories
        db.execute("INSERT INTO owners (host, owner, listed_at) VALUES (?, 'acme', "
                   "'2026-03-30T09:00:00.000000Z')", (HOST,))
        db.execute("UPDATE repositories SET position = id")
    listed = bbpr("list", "acme", "--state", "all", "--cached", "--db", str(path), "--fields",
                  f"repository,{FIELDS}", "--format", "ndjson", "--exclude-user", "Build Bot",
                  env=base_environment() | {"BITBUCKET_API_URL": HOST})
    assert listed.code == 0, listed.err
    records = [json.loads(line) for line in listed.out.splitlines()]
    assert len(records) == 3400
    for repository in ("acme/infra", "acme/widgets"):
        expected_ = {metrics.id: metrics for metrics in read_metrics(
            repository, db=path, exclude_users=["Build Bot"], time_zone="UTC")}
        found = [record for record in records if record["repository"] == repository]
        assert len(found) == len(expected_)
        for record in found:
            metrics = expected_[record["id"]]
            assert record["pickup_time"] == metrics.pickup_time
            assert record["ready_on"] == iso_exact(metrics.ready_on)
            assert record["approvals"] == metrics.approvals
            assert record["review_comments"] == metrics.review_comments
            assert record["merged_without_approval"] == metrics.merged_without_approval
    assert any(record["review_comments"] for record in records)
    assert any(record["ready_on"] is None for record in records)
