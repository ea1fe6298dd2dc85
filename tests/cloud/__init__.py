"""Bitbucket Cloud (`bbpr.cloud`): listing, review data, the ladder and its checks, the count."""
