"""`bbpr sync`: bring the local copy of a repository, workspace or project up to date.

Flavour-neutral: it speaks to a `Backend` and the copy's `Writer` only, and sends no request
of its own. A repository's first pass reads every pull request in every state; later passes read
only those updated since its watermark minus `SAFETY_WINDOW` (`Query.updated_since`: BBQL on
`updated_on` on Cloud, a newest-first listing on Data Center), which costs one request when
little changed. A workspace or project lists its repositories, then passes over them side by
side, bounded like `listing` (the shared limiter in `http` caps the requests in flight).

Close times (`closed_on`) are kept where the records carry them (Data Center), and on Cloud,
where they cost about one request for every five pull requests (the activity feeds, read one
page after another), only when asked (`close_times`): a first sync of a big repository would
otherwise spend most of the hourly allowance on them. The choice sticks to the repository's
copy: once it holds them, every later pass keeps them current. A copy that lacked them and
gains them is read whole, since the pull requests closed long ago need theirs too.

Review events (`review_events`: comments, approvals, change requests, state changes) are a
choice too, remembered the same way, and cost the activity: on Cloud the same walk of the
feed as close times (which they bring along), on Data Center one request a pull request.
A later pass asks only for the activity of the pull requests that changed, and only back
to its watermark: every event moves `updated_on`, so older ones are stored already. A
pull request's events are written with its row, in one transaction.

Crash safety comes from the order of writes: each page is upserted in its own transaction,
and a repository's watermark moves only in the transaction that ends a complete pass. A run
killed at any moment leaves pages that are true (if partial) and the old watermark, so the
next run repeats the unfinished pass and loses nothing; rows are keyed by (repository, id),
so nothing is stored twice.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .. import listing
from ..asked import repository_match
from ..asked.targets import Target
from ..backend import Backend, CloseTimeSource, ReviewEventSource
from ..errors import (
    PER_REPOSITORY,
    AllowanceSpent,
    PartialError,
    RepositoryFailure,
)
from ..in_order import ordered
from ..models import STATES, PullRequest, Query, Repository
from .file import MEND_BY_HAND, in_words
from .schema import STORED_FIELDS
from .writer import StoredRepository, Writer

EVENTS_SAVED_EVERY = 50
"""Pull requests a sync with events stores at a time (see `sync_repository`)."""

SAFETY_WINDOW = timedelta(minutes=10)
"""How far before the watermark an incremental pass starts reading.

The watermark itself is in the server's clock (see `next_watermark`), so the local clock's
error does not matter; the window covers what a timestamp cannot tell: a change stamped with
`updated_on` shortly before it commits or becomes visible in listings (long merges, replicas),
clocks that differ between the nodes of one Bitbucket, and the whole seconds BBQL datetimes
are sent with. Ten minutes is far beyond all of those, and costs only re-reading the pull
requests updated in those minutes: a handful, within the first page.
"""


@dataclass(frozen=True)
class RepositoryResult:
    """One repository's complete pass."""

    repository: str
    stored: int
    """Pull requests in the copy after the pass."""
    fetched: int
    """Pull requests read from the server in this pass."""
    removed: int
    """Pull requests that a full pass no longer found on the server."""
    full: bool
    undated: int = 0
    """Activity entries that had no date, so could not be kept as events."""


@dataclass
class SyncResult:
    path: Path
    run: int
    repositories: list[RepositoryResult] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0


OnPage = Callable[[list[PullRequest]], None]
OnNote = Callable[[str], None]


async def sync(backend: Backend, host: str, target: Target, path: Path, *,
               full: bool = False, on_page: OnPage | None = None,
               repos: str | None = None, close_times: bool = False,
               review_events: bool = False, on_note: OnNote | None = None) -> SyncResult:
    """Bring the copy of `target` in the file at `path` up to date; see the module docstring.

    `host` names the Bitbucket the backend talks to (the Cloud API URL, or the Data Center
    server): the same repository names on two hosts are two copies. `on_page` is told of
    each page once it is stored (for progress). `repos`, a glob as in `bbpr list --repos`,
    syncs only the matching repositories of a workspace or project. `close_times` keeps
    close times from now on where they cost requests (Cloud), `review_events` review
    events; `on_note` is told, in a sentence, before the passes begin, of the repositories
    either makes read whole.
    """
    started = time.monotonic()
    target = listing.as_spelled_by_server(backend, target)
    command = " ".join([f"bbpr sync {target.as_typed}", *(["--full"] if full else []),
                        *([f"--repos {repos}"] if repos else []),
                        *(["--close-times"] if close_times else []),
                        *(["--review-events"] if review_events else [])])
    # The file may go read-only, fill its disk, be locked or turn out damaged mid-run.
    with in_words(path, MEND_BY_HAND, writing=True), \
            Writer(path, host, backend.flavour, target.full_name, command) as writer:
        result = await _sync(backend, writer, target, full=full, on_page=on_page,
                             repos=repos, kept=_Kept(close_times, review_events),
                             on_note=on_note)
    result.seconds = time.monotonic() - started
    return result


