"""Group ``ingestion``: what the sources landed for each hour, as received, and its images."""

import hashlib
import re
from collections import Counter
from datetime import datetime

import orjson
import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    multi_asset,
)

from sentiment_platform.defs.hourly_runs import HourlyRun, hourly_asset
from sentiment_platform.defs.ingestion.hourly_pull import RATE_LIMITED_TOPICS
from sentiment_platform.defs.retries import NETWORK_RETRY
from sentiment_platform.lib.cleansing.cleaning import POST_SCHEMA
from sentiment_platform.lib.cleansing.image_validation import ImageRules, validate_image
from sentiment_platform.lib.cleansing.records import parse_records, split_lines
from sentiment_platform.lib.lake_layout import (
    InvalidLakeKey,
    LakeObject,
    check_key,
    dataset_key,
    landing_prefix,
    quarantine_prefix,
)
from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.lib.landing_scan import (
    LANDING_DIGEST,
    hour_batches,
    hour_digest,
)
from sentiment_platform.partitions import hourly_partitions, single_run
from sentiment_platform.resources.post_sources import PostSource
from sentiment_platform.sources.http_client import url_problem

LANDED_ASSETS = {"raw_posts": "posts", "raw_users": "users", "raw_interactions": "interactions"}


def landed_objects(storage: LakeStore, dataset: str, hour: datetime) -> list[LakeObject]:
    """The landed JSON-lines batches of ``dataset`` for ``hour``, in key order: the same set the
    landing sensor watches."""
    return hour_batches(storage, dataset, hour)[0]


def read_landing(storage: LakeStore, dataset: str, hour: datetime) -> list[tuple[str, bytes]]:
    """The landed batches of ``dataset`` for ``hour``, as ``(key, bytes)`` in key order."""
    objects = landed_objects(storage, dataset, hour)
    return [(obj.key, storage.read_bytes(obj.key)) for obj in objects]


@multi_asset(
    specs=[
        AssetSpec(
            name,
            description=f"The hour's landed {dataset} batches (JSON lines, as received).",
            group_name="ingestion",
            partitions_def=hourly_partitions,
            kinds={"json"},
        )
        for name, dataset in LANDED_ASSETS.items()
    ],
    can_subset=False,
    backfill_policy=single_run,
    retry_policy=NETWORK_RETRY,
)
def landed_batches(context: AssetExecutionContext, storage: ResourceParam[LakeStore], source: PostSource):
    """Land each hour of the run from a pull source (if one is configured), then describe what is
    in landing. A retry lands every hour again; landing an hour is idempotent."""
    run = HourlyRun.of(context, storage)
    per_asset: dict[str, dict[datetime, dict]] = {name: {} for name in LANDED_ASSETS}
    for hour in run.hours:
        landed = source.prepare_hour(storage, hour)
        if landed:
            context.log.info(f"{hour:%Y-%m-%d %H:00}: pulled {landed} from {type(source).__name__}")
            for problem in [*landed.get("failed_topics", []), *landed.get(RATE_LIMITED_TOPICS, [])]:
                context.log.warning(f"{hour:%Y-%m-%d %H:00}: {problem}")
        for name, metadata in describe_landing(context, storage, hour, landed).items():
            per_asset[name][hour] = metadata
    for name, per_hour in per_asset.items():
        run.stamp(per_hour, asset_key=name)
        yield MaterializeResult(asset_key=name, metadata=run.metadata())


def describe_landing(
    context: AssetExecutionContext, storage: LakeStore, hour: datetime, landed: dict[str, int]
) -> dict[str, dict]:
    """Per landed asset, the metadata of ``hour``'s batches, with the digest the landing sensor
    compares with (an hour whose landing is unchanged is not run again)."""
    listed = {dataset: hour_batches(storage, dataset, hour) for dataset in LANDED_ASSETS.values()}
    digest = hour_digest([obj for batches, _ in listed.values() for obj in batches])
    described = {}
    for name, dataset in LANDED_ASSETS.items():
        batches, ignored = listed[dataset]
        files = [(obj.key, storage.read_bytes(obj.key)) for obj in batches]
        if ignored:
            context.log.warning(
                f"{len(ignored)} objects under {landing_prefix(dataset, hour)} are not batches, ignored"
            )
        described[name] = {
            "files": len(files),
            "ignored_objects": len(ignored),
            "records": split_lines(files).height,
            "bytes": sum(len(data) for _, data in files),
            "prefix": MetadataValue.path(storage.uri(landing_prefix(dataset, hour))),
            LANDING_DIGEST: digest,
            **(
                {"pulled": MetadataValue.json(landed), RATE_LIMITED_TOPICS: len(landed.get(RATE_LIMITED_TOPICS, []))}
                if landed and name == "raw_posts"
                else {}
            ),
        }
    return described


#: Where landed images live; a post may reference nothing else.
LANDING_IMAGES = "landing/images/"


_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def image_key_problem(image_key: str) -> str | None:
    """Why a post's media reference cannot be read, or None if it may be: ``invalid_url`` (a URL
    that is not http(s), never opened by any source), ``not_downloaded`` (an http(s) URL the source
    could not fetch: the pull's metadata says why), ``invalid_key`` (not a well-formed key inside
    the lake), ``outside_landing_zone`` (a key of another zone)."""
    if _URL_SCHEME.match(image_key):
        return url_problem(image_key) or "not_downloaded"
    try:
        check_key(image_key)
    except InvalidLakeKey:
        return "invalid_key"
    return (
        None
        if image_key.startswith(LANDING_IMAGES) and "/" not in image_key[len(LANDING_IMAGES) :]
        else "outside_landing_zone"
    )


