"""The filters, declared once (`FILTERS`), and turning what users type for them into a
`Query`: states, dates, people, fields.

Shared by the command line and the library, so `--state merged,declined` and
`state=["merged", "declined"]` mean exactly the same, and so do their mistakes. Adding a
filter is one `Filter` here (which makes `bbpr list`'s option, the library keyword and the
`Query` value), the keyword in `AsyncClient.pull_request_pages`' signature (a test holds it
to the declaration), and what each server and the local copy make of the `Query` field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import InputError
from ..models import FIELDS, METRIC_FIELDS, STATES, Query, State
from .suggestions import did_you_mean

STATE_CHOICES = ("open", "merged", "declined", "superseded", "all")
_AGE = re.compile(r"^(\d+)\s*(min|m|h|d|w|mo|y)$", re.IGNORECASE)
_AGE_DAYS = {"mo": 30, "y": 365}
"""Months and years as days: "changed in the last 3 months" needs no calendar precision."""
_AGE_UNITS = {"min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
AGE_HELP = "an age: 30min, 12h, 7d, 2w, 3mo, 1y"


def parse_states(values: str | Iterable[str] | None) -> frozenset[State]:
    """`open` (the API's default) when nothing is given; `all` means every state."""
    if values is None:
        return frozenset({"OPEN"})
    if isinstance(values, str):
        values = [values]
    states: set[State] = set()
    for value in values:
        for word in re.split(r"[,\s]+", value.strip()):
            if not word:
                continue
            upper = word.upper()
            if upper == "ALL":
                states.update(STATES)
            elif upper in STATES:
                states.add(upper)
            else:
                raise InputError(f"{word!r} is not a pull request state.{_state_hint(word)} "
                                 f"States: {', '.join(STATE_CHOICES)}.")
    if not states:
        raise InputError(f"The state is empty; use one or more of {', '.join(STATE_CHOICES)} "
                         "(or leave it out for open pull requests).")
    return frozenset(states)


def with_url_states(state: object, url_states: Sequence[str]) -> object:
    """The states asked for, where a pasted list page's URL names some (`?state=MERGED`,
    `Target.states`): the URL's when no state was given; both, when they agree."""
    if not url_states or state is None:
        return tuple(url_states) or state
    state = _texts("state", state)  # a library caller's list, read once
    if parse_states(state) != parse_states(url_states):
        given = ",".join([state] if isinstance(state, str) else state or ()).lower()
        raise InputError(f"The URL lists state={','.join(url_states)} and --state says "
                         f"{given}; give the states once, in the URL or with --state.")
    return state


_STATE_WORDS = {"closed": "merged,declined", "close": "merged,declined",
                "opened": "open", "done": "merged", "rejected": "declined", "any": "all"}
"""Words people use for states, from GitHub and other tools, and what they mean here."""


def _state_hint(word: str) -> str:
    meant = _STATE_WORDS.get(word.lower())
    if meant:
        return f" For {word} pull requests, use --state {meant}."
    return did_you_mean(word.lower(), STATE_CHOICES)


def parse_since(value: str | datetime | None, *, now: datetime | None = None) -> datetime | None:
    """A moment from `2026-01-31`, `2026-01-31T12:00`, `2026-01-31T12:00:00+02:00` or an age
    such as `30min`, `12h`, `7d`, `2w`, `3mo` (30 days), `1y` (365 days). Times without a zone
    are UTC; a bare `m` is refused, since it could mean minutes or months."""
    if value is None or isinstance(value, datetime):
        return _in_range(_as_utc(value), value) if value else None
    text = value.strip()
    age = _AGE.match(text)
    if age and age.group(2) in ("m", "M"):
        raise InputError(f"{value!r} could mean minutes or months: write {age.group(1)}min for "
                         f"minutes or {age.group(1)}mo for months.")
    try:
        if age:
            amount, unit = int(age.group(1)), age.group(2).lower()
            ago = (timedelta(days=amount * _AGE_DAYS[unit]) if unit in _AGE_DAYS
                   else timedelta(**{_AGE_UNITS[unit]: amount}))
            moment = (now or datetime.now(UTC)) - ago
        else:
            moment = _as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        raise InputError(
            f"{value!r} is not a date: use 2026-01-31, 2026-01-31T12:00 (UTC unless a zone is "
            f"given), or {AGE_HELP}."
        ) from None
    return _in_range(moment, value)


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
"""No Bitbucket holds anything older; an older date (`0001-01-01`) would only be refused by
the server as a year it cannot read."""


def _in_range(moment: datetime, given: object) -> datetime:
    if moment < EARLIEST:
        raise InputError(f"{given!s} is before 1970, older than any pull request; leave "
                         "--updated-since out to list them all.")
    return moment


def parse_fields(value: str | Iterable[str] | None, default: Iterable[str],
                 known: Sequence[str] = FIELDS) -> tuple[str, ...]:
    """Validated field names (record fields, unless `known` says others), in the order
    given."""
    if value is None:
        return tuple(default)
    words = re.split(r"[,\s]+", value) if isinstance(value, str) else list(value)
    # Any case, and `-` for `_`: `ID,Title` and `source-branch` mean what they say.
    names = tuple(dict.fromkeys(word.strip().lower().replace("-", "_") for word in words
                                if word.strip()))
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InputError(
            f"Unknown field {', '.join(map(repr, unknown))}.{did_you_mean(unknown[0], known)} "
            f"Fields are: {', '.join(known)}."
        )
    if not names:
        raise InputError(f"--fields is empty; fields are: {', '.join(known)}.")
    return names


def parse_people(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """`--reviewer` values, each one person, in the order given, without repeats."""
    return _people(values, "--reviewer is empty; give a nickname or user name, a display "
                           "name, a {UUID}, an account ID or @me.")


def parse_excluded(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """`--exclude-user` values, each one account, in the order given, without repeats."""
    return _people(values, "--exclude-user is empty; give a login, a display name or a user "
                           "ID.")


def excluded_users(value: object) -> tuple[str, ...]:
    """The library's `exclude_users`: one account (a text) or several (texts), checked."""
    return parse_excluded(_texts("exclude_users", value))


def _people(values: str | Iterable[str] | None, empty: str) -> tuple[str, ...]:
    """Not split on commas: a display name may hold one."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    people = tuple(dict.fromkeys(value.strip() for value in values))
    if "" in people:
        raise InputError(empty)
    return people


def check_text(name: str, value: object) -> None:
    """`value` is a text or None; anything else is the caller's mistake, said plainly."""
    if value is None:
        return
    if not isinstance(value, str):
        raise InputError(f"{name} must be a text (or None), not {type(value).__name__}.")
    _whole_text(name, value)


def _texts(name: str, value: object) -> str | list[str] | None:
    """A text, a list of texts (from any iterable, read once), or None."""
    if value is None:
        return None
    if isinstance(value, str):
        _whole_text(name, value)
        return value
    if isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        items = list(value)
        if all(isinstance(item, str) for item in items):
            for item in items:
                _whole_text(name, item)
            return items
    raise InputError(f"{name} must be a text or a list of texts, not {type(value).__name__}.")


def _whole_text(name: str, text: str) -> None:
    """A text holds no lone surrogate: Python's stand-in for bytes that were not UTF-8 (a
    file name, an environment variable read with `surrogateescape`), which no request can
    carry and no server would match. The command line says so of its own arguments before
    (`cli`); this says it to the library's callers, naming the argument."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputError(f"{name} holds bytes that are not UTF-8 text (a lone surrogate, "
                         f"{text[error.start]!r}); give it as text.") from None


def _optional(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Kind:
    """What a filter takes in the library, and how that is checked before anything is sent."""

    accepts: object
    """The type the library's signatures give it."""
    check: Callable[[str, object], Any]
    """`check(keyword, value)`: the value, or an `InputError` naming the keyword."""


@dataclass(frozen=True)
class Filter:
    """One filter, declared once: `bbpr list`'s option, the library's keyword argument (and
    the type its signatures give it), and the `Query` field it sets. The option, the keyword
    and `make_query` are made from this; the servers' mappings (`cloud/query.py`,
    `datacenter/api.py`), the checks on every record (`matching`) and the local copy's SQL
    (what `--cached` reads) read the `Query` field."""

    keyword: str
    """The library's keyword argument (`reviewer="alex"`), and `bbpr list`'s parameter."""
    kind: Kind
    parse: Callable[[Any], object]
    """From the checked value (None when not given) to the `Query`'s value."""
    into: str
    """The `Query` field it sets."""
    flags: tuple[str, ...]
    """How `bbpr list` spells it: `("-A", "--author")`, or a pair, `("--draft/--no-draft",)`."""
    help: str
    metavar: str | None = None
    repeatable: bool = False
    """Given several times on the command line (`--reviewer a --reviewer b`)."""
    choices: tuple[str, ...] = ()
    """The words the shell completes, comma-separated."""

    @property
    def option(self) -> str:
        """The spelling bbpr's messages name it by: `--state`, `--draft/--no-draft`."""
        return self.flags[-1]

    def given(self, value: object) -> bool:
        """Whether `bbpr list` was given it: an on/off pair whichever way, others not blank."""
        return value is not None if "/" in self.option else bool(value)


def _text(name: str, value: object) -> object:
    check_text(name, value)
    return value


def _moment(name: str, value: object) -> object:
    if value is not None and not isinstance(value, str | datetime):
        raise InputError(f"{name} must be a datetime or a text such as '2026-01-31' or '7d', "
                         f"not {type(value).__name__}.")
    return value


def _unchecked(name: str, value: object) -> object:
    """`draft`: any value, its truth taken, as before the declaration (`draft=1` works)."""
    return value


def _kept(value: object) -> object:
    return value


TEXT = Kind(str | None, _text)
TEXTS = Kind(str | Iterable[str] | None, _texts)
MOMENT = Kind(str | datetime | None, _moment)
ON_OFF = Kind(bool | None, _unchecked)

FILTERS: tuple[Filter, ...] = (
    Filter("state", TEXTS, parse_states, "states", ("-s", "--state"), metavar="STATE",
           repeatable=True, choices=STATE_CHOICES,
           help=f"{'|'.join(STATE_CHOICES)}; repeat or separate with commas. Default: open."),
    Filter("author", TEXT, _optional, "author", ("-A", "--author"), metavar="WHO",
           help="Only pull requests by this author (nickname, display name, {uuid} or "
                "account ID on Cloud; user name on Data Center)."),
    Filter("source", TEXT, _optional, "source", ("-H", "--source"), metavar="BRANCH",
           help="Only pull requests from this branch."),
    Filter("destination", TEXT, _optional, "destination", ("-B", "--destination"),
           metavar="BRANCH", help="Only pull requests into this branch."),
    Filter("updated_since", MOMENT, parse_since, "updated_since", ("--updated-since",),
           metavar="DATE",
           help=f"Only pull requests updated since DATE: 2026-01-31, 2026-01-31T12:00 (UTC), "
                f"or {AGE_HELP}."),
    Filter("created_since", MOMENT, parse_since, "created_since", ("--created-since",),
           metavar="DATE",
           help="Only pull requests created since DATE (the same forms as --updated-since)."),
    Filter("reviewer", TEXTS, parse_people, "reviewers", ("--reviewer",), metavar="WHO",
           repeatable=True,
           help="Only pull requests WHO is asked to review; repeat for several (all of them). "
                "As for --author: @me, nickname or user name, display name, {uuid} or "
                "account ID."),
    Filter("draft", ON_OFF, _kept, "draft", ("--draft/--no-draft",),
           help="Only drafts, or only pull requests that are not drafts."),
    Filter("query", TEXT, _optional, "text", ("--query",), metavar="BBQL",
           help="A raw BBQL filter (Cloud), combined with the rest."),
)
"""Every filter, in the order `bbpr list --help` shows them."""

FILTER_KEYWORDS = tuple(declared.keyword for declared in FILTERS)


def given_filters(arguments: Mapping[str, object]) -> dict[str, object]:
    """The filters among a call's arguments, by keyword: a signature that spells each filter
    out (for type checkers and `help()`) hands on its `locals()` with this, so it cannot
    forget one, and one it lacks is a `KeyError` at the first call (and in the tests)."""
    return {keyword: arguments[keyword] for keyword in FILTER_KEYWORDS}


def make_query(*, fields: Iterable[str] | None = None,
               exclude_users: str | Iterable[str] | None = None, **filters: object) -> Query:
    """A `Query` from user-facing filter values (`FILTERS`' keywords), each checked (types
    too: the library's callers pass anything), then read; `fields` are the record fields,
    `exclude_users` the accounts the review metrics among them leave out."""
    unknown = [keyword for keyword in filters if keyword not in FILTER_KEYWORDS]
    if unknown:
        raise TypeError(f"make_query() got an unexpected keyword argument {unknown[0]!r}")
    checked = {declared.keyword: declared.kind.check(declared.keyword,
                                                     filters.get(declared.keyword))
               for declared in FILTERS}
    fields = _texts("fields", fields)
    parsed: dict[str, Any] = {declared.into: declared.parse(checked[declared.keyword])
                              for declared in FILTERS}
    query = Query(**parsed,
                  fields=frozenset(parse_fields(fields, ())) if fields is not None
                  else Query().fields,
                  exclude_users=excluded_users(exclude_users))
    if query.exclude_users and not query.fields & METRIC_FIELDS:
        raise InputError("--exclude-user leaves an account's events out of the review metric "
                         "fields (pickup_time, approvals, ...), and none is asked for; add "
                         "them to the fields, or drop it.")
    return query

