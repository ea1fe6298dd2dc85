"""The main use case: the pull requests of a repository, a workspace or a project.

Flavour-neutral: it speaks to a `Backend` only. A single repository streams page by page; a
workspace or project lists its repositories, then lists them side by side (the shared limiter
in `http` keeps the total in flight bounded) and hands out each repository's pull requests
whole, in the order the repositories were listed. One repository that refuses, vanishes or
keeps failing does not stop the others: they are listed in full, and a `PartialError` at the
end names each failed repository and why. One repository's counts by state (`count`) and
one pull request whole (`pull_request`) are asked of the backend here too.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator

from . import metric_fields
from .asked import people, repository_match
from .asked.matching import unplaced_state
from .asked.targets import Target, server_spelling
from .backend import Backend
from .details import PullRequestDetails
from .errors import (
    PER_REPOSITORY,
    InputError,
    PartialError,
    RepositoryFailure,
    UnknownStateError,
)
from .in_order import ordered
from .models import PullRequest, Query, Repository, StateCounts


async def pull_request_pages(
    backend: Backend,
    target: Target,
    query: Query,
    *,
    limit: int | None = None,
    repos: str | None = None,
    excluded: metric_fields.ExcludedNames | None = None,
) -> AsyncGenerator[list[PullRequest], None]:
    """Pages of pull requests of `target`, complete, at most `limit` pull requests in all;
    `excluded` is told whom `--exclude-user` matched in the events measured."""
    query = await people.resolve_query(backend, query)
    target = as_spelled_by_server(backend, target)
    if target.repo_slug is not None:
        if repos is not None:
            raise repository_match.one_repository(target)
        repository = Repository(owner=target.owner, slug=target.repo_slug)
        listed = False
        async for page in placed(backend, repository, query, limit, excluded):
            listed = listed or bool(page)
            yield page
        if not listed:
            await people.no_one_named(backend, repository, query)
        return
    tally = _Tally(limit)
    async with contextlib.aclosing(_each_repository(backend, target, query, repos, tally,
                                                    excluded)) as each:
        async for pages in each:
            for page in pages:
                taken = tally.take(page)
                if taken:
                    yield taken
                if tally.full:
                    break
            if tally.full:
                break
    # Also when --limit stopped the listing: a repository that failed before that point
    # would have had its pull requests among those printed.
    if tally.failures:
        raise PartialError.of(target.owner, tally.repositories, tally.failures)


async def placed(backend: Backend, repository: Repository, query: Query, limit: int | None,
                 excluded: metric_fields.ExcludedNames | None = None
                 ) -> AsyncGenerator[list[PullRequest], None]:
    """The backend's pages without the records whose state cannot be placed under the states
    asked for (one bbpr never saw: only `--state all` lists it); once the listing is done,
    those are said, by state and number, and the run ends with exit 5: such a record may be
    one of those asked for, and dropping it in silence would be a wrong list with exit 0."""
    unplaced: Counter[str] = Counter()
    # The review metrics are made from the events of the pull requests listed (Cloud: the
    # feed walk `closed_on` pays anyway; Data Center: one request each): see `metric_fields`.
    events = backend.review_events(repository) if metric_fields.asks_metrics(query) else None
    async for page in backend.pull_request_pages(repository, metric_fields.fetched(query),
                                                 limit):
        kept = [pull_request for pull_request in page if not unplaced_state(pull_request, query)]
        unplaced.update(pull_request.state or "" for pull_request in page
                        if unplaced_state(pull_request, query))
        if events is None:
            yield kept
            continue
        async for part in metric_fields.with_metrics(events, kept, query, excluded):
            yield part
    if unplaced:
        raise UnknownStateError.of(repository.full_name, unplaced)


def as_spelled_by_server(backend: Backend, target: Target) -> Target:
    """Data Center takes `acme/widgets` for `ACME/widgets`; output and the local copy use the
    server's spelling, so that one repository never looks like two. A project key is upper
    case by rule (a personal `~user` one is left as it is), and slugs are matched exactly (a
    wrongly cased one is not found), so this costs no request. Cloud's workspace IDs and slugs
    are lower case already."""
    return server_spelling(target) if backend.flavour == "datacenter" else target


async def count(backend: Backend, target: Target) -> StateCounts:
    """How many pull requests each state of one repository holds, and what the numbers rest
    on (Cloud: one request a state; Data Center: a listing)."""
    target = as_spelled_by_server(backend, target)
    if target.repo_slug is None:
        raise InputError(f"{target.full_name} is not a repository: --count counts the pull "
                         "requests of one repository; name it as workspace/repo-slug.")
    return await backend.count(Repository(owner=target.owner, slug=target.repo_slug))


async def pull_request(backend: Backend, target: Target,
                       number: int | None = None) -> PullRequestDetails:
    """One pull request, reviewers and participants included: by repository and ID, or from
    a pull request URL alone (`target.pull_request`)."""
    number = number if number is not None else target.pull_request
    if target.repo_slug is None or number is None:
        raise InputError("Name a repository and a pull request ID, or give the pull "
                         "request's URL.")
    repository = Repository(owner=target.owner, slug=target.repo_slug)
    return await backend.pull_request(repository, number)


class _Tally:
    """Pull requests handed out so far, against the limit, and the repositories that failed."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.listed = 0
        self.repositories = 0
        """How many repositories were chosen to be listed."""
        self.failures: list[RepositoryFailure] = []
        """Those that failed so far, in repository order."""

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else self.limit - self.listed

    @property
    def full(self) -> bool:
        return self.limit is not None and self.listed >= self.limit

    def take(self, page: list[PullRequest]) -> list[PullRequest]:
        if self.limit is not None:
            page = page[: self.limit - self.listed]
        self.listed += len(page)
        return page


