"""One pull request with everything its own URL gives: what `bbpr view` shows.

A list page leaves out reviewers and participants on Cloud; the pull request's own URL has
them (and Data Center has them everywhere). The record itself is the same `PullRequest` the
listing produces, so `view --format json` and `list --format json` agree field by field.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from .models import PullRequest

Role = Literal["REVIEWER", "PARTICIPANT"]
Verdict = Literal["approved", "changes_requested"]


class Participant(msgspec.Struct, frozen=True, kw_only=True):
    """A reviewer or participant, and what they said."""

    name: str | None = None
    """The display name."""
    login: str | None = None
    """Cloud nickname, Data Center user name."""
    role: Role = "PARTICIPANT"
    verdict: Verdict | None = None
    """Approved, changes requested (Data Center's NEEDS_WORK), or nothing yet."""


class PullRequestDetails(msgspec.Struct, frozen=True, kw_only=True):
    pull_request: PullRequest
    participants: tuple[Participant, ...] = ()
    close_source_branch: bool | None = None
    reason: str | None = None
    """Why it was declined, where the server says (Cloud)."""

    @property
    def reviewers(self) -> tuple[Participant, ...]:
        return tuple(p for p in self.participants if p.role == "REVIEWER")
