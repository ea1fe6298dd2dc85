"""The HTML page of `bbpr report --html`, opened in a real headless Chromium (Debian's, at
/usr/bin/chromium, driven by Playwright, which never downloads a browser of its own): it
renders, every chart has drawn marks, no console error, no network request at all, and a
hostile title stays text.

Where Chromium is missing these tests are skipped, unless BBPR_REQUIRE_BROWSER is set (CI
sets it, after `.ci/run` installs Chromium): then they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import base_environment, bbpr
from .timelines import HOST, Timeline, write_copy

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = '<script>window.pwned = 1</script><img src="https://example.invalid/x.png">'


def _browser_or_skip() -> None:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        if os.environ.get("BBPR_REQUIRE_BROWSER"):
            pytest.fail(f"BBPR_REQUIRE_BROWSER is set but there is no {CHROMIUM}: install "
                        "Debian's chromium package (.ci/run does).")
        pytest.skip(f"no {CHROMIUM} (apt-get install chromium); set BBPR_REQUIRE_BROWSER to "
                    "make this a failure")


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("page")
    stories = [Timeline(number, created=number * 7, author=("dana", "alex")[number % 2],
                        events=[(("jo", "priya", "alex")[number % 3], "comment",
                                 number * 7 + number % 5 + 1),
                                ("jo", "approval", number * 7 + number % 5 + 3)],
                        merged=number * 7 + number % 9 + 4) for number in range(1, 40)]
    stories += [Timeline(50, created=100, title=HOSTILE, reviewers=("priya",)),
                Timeline(51, author="priya", created=120, reviewers=("jo",))]
    copy = write_copy(work / "copy.sqlite", stories)
    page = work / "report.html"
    done = bbpr("report", "acme/widgets", "--db", str(copy), "--since", "2026-03-01",
                "--until", "2026-03-31", "--tz", "UTC", "--html", str(page),
                env=base_environment() | {"BITBUCKET_API_URL": HOST})
    assert done.code == 0, done.err
    return page


@pytest.fixture(scope="module")
def opened(page_file: Path) -> Iterator[dict[str, Any]]:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests: list[str] = []
        problems: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda message: problems.append(message.text)
                if message.type in ("error", "warning") else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(page_file.as_uri(), wait_until="load")
        page.wait_for_timeout(300)  # anything late (a lazy image, a timer) would show now
        yield {"page": page, "requests": requests, "problems": problems,
               "url": page_file.as_uri()}
        browser.close()


def test_the_page_renders(opened: dict[str, Any]) -> None:
    page = opened["page"]
    assert page.title() == "Review report: acme/widgets"
    assert page.locator("h1").inner_text() == "Review report: acme/widgets"
    assert page.locator("table[data-table=durations] tbody tr").count() == 3
    assert page.locator("table[data-table=weeks] tbody tr").count() >= 4


def test_every_chart_has_drawn_marks(opened: dict[str, Any]) -> None:
    page = opened["page"]
    charts = page.locator("figure[data-chart]")
    assert charts.count() == 5
    for index in range(charts.count()):
        chart = charts.nth(index)
        marks = chart.locator("svg g.role-mark path, svg g.role-mark rect")
        assert marks.count() > 0, chart.get_attribute("data-chart")
        drawn = [marks.nth(number).bounding_box() for number in range(marks.count())]
        assert any(box and box["width"] > 0 and box["height"] > 0 for box in drawn), \
            chart.get_attribute("data-chart")


def test_no_console_error_and_no_request(opened: dict[str, Any]) -> None:
    assert opened["problems"] == []
    assert opened["requests"] == [opened["url"]]  # the page itself, from the disk: no more


def test_a_hostile_title_stays_text(opened: dict[str, Any]) -> None:
    page = opened["page"]
    assert page.locator("script").count() == 0
    assert page.evaluate("window.pwned") is None
    assert page.locator("img").count() == 0
    cell = page.locator("table[data-table=awaiting_first_review] td", has_text="<script>")
    assert cell.inner_text() == HOSTILE
