"""Review data in the local copy: the `participants` table, one row per person on a pull
request other than its author, written by `bbpr sync` and read by `bbpr list --cached`; and
the close times a sync need not ask for again.

One row a person, with their role and verdict, rather than a column per list field, so
that a report can ask SQL the questions people ask ("what did Alex approve last month?",
"which merged pull requests had no approval?") and so that the list fields are made from
the rows by the same `models.review_fields` that makes them from a live record: the copy
answers exactly as the live listing does. `position` keeps the live order (reviewers first);
`role` is REVIEWER or PARTICIPANT; `user_id` the Cloud account UUID or the Data Center user
ID; `account_id` the Atlassian account ID (Cloud only). The table is made by the
migration to schema version 2 (see `schema`).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from ..models import Participant, PullRequest, placed_state
from .schema import checked, flag, time_or_none

_COLUMNS = ("role", "name", "login", "user_id", "account_id", "approved", "changes_requested")


def to_replace(db: sqlite3.Connection, repository_id: int,
               page: Sequence[PullRequest]) -> list[PullRequest]:
    """The pull requests of `page` whose stored rows the page's upsert is about to replace
    (the stored version is not newer, see `writer._UPSERT`), and which carry their people."""
    carrying = {pr.id: pr for pr in page if pr.people is not None}
    stored: dict[int, datetime | None] = {}
    for chunk in chunks(list(carrying)):
        # A stored time that cannot be read is none: the row is replaced (see `writer`).
        stored.update((number, time_or_none(updated)) for number, updated in db.execute(
            f"SELECT id, updated_on FROM pull_requests WHERE repository_id = ? "  # noqa: S608
            f"AND id IN ({', '.join('?' * len(chunk))})", (repository_id, *chunk)))
    return [pr for number, pr in carrying.items()
            if (before := stored.get(number)) is None or pr.updated_on is None
            or pr.updated_on >= before]


def replace(db: sqlite3.Connection, repository_id: int, newer: Sequence[PullRequest]) -> None:
    """Put these pull requests' people in place of those stored (after their rows are)."""
    db.executemany("DELETE FROM participants WHERE repository_id = ? AND pull_request_id = ?",
                   [(repository_id, pr.id) for pr in newer])
    db.executemany(
        f"INSERT INTO participants (repository_id, pull_request_id, position, "  # noqa: S608
        f"{', '.join(_COLUMNS)}) VALUES ({', '.join('?' * (len(_COLUMNS) + 3))})",
        [(repository_id, pr.id, position, person.role, person.name, person.login, person.id,
          person.account_id, int(person.approved), int(person.changes_requested))
         for pr in newer for position, person in enumerate(pr.people or ())])


def load(db: sqlite3.Connection, repository_id: int,
         numbers: Sequence[int]) -> dict[int, tuple[Participant, ...]]:
    """The people of each of these pull requests, in their stored order."""
    people: dict[int, list[Participant]] = defaultdict(list)
    for chunk in chunks(list(numbers)):
        rows = db.execute(
            f"SELECT pull_request_id, {', '.join(_COLUMNS)} FROM participants "  # noqa: S608
            f"WHERE repository_id = ? AND pull_request_id IN ({', '.join('?' * len(chunk))}) "
            "ORDER BY pull_request_id, position", (repository_id, *chunk))
        for number, role, name, login, user_id, account_id, approved, changes in rows:
            people[number].append(checked(Participant, "participants", {
                "name": name, "login": login, "id": user_id, "account_id": account_id,
                "role": role, "approved": flag(approved), "changes_requested": flag(changes)}))
    return {number: tuple(people.get(number, ())) for number in numbers}


def close_times(db: sqlite3.Connection, repository_id: int,
                page: Sequence[PullRequest]) -> dict[int, datetime | None]:
    """The stored close times of the page's pull requests that were stored closed in the
    state they are in now (a pull request closes once: those still hold)."""
    wanted = {pr.id: pr.state for pr in page if placed_state(pr.state) not in (None, "OPEN")}
    found: dict[int, datetime | None] = {}
    for chunk in chunks(list(wanted)):
        rows = db.execute(
            "SELECT id, state, closed_on FROM pull_requests WHERE repository_id = ? "  # noqa: S608
            f"AND id IN ({', '.join('?' * len(chunk))})", (repository_id, *chunk))
        # A close time that cannot be read is not known: it is asked for again.
        found.update((number, time_or_none(closed)) for number, state, closed in rows
                     if state == wanted.get(number) and (closed is None
                                                         or time_or_none(closed) is not None))
    return found


def chunks(numbers: list[int]) -> list[list[int]]:
    """Within SQLite's oldest limit on parameters (999)."""
    return [numbers[start : start + 500] for start in range(0, len(numbers), 500)]
