"""The command line (`bbpr.cli`): each command, errors and exit codes, output formats,
the terminal, the output boundary."""
