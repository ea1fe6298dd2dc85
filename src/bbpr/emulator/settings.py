"""Knobs that tests flip while the emulator is serving.

Every field is read on each request (never cached), so a test can change a setting between
two requests without restarting anything. Plain attribute reads and writes are atomic in
CPython, so no lock is needed here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Settings:
    """Options the handlers consult per request.

    - `latency_ms`: sleep this long in the handler thread before answering, so that
      concurrent requests overlap as they would against a distant server.
    - `max_pagelen`: the pull request list rejects a larger `pagelen` with 400
      "Invalid pagelen" (50 on the live service, though the docs say 100).
    - `max_repository_pagelen`: the same limit for the other collections (100 live).
    - `omit_size`: leave `size` out of pull request list envelopes; the field is optional
      in Bitbucket's contract and a client must not depend on it.
    - `reject_id_queries`: answer 400 to any BBQL comparison on `id`, because whether the
      live service accepts `id > 100` is undocumented and a client needs a fallback.
    - `oauth_token_lifetime`: seconds an OAuth access token stays valid (one hour live);
      tests set it short to exercise expiry.
    """

    latency_ms: float = 0.0
    max_pagelen: int = 50
    max_repository_pagelen: int = 100
    omit_size: bool = False
    reject_id_queries: bool = False
    oauth_token_lifetime: float = 3600.0