@dataclass(frozen=True)
class _Kept:
    """What a sync was asked to keep from now on, beyond the pull requests."""

    close_times: bool = False
    review_events: bool = False


async def _sync(backend: Backend, writer: Writer, target: Target, *, full: bool,
                on_page: OnPage | None, repos: str | None, kept: _Kept,
                on_note: OnNote | None) -> SyncResult:
    """`sync`, with the writer open (and so its lock held)."""
    run = writer.start_run(full=full)
    result = SyncResult(writer.path, run)
    done_before = 0
    repositories: list[Repository] = []
    try:
        repositories = await _repositories(backend, writer, target, repos)
        if target.repo_slug is None:
            left = _left_by_stopped_job(writer, run, repositories, full=full)
            done_before = len(repositories) - len(left)
            if done_before and on_note is not None:
                on_note(f"Resuming the sync of {target.full_name} that stopped early: "
                        f"{done_before} of {len(repositories)} repositories were synced "
                        f"then; syncing the {len(left)} left.")
            repositories = left
        if on_note is not None and not full:
            _say_reading_whole(writer, repositories, kept, on_note)
        jobs = (functools.partial(_sync_or_fail, backend, writer, repository, run,
                                  full=full, on_page=on_page, kept=kept)
                for repository in repositories)
        failures: list[RepositoryFailure] = []
        async for done in ordered(jobs, lambda: 2 * backend.concurrency):
            if isinstance(done, RepositoryFailure):
                failures.append(done)
            else:
                result.repositories.append(done)
        if failures and target.repo_slug is not None:
            raise failures[0].error
        if failures:
            raise PartialError.of(target.owner, len(repositories), failures, "synced")
    except BaseException as error:
        if (isinstance(error, AllowanceSpent) and target.repo_slug is None
                and done_before + len(repositories)):
            synced = done_before + len(result.repositories)
            total = done_before + len(repositories)
            error.add(f"{synced} of {total} repositories of {target.full_name} are synced, "
                      f"{total - synced} left: the next `bbpr sync` of it syncs those first.")
        with contextlib.suppress(sqlite3.Error):  # never hide why the run failed
            writer.finish_run(run, backend.stats.requests, completed=False,
                              stopped=not isinstance(error, PartialError))
        raise
    result.requests = backend.stats.requests
    writer.finish_run(run, result.requests, completed=True)
    return result


async def _repositories(backend: Backend, writer: Writer, target: Target,
                        pattern: str | None) -> list[Repository]:
    """The target's repository, or its workspace's or project's repositories (those matching
    `pattern`). The whole list is saved, in order, whatever the pattern: it is the
    workspace's, and `list --cached --repos` chooses from it."""
    if target.repo_slug is not None:
        if pattern is not None:
            raise repository_match.one_repository(target)
        return [Repository(owner=target.owner, slug=target.repo_slug)]
    repositories = [repository async for repository in
                    listing.repositories(backend, target.owner)]
    writer.save_listing(target.owner, repositories)
    if pattern is None:
        return repositories
    chosen = [r for r in repositories if repository_match.matches(pattern, r.slug, r.name)]
    if not chosen:
        raise repository_match.none_chosen(target.owner, pattern, "there is nothing to sync")
    return chosen


def _left_by_stopped_job(writer: Writer, run: int, repositories: list[Repository], *,
                         full: bool) -> list[Repository]:
    """The repositories a stopped sync of the same target left, when this run resumes it;
    all of them otherwise. A repository synced since the stopped job began is done."""
    began = writer.resumed_job(run, full=full)
    if began is None:
        return repositories
    done = writer.synced_since(repositories, began)
    return [repository for repository in repositories if repository.full_name not in done]


def _say_reading_whole(writer: Writer, repositories: list[Repository], kept: _Kept,
                       on_note: OnNote) -> None:
    """Before the passes: which synced copies are read whole again, to add what they
    lack (the old pull requests need it too)."""
    events = writer.synced_without("review_events", repositories) if kept.review_events else []
    closes = [name for name in (writer.synced_without("close_times", repositories)
                                if kept.close_times else []) if name not in events]
    if events:
        on_note(_reading_whole("review events", events, "their activity is needed too"))
    if closes:
        on_note(_reading_whole("close times", closes, "those closed long ago need theirs too"))


def _reading_whole(what: str, lacking: list[str], why: str) -> str:
    names = ", ".join(lacking[:3]) + (f" and {len(lacking) - 3} more" if len(lacking) > 3
                                      else "")
    which = lacking[0] if len(lacking) == 1 else f"{len(lacking)} repositories ({names})"
    return f"Adding {what} to the copy of {which}: reading every pull request again, since {why}."


async def _sync_or_fail(backend: Backend, writer: Writer, repository: Repository,
                        run: int, *, full: bool, on_page: OnPage | None, kept: _Kept
                        ) -> RepositoryResult | RepositoryFailure:
    """One repository's pass in a workspace's sync: its failure leaves it unsynced (its old
    watermark and copy stay), and the other repositories go on."""
    try:
        return await sync_repository(backend, writer, repository, run, full=full,
                                     on_page=on_page, close_times=kept.close_times,
                                     review_events=kept.review_events)
    except PER_REPOSITORY as error:
        return RepositoryFailure(repository.full_name, error)


