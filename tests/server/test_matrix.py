"""The server matrix: every reported deviation of Bitbucket from what bbpr would like, alone
and in pairs, x `--state all|merged|open`, x a quiet server / changes during the listing, on
Cloud and Data Center (docs/server-assumptions.md).

Each cell must end with the exact list: every pull request that matched the query from the
start of the listing to its end, each once, and nothing that never matched while the list
was read. And within the request bound: never a loop. The library runs in-process against
one small emulator per worker (a repository of its own per cell), so that the 354 cells take
under a minute.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bbpr import Client
from bbpr.emulator import Emulator

from ..conftest import base_environment, cloud_environment

PRS = 300
STATES = {"all": {"OPEN", "QUEUED", "MERGED", "DECLINED", "SUPERSEDED"}, "merged": {"MERGED"},
          "open": {"OPEN", "QUEUED"}}
"""The states each `--state` lists: a merge-queued pull request (QUEUED) is open."""


@dataclass(frozen=True)
class Quirk:
    name: str
    settings: dict[str, Any] = field(default_factory=dict)


CLOUD_QUIRKS = [
    Quirk("state dropped next to q", {"state_with_q": "dropped"}),
    Quirk("id filters refused with 400", {"id_filters": "400"}),
    Quirk("id filters refused with 500", {"id_filters": "500"}),
    Quirk("id filters ignored", {"id_filters": "ignored"}),
    Quirk("sort ignored", {"sort_ignored": True}),
    Quirk("no size", {"omit_size": True}),
]
LIVE_VOCABULARY = [
    Quirk("drafts hidden unless q names draft", {"drafts_hidden": "unless-q-names-draft"}),
    Quirk("drafts always hidden", {"drafts_hidden": "always"}),
    Quirk("merge-queued as QUEUED", {"merge_queue": "state"}),
    Quirk("merge-queued as OPEN + queued", {"merge_queue": "flag"}),
    Quirk("plain fields= drops + entries", {"mixed_fields": "plus-dropped"}),
    Quirk("drafts hidden + QUEUED + + dropped", {"drafts_hidden": "unless-q-names-draft",
                                                "merge_queue": "state",
                                                "mixed_fields": "plus-dropped"}),
]
"""The live service's open vocabulary (issue 15): each alone, and each but the queued flag
(OPEN to every check) with every deviation above."""
HONEST = {"state_with_q": "applied"}


def cloud_cells() -> Iterator[tuple[str, dict[str, Any]]]:
    yield "honest", HONEST
    for quirk in CLOUD_QUIRKS:
        yield quirk.name, {**HONEST, **quirk.settings}
    for one, other in itertools.combinations(CLOUD_QUIRKS, 2):
        if set(one.settings) & set(other.settings):
            continue  # two values of one switch cannot hold at once
        yield f"{one.name} + {other.name}", {**HONEST, **one.settings, **other.settings}
    for live in LIVE_VOCABULARY:
        yield live.name, {**HONEST, **live.settings}
    for live in LIVE_VOCABULARY:
        if live.settings.get("merge_queue") == "flag":
            continue
        for quirk in CLOUD_QUIRKS:
            yield f"{live.name} + {quirk.name}", {**HONEST, **live.settings, **quirk.settings}


CLOUD = list(cloud_cells())
CHANGES = {"quiet": None, "changes": 3}


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(prs=5, seed=23) as emulator:
        yield emulator


@pytest.fixture
def repository(emu: Emulator, request: pytest.FixtureRequest) -> Iterator[str]:
    """A repository of the cell's own, and the emulator's settings put back afterwards."""
    slug = emu.add_repository("acme", f"matrix-{abs(hash(request.node.nodeid))}", prs=PRS)
    dc_slug = emu.add_dc_repository("ACME", f"matrix-{abs(hash(request.node.nodeid))}",
                                    prs=PRS)
    assert slug == dc_slug
    saved = {name: getattr(emu.settings, name) for name in
             ("state_with_q", "id_filters", "sort_ignored", "omit_size", "changes_every",
              "changes", "dc_order_by", "dc_max_limit", "drafts_hidden", "merge_queue",
              "mixed_fields")}
    yield slug
    for name, value in saved.items():
        setattr(emu.settings, name, value)


def states_of(prs: list[dict[str, Any]]) -> dict[int, str]:
    return {pr["id"]: pr["state"] for pr in prs}


def check(listed: list[Any], before: dict[int, str], after: dict[int, str],
          wanted: set[str]) -> None:
    """Exact: each once; all that matched throughout; none that never matched."""
    ids = [pr.id for pr in listed]
    assert len(ids) == len(set(ids)), "a pull request was listed twice"
    assert all(pr.state in wanted for pr in listed)
    throughout = {n for n, state in before.items()
                  if state in wanted and after.get(n) in wanted}
    ever = ({n for n, state in before.items() if state in wanted}
            | {n for n, state in after.items() if state in wanted}
            | {n for n in ids if n > max(before)})  # created during the listing
    missing = throughout - set(ids)
    assert not missing, f"lost {sorted(missing)[:10]}"
    extra = set(ids) - ever
    assert not extra, f"listed {sorted(extra)[:10]}, which never matched"


def bound(total: int, page: int) -> int:
    """3 x ceil(count / page) + the ranges + a few: the most a listing may send."""
    return 3 * math.ceil(total / page) + math.ceil(total / 50) + 10


@pytest.mark.parametrize("changes", CHANGES, ids=list(CHANGES))
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize(("name", "settings"), CLOUD, ids=[name for name, _ in CLOUD])
def test_cloud(emu: Emulator, repository: str, name: str, settings: dict[str, Any],
               state: str, changes: str) -> None:
    for setting, value in settings.items():
        setattr(emu.settings, setting, value)
    before = states_of(emu.pull_requests("acme", repository))
    emu.settings.changes_every = CHANGES[changes]
    emu.settings.changes = frozenset({"create", "merge", "update"})
    start = len(emu.requests)
    # Where `+` entries may be dropped, ask for review data, which needs them (or not).
    fields = ["id", "state", *(["reviewers"] if "mixed_fields" in settings else [])]
    with Client.from_env(cloud_environment(emu)) as bb:
        listed = list(bb.pull_requests(f"acme/{repository}", state=state, fields=fields))
    spent = len(emu.requests) - start
    emu.settings.changes_every = None
    after = states_of(emu.pull_requests("acme", repository))
    check(listed, before, after, STATES[state])
    if changes == "quiet":
        assert {pr.id for pr in listed} == {n for n, s in before.items() if s in STATES[state]}
    if "reviewers" in fields:
        assert all(pr.reviewers is not None for pr in listed)
    assert spent <= bound(len(after), 50)


DC_CHANGES = {"quiet": frozenset(), "deletions": frozenset({"delete"}),
              "updates": frozenset({"update"}),
              "all changes": frozenset({"delete", "update", "merge", "create"})}
DC_ORDERS = {"NEWEST by update time": "updated", "NEWEST by creation": "id"}


@pytest.mark.parametrize("changes", DC_CHANGES, ids=list(DC_CHANGES))
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("order", DC_ORDERS, ids=list(DC_ORDERS))
def test_datacenter(emu: Emulator, repository: str, order: str, state: str,
                    changes: str) -> None:
    emu.settings.dc_order_by = DC_ORDERS[order]
    emu.settings.dc_max_limit = 25
    before = states_of(emu.dc_pull_requests("ACME", repository))
    emu.settings.changes = DC_CHANGES[changes] or frozenset({"delete"})
    emu.settings.changes_every = 3 if DC_CHANGES[changes] else None
    env = base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                "BITBUCKET_TOKEN": emu.dc_demo.token}
    wanted = STATES[state] - {"SUPERSEDED"}
    start = len(emu.requests)
    with Client.from_env(env) as bb:
        listed = list(bb.pull_requests(f"ACME/{repository}", state=state,
                                       fields=["id", "state"]))
    spent = len(emu.requests) - start
    emu.settings.changes_every = None
    after = states_of(emu.dc_pull_requests("ACME", repository))
    check(listed, before, after, wanted)
    if changes == "quiet":
        assert {pr.id for pr in listed} == {n for n, s in before.items() if s in wanted}
    assert spent <= bound(len(after), 25)
