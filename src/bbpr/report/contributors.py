"""The people in a report: authors (what they opened and merged) and reviewers (the reviews
they gave on others' pull requests, their pickup when they were first, and what waits on
them now), from the temporary table of metrics `numbers` makes.

A person is one key: their user ID, else their login (in lower case), else their display
name; their name, login and ID are whatever the copy holds under that key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from .metrics import Exclusion, by_other
from .percentiles import NONE, figures
from .records import Author, Reviewer

_IN = "{column} >= :since AND {column} < :until"
_KEY = "coalesce({alias}.user_id, 'login:' || lower({alias}.login), 'name:' || {alias}.name)"


def authors(connection: sqlite3.Connection, parameters: Mapping[str, object]
            ) -> tuple[Author, ...]:
    key = "coalesce(author_id, 'login:' || lower(author_login), 'name:' || author)"
    merge = figures(connection, f"""
        SELECT {key} AS grp, time_to_merge AS value FROM temp.report_metrics
        WHERE {_IN.format(column="merged_on")}""", parameters)  # noqa: S608
    rows = connection.execute(f"""
        SELECT {key}, max(author), max(author_login), max(author_id),
               coalesce(sum({_IN.format(column="created_on")}), 0) AS opened,
               coalesce(sum({_IN.format(column="merged_on")}), 0) AS merged
        FROM temp.report_metrics GROUP BY 1 HAVING opened + merged > 0
        """, parameters)  # noqa: S608
    found = []
    for person, name, login, user_id, opened, merged in rows:
        ttm = merge.get(person, NONE)
        found.append(Author(author=name or login or user_id or "", login=login,
                            user_id=user_id, opened=opened, merged=merged,
                            time_to_merge_p50=ttm.p50,
                            time_to_merge_count=ttm.count))
    return tuple(sorted(found, key=lambda author: (-author.opened, -author.merged,
                                                   author.author.lower())))


def reviewers(connection: sqlite3.Connection, parameters: Mapping[str, object],
              excluded: Exclusion) -> tuple[Reviewer, ...]:
    people: dict[str, list[str | None]] = {}
    given: dict[str, tuple[int, int, int, int]] = {}
    for person, name, login, user_id, *counts in connection.execute(f"""
            SELECT {_KEY.format(alias="e")}, max(e.name), max(e.login), max(e.user_id),
                   count(DISTINCT e.repository_id || ':' || e.pull_request_id),
                   sum(e.kind = 'comment'), sum(e.kind = 'approval'),
                   sum(e.kind = 'changes_requested')
            FROM temp.report_metrics m JOIN review_events e
                ON e.repository_id = m.repository_id AND e.pull_request_id = m.id
            WHERE {_IN.format(column="e.happened_on")}
                AND e.kind IN ('comment', 'approval', 'changes_requested')
                AND {excluded.kept("e")} AND {by_other("e", "m")}
            GROUP BY 1""", parameters):  # noqa: S608
        people[person] = [name, login, user_id]
        given[person] = (counts[0], counts[1], counts[2], counts[3])
    waiting: dict[str, int] = {}
    for person, name, login, user_id, count in connection.execute(f"""
            SELECT {_KEY.format(alias="x")}, max(x.name), max(x.login), max(x.user_id), count(*)
            FROM temp.report_metrics m JOIN participants x
                ON x.repository_id = m.repository_id AND x.pull_request_id = m.id
            WHERE m.state IN ('OPEN', 'DRAFT', 'QUEUED') AND NOT m.in_draft
                AND x.role = 'REVIEWER' AND NOT x.approved AND NOT x.changes_requested
                AND {excluded.kept("x")}
            GROUP BY 1""", parameters):  # noqa: S608
        people.setdefault(person, [name, login, user_id])
        waiting[person] = count
    first = figures(connection, f"""
        SELECT first_reviewer AS grp, pickup_time AS value FROM temp.report_metrics
        WHERE first_reviewer IS NOT NULL AND {_IN.format(column="first_review_on")}
        """, parameters)  # noqa: S608
    for person in first:
        people.setdefault(str(person), [None, None, None if str(person).startswith(
            ("login:", "name:")) else str(person)])
    found = []
    for person, (name, login, user_id) in people.items():
        reviewed, comments, approvals, changes = given.get(person, (0, 0, 0, 0))
        pickup = first.get(person, NONE)
        found.append(Reviewer(
            reviewer=name or login or user_id or person, login=login, user_id=user_id,
            reviewed=reviewed, comments=comments, approvals=approvals,
            changes_requested=changes, first_reviews=pickup.count,
            pickup_time_p50=pickup.p50, waiting=waiting.get(person, 0)))
    return tuple(sorted(found, key=lambda reviewer: (-reviewer.reviewed, -reviewer.waiting,
                                                     reviewer.reviewer.lower())))
