"""The one place where the deployment's configuration is read: environment variables to resources.

A local deployment needs no variable at all: every default lives in its resource's field, and only
the variables that are set are passed, as ``EnvVar`` so the Dagster UI shows where a value comes
from. The variant of a resource (local or S3 lake, the source, the notifier) is chosen here from
its variable's value. Secrets (AWS keys) are never read here but by boto3; the X token is only
passed by reference.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dagster import EnvVar

from sentiment_platform.resources.clock import Clock
from sentiment_platform.resources.labeled_data import LabeledTweets
from sentiment_platform.resources.labeled_images import ImageDatasets
from sentiment_platform.resources.lake_storage import (
    LakeStorage,
    LocalLakeStorage,
    S3LakeStorage,
)
from sentiment_platform.resources.notifiers import (
    AlertNotifier,
    LogNotifier,
    SnsNotifier,
    WebhookNotifier,
)
from sentiment_platform.resources.post_sources import (
    BlueskySource,
    FeedsSource,
    LandingSource,
    MastodonSource,
    MockNetworkSource,
    PostSource,
    RedditSource,
    XApiSource,
)
from sentiment_platform.resources.scan_limits import LandingScan
from sentiment_platform.resources.spark_engine import SparkEngine
from sentiment_platform.resources.warehouse import Warehouse

if TYPE_CHECKING:
    from sentiment_platform.resources.scorers import ImageScorer, TextScorer

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
UMSAB_DIR = "SENTIMENT_UMSAB_DIR"
MVSA_DIR = "SENTIMENT_MVSA_DIR"
OASIS_DIR = "SENTIMENT_OASIS_DIR"
MEMOTION_DIR = "SENTIMENT_MEMOTION_DIR"
WAREHOUSE_PATH = "SENTIMENT_WAREHOUSE_PATH"
X_API_BASE_URL = "SENTIMENT_X_API_BASE_URL"
X_TOPICS = "SENTIMENT_X_TOPICS"
RSS_FEEDS = "SENTIMENT_RSS_FEEDS"
MASTODON_INSTANCES = "SENTIMENT_MASTODON_INSTANCES"
BLUESKY_SEARCH_URL = "SENTIMENT_BLUESKY_SEARCH_URL"
REDDIT_SUBREDDITS = "SENTIMENT_REDDIT_SUBREDDITS"
REDDIT_CLIENT_ID = "REDDIT_CLIENT_ID"
REDDIT_CLIENT_SECRET = "REDDIT_CLIENT_SECRET"
TOPIC_RULES = "SENTIMENT_TOPIC_RULES"  # the live listeners' topic=term|#hashtag;... rules
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

#: The variables of each resource's fields, by the resource's class name: what settings passes (only
#: those that are set) and what ``docs/configuration.md`` lists, with each field's default and
#: description (``python -m sentiment_platform.settings``).
FIELD_VARIABLES: dict[str, dict[str, str]] = {
    "LocalLakeStorage": {"root": LAKE_ROOT},
    "S3LakeStorage": {"root": LAKE_ROOT, "endpoint_url": S3_ENDPOINT_URL, "region_name": S3_REGION},
    "MockNetworkSource": {"seed": MOCKFEED_SEED, "posts_per_hour": MOCKFEED_POSTS_PER_HOUR},
    "XApiSource": {"base_url": X_API_BASE_URL, "topics": X_TOPICS, "bearer_token": X_BEARER_TOKEN},
    "FeedsSource": {"feeds": RSS_FEEDS},
    "MastodonSource": {"instances": MASTODON_INSTANCES, "topics": TOPIC_RULES},
    "BlueskySource": {"search_url": BLUESKY_SEARCH_URL, "topics": TOPIC_RULES},
    "RedditSource": {
        "subreddits": REDDIT_SUBREDDITS,
        "client_id": REDDIT_CLIENT_ID,
        "client_secret": REDDIT_CLIENT_SECRET,
    },
    "WebhookNotifier": {"webhook_url": ALERTS_WEBHOOK_URL},
    "SnsNotifier": {"sns_topic_arn": ALERTS_SNS_TOPIC_ARN, "region_name": S3_REGION},
    "LogNotifier": {"log_path": ALERTS_LOG},
    "TextScorer": {"backend": TEXT_BACKEND, "model": TEXT_MODEL, "runtime": TEXT_RUNTIME, "cache_dir": MODEL_CACHE_DIR},
    "ImageScorer": {"backend": IMAGE_BACKEND, "model": IMAGE_MODEL, "cache_dir": MODEL_CACHE_DIR},
    "SparkEngine": {
        "engine": ENGINE,
        "master": SPARK_MASTER,
        "driver_memory": SPARK_DRIVER_MEMORY,
        "row_threshold": SPARK_ROW_THRESHOLD,
        "byte_threshold": SPARK_BYTE_THRESHOLD,
    },
    "Warehouse": {"database": WAREHOUSE_PATH},
    "LabeledTweets": {"path": DATASET_DIR, "umsab_path": UMSAB_DIR},
    "ImageDatasets": {"mvsa_path": MVSA_DIR, "oasis_path": OASIS_DIR, "memotion_path": MEMOTION_DIR},
}

#: The variant of each switchable resource, by the value of its variable (first: the default).
SOURCES: dict[str, type[PostSource]] = {
    "mockfeed": MockNetworkSource,
    "landing": LandingSource,
    "x_api": XApiSource,
    "rss": FeedsSource,
    "mastodon": MastodonSource,
    "reddit": RedditSource,
    "bluesky": BlueskySource,
}
NOTIFIERS: dict[str, type[AlertNotifier]] = {"log": LogNotifier, "webhook": WebhookNotifier, "sns": SnsNotifier}


class Settings:
    """The environment (``os.environ`` by default) seen as resource fields.

    With ``as_env_vars`` (for Definitions) set variables become ``EnvVar``s that Dagster resolves
    at run time; without it (for direct use: the CLI, notebooks) their values are passed.
    """

    def __init__(self, env: Mapping[str, str] | None = None, as_env_vars: bool = True):
        self.env = os.environ if env is None else env
        self.as_env_vars = as_env_vars

    def fields(self, resource: type) -> dict[str, Any]:
        """``{field: value}`` of ``resource``'s variables (:data:`FIELD_VARIABLES`) that are set, and
        only those; an integer field's value is read as an integer."""
        values: dict[str, Any] = {}
        for field, name in FIELD_VARIABLES[resource.__name__].items():
            if self.env.get(name):
                integer = resource.model_fields[field].annotation is int
                if self.as_env_vars:
                    values[field] = EnvVar.int(name) if integer else EnvVar(name)
                else:
                    values[field] = int(self.env[name]) if integer else str(self.env[name])
        return values

    def variant(self, name: str, variants: Mapping[str, type]) -> type:
        """The class chosen by the variable ``name`` (the first of ``variants`` when it is not set)."""
        kind = self.env.get(name) or next(iter(variants))
        if kind not in variants:
            raise ValueError(f"{name}={kind!r}: expected one of {', '.join(variants)}")
        return variants[kind]

    def storage(self) -> LakeStorage:
        if (self.env.get(LAKE_ROOT) or "").startswith("s3://"):
            return S3LakeStorage(**self.fields(S3LakeStorage))
        return LocalLakeStorage(**self.fields(LocalLakeStorage))

    def source(self) -> PostSource:
        variant = self.variant(SOURCE_KIND, SOURCES)
        if variant is MockNetworkSource:
            return MockNetworkSource(**self.fields(MockNetworkSource))
        if variant is XApiSource:
            if not self.env.get(X_BEARER_TOKEN):
                raise ValueError(f"the x_api source needs the {X_BEARER_TOKEN} environment variable")
            # The token is only ever passed as an EnvVar reference (or read at run time): never stored.
            return XApiSource(**self.fields(XApiSource))
        if variant is RedditSource:
            missing = [
                name for name in (REDDIT_SUBREDDITS, REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET) if not self.env.get(name)
            ]
            if missing:
                raise ValueError(f"the reddit source needs {', '.join(missing)}")
            # The key is only ever passed as EnvVar references (or read at run time): never stored.
            return RedditSource(**self.fields(RedditSource))
        if variant in (MastodonSource, BlueskySource):
            return variant(**self.fields(variant))
        if variant is FeedsSource:
            if not self.env.get(RSS_FEEDS):
                raise ValueError(f"the rss source needs {RSS_FEEDS} (topic=url|url;topic=url)")
            return FeedsSource(**self.fields(FeedsSource))
        return variant()

    def notifier(self) -> AlertNotifier:
        variant = self.variant(NOTIFIER_KIND, NOTIFIERS)
        if variant is WebhookNotifier:
            return WebhookNotifier(**self.fields(WebhookNotifier))
        if variant is SnsNotifier:
            return SnsNotifier(**self.fields(SnsNotifier))
        return LogNotifier(**self.fields(LogNotifier))

    def text_scorer(self) -> TextScorer:
        # Imported here: the scorers pull in torch, which commands that only need the lake
        # (import, check-landing, mockfeed) start without.
        from sentiment_platform.resources.scorers import TextScorer

        return TextScorer(**self.fields(TextScorer))

    def image_scorer(self) -> ImageScorer:
        from sentiment_platform.resources.scorers import ImageScorer

        return ImageScorer(**self.fields(ImageScorer))

    def spark(self) -> SparkEngine:
        fields = self.fields(SparkEngine)
        if self.env.get(SPARK_CONF):  # settings, not secrets: read here so they can be a nested dict
            fields["spark_config"] = json.loads(self.env[SPARK_CONF])
        return SparkEngine(**fields)

    def resources(self) -> dict[str, Any]:
        """Every resource of the deployment, by key."""
        return {
            "storage": self.storage(),
            "source": self.source(),
            "text_scorer": self.text_scorer(),
            "image_scorer": self.image_scorer(),
            "warehouse": Warehouse(**self.fields(Warehouse)),
            "notifier": self.notifier(),
            "spark": self.spark(),
            "landing_scan": LandingScan(),
            "clock": Clock(),
            "labeled_tweets": LabeledTweets(**self.fields(LabeledTweets)),
            "image_datasets": ImageDatasets(**self.fields(ImageDatasets)),
        }


def build_resources(env: Mapping[str, str] | None = None, as_env_vars: bool = True) -> dict[str, Any]:
    """The resources of this deployment, from the environment (``os.environ`` by default)."""
    return Settings(env, as_env_vars).resources()
