"""What a gh user types works as in gh: `--json FIELDS`, and `bbpr pr list` and `bbpr pr view`
beside `bbpr list` and `bbpr view`, with the same output."""

from __future__ import annotations

import json

from bbpr.details import JSON_FIELDS
from bbpr.emulator import Emulator
from bbpr.models import FIELDS

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


def test_view_takes_json_fields_as_gh_does(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    whole = json.loads(bbpr("view", "acme/widgets", "3", "--format", "json", env=env).out)
    for command in (("view",), ("pr", "view")):
        chosen = bbpr(*command, "acme/widgets", "3", "--json", "id,title,people", env=env)
        assert chosen.code == 0, chosen.err
        assert list(json.loads(chosen.out)) == ["id", "title", "people"]
        assert json.loads(chosen.out) == {name: whole[name] for name in ("id", "title", "people")}
    unknown = bbpr("view", "acme/widgets", "3", "--json", "id,titel", env=env)
    assert unknown.code == 2 and "Did you mean 'title'?" in unknown.err
    clash = bbpr("view", "acme/widgets", "3", "--json", "id", "--format", "text", env=env)
    assert clash.code == 2 and "cannot go with --format text" in clash.err


def test_json_alone_lists_the_fields_as_gh_does(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    for args, last in ((("list", "acme/widgets"), FIELDS[-1]),
                       (("view", "acme/widgets", "3"), JSON_FIELDS[-1])):
        alone = bbpr(*args, "--json", env=env)
        assert alone.code == 2 and alone.out == ""
        assert "--json needs the fields to print" in alone.err
        assert "\n  id\n  repository\n  title\n" in alone.err
        assert alone.err.rstrip().endswith(f"  {last}")
    before_an_option = bbpr("list", "acme/widgets", "--json", "--state", "all", env=env)
    assert before_an_option.code == 2 and "\n  title\n" in before_an_option.err


def test_gh_top_level_auth_words_point_to_auth(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    for word in ("login", "status", "logout"):
        done = bbpr(word, env=env)
        assert done.code == 2
        assert f"No such command '{word}'. Did you mean 'bbpr auth {word}'?" in done.err
    typo = bbpr("lsit", env=env)
    assert typo.code == 2 and "Did you mean 'list'?" in typo.err  # commands not yet imported


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
