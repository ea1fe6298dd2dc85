"""REPO arguments and pasted URLs become the right target, and mistakes are caught early."""

from __future__ import annotations

import pytest

from bbpr.asked.targets import Target, parse_target
from bbpr.errors import InputError


@pytest.mark.parametrize(
    ("text", "server", "expected"),
    [
        ("acme/widgets", None, Target("cloud", "acme", "widgets")),
        ("acme", None, Target("cloud", "acme", None)),
        ("https://bitbucket.org/acme/widgets", None, Target("cloud", "acme", "widgets")),
        ("https://bitbucket.org/acme/widgets/pull-requests/12", None,
         Target("cloud", "acme", "widgets", pull_request=12)),
        ("https://bitbucket.org/acme/widgets/pull-requests/12/diff", None,
         Target("cloud", "acme", "widgets", pull_request=12)),
        ("https://bitbucket.org/acme/workspace/repositories", None, Target("cloud", "acme")),
        ("https://bitbucket.org/acme/workspace/projects/PROJ", None,
         Target("cloud", "acme", project="PROJ")),
        ("bitbucket.org/acme/widgets", None, Target("cloud", "acme", "widgets")),
        ("bitbucket.org/acme/widgets/src/main/", None, Target("cloud", "acme", "widgets")),
        ("acme/my.repo", None, Target("cloud", "acme", "my.repo")),
        ("git.example.com/projects/PROJ/repos/repo/browse", None,
         Target("datacenter", "PROJ", "repo", "https://git.example.com")),
        ("https://git.example.com/projects/PROJ/repos/repo/pull-requests/7/overview", None,
         Target("datacenter", "PROJ", "repo", "https://git.example.com", pull_request=7)),
        ("https://dana@git.example.com/scm/proj/repo.git", None,
         Target("datacenter", "proj", "repo", "https://git.example.com")),
        ("https://bitbucket.org/acme/", None, Target("cloud", "acme", None)),
        ("https://api.bitbucket.org/2.0/repositories/acme/widgets/pullrequests", None,
         Target("cloud", "acme", "widgets")),
        ("git@bitbucket.org:acme/widgets.git", None, Target("cloud", "acme", "widgets")),
        ("https://dana@bitbucket.org/acme/widgets.git", None, Target("cloud", "acme", "widgets")),
        ("ssh://git@bitbucket.org/acme/widgets.git", None, Target("cloud", "acme", "widgets")),
        ("{0b0e8a0c-5d7e-4c2b-9a55-6a3f0f0e1a2b}/widgets", None,
         Target("cloud", "{0b0e8a0c-5d7e-4c2b-9a55-6a3f0f0e1a2b}", "widgets")),
        ("PROJ/repo", "https://git.example.com/", Target("datacenter", "PROJ", "repo",
                                                         "https://git.example.com")),
        ("PROJ", "https://git.example.com", Target("datacenter", "PROJ", None,
                                                   "https://git.example.com")),
        ("https://git.example.com/projects/PROJ/repos/repo/browse", None,
         Target("datacenter", "PROJ", "repo", "https://git.example.com")),
        ("https://git.example.com/bitbucket/projects/PROJ/repos/repo/pull-requests/3/overview",
         None, Target("datacenter", "PROJ", "repo", "https://git.example.com/bitbucket",
                      pull_request=3)),
        ("https://git.example.com/users/dana/repos/notes/browse", None,
         Target("datacenter", "~dana", "notes", "https://git.example.com")),
        ("https://git.example.com/projects/PROJ", None,
         Target("datacenter", "PROJ", None, "https://git.example.com")),
        ("https://git.example.com:8443/scm/proj/repo.git", None,
         Target("datacenter", "proj", "repo", "https://git.example.com:8443")),
        ("https://git.example.com/rest/api/1.0/projects/PROJ/repos/repo/pull-requests", None,
         Target("datacenter", "PROJ", "repo", "https://git.example.com")),
        ("PROJ/repo", "https://git.example.com/rest/api/latest", Target(
            "datacenter", "PROJ", "repo", "https://git.example.com")),
        # A page's path pasted with the base, with or without its slash: the base before it.
        ("PROJ/repo", "https://git.example.com/projects", Target(
            "datacenter", "PROJ", "repo", "https://git.example.com")),
        ("PROJ/repo", "https://git.example.com/bitbucket/projects/PROJ", Target(
            "datacenter", "PROJ", "repo", "https://git.example.com/bitbucket")),
        # A list page's states: what the page listed (as `bbpr list --web` writes them too).
        ("https://bitbucket.org/acme/widgets/pull-requests/?state=MERGED", None,
         Target("cloud", "acme", "widgets", states=("MERGED",))),
        ("bitbucket.org/acme/widgets/pull-requests?state=merged,declined&state=MERGED", None,
         Target("cloud", "acme", "widgets", states=("MERGED", "DECLINED"))),
        ("acme/widgets/pull-requests/?state=ALL", None,
         Target("cloud", "acme", "widgets", states=("ALL",))),
        ("https://api.bitbucket.org/2.0/repositories/acme/widgets/pullrequests?state=DECLINED"
         "&pagelen=50", None, Target("cloud", "acme", "widgets", states=("DECLINED",))),
        ("https://git.example.com/projects/PROJ/repos/repo/pull-requests?state=DECLINED", None,
         Target("datacenter", "PROJ", "repo", "https://git.example.com", states=("DECLINED",))),
        ("https://git.example.com/projects/PROJ/repos/repo/pull-requests?state=", None,
         Target("datacenter", "PROJ", "repo", "https://git.example.com")),
        # Elsewhere a query is no pull request filter: a pull request's own page, the source.
        ("https://bitbucket.org/acme/widgets/pull-requests/12/diff?w=1", None,
         Target("cloud", "acme", "widgets", pull_request=12)),
        ("https://bitbucket.org/acme/widgets/src/main/?at=release", None,
         Target("cloud", "acme", "widgets")),
    ],
)
def test_parses(text: str, server: str | None, expected: Target) -> None:
    assert parse_target(text, server=server) == expected


