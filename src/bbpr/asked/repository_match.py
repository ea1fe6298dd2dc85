"""`--repos`: which repositories of a workspace or project a glob chooses, and what bbpr says
when it is given with one repository or chooses none.

One place for the live listing, `bbpr sync` and `bbpr list --cached`, so that the same glob
chooses the same repositories in all three, and their mistakes are said in the same words.
"""

from __future__ import annotations

import fnmatch

from ..errors import InputError, NotFoundError
from .targets import Target

GLOB_HELP = "The glob matches slugs and names, case aside: '*' for any text, as in 'api-*'."


def matches(pattern: str, *names: str | None) -> bool:
    """Whether a `--repos` glob matches any of a repository's names (its slug, its display
    name; a missing one matches nothing), case aside."""
    return any(fnmatch.fnmatchcase(name.lower(), pattern.lower()) for name in names if name)


def one_repository(target: Target) -> InputError:
    """`--repos` with a repository: there is nothing to choose among."""
    return InputError(f"--repos chooses among the repositories of a workspace or project, "
                      f"but {target.full_name} is one repository; drop one of them.")


def none_chosen(owner: str, pattern: str | None, outcome: str, *,
                project: str | None = None) -> NotFoundError:
    """No repository of `owner` (or of its Cloud `project`) to work on: none matches the glob,
    or the project has none. `outcome` says what follows, as in "there is nothing to sync"."""
    where = f"project {project} of {owner}" if project else owner
    which = f" matches --repos {pattern!r}" if pattern else " was found"
    return NotFoundError(f"No repository of {where}{which}, so {outcome}. {GLOB_HELP}")
