"""The Materialize button, for real: `dagster dev` (webserver and daemon) on 127.0.0.1 over a
temporary instance, a partition launched through the webserver's GraphQL API, rows read back."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from sentiment_platform.resources.warehouse import Warehouse
from sentiment_platform_tests.conftest import HOUR, PARTITION, free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
#: The code location the workspace file names (the one the dg project declares).
LOCATION = yaml.safe_load((ROOT / "workspace.yaml").read_text())["load_from"][0]["python_module"]["location_name"]
ASSETS = [
    "raw_posts",
    "raw_users",
    "raw_interactions",
    "raw_images",
    "cleaned_posts",
    "cleaned_users",
    "post_sentiment",
    "image_sentiment",
    "enriched_posts",
    "sentiment_trends_15m",
]
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchPipelineExecution(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
STATUS = "query Status($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }"
JOBS = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name jobs { name } } } } }"


@pytest.fixture
def dagster_dev(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SENTIMENT_LAKE_ROOT": str(tmp_path / "lake"),
        "SENTIMENT_WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
        "SENTIMENT_TEXT_BACKEND": "vader",
        "SENTIMENT_ALERTS_LOG": str(tmp_path / "alerts.log"),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            str(ROOT / "workspace.yaml"),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                body = httpx.post(url, json={"query": JOBS}, timeout=10).json()
                if body.get("data", {}).get("repositoriesOrError", {}).get("nodes"):
                    break
            except (httpx.TransportError, ValueError):
                pass
            time.sleep(1)
        else:
            pytest.fail("dagster dev did not come up in 240s")
        yield url, body, tmp_path
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_materialize_a_partition_through_graphql_and_read_the_rows(dagster_dev):
    url, repositories, folder = dagster_dev
    repository = repositories["data"]["repositoriesOrError"]["nodes"][0]
    job = next(j["name"] for j in repository["jobs"] if j["name"].startswith("__ASSET_JOB"))
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": repository["name"],
            "jobName": job,
            "assetSelection": [{"path": [name]} for name in ASSETS],
        },
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": PARTITION}]},
    }
    launched = httpx.post(url, json={"query": LAUNCH, "variables": {"params": params}}, timeout=60).json()
    result = launched["data"]["launchPipelineExecution"]
    assert result["__typename"] == "LaunchRunSuccess", result
    run_id = result["run"]["runId"]
    deadline, status = time.monotonic() + 400, None
    while time.monotonic() < deadline:
        status = httpx.post(url, json={"query": STATUS, "variables": {"id": run_id}}, timeout=30).json()["data"][
            "runOrError"
        ]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    assert status == "SUCCESS"
    rows = Warehouse(database=str(folder / "warehouse.duckdb")).query(
        "SELECT window_start, sum(posts) AS posts FROM sentiment_trends_15m GROUP BY ALL ORDER BY 1"
    )
    assert rows.height == 4 and rows["window_start"][0] == HOUR and rows["posts"].sum() > 800
