"""The emulated Bitbucket Data Center REST API (`/rest/api/latest`).

`api` holds the routes; `pulls` the pull request list, its filters and order; `paging` the
offset envelopes; `render` the JSON objects; `data` Data Center's world; `auth` and `errors`
how it refuses.
"""
