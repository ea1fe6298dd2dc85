"""Knobs that tests flip while the emulator is serving.

Every field is read on each request (never cached), so a test can change a setting between
two requests without restarting anything. Plain attribute reads and writes are atomic in
CPython, so no lock is needed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .faults import Faults


@dataclass
class Settings:
    """Options the handlers consult per request.

    - `latency_ms`: sleep this long in the handler thread before answering, so that
      concurrent requests overlap as they would against a distant server. An alias of
      `faults.latency_ms`, kept for compatibility: latency lives with the other faults.
    - `max_pagelen`: the pull request list rejects a larger `pagelen` with 400
      "Invalid pagelen" (50 on the live service, though the docs say 100).
    - `max_repository_pagelen`: the same limit for the other collections (100 live).
    - `omit_size`: leave `size` out of pull request list envelopes; the field is optional
      in Bitbucket's contract and a client must not depend on it.
    - `reject_id_queries`: answer 400 to any BBQL comparison on `id`, because whether the
      live service accepts `id > 100` is undocumented and a client needs a fallback.
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
    - `faults`: what to inject (`Emulator.faults` is the same object); see `faults`.
    """

    max_pagelen: int = 50
    max_repository_pagelen: int = 100
    omit_size: bool = False
    reject_id_queries: bool = False
    oauth_token_lifetime: float = 3600.0
    dc_max_limit: int = 1000
    dc_unlicensed: bool = False
    dc_order_by: str = "updated"
    activity_oldest_first: bool = False
    faults: Faults = field(default_factory=Faults)

    @property
    def latency_ms(self) -> float:
        return self.faults.latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        self.faults.latency_ms = float(value)
