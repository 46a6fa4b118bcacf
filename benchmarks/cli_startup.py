"""How fast the command line answers: `sentiment-platform --help` and `import sentiment_platform`.

Prints the median of several cold starts (each a new interpreter) beside the baseline: the same
commands on the commit before the package was reorganised (checked out into a temporary git
worktree), when the CLI imported the settings, every resource, torch and Spark before parsing its
arguments. Target: `--help` under 1.5 s.

    python benchmarks/cli_startup.py [--runs 7] [--baseline-ref fdff6c3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HELP = "import sys; from {module} import main; sys.argv = ['sentiment-platform', '--help']; main()"


def seconds(command: list[str], runs: int, env: dict[str, str], cwd: Path) -> float:
    """Median wall seconds of ``command`` over ``runs`` runs, after one warm-up (the OS file cache)."""
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=cwd)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=cwd)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(module: str, runs: int, path: Path) -> tuple[float, float]:
    """(``--help``, ``import sentiment_platform``) seconds with the package found at ``path``."""
    env = {**os.environ, "PYTHONPATH": str(path)}  # ahead of the editable install on sys.path
    where = subprocess.run(
        [sys.executable, "-c", "import sentiment_platform; print(sentiment_platform.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=path,
    ).stdout.strip()
    assert where.startswith(str(path)), f"measured the wrong tree: {where}"
    return (
        seconds([sys.executable, "-c", HELP.format(module=module)], runs, env, path),
        seconds([sys.executable, "-c", "import sentiment_platform"], runs, env, path),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline-ref", default="fdff6c3", help="commit measured as the baseline")
    args = parser.parse_args()
    now = measure("sentiment_platform.cli.main", args.runs, REPO)
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder) / "baseline"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), args.baseline_ref],
            check=True,
            capture_output=True,
        )
        try:
            before = measure("sentiment_platform.cli", args.runs, tree)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=True)
    print(f"median of {args.runs} cold starts, seconds   {'now':>8} {'baseline':>9} ({args.baseline_ref})")
    print(f"sentiment-platform --help                 {now[0]:>8.3f} {before[0]:>9.3f}")
    print(f"python -c 'import sentiment_platform'      {now[1]:>8.3f} {before[1]:>9.3f}")
    print(f"target: --help under 1.5 s: {'met' if now[0] < 1.5 else 'MISSED'}")


if __name__ == "__main__":
    from results_page import results_page

    with results_page(__file__):
        main()
