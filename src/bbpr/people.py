"""Who a person filter (`--author WHO`, and `--reviewer WHO`) means, in the server's terms.

People type what they see or what gh taught them: `@me`, a UUID copied without its braces,
an Atlassian account ID (`557058:...` or 24 hex digits), a display name on Data Center. Each
of these silently matched nobody when sent as typed; here each becomes what the server
filters on. `normalise` is pure; `resolve` may ask the server (who `@me` is, which Data
Center user a name belongs to), and says so when a name matches nobody.

Both listings resolve a query's people here: the live one with `resolve_query` (the server
may be asked), the local copy's with `resolve_offline` (it may not, so `@me` is refused).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import InputError
from .matching import author_kind
from .suggestions import closest

if TYPE_CHECKING:
    from .backend import Backend
    from .models import Query

ME = "@me"


def normalise(who: str) -> str:
    """What can be told from the text alone: a UUID gets its braces back (Cloud prints
    and filters UUIDs with braces); everything else stays as typed."""
    who = who.strip()
    return "{" + who.strip("{}").lower() + "}" if is_uuid(who) else who


def is_uuid(who: str) -> bool:
    return author_kind(who) == "uuid"


async def resolve(backend: Backend, who: str, *, option: str = "--author") -> str:
    """The value to filter on for WHO, asking the server where the text cannot tell."""
    who = normalise(who)
    if who.lower() == ME:
        identity = await backend.identity()
        me = identity.user_id or identity.login
        if not me:
            raise InputError(
                f"{option} @me needs to know whose credential this is, and "
                f"{identity.server} did not say ({identity.note or 'no name came back'}). "
                f"Give your {'user name' if backend.flavour == 'datacenter' else 'nickname'}."
            )
        return me
    if backend.flavour != "datacenter" or is_uuid(who):
        return who
    people = await backend.find_people(who)
    if people is None:  # the server would not search: send the name as typed
        return who
    folded = who.lower()
    for attribute in ("login", "name", "email"):
        matching = {p.login for p in people if (getattr(p, attribute) or "").lower() == folded}
        if len(matching) == 1:
            return matching.pop()
        if len(matching) > 1:
            raise InputError(f"{option} {who!r} is the {attribute} of several users "
                             f"({', '.join(sorted(matching))}); give one user name.")
    if not people and len(who) > 3:  # a typo finds nobody: look wider, for suggestions
        people = await backend.find_people(who[:3]) or []
    guesses = closest(who, [(p.login, p.name) for p in people])
    hint = f" Did you mean {' or '.join(guesses[:3])}?" if guesses else ""
    raise InputError(f"{option} {who!r} matches no user on this Bitbucket Data Center, so no "
                     f"pull request would match.{hint} Give a user name, a display name or an "
                     "email address.")


def resolve_offline(query: Query) -> Query:
    """The query with its person filters made what the text alone can tell (`normalise`),
    for `list --cached`, which asks no server: `@me` cannot be told, and is refused."""
    import msgspec

    for option, who in [("--author", query.author),
                        *(("--reviewer", reviewer) for reviewer in query.reviewers)]:
        if who is not None and who.lower() == ME:
            raise InputError("--cached answers without asking the server, so it cannot tell who "
                             f"@me is: give your nickname or user name to {option}.")
    return msgspec.structs.replace(
        query, author=normalise(query.author) if query.author else None,
        reviewers=tuple(normalise(who) for who in query.reviewers))


async def resolve_query(backend: Backend, query: Query) -> Query:
    """The query with its person filters (`--author`, each `--reviewer`) resolved."""
    import msgspec

    if not query.author and not query.reviewers:
        return query
    author = await resolve(backend, query.author) if query.author else None
    # The same person twice (`--author @me --reviewer @me`) is asked about once.
    reviewers = [author if author and who == query.author else
                 await resolve(backend, who, option="--reviewer") for who in query.reviewers]
    return msgspec.structs.replace(query, author=author, reviewers=tuple(reviewers))
