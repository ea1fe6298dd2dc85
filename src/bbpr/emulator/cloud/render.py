"""Full JSON objects, as Bitbucket Cloud renders them, from the compact records in `data`.

API links point at the emulator itself (`api` is the base URL the client used, plus "/2.0"),
so that a client following `links.self` or `next` stays on the emulator; browser links
point at https://bitbucket.org, as the live service's do.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from .. import prose
from ..data import Account, Project, PullRequest, Repository, Workspace
from . import review

WEB = "https://bitbucket.org"
JsonObject = dict[str, Any]


def timestamp(moment: datetime) -> str:
    """ISO-8601 with microseconds and "+00:00", the live service's format."""
    return moment.isoformat(timespec="microseconds")


def _link(href: str) -> dict[str, str]:
    return {"href": href}


def _braced(value: str) -> str:
    return quote(value, safe="")


def _avatar(email: str, initials: str) -> str:
    digest = hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()
    fallback = quote(
        "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/initials/"
        f"{initials}-3.png",
        safe="",
    )
    return f"https://secure.gravatar.com/avatar/{digest}?d={fallback}"


def _initials(name: str) -> str:
    return "".join(part[0] for part in name.split()[:2]).upper()


@lru_cache(maxsize=256)
def _account(api: str, account: Account) -> JsonObject:
    # Cached: the same few accounts appear several times in every pull request. Callers
    # never mutate rendered objects (the fields filter builds new ones).
    return {
        "display_name": account.display_name,
        "links": {
            "self": _link(f"{api}/users/{_braced(account.uuid)}"),
            "avatar": _link(_avatar(account.email, _initials(account.display_name))),
            "html": _link(f"{WEB}/{_braced(account.uuid)}/"),
        },
        "type": "user",
        "uuid": account.uuid,
        "account_id": account.account_id,
        "nickname": account.nickname,
    }


def account(api: str, who: Account) -> JsonObject:
    return _account(api, who)


def current_user(api: str, who: Account) -> JsonObject:
    """`GET /2.0/user`: the account object with the fields only its owner sees."""
    body = dict(_account(api, who))
    body["links"] = {
        **body["links"],
        "repositories": _link(f"{api}/repositories/{_braced(who.uuid)}"),
        "snippets": _link(f"{api}/snippets/{_braced(who.uuid)}"),
        "hooks": _link(f"{api}/workspaces/{_braced(who.uuid)}/hooks"),
    }
    body.update(
        created_on=timestamp(who.created_on),
        username=who.username,
        is_staff=False,
        account_status="active",
        has_2fa_enabled=False,
        location=None,
    )
    return body


def workspace_summary(api: str, workspace: Workspace) -> JsonObject:
    return {
        "type": "workspace",
        "uuid": workspace.uuid,
        "name": workspace.name,
        "slug": workspace.slug,
        "links": {
            "avatar": _link(f"{WEB}/workspaces/{workspace.slug}/avatar/?ts=1700000000"),
            "html": _link(f"{WEB}/{workspace.slug}/"),
            "self": _link(f"{api}/workspaces/{workspace.slug}"),
        },
    }


def workspace(api: str, ws: Workspace) -> JsonObject:
    body = workspace_summary(api, ws)
    here = f"{api}/workspaces/{ws.slug}"
    body["links"].update(
        members=_link(f"{here}/members"),
        owners=_link(f"{here}/members?q=permission%3D%22owner%22"),
        projects=_link(f"{here}/projects"),
        repositories=_link(f"{api}/repositories/{ws.slug}"),
        snippets=_link(f"{api}/snippets/{ws.slug}"),
    )
    body.update(
        is_private=True,
        is_privacy_enforced=False,
        forking_mode="allow_forks",
        created_on=timestamp(ws.created_on),
        updated_on=timestamp(ws.created_on + timedelta(days=30)),
    )
    return body


def workspace_access(api: str, ws: Workspace, administrator: bool) -> JsonObject:
    """An item of `GET /2.0/user/workspaces`."""
    return {
        "type": "workspace_access",
        "administrator": administrator,
        "workspace": workspace_summary(api, ws),
    }