#: Of a file too large to read, quarantine keeps the digest of this many first bytes.
QUARANTINE_HEAD_BYTES = 64 * 1024
#: Rejected files copied into one hour's quarantine, at most (bytes); the rest keep a record and a digest.
QUARANTINE_COPY_BYTES = 64 * 1024 * 1024

IMAGE_MANIFEST_SCHEMA = {
    "image_key": pl.String,
    "post_ids": pl.List(pl.String),
    "format": pl.String,
    "width": pl.Int64,
    "height": pl.Int64,
    "bytes": pl.Int64,
}


@hourly_asset(
    retry_policy=NETWORK_RETRY,
    deps=["raw_posts"],
    group_name="ingestion",
    kinds={"parquet", "pillow"},
    automation_condition=None,
)
def raw_images(context: AssetExecutionContext, storage: ResourceParam[LakeStore]) -> MaterializeResult:
    """The images referenced by each hour's posts, validated with Pillow.

    Valid images are listed in a manifest (cleansed zone); missing, corrupt, truncated, unsupported
    or decompression-bomb files are quarantined with the reason (and copied, up to
    ``QUARANTINE_COPY_BYTES`` an hour); a file over the size limit is never read, only recorded with
    its size and the digest of its first bytes.
    """
    run = HourlyRun.of(context, storage)
    run.stamp({hour: validate_hour_images(storage, hour) for hour in run.hours})
    return MaterializeResult(metadata=run.metadata())


def image_references(storage: LakeStore, hour: datetime) -> pl.DataFrame:
    """The distinct media keys of ``hour``'s landed posts, each with the posts that carry it."""
    records, _ = parse_records(split_lines(read_landing(storage, "posts", hour)), POST_SCHEMA)
    return (
        records.select(pl.col("id").alias("post_id"), pl.col("media").fill_null([]))
        .explode("media")
        .filter(pl.col("media").is_not_null())
        .select("post_id", pl.col("media").struct.field("path").alias("image_key"))
        .filter(pl.col("image_key").is_not_null())
        .group_by("image_key")
        .agg(pl.col("post_id").unique().sort().alias("post_ids"))
        .sort("image_key")
    )


def read_image(storage: LakeStore, image_key: str, rules: ImageRules) -> tuple[bytes, str | None, dict]:
    """The bytes of a referenced image, or why it cannot be read (with what quarantine keeps of it)."""
    reason = image_key_problem(image_key)
    if reason is not None:
        return b"", reason, {}
    try:
        size = storage.object_size(image_key)
        # Too large to score: never loaded; quarantine keeps a record and a digest of its head.
        if size > rules.max_bytes:
            head = storage.read_head(image_key, QUARANTINE_HEAD_BYTES)
            return (
                b"",
                "file_too_large",
                {"bytes": size, "head_bytes": len(head), "head_sha256": hashlib.sha256(head).hexdigest()},
            )
        return storage.read_bytes(image_key), None, {}
    except InvalidLakeKey:  # a symlink out of the lake, a folder
        return b"", "invalid_key", {}
    except FileNotFoundError:
        return b"", "missing_file", {}
    except OSError as error:
        return b"", f"unreadable:{type(error).__name__}", {}


def validate_hour_images(storage: LakeStore, hour: datetime) -> dict:
    """Validate the images of ``hour``'s posts; write its manifest and quarantine; returns its metadata."""
    references = image_references(storage, hour)
    rules = ImageRules()
    valid, rejected, quarantine_files = [], [], {}
    copied = 0  # bytes of rejected files copied into quarantine this hour
    for image_key, post_ids in references.iter_rows():
        data, reason, kept = read_image(storage, image_key, rules)
        record: dict = {"image_key": image_key, "post_ids": post_ids, **kept}
        if reason is not None:
            rejected.append(record | {"reason": reason})
            continue
        check = validate_image(data, rules)
        if check.ok:
            valid.append(
                record | {"format": check.format, "width": check.width, "height": check.height, "bytes": len(data)}
            )
            continue
        record |= {"reason": check.reason, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        # Copies of bad files (for a person to look at) are kept while the hour's copy budget lasts.
        keep = copied + len(data) <= QUARANTINE_COPY_BYTES
        if keep:
            quarantine_files[f"files/{image_key.rsplit('/', 1)[1]}"] = data
            copied += len(data)
        rejected.append(record | {"copied": keep})

    manifest = pl.DataFrame(valid, schema=IMAGE_MANIFEST_SCHEMA)
    storage.write_parquet(dataset_key("raw_images", hour), manifest)
    if rejected:
        quarantine_files["rejected.jsonl"] = b"".join(orjson.dumps(item) + b"\n" for item in rejected)
    storage.replace_prefix(quarantine_prefix("images", hour), quarantine_files)

    reasons = Counter(item["reason"].split(":")[0] for item in rejected)
    return {
        "referenced": references.height,
        "valid": manifest.height,
        "quarantined": len(rejected),
        **{f"quarantined_{reason}": count for reason, count in sorted(reasons.items())},
        "manifest": MetadataValue.path(storage.uri(dataset_key("raw_images", hour))),
    }
