"""The Spark resource: where heavy partitions and long backfills run, and the rule that picks them.

``SparkEngine`` is ``dagster-pyspark``'s ``PySparkResource`` with two changes: the session starts
on first use (a run that stays on Polars never starts a JVM), and it carries the engine choice
(``auto``/``local``/``spark`` and the row and byte thresholds), so one place decides for all the
engine-switching assets. ``spark.master`` and any Spark setting are configuration: ``local[*]``
by default, a standalone, YARN, Kubernetes or EMR master in production.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import InitResourceContext
from dagster_pyspark import PySparkResource
from dagster_pyspark.resources import spark_session_from_config
from pydantic import Field

ENGINES = ("auto", "local", "spark")

#: Settings every session gets unless configured otherwise. Timestamps are UTC everywhere in the
#: lake, so the session time zone is not left to the machine's.
DEFAULT_SPARK_CONFIG: dict[str, Any] = {
    "spark.app.name": "sentiment_platform",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.python.worker.reuse": "true",
    "spark.ui.showConsoleProgress": "false",
    # Each run's output comes back to the driver to be written hour by hour: a clear error if a
    # run's output outgrows this, rather than a driver out of memory (raise both together).
    "spark.driver.maxResultSize": "2g",
}


@contextmanager
def _process_output_to(path: Path) -> Iterator[None]:
    """Point this process's stdout and stderr at ``path`` while the block runs: the JVM that
    PySpark starts inherits them, so its console output (and its Python workers') goes to the file
    for good, while this process gets its terminal back afterwards."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        with path.open("ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, original in zip((1, 2), saved, strict=True):
            os.dup2(original, fd)
            os.close(original)


@dataclass(frozen=True)
class EngineChoice:
    """Which engine a run uses and why (recorded in the run's metadata)."""

    engine: str  # "local" (Polars/DuckDB) or "spark"
    reason: str


def choose_engine(
    setting: str, rows: int | None, size_bytes: int | None, row_threshold: int, byte_threshold: int
) -> EngineChoice:
    """``spark`` when forced, or in ``auto`` when the input exceeds either threshold; else ``local``."""
    if setting not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {setting!r}")
    if setting != "auto":
        return EngineChoice(setting, f"forced by configuration (engine={setting})")
    if rows is not None and rows > row_threshold:
        return EngineChoice("spark", f"{rows:,} input rows > threshold {row_threshold:,}")
    if size_bytes is not None and size_bytes > byte_threshold:
        return EngineChoice("spark", f"{size_bytes:,} input bytes > threshold {byte_threshold:,}")
    return EngineChoice(
        "local", f"input ({rows if rows is not None else '?'} rows, {size_bytes or 0:,} bytes) within thresholds"
    )


class SparkEngine(PySparkResource):
    """A lazily started Spark session plus the rule for when to use it."""

    spark_config: dict[str, Any] = Field(
        default={}, description="Extra Spark settings (any `spark.*` key), on top of the defaults."
    )
    master: str = Field(default="local[*]", description="spark.master: local[*], spark://..., yarn, k8s://...")
    driver_memory: str = Field(default="4g", description="spark.driver.memory (the driver holds a run's output).")
    engine: str = Field(default="auto", description="auto (by thresholds), local (Polars/DuckDB) or spark.")
    row_threshold: int = Field(default=2_000_000, description="auto: Spark above this many input rows.")
    byte_threshold: int = Field(default=512 * 1024 * 1024, description="auto: Spark above this many input bytes.")
    task_threads: int = Field(default=1, description="Model inference threads per Spark task (cores / tasks).")
    log_file: str = Field(
        default="data/logs/spark.log",
        description="Where the JVM's console output goes (log4j, its warnings), instead of the terminal.",
    )

    def setup_for_execution(self, context: InitResourceContext) -> None:
        # Deliberately empty: the session starts on first use, see spark_session.
        pass

    def session_config(self) -> dict[str, Any]:
        """The settings the session is built with (defaults, then the configured values)."""
        return {
            **DEFAULT_SPARK_CONFIG,
            "spark.master": self.master,
            "spark.driver.memory": self.driver_memory,
            **self.spark_config,
            "spark.sql.session.timeZone": "UTC",
        }

    @property
    def spark_session(self) -> Any:
        if self._spark_session is None:
            if self.master.startswith("local"):
                # The Python workers must run this interpreter (it has the package); PySpark takes
                # theirs from PYSPARK_PYTHON only, else whatever `python3` is first on the PATH.
                os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            with _process_output_to(Path(self.log_file)):
                self._spark_session = spark_session_from_config(self.session_config())
        return self._spark_session

    def choose(self, rows: int | None = None, size_bytes: int | None = None) -> EngineChoice:
        """The engine for an input of ``rows`` rows and ``size_bytes`` bytes (either may be unknown)."""
        return choose_engine(self.engine, rows, size_bytes, self.row_threshold, self.byte_threshold)
