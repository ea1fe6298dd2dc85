"""What the user asked for (`bbpr.asked`): targets and pasted URLs, the git remote, the
filters and their declaration, people, and the check every record meets."""