def _project(api: str, ws: Workspace, project: Project) -> JsonObject:
    return {
        "type": "project",
        "key": project.key,
        "uuid": project.uuid,
        "name": project.name,
        "links": {
            "self": _link(f"{api}/workspaces/{ws.slug}/projects/{project.key}"),
            "html": _link(f"{WEB}/{ws.slug}/workspace/projects/{project.key}"),
            "avatar": _link(f"{WEB}/{ws.slug}/workspace/projects/{project.key}/avatar/32"),
        },
    }


@lru_cache(maxsize=256)
def _repository_summary(api: str, repo: Repository) -> JsonObject:
    # Keyed by identity: a future rename of a repository must clear this cache.
    return {
        "type": "repository",
        "full_name": repo.full_name,
        "links": {
            "self": _link(f"{api}/repositories/{repo.full_name}"),
            "html": _link(f"{WEB}/{repo.full_name}"),
            "avatar": _link(f"https://bytebucket.org/ravatar/{_braced(repo.uuid)}?ts=default"),
        },
        "name": repo.name,
        "uuid": repo.uuid,
    }


def repository(api: str, repo: Repository) -> JsonObject:
    here = f"{api}/repositories/{repo.full_name}"
    ws = repo.workspace
    summary = _repository_summary(api, repo)
    return {
        "type": "repository",
        "full_name": repo.full_name,
        "links": {
            **summary["links"],
            "pullrequests": _link(f"{here}/pullrequests"),
            "commits": _link(f"{here}/commits"),
            "forks": _link(f"{here}/forks"),
            "watchers": _link(f"{here}/watchers"),
            "branches": _link(f"{here}/refs/branches"),
            "tags": _link(f"{here}/refs/tags"),
            "downloads": _link(f"{here}/downloads"),
            "source": _link(f"{here}/src"),
            "clone": [
                {"name": "https", "href": f"https://bitbucket.org/{repo.full_name}.git"},
                {"name": "ssh", "href": f"git@bitbucket.org:{repo.full_name}.git"},
            ],
            "hooks": _link(f"{here}/hooks"),
        },
        "name": repo.name,
        "slug": repo.slug,
        "description": "",
        "scm": "git",
        "website": None,
        "owner": {
            "display_name": ws.name,
            "links": {
                "self": _link(f"{api}/workspaces/{_braced(ws.uuid)}"),
                "avatar": _link(f"{WEB}/account/{ws.slug}/avatar/"),
                "html": _link(f"{WEB}/{_braced(ws.uuid)}/"),
            },
            "type": "team",
            "uuid": ws.uuid,
            "username": ws.slug,
        },
        "workspace": workspace_summary(api, ws),
        "is_private": True,
        "project": _project(api, ws, ws.project),
        "fork_policy": "no_public_forks",
        "created_on": timestamp(repo.created_on),
        "updated_on": timestamp(repo.updated_on),
        "size": 1_048_576 + len(repo.pull_requests) * 4096,
        "language": repo.language,
        "uuid": repo.uuid,
        "mainbranch": {"name": "main", "type": "branch"},
        "override_settings": {"default_merge_strategy": True, "branching_model": True},
        "has_issues": False,
        "has_wiki": False,
    }


def _rendered(raw: str, rendered_html: str) -> JsonObject:
    return {"type": "rendered", "raw": raw, "markup": "markdown", "html": rendered_html}


def commit_hash(pr: PullRequest, role: str) -> str:
    """A stable 12-digit hash (the length pull request endpoints show) per pull request."""
    seed = f"{pr.text_seed}:{role}".encode()
    return hashlib.sha1(seed, usedforsecurity=False).hexdigest()[:12]


def _commit(api: str, repo: Repository, commit: str) -> JsonObject:
    return {
        "hash": commit,
        "links": {
            "self": _link(f"{api}/repositories/{repo.full_name}/commit/{commit}"),
            "html": _link(f"{WEB}/{repo.full_name}/commits/{commit}"),
        },
        "type": "commit",
    }


