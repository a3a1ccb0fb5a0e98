"""What every command shares: the consoles, exit code 2 for a user's mistake, and option helpers."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from trainlab.errors import TrainlabError

console = Console()
error_console = Console(stderr=True)

USER_ERROR = 2
# Set for the processes of a data-parallel run (trainlab.train.launch); read here without importing torch.
ERRORS_DIR_ENV = "TRAINLAB_ERRORS_DIR"


def reports_user_errors(command: Callable[..., None]) -> Callable[..., None]:
    """Print a TrainlabError as one message and exit with code 2; other errors are bugs and keep their traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except TrainlabError as exc:
            # A run stopped by SIGTERM/SIGINT after checkpointing carries the signal's exit code.
            code = getattr(exc, "exit_code", USER_ERROR)
            if os.environ.get(ERRORS_DIR_ENV):  # a process of a data-parallel run: its launcher says it, once
                from trainlab.train.launch import report_from_process

                if report_from_process(str(exc), code):
                    raise typer.Exit(code) from None
            label = "[bold red]error:[/]" if code == USER_ERROR else "[bold yellow]stopped:[/]"
            error_console.print(f"{label} {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(code) from None

    return wrapper


def option(help_text: str, *names: str) -> Any:
    """A typer option whose default is not shown (the help text says what the default means)."""
    return typer.Option(*names, help=help_text, show_default=False)


def trust_code_option() -> Any:
    return typer.Option(
        "--trust-code", help="Allow module:factory references in the recipe to import and run that code."
    )