async def repositories(backend: Backend, owner: str, pattern: str | None = None
                       ) -> AsyncIterator[Repository]:
    """The repositories of a workspace or project, those matching `pattern` (a glob) only,
    each once, by slug.

    The backend pages robustly (keyset or joined pages), and may still repeat one when it
    had to read a page again; the whole list is read before any is handed out, so that the
    order (by slug) does not depend on how the server paged it.
    """
    found: dict[str, Repository] = {}
    async for page in backend.repositories(owner):
        for repository in page:
            found.setdefault(repository.slug, repository)
    for slug in sorted(found):
        if pattern is None or repository_match.matches(pattern, slug, found[slug].name):
            yield found[slug]


async def _each_repository(
    backend: Backend, target: Target, query: Query, pattern: str | None, tally: _Tally,
    excluded: metric_fields.ExcludedNames | None,
) -> AsyncGenerator[list[list[PullRequest]], None]:
    """Each repository's pages, in repository order, several repositories at a time.

    The repository list is read whole first: it is a page or two, and knowing it lets the
    pull request listings start together.
    """
    chosen = [repository async for repository in repositories(backend, target.owner, pattern)
              if target.project is None
              or (repository.project or "").lower() == target.project.lower()]
    if not chosen and (pattern or target.project):
        raise repository_match.none_chosen(target.owner, pattern,
                                           "there are no pull requests to list",
                                           project=target.project)

    async def collect(repository: Repository) -> list[list[PullRequest]] | RepositoryFailure:
        pages = placed(backend, repository, query, tally.remaining, excluded)
        try:
            return [page async for page in pages]
        except PER_REPOSITORY as error:  # one repository's failure: list the others
            return RepositoryFailure(repository.full_name, error)

    def jobs() -> Iterator[Callable[[], Awaitable[list[list[PullRequest]] | RepositoryFailure]]]:
        for repository in chosen:
            yield lambda repository=repository: collect(repository)  # type: ignore[misc]

    tally.repositories = len(chosen)
    # Twice the concurrency, so that one slow repository does not idle the others; the
    # limiter in `http` still bounds the requests in flight.
    async for pages in ordered(jobs(), lambda: 2 * backend.concurrency):
        if isinstance(pages, RepositoryFailure):
            tally.failures.append(pages)
        else:
            yield pages