@pytest.mark.parametrize(
    ("text", "server", "words"),
    [
        ("{workspace}/{repo_slug}", None, "placeholder"),
        ("<workspace>/widgets", None, "placeholder"),
        ("acme/your-repo-slug", None, "placeholder"),
        ("workspace/repo_slug", None, "placeholder"),
        ("acme/My Repo", None, "cannot be"),
        ("acme/widgets/extra", None, "too many parts"),
        ("", None, "Name a repository"),
        ("PROJ/repo", "git.example.com", "not a URL"),
        ("PROJ/repo", "https://bitbucket.org", "leave it out"),
        ("https://git.example.com/some/page", None, "not a Bitbucket repository"),
        ("https://git.example.com/projects/P/repos/r", "https://other.example.com", "drop one"),
        ("ssh://git@git.example.com:7999/proj/repo.git", None, "SSH clone address"),
        ("git@git.example.com:proj/repo.git", None, "SSH clone address"),
        ("https://bitbucket.org/acme/widgets/pull-requests/?state=OPEN&author=%7Bu%7D", None,
         "filters by author='{u}', which bbpr cannot read from a URL"),
        ("https://git.example.com/projects/P/repos/r/pull-requests?reviewer=dana", None,
         "filters by reviewer='dana'"),
        ("https://bitbucket.org/acme/widgets/pull-requests/?state=CLOSED", None,
         "state='CLOSED', which is not a pull request state"),
        # Each says what to drop, or suggests what was meant.
        ("<workspace>/<repo>", None, "there without the angle brackets\\.$"),
        ("{workspace}/{repo_slug}", None, "there without the braces\\.$"),
        ("acme/your-repo-slug", None, "repository slug there\\.$"),
        ("acme widgets", None, "Did you mean acme/widgets\\?$"),
        ("ACME widgets", "https://git.example.com", "Did you mean ACME/widgets\\?$"),
        ("Acme Corp", None, "the slug is probably 'acme-corp'"),
        ("acme/wïdgets", None, "the slug is probably 'widgets'\\."),
        ("acme/..", None, "'\\.\\.' cannot be .* it means a folder, not a name\\. Copy"),
        ("./widgets", None, "'\\.' cannot be .* it means a folder"),
    ],
)
def test_rejects_with_a_reason(text: str, server: str | None, words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_target(text, server=server)


def test_full_name() -> None:
    assert parse_target("acme/widgets").full_name == "acme/widgets"
    assert parse_target("acme").full_name == "acme"
