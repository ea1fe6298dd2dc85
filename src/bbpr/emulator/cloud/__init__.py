"""The emulated Bitbucket Cloud REST API 2.0.

`api` holds the routes; `pulls` the pull request list and its quirks; `bbql` the `q=`
language; `fields` partial responses; `paging` page-numbered envelopes; `render` the JSON
objects; `auth`, `access` and `oauth` who may see what.
"""
