"""The people in a report: authors (what they opened and merged) and reviewers (the reviews
they gave on others' pull requests, their pickup when they were first, and what waits on
them now), from the copy's tables and the temporary table of metrics `numbers` makes.

A person is one key: their user ID, else their login (in lower case), else their display
name; their name, login and ID are whatever the copy holds under that key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

from .metrics import Exclusion, by_other, open_now
from .percentiles import NONE
from .records import Author, Figure, Reviewer

_IN = "{column} >= :since AND {column} < :until"
_KEY = "coalesce({alias}.user_id, 'login:' || lower({alias}.login), 'name:' || {alias}.name)"
_AUTHOR = ("coalesce({alias}author_id, 'login:' || lower({alias}author_login), "
           "'name:' || {alias}author)")
AUTHOR = _AUTHOR.format(alias="")
"""SQL for the author of a row of the metrics: a person key, as `_KEY` for the others."""


Authored = tuple[str | None, str | None, str | None, str | None, int, int]
"""An author: their key, the greatest name, login and ID stored under it, and how many pull
requests they opened and merged in the period."""


def authored(connection: sqlite3.Connection, where: str, parameters: Mapping[str, object]
             ) -> list[Authored]:
    """The authors of the pull requests `where` picks (alias `p`), in the order of their
    keys."""
    return connection.execute(f"""
        SELECT {_AUTHOR.format(alias="p.")}, max(p.author), max(p.author_login), max(p.author_id),
               coalesce(sum({_IN.format(column="p.created_on")}), 0),
               coalesce(sum(p.state = 'MERGED' AND {_IN.format(column="p.closed_on")}), 0)
        FROM pull_requests p WHERE {where} GROUP BY 1 ORDER BY 1
        """, parameters).fetchall()  # noqa: S608


def authors(found: Sequence[Authored], merge: Mapping[object, Figure]) -> tuple[Author, ...]:
    """Everyone who opened or merged a pull request in the period (`found`: `authored`);
    `merge`: the figures of time to merge by author."""
    rows = []
    for person, name, login, user_id, opened, merged in found:
        if opened + merged == 0:
            continue
        ttm = merge.get(person, NONE)
        rows.append(Author(author=name or login or user_id or "", login=login,
                           user_id=user_id, opened=opened, merged=merged,
                           time_to_merge_p50=ttm.p50, time_to_merge_count=ttm.count))
    return tuple(sorted(rows, key=lambda author: (-author.opened, -author.merged,
                                                  author.author.lower())))


def reviews_given(connection: sqlite3.Connection, where: str,
                  parameters: Mapping[str, object], excluded: Exclusion
                  ) -> dict[str, tuple[int, int, int, int]]:
    """Per person: the pull requests (of those `where` picks, alias `p`) they reviewed in the
    period, and their comments, approvals and change requests there, on others' pull
    requests. It reads the copy's tables only (not the metrics), so that it can run on a
    connection of its own, beside them (`numbers`)."""
    # Tallied a person in one pass over the events in pull request order, without sorting
    # them (a sort of every event by person was the cost): each event adds to its person's
    # row of a small table, and a pull request counts once for a person, when it differs
    # from the last one they were seen on (their events on one pull request come together).
    # CROSS JOIN: the pull requests outside, in their key's order; `+e.happened_on`: each
    # pull request's events by its key, not the repository's by time.
    connection.execute("DROP TABLE IF EXISTS temp.reviews_given")
    connection.execute("CREATE TEMP TABLE reviews_given (person TEXT PRIMARY KEY, "
                       "last_pull_request INTEGER, reviewed INTEGER, comments INTEGER, "
                       "approvals INTEGER, changes INTEGER) WITHOUT ROWID")
    connection.execute(f"""
        INSERT INTO temp.reviews_given
        SELECT {_KEY.format(alias="e")}, p.repository_id * 4294967296 + p.id, 1,
               e.kind = 'comment', e.kind = 'approval', e.kind = 'changes_requested'
        FROM pull_requests p CROSS JOIN review_events e
            ON e.repository_id = p.repository_id AND e.pull_request_id = p.id
        WHERE {where} AND {_IN.format(column="+e.happened_on")}
            AND e.kind IN ('comment', 'approval', 'changes_requested')
            AND {excluded.kept("e")} AND {by_other("e", "p")}
        ORDER BY p.repository_id, p.id
        ON CONFLICT (person) DO UPDATE SET
            reviewed = reviewed + (last_pull_request != excluded.last_pull_request),
            last_pull_request = excluded.last_pull_request,
            comments = comments + excluded.comments, approvals = approvals + excluded.approvals,
            changes = changes + excluded.changes""", parameters)  # noqa: S608
    given = {person: (reviewed, comments, approvals, changes)
             for person, reviewed, comments, approvals, changes in connection.execute(
                 "SELECT person, reviewed, comments, approvals, changes "
                 "FROM temp.reviews_given")}
    connection.execute("DROP TABLE temp.reviews_given")
    return given


def waiting_on(connection: sqlite3.Connection, parameters: Mapping[str, object],
               excluded: Exclusion) -> dict[str, int]:
    """Per requested reviewer: the open pull requests (not drafts) of the metrics that wait
    on their verdict now."""
    return dict(connection.execute(f"""
        SELECT {_KEY.format(alias="x")}, count(*)
        FROM temp.report_metrics m JOIN participants x
            ON x.repository_id = m.repository_id AND x.pull_request_id = m.id
        WHERE {open_now("m.state")} AND NOT m.in_draft
            AND x.role = 'REVIEWER' AND NOT x.approved AND NOT x.changes_requested
            AND {excluded.kept("x")}
        GROUP BY 1""", parameters))  # noqa: S608


def reviewers(connection: sqlite3.Connection, numbers: str,
              given: Mapping[str, tuple[int, int, int, int]], waiting: Mapping[str, int],
              first: Mapping[object, Figure], known: Mapping[str, Names]
              ) -> tuple[Reviewer, ...]:
    """Everyone who reviewed in the period (`given`: `reviews_given`), or on whom an open
    pull request waits (`waiting`: `waiting_on`); `first`: the figures of pickup time by
    first reviewer. Their names are those `known` (`known_names`), else one of their
    events' in the repositories `numbers` (row IDs, SQL)."""
    people = sorted({*given, *waiting, *(str(person) for person in first)})
    found = []
    for person in people:
        reviewed, comments, approvals, changes = given.get(person, (0, 0, 0, 0))
        name, login, user_id = known.get(person) or _named_in_events(connection, numbers,
                                                                    person)
        pickup = first.get(person, NONE)
        found.append(Reviewer(
            reviewer=name or login or user_id or person.split(":", 1)[-1], login=login,
            user_id=user_id, reviewed=reviewed, comments=comments, approvals=approvals,
            changes_requested=changes, first_reviews=pickup.count,
            pickup_time_p50=pickup.p50, waiting=waiting.get(person, 0)))
    return tuple(sorted(found, key=lambda reviewer: (-reviewer.reviewed, -reviewer.waiting,
                                                     reviewer.reviewer.lower())))