async def sync_repository(backend: Backend, writer: Writer, repository: Repository,
                          run: int, *, full: bool = False, on_page: OnPage | None = None,
                          close_times: bool = False, review_events: bool = False
                          ) -> RepositoryResult:
    """One pass over one repository: everything, or what changed since its watermark."""
    stored = writer.start_pass(repository, run)
    closing = backend.close_times(repository)
    events = review_events or stored.review_events
    keep = close_times or stored.close_times or closing.free or events
    # A copy gaining either lacks it for the old pull requests too: read them all.
    adding = (keep and not stored.close_times) or (events and not stored.review_events)
    since = (None if full or adding or stored.watermark is None
             else _earlier(stored.watermark, SAFETY_WINDOW))
    # Close times are asked for apart, so that those already stored are not asked again.
    query = Query(states=frozenset(STATES), updated_since=since,
                  fields=frozenset(STORED_FIELDS) - {"closed_on"})
    source = backend.review_events(repository) if events else None
    started = time.monotonic()
    fetched = 0
    async for pages in backend.pull_request_pages(repository, query):
        # With events, a page is stored every few dozen pull requests (a Data Center page
        # holds a thousand, each a request of its own): a pass that stops keeps that much.
        for listed in _parts(pages, EVENTS_SAVED_EVERY if source is not None else None):
            page = await _fill(backend, writer, stored, run, listed,
                               closing if keep else None, source, since=since, full=full)
            fetched += len(page)
            if on_page is not None:
                on_page(page)
    watermark = next_watermark(stored.watermark, writer.latest_update(stored),
                               timedelta(seconds=time.monotonic() - started),
                               server_date=backend.stats.server_date)
    # A pass that read everything knows what is gone (Data Center deletes pull requests).
    removed = writer.finish_pass(stored, run, watermark=watermark, remove_unseen=since is None,
                                 close_times=keep, review_events=events)
    return RepositoryResult(repository.full_name, writer.count(stored), fetched, removed,
                            since is None, source.undated if source is not None else 0)


async def _fill(backend: Backend, writer: Writer, stored: StoredRepository, run: int,
                listed: list[PullRequest], closing: CloseTimeSource | None,
                source: ReviewEventSource | None, *, since: datetime | None,
                full: bool) -> list[PullRequest]:
    """Store a page, with what `closing` or `source` tells of it; return what was stored."""
    page, read, asked = listed, None, list[PullRequest]()
    # A pull request closes once (only open ones can change): a close time stored with the
    # same closed state still holds. A pass that reads everything asks for every one again.
    known = (writer.close_times(stored, listed)
             if (closing is not None or source is not None) and since is not None else None)
    if source is not None:
        # Those whose events are stored up to now (a pass that stopped stored them, or they
        # were updated just before the watermark) are not asked again.
        current = set() if full else writer.current_events(stored, listed)
        filled = await source.fill(listed, since=since, known=known, current=current)
        page, read = filled.pull_requests, filled.events
        asked = [pr for pr in page if pr.id not in current]
    elif closing is not None:
        page = await closing.fill(listed, known)
    writer.save_page(stored, run, page, backend.stats.requests, review_events=read,
                     events_of=asked, whole_events=since is None)
    return page


def _parts(page: list[PullRequest], size: int | None) -> list[list[PullRequest]]:
    if size is None:
        return [page]
    return [page[start : start + size] for start in range(0, len(page), size)] or [page]


def next_watermark(previous: datetime | None, latest_update: datetime | None,
                   pass_duration: timedelta, *,
                   server_date: datetime | None = None) -> datetime | None:
    """The server-clock moment before which every change is now in the copy.

    `latest_update` is the newest `updated_on` stored: a time the server had reached by the
    end of the pass. Subtracting the pass's duration (a local monotonic clock, so only its
    rate matters, not its error) gives a time the server had not passed when the pass
    began; any change the pass may have missed is later than that, so the next pass, which
    reads from there, sees it. Never moves back; unknown (None) until something is stored.

    A record can be dated ahead of the server's own clock (clock skew between nodes,
    imported data); as a watermark it would hide every change until the server's clock
    caught up. So the newest `Date` the server sent in the pass (`server_date`, whole
    seconds, hence one more second off) caps it, and the cap also holds an older watermark
    that such a record pushed too far.
    """
    ceiling = (None if server_date is None
               else _earlier(server_date, timedelta(seconds=1) + pass_duration))
    if latest_update is None:
        candidate = previous
    else:
        candidate = _earlier(latest_update, pass_duration)
        candidate = candidate if previous is None else max(previous, candidate)
    if candidate is not None and ceiling is not None:
        candidate = min(candidate, ceiling)
    return candidate


def _earlier(moment: datetime, by: timedelta) -> datetime:
    """`moment - by`, or the earliest time there is for a moment near it (a server that
    dates its records, or its `Date`, in year 1): a watermark that early reads it all."""
    try:
        return moment - by
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)
