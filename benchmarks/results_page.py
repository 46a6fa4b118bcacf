"""Each benchmark's own results page: what it printed, with the date, the machine and the command.

A benchmark's ``__main__`` runs inside :func:`results_page`; everything it prints still goes to the
terminal, and is also written to ``docs/benchmarks/<benchmark>.md`` when it finishes (a failed run
writes nothing, so a page always holds a whole run).
"""

from __future__ import annotations

import io
import os
import platform
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

PAGES = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"


class _Tee(io.TextIOBase):
    def __init__(self, *streams) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def machine() -> str:
    """The machine in one line: CPU model, cores, memory, OS and Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


@contextmanager
def results_page(script: str) -> Iterator[None]:
    """Tee what the benchmark ``script`` prints; write it as its results page when it succeeds."""
    name = Path(script).stem
    captured = io.StringIO()
    started = datetime.now(UTC)
    real = sys.stdout
    sys.stdout = _Tee(real, captured)
    try:
        yield
    finally:
        sys.stdout = real
    command = shlex.join(["python", f"benchmarks/{name}.py", *sys.argv[1:]])
    PAGES.mkdir(parents=True, exist_ok=True)
    (PAGES / f"{name}.md").write_text(
        f"# Benchmark: {name}\n\n[All benchmarks](../benchmarks.md)\n\n"
        f"- Run: {started:%Y-%m-%d %H:%M} UTC\n- Machine: {machine()}\n- Command: `{command}`\n\n"
        f"```\n{captured.getvalue().rstrip()}\n```\n",
        encoding="utf-8",
    )
