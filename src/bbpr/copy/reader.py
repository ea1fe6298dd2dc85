"""Answering `bbpr list --cached` from the local copy that `bbpr sync` keeps.

The same filters, order and fields as the live listing, so that both print the same bytes:
Cloud newest ID first, Data Center in its NEWEST order (update time, then ID); repositories
in the order the live listing reads them. Nothing here touches the network.
"""

from __future__ import annotations

import dataclasses
import shlex
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from ..asked import people, repository_match
from ..asked.matching import asks_every_state
from ..asked.targets import Target
from ..errors import InputError, UnknownStateError
from ..models import (
    KNOWN_STATES,
    METRIC_FIELDS,
    REVIEW_FIELDS,
    Flavour,
    PullRequest,
    Query,
    review_fields,
)
from . import review
from .conditions import filters, no_one_named
from .conditions import register as register_casefold
from .file import NotCachedError, default_path, in_words, open_read_only
from .schema import COLUMNS, checked, flag, from_text


@dataclass(frozen=True)
class CachedListing:
    """A listing answered from the file: when it was last brought up to date, and its pages."""

    synced_at: datetime
    """When the oldest of its repositories' last complete passes ended (local clock)."""
    pages: Iterator[list[PullRequest]]


PageFill = Callable[[sqlite3.Connection, int, list[PullRequest]], list[PullRequest]]
"""What fills in more of each page read (the review metrics: `metric_fields.from_copy`),
from the same snapshot: the connection, the repository's row ID, the page."""


def read(path: Path, host: str, target: Target, query: Query, *, limit: int | None = None,
         repos: str | None = None, fill: PageFill | None = None) -> CachedListing:
    """The pull requests `bbpr list` would print for `target` and `query`, from the file.

    Same filters, order and fields as the live listing, people included: they are resolved
    where the live listing resolves them (`people`), but without a server to ask. Everything
    that can fail is checked before the first page: a target never synced whole is a
    `NotCachedError` (exit 4), one whose copy lacks what a field is made of an `InputError`.
    """
    query = people.resolve_offline(query)
    _check_cacheable(target.flavour, query)
    try:
        connection = open_read_only(path)
    except NotCachedError as error:  # no file at all: say which sync makes it
        raise NotCachedError(f"{error.message} Run `{sync_command(target, path)}` first, then "
                             "list with --cached again.") from None
    mend = (f"Run `{sync_command(target, path)} --full` to read it again from the server, "
            "or give another --db.")
    # Cloud's names match in any case, as the live listing's check folds them (`matching`).
    register_casefold(connection)
    try:
        with in_words(path, mend):
            connection.execute("BEGIN")  # one snapshot for the listing, while syncs write
            chosen = repositories(connection, host, target, repos, sync_command(target, path))
            # A name no one in the copy has matches nothing in any state: said before a
            # line is written (a JSON array would be left open).
            no_one_named(connection, [number for number, _, _ in chosen], target.full_name,
                         target.flavour, query)
            if query.fields & METRIC_FIELDS:  # events bring close times along
                _check_kept(connection, "review_events", chosen, target, path, repos)
            if "closed_on" in query.fields:
                _check_kept(connection, "close_times", chosen, target, path, repos)
    except BaseException:
        connection.close()
        raise
    synced_at = min((completed for _, _, completed in chosen if completed), default=None)
    return CachedListing(synced_at or datetime.now(UTC),
                         _pages(connection, chosen, target.flavour, query, limit, fill,
                                told=(path, mend)))


def sync_command(target: Target, path: Path | None) -> str:
    """The `bbpr sync` command that makes the copy `bbpr list TARGET --cached` reads."""
    db = f" --db {path}" if path is not None and path != default_path() else ""
    return f"bbpr sync {target.as_typed}{db}"


def _check_cacheable(flavour: Flavour, query: Query) -> None:
    if query.text:
        raise InputError("--query (BBQL) is evaluated by Bitbucket Cloud itself; the local copy "
                         "cannot. Drop --cached, or use --author, --source, --destination and "
                         "--updated-since.")
    if "description" in query.fields:
        raise InputError("The local copy does not keep pull request descriptions; drop "
                         "--cached to list them, or choose other --fields.")
    if flavour == "cloud" and query.author and ":" in query.author:
        raise InputError("The local copy knows authors by nickname, display name and {UUID}, "
                         "not by Atlassian account ID; give one of those, or drop --cached.")
    for option, who in people.named(query):
        if people.is_email(who):
            name = "nickname" if flavour == "cloud" else "user name"
            raise InputError(f"The local copy keeps no email addresses, so {option} {who!r} "
                             f"would match no pull request: give a {name} or display name, or "
                             "drop --cached.")
    if flavour == "datacenter" and not query.states - {"SUPERSEDED"}:
        raise InputError("Bitbucket Data Center has no SUPERSEDED state: its pull requests are "
                         "OPEN, MERGED or DECLINED.")


