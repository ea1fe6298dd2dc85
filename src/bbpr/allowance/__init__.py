"""The hourly allowance: its door (`decision`, given a `choice`), `plan`, `costs`, `figure`.
May import the primitives, `asked`, `cloud`, `connect`, `copy`, `credentials`, `http`, `listing`."""
