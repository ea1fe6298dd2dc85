"""The fault matrix: every fault the emulator can inject, alone and mixed, on Cloud and Data
Center. Each run ends with exactly the emulator's ground truth, or with a non-zero exit code
and a sentence saying so: never a short list with exit code 0. And no credential ever goes
to the other origin of a cross-origin `next` link."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bbpr.emulator import Emulator, Faults

from ..conftest import Run, base_environment, bbpr

PRS = 237


@dataclass(frozen=True)
class Mode:
    name: str
    faults: dict[str, Any] = field(default_factory=dict)
    recovers: bool = True
    """A run must then succeed; otherwise it may also give up, with a sentence."""
    args: tuple[str, ...] = ()


MODES = [
    Mode("latency and jitter", {"latency_ms": 20, "jitter_ms": 30}),
    Mode("429 every 3rd request, with Retry-After", {"rate_limit_every": 3, "retry_after": 0.05}),
    Mode("429 every 3rd request, without Retry-After", {"rate_limit_every": 3}),
    Mode("429 at random", {"rate_limit_probability": 0.3, "retry_after": 0.05}),
    Mode("bursts of 503", {"server_error_every": 4, "server_error_burst": 2}),
    Mode("500 at random", {"server_error_probability": 0.2, "server_error_status": 500}),
    Mode("HTML pages from a proxy", {"html_error_probability": 0.3}),
    Mode("dropped connections", {"drop_connection_probability": 0.2}),
    Mode("bodies cut short", {"truncate_probability": 0.3}),
    Mode("everything at once", {"latency_ms": 5, "jitter_ms": 10, "rate_limit_probability": 0.1,
                                "retry_after": 0.05, "server_error_probability": 0.1,
                                "html_error_probability": 0.05,
                                "drop_connection_probability": 0.05,
                                "truncate_probability": 0.05}),
    Mode("a server that always fails", {"server_error_probability": 1.0}, recovers=False,
         args=("--max-wait", "1")),
    Mode("a rate limit that never lifts", {"rate_limit_probability": 1.0, "retry_after": 0.3},
         recovers=False, args=("--max-wait", "1")),
]


@dataclass(frozen=True)
class Flavour:
    name: str
    target: str
    environment: Callable[[Emulator], dict[str, str]]
    truth: Callable[[Emulator], list[int]]
    prepare: Callable[[Emulator], None] = lambda emu: None


def cloud_env(emu: Emulator) -> dict[str, str]:
    return base_environment() | {"BITBUCKET_API_URL": emu.cloud_api_url,
                                 "BITBUCKET_EMAIL": emu.demo.email,
                                 "BITBUCKET_TOKEN": emu.demo.api_token,
                                 "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}


def datacenter_env(emu: Emulator) -> dict[str, str]:
    return base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                 "BITBUCKET_TOKEN": emu.dc_demo.token,
                                 "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}


def small_pages(emu: Emulator) -> None:
    emu.settings.dc_max_limit = 25


FLAVOURS = [
    Flavour("cloud", "acme/widgets", cloud_env,
            lambda emu: [pr["id"] for pr in emu.pull_requests("acme", "widgets")]),
    Flavour("datacenter", "ACME/widgets", datacenter_env,
            lambda emu: [pr["id"] for pr in emu.dc_pull_requests("ACME", "widgets")],
            small_pages),
]


@pytest.fixture
def emulator_for() -> Iterator[Callable[[Flavour], Emulator]]:
    started: list[Emulator] = []

    def start(flavour: Flavour) -> Emulator:
        emu = Emulator(prs=PRS, seed=13).start()
        flavour.prepare(emu)
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


def listed_ids(run: Run) -> list[int]:
    return [int(line) for line in run.out.split()]


def assert_complete_or_failed(run: Run, truth: list[int], *, must_recover: bool) -> None:
    assert "Traceback" not in run.err
    if must_recover:
        assert run.code == 0, run.err
    if run.code == 0:
        ids = listed_ids(run)
        assert len(ids) == len(set(ids)), "a pull request was listed twice"
        assert sorted(ids) == sorted(truth), "exit 0 with a list that is not the truth"
    else:
        assert run.code in (3, 5), run.err
        assert run.err.strip() and len(run.err.strip().splitlines()) <= 2


@pytest.mark.parametrize("flavour", FLAVOURS, ids=[f.name for f in FLAVOURS])
@pytest.mark.parametrize("mode", MODES, ids=[m.name for m in MODES])
def test_fault(mode: Mode, flavour: Flavour,
               emulator_for: Callable[[Flavour], Emulator]) -> None:
    emu = emulator_for(flavour)
    emu.faults = Faults(**mode.faults)
    run = bbpr("list", flavour.target, "--state", "all", "--format", "ids", *mode.args,
               env=flavour.environment(emu))
    emu.faults = Faults()
    assert_complete_or_failed(run, flavour.truth(emu), must_recover=mode.recovers)
    if not mode.recovers:
        assert run.code == 5 and ("rate limit" in run.err or "kept failing" in run.err)


@pytest.mark.parametrize("flavour", FLAVOURS, ids=[f.name for f in FLAVOURS])
def test_changes_during_the_listing(flavour: Flavour,
                                    emulator_for: Callable[[Flavour], Emulator]) -> None:
    """Pull requests created, merged, declined and updated between pages: every pull request
    that existed before the listing is listed once, and nothing twice."""
    emu = emulator_for(flavour)
    before = set(flavour.truth(emu))
    owner, slug = flavour.target.split("/")

    def change() -> None:
        for _ in range(3):
            emu.create_pull_request(owner, slug, flavour=flavour.name)
        open_ids = sorted(pr_id for pr_id in before)
        emu.set_state(owner, slug, open_ids[5], "MERGED", flavour=flavour.name)
        emu.set_state(owner, slug, open_ids[-40], "DECLINED", flavour=flavour.name)
        emu.touch(owner, slug, open_ids[len(open_ids) // 2], flavour=flavour.name)

    emu.on_pull_request_list(2, change, flavour=flavour.name)
    run = bbpr("list", flavour.target, "--state", "all", "--format", "ids",
               "--concurrency", "1", env=flavour.environment(emu))
    assert run.code == 0, run.err
    ids = listed_ids(run)
    assert len(ids) == len(set(ids))
    assert before <= set(ids) <= set(flavour.truth(emu))


def test_no_credential_goes_to_another_origin(
        emulator_for: Callable[[Flavour], Emulator]) -> None:
    cloud = FLAVOURS[0]
    emu = emulator_for(cloud)
    with Emulator(prs=5, seed=2) as elsewhere:
        emu.settings.id_filters = "400"  # forces following `next` links
        emu.faults = Faults(foreign_next_link=elsewhere.base_url)
        run = bbpr("list", cloud.target, "--state", "all", "--format", "ids",
                   env=cloud.environment(emu))
        assert run.code != 0 and "does not follow it" in run.err
        assert "incomplete" in run.err
        assert elsewhere.request_count == 0


def test_changes_during_a_sequential_fallback(
        emulator_for: Callable[[Flavour], Emulator]) -> None:
    """Where BBQL refuses `id`, bbpr follows `next`. A pull request merged out of the open
    ones and others created meanwhile must neither be listed twice nor be taken for a loss
    ("incomplete"): the recount leaves out what was created after the listing began."""
    emu = emulator_for(FLAVOURS[0])
    emu.settings.id_filters = "400"
    emu.add_repository("acme", "busy", prs=300, states={"OPEN": 1})
    before = {pr["id"] for pr in emu.pull_requests("acme", "busy")}

    def change() -> None:
        emu.set_state("acme", "busy", 10, "MERGED")
        for _ in range(3):
            emu.create_pull_request("acme", "busy")

    emu.on_pull_request_list(3, change)
    run = bbpr("list", "acme/busy", "--format", "ids", env=FLAVOURS[0].environment(emu))
    assert run.code == 0, run.err
    ids = listed_ids(run)
    assert len(ids) == len(set(ids))
    assert before - {10} <= set(ids) <= before | {301, 302, 303}
