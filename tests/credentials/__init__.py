"""Credentials: their kinds, `bbpr auth`, `bbpr doctor`, the stored secrets and redaction."""
