"""The hourly allowance: its figure and ledger key (`figure`), what a job costs (`costs`, `plan`).
May import the primitives, `asked`, `cloud`, `connect`, `copy`, `credentials`, `http`, `listing`."""
