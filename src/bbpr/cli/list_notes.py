"""What `bbpr list` says besides the list, where a sentence would otherwise be missing or
wrong: the default state beside a `--query` that names another, and what `bbpr doctor` would
add after a refusal."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import AuthError, BbprError, NotFoundError, ScopeError

if TYPE_CHECKING:
    from ..asked.targets import Target

QUERY_STATE_NOTE = (
    "--query names a state, but --state was not given, so its default, open, applies too: "
    "only open pull requests can match. Add --state all (or the states --query asks for).")

_STATE_CONDITION = re.compile(r'\bstate\s*(!=|=|!~|~|(?:NOT\s+)?IN\b)\s*("[^"]*"|\([^)]*\))',
                              re.IGNORECASE)


def query_names_other_states(text: object) -> bool:
    """Whether a `--query` asks for a state other than open (`state = "MERGED"`, or one
    that is not OPEN): with no `--state`, the default (open) is sent beside it, and the two
    together match nothing the user meant."""
    if not isinstance(text, str):
        return False
    for operator, values in _STATE_CONDITION.findall(text):
        named = {value.upper() for value in re.findall(r'"([^"]*)"', values)}
        if operator.startswith("!") or operator.upper().startswith("NOT") or named - {"OPEN"}:
            return True
    return False


def doctor_hint(error: BbprError, target: Target) -> str | None:
    """What `bbpr doctor` adds: the names it suggests for what was not found, every step for
    a refusal; nothing for a missing scope, whose sentence says all already."""
    if isinstance(error, ScopeError):
        return None
    if error.exit_code == NotFoundError.exit_code:
        return f"`bbpr doctor {target.as_typed}` checks every step and suggests names."
    if error.exit_code == AuthError.exit_code:
        return f"`bbpr doctor {target.as_typed}` checks every step."
    return None
