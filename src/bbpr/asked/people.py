"""Who a person filter (`--author WHO`, and `--reviewer WHO`) means, in the server's terms.

People type what they see or what gh taught them: `@me`, a UUID copied without its braces,
an Atlassian account ID (`557058:...` or 24 hex digits), a display name on Data Center. Each
of these silently matched nobody when sent as typed; here each becomes what the server
filters on. `normalise` is pure; `resolve` may ask the server (who `@me` is, which Data
Center user a name belongs to), and says so when a name matches nobody.

On Cloud, which has neither user search nor emails, an email is refused before listing,
and a name that matched nothing is looked for among the repository's pull requests after
it (`no_one_named`): a name that is nobody's there is said, as on Data Center.

Both listings resolve a query's people here: the live one with `resolve_query` (the server
may be asked), the local copy's with `resolve_offline` (it may not, so `@me` is refused).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputError
from .matching import author_kind
from .suggestions import closest

if TYPE_CHECKING:
    from ..backend import Backend
    from ..models import Query, Repository

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
    if backend.flavour != "datacenter" and is_email(who):
        raise InputError(f"{option} {who!r} is an email address, and Bitbucket Cloud shows no "
                         "one's email, so no pull request would match. Give a nickname, a "
                         "display name, a {UUID} or an account ID (--fields "
                         "author,author_login,author_id shows them).")
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


async def no_one_named(backend: Backend, repository: Repository, query: Query) -> None:
    """After a Cloud listing of `repository` that found nothing: a name given to `--author`
    or `--reviewer` that is nobody's there is said (exit 2), as Data Center says it before
    listing (`resolve`), with the nearest names. Cloud has no user search, so "there" is the
    repository's pull requests, in any state (`Backend.find_people`)."""
    if backend.flavour != "cloud":
        return
    for option, who in named(query):
        if author_kind(who) != "name":
            continue
        reviewers = option == "--reviewer"
        people = await backend.find_people(who, repository, reviewers=reviewers)
        folded = who.casefold()
        if people is None or any(folded in ((p.login or "").casefold(), (p.name or "").casefold())
                                 for p in people):
            continue  # more than was read, or someone: nothing matched for other reasons
        guesses = [repr(p.name or p.login) for p in people][:3]
        hint = f" Did you mean {' or '.join(guesses)}?" if guesses else ""
        raise InputError(
            f"{option} {who!r} is the nickname or display name of no "
            f"{'reviewer' if reviewers else 'author'} of a pull request of "
            f"{repository.full_name}, in any state, so none matched.{hint} Give a whole "
            "nickname or display name (any case), a {UUID} or an account ID."
        )


def named(query: Query) -> list[tuple[str, str]]:
    """Each person `query` filters on, with the option that named it: `--author`, then each
    `--reviewer`."""
    given = [("--author", query.author), *(("--reviewer", who) for who in query.reviewers)]
    return [(option, who) for option, who in given if who]


def is_email(who: str) -> bool:
    local, at, domain = who.partition("@")
    return bool(local and at and "." in domain and " " not in who)


def resolve_offline(query: Query) -> Query:
    """The query with its person filters made what the text alone can tell (`normalise`),
    for `list --cached`, which asks no server: `@me` cannot be told, and is refused."""
    import msgspec

    for option, who in named(query):
        if who.lower() == ME:
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
