"""The local copy of pull requests: one SQLite file that `bbpr sync` writes and
`bbpr list --cached` reads.

`file` opens the file (and says in a sentence what is wrong with it) and holds the one
writer's lock; `schema` is its format and migrations; `writer` is what a sync writes with,
`review` the reviewers and participants it keeps; `reader` answers `list --cached`, `status`
answers `sync --status`; `sync` brings the copy up to date from a backend.
"""
