"""Guessing what the user meant: a workspace, project, repository or person not found, a
state, field or format mistyped. The one place bbpr asks difflib.

The usual mistakes: the display name instead of the ID (`jobSearchDemo` for
`jobsearchdemo`, `Big Repo` for `big-repo`), the wrong case, a typo.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence


def slugify(name: str) -> str:
    """Bitbucket's slug of a display name: lower case, spaces to hyphens, odd characters gone,
    an accented letter as its plain one (`wïdgets` is `widgets`, not `w-dgets`)."""
    plain = "".join(character for character in unicodedata.normalize("NFKD", name)
                    if not unicodedata.combining(character))
    slug = re.sub(r"[^a-z0-9._-]+", "-", plain.strip().lower())
    return re.sub(r"-{2,}", "-", slug).strip("-")


def closest(typed: str, candidates: Iterable[tuple[str, str | None]]) -> list[str]:
    """The IDs among `(id, display name)` pairs that `typed` most likely meant, best first."""
    pairs: Sequence[tuple[str, str | None]] = list(candidates)
    folded = typed.strip().lower()
    exact = [key for key, name in pairs
             if folded in (key.lower(), (name or "").lower(), slugify(name or ""))
             or slugify(typed) == key.lower()]
    if exact:
        return list(dict.fromkeys(exact))
    by_lower = {key.lower(): key for key, _ in pairs}
    by_lower.update({(name or "").lower(): key for key, name in pairs if name})
    near = difflib.get_close_matches(folded, list(by_lower), n=3, cutoff=0.6)
    return list(dict.fromkeys(by_lower[match] for match in near))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` Did you mean 'title'?` for a near miss among `choices`, or nothing."""
    if not word.strip():
        return ""
    guesses = closest(word, ((choice, None) for choice in choices))
    return f" Did you mean {guesses[0]!r}?" if guesses else ""


def describe(keys: Sequence[str], names: dict[str, str | None], limit: int = 10) -> str:
    """`a, b ("B Name"), c and 4 more`."""
    shown = [f'{key} ("{names[key]}")' if names.get(key) and names[key] != key else key
             for key in keys[:limit]]
    more = f" and {len(keys) - limit} more" if len(keys) > limit else ""
    return ", ".join(shown) + more