def repositories(connection: sqlite3.Connection, host: str, target: Target,
                  pattern: str | None, command: str) -> list[tuple[int, str, datetime | None]]:
    """(row id, full name, last complete pass) of each repository to list, in order;
    `command` is the sync that makes them."""
    if target.repo_slug is not None:
        rows = connection.execute(
            "SELECT id, owner || '/' || slug, completed_at FROM repositories "
            "WHERE host = ? AND owner = ? COLLATE NOCASE AND slug = ? COLLATE NOCASE",
            (host, target.owner, target.repo_slug)).fetchall()
    elif connection.execute("SELECT 1 FROM owners WHERE host = ? AND owner = ? COLLATE NOCASE",
                            (host, target.owner)).fetchone():
        rows = [row[:3] for row in connection.execute(
            "SELECT id, owner || '/' || slug, completed_at, slug, name FROM repositories "
            "WHERE host = ? AND owner = ? COLLATE NOCASE AND position IS NOT NULL "
            "ORDER BY position",
            (host, target.owner))
            if pattern is None or repository_match.matches(pattern, *row[3:])]
        if not rows:  # an empty workspace, or a --repos glob that matches nothing
            return []
    else:
        rows = []
    if not rows:
        raise NotCachedError(_not_cached(connection, host, target, command))
    unfinished = [row[1] for row in rows if row[2] is None]
    if unfinished:
        named = ", ".join(unfinished[:3])
        if len(unfinished) > 3:
            named = (f"{len(unfinished)} of the {len(rows)} repositories ({named}, and "
                     f"{len(unfinished) - 3} more)")
        raise NotCachedError(f"The local copy of {named} is incomplete: no full sync has "
                             f"finished since it was made or upgraded. Run `{command}` again.")
    return [(row[0], row[1], from_text(row[2], "repositories.completed_at")) for row in rows]


def _not_cached(connection: sqlite3.Connection, host: str, target: Target, command: str) -> str:
    """Why nothing was found: never synced, or synced from another host (a Cloud copy filed
    under the emulator's or a proxy's API URL, a Data Center server spelt otherwise)."""
    elsewhere = [row[0] for row in connection.execute(
        "SELECT DISTINCT CAST(host AS TEXT) FROM repositories WHERE owner = ? COLLATE NOCASE "
        "AND (? IS NULL OR slug = ? COLLATE NOCASE) ORDER BY 1",
        (target.owner, target.repo_slug, target.repo_slug))]
    hosts = [row[0] for row in connection.execute(
        "SELECT DISTINCT CAST(host AS TEXT) FROM repositories ORDER BY 1")]
    looked = f"{target.full_name} has no local copy from {host}"
    if host in elsewhere:  # some of its repositories, each synced alone, never all of it
        alone = [row[0] for row in connection.execute(
            "SELECT owner || '/' || slug FROM repositories WHERE host = ? "
            "AND owner = ? COLLATE NOCASE ORDER BY 1", (host, target.owner))]
        named = ", ".join(alone[:3]) + (", ..." if len(alone) > 3 else "")
        return (f"{target.full_name} was never synced whole: the copy holds "
                f"{len(alone)} of its repositories, each synced alone ({named}). Run "
                f"`{command}` first to copy all of it, or name one of those.")
    if elsewhere:
        variable = "--server" if target.server else "BITBUCKET_API_URL"
        return (f"{looked}, the host bbpr looked for; the copy has it from "
                f"{', '.join(elsewhere)}. Set {variable} to that host to read it, or run "
                f"`{command}` first to copy it from the one looked for.")
    held = f" (the file holds copies from {', '.join(hosts)})" if hosts else ""
    return f"{looked} yet{held}; run `{command}` first."


_LACKING = {
    "close_times": ("has no close times (on Cloud they cost requests, so `bbpr sync` keeps "
                    "them only when asked)", "--close-times", "closed_on"),
    "review_events": ("keeps no review events, which the review metrics are made of",
                      "--review-events", "the metric fields"),
}
"""What a copy may lack (a column of `repositories`): in words, the sync's flag that adds
it, and the fields that need it."""


