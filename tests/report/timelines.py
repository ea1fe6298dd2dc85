"""Hand-made review timelines, written into a real copy file (through the writer and the
migration, as a sync writes it), for the metric and report tests.

A timeline is a pull request and its events in hours after `MONDAY` (09:00 UTC, Monday 2
March 2026), by people named in `PEOPLE`: readable as a story, exact to the second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bbpr.copy import schema
from bbpr.copy.file import connect, transaction
from bbpr.copy.writer import Writer
from bbpr.models import Participant, PullRequest, Repository, ReviewEvent, review_fields

HOST = "https://api.bitbucket.org/2.0"
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

PEOPLE: dict[str, tuple[str, str]] = {
    # login: (user ID, display name)
    "dana": ("{d0000000-0000-0000-0000-00000000000d}", "Dana Demo"),
    "alex": ("{a0000000-0000-0000-0000-00000000000a}", "Alex Moreau"),
    "jo": ("{10000000-0000-0000-0000-000000000010}", "Jo Smith"),
    "priya": ("{50000000-0000-0000-0000-000000000050}", "Priya Raman"),
    "ci-bot": ("{b0000000-0000-0000-0000-00000000000b}", "Build Bot"),
}


def at(hours: float) -> datetime:
    return MONDAY + timedelta(hours=hours)


@dataclass
class Timeline:
    """One pull request's story: who opened it, when, what happened, how it ended."""

    id: int
    author: str = "dana"
    created: float = 0
    events: list[tuple[str, str, float]] = field(default_factory=list)
    """(login, kind, hours): `("alex", "approval", 3)`."""
    merged: float | None = None
    declined: float | None = None
    draft: bool = False
    title: str = "Fix the widget"
    reviewers: tuple[str, ...] = ()
    """Requested reviewers (logins) who have given no verdict."""
    repository: str = "acme/widgets"

    def pull_request(self) -> PullRequest:
        user_id, name = PEOPLE[self.author]
        closed = self.merged if self.merged is not None else self.declined
        state = "MERGED" if self.merged is not None else (
            "DECLINED" if self.declined is not None else "OPEN")
        last = max([self.created, *(hours for _, _, hours in self.events),
                    *([closed] if closed is not None else [])])
        people = tuple(Participant(name=PEOPLE[login][1], login=login, id=PEOPLE[login][0],
                                   role="REVIEWER") for login in self.reviewers)
        return PullRequest(
            id=self.id, repository=self.repository, title=self.title, state=state,
            author=name, author_login=self.author, author_id=user_id,
            source_branch=f"feature/{self.id}", destination_branch="main",
            created_on=at(self.created), updated_on=at(last), draft=self.draft,
            url=f"https://bitbucket.org/{self.repository}/pull-requests/{self.id}",
            closed_on=None if closed is None else at(closed), **review_fields(people))

    def review_events(self) -> list[ReviewEvent]:
        found = []
        for number, (login, kind, hours) in enumerate(self.events):
            user_id, name = PEOPLE.get(login, (None, None))
            found.append(ReviewEvent(
                pull_request=self.id, kind=kind, on=at(hours), key=f"{kind}-{number}",
                user_id=user_id, login=login if login in PEOPLE else None, name=name,
                inline=False if kind == "comment" else None))
        return found


def write_copy(path: Path, timelines: Sequence[Timeline], *, synced: float = 24 * 28,
               review_events: bool = True, host: str = HOST) -> Path:
    """A copy at `path` holding `timelines` (their repositories synced whole at `synced`
    hours, with close times, and with review events unless `review_events` is False)."""
    repositories = sorted({timeline.repository for timeline in timelines})
    owner = repositories[0].partition("/")[0] if repositories else "acme"
    with Writer(path, host, "cloud", owner) as writer:
        run = writer.start_run(full=True)
        for full_name in repositories:
            name_owner, _, slug = full_name.partition("/")
            stored = writer.start_pass(Repository(owner=name_owner, slug=slug), run)
            page = [timeline.pull_request() for timeline in timelines
                    if timeline.repository == full_name]
            writer.save_page(stored, run, page, requests=1)
            writer.finish_pass(stored, run, watermark=at(synced), remove_unseen=False,
                               close_times=True)
        writer.finish_run(run, 1, completed=True)
    connection = connect(path)
    try:
        with transaction(connection) as db:
            numbers = dict(db.execute(
                "SELECT owner || '/' || slug, id FROM repositories WHERE host = ?", (host,)))
            for timeline in timelines:
                db.executemany(
                    "INSERT INTO review_events (repository_id, pull_request_id, event_key, "
                    "kind, happened_on, user_id, login, name, inline) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(numbers[timeline.repository], event.pull_request, event.key, event.kind,
                      schema.to_text(event.on), event.user_id, event.login, event.name,
                      None if event.inline is None else int(event.inline))
                     for event in timeline.review_events()])
            db.execute("UPDATE repositories SET review_events = ?, completed_at = ? "
                       "WHERE host = ?",
                       (int(review_events), schema.to_text(at(synced)), host))
    finally:
        connection.close()
    return path
