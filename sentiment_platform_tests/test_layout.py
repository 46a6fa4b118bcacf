"""The house rules of the package: one name per module, a thin root, imports that stay light."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import sentiment_platform

PACKAGE = Path(sentiment_platform.__file__).parent
ROOT = PACKAGE.parent


def test_no_two_modules_share_a_name_and_the_root_holds_only_the_entry_points():
    stems = Counter(path.stem for path in PACKAGE.rglob("*.py") if path.stem != "__init__")
    assert sorted(stem for stem, count in stems.items() if count > 1) == []
    assert sorted(path.name for path in PACKAGE.glob("*.py")) == [
        "__init__.py",
        "definitions.py",
        "partitions.py",
        "public_api.py",
        "settings.py",
    ]


def test_the_library_part_never_imports_dagster_wiring():
    # lib/ holds the pipeline's logic: it may type-hint a resource, never import the wiring.
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / "lib").rglob("*.py")
        if "sentiment_platform.defs" in path.read_text() or "from dagster" in path.read_text()
    ]
    assert offenders == []


@pytest.mark.integration
def test_importing_the_package_reads_no_setting_and_loads_neither_torch_nor_spark():
    code = (
        "import sys, json, sentiment_platform, sentiment_platform.definitions, sentiment_platform.cli.main\n"
        "print(json.dumps({name: name in sys.modules for name in ('torch', 'pyspark', 'transformers')}))"
    )
    # An invalid setting would fail at once if anything read the environment on import.
    env = {**os.environ, "SENTIMENT_SOURCE": "not-a-source"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"torch": False, "pyspark": False, "transformers": False}
    cli = subprocess.run(
        [sys.executable, "-c", "import sys, sentiment_platform.cli.main; print('dagster' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.stdout.strip() == "False"  # `--help` answers before Dagster is imported


@pytest.mark.integration
def test_dg_checks_and_lists_the_definitions_of_the_project():
    dg = Path(sys.executable).with_name("dg")
    check = subprocess.run([dg, "check", "defs"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = subprocess.run([dg, "list", "defs", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    defs = json.loads(listed.stdout)
    assert {"raw_posts", "cleaned_posts", "enriched_posts", "sentiment_report"} <= {
        a["asset_key"] for a in defs["assets"]
    }
    assert {s["name"] for s in defs["sensors"]} == {"landing_sensor", "automation"}
