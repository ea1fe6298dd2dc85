"""Fake credentials shaped like real ones, for tests that need no emulator.

Never real secrets: these are made up, but have the prefixes, lengths and alphabets of
Atlassian's tokens, so that shape checks and redaction are exercised for real.
"""

API_TOKEN = "ATATT3xFfGF0" + "q" * 40 + "Zx9-_" + "T" * 130 + "=0A1B2C3D"
ACCESS_TOKEN = "ATCTT3xFfGF0" + "k" * 170 + "=4E5F6A7B"
APP_PASSWORD = "ATBB" + "Ab3" * 10 + "xy"
DATACENTER_TOKEN = "BBDC-" + "MDEyMzQ1Njc4OTAxOkJ4Y3ZibmRmZ2hqa2w="
EMAIL = "dana@example.com"