def _check_kept(connection: sqlite3.Connection, column: str,
                chosen: list[tuple[int, str, datetime | None]], target: Target,
                path: Path, pattern: str | None) -> None:
    """Refuse `closed_on` from a copy synced without close times, or the review metrics from
    one without review events: their empty values would read as "still open" or "never
    reviewed". The sync named adds them to the repositories listed, no others."""
    lacks, flag, fields = _LACKING[column]
    kept = {number for (number,) in connection.execute(
        f"SELECT id FROM repositories WHERE {column} = 1")}  # noqa: S608 (a constant)
    lacking = [name for number, name, _ in chosen if number not in kept]
    if not lacking:
        return
    command = sync_command(target, path)
    if len(lacking) == 1:
        which = lacking[0]
        owner, _, slug = lacking[0].partition("/")
        command = sync_command(dataclasses.replace(target, owner=owner, repo_slug=slug,
                                                   project=None), path)
    else:
        which = (f"{len(lacking)} of the {len(chosen)} repositories ({', '.join(lacking[:3])}"
                 + (", ...)" if len(lacking) > 3 else ")"))
        command += f" --repos {shlex.quote(pattern)}" if pattern is not None else ""
    raise InputError(f"The local copy of {which} {lacks}: run `{command} {flag}` once, or "
                     f"leave {fields} out.")


def _pages(connection: sqlite3.Connection, chosen: list[tuple[int, str, datetime | None]],
           flavour: Flavour, query: Query, limit: int | None, fill: PageFill | None, *,
           told: tuple[Path, str]) -> Iterator[list[PullRequest]]:
    """The pages; `told`: the file and what mends it, for damage met on the way."""
    names = [name for name in COLUMNS if name == "id" or name in query.fields]
    conditions, parameters = filters(flavour, query)
    where = "".join(f" AND {condition}" for condition in conditions)
    sql = f"SELECT {', '.join(names)} FROM pull_requests WHERE repository_id = ?{where} "  # noqa: S608
    sql += f"ORDER BY {_ORDER[flavour]}"
    if limit is not None:
        sql += " LIMIT ?"
    listed = 0
    unplaced: Counter[str] = Counter()
    try:
        with in_words(*told):
            for repository_id, full_name, _ in chosen:
                remaining = () if limit is None else (limit - listed,)
                cursor = connection.execute(sql, (repository_id, *parameters, *remaining))
                while rows := cursor.fetchmany(_PAGE):
                    page = _records(rows, names, full_name)
                    if query.fields & REVIEW_FIELDS:
                        page = _with_people(connection, repository_id, page)
                    if fill is not None:
                        page = fill(connection, repository_id, page)
                    listed += len(page)
                    yield page
                if limit is not None and listed >= limit:
                    return
                if not asks_every_state(query):
                    unplaced.update(_unplaced(connection, repository_id, flavour, query))
        if unplaced:
            names = [full_name for _, full_name, _ in chosen]
            raise UnknownStateError.of(", ".join(names[:3]) + (", ..." if names[3:] else ""),
                                       unplaced)
    finally:
        connection.close()


def _unplaced(connection: sqlite3.Connection, repository_id: int, flavour: Flavour,
              query: Query) -> dict[str, int]:
    """How many of the repository's records that meet the query but for the state are in a
    state bbpr has never seen (or none): as live, neither listed nor dropped in silence."""
    conditions, parameters = filters(flavour, query, states=False)
    known = sorted(KNOWN_STATES)
    where = "".join(f" AND {condition}" for condition in conditions)
    rows = connection.execute(
        "SELECT CAST(coalesce(state, '') AS TEXT), count(*) FROM pull_requests "  # noqa: S608
        "WHERE repository_id = ? "
        f"AND (state IS NULL OR state NOT IN ({', '.join('?' * len(known))})){where} "
        "GROUP BY 1", (repository_id, *known, *parameters))
    return dict(rows.fetchall())


_PAGE = 1000
_ORDER: dict[Flavour, str] = {"cloud": "id DESC", "datacenter": "updated_on DESC, id DESC"}
"""The live listing's order: Cloud's ID scan is newest first; Data Center's `order=NEWEST`
lists the latest updated first (see `datacenter.scan`)."""


def _with_people(connection: sqlite3.Connection, repository_id: int,
                 page: list[PullRequest]) -> list[PullRequest]:
    people = review.load(connection, repository_id, [pr.id for pr in page])
    return [msgspec.structs.replace(pr, **review_fields(people[pr.id])) for pr in page]


def _records(rows: list[tuple[Any, ...]], names: list[str],
             repository: str) -> list[PullRequest]:
    """The rows as records, every value checked: one bbpr never writes is damage, named."""
    times = [(index, f"pull_requests.{name}") for index, name in enumerate(names)
             if name in _TIMES]
    flags = [index for index, name in enumerate(names) if name in _FLAGS]
    records = []
    for row in rows:
        values = list(row)
        for index, column in times:
            values[index] = from_text(values[index], column)
        for index in flags:
            values[index] = flag(values[index])
        records.append(checked(PullRequest, "pull_requests",
                               {"repository": repository, **dict(zip(names, values, strict=True))}))
    return records


_TIMES = frozenset({"created_on", "updated_on", "closed_on"})
_FLAGS = frozenset({"draft", "queued"})
