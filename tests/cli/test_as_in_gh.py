"""What a gh user types works as in gh: `--json FIELDS`, and `bbpr pr list` and `bbpr pr view`
beside `bbpr list` and `bbpr view`, with the same output."""

from __future__ import annotations

import json

from bbpr.emulator import Emulator

from ..conftest import bbpr, cloud_environment


def test_json_fields_as_gh_spells_it(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    ours = bbpr("list", "acme/widgets", "-s", "all", "--format", "json", "--fields",
                "id,title,state", env=env)
    for args in (("--json", "id,title,state"), ("--json", "id,title,state", "--format", "json")):
        gh = bbpr("list", "acme/widgets", "-s", "all", *args, env=env)
        assert gh.code == 0, gh.err
        assert gh.out == ours.out and len(json.loads(gh.out)) == len(
            emulator.pull_requests("acme", "widgets"))
    clash = bbpr("list", "acme/widgets", "--json", "id", "--format", "csv", env=env)
    assert clash.code == 2 and "cannot go with --format csv" in clash.err
    both = bbpr("list", "acme/widgets", "--json", "id", "--fields", "title", env=env)
    assert both.code == 2 and "drop --fields" in both.err
    view = bbpr("view", "acme/widgets", "3", "--json", "id", env=env)
    assert view.code == 2 and "--format json" in view.err


def test_pr_list_and_pr_view_as_in_gh(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    for ours, theirs in ((("list", "acme/widgets", "-s", "all", "-L", "7"),
                          ("pr", "list", "acme/widgets", "-s", "all", "-L", "7")),
                         (("view", "acme/widgets", "3", "--format", "json"),
                          ("pr", "view", "acme/widgets", "3", "--format", "json"))):
        expected, aliased = bbpr(*ours, env=env), bbpr(*theirs, env=env)
        assert expected.code == aliased.code == 0, aliased.err
        assert aliased.out == expected.out and expected.out
    debug = bbpr("pr", "--debug", "list", "acme/widgets", "-L", "1", env=env)
    assert debug.code == 0 and "> GET /2.0/repositories/acme/widgets/pullrequests" in debug.err
    help_text = bbpr("--help", env=env).out
    assert "  list " in help_text and "  pr " not in help_text  # listed once, not cluttered