Names = tuple[str | None, str | None, str | None]
"""A person's name, login and user ID."""


def known_names(connection: sqlite3.Connection, numbers: str) -> dict[str, Names]:
    """(name, login, user ID) of each person among the people of the pull requests
    (requested reviewers and participants) of the repositories `numbers` (row IDs, SQL):
    the greatest stored under their key, each apart, as SQL's max() would give them. The
    distinct spellings are few, so SQLite keeps them in an index of its own rather than
    sort every row by person (which took 0.4 s for 50,000 pull requests)."""
    found: dict[str, Names] = {}
    for person, name, login, user_id in connection.execute(
            f"SELECT DISTINCT {_KEY.format(alias='x')}, name, login, user_id "  # noqa: S608
            f"FROM participants x WHERE x.repository_id IN ({numbers})"):
        held = found.get(person, (None, None, None))
        found[person] = (_greater(held[0], name), _greater(held[1], login),
                         _greater(held[2], user_id))
    return found


def _greater(one: str | None, other: str | None) -> str | None:
    return other if one is None else one if other is None else max(one, other)


def _named_in_events(connection: sqlite3.Connection, numbers: str, person: str) -> Names:
    row = connection.execute(
        f"SELECT name, login, user_id FROM review_events e "  # noqa: S608
        f"WHERE e.repository_id IN ({numbers}) AND {_KEY.format(alias='e')} = ? LIMIT 1",
        (person,)).fetchone()
    return (None, None, None) if row is None else (row[0], row[1], row[2])
