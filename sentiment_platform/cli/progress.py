"""What the demo and the backfill show while they run: a progress bar instead of Dagster's step log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

#: Run config that keeps Dagster's per-step debug log off the console; runs keep their logs.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

console = Console()


@contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar on the console while the block runs; yields ``update(done, total, description)``.
    Off a terminal (output to a file or a pipe) each new description is printed as a line instead,
    so a log shows the run's progress as it goes."""
    if not console.is_terminal:
        last: list[str] = []

        def print_line(done: int, total: int | None, text: str) -> None:
            if not last or text != last[0]:
                print(f"{text} ({done}/{total})" if total else text, flush=True)
                last[:] = [text]

        yield print_line
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(description, total=total)

        def update(done: int, total: int, text: str) -> None:
            progress.update(task, completed=done, total=total, description=text)

        yield update
