"""Shared fixtures: a temporary local lake, and a real S3-compatible server on 127.0.0.1."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sentiment_platform.lib.lake_store import LakeStore, LocalLakeStore
from sentiment_platform.resources.lake_storage import S3LakeStorage

HOUR = datetime(2026, 11, 20, 13, tzinfo=UTC)
PARTITION = "2026-11-20-13:00"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that talk to the S3 server are integration tests (tier 3), whatever their module's tier;
    the rest carry their tier as a module or test mark (none: fast pure logic)."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        if names & {"s3_endpoint", "s3_lake"} or params.get("any_lake") == "s3":
            item.add_marker(pytest.mark.integration)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> str:
    """One folder of model exports (ONNX graphs) for the whole session."""
    return str(tmp_path_factory.mktemp("models"))


def write_image_sets(root: Path, per_class: int = 4):
    """Tiny MVSA-, OASIS- and Memotion-shaped folders of mock images (``labels.csv`` + ``images/``)
    and the ``ImageDatasets`` resource reading them."""
    import random

    from sentiment_platform.lib.scoring.labels import LABELS
    from sentiment_platform.resources.labeled_images import ImageDatasets
    from sentiment_platform.sources.mock_network.images import meme_caption, render_image

    rng = random.Random(5)
    for name in ("mvsa", "oasis", "memotion"):
        (root / name / "images").mkdir(parents=True)
        lines = ["filename,label,valence_mean_1to7,text"]
        for label in LABELS:
            for i in range(per_class):
                data, extension = render_image(label, rng, caption=meme_caption(label, rng) if i % 2 else None)
                filename = f"{label}_{i}.{extension}"
                (root / name / "images" / filename).write_bytes(data)
                lines.append(f"{filename},{label},{2 + 2 * LABELS.index(label) + rng.random():.3f},post {i}")
        (root / name / "labels.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ImageDatasets(
        mvsa_path=str(root / "mvsa"), oasis_path=str(root / "oasis"), memotion_path=str(root / "memotion")
    )


@pytest.fixture
def lake(tmp_path) -> LakeStore:
    return LocalLakeStore(str(tmp_path / "lake"))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server over HTTP on 127.0.0.1, for the whole test session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_lake(s3_endpoint, monkeypatch) -> LakeStore:
    """A lake rooted in a fresh bucket of the local S3 server."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    storage = S3LakeStorage(
        root=f"s3://lake-{uuid.uuid4().hex[:12]}/prefix", endpoint_url=s3_endpoint, region_name="us-east-1"
    ).store()
    storage.client.create_bucket(Bucket=storage.root[5:].split("/")[0])
    return storage


@pytest.fixture(params=["local", "s3"])
def any_lake(request) -> LakeStore:
    """The same tests over the local lake and the S3 lake."""
    return request.getfixturevalue("lake" if request.param == "local" else "s3_lake")


HOURS = [HOUR - timedelta(hours=2), HOUR - timedelta(hours=1), HOUR]


def _trend_graph():
    from sentiment_platform.defs.cleansing.cleansed_data import (
        cleaned_interactions,
        cleaned_posts,
        cleaned_users,
    )
    from sentiment_platform.defs.ingestion.raw_data import landed_batches, raw_images
    from sentiment_platform.defs.sentiment.scored_posts import (
        enriched_posts,
        image_sentiment,
        post_sentiment,
    )
    from sentiment_platform.defs.trends.trend_tables import (
        hashtag_trends,
        language_trends_15m,
        sentiment_trends_15m,
        user_sentiment_profile,
        warehouse_posts,
    )

    upstream = [
        landed_batches,
        raw_images,
        cleaned_posts,
        cleaned_users,
        cleaned_interactions,
        post_sentiment,
        image_sentiment,
        enriched_posts,
    ]
    return upstream, [
        sentiment_trends_15m,
        language_trends_15m,
        hashtag_trends,
        user_sentiment_profile,
        warehouse_posts,
    ]


UPSTREAM, HOURLY_TRENDS = _trend_graph()


