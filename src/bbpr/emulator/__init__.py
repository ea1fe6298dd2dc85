"""A local Bitbucket Cloud for tests, demos and benchmarks.

It shares no code with the rest of bbpr, on purpose: a misunderstanding of the API must not
hide in both the client and the emulator at once. Standard library only.

    from bbpr.emulator import Emulator
    with Emulator(prs=120, seed=1) as emu:
        ...  # point a client at emu.cloud_api_url with emu.demo.email / emu.demo.api_token
"""

from .app import Demo, Emulator, serve
from .server import RecordedRequest
from .settings import Settings

__all__ = ["Demo", "Emulator", "RecordedRequest", "Settings", "serve"]
