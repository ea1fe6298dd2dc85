"""Who may see which workspace and repository.

Bitbucket Cloud answers 404, not 403, for a private repository the caller cannot see (a
public report notes the change), so nobody can probe for names: anonymous callers get 404
for every private workspace and repository, and so does a repository access token asked
about any repository but its own. Slugs match exactly: `jobSearchDemo` is not
`jobsearchdemo`.
"""

from __future__ import annotations

from urllib.parse import unquote

from ..data import Repository, Store, Workspace
from ..messages import ApiError
from .auth import REPO_ACCESS_TOKEN, Principal

ONLY_USERS = (
    "This API is only accessible with the following authentication types: "
    "session, api_token, oauth2"
)


def segment(raw: str) -> str:
    """A path segment as the client meant it (`%7B...%7D` -> `{...}`)."""
    return unquote(raw)


def can_see_workspace(principal: Principal, workspace: Workspace) -> bool:
    if principal.kind is None:
        return False  # every emulated workspace is private
    if principal.kind == REPO_ACCESS_TOKEN:
        return (principal.repository or "").split("/")[0] == workspace.slug
    return principal.account_uuid in workspace.members


def can_see_repository(principal: Principal, repository: Repository) -> bool:
    if principal.kind == REPO_ACCESS_TOKEN:
        return principal.repository == repository.full_name
    return can_see_workspace(principal, repository.workspace)


def visible_workspace(store: Store, principal: Principal, ident: str) -> Workspace:
    workspace = store.find_workspace(ident)
    if workspace is None or not can_see_workspace(principal, workspace):
        raise ApiError(404, f"No workspace with identifier '{ident}'.")
    return workspace


def visible_repository(store: Store, principal: Principal, ws_ident: str, ident: str) -> Repository:
    workspace = store.find_workspace(ws_ident)
    repository = store.find_repository(workspace, ident) if workspace else None
    if repository is None or not can_see_repository(principal, repository):
        raise ApiError(404, f"Repository {ws_ident}/{ident} not found")
    return repository


def require_user(principal: Principal) -> None:
    """Endpoints about "me" need an account behind the credential."""
    if principal.kind is None:
        raise ApiError(401, ONLY_USERS)
    if principal.account_uuid is None:
        raise ApiError(403, ONLY_USERS)
