"""`matching`: the check every scan applies to every record the server sends back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bbpr.asked.matching import author_kind, failed_conditions, fields_to_check, unplaced_state
from bbpr.models import STATES, PullRequest, Query

UUID = "{0f6b2c2e-6b0e-4c5e-9d2a-8f3f1f4c2a11}"
ACCOUNT_ID = "557058:3c2d7f0e-1b2a-4c3d-8e9f-0a1b2c3d4e5f"
RECORD = PullRequest(
    id=7, repository="acme/widgets", state="MERGED", author="Ada Lovelace",
    author_login="ada", author_id=UUID, author_account_id=ACCOUNT_ID,
    source_branch="feature/x", destination_branch="main",
    updated_on=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
)


def test_a_record_meeting_every_condition_fails_none() -> None:
    query = Query(states=frozenset({"MERGED", "OPEN"}), author="ada", source="feature/x",
                  destination="main", updated_since=datetime(2026, 3, 1, tzinfo=UTC))
    assert failed_conditions(RECORD, query) == frozenset()


@pytest.mark.parametrize(("query", "failed"), [
    (Query(states=frozenset({"OPEN"})), {"state"}),
    (Query(states=frozenset({"MERGED"}), author="grace"), {"author"}),
    (Query(states=frozenset({"MERGED"}), source="feature/y"), {"source"}),
    (Query(states=frozenset({"MERGED"}), destination="develop"), {"destination"}),
    (Query(states=frozenset({"MERGED"}),
           updated_since=datetime(2026, 3, 1, 12, 0, 1, tzinfo=UTC)), {"updated_since"}),
    (Query(states=frozenset({"OPEN"}), author="grace", destination="develop"),
     {"state", "author", "destination"}),
])
def test_each_failed_condition_is_named(query: Query, failed: set[str]) -> None:
    assert failed_conditions(RECORD, query) == failed


@pytest.mark.parametrize("author", [
    "ada", "ADA", "Ada Lovelace", "ada lovelace", UUID, UUID.upper(), UUID.strip("{}"),
    f" {UUID} ", ACCOUNT_ID, ACCOUNT_ID.upper(),
])
def test_author_matching_tolerates_case_and_braces(author: str) -> None:
    query = Query(states=frozenset({"MERGED"}), author=author)
    assert failed_conditions(RECORD, query) == frozenset()


def test_a_field_the_record_lacks_fails_its_condition() -> None:
    bare = PullRequest(id=7, repository="acme/widgets", state="DECLINED")
    query = Query(states=frozenset({"MERGED"}), author=UUID, source="feature/x",
                  updated_since=datetime(2026, 1, 1, tzinfo=UTC))
    assert failed_conditions(bare, query) == {"state", "author", "source", "updated_since"}


@pytest.mark.parametrize(("state", "open_", "merged"), [
    ("OPEN", True, False), ("DRAFT", True, False), ("QUEUED", True, False),
    ("MERGED", False, True), ("ON_HOLD", None, None), (None, None, None),
])
def test_a_state_is_placed_under_the_four_or_said_to_be_unknown(
        state: str | None, open_: bool | None, merged: bool | None) -> None:
    """DRAFT and QUEUED are open; a state never seen (or none) is listed under `all` only,
    and under a named state neither passes nor fails: `listing` says it."""
    record = PullRequest(id=7, repository="acme/widgets", state=state)
    for states, expected in ((frozenset({"OPEN"}), open_), (frozenset({"MERGED"}), merged)):
        query = Query(states=states)
        assert ("state" not in failed_conditions(record, query)) is (expected is not False)
        assert unplaced_state(record, query) is (expected is None)
    every = Query(states=frozenset(STATES))
    assert failed_conditions(record, every) == frozenset()
    assert not unplaced_state(record, every)
    drafts = Query(states=frozenset(STATES), draft=True)
    assert ("draft" in failed_conditions(record, drafts)) is (state != "DRAFT")


@pytest.mark.parametrize(("author", "kind"), [
    ("{0f6b2c2e-6b0e-4c5e-9d2a-8f3f1f4c2a11}", "uuid"),
    ("0F6B2C2E-6B0E-4C5E-9D2A-8F3F1F4C2A11", "uuid"),
    (ACCOUNT_ID, "account_id"),
    ("5b10ac8d82e05b22cc7d4ef5", "account_id"),
    ("ada", "name"),
    ("Ada Lovelace", "name"),
])
def test_author_kind(author: str, kind: str) -> None:
    assert author_kind(author) == kind


def test_fields_to_check_asks_only_for_what_the_conditions_read() -> None:
    assert fields_to_check(Query()) == {"id", "state"}
    assert fields_to_check(Query(author="ada")) == {"id", "state", "author", "author_login"}
    assert fields_to_check(Query(author=UUID)) == {"id", "state", "author_id"}
    assert fields_to_check(Query(author=ACCOUNT_ID)) == {"id", "state", "author_account_id"}
    assert fields_to_check(Query(source="a", destination="b",
                                 updated_since=datetime(2026, 1, 1, tzinfo=UTC))) == {
        "id", "state", "source_branch", "destination_branch", "updated_on"}


def test_every_field_to_check_is_a_record_field() -> None:
    query = Query(author="ada", source="a", destination="b",
                  updated_since=datetime(2026, 1, 1, tzinfo=UTC))
    assert fields_to_check(query) <= set(PullRequest.__struct_fields__)
