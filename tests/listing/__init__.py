"""The flavour-neutral use cases: the library, workspaces and projects, the review metric
fields, the ID set."""
