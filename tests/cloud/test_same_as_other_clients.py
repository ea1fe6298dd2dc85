"""bbpr, a plain `requests` loop and atlassian-python-api see the same pull requests in the
emulator: it speaks Bitbucket, not just bbpr."""

from __future__ import annotations

import requests
from atlassian.bitbucket import Cloud

from bbpr.emulator import Emulator

from ..conftest import bbpr, cloud_environment

STATES = ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]


def test_bbpr_requests_and_atlassian_python_api_agree(emulator: Emulator) -> None:
    listed = bbpr("list", "acme/widgets", "--state", "all", "--format", "ids",
                  env=cloud_environment(emulator))
    assert listed.code == 0, listed.err
    by_bbpr = sorted(int(line) for line in listed.out.split())

    by_loop: list[int] = []
    with requests.Session() as session:
        session.auth = (emulator.demo.email, emulator.demo.api_token)
        url: str | None = f"{emulator.cloud_api_url}/repositories/acme/widgets/pullrequests"
        params: dict[str, object] | None = {"pagelen": 50, "state": STATES}
        while url:
            page = session.get(url, params=params, timeout=30).json()
            by_loop.extend(pr["id"] for pr in page["values"])
            url, params = page.get("next"), None

    cloud = Cloud(url=emulator.base_url, username=emulator.demo.email,
                  password=emulator.demo.api_token)
    pullrequests = cloud.repositories.get("acme", "widgets").pullrequests
    by_library = [pr.id for pr in pullrequests.each(q=" OR ".join(f'state="{s}"' for s in STATES))]

    assert len(by_bbpr) == len(emulator.pull_requests("acme", "widgets"))
    assert by_bbpr == sorted(by_loop) == sorted(by_library)
