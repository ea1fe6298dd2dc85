"""One pull request with everything its own URL gives: what `bbpr view` shows.

A list page leaves out reviewers and participants on Cloud; the pull request's own URL has
them (and Data Center has them everywhere). The record itself is the same `PullRequest` the
listing produces, so `view --format json` and `list --format json` agree field by field.
"""

from __future__ import annotations

import msgspec

from .models import FIELDS, METRIC_FIELDS, Participant, PullRequest

RECORD_FIELDS: tuple[str, ...] = tuple(name for name in FIELDS if name not in METRIC_FIELDS)
"""The record fields one pull request's details fill: not the review metrics, which `bbpr
list` makes from the events of a listing."""
JSON_FIELDS: tuple[str, ...] = (*RECORD_FIELDS, "people", "close_source_branch", "reason")
"""What `bbpr view --format json` gives: every record field, then who took part and how, and
what Cloud alone says of the branch and of a decline."""


class PullRequestDetails(msgspec.Struct, frozen=True, kw_only=True):
    pull_request: PullRequest
    close_source_branch: bool | None = None
    reason: str | None = None
    """Why it was declined, where the server says (Cloud)."""

    @property
    def participants(self) -> tuple[Participant, ...]:
        """Reviewers, then the others who took part (the author is not one)."""
        return self.pull_request.people or ()

    @property
    def reviewers(self) -> tuple[Participant, ...]:
        return tuple(p for p in self.participants if p.role == "REVIEWER")
