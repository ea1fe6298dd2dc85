"""Bitbucket Cloud: the only package that knows Cloud's API.

`api` holds the endpoints, `ladder` the order of the listing strategies (one module each:
`id_proof` with `hole_search`, `id_ranges`, `filtered_walk`, `plain_walk`, then `hidden`),
`listing_state` what they share within one listing and `server_traits` what they learn
about the server; `query` the parameters and BBQL, `wire` the JSON and its translation,
`errors` what failures mean, `auth` how credentials are sent.
"""

from .api import CloudAPI

__all__ = ["CloudAPI"]
