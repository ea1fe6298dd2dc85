"""The network (`bbpr.http`): faults, retries, pages that are not pages, TLS, and the
request ledger."""
