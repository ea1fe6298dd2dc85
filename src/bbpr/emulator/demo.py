"""The demo credentials and names an emulator prints and tests use: all fake, all working.

They are made from the seed, in a fixed order (the order matters: each secret advances the
credential tables' seeded generators), so two emulators with the same seed have the same
demo credentials.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cloud.auth import GRANULAR_SCOPES, CredentialTable
from .data import Store
from .datacenter import data as dc_data
from .datacenter.auth import DcCredentials


@dataclass(frozen=True)
class Demo:
    """Working demo credentials and names (all fake, derived from the seed)."""

    email: str
    username: str
    api_token: str  # ATATT..., Basic auth with `email`
    access_token: str  # ATCTT..., a repository access token of workspace/repo_slug (Bearer)
    oauth_client_id: str
    oauth_client_secret: str
    app_password: str  # ATBB..., with `username`: always 401, as app passwords are removed
    workspace: str
    repo_slug: str


@dataclass(frozen=True)
class DcDemo:
    """Working Data Center demo credentials and names (all fake, derived from the seed)."""

    username: str
    password: str
    token: str  # BBDC-..., personal HTTP access token of `username` with REPO_READ (Bearer)
    legacy_token: str  # the same kind, made before tokens had a prefix: still valid
    project: str
    repo_slug: str
    personal_repo: str  # "~dana/notes": personal project key "~dana" + slug "notes"


def cloud_demo(store: Store, credentials: CredentialTable) -> Demo:
    account = store.demo_account
    consumer = credentials.add_oauth_consumer(
        account.uuid, frozenset({"account", "pullrequest", "repository"})
    )
    return Demo(
        email=account.email,
        username=account.username,
        api_token=credentials.add_api_token(
            account.email, account.uuid, frozenset(GRANULAR_SCOPES)
        ),
        access_token=credentials.add_access_token(
            "acme/widgets", frozenset(("pullrequest", "repository"))
        ),
        oauth_client_id=consumer.key,
        oauth_client_secret=consumer.secret,
        app_password=credentials.add_app_password(account.username, account.uuid),
        workspace="acme",
        repo_slug="widgets",
    )


def datacenter_demo(store: dc_data.DcStore, credentials: DcCredentials) -> DcDemo:
    name = dc_data.DEMO_USERNAME
    user = store.user(name)
    return DcDemo(
        username=name,
        password=credentials.new_password(name),
        token=credentials.new_token(user, None, None, "REPO_READ"),
        legacy_token=credentials.new_token(user, None, None, "REPO_READ", legacy=True),
        project="ACME",
        repo_slug="widgets",
        personal_repo=f"~{name}/notes",
    )
