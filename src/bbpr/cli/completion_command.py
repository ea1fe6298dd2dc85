"""`bbpr completion bash|zsh|fish`: the shell completion script, from click's own."""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")


@click.command("completion", short_help="A shell completion script: bash, zsh or fish.")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL. It completes commands, options, states,
    formats and fields. To install it:

    \b
    bash:  echo 'eval "$(bbpr completion bash)"' >> ~/.bashrc
    zsh:   echo 'eval "$(bbpr completion zsh)"' >> ~/.zshrc
    fish:  bbpr completion fish > ~/.config/fish/completions/bbpr.fish
    """
    from click.shell_completion import get_completion_class

    from . import COMPLETE_VARIABLE, cli

    completer = get_completion_class(shell)
    assert completer is not None  # every shell in SHELLS is one click knows
    click.echo(completer(cli, {}, "bbpr", COMPLETE_VARIABLE).source())