def quick_resources(root: Path, storage: LakeStore, source) -> dict:
    """The resources of a quick graph under ``root``: VADER for texts, the affect model for images
    (the text in images is covered by the default-backend and engine tests), a log notifier."""
    from sentiment_platform.resources.notifiers import LogNotifier
    from sentiment_platform.resources.scorers import ImageScorer, TextScorer
    from sentiment_platform.resources.spark_engine import SparkEngine
    from sentiment_platform.resources.warehouse import Warehouse

    return {
        "storage": storage,
        "source": source,
        "text_scorer": TextScorer(backend="vader"),
        "image_scorer": ImageScorer(backend="affect", read_text=False),
        "warehouse": Warehouse(database=str(root / "warehouse.duckdb")),
        "notifier": LogNotifier(log_path=str(root / "alerts.log")),
        "spark": SparkEngine(),
    }


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """A lake with three enriched hours of the mock network (VADER scoring keeps it quick) and a
    warehouse with their trend tables."""
    from dagster import materialize

    from sentiment_platform.defs.trends.trend_tables import topic_daily_summary
    from sentiment_platform.partitions import hour_partition_key
    from sentiment_platform.resources.post_sources import MockNetworkSource

    root = tmp_path_factory.mktemp("trends")
    resources = quick_resources(root, LocalLakeStore(str(root / "lake")), MockNetworkSource())
    for hour in HOURS:
        assert materialize(
            UPSTREAM + HOURLY_TRENDS, partition_key=hour_partition_key(hour), resources=resources
        ).success
    assert materialize([topic_daily_summary], partition_key=HOUR.strftime("%Y-%m-%d"), resources=resources).success
    return resources


#: Values an attacker controls, each of which would run script if it ever became markup: it sets
#: ``window.__pwned``, which the browser tests check is never set.
SCRIPT_BREAKOUT = "</script><script>window.__pwned=(window.__pwned||0)+1</script>"
IMG_ONERROR = '<img src=x onerror="window.__pwned=(window.__pwned||0)+1">'
#: Search terms the pipeline keeps as they are, which the API must take as parameters.
UNICODE_TOPICS = ("climate change", "#ai", "fútbol")
HOSTILE_TOPICS = (*UNICODE_TOPICS, SCRIPT_BREAKOUT, IMG_ONERROR)


@pytest.fixture(scope="session")
def hostile_built(tmp_path_factory):
    """One hour pushed to the landing zone with hostile and Unicode values (topics, hashtags,
    language, handles, texts, a user's name), run through the real graph into the warehouse, with
    an alert for a hostile topic recorded by the notifier, and the sentiment report written."""
    import hashlib
    import random

    import orjson
    from dagster import materialize

    from sentiment_platform.defs.insights.sentiment_report import ReportConfig, sentiment_report
    from sentiment_platform.lib.alerts import Alert
    from sentiment_platform.lib.lake_layout import landing_image_key, landing_prefix
    from sentiment_platform.partitions import hour_partition_key
    from sentiment_platform.resources.post_sources import LandingSource
    from sentiment_platform.sources.mock_network.images import render_image

    root = tmp_path_factory.mktemp("hostile")
    storage = LocalLakeStore(str(root / "lake"))
    rng = random.Random(11)
    texts = [
        "I love this, what a wonderful day #fútbol #climate",
        "This is awful and I hate it #fail",
        "the meeting is at noon #update",
        f"{SCRIPT_BREAKOUT} great stuff #ai",
        f"{IMG_ONERROR} terrible service",
    ]
    posts, users = [], []
    for index in range(150):
        topic = HOSTILE_TOPICS[index % len(HOSTILE_TOPICS)]
        post = {
            "id": f"h{index}",
            "author_id": f"u{index % 7}",
            "created_at": (HOUR + timedelta(seconds=20 * index)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "text": texts[index % len(texts)],
            "lang": IMG_ONERROR if index % 10 == 0 else "en",
            "topic": topic,
            "source": "pushed",
            "like_count": index % 4,
        }
        if index % 6 == 0:
            data, extension = render_image(("positive", "negative", "neutral")[index % 3], rng)
            key = landing_image_key(hashlib.sha256(data).hexdigest(), extension)
            storage.write_bytes(key, data)
            post["media"] = [{"path": key, "type": "photo", "alt_text": IMG_ONERROR}]
        posts.append(post)
    for user in range(7):
        users.append(
            {"user_id": f"u{user}", "handle": SCRIPT_BREAKOUT if user % 2 else IMG_ONERROR, "name": IMG_ONERROR}
        )
    for dataset, rows in (("posts", posts), ("users", users)):
        body = b"\n".join(orjson.dumps(row) for row in rows) + b"\n"
        storage.write_bytes(f"{landing_prefix(dataset, HOUR)}pushed-hostile.jsonl", body)
    resources = quick_resources(root, storage, LandingSource())
    assert materialize(UPSTREAM + HOURLY_TRENDS, partition_key=hour_partition_key(HOUR), resources=resources).success
    alerts = [
        Alert("negative_share_spike", topic, HOUR, 0.8, 0.2, 5.0, 3.5) for topic in (SCRIPT_BREAKOUT, IMG_ONERROR)
    ]
    with resources["warehouse"].write() as connection:
        resources["notifier"].notify(alerts, connection)
    reports = root / "reports"
    config = ReportConfig(reports_dir=str(reports), hours=24)
    assert materialize(
        [sentiment_report],
        resources={"warehouse": resources["warehouse"]},
        run_config={"ops": {"sentiment_report": {"config": config.model_dump()}}},
    ).success
    return resources | {"report": reports / "sentiment_report"}
