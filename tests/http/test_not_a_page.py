"""Only a page is a page: a 200 whose body is not the endpoint's envelope (`{}`, a proxy's
maintenance message, a web page in the middle of a listing) is retried like a 5xx, then ends
with exit 5 saying the output is incomplete; never an empty last page with exit 0."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bbpr import Client, GaveUpError
from bbpr.emulator import Emulator, Faults
from bbpr.emulator.messages import Request, Response
from bbpr.http import HttpOptions

from ..conftest import base_environment, bbpr, cloud_environment

MAINTENANCE = '{"message": "Down for maintenance"}'


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(prs=20, seed=5) as emulator:
        emulator.add_repository("acme", "big", prs=600)
        emulator.add_dc_repository("ACME", "huge", prs=3000)
        yield emulator


@pytest.fixture(autouse=True)
def no_faults(emu: Emulator) -> Iterator[None]:
    yield
    emu.faults = Faults()
    emu.hooks.clear()


def dc_environment(emu: Emulator) -> dict[str, str]:
    return base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                 "BITBUCKET_TOKEN": emu.dc_demo.token,
                                 "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}


@pytest.mark.parametrize("body", [MAINTENANCE, "{}"], ids=["maintenance", "empty object"])
def test_cloud_first_page_that_is_not_a_page_is_exit_5_not_an_empty_list(
        emu: Emulator, body: str) -> None:
    emu.faults = Faults(not_a_page_from=1, not_a_page_count=10_000, not_a_page_body=body)
    run = bbpr("list", "acme/big", "--state", "all", "--format", "ids", "--max-wait", "3",
               env=cloud_environment(emu))
    assert run.code == 5, run.err
    assert run.out == ""
    assert "JSON that is not a page of its API" in run.err
    # Nothing was written, so nothing is called incomplete: exit 5 and the cause say it all.
    assert "Try again later." in run.err and "were written" not in run.err
    if body == MAINTENANCE:
        assert "Down for maintenance" in run.err
    assert emu.request_count > 2  # retried like a 5xx


def test_one_page_that_is_not_a_page_is_retried_and_the_list_is_complete(emu: Emulator) -> None:
    emu.faults = Faults(not_a_page_from=1, not_a_page_count=1)
    run = bbpr("list", "acme/big", "--state", "all", "--format", "ids",
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    assert len(run.out.split()) == 600


def test_data_center_second_page_that_is_not_a_page_is_exit_5_after_the_first(
        emu: Emulator) -> None:
    env = dc_environment(emu)
    emu.reset_requests()
    whole = bbpr("list", "ACME/huge", "--state", "all", "--format", "ids", env=env)
    assert whole.code == 0 and len(whole.out.split()) == 3000
    api = [r for r in emu.requests if r.path.startswith("/rest/")]
    pages = [number for number, r in enumerate(api, 1) if r.path.endswith("/pull-requests")]
    emu.faults = Faults(not_a_page_from=pages[1], not_a_page_count=10_000)
    run = bbpr("list", "ACME/huge", "--state", "all", "--format", "ids", "--max-wait", "3",
               env=env)
    assert run.code == 5, run.err
    assert len(run.out.split()) == 1000
    assert "1000 pull requests were written before this; the output is incomplete" in run.err
    assert "Down for maintenance" in run.err


def test_a_web_page_in_the_middle_of_a_listing_is_exit_5_not_2(emu: Emulator) -> None:
    seen: list[str] = []

    def proxy_page(request: Request) -> Response | None:
        if request.path.endswith("/pullrequests"):
            seen.append(request.path)
            if len(seen) > 1:
                return Response(200, b"<html><body>Please log in</body></html>",
                                {"Content-Type": "text/html"})
        return None

    emu.hooks.append(proxy_page)
    # Titles need the records, read page by page: the first page is written before the
    # second fails (IDs proved from the count are written only once proved).
    run = bbpr("list", "acme/big", "--state", "all", "--format", "tsv", "--fields", "id,title",
               "--concurrency", "1", "--max-wait", "3", env=cloud_environment(emu))
    assert run.code == 5, run.err
    assert 0 < len(run.out.splitlines()) < 600
    assert "the output is incomplete" in run.err
    assert "not its API's JSON" in run.err


def test_the_library_raises_gave_up_for_a_maintenance_page(emu: Emulator) -> None:
    emu.faults = Faults(not_a_page_from=1, not_a_page_count=10_000)
    with (Client.from_env(cloud_environment(emu), options=HttpOptions(max_wait=3)) as bb,
          pytest.raises(GaveUpError, match="not a page of its API") as caught):
        bb.pull_request_ids("acme/big", state="all")
    assert caught.value.exit_code == 5
