"""What bbpr assumes of the server, and how it checks (docs/server-assumptions.md): the
matrix of deviations, pages no Bitbucket should send, an open world of states and fields."""
