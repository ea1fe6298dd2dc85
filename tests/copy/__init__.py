"""The local copy (`bbpr.copy`): the SQLite file, its writer and reader, `bbpr sync` and
`list --cached`."""
