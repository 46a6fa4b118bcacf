import orjson
import polars as pl
import pytest
from dagster import materialize

from sentiment_platform.defs.cleansing.cleansed_data import (
    cleaned_interactions,
    cleaned_posts,
    cleaned_users,
)
from sentiment_platform.defs.ingestion.raw_data import landed_batches, raw_images
from sentiment_platform.lib.lake_layout import (
    dataset_key,
    landing_image_key,
    quarantine_prefix,
)
from sentiment_platform.resources.post_sources import LandingSource, MockNetworkSource
from sentiment_platform.resources.spark_engine import SparkEngine
from sentiment_platform.sources.mock_network.images import (
    decompression_bomb_png,
    render_image,
)
from sentiment_platform_tests.conftest import HOUR, PARTITION

pytestmark = pytest.mark.materialize

ALL = [landed_batches, raw_images, cleaned_posts, cleaned_users, cleaned_interactions]


def run(storage, source=None, assets=ALL):
    result = materialize(
        assets,
        partition_key=PARTITION,
        resources={"storage": storage, "source": source or MockNetworkSource(), "spark": SparkEngine()},
    )
    assert result.success
    return {
        event.step_materialization_data.materialization.asset_key.to_user_string(): {
            k: v.value for k, v in event.step_materialization_data.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
    }


def read_parquet(storage, key) -> pl.DataFrame:
    return storage.read_parquet(key)


def test_whole_graph_for_one_hour_of_the_mock_feed(lake):
    metadata = run(lake)
    posts = read_parquet(lake, dataset_key("cleaned_posts", HOUR))
    assert posts.height == metadata["cleaned_posts"]["cleaned"] > 800
    assert posts["post_id"].is_unique().all()
    assert posts["created_at"].dt.hour().unique().to_list() == [13]
    m = metadata["cleaned_posts"]
    assert m["records_in"] == metadata["raw_posts"]["records"]
    assert m["records_in"] == m["cleaned"] + m["duplicates"] + m["quarantined"]
    assert m["quarantined"] > 0 and m["retweets"] > 0
    quarantined = lake.read_bytes(quarantine_prefix("posts", HOUR) + "rejected.jsonl").splitlines()
    assert len(quarantined) == m["quarantined"]
    assert all(orjson.loads(line)["reason"] for line in quarantined)
    users = read_parquet(lake, dataset_key("cleaned_users", HOUR))
    assert users["user_id"].is_unique().all() and users.height > 100
    interactions = read_parquet(lake, dataset_key("cleaned_interactions", HOUR))
    assert set(interactions["type"]) == {"like", "reply", "repost"}
    images = read_parquet(lake, dataset_key("raw_images", HOUR))
    assert images.height == metadata["raw_images"]["valid"] > 100
    assert (
        metadata["raw_images"]["referenced"] == metadata["raw_images"]["valid"] + metadata["raw_images"]["quarantined"]
    )


def test_rematerializing_gives_identical_output_and_no_duplicates(lake):
    run(lake)
    zones = ("cleansed/", "quarantine/", "landing/")
    first = {key: lake.read_bytes(key) for zone in zones for key in lake.list_keys(zone)}
    run(lake)
    second = {key: lake.read_bytes(key) for zone in zones for key in lake.list_keys(zone)}
    assert first == second


def test_pushed_landing_files_with_bad_records_and_images(lake):
    good_image, extension = render_image("negative", __import__("random").Random(0))
    good_key = landing_image_key("a" * 64, extension)
    lake.write_bytes(good_key, good_image)
    lake.write_bytes(landing_image_key("b" * 64, "jpg"), good_image[:200])
    lake.write_bytes(landing_image_key("c" * 64, "png"), decompression_bomb_png())
    base = {"author_id": "u1", "created_at": "2026-11-20T13:10:00Z", "lang": "en"}
    records = [
        dict(base, id="p1", text="rainy day :(", media=[{"path": good_key}]),
        dict(base, id="p2", text="half a picture", media=[{"path": landing_image_key("b" * 64, "jpg")}]),
        dict(base, id="p3", text="huge picture", media=[{"path": landing_image_key("c" * 64, "png")}]),
        dict(base, id="p4", text="gone picture", media=[{"path": landing_image_key("d" * 64, "jpg")}]),
        dict(base, id="p5", text=None),
    ]
    body = b"\n".join(orjson.dumps(r) for r in records) + b'\n{"id": "p6", "te\n'
    lake.write_bytes("landing/posts/2026/11/20/13/pushed-1.jsonl", body)
    metadata = run(lake, LandingSource())
    assert metadata["cleaned_posts"]["cleaned"] == 4
    rejected = [
        orjson.loads(line) for line in lake.read_bytes(quarantine_prefix("posts", HOUR) + "rejected.jsonl").splitlines()
    ]
    assert [(r["line_no"], r["reason"], r["source_file"]) for r in rejected] == [
        (5, "missing_field:text", "landing/posts/2026/11/20/13/pushed-1.jsonl"),
        (6, "invalid_json", "landing/posts/2026/11/20/13/pushed-1.jsonl"),
    ]
    images = {
        r["image_key"][15:16]: r["reason"]
        for r in (
            orjson.loads(line)
            for line in lake.read_bytes(quarantine_prefix("images", HOUR) + "rejected.jsonl").splitlines()
        )
    }
    assert images == {"b": "corrupt:OSError", "c": "decompression_bomb", "d": "missing_file"}
    assert lake.list_keys(quarantine_prefix("images", HOUR) + "files/") == [
        quarantine_prefix("images", HOUR) + f"files/{'b' * 64}.jpg",
        quarantine_prefix("images", HOUR) + f"files/{'c' * 64}.png",
    ]
    assert read_parquet(lake, dataset_key("raw_images", HOUR))["image_key"].to_list() == [good_key]
    assert metadata["raw_posts"]["files"] == 1


def test_an_empty_hour_materializes_empty_tables(lake):
    metadata = run(lake, LandingSource())
    assert metadata["cleaned_posts"]["records_in"] == 0
    assert read_parquet(lake, dataset_key("cleaned_posts", HOUR)).height == 0


def test_the_graph_runs_on_the_s3_lake(s3_lake):
    metadata = run(s3_lake)
    posts = read_parquet(s3_lake, dataset_key("cleaned_posts", HOUR))
    assert posts.height == metadata["cleaned_posts"]["cleaned"] > 800
    assert s3_lake.list_keys(quarantine_prefix("posts", HOUR))
    assert metadata["cleaned_posts"]["path"].startswith("s3://")


def test_hostile_media_references_are_quarantined_as_invalid_key_and_never_read(lake, tmp_path):
    from pathlib import Path

    secret = tmp_path / "host-secret.jpg"
    good_image, extension = render_image("positive", __import__("random").Random(2))
    secret.write_bytes(good_image)  # a valid image, so only the key can stop it
    images = Path(lake.root) / "landing" / "images"
    images.mkdir(parents=True)
    (images / "link.jpg").symlink_to(secret)
    (images / "folder.jpg").mkdir()
    depth = len(Path(lake.root).resolve().parts)
    hostile = {
        "dots": "landing/images/" + "../" * depth + str(secret.resolve()).lstrip("/"),
        "absolute": str(secret.resolve()),
        "nul": "landing/images/a\u0000.jpg",
        "long": "landing/images/" + "a" * 300 + ".jpg",
        "link": "landing/images/link.jpg",
        "folder": "landing/images/folder.jpg",
        "nested": "landing/images/x/../../../cleansed/posts/part-0.parquet",
    }
    base = {"author_id": "u1", "created_at": "2026-11-20T13:10:00Z", "lang": "en", "text": "look"}
    records = [dict(base, id=name, media=[{"path": key}]) for name, key in hostile.items()]
    records.append(dict(base, id="fine", text="fine picture", media=[{"path": landing_image_key("e" * 64, extension)}]))
    lake.write_bytes(landing_image_key("e" * 64, extension), good_image)
    lake.write_bytes("landing/posts/2026/11/20/13/pushed.jsonl", b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    metadata = run(lake, LandingSource())
    rejected = [
        orjson.loads(line)
        for line in lake.read_bytes(quarantine_prefix("images", HOUR) + "rejected.jsonl").splitlines()
    ]
    assert {r["post_ids"][0]: r["reason"] for r in rejected} == dict.fromkeys(hostile, "invalid_key")
    assert metadata["raw_images"]["valid"] == 1 and metadata["raw_images"]["quarantined_invalid_key"] == len(hostile)
    # Nothing was copied out of the host into the lake.
    assert lake.list_keys(quarantine_prefix("images", HOUR) + "files/") == []
    assert metadata["cleaned_posts"]["cleaned"] == len(records)


class FlakySource(MockNetworkSource):
    """The mock network behind a connection that drops the first call of the process."""

    def prepare_hour(self, storage, hour):
        calls = FLAKY_CALLS.setdefault(hour, 0)
        FLAKY_CALLS[hour] = calls + 1
        if calls == 0:
            raise ConnectionError("connection reset by peer")
        return super().prepare_hour(storage, hour)


FLAKY_CALLS: dict = {}


def test_a_dropped_connection_is_retried_with_backoff_and_the_hour_lands(lake):
    from dagster import Backoff

    assert landed_batches.op.retry_policy.backoff == Backoff.EXPONENTIAL
    assert raw_images.op.retry_policy.max_retries == 3
    result = materialize(
        [landed_batches], partition_key=PARTITION, resources={"storage": lake, "source": FlakySource(posts_per_hour=50)}
    )
    assert result.success and FLAKY_CALLS[HOUR] == 2
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == 1
    assert lake.list_keys("landing/posts/")


def test_oversized_files_are_quarantined_without_being_read_or_copied(lake, monkeypatch):
    import os

    import psutil

    from sentiment_platform.defs.ingestion import raw_data

    big = 300 * 1024 * 1024
    base = {"author_id": "u1", "created_at": "2026-11-20T13:10:00Z", "lang": "en", "text": "look"}
    records = []
    for index in range(6):  # six 300 MiB files (sparse on disk): today's code held 2 GB at once
        key = landing_image_key(f"{index}" * 64, "jpg")
        lake.write_bytes(key, b"\xff\xd8\xff" + bytes([index]) * 1000)
        with open(lake.uri(key), "r+b") as handle:
            handle.truncate(big)
        records.append(dict(base, id=f"big{index}", media=[{"path": key}]))
    # Three small corrupt files, with a copy budget that fits two of them.
    monkeypatch.setattr(raw_data, "QUARANTINE_COPY_BYTES", 250)
    for index in range(3):
        key = landing_image_key(f"{'abc'[index]}" * 64, "png")
        lake.write_bytes(key, b"\x89PNG" + b"x" * 96)
        records.append(dict(base, id=f"bad{index}", media=[{"path": key}]))
    lake.write_bytes("landing/posts/2026/11/20/13/pushed.jsonl", b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    process = psutil.Process()
    before = process.memory_info().rss
    metadata = run(lake, LandingSource(), assets=[landed_batches, raw_images])
    assert process.memory_info().rss - before < 200 * 1024 * 1024
    rejected = {
        r["post_ids"][0]: r
        for r in map(orjson.loads, lake.read_bytes(quarantine_prefix("images", HOUR) + "rejected.jsonl").splitlines())
    }
    for index in range(6):
        record = rejected[f"big{index}"]
        assert record["reason"] == "file_too_large" and record["bytes"] == big
        assert record["head_bytes"] == raw_data.QUARANTINE_HEAD_BYTES and len(record["head_sha256"]) == 64
    assert [rejected[f"bad{i}"]["copied"] for i in range(3)] == [True, True, False]
    copies = lake.list_keys(quarantine_prefix("images", HOUR) + "files/")
    assert len(copies) == 2 and sum(os.path.getsize(lake.uri(key)) for key in copies) == 200
    assert metadata["raw_images"]["quarantined_file_too_large"] == 6
