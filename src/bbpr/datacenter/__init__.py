"""Bitbucket Data Center (and Server): the only package that knows its API.

`api` holds the endpoints, paging and filters, `wire` the JSON and its translation, `errors`
what failures mean.
"""

from .api import DataCenterAPI

__all__ = ["DataCenterAPI"]
