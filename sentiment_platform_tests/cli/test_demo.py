"""The demo, run as a user runs it: what it materializes, and what the terminal shows (its
progress and its summary, nothing else). One run serves both: the demo is the slowest command."""

import os
import pty
import re
import select
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

# Not a clock test: the hours come from --until, not the clock (choosing the hours before a clock's
# time is a clock test of its own, in test_definitions), and the demo is the slowest test to repeat.
pytestmark = pytest.mark.integration

#: Lines that must never reach the terminal: Python warnings, Spark's log4j and JVM output, model
#: loading bars, Dagster's telemetry banner, tracebacks.
NOISE = re.compile(
    r"Warning|warnings\.warn|WARN |log4j|Spark's default|incubator|netlib|Loading weights|Telemetry|Traceback"
)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_in_terminal(command: list[str], env: dict[str, str], cwd: Path, timeout: float) -> tuple[int, str]:
    """Run ``command`` with a pseudo-terminal as its stdin, stdout and stderr; its transcript."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(command, stdin=secondary, stdout=secondary, stderr=secondary, env=env, cwd=cwd)
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([primary], [], [], timeout)
        if not ready:
            process.kill()
            raise TimeoutError("the demo stopped writing for too long")
        try:
            data = os.read(primary, 65536)
        except OSError:  # the terminal closed: the process has exited
            break
        if not data:
            break
        chunks.append(data)
    os.close(primary)
    return process.wait(timeout=60), b"".join(chunks).decode(errors="replace")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, model_cache) -> tuple[Path, list[str]]:
    """`demo --hours 2` in a pseudo-terminal, in a fresh folder with the default offline models:
    the folder and the transcript's lines."""
    folder = tmp_path_factory.mktemp("demo")
    env = {
        **os.environ,
        "SENTIMENT_MODEL_CACHE_DIR": model_cache,
        "SENTIMENT_MOCKFEED_POSTS_PER_HOUR": "150",
        "TERM": "xterm-256color",
        "COLUMNS": "160",
    }
    for name in ("DAGSTER_HOME", "SENTIMENT_LAKE_ROOT", "SENTIMENT_WAREHOUSE_PATH"):
        env.pop(name, None)
    command = [str(Path(sys.executable).with_name("sentiment-platform")), "demo", "--hours", "2"]
    command += ["--until", "2026-11-20T14:10:00Z", "--lake", str(folder / "lake")]
    command += ["--dagster-home", str(folder / "home")]
    code, transcript = run_in_terminal(command, env, folder, timeout=600)
    lines = [line.strip() for line in ANSI.sub("", transcript).replace("\r", "\n").splitlines() if line.strip()]
    assert code == 0, "\n".join(lines[-30:])
    return folder, lines


def test_the_demo_prints_its_progress_and_summary_and_nothing_else(demo):
    folder, lines = demo
    assert [line for line in lines if NOISE.search(line)] == []
    assert any(line.startswith("materializing") for line in lines)  # the progress bar
    assert any(line.startswith("Materialized 2 hourly partitions") for line in lines)
    # Spark ran (the recommendations) and its console output went to its log file instead.
    assert "log4j" in (folder / "data" / "logs" / "spark.log").read_text()


