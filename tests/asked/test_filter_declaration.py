"""The filters are declared once (`bbpr.asked.filters.FILTERS`), and the declaration really drives
`bbpr list`'s options, the library's keyword arguments and the `Query`: a filter added to the
declaration but missing from one of them, or a `Query` field no filter sets, fails here.
The twins made one: the `--repos` messages of `list` and `sync`, and "did you mean"."""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from bbpr import AsyncClient
from bbpr.asked.filters import FILTER_KEYWORDS, FILTERS, make_query
from bbpr.asked.suggestions import did_you_mean
from bbpr.asked.targets import Target
from bbpr.cli.list_command import list_command
from bbpr.credentials.kinds import ANONYMOUS
from bbpr.emulator import Emulator
from bbpr.errors import InputError
from bbpr.models import PullRequest, Query

from ..conftest import base_environment, bbpr, cloud_environment

EXAMPLES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "state": (["merged", "declined"], ("--state", "merged,declined")),
    "author": ("alex", ("--author", "alex")),
    "source": ("feature/x", ("--source", "feature/x")),
    "destination": ("main", ("--destination", "main")),
    "updated_since": ("2026-01-31", ("--updated-since", "2026-01-31")),
    "created_since": ("2025-06-01", ("--created-since", "2025-06-01")),
    "reviewer": (["alex", "sam"], ("--reviewer", "alex", "--reviewer", "sam")),
    "draft": (False, ("--no-draft",)),
    "query": ('title ~ "fix"', ("--query", 'title ~ "fix"')),
}
"""A value of each filter in the library, and the same on the command line."""

NOT_FILTERS = ("limit", "fields", "repos", "exclude_users")
"""`pull_request_pages`' keywords that are not filters of the `Query`."""


def _example(keyword: str) -> tuple[Any, tuple[str, ...]]:
    assert keyword in EXAMPLES, f"give the new filter {keyword!r} an example in EXAMPLES"
    return EXAMPLES[keyword]


def test_every_declared_filter_is_a_list_option_by_its_keyword() -> None:
    params = {param.name: param for param in list_command.params}
    for declared in FILTERS:
        param = params.get(declared.keyword)
        assert param is not None, f"bbpr list has no option for {declared.keyword}"
        spelled = [*param.opts, *param.secondary_opts]
        assert [flag for part in declared.flags for flag in part.split("/")] == spelled
        assert param.multiple == declared.repeatable


def test_list_help_shows_every_filter_in_the_declared_order() -> None:
    run = bbpr("list", "--help", env={**base_environment(), "COLUMNS": "200"})
    assert run.code == 0, run.err
    places = [run.out.index(declared.flags[-1].replace("/", " / ")) for declared in FILTERS]
    assert places == sorted(places)


def test_the_library_signature_is_the_declaration() -> None:
    """`pull_request_pages` spells each filter out for type checkers; it must be the declared
    keywords, in order, each with the declared type and no default but None."""
    signature = inspect.signature(AsyncClient.pull_request_pages)
    hints = typing.get_type_hints(AsyncClient.pull_request_pages)
    keywords = [name for name, parameter in signature.parameters.items()
                if parameter.kind is parameter.KEYWORD_ONLY and name not in NOT_FILTERS]
    assert keywords == list(FILTER_KEYWORDS)
    for declared in FILTERS:
        assert hints[declared.keyword] == declared.kind.accepts, declared.keyword
        assert signature.parameters[declared.keyword].default is None
        assert f"`{declared.keyword}`" in (AsyncClient.pull_requests.__doc__ or ""), (
            f"say {declared.keyword} in AsyncClient.pull_requests' list of filters")


def test_every_filter_sets_its_own_query_field_and_every_field_has_a_filter() -> None:
    default = Query()
    filter_fields = {declared.into for declared in FILTERS}
    assert filter_fields | {"fields", "exclude_users"} == set(Query.__struct_fields__)
    for declared in FILTERS:
        query = make_query(**{declared.keyword: _example(declared.keyword)[0]})
        changed = {name for name in Query.__struct_fields__
                   if getattr(query, name) != getattr(default, name)}
        assert changed == {declared.into}, declared.keyword


