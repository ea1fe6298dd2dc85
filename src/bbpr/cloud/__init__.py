"""Bitbucket Cloud: the only package that knows Cloud's API.

`api` holds the endpoints, `scan` the listing strategy, `query` the parameters and BBQL,
`wire` the JSON and its translation, `errors` what failures mean, `auth` how credentials
are sent.
"""

from .api import API_URL, CloudAPI

__all__ = ["API_URL", "CloudAPI"]
