"""`bbpr emulator`: serve the built-in Bitbucket emulator until interrupted."""

from __future__ import annotations

import errno
from datetime import UTC, datetime
from typing import Any

import click

from ..errors import InputError
from .common import global_options

_RATE = click.FloatRange(0, 1)
# The emulator's own names (`emulator.settings`), spelt out here because importing the
# emulator would slow every bbpr command's start; `Settings.check` still validates them.
STATE_WITH_Q = ("dropped", "applied")
ID_FILTERS = ("honoured", "400", "500", "ignored")
CHANGES = ("create", "merge", "update", "delete")
DRAFTS_HIDDEN = ("no", "unless-q-names-draft", "always")
MERGE_QUEUE = ("off", "state", "flag")
MIXED_FIELDS = ("kept", "plus-dropped")


def _window(text: str) -> tuple[int, float]:
    """`100/10s`, `1000/1h`, `100/3600` (seconds): requests and the window in seconds."""
    count, _, window = text.partition("/")
    units = {"s": 1.0, "min": 60.0, "h": 3600.0}
    unit = next((name for name in ("min", "s", "h") if window.endswith(name)), "")
    try:
        requests, seconds = int(count), float(window.removesuffix(unit) or "nan") * units.get(
            unit, 1.0)
    except ValueError:
        requests, seconds = 0, 0.0
    if requests < 1 or not seconds > 0:
        raise click.BadParameter(f"{text!r} is not N/WINDOW, such as 100/10s or 1000/1h.")
    return requests, seconds


@click.command(short_help="A local Bitbucket (Cloud and Data Center).")
@click.option("--port", type=click.IntRange(0, 65535), default=7990, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--prs", type=click.IntRange(min=0), default=120, show_default=True,
              help="Pull requests in the demo repositories acme/widgets and ACME/widgets.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated data.")
@click.option("--now", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), metavar="DATE",
              help="Where the generated data ends (UTC; default: the start of today), for data "
                   "that does not move with the calendar.")
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0, show_default=True,
              help="Delay added to every response, in milliseconds.")
@click.option("--jitter-ms", type=click.FloatRange(min=0), default=0,
              help="A random extra delay of up to this many milliseconds.")
@click.option("--rate-limit-every", type=click.IntRange(min=1), metavar="N",
              help="Answer every Nth API request with 429.")
@click.option("--rate-limit-rate", "rate_limit_probability", type=_RATE, default=0,
              help="Answer API requests with 429 with this probability.")
@click.option("--retry-after", type=click.FloatRange(min=0), metavar="SECONDS",
              help="Send Retry-After with each 429 (default: none, as Cloud often does).")
@click.option("--rate-limit-window", metavar="N/WINDOW", callback=lambda ctx, param, value:
              None if value is None else _window(value),
              help="A rolling window per credential, as Cloud counts: at most N requests per "
                   "WINDOW (100/10s, 1000/1h); beyond it 429, plain text, no Retry-After.")
@click.option("--error-every", "server_error_every", type=click.IntRange(min=1), metavar="N",
              help="Start a burst of 5xx errors every Nth API request.")
@click.option("--error-rate", "server_error_probability", type=_RATE, default=0,
              help="Start a burst of 5xx errors with this probability.")
@click.option("--error-burst", "server_error_burst", type=click.IntRange(min=1), default=1,
              help="Consecutive 5xx answers in a burst.")
@click.option("--html-error-rate", "html_error_probability", type=_RATE, default=0,
              help="Answer with a proxy's HTML 502 page with this probability.")
@click.option("--drop-rate", "drop_connection_probability", type=_RATE, default=0,
              help="Close the connection without answering with this probability.")
@click.option("--truncate-rate", "truncate_probability", type=_RATE, default=0,
              help="Cut response bodies short with this probability.")
@click.option("--state-with-q", type=click.Choice(STATE_WITH_Q), default="dropped",
              show_default=True,
              help="What Cloud does with state parameters beside q (live: dropped).")
@click.option("--id-filters", type=click.Choice(ID_FILTERS), default="honoured",
              show_default=True, help="Cloud's answer to BBQL comparisons on id.")
