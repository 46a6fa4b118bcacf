"""The command line's arguments (the standard library only, so `--help` answers at once): one
small function per command; each command's name is what ``main`` dispatches on."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime


def instant(text: str) -> datetime:
    """An ISO-8601 time from the command line (``Z`` or an offset; naive is UTC)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


#: The Dagster instance folder when neither --dagster-home nor DAGSTER_HOME names one.
DEFAULT_DAGSTER_HOME = "data/dagster_home"


def _lake(parser, note: str = "") -> None:
    """``--lake`` and ``--endpoint-url``."""
    parser.add_argument("--lake", help=f"{note}lake root: a folder or s3://bucket/prefix (default data/lake)")
    parser.add_argument("--endpoint-url", help=f"{note}S3-compatible endpoint URL")


def _dagster_home(parser, note: str = "") -> None:
    parser.add_argument(
        "--dagster-home",
        default=os.environ.get("DAGSTER_HOME", DEFAULT_DAGSTER_HOME),
        help=f"{note}Dagster instance folder that keeps the runs (default: DAGSTER_HOME, else {DEFAULT_DAGSTER_HOME})",
    )


def _demo(commands) -> None:
    demo = commands.add_parser("demo", help="land the last hours of mock data and materialize the asset graph")
    demo.add_argument("--hours", type=int, default=6, help="how many past hours (default 6)")
    demo.add_argument(
        "--until",
        type=instant,
        help="ISO time the hours end before (default now): the complete hours before it are materialized",
    )
    _lake(demo)
    _dagster_home(demo)


def _mockfeed(commands) -> None:
    feed = commands.add_parser("mockfeed", help="run the mock social network as a firehose into the landing zone")
    feed.add_argument("--interval", type=float, default=5.0, help="seconds between batches (default 5)")
    feed.add_argument("--rate", type=float, default=None, help="mean posts per minute (default 20)")
    feed.add_argument("--seed", type=int, help="the mock network's seed (default: its configuration's)")
    _lake(feed)
    feed.add_argument(
        "--since",
        type=float,
        default=0.0,
        help="first batch also lands what was sent in the last N minutes (default 0)",
    )
    feed.add_argument("--max-batches", type=int, default=None, help="stop after this many batches")
    feed.add_argument(
        "--serve",
        choices=("x-api", "bluesky"),
        help="instead, serve the network on 127.0.0.1 in a network's wire format: x-api (the X API v2 "
        "recent search) or bluesky (a Jetstream WebSocket of the last --hours hours' posts)",
    )
    feed.add_argument("--port", type=int, default=8700, help="port of --serve (default 8700)")
    feed.add_argument("--hours", type=int, default=2, help="--serve bluesky: hours of posts it holds (default 2)")


def _stream(commands) -> None:
    stream = commands.add_parser("stream", help="listen to a live network and land its posts every few seconds")
    stream.add_argument("--source", choices=("bluesky",), required=True, help="the network")
    stream.add_argument("--url", help="bluesky: the Jetstream subscribe URL (default: Bluesky's public Jetstream)")
    stream.add_argument(
        "--topics",
        help="topic rules, topic=term|#hashtag;topic=... (default: SENTIMENT_TOPIC_RULES, else one rule per "
        "topic of the mock network, matching its name)",
    )
    stream.add_argument("--batch-seconds", type=float, default=5.0, help="seconds between landed batches (default 5)")
    stream.add_argument("--max-batches", type=int, default=None, help="stop after this many batches")
    _lake(stream)


def _backfill(commands) -> None:
    backfill = commands.add_parser(
        "backfill",
        help="backfill a range of hours: submitted to the instance's daemon (shown in the UI), or --in-process",
    )
    backfill.add_argument("--start", help="first hour: a partition key (2026-11-20-00:00) or ISO time")
    backfill.add_argument("--end", help="last hour, inclusive")
    backfill.add_argument("--assets", help="comma-separated partitioned assets (default: every hourly and daily asset)")
    backfill.add_argument("--resume", metavar="ID", help="submit what a failed or canceled backfill left undone")
    backfill.add_argument("--detach", action="store_true", help="submit and return without following it")
    backfill.add_argument(
        "--in-process",
        action="store_true",
        help="no daemon: run each hour's hourly assets in this process, one run per hour",
    )
    backfill.add_argument(
        "--id", help="--in-process: the id to resume under (default: derived from the range and assets)"
    )
    # A daemon's runs use its code location's settings: the lake options are for --in-process.
    _lake(backfill, "--in-process: ")
    _dagster_home(backfill)


def _import(commands) -> None:
    parser = commands.add_parser(
        "import",
        help="land archives of posts (csv, jsonl or a network's native JSON), of any year, in the landing zone",
        description="Land archives of posts in the landing zone, per hour, under names derived from their content "
        "(importing a file twice changes nothing). Rows that cannot be mapped go to the quarantine with their line "
        "and reason. Prints what landed per day and the backfill command that processes it.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files to import (gzip and zstd are read as streams)")
    parser.add_argument(
        "--format", required=True, help="csv, jsonl (both with --map), x-v2, bluesky, mastodon, reddit or rss"
    )
    parser.add_argument(
        "--map",
        help="csv / jsonl: FIELD=COLUMN pairs, comma-separated: text and created_at required; id, author_id, "
        "topic, lang, in_reply_to_id, retweet_of_id, like_count, repost_count, reply_count, handle, name, "
        "followers_count optional; jsonl keys may be dotted (user.id)",
    )
    parser.add_argument(
        "--time-format", help="strptime format of created_at (default: ISO 8601, or seconds since the epoch)"
    )
    parser.add_argument("--timezone", default="UTC", help="IANA time zone of times without an offset (default UTC)")
    parser.add_argument("--topic", help="the topic of every post that has none (a file about one topic)")
    parser.add_argument("--source", default="import", help="csv / jsonl: the posts' source (default import)")
    parser.add_argument("--backfill", action="store_true", help="then submit the backfill that processes it")
    _lake(parser)
    _dagster_home(parser, "--backfill: ")


def _check_landing(commands) -> None:
    check = commands.add_parser(
        "check-landing",
        help="check a landing file against the landing contract, with the rules cleansing applies",
    )
    check.add_argument("file", help="a JSON-lines landing batch")
    check.add_argument(
        "--dataset",
        choices=["posts", "users", "interactions"],
        help="its dataset (default: from its path, landing/<dataset>/YYYY/MM/DD/HH/)",
    )
    check.add_argument("--limit", type=int, default=50, help="problems listed at most (default 50)")


def _api(commands) -> None:
    api = commands.add_parser("api", help="serve the read-only REST API over the warehouse")
    api.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    api.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    api.add_argument("--warehouse", help="DuckDB file (default data/warehouse.duckdb)")
    api.add_argument("--workers", type=int, default=2, help="server processes (default 2: one per core here)")


def build_parser() -> argparse.ArgumentParser:
    """Every command and its options."""
    from importlib.metadata import version

    parser = argparse.ArgumentParser(
        prog="sentiment-platform",
        description="The sentiment platform: the demo, imports of archives, backfills, the API and the mock network.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('sentiment_platform')}")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_demo, _mockfeed, _stream, _backfill, _import, _check_landing, _api):
        add(commands)
    return parser
