"""An option bbpr does not have: a hint that fits, or none.

click suggests the nearest option by spelling alone, so `--label` earned "Did you mean
'--help'?". gh's options that Bitbucket has no counterpart for are answered with what to do
instead, and `--help` is never offered as a guess for a word that is not it.
"""

from __future__ import annotations

import click

GH_OPTIONS = {
    "--label": "Bitbucket pull requests have no labels; filter by title with --query "
               "'title ~ \"word\"' (Cloud), or by branch with -H/-B",
    "--assignee": "Bitbucket pull requests have no assignee; --reviewer WHO lists those "
                  "WHO is asked to review",
    "--search": "filter with --query BBQL (Cloud), such as --query 'title ~ \"fix\"'",
    "--head": "-H/--source BRANCH is gh's --head",
    "--base": "-B/--destination BRANCH is gh's --base",
    "--jq": "pipe --format json into jq",
    "--template": "choose fields with --fields and a format with --format",
    "--app": "Bitbucket pull requests have no app author; use --author",
}
"""gh's `pr list`/`pr view` options that bbpr has no equal of, each with what to do."""


def explained(error: click.NoSuchOption) -> click.NoSuchOption:
    """The same error, with a hint that fits or none."""
    name = error.option_name
    if name in GH_OPTIONS:
        return click.NoSuchOption(name, f"No such option {name!r}: {GH_OPTIONS[name]}.",
                                  ctx=error.ctx)
    near = [option for option in error.possibilities or () if option not in ("--help", "-h")]
    # click's guesses come best first; the best alone is a hint, three are a riddle.
    return click.NoSuchOption(name, possibilities=near[:1], ctx=error.ctx)