@click.option("--sort-ignored", is_flag=True,
              help="Cloud ignores sort= and lists the most recently updated first.")
@click.option("--no-size", "omit_size", is_flag=True,
              help="Cloud leaves size out of pull request pages.")
@click.option("--drafts-hidden", type=click.Choice(DRAFTS_HIDDEN), default="no",
              show_default=True,
              help="Cloud leaves drafts out of lists: unless q names draft (BCLOUD-23659), "
                   "or always.")
@click.option("--merge-queue", type=click.Choice(MERGE_QUEUE), default="off",
              show_default=True,
              help="Some open pull requests are merge-queued: shown as state QUEUED, or as "
                   "OPEN with queued: true.")
@click.option("--mixed-fields", type=click.Choice(MIXED_FIELDS), default="kept",
              show_default=True,
              help="What a plain fields= list does with + entries beside it.")
@click.option("--changes-every", type=click.IntRange(min=1), metavar="N",
              help="Change the listed repository before every Nth pull request list request.")
@click.option("--changes", type=str, default=",".join(CHANGES), show_default=True,
              help="Which changes --changes-every makes (delete: Data Center only).")
@click.option("--hostile", is_flag=True,
              help="Put control sequences, C1 and bidi characters in every title, "
                   "description, branch, name and error message, as anyone may.")
@click.option("--missing-ids", metavar="LIST",
              help="Cloud pull request IDs that do not exist, e.g. 3,7,100-120 (a repository "
                   "whose numbers have gaps).")
@click.option("--size-off-by", type=int, default=0,
              help="Cloud pages give a size this far off the truth (negative: too low).")
@global_options
def emulator(port: int, prs: int, seed: int, now: datetime | None, latency_ms: float,
             state_with_q: str, id_filters: str, sort_ignored: bool, omit_size: bool,
             drafts_hidden: str, merge_queue: str, mixed_fields: str,
             changes_every: int | None, changes: str, hostile: bool, missing_ids: str | None,
             size_off_by: int, **faults: Any) -> int:
    """Run a local Bitbucket emulator: Cloud under /2.0, Data Center under /rest.

    It prints its URLs and working demo credentials, then serves on 127.0.0.1 until
    interrupted. Point bbpr, curl or any Bitbucket client at it. The fault options make it
    misbehave the way real servers and networks do, reproducibly for a given --seed; the
    quirk options make it deviate the way the real Bitbucket was seen to.
    """
    from ..emulator import Settings, serve
    from ..emulator.console import parse_id_list
    from ..emulator.hostile import SAMPLE

    chosen = {name: value for name, value in faults.items() if value not in (None, 0)}
    if chosen.get("server_error_burst") == 1:
        del chosen["server_error_burst"]
    if "server_error_burst" in chosen and not ({"server_error_every", "server_error_probability"}
                                               & set(chosen)):
        raise click.UsageError("--error-burst needs --error-every or --error-rate.")
    quirks: dict[str, Any] = {"state_with_q": state_with_q, "id_filters": id_filters,
              "sort_ignored": sort_ignored, "omit_size": omit_size,
              "drafts_hidden": drafts_hidden, "merge_queue": merge_queue,
              "mixed_fields": mixed_fields, "changes_every": changes_every,
              "changes": frozenset(word.strip() for word in changes.split(",") if word.strip()),
              "hostile_text": SAMPLE if hostile else None, "size_off_by": size_off_by}
    try:
        quirks["missing_ids"] = parse_id_list(missing_ids or "")
        Settings(**quirks)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    try:
        serve(port=port, prs=prs, seed=seed, latency_ms=latency_ms,
              now=now.replace(tzinfo=UTC) if now else None, **chosen, **quirks)
    except OSError as error:  # binding the port: in use, or reserved for root
        reason = ("is already in use" if error.errno == errno.EADDRINUSE
                  else f"cannot be used ({error.strerror or error})")
        raise InputError(f"Port {port} on 127.0.0.1 {reason}; pick another with --port, or "
                         "--port 0 for any free one.") from None
    return 0
