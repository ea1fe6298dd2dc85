"""`--author WHO`: @me, UUIDs with or without braces, account IDs, Data Center display names,
and a name that matches nobody said so, not answered with an empty list."""

from __future__ import annotations

import pytest

from bbpr.asked.people import normalise
from bbpr.emulator import Emulator

from ..conftest import bbpr, cloud_environment
from ..datacenter.test_list import WIDGETS, dc_list, truth


@pytest.mark.parametrize(("typed", "expected"), [
    ("0b0e8a0c-5d7e-4c2b-9a55-6a3f0f0e1a2b", "{0b0e8a0c-5d7e-4c2b-9a55-6a3f0f0e1a2b}"),
    ("{0B0E8A0C-5D7E-4C2B-9A55-6A3F0F0E1A2B}", "{0b0e8a0c-5d7e-4c2b-9a55-6a3f0f0e1a2b}"),
    (" dana ", "dana"), ("@me", "@me"), ("Dana Demo", "Dana Demo"),
])
def test_normalise(typed: str, expected: str) -> None:
    assert normalise(typed) == expected


def _cloud_ids(emu: Emulator, *args: str) -> set[str]:
    run = bbpr("list", "acme/widgets", "-s", "all", "--format", "ids", *args,
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    return set(run.out.split())


def test_cloud_me_and_uuids(emulator: Emulator) -> None:
    me = emulator.store.demo_account.uuid
    mine = [pr for pr in emulator.pull_requests("acme", "widgets") if pr["author"]["uuid"] == me]
    assert mine, "the demo user should have pull requests"
    expected = {str(pr["id"]) for pr in mine}
    uuid = mine[0]["author"]["uuid"]
    assert _cloud_ids(emulator, "-A", "@me") == expected
    assert _cloud_ids(emulator, "--author", uuid) == expected
    assert _cloud_ids(emulator, "--author", uuid.strip("{}")) == expected
    assert _cloud_ids(emulator, "--author", mine[0]["author"]["account_id"]) == expected


def test_cloud_colon_free_account_id_is_sent_as_one(emulator: Emulator) -> None:
    before = len(emulator.requests)
    _cloud_ids(emulator, "--author", "5b10ac8d82e05b22cc7d4ef5")
    sent = " ".join(str(r.query) for r in emulator.requests[before:])
    assert "author.account_id" in sent


def _dc_ids(emu: Emulator, *args: str) -> set[str]:
    run = dc_list(emu, WIDGETS, "-s", "all", "--format", "ids", *args)
    assert run.code == 0, run.err
    return set(run.out.split())


def test_data_center_display_name_email_and_me(emulator: Emulator) -> None:
    user = next(pr["author"]["user"] for pr in truth(emulator)
                if pr["author"]["user"]["name"] == emulator.dc_demo.username)
    expected = {str(pr["id"]) for pr in truth(emulator)
                if pr["author"]["user"]["name"] == user["name"]}
    assert expected
    assert _dc_ids(emulator, "--author", user["name"]) == expected
    assert _dc_ids(emulator, "--author", user["displayName"]) == expected
    assert _dc_ids(emulator, "--author", user["emailAddress"].upper()) == expected
    assert _dc_ids(emulator, "-A", "@me") == expected


def test_data_center_nobody_is_said(emulator: Emulator) -> None:
    run = dc_list(emulator, WIDGETS, "--author", "Nobody Atall")
    assert run.code == 2
    assert "matches no user" in run.err and run.out == ""
    near = dc_list(emulator, WIDGETS, "--author", emulator.dc_demo.username + "x")
    assert near.code == 2 and f"Did you mean {emulator.dc_demo.username}" in near.err


def _authored_by(emu: Emulator, name: str) -> set[str]:
    return {str(pr["id"]) for pr in emu.pull_requests("acme", "widgets")
            if pr["author"]["display_name"] == name}


def _reviewed_by(emu: Emulator, name: str) -> set[str]:
    return {str(pr["id"]) for pr in emu.pull_requests("acme", "widgets")
            if any(r["display_name"] == name for r in pr.get("reviewers") or ())}


def test_cloud_display_names_in_any_case(emulator: Emulator) -> None:
    assert _authored_by(emulator, "Jonas Becker")
    for typed in ("Jonas Becker", "jonas becker", "JONAS BECKER"):
        assert _cloud_ids(emulator, "--author", typed) == _authored_by(emulator, "Jonas Becker")
    assert _cloud_ids(emulator, "--reviewer", "priya raman") == _reviewed_by(emulator,
                                                                           "Priya Raman")


@pytest.mark.parametrize(("option", "typed", "said"), [
    ("--author", "Becker", "--author 'Becker' is the nickname or display name of no author "
                           "of a pull request of acme/widgets, in any state, so none matched. "
                           "Did you mean 'Jonas Becker'?"),
    ("--reviewer", "nobody", "--reviewer 'nobody' is the nickname or display name of no "
                             "reviewer of a pull request of acme/widgets"),
    ("--reviewer", "becker", "Did you mean 'Jonas Becker'?"),
    ("--author", "jonas@example.com", "is an email address, and Bitbucket Cloud shows no one's "
                                      "email"),
])
def test_cloud_nobody_is_said_as_on_data_center(emulator: Emulator, option: str, typed: str,
                                                said: str) -> None:
    run = bbpr("list", "acme/widgets", option, typed, "--format", "ids",
               env=cloud_environment(emulator))
    assert run.code == 2 and run.out == ""
    assert said in run.err


def test_cloud_someone_with_nothing_that_matches_is_no_error(emulator: Emulator) -> None:
    """Jonas Becker exists, with no pull request from that branch: nothing to say."""
    before = len(emulator.requests)
    run = bbpr("list", "acme/widgets", "--author", "jonas becker", "--source", "no-such-branch",
               "--format", "ids", env=cloud_environment(emulator))
    assert run.code == 0 and run.out == "" and run.err == ""
    assert len(emulator.requests) - before <= 2  # the listing, and one look for the name