def _endpoint(api: str, repo: Repository, branch: str, commit: str) -> JsonObject:
    return {
        "branch": {"name": branch},
        "commit": _commit(api, repo, commit),
        "repository": _repository_summary(api, repo),
    }


def _pull_request_links(api: str, repo: Repository, pr: PullRequest) -> JsonObject:
    here = f"{api}/repositories/{repo.full_name}/pullrequests/{pr.id}"
    spec = quote(
        f"{repo.full_name}:{commit_hash(pr, 'source')}\r{commit_hash(pr, 'destination')}",
        safe="/:",
    )
    topic = f"?from_pullrequest_id={pr.id}&topic=true"
    return {
        "self": _link(here),
        "html": _link(f"{WEB}/{repo.full_name}/pull-requests/{pr.id}"),
        "commits": _link(f"{here}/commits"),
        "approve": _link(f"{here}/approve"),
        "request-changes": _link(f"{here}/request-changes"),
        "diff": _link(f"{api}/repositories/{repo.full_name}/diff/{spec}{topic}"),
        "diffstat": _link(f"{api}/repositories/{repo.full_name}/diffstat/{spec}{topic}"),
        "comments": _link(f"{here}/comments"),
        "activity": _link(f"{here}/activity"),
        "merge": _link(f"{here}/merge"),
        "decline": _link(f"{here}/decline"),
        "statuses": _link(f"{here}/statuses"),
    }


def decline_reason(pr: PullRequest) -> str:
    if pr.state != "DECLINED":
        return ""
    return prose.DECLINE_REASONS[pr.text_seed % len(prose.DECLINE_REASONS)]


def pull_request(
    api: str, repo: Repository, pr: PullRequest, *, people_from: Sequence[Account] | None = None
) -> JsonObject:
    """One pull request, as a list page shows it.

    With `people_from` (the accounts reviewers are drawn from) it also has `reviewers` and
    `participants`, as the pull request's own URL shows it.
    """
    rng = random.Random(pr.text_seed)  # noqa: S311 (regenerates the record's own text)
    raw, described = prose.description(rng)
    if pr.description is not None:
        raw, described = pr.description, prose.paragraph_html(pr.description)
    reason = decline_reason(pr)
    merge_commit = None
    if pr.state == "MERGED":
        merge_commit = _commit(api, repo, commit_hash(pr, "merge"))
    body: JsonObject = {
        "comment_count": pr.comment_count,
        "task_count": pr.task_count,
        "type": "pullrequest",
        "id": pr.id,
        "title": pr.title,
        "description": raw,
        "rendered": {
            "title": _rendered(pr.title, prose.paragraph_html(pr.title)),
            "description": _rendered(raw, described),
            "reason": _rendered(reason, prose.paragraph_html(reason)),
        },
        "state": pr.state,
        "draft": pr.draft,
        "merge_commit": merge_commit,
        "close_source_branch": pr.close_source_branch,
        "closed_by": _account(api, pr.closed_by) if pr.closed_by else None,
        "author": _account(api, pr.author),
        "reason": reason,
        "created_on": timestamp(pr.created_on),
        "updated_on": timestamp(pr.updated_on),
        "destination": _endpoint(api, repo, pr.destination_branch, commit_hash(pr, "destination")),
        "source": _endpoint(api, repo, pr.source_branch, commit_hash(pr, "source")),
        "links": _pull_request_links(api, repo, pr),
        "summary": _rendered(raw, described),
    }
    if people_from is not None:
        body.update(_people(api, pr, people_from))
    return body


def _people(api: str, pr: PullRequest, pool: Sequence[Account]) -> JsonObject:
    """`reviewers` and `participants`, from `review.people`."""
    present = review.people(pr, list(pool))
    return {
        "reviewers": [_account(api, p.account) for p in present if p.role == "REVIEWER"],
        "participants": [
            {
                "type": "participant",
                "user": _account(api, p.account),
                "role": p.role,
                "approved": p.approved,
                "state": p.state,
                "participated_on": timestamp(p.participated_on) if p.participated_on else None,
            }
            for p in present
        ],
    }
