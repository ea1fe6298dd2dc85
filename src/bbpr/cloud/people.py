"""Cloud's stand-in for a user search: the people of one repository's pull requests.

Cloud has no user search (and shows no one's email), so a name given to `--author` or
`--reviewer` that matches nobody would list nothing, and say nothing. After such a
listing, `asked.people.no_one_named` asks here who, among the authors (or reviewers) of the
repository's pull requests in any state, has a nickname or display name containing the
name (BBQL `~`, which ignores case): nobody, and the name is said to be nobody's there,
with the nearest.
"""

from __future__ import annotations

from ..models import Person, Query, Repository
from .listing_state import PullRequestSource
from .query import EVERY_STATE, bbql, quote
from .wire import to_pull_request

ROUNDS = 3
"""Requests at most: each leaves out the authors already found, so a name that is part of
a busy author's (`Becker` of `Jonas Becker`) still reaches one that is exactly it."""


async def people_named(api: PullRequestSource, repository: Repository, text: str, *,
                       reviewers: bool) -> list[Person] | None:
    """The authors (or reviewers) of `repository`'s pull requests whose nickname or display
    name contains `text`, any case; None where more may remain than were read."""
    field = "reviewers" if reviewers else "author"
    wanted = frozenset({"reviewers"} if reviewers else {"author", "author_login", "author_id"})
    query = Query(states=EVERY_STATE, fields=wanted)
    contains = f"({field}.nickname ~ {quote(text)} OR {field}.display_name ~ {quote(text)})"
    found: dict[str, Person] = {}
    url: str | None = None
    for _ in range(ROUNDS):
        # One author a pull request: leaving out those found brings the others forward.
        # Reviewers are several a pull request, and are read page after page instead.
        others = [] if reviewers else [f"author.uuid != {quote(uuid)}" for uuid in found
                                       if uuid.startswith("{")]
        page = await api.fetch_page(repository, query, q=bbql(EVERY_STATE, [contains, *others]),
                                    sort=None, url=url)
        for item in page.values:
            record = to_pull_request(item, repository.full_name)
            if reviewers:
                people = [(p.id or p.login or "", Person(login=p.login or "", name=p.name))
                          for p in record.people or () if p.role == "REVIEWER"]
            else:
                people = [(record.author_id or record.author_login or "",
                           Person(login=record.author_login or "", name=record.author))]
            found.update((key, person) for key, person in people
                         if _contains(person, text) and key not in found)
        if not page.next:
            return list(found.values())
        url = page.next if reviewers else None
    return None


def _contains(person: Person, text: str) -> bool:
    folded = text.casefold()
    return any(folded in (name or "").casefold() for name in (person.login, person.name))