def _serves(command: str, url: str, cwd: Path, timeout: float = 240) -> str:
    """Run ``command`` in a shell as printed until ``url`` answers 200; what it printed by then."""
    import signal
    import time
    import urllib.request

    env = {name: value for name, value in os.environ.items() if not name.startswith(("SENTIMENT_", "DAGSTER_"))}
    log = cwd / f"served-{abs(hash(url))}.log"
    with open(log, "w") as out:
        shell = subprocess.Popen(
            ["bash", "-c", command], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert shell.poll() is None, log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    if answer.status == 200:
                        return log.read_text()
            except OSError:
                time.sleep(1)
        raise AssertionError(f"{url} never answered: {log.read_text()[-3000:]}")
    finally:
        os.killpg(shell.pid, signal.SIGTERM)
        shell.wait(timeout=60)


def test_the_commands_the_demo_prints_work_as_printed(demo):
    """The UI (``dg dev`` of the project, this instance and this lake) and the API with its dashboard,
    each run as printed, from another folder: each serves its page and prints no warning of ours."""
    folder, lines = demo
    ui = lines[lines.index("Open the Dagster UI with:") + 1]
    assert ui.endswith("/dg dev") and f"DAGSTER_HOME={(folder / 'home').resolve()}" in ui
    assert f"SENTIMENT_LAKE_ROOT={folder / 'lake'}" in ui
    api = lines[lines.index("Serve the REST API and the live dashboard with:") + 1]
    elsewhere = folder / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    printed = _serves(ui, "http://127.0.0.1:3000/server_info", elsewhere)
    # The UI loads this instance's definitions (no error loading the location) and no warning
    # of the project's own reaches the user.
    ours = [line for line in printed.splitlines() if "warning" in line.lower() and "sentiment_platform" in line]
    assert "Error loading" not in printed and ours == [], printed[-3000:]
    assert "virtual environment does not match" not in printed
    assert "warning" not in _serves(api, "http://127.0.0.1:8000/dashboard", folder).lower()


def test_the_demo_materializes_the_hours_before_until_into_data(demo):
    folder, _ = demo
    lake = folder / "lake"
    parts = sorted((lake / "cleansed" / "posts").rglob("*.parquet"))
    assert [path.parent.name for path in parts] == ["hour=12", "hour=13"]
    assert all(pl.read_parquet(path).height > 100 for path in parts)
    enriched = sorted((lake / "analytics" / "enriched_posts").rglob("*.parquet"))
    assert len(enriched) == 2
    import duckdb

    with duckdb.connect(str(folder / "data" / "warehouse.duckdb"), read_only=True) as connection:
        windows = connection.execute(
            "SELECT count(DISTINCT window_start), sum(posts) FROM sentiment_trends_15m"
        ).fetchone()
        assert windows[0] == 8 and windows[1] == sum(pl.read_parquet(path).height for path in enriched)
        assert connection.execute("SELECT count(*) FROM topic_daily_summary").fetchone()[0] >= 6
    report = folder / "data" / "reports" / "sentiment_report"
    assert (report / "index.html").exists() and (report / "sentiment_share.png").stat().st_size > 5_000


def test_the_ui_on_the_demos_instance_finds_nothing_to_do(demo, monkeypatch):
    """The landing sensor's first tick (no cursor yet) sees that every landed hour was ingested
    from exactly those objects, and automation sees every asset up to date."""
    from dagster import DagsterInstance, build_sensor_context, evaluate_automation_conditions

    from sentiment_platform.definitions import build_definitions
    from sentiment_platform.defs.ingestion.landing_sensor import landing_sensor
    from sentiment_platform.lib.lake_store import LocalLakeStore
    from sentiment_platform.resources.clock import FixedClock
    from sentiment_platform.resources.scan_limits import LandingScan
    from sentiment_platform.settings import build_resources

    folder, _ = demo
    monkeypatch.chdir(folder)
    instance = DagsterInstance.from_config(str(folder / "home"))
    defs = build_definitions(build_resources({}, as_env_vars=False))
    context = build_sensor_context(
        instance=instance,
        repository_def=defs.get_repository_def(),
        resources={
            "storage": LocalLakeStore(str(folder / "lake")),
            "landing_scan": LandingScan(),
            "clock": FixedClock(at="2026-11-20T14:11:00+00:00"),
        },
    )
    tick = landing_sensor(context)
    assert not tick.run_requests
    assert '"2026-11-20T13:00:00+00:00"' in tick.cursor  # the hours are in the cursor from now on
    evaluation = evaluate_automation_conditions(
        defs=defs, instance=instance, evaluation_time=datetime(2026, 11, 20, 14, 11, tzinfo=UTC)
    )
    assert [r.key.to_user_string() for r in evaluation.results if r.true_subset.size] == []
