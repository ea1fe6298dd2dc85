"""The live listing's filters as SQL over the local copy (`filters`), so that `bbpr list
--cached` picks what the live listing would; and a name given to `--author` or `--reviewer`
that is no one's in the copy (`no_one_named`), said as the live listing says it
(`asked.people`): a typo is not an empty answer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from ..asked.matching import asks_every_state, author_kind
from ..asked.people import named
from ..asked.suggestions import closest
from ..errors import InputError
from ..models import KNOWN_STATES, Flavour, Query, placed_state
from .schema import to_text


def register(connection: sqlite3.Connection) -> None:
    """The SQL function the conditions fold names with (as Python folds them: SQLite's own
    `lower` and NOCASE fold ASCII letters alone)."""
    connection.create_function("casefold", 1, _casefold, deterministic=True)


def filters(flavour: Flavour, query: Query, *, states: bool = True
            ) -> tuple[list[str], list[object]]:
    """The live listing's filters, as SQL; see `cloud.query.filter_conditions` and
    `datacenter.pull_request_parameters`, whose meaning this mirrors. `states=False`
    leaves the states out."""
    conditions: list[str] = []
    parameters: list[object] = []
    if states and not asks_every_state(query):  # `all`: every state, unknown ones included
        wanted = sorted(state for state in KNOWN_STATES if placed_state(state) in query.states)
        conditions.append(f"state IN ({', '.join('?' * len(wanted))})")
        parameters += wanted
    if query.author:
        condition, values = author_condition(flavour, query.author)
        conditions.append(condition)
        parameters += values
    for column, branch in (("source_branch", query.source),
                           ("destination_branch", query.destination)):
        if branch:
            conditions.append(f"{column} = ?")
            parameters.append(branch)
    if query.updated_since:
        conditions.append("updated_on >= ?")
        parameters.append(to_text(_server_precision(flavour, query.updated_since)))
    if query.created_since:
        # Cloud filters in BBQL, to the second; Data Center's is bbpr's own, exact.
        since = query.created_since
        conditions.append("created_on >= ?")
        parameters.append(to_text(since.replace(microsecond=0) if flavour == "cloud" else since))
    if query.draft is not None:
        conditions.append("coalesce(draft, 0) = ?")
        parameters.append(int(query.draft))
    for who in query.reviewers:
        condition, values = reviewer_condition(flavour, who)
        conditions.append(condition)
        parameters += values
    return conditions, parameters


def author_condition(flavour: Flavour, who: str) -> tuple[str, list[object]]:
    """As the live listing filters: a Cloud {UUID} by ID; a name by nickname (Data Center: user
    name) or display name, in any case: Cloud's BBQL and `matching` fold the case, and Data
    Center's user search turns a user name or display name in any case into its user's
    (`asked.people.resolve`)."""
    if flavour == "cloud" and author_kind(who) == "uuid":
        return "author_id = ?", [who]
    return "(casefold(author_login) = ? OR casefold(author) = ?)", [who.casefold()] * 2


def reviewer_condition(flavour: Flavour, who: str) -> tuple[str, list[object]]:
    """As the live listing filters: on Data Center by user name, a display name standing for
    its user's (as `asked.people.resolve` turns it into one), in any case; on Cloud as BBQL's
    `reviewers.uuid`, `reviewers.account_id`, or nickname or display name in any case (as
    `query` asks for them, and `matching` checks them)."""
    kind = "name" if flavour == "datacenter" else author_kind(who)
    values: list[object] = [who.strip()]
    if kind == "uuid":
        match, values = "user_id = ?", ["{" + who.strip().strip("{}").lower() + "}"]
    elif kind == "account_id":
        match = "account_id = ?"
    else:
        match = "(casefold(login) = ? OR casefold(name) = ?)"
        values = [who.casefold(), who.casefold()]
    # `match` is one of the constants above; values are parameters: no injection (S608).
    return ("EXISTS (SELECT 1 FROM participants WHERE participants.repository_id = "  # noqa: S608
            "pull_requests.repository_id AND pull_request_id = pull_requests.id AND "
            f"role = 'REVIEWER' AND {match})"), values


def _server_precision(flavour: Flavour, moment: datetime) -> datetime:
    """BBQL datetimes are sent to the second, Data Center's to the millisecond."""
    if flavour == "cloud":
        return moment.replace(microsecond=0)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _casefold(text: str | None) -> str | None:
    return None if text is None else text.casefold()


def no_one_named(connection: sqlite3.Connection, repository_ids: Sequence[int], where: str,
                 flavour: Flavour, query: Query) -> None:
    """Before a listing of the repositories `repository_ids` (`where`, as the user named them):
    a name given to `--author` or `--reviewer` that matches no author (no requested reviewer)
    of any of their pull requests in the copy, in any state, so that the listing would find
    nothing, is said (exit 2) with the nearest names. Cloud's {UUID}s and account IDs are
    IDs, not names: not checked, as live."""
    ids = ", ".join(str(int(number)) for number in repository_ids)
    for option, who in named(query):
        if flavour == "cloud" and author_kind(who) != "name":
            continue
        reviewers = option == "--reviewer"
        condition, values = (reviewer_condition if reviewers else author_condition)(flavour, who)
        # `condition` is one of this module's constants; values are parameters (S608).
        if connection.execute(f"SELECT 1 FROM pull_requests WHERE repository_id IN ({ids}) "  # noqa: S608
                              f"AND {condition} LIMIT 1", values).fetchone():
            continue
        people = connection.execute(
            "SELECT DISTINCT login, name FROM participants "  # noqa: S608
            f"WHERE repository_id IN ({ids}) AND role = 'REVIEWER'" if reviewers else
            "SELECT DISTINCT author_login, author FROM pull_requests "  # noqa: S608
            f"WHERE repository_id IN ({ids})").fetchall()
        names = {login or name: name for login, name in people if login or name}
        guesses = [repr(names[key] or key) for key in closest(who, names.items())][:3]
        hint = f" Did you mean {' or '.join(guesses)}?" if guesses else ""
        whose = "reviewer" if reviewers else "author"
        give = ("a whole nickname or display name (any case), or a {UUID}" if flavour == "cloud"
                else "a user name or display name (any case)")
        raise InputError(f"{option} {who!r} is the name of no {whose} of a pull request of "
                         f"{where} in the local copy, in any state, so none matched.{hint} "
                         f"Give {give}.")
