"""A local Bitbucket Cloud and Data Center for tests, demos and benchmarks.

It shares no code with the rest of bbpr, on purpose: a misunderstanding of the API must not
hide in both the client and the emulator at once. Standard library only.

    from bbpr.emulator import Emulator
    with Emulator(prs=120, seed=1) as emu:
        ...  # point a client at emu.cloud_api_url with emu.demo.email / emu.demo.api_token,
        ...  # or at emu.datacenter_url (Data Center) with emu.dc_demo.token
"""

from .app import Emulator
from .console import serve
from .demo import DcDemo, Demo
from .faults import Faults
from .live import ManualClock
from .server import RecordedRequest
from .settings import Settings

__all__ = [
    "DcDemo", "Demo", "Emulator", "Faults", "ManualClock", "RecordedRequest", "Settings", "serve",
]  # fmt: skip