class _Recording(AsyncClient):
    """The real client, up to the `Query` it would list with: nothing is sent."""

    queries: list[Query]

    def pages_for(self, target: Target, query: Query, *, limit: int | None = None,
                  repos: str | None = None) -> AsyncGenerator[list[PullRequest], None]:
        self.queries.append(query)

        async def nothing() -> AsyncGenerator[list[PullRequest], None]:
            return
            yield

        return nothing()


def test_the_library_hands_every_filter_on_to_the_query() -> None:
    values = {declared.keyword: _example(declared.keyword)[0] for declared in FILTERS}

    async def go() -> Query:
        client = _Recording(credentials=ANONYMOUS, environ={})
        client.queries = []
        async with client:
            async for _ in client.pull_request_pages("acme/widgets", **values):
                pass
        return client.queries[0]

    assert asyncio.run(go()) == make_query(**values)


def test_count_refuses_every_declared_filter_by_its_spelling() -> None:
    args = [arg for declared in FILTERS for arg in _example(declared.keyword)[1]]
    run = bbpr("list", "acme/widgets", "--count", *args, env=base_environment())
    assert run.code == 2, run.err
    named = run.err.split("it takes no ", 1)[1]
    assert [option.strip(" .\n") for option in named.split(",")] == [
        declared.option for declared in FILTERS]


@pytest.mark.parametrize(("filters", "words"), [
    ({"created_since": 12345}, "created_since must be a datetime"),
    ({"reviewer": 5}, "reviewer must be a text or a list of texts"),
    ({"reviewer": [b"alex"]}, "reviewer must be a text or a list of texts"),
])
def test_each_kind_of_filter_checks_its_type(filters: dict[str, Any], words: str) -> None:
    with pytest.raises(InputError, match=words):
        make_query(**filters)


def test_an_unknown_filter_is_a_type_error_as_for_any_call() -> None:
    with pytest.raises(TypeError, match="'reviewers'"):
        make_query(reviewers=["alex"])


def test_the_command_line_and_the_library_make_the_same_query(emulator: Emulator) -> None:
    """`bbpr list` hands its filters on by the library's keywords: the same filters there and
    here list the same pull requests."""
    since = datetime(2020, 1, 1, tzinfo=UTC)
    run = bbpr("list", "acme/widgets", "--state", "all", "--no-draft", "--created-since",
               "2020-01-01", "--format", "ids", env=cloud_environment(emulator))
    assert run.code == 0, run.err

    async def library() -> list[int]:
        async with AsyncClient.from_env(cloud_environment(emulator)) as client:
            return await client.pull_request_ids("acme/widgets", state="all", draft=False,
                                                 created_since=since)

    ids = asyncio.run(library())
    assert ids and [int(line) for line in run.out.split()] == ids


def test_repos_with_one_repository_is_said_alike_by_list_and_sync(emulator: Emulator,
                                                                   tmp_path: Path) -> None:
    env = cloud_environment(emulator)
    listed = bbpr("list", "acme/widgets", "--repos", "wid*", env=env)
    synced = bbpr("sync", "acme/widgets", "--repos", "wid*", "--db", str(tmp_path / "c.db"),
                  env=env)
    said = ("--repos chooses among the repositories of a workspace or project, but "
            "acme/widgets is one repository; drop one of them.")
    assert listed.code == synced.code == 2
    assert said in listed.err and said in synced.err


@pytest.mark.parametrize(("word", "choices", "said"), [
    ("titel", ["title", "id"], " Did you mean 'title'?"),
    ("JSN", ["json", "table"], " Did you mean 'json'?"),
    ("", ["json"], ""),
    ("zzzz", ["json", "table"], ""),
])
def test_did_you_mean(word: str, choices: list[str], said: str) -> None:
    assert did_you_mean(word, choices) == said


def test_query_is_not_changed_by_the_declaration_order() -> None:
    """The same filters given in any order make the same `Query`."""
    values = {keyword: _example(keyword)[0] for keyword in FILTER_KEYWORDS}
    backwards = dict(reversed(list(values.items())))
    assert msgspec.to_builtins(make_query(**values)) == msgspec.to_builtins(
        make_query(**backwards))
