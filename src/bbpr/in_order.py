"""Running page requests side by side while handing out their results in order.

Output streams as pages arrive, yet must not depend on which request happened to finish
first: users diff these lists and feed them to scripts. `ordered` runs jobs concurrently and
yields their results in the order the jobs were created, holding back at most `window` of them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


async def ordered(
    jobs: Iterator[Callable[[], Awaitable[T]]], window: Callable[[], int]
) -> AsyncIterator[T]:
    """Yield each job's result in job order, running up to `window()` jobs at once.

    `window` is asked again before each refill, so a caller can shrink it when fewer results
    are needed (a `--limit` nearly reached) and no request is spent on results nobody reads.
    Closing the iterator early cancels the jobs still running.
    """
    pending: deque[asyncio.Task[T]] = deque()
    try:
        while True:
            while len(pending) < max(1, window()):
                job = next(jobs, None)
                if job is None:
                    break
                pending.append(asyncio.ensure_future(job()))
            if not pending:
                return
            yield await pending.popleft()
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
