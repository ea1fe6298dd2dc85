"""A local Bitbucket Cloud and Data Center for tests, demos and benchmarks.

It shares no code with the rest of bbpr, on purpose: a misunderstanding of the API must not
hide in both the client and the emulator at once. Standard library only.

    from bbpr.emulator import Emulator
    with Emulator(prs=120, seed=1) as emu:
        ...  # point a client at emu.cloud_api_url with emu.demo.email / emu.demo.api_token,
        ...  # or at emu.datacenter_url (Data Center) with emu.dc_demo.token

The names below are imported when first used: `bbpr` reads the emulator's switches
(`command_line`) at every start, and must not load the whole emulator to do so.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Emulator
    from .console import serve
    from .demo import DcDemo, Demo
    from .faults import Faults
    from .live import ManualClock
    from .server import RecordedRequest
    from .settings import Settings

_MODULES = {"DcDemo": "demo", "Demo": "demo", "Emulator": "app", "Faults": "faults",
            "ManualClock": "live", "RecordedRequest": "server", "Settings": "settings",
            "serve": "console"}  # fmt: skip

__all__ = [
    "DcDemo", "Demo", "Emulator", "Faults", "ManualClock", "RecordedRequest", "Settings", "serve",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_MODULES[name]}", __name__), name)
