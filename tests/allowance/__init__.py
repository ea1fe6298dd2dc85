"""The hourly allowance (`bbpr.allowance`): its figure and ledger key, pacing, `--plan`,
`--wait`, the question before a run, and what the plan says against what a run spends."""
