"""Which scopes bbpr needs on Bitbucket Cloud, in the two vocabularies Cloud uses.

API tokens carry granular scopes (`read:pullrequest:bitbucket`), which do not imply each
other. Access tokens and OAuth consumers carry classic ones (`pullrequest`, which implies
`repository`). Listing pull requests needs the pull request scope; listing a workspace's
repositories needs the repository scope; the rest only lets `bbpr doctor` say more.
"""

from __future__ import annotations

from ..credentials.kinds import CredentialKind
from ..models import ScopeCheck

GRANULAR_NEEDED = ("read:pullrequest:bitbucket", "read:repository:bitbucket",
                   "read:workspace:bitbucket", "read:user:bitbucket")
"""What an API token for bbpr should have: the four read scopes."""


def check_scopes(granted: frozenset[str], kind: CredentialKind, *,
                 whole_workspace: bool) -> ScopeCheck:
    """Which needed scopes `granted` lacks, for listing one repository or a workspace."""
    if kind == "api_token":
        required = ["read:pullrequest:bitbucket"]
        if whole_workspace:
            required.append("read:repository:bitbucket")
        useful = [scope for scope in GRANULAR_NEEDED if scope not in required]
    else:
        implied = set(granted) | ({"repository"} if "pullrequest" in granted else set())
        required = ["pullrequest"]
        useful = ["account"] if kind == "oauth_client" else []
        granted = frozenset(implied)
    missing = tuple(scope for scope in required if scope not in granted)
    return ScopeCheck(
        missing_required=missing,
        missing_useful=tuple(scope for scope in useful if scope not in granted),
        problem=what_is_missing(granted, kind, missing) if missing else None,
    )


def what_is_missing(granted: frozenset[str], kind: CredentialKind,
                    missing: tuple[str, ...] | list[str]) -> str:
    """The scope problem in words: no scopes, another product's, or the ones lacking."""
    if kind == "api_token" and not granted:
        return ("has no scopes, since it was made with \"Create API token\", and Bitbucket "
                "takes only tokens made with \"Create API token with scopes\"")
    if kind == "api_token" and not any(scope.endswith(":bitbucket") for scope in granted):
        return (f"has no Bitbucket scopes, only {', '.join(sorted(granted))}, since it was made "
                "for another Atlassian product")
    return f"lacks {', '.join(missing) or 'a scope this request needs'}"
