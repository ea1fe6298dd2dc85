"""What bbpr has learnt about one Bitbucket Cloud server, kept for the life of the client.

Cloud honours part of its API only in ways no document promises (see the facts file), so
the ladder (`ladder`) checks every page and learns as it goes which strategies hold on
this server: once `id` filters were refused, the next listing does not ask again. Each
strategy writes what it saw here, and only here, so that one place says what a server
was found to do. One `ServerTraits` per `CloudAPI` (one server, one credential).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ServerTraits:
    """What the server was seen to honour; None: not known yet."""

    id_ranges_work: bool | None = None
    """Whether BBQL `id` comparisons are accepted and applied here."""
    sort_works: bool | None = None
    """Whether `sort=-id` is applied here."""
    filters_work: bool | None = None
    """Whether bbpr's own BBQL filters (author, branches, dates) are accepted here."""
    drafts_shown: bool = False
    """Whether a listing here has returned a draft: then it does not hide them."""
    leaves_out: bool = False
    """Whether this server's lists were seen to leave out pull requests (see `hidden`)."""
    fields_form: int = 0
    """Which of `query.FIELDS_FORMS` brings every key asked for here (see `wire.withheld`)."""
    feed_trimmed: bool = True
    """Whether activity feeds trimmed with `fields=` still bring every key an event needs
    here (see `feed.withheld`); else they are asked for whole."""
