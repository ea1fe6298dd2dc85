"""The hourly allowance: its door (`decision`, asked with a `job`), `plan`, `costs`, `figure`.
May import the primitives, `asked`, `cloud`, `connect`, `copy`, `credentials`, `http`, `listing`."""
