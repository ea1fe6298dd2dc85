"""Filter values typed by users become a precise Query, and mistakes get a clear error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bbpr.asked.filters import make_query, parse_fields, parse_since, parse_states
from bbpr.errors import InputError
from bbpr.models import STATES


def test_states() -> None:
    assert parse_states(None) == {"OPEN"}
    assert parse_states("all") == set(STATES)
    assert parse_states(["merged", "Declined"]) == {"MERGED", "DECLINED"}
    assert parse_states(["open,merged"]) == {"OPEN", "MERGED"}
    assert parse_states("SUPERSEDED") == {"SUPERSEDED"}


def test_a_state_that_does_not_exist() -> None:
    with pytest.raises(InputError, match="'closed' is not a pull request state"):
        parse_states(["open", "closed"])


def test_since_dates_and_ages() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert parse_since("2026-01-31") == datetime(2026, 1, 31, tzinfo=UTC)
    assert parse_since("2026-01-31T12:30") == datetime(2026, 1, 31, 12, 30, tzinfo=UTC)
    assert parse_since("2026-01-31T12:30:00+02:00") == datetime(2026, 1, 31, 10, 30, tzinfo=UTC)
    assert parse_since("2026-01-31T12:30:00Z") == datetime(2026, 1, 31, 12, 30, tzinfo=UTC)
    assert parse_since("7d", now=now) == now - timedelta(days=7)
    assert parse_since("12h", now=now) == now - timedelta(hours=12)
    assert parse_since("2w", now=now) == now - timedelta(weeks=2)


@pytest.mark.parametrize("text", ["yesterday", "31/01/2026", "7 days", "2026-13-01"])
def test_since_garbage(text: str) -> None:
    with pytest.raises(InputError, match="is not a date"):
        parse_since(text)


def test_fields() -> None:
    assert parse_fields(None, ("id",)) == ("id",)
    assert parse_fields("id,title, state", ()) == ("id", "title", "state")
    assert parse_fields("id,id", ()) == ("id",)
    with pytest.raises(InputError, match="Unknown field 'titel'"):
        parse_fields("id,titel", ())
    with pytest.raises(InputError, match="empty"):
        parse_fields(" , ", ())


def test_make_query_strips_blank_values() -> None:
    query = make_query(state=["all"], author="  ", source=" feature/x ", fields=["id"])
    assert query.author is None
    assert query.source == "feature/x"
    assert query.fields == {"id"}
    assert query.states == set(STATES)


def test_make_query_checks_library_fields_too() -> None:
    with pytest.raises(InputError, match="Unknown field 'titel'"):
        make_query(fields=["id", "titel"])
