"""The one place where the deployment's configuration is read: environment variables to resources.

A local deployment needs no variable at all. Variables that are set are passed as ``EnvVar`` so the
Dagster UI shows where a value comes from; secrets (AWS keys) are never read here but by boto3.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping

from dagster import EnvVar

from sentiment_platform.resources.clock import Clock
from sentiment_platform.resources.labeled_data import LabeledTweets
from sentiment_platform.resources.notifier import AlertNotifier
from sentiment_platform.resources.scorers import ImageScorer, TextScorer
from sentiment_platform.resources.sources import PostSource
from sentiment_platform.resources.spark import SparkEngine
from sentiment_platform.resources.storage import LakeStorage
from sentiment_platform.resources.warehouse import Warehouse
from sentiment_platform.sensors import LandingScan

LAKE_ROOT = "SENTIMENT_LAKE_ROOT"
S3_ENDPOINT_URL = "SENTIMENT_S3_ENDPOINT_URL"
S3_REGION = "SENTIMENT_S3_REGION"
SOURCE_KIND = "SENTIMENT_SOURCE"
MOCKFEED_SEED = "SENTIMENT_MOCKFEED_SEED"
MOCKFEED_POSTS_PER_HOUR = "SENTIMENT_MOCKFEED_POSTS_PER_HOUR"
TEXT_BACKEND = "SENTIMENT_TEXT_BACKEND"
TEXT_MODEL = "SENTIMENT_TEXT_MODEL"
TEXT_RUNTIME = "SENTIMENT_TEXT_RUNTIME"
MODEL_CACHE_DIR = "SENTIMENT_MODEL_CACHE_DIR"
IMAGE_BACKEND = "SENTIMENT_IMAGE_BACKEND"
IMAGE_MODEL = "SENTIMENT_IMAGE_MODEL"
DATASET_DIR = "SENTIMENT_DATASET_DIR"
WAREHOUSE_PATH = "SENTIMENT_WAREHOUSE_PATH"
X_API_BASE_URL = "SENTIMENT_X_API_BASE_URL"
X_TOPICS = "SENTIMENT_X_TOPICS"
X_BEARER_TOKEN = "X_BEARER_TOKEN"
NOTIFIER_KIND = "SENTIMENT_ALERTS_NOTIFIER"
ALERTS_LOG = "SENTIMENT_ALERTS_LOG"
ALERTS_WEBHOOK_URL = "SENTIMENT_ALERTS_WEBHOOK_URL"
ALERTS_SNS_TOPIC_ARN = "SENTIMENT_ALERTS_SNS_TOPIC_ARN"
ENGINE = "SENTIMENT_ENGINE"
SPARK_MASTER = "SENTIMENT_SPARK_MASTER"
SPARK_DRIVER_MEMORY = "SENTIMENT_SPARK_DRIVER_MEMORY"
SPARK_ROW_THRESHOLD = "SENTIMENT_SPARK_ROW_THRESHOLD"
SPARK_BYTE_THRESHOLD = "SENTIMENT_SPARK_BYTE_THRESHOLD"
SPARK_CONF = "SENTIMENT_SPARK_CONF"  # JSON object of extra spark.* settings


def build_resources(env: Mapping[str, str] | None = None, as_env_vars: bool = True) -> dict[str, Any]:
    """The resources of this deployment, from the environment (``os.environ`` by default).

    With ``as_env_vars`` (for Definitions) set variables are passed as ``EnvVar``s that Dagster
    resolves at run time; without it (for direct use, as the CLI does) their values are passed.
    """
    env = os.environ if env is None else env

    def _setting(name: str, default: Any) -> Any:
        if not env.get(name):
            return default
        return EnvVar(name) if as_env_vars else env[name]

    def _int_setting(name: str, default: int) -> Any:
        if not env.get(name):
            return default
        return EnvVar.int(name) if as_env_vars else int(env[name])

    return {
        "storage": LakeStorage(
            root=_setting(LAKE_ROOT, "data/lake"),
            endpoint_url=_setting(S3_ENDPOINT_URL, None),
            region_name=_setting(S3_REGION, None),
        ),
        "source": PostSource(
            kind=_setting(SOURCE_KIND, "mockfeed"),
            seed=_int_setting(MOCKFEED_SEED, 7),
            posts_per_hour=_int_setting(MOCKFEED_POSTS_PER_HOUR, 1200),
            x_api_base_url=_setting(X_API_BASE_URL, "https://api.x.com"),
            x_topics=_setting(X_TOPICS, "tech,sports,politics,climate,entertainment,travel"),
            # The token is only ever passed as an EnvVar reference (or read at run time): never stored.
            x_bearer_token=(EnvVar(X_BEARER_TOKEN) if as_env_vars else env[X_BEARER_TOKEN]) if env.get(X_BEARER_TOKEN) else None,
        ),
        "text_scorer": TextScorer(
            backend=_setting(TEXT_BACKEND, "minilm"),
            model=_setting(TEXT_MODEL, None),
            runtime=_setting(TEXT_RUNTIME, "onnx-int8"),
            cache_dir=_setting(MODEL_CACHE_DIR, "data/models"),
        ),
        "image_scorer": ImageScorer(
            backend=_setting(IMAGE_BACKEND, "affect"),
            model=_setting(IMAGE_MODEL, "openai/clip-vit-base-patch32"),
        ),
        "warehouse": Warehouse(database=_setting(WAREHOUSE_PATH, "data/warehouse.duckdb")),
        "notifier": AlertNotifier(
            kind=_setting(NOTIFIER_KIND, "log"),
            log_path=_setting(ALERTS_LOG, "data/alerts.log"),
            webhook_url=_setting(ALERTS_WEBHOOK_URL, None),
            sns_topic_arn=_setting(ALERTS_SNS_TOPIC_ARN, None),
            region_name=_setting(S3_REGION, None),
        ),
        "spark": SparkEngine(
            engine=_setting(ENGINE, "auto"),
            master=_setting(SPARK_MASTER, "local[*]"),
            driver_memory=_setting(SPARK_DRIVER_MEMORY, "4g"),
            row_threshold=_int_setting(SPARK_ROW_THRESHOLD, 2_000_000),
            byte_threshold=_int_setting(SPARK_BYTE_THRESHOLD, 512 * 1024 * 1024),
            # Settings, not secrets: read here so they can be a nested dict.
            spark_config=json.loads(env[SPARK_CONF]) if env.get(SPARK_CONF) else {},
        ),
        "landing_scan": LandingScan(),
        "clock": Clock(),
        "labeled_tweets": LabeledTweets(**({"path": _setting(DATASET_DIR, None)} if env.get(DATASET_DIR) else {})),
    }
