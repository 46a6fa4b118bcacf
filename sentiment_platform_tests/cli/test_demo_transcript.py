"""What a user sees of the demo in a terminal: its progress and its summary, nothing else."""

import os
import pty
import re
import select
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_the_demo_prints_its_progress_and_summary_and_nothing_else(tmp_path, model_cache):
    env = {
        **os.environ,
        "SENTIMENT_MODEL_CACHE_DIR": model_cache,
        "SENTIMENT_MOCKFEED_POSTS_PER_HOUR": "150",
        "TERM": "xterm-256color",
        "COLUMNS": "160",
    }
    for name in ("DAGSTER_HOME", "SENTIMENT_LAKE_ROOT", "SENTIMENT_WAREHOUSE_PATH"):
        env.pop(name, None)
    command = [str(Path(sys.executable).with_name("sentiment-platform")), "demo", "--hours", "1"]
    command += ["--lake", str(tmp_path / "lake"), "--dagster-home", str(tmp_path / "home")]
    code, transcript = run_in_terminal(command, env, tmp_path, timeout=600)
    lines = [line.strip() for line in ANSI.sub("", transcript).replace("\r", "\n").splitlines() if line.strip()]
    assert code == 0, "\n".join(lines[-30:])
    assert [line for line in lines if NOISE.search(line)] == []
    assert any(line.startswith("materializing") for line in lines)  # the progress bar
    assert any(line.startswith("Materialized 1 hourly partition") for line in lines)
    # Spark ran (the recommendations) and its console output went to its log file instead.
    assert "log4j" in (tmp_path / "data" / "logs" / "spark.log").read_text()
    # The command to open the UI runs as printed: the venv's dagster, this instance and this lake.
    ui = shlex.split(lines[lines.index("Open the Dagster UI with:") + 1])
    variables = dict(part.split("=", 1) for part in ui if "=" in part and not part.startswith("-"))
    assert variables["DAGSTER_HOME"] == str((tmp_path / "home").resolve())
    assert variables["SENTIMENT_LAKE_ROOT"] == str(tmp_path / "lake")
    program = ui[len(variables)]
    assert os.access(program, os.X_OK) and ui[len(variables) + 1 :] == ["dev", "-m", "sentiment_platform.definitions"]
    listed = subprocess.run(
        [program, "asset", "list", "-m", "sentiment_platform.definitions"],
        env={**env, **variables},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listed.returncode == 0 and "post_sentiment" in listed.stdout, listed.stderr[-2000:]
