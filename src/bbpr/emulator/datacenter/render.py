"""Data Center JSON objects (RestUser, RestProject, RestRepository, RestPullRequest).

Shapes follow the 9.4 OpenAPI schemas and responses captured from live servers: epoch
millisecond dates, `links.self` as a LIST of `{href}`, `description` left out when empty,
`closedDate` only on closed pull requests, `properties.mergeResult` only on open ones.
Links use the server URL the client called (`base`), so they stay on the emulator.
Personal projects link to `/users/{slug}`, their repositories to `/users/{slug}/repos/...`.

A pull request is rendered the same in a list page as at its own URL (Data Center, unlike
Cloud, puts reviewers and participants in both); about 4-5 KB of JSON each.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .. import prose
from ..data import PullRequest
from . import review
from .data import DcProject, DcRepository, DcStore, DcUser

JsonObject = dict[str, Any]

VERSION = "9.4.3"
APPLICATION_PROPERTIES: JsonObject = {
    "version": VERSION,
    "buildNumber": "9004003",
    "buildDate": "1718950524538",
    "displayName": "Bitbucket",
}


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _self(href: str) -> JsonObject:
    return {"self": [{"href": href}]}


def user(base: str, who: DcUser) -> JsonObject:
    return {
        "name": who.name,
        "emailAddress": who.email,
        "id": who.id,
        "displayName": who.display_name,
        "active": True,
        "slug": who.slug,
        "type": "NORMAL",
        "links": _self(f"{base}/users/{who.slug}"),
    }


def project(base: str, proj: DcProject) -> JsonObject:
    if proj.owner is not None:
        return {
            "key": proj.key,
            "id": proj.id,
            "name": proj.name,
            "type": "PERSONAL",
            "owner": user(base, proj.owner),
            "links": _self(f"{base}/users/{proj.owner.slug}"),
        }
    body: JsonObject = {"key": proj.key, "id": proj.id, "name": proj.name}
    if proj.description:
        body["description"] = proj.description
    body.update(public=False, type="NORMAL", links=_self(f"{base}/projects/{proj.key}"))
    return body


def repository_path(repo: DcRepository) -> str:
    """The browser path of a repository: `/projects/KEY/repos/slug` or `/users/u/repos/slug`."""
    owner = repo.project.owner
    if owner is not None:
        return f"/users/{owner.slug}/repos/{repo.slug}"
    return f"/projects/{repo.project.key}/repos/{repo.slug}"


def repository(base: str, repo: DcRepository) -> JsonObject:
    scm_path = f"{repo.project.key.lower()}/{repo.slug}.git"
    host = urlsplit(base).hostname or "127.0.0.1"
    body: JsonObject = {"slug": repo.slug, "id": repo.id, "name": repo.name}
    if repo.description:
        body["description"] = repo.description
    body.update({
        "hierarchyId": repo.hierarchy_id,
        "scmId": "git",
        "state": "AVAILABLE",
        "statusMessage": "Available",
        "archived": False,
        "forkable": True,
        "project": project(base, repo.project),
        "public": False,
        "links": {
            "clone": [
                {"href": f"ssh://git@{host}:7999/{scm_path}", "name": "ssh"},
                {"href": f"{base}/scm/{scm_path}", "name": "http"},
            ],
            "self": [{"href": f"{base}{repository_path(repo)}/browse"}],
        },
    })  # fmt: skip
    return body


def commit_id(pr: PullRequest, role: str) -> str:
    """A stable 40-digit commit id; Cloud's 12-digit hashes of the same record are its prefix."""
    return hashlib.sha1(f"{pr.text_seed}:{role}".encode(), usedforsecurity=False).hexdigest()


def _ref(base: str, repo: DcRepository, branch: str, commit: str) -> JsonObject:
    return {
        "id": f"refs/heads/{branch}",
        "displayId": branch,
        "latestCommit": commit,
        "type": "BRANCH",
        "repository": repository(base, repo),
    }


def description_of(pr: PullRequest) -> str:
    if pr.description is not None:
        return pr.description
    return prose.description(random.Random(pr.text_seed))[0]  # noqa: S311


def pull_request(
    base: str, repo: DcRepository, pr: PullRequest, store: DcStore, *, properties: bool = True
) -> JsonObject:
    closed = pr.state != "OPEN"
    body: JsonObject = {
        "id": pr.id,
        "version": pr.text_seed % 5 + pr.revision,
        "title": pr.title,
    }
    description = description_of(pr)
    if description:
        body["description"] = description
    body.update(
        state=pr.state,
        open=not closed,
        closed=closed,
        draft=pr.draft,
        createdDate=epoch_ms(pr.created_on),
        updatedDate=epoch_ms(pr.updated_on),
    )
    closed_on = review.closed_on(pr)
    if closed_on is not None:
        body["closedDate"] = epoch_ms(closed_on)
    body.update(
        fromRef=_ref(base, repo, pr.source_branch, commit_id(pr, "source")),
        toRef=_ref(base, repo, pr.destination_branch, commit_id(pr, "destination")),
        locked=False,
        author=_participant(base, store.user_for(pr.author), "AUTHOR", "UNAPPROVED"),
    )
    body.update(people(base, pr, store))
    if properties:
        body["properties"] = _properties(pr)
    body["links"] = _self(f"{base}{repository_path(repo)}/pull-requests/{pr.id}")
    return body


def _participant(
    base: str, who: DcUser, role: str, status: str, reviewed: str | None = None
) -> JsonObject:
    body: JsonObject = {"user": user(base, who)}
    if reviewed is not None:
        body["lastReviewedCommit"] = reviewed
    body.update(role=role, approved=status == "APPROVED", status=status)
    return body


def people(base: str, pr: PullRequest, store: DcStore) -> JsonObject:
    """Reviewers and participants, from the pull request's timeline (see `review`): each
    one's status is their last verdict; the build bot and people who were not asked to
    review are PARTICIPANTs (never reviewers), which is what role filters must tell apart."""
    reviewers: list[JsonObject] = []
    participants: list[JsonObject] = []
    for person in review.people(pr, store):
        status = _STATUS[person.verdict]
        reviewed = commit_id(pr, "source") if status != "UNAPPROVED" else None
        entry = _participant(base, store.user_for(person.account), person.role, status,
                             reviewed)
        (reviewers if person.role == "REVIEWER" else participants).append(entry)
    return {"reviewers": reviewers, "participants": participants}


_STATUS = {"approved": "APPROVED", "changes_requested": "NEEDS_WORK", None: "UNAPPROVED"}


def _properties(pr: PullRequest) -> JsonObject:
    body: JsonObject = {}
    if pr.state == "OPEN":
        outcome = ("CLEAN", "CLEAN", "CLEAN", "CONFLICTED")[pr.text_seed % 4]
        body["mergeResult"] = {"outcome": outcome, "current": True}
    resolved = pr.task_count if pr.state == "MERGED" else pr.task_count // 2
    body.update(
        resolvedTaskCount=resolved,
        commentCount=pr.comment_count,
        openTaskCount=pr.task_count - resolved,
    )
    return body
