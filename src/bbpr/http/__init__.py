"""The one door to the network.

Everything that must hold for every request lives in this package, so no caller can forget it:
- origin pinning: requests go only to the API's own origin (plus an explicit allow-list, such
  as the OAuth token endpoint), redirects are never followed, and credentials are attached
  only to the API origin. A `next` link to another host is refused before anything is sent.
- one limiter for the whole run: at most `concurrency` requests in flight, and a 429 pauses
  every worker, not just the one that hit it.
- retries for what retrying can fix (429, 5xx, dropped connections, bodies cut short), with
  exponential back-off and jitter, capped per request and in total time.
- `--debug` traces in the style of `curl -v`, passed through the redactor.

Each concern has its own small module; only `transport` imports httpx, the rest is plain
Python. This file names what the rest of bbpr uses, so callers need not know the layout.
"""

from __future__ import annotations

from .authorizers import Authorizer, StaticAuthorizer
from .ledger import Ledger
from .options import HttpOptions, Stats
from .pacing import Pacing
from .paths import api_path
from .response import Reply, Response
from .transport import Http

__all__ = ["Authorizer", "Http", "HttpOptions", "Ledger", "Pacing", "Reply", "Response",
           "StaticAuthorizer", "Stats", "api_path"]
