"""One pull request as `bbpr view` prints it: a page of text for people, or JSON.

The text shows the server's words harmlessly (see `sanitize`) before adding its own
colours; the JSON keeps them exact.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

import msgspec

from ..details import JSON_FIELDS, RECORD_FIELDS, PullRequestDetails
from ..models import Participant
from .output import record
from .progress import plural
from .sanitize import json_text, lines, one_line
from .table import STATE_COLOURS

_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
_VERDICTS = {"approved": "approved", "changes_requested": "changes requested"}


def as_json(details: PullRequestDetails, fields: Sequence[str] = JSON_FIELDS) -> str:
    """Every record field (as `list --format json --fields ...` names and fills them, the
    review fields included; not the review metrics, which `bbpr list` makes from the
    events), then each person with their role and verdict; or only `fields`, in their order
    (`--json FIELDS`)."""
    pr = details.pull_request
    body: dict[str, object] = record(pr, RECORD_FIELDS)
    body["people"] = [_person(p) for p in details.participants]
    body["close_source_branch"] = details.close_source_branch
    body["reason"] = details.reason
    chosen = {name: body[name] for name in fields}
    return json_text(msgspec.json.format(msgspec.json.encode(chosen).decode(), indent=2))


def _person(participant: Participant) -> dict[str, object]:
    return {"name": participant.name, "login": participant.login, "role": participant.role,
            "verdict": _verdict(participant)}


def _verdict(participant: Participant) -> str | None:
    if participant.approved:
        return "approved"
    return "changes_requested" if participant.changes_requested else None


def as_text(details: PullRequestDetails, *, width: int, colour: bool) -> str:
    details = shown(details)
    pr = details.pull_request

    def bold(text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if colour else text

    def dim(text: str) -> str:
        return f"{_DIM}{text}{_RESET}" if colour else text

    state: str = pr.state or "?"
    if colour and state in STATE_COLOURS:
        state = f"{STATE_COLOURS[state]}{state}{_RESET}"
    draft = " (draft)" if pr.draft else " (in the merge queue)" if pr.queued else ""
    lines = [bold(f"{pr.title or '(no title)'} #{pr.id}"),
             f"{state}{draft} · {pr.repository} · {pr.source_branch} → {pr.destination_branch}",
             dim(f"by {_who(pr.author, pr.author_login)}, created {_when(pr.created_on)}, "
                 f"updated {_when(pr.updated_on)}"
                 + (f", closed {_when(pr.closed_on)}" if pr.closed_on else "")),
             ""]
    reviewers = details.reviewers
    lines.append(f"{bold('Reviewers:')} " + (", ".join(_said(p) for p in reviewers)
                                             if reviewers else "none"))
    others = [p for p in details.participants if p.role != "REVIEWER"]
    if others:
        lines.append(f"{bold('Participants:')} " + ", ".join(_said(p) for p in others))
    commits = f"{_short(pr.source_commit)} → {_short(pr.destination_commit)}"
    if pr.merge_commit:
        commits += f", merged as {_short(pr.merge_commit)}"
    lines.append(f"{bold('Commits:')} {commits}")
    if pr.closed_by:
        lines.append(f"{bold('Closed by:')} {pr.closed_by}")
    if details.reason:
        lines.append(f"{bold('Reason:')} {details.reason}")
    counts = [f"{pr.comment_count} {plural(pr.comment_count, 'comment')}"
              if pr.comment_count is not None else "",
              f"{pr.task_count} open {plural(pr.task_count, 'task')}"
              if pr.task_count is not None else ""]
    if any(counts):
        lines.append(f"{bold('Activity:')} " + ", ".join(c for c in counts if c))
    lines += ["", _description(pr.description, width), "", dim(f"View it: {pr.url}")]
    return "\n".join(lines) + "\n"


S = TypeVar("S", bound=msgspec.Struct)


def shown(struct: S) -> S:
    """A copy whose every text (nested records and lists of them included) is harmless on a
    terminal: one line each, but the description, whose lines are kept."""
    changes: dict[str, object] = {}
    for name in struct.__struct_fields__:
        value = getattr(struct, name)
        if isinstance(value, str):
            changes[name] = lines(value) if name == "description" else one_line(value)
        elif isinstance(value, msgspec.Struct):
            changes[name] = shown(value)
        elif isinstance(value, tuple):
            changes[name] = tuple(shown(item) if isinstance(item, msgspec.Struct) else
                                  one_line(item) if isinstance(item, str) else item
                                  for item in value)
    return msgspec.structs.replace(struct, **changes)


def _description(text: str | None, width: int) -> str:
    if not text or not text.strip():
        return "No description."
    paragraphs = text.strip().splitlines()
    return "\n".join(textwrap.fill(line, width=width) if line.strip() else ""
                     for line in paragraphs)


def _who(name: str | None, login: str | None) -> str:
    if name and login and login != name:
        return f"{name} ({login})"
    return name or login or "unknown"


def _said(participant: Participant) -> str:
    who = _who(participant.name, participant.login)
    verdict = _VERDICTS.get(_verdict(participant) or "")
    return f"{who} ({verdict})" if verdict else who


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "?"


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "?"
