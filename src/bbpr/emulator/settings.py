"""Knobs that tests flip while the emulator is serving.

Every field is read on each request (never cached), so a test can change a setting between
two requests without restarting anything. Plain attribute reads and writes are atomic in
CPython, so no lock is needed here. The quirks a user may choose are command-line switches
too, declared on their fields (`switch`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .faults import Faults
from .hostile import DATE_EDGES, SAMPLE, SLUG_SAMPLE
from .switch import integer, parse_id_list, switch, words

STATE_WITH_Q = ("dropped", "applied")
ID_FILTERS = ("honoured", "400", "500", "ignored")
CHANGES = ("create", "merge", "update", "delete")
DRAFTS_HIDDEN = ("no", "unless-q-names-draft", "always")
MERGE_QUEUE = ("off", "state", "flag")
MIXED_FIELDS = ("kept", "plus-dropped")
DC_ORDER_BY = ("updated", "id")
READY_IN_ACTIVITY = ("shown", "hidden")


def activity_word(text: str) -> str:
    """A kind of activity entry no client knows: lower-case letters and underscores."""
    if not re.fullmatch(r"[a-z][a-z_]{0,39}", text):
        raise ValueError(f"{text!r} is not a word of lower-case letters and underscores, "
                         "such as task_created.")
    return text


@dataclass
class Settings:
    """Options the handlers consult per request.

    - `latency_ms`: sleep this long in the handler thread before answering, so that
      concurrent requests overlap as they would against a distant server. An alias of
      `faults.latency_ms`, kept for compatibility: latency lives with the other faults.
    - `max_pagelen`: the pull request list rejects a larger `pagelen` with 400
      "Invalid pagelen" (50 on the live service, though the docs say 100).
    - `max_repository_pagelen`: the same limit for the other collections (100 live).
    - `state_with_q`: "dropped" (the default, as live tests saw Cloud do: when `q` is
      present the `state` parameters are not applied, as if absent, and `q` alone filters,
      OPEN only unless it compares `state`) or "applied" (both filter).
    - `id_filters`: what BBQL comparisons on `id` do, undocumented live: "honoured" (the
      default), "400" (refused: 'Field "id" does not support filtering'), "500" (refused
      as BCLOUD-22709 saw for fields that cannot be filtered: "Something went wrong"), or
      "ignored" (silently true for every pull request).
    - `sort_ignored`: the pull request list ignores `sort` and always answers in its own
      order, the most recently updated first.
    - `omit_size`: leave `size` out of pull request list envelopes; the field is optional
      in Bitbucket's contract and a client must not depend on it.
    - `drafts_hidden`: Cloud's list leaves drafts (OPEN with `draft: true`, about one open
      pull request in seven) out: "no" (the default), "unless-q-names-draft" (Atlassian's
      bug BCLOUD-23659, with its workaround `q=... (draft=true OR draft=false)` working) or
      "always" (only the pull request's own URL shows them). Hidden from `size` too.
    - `merge_queue`: some open pull requests (not drafts, every fourth ID) are in a merge
      queue: "off" (the default), "state" (`state: QUEUED`, `queued: true`, as the schema
      allows) or "flag" (`state: OPEN`, `queued: true`). Filters take them as OPEN either
      way; the `state` parameter still takes only the four classic values.
    - `mixed_fields`: what a plain `fields=` list does with `+` entries beside it (no
      documented answer): "kept" (the default: both apply) or "plus-dropped" (the plain
      list alone applies).
    - `changes_every`: every Nth pull request list request (Cloud or Data Center, counted
      together from when it is set) changes the repository it lists just before it is
      answered, as busy teams do mid-listing; `changes` says how (see `live.Churn`):
      "create" a pull request, "merge" the newest open one, "update" the least recently
      updated one (it jumps to the front of update-ordered lists), and on Data Center
      "delete" the most recently updated one (every later one shifts up a place).
    - `oauth_token_lifetime`: seconds an OAuth access token stays valid (one hour live);
      tests set it short to exercise expiry.
    - `dc_max_limit`: Data Center's cap on `limit` (`page.max.page.size`, 1000 by default);
      a larger `limit` is silently lowered and the envelope's `limit` says so.
    - `dc_unlicensed`: every authenticated Data Center request (but
      `application-properties`) answers 401 NoAccessAuthenticationException, as for a
      user without a licence seat; see `datacenter.auth` for why not a LicenseException.
    - `dc_order_by`: what Data Center's `order=NEWEST|OLDEST` sorts by: "updated" (the
      default, see `datacenter.pulls` for the evidence) or "id" (creation order).
    - `activity_oldest_first`: the Cloud activity feeds list the oldest entry first;
      their order is undocumented, and a client must check the order it relies on.
    - `ready_in_activity`: whether a draft made ready shows in the activity: "shown" (the
      default: Cloud's feed has an `update` whose `changes.draft` goes from true to false,
      as seen live; Data Center's an UPDATED activity with `draft: false`, the emulator's
      guess at how its REST API renders `PullRequestDraftStatusUpdatedActivity`, which no
      public document shows) or "hidden" (neither says: the moment is unknown).
    - `unknown_activity`: a word; every third pull request's activity then holds an entry
      of that kind, which no client knows (Cloud: a `WORD` key beside `pull_request`, with
      `date` and `user`; Data Center: `action: WORD` upper-cased), as Atlassian's spec
      warns may appear. `unknown_activity_undated`: those entries carry no date.
    - `hostile_text`: put this text at the end of every title, description, branch name,
      display name, nickname (user name) and error message served (see `hostile`; its
      `SAMPLE` holds every trick); None, the default, serves the data as generated.
    - `hostile_slug`: put this text at the end of every repository slug of every workspace's
      and project's repository list but the demo repository's (`widgets`): names that lead
      nowhere and that no URL holds as they are (see `hostile.rename_slugs`).
    - `lone_surrogates`: every pull request title holds an unpaired UTF-16 surrogate, as the
      JSON escape `\\ud800`: valid JSON syntax, but no text.
    - `hostile_dates`: every time in the answers, and the `Date` header, at an edge:
      "future" (year 9999), "past" (year 1), "naive" (no time zone; a `Date` that is no
      date) or "beyond" (past year 9999); see `hostile.at_the_edge_of_time`.
    - `missing_ids`: pull request IDs that do not exist in any Cloud repository, as in a
      repository whose numbers have gaps (imported, or numbers skipped): left out of every
      listing and its `size`, and 404 by ID. Cloud numbers 1, 2, 3... and cannot delete,
      but no document promises there are no gaps.
    - `size_off_by`: Cloud's pull request pages give a `size` this much off the truth
      (positive: too high, negative: too low; never below 0), as a server whose count
      lies; `next` links still follow the true list.
    - `faults`: what to inject (`Emulator.faults` is the same object); see `faults`.
    """

    max_pagelen: int = 50
    max_repository_pagelen: int = 100
    state_with_q: str = switch(
        "dropped", "--state-with-q", "What Cloud does with state parameters beside q (live: "
        "dropped).", parse=str, choices=STATE_WITH_Q)
    id_filters: str = switch("honoured", "--id-filters", "Cloud's answer to BBQL comparisons "
                             "on id.", parse=str, choices=ID_FILTERS)
    sort_ignored: bool = switch(False, "--sort-ignored", "Cloud ignores sort= and lists the "
                                "most recently updated first.")
    omit_size: bool = switch(False, "--no-size", "Cloud leaves size out of pull request "
                             "pages.", aliases=("--omit-size",))
    drafts_hidden: str = switch(
        "no", "--drafts-hidden", "Cloud leaves drafts out of lists: unless q names draft "
        "(BCLOUD-23659), or always.", parse=str, choices=DRAFTS_HIDDEN)
    merge_queue: str = switch(
        "off", "--merge-queue", "Some open pull requests are merge-queued: shown as state "
        "QUEUED, or as OPEN with queued: true.", parse=str, choices=MERGE_QUEUE)
    mixed_fields: str = switch("kept", "--mixed-fields", "What a plain fields= list does with "
                               "+ entries beside it.", parse=str, choices=MIXED_FIELDS)
    changes_every: int | None = switch(
        None, "--changes-every", "Change the listed repository before every Nth pull request "
        "list request.", parse=integer(1), metavar="N")
    changes: frozenset[str] = switch(
        frozenset(CHANGES), "--changes", "Which changes --changes-every makes (delete: Data "
        "Center only).", parse=words(CHANGES), metavar="LIST")
    oauth_token_lifetime: float = 3600.0
    dc_max_limit: int = 1000
    dc_unlicensed: bool = False
    dc_order_by: str = switch("updated", "--dc-order-by", "What Data Center's order=NEWEST "
                              "sorts by: the update time (as live) or the ID.", parse=str,
                              choices=DC_ORDER_BY)
    activity_oldest_first: bool = False
    ready_in_activity: str = switch(
        "shown", "--ready-in-activity", "Whether a draft made ready shows in the activity "
        "(Cloud's update with changes.draft; Data Center's UPDATED with draft: false).",
        parse=str, choices=READY_IN_ACTIVITY)
    unknown_activity: str | None = switch(
        None, "--unknown-activity", "Every third pull request's activity holds an entry of "
        "this kind, which no client knows.", parse=activity_word, metavar="WORD")
    unknown_activity_undated: bool = switch(
        False, "--undated-unknown-activity", "The --unknown-activity entries carry no date.")
    hostile_text: str | None = switch(
        None, "--hostile", "Put control sequences, C1 and bidi characters in every title, "
        "description, branch, name and error message, as anyone may.", value=SAMPLE)
    hostile_slug: str | None = switch(
        None, "--hostile-slug", "Put a tab, a slash, an escape sequence and DEL in the slug of "
        "every listed repository but the demo's.", value=SLUG_SAMPLE)
    lone_surrogates: bool = switch(False, "--lone-surrogates", "Put an unpaired surrogate "
                                   "(\\ud800, valid JSON, no text) in every title.")
    hostile_dates: str | None = switch(
        None, "--hostile-dates", "Every time and the Date header at an edge: future (year "
        "9999), past (year 1), naive (no time zone) or beyond (year 10000).", parse=str,
        choices=DATE_EDGES)
    missing_ids: frozenset[int] = switch(
        frozenset(), "--missing-ids", "Cloud pull request IDs that do not exist, e.g. "
        "3,7,100-120 (a repository whose numbers have gaps).", parse=parse_id_list,
        metavar="LIST")
    size_off_by: int = switch(0, "--size-off-by", "Cloud pages give a size this far off the "
                              "truth (negative: too low).", parse=integer(), metavar="N")
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise ValueError for quirk settings that cannot mean anything."""
        if self.state_with_q not in STATE_WITH_Q:
            raise ValueError(f"state_with_q must be one of {', '.join(STATE_WITH_Q)}")
        if self.id_filters not in ID_FILTERS:
            raise ValueError(f"id_filters must be one of {', '.join(ID_FILTERS)}")
        if self.hostile_dates is not None and self.hostile_dates not in DATE_EDGES:
            raise ValueError(f"hostile_dates must be one of {', '.join(DATE_EDGES)}")
        for name, allowed in (("drafts_hidden", DRAFTS_HIDDEN), ("merge_queue", MERGE_QUEUE),
                              ("mixed_fields", MIXED_FIELDS),
                              ("ready_in_activity", READY_IN_ACTIVITY)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}")
        if self.changes_every is not None and self.changes_every < 1:
            raise ValueError("changes_every must be 1 or more (or None)")
        unknown = set(self.changes) - set(CHANGES)
        if unknown:
            raise ValueError(f"changes are some of {', '.join(CHANGES)}, not {sorted(unknown)}")

    @property
    def latency_ms(self) -> float:
        return self.faults.latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        self.faults.latency_ms = float(value)
