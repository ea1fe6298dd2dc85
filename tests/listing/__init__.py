"""The flavour-neutral use cases: the library, filters, matching, people, targets,
workspaces and projects."""
