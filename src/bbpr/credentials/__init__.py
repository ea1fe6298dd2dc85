"""Credentials: each kind (`kinds`), where one is found and kept (`store`), `bbpr auth` (`auth`).
May import the primitives; `auth`, a use case, also `connect`, `http` and `asked`."""
