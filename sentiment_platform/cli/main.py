"""The ``sentiment-platform`` command: the demo, imports, backfills, the API and the mock network."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Only the standard library at import time, so `--help` answers at once: each command imports
# what it needs (Dagster, the settings, the models) when it runs.


def _environment(args: argparse.Namespace) -> dict[str, str]:
    """The deployment's environment with the command-line options laid over it."""
    from sentiment_platform import settings

    env = dict(os.environ)
    if getattr(args, "lake", None):
        env[settings.LAKE_ROOT] = args.lake
    if getattr(args, "endpoint_url", None):
        env[settings.S3_ENDPOINT_URL] = args.endpoint_url
    return env


def _instant(text: str) -> datetime:
    """An ISO-8601 time from the command line (``Z`` or an offset; naive is UTC)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cmd_demo(args: argparse.Namespace) -> int:
    from sentiment_platform import settings
    from sentiment_platform.cli.demo import instance_for, run_demo
    from sentiment_platform.cli.progress import console, progress_bar
    from sentiment_platform.definitions import build_definitions

    env = _environment(args)
    env.setdefault(settings.SOURCE_KIND, "mockfeed")
    resources = settings.build_resources(env, as_env_vars=False)
    defs = build_definitions(resources)
    dagster_home = Path(args.dagster_home)
    instance = instance_for(dagster_home)
    with progress_bar("materializing") as update:
        now = args.until or resources["clock"].now()
        report = run_demo(
            defs,
            args.hours,
            instance,
            now=now,
            on_partition=lambda key, done, total: update(done, total, f"materializing {key}"),
        )
        update(len(report.partitions), len(report.partitions), "done")

    storage = resources["storage"]
    totals: dict[str, int] = {}
    for assets in report.materializations.values():
        for name in ("cleaned_posts", "raw_images"):
            for field in ("cleaned", "duplicates", "quarantined", "valid"):
                value = assets.get(name, {}).get(field)
                if isinstance(value, int):
                    totals[f"{name}.{field}"] = totals.get(f"{name}.{field}", 0) + value
    console.print(
        f"\n[bold green]Materialized {args.hours} hourly partition{'s' if args.hours > 1 else ''}[/] "
        f"({report.partitions[0]} .. {report.partitions[args.hours - 1]}), the daily rollups and the report"
    )
    for name, value in totals.items():
        console.print(f"  {name}: {value}")
    console.print(f"\nOutputs under [bold]{storage.uri('')}[/]: landing/, cleansed/, analytics/, quarantine/")
    console.print(
        f"Warehouse: [bold]{resources['warehouse'].database}[/]; "
        "report: [bold]data/reports/sentiment_report/index.html[/]"
    )
    console.print("Open the Dagster UI with:", highlight=False)
    console.print(f"  {ui_command(dagster_home, env)}", highlight=False, soft_wrap=True, markup=False)
    console.print("then browse http://127.0.0.1:3000 (Assets > asset graph)", highlight=False)
    api = Path(sys.executable).with_name("sentiment-platform")
    console.print("Serve the REST API and the live dashboard with:", highlight=False)
    console.print(f"  {shlex.quote(str(api))} api", highlight=False, soft_wrap=True, markup=False)
    console.print("then browse http://127.0.0.1:8000/dashboard (the API's docs: /docs)", highlight=False)
    return 0


def ui_command(dagster_home: Path, env: dict[str, str]) -> str:
    """The command that opens this instance and lake in the Dagster UI, runnable as printed: the
    venv's ``dagster`` by its path, the settings the options changed as variables."""
    from sentiment_platform import settings

    variables = {"DAGSTER_HOME": str(dagster_home.resolve())}
    for name in (settings.LAKE_ROOT, settings.S3_ENDPOINT_URL, settings.SOURCE_KIND):
        if env.get(name) and env.get(name) != os.environ.get(name):
            variables[name] = env[name]
    dagster = Path(sys.executable).with_name("dagster")
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in variables.items())
    return f"{assignments} {shlex.quote(str(dagster))} dev -m sentiment_platform.definitions"


def _mock_config(args: argparse.Namespace):
    from sentiment_platform.sources.mock_network import MockFeedConfig

    return MockFeedConfig() if args.seed is None else MockFeedConfig(seed=args.seed)


def cmd_mockfeed(args: argparse.Namespace) -> int:
    from sentiment_platform import settings
    from sentiment_platform.cli.progress import console
    from sentiment_platform.sources.mock_network import run_firehose

    if args.serve_x_api:
        from sentiment_platform.sources.mock_network.x_api_server import MockXApiServer

        server = MockXApiServer(_mock_config(args), port=args.port, bearer_token=os.environ.get("X_BEARER_TOKEN"))
        console.print(f"mock X API v2 at {server.url}/2/tweets/search/recent (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        return 0
    storage = settings.Settings(_environment(args), as_env_vars=False).storage()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    config = _mock_config(args)
    if args.since < 0:
        raise SystemExit(_usage_error("--since must not be negative"))

    def on_batch(start, end, counts) -> None:
        console.print(f"{end:%H:%M:%S} landed " + ", ".join(f"{k}={v}" for k, v in counts.items()))

    console.print(f"mock feed writing to {storage.uri('landing/')} every {args.interval}s (Ctrl-C stops)")
    run_firehose(
        storage,
        interval=args.interval,
        rate=args.rate,
        config=config,
        stop=stop,
        max_batches=args.max_batches,
        on_batch=on_batch,
        catch_up=timedelta(minutes=args.since),
    )
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    import uvicorn

    from sentiment_platform import settings
    from sentiment_platform.cli.progress import console

    env = _environment(args)
    if args.warehouse:
        env[settings.WAREHOUSE_PATH] = args.warehouse
    os.environ.update(env)  # the workers build their app from it (see api.server)
    warehouse = settings.build_resources(env, as_env_vars=False)["warehouse"]
    console.print(
        f"serving {warehouse.database} read-only on http://{args.host}:{args.port} with {args.workers} "
        "worker(s) (dashboard at /dashboard, docs at /docs)"
    )
    uvicorn.run(
        "sentiment_platform.api.server:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from sentiment_platform import settings
    from sentiment_platform.cli.demo import instance_for
    from sentiment_platform.definitions import build_definitions

    if args.resume is None and (args.start is None or args.end is None):
        raise SystemExit(_usage_error("backfill needs --start and --end (or --resume ID)"))
    if args.in_process and args.resume:
        raise SystemExit(
            _usage_error("--resume continues a daemon backfill; an --in-process one resumes by re-running")
        )
    defs = build_definitions(settings.build_resources(_environment(args), as_env_vars=False))
    instance = instance_for(Path(args.dagster_home))
    if args.in_process:
        return _backfill_in_process(args, defs, instance)
    return _backfill_on_daemon(args, defs, instance)


def _assets(args: argparse.Namespace) -> list[str] | None:
    """The ``--assets`` names, or None for every asset."""
    return [name.strip() for name in args.assets.split(",")] if args.assets else None


def _usage_error(message: str) -> int:
    print(f"sentiment-platform: error: {message}", file=sys.stderr)
    return 2


def _backfill_on_daemon(args: argparse.Namespace, defs, instance) -> int:
    from sentiment_platform.cli.backfill import (
        daemon_is_running,
        follow_backfill,
        partition_range,
        resume_backfill,
        submit_backfill,
    )
    from sentiment_platform.cli.progress import console, progress_bar

    try:
        if args.resume:
            identifier = resume_backfill(instance, defs, args.resume)
        else:
            identifier = submit_backfill(instance, defs, partition_range(args.start, args.end), _assets(args))
    except ValueError as error:
        raise SystemExit(_usage_error(str(error))) from None
    console.print(f"backfill {identifier} submitted (the UI's Backfills tab shows it)")
    if not daemon_is_running(instance):
        console.print(
            "No daemon is running for this instance: its runs start once `dagster dev` or `dagster-daemon run` "
            "runs with the same DAGSTER_HOME (or use --in-process)."
        )
    if args.detach:
        return 0
    with progress_bar("backfill") as update:
        last = follow_backfill(
            instance,
            defs,
            identifier,
            lambda p: update(p.materialized, p.total, f"{p.status.value.lower()}, {p.failed} failed"),
        )
    console.print(
        f"backfill {identifier}: {last.status.value.lower()}, {last.materialized} of {last.total} asset "
        f"partitions materialized, {last.failed} failed"
    )
    if not last.succeeded:
        console.print(f"Continue it with: sentiment-platform backfill --resume {identifier}")
    return 0 if last.succeeded else 1


def _backfill_in_process(args: argparse.Namespace, defs, instance) -> int:
    from sentiment_platform.cli.backfill import partition_range, run_backfill_in_process
    from sentiment_platform.cli.progress import console, progress_bar

    try:
        partitions = partition_range(args.start, args.end)
    except ValueError as error:
        raise SystemExit(_usage_error(str(error))) from None
    with progress_bar("backfill", len(partitions)) as update:
        report = run_backfill_in_process(
            defs,
            instance,
            partitions,
            _assets(args),
            args.id,
            lambda key, done, total, status: update(done, total, f"{key}: {status}"),
        )
    console.print(
        f"backfill {report.backfill_id}: {len(report.succeeded)} ran, {len(report.skipped)} already done, "
        f"{len(report.failed)} failed" + (f" ({', '.join(report.failed)})" if report.failed else "")
    )
    if report.failed:
        console.print("Re-run the same command to retry the failed partitions; finished ones are skipped.")
    return 1 if report.failed else 0


def cmd_import(args: argparse.Namespace) -> int:
    from sentiment_platform import settings
    from sentiment_platform.cli.archive_import import cmd_import as run_import

    env = _environment(args)
    storage = settings.Settings(env, as_env_vars=False).storage()  # only the lake: no models loaded
    try:
        return run_import(args, storage, env)
    except ValueError as error:
        raise SystemExit(_usage_error(str(error))) from None


def cmd_check_landing(args: argparse.Namespace) -> int:
    from sentiment_platform.lib.cleansing.landing_contract import check_landing_file

    try:
        result = check_landing_file(Path(args.file), args.dataset)
    except ValueError as error:
        raise SystemExit(_usage_error(str(error))) from None
    # Plain lines (FILE:LINE: reason), as compilers write them: editors and grep read them.
    for problem in result.problems[: args.limit]:
        print(f"{args.file}:{problem.line_no}: {problem.reason}")
    if len(result.problems) > args.limit:
        print(f"... and {len(result.problems) - args.limit} more")
    print(result.summary())
    return 1 if result.problems else 0


def _add_import_parser(commands) -> None:
    parser = commands.add_parser(
        "import",
        help="land archives of posts (csv, jsonl or a network's native JSON), of any year, in the landing zone",
        description="Land archives of posts in the landing zone, per hour, under names derived from their content "
        "(importing a file twice changes nothing). Rows that cannot be mapped go to the quarantine with their line "
        "and reason. Prints what landed per day and the backfill command that processes it.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files to import (gzip and zstd are read as streams)")
    parser.add_argument(
        "--format", required=True, help="csv, jsonl (both with --map), x-v2, bluesky, mastodon or reddit"
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
    parser.add_argument("--lake", help="lake root: a folder or s3://bucket/prefix (default data/lake)")
    parser.add_argument("--endpoint-url", help="S3-compatible endpoint URL")
    parser.add_argument(
        "--dagster-home",
        default=os.environ.get("DAGSTER_HOME", "data/dagster_home"),
        help="--backfill: the Dagster instance folder (default: DAGSTER_HOME, else data/dagster_home)",
    )
    parser.set_defaults(func=cmd_import)

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
    check.set_defaults(func=cmd_check_landing)


def build_parser() -> argparse.ArgumentParser:
    from importlib.metadata import version

    parser = argparse.ArgumentParser(
        prog="sentiment-platform",
        description="The sentiment platform: the demo, imports of archives, backfills, the API and the mock network.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('sentiment_platform')}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="land the last hours of mock data and materialize the asset graph")
    demo.add_argument("--hours", type=int, default=6, help="how many past hours (default 6)")
    demo.add_argument(
        "--until",
        type=_instant,
        help="ISO time the hours end before (default now): the complete hours before it are materialized",
    )
    demo.add_argument("--lake", help="lake root: a folder or s3://bucket/prefix (default data/lake)")
    demo.add_argument("--endpoint-url", help="S3-compatible endpoint URL")
    demo.add_argument(
        "--dagster-home",
        default=os.environ.get("DAGSTER_HOME", "data/dagster_home"),
        help="Dagster instance folder that keeps the runs (default: DAGSTER_HOME, else data/dagster_home)",
    )
    demo.set_defaults(func=cmd_demo)

    feed = commands.add_parser("mockfeed", help="run the mock social network as a firehose into the landing zone")
    feed.add_argument("--interval", type=float, default=5.0, help="seconds between batches (default 5)")
    feed.add_argument("--rate", type=float, default=None, help="mean posts per minute (default 20)")
    feed.add_argument("--seed", type=int, help="the mock network's seed (default: its configuration's)")
    feed.add_argument("--lake", help="lake root: a folder or s3://bucket/prefix (default data/lake)")
    feed.add_argument("--endpoint-url", help="S3-compatible endpoint URL")
    feed.add_argument(
        "--since",
        type=float,
        default=0.0,
        help="first batch also lands what was sent in the last N minutes (default 0)",
    )
    feed.add_argument("--max-batches", type=int, default=None, help="stop after this many batches")
    feed.add_argument(
        "--serve-x-api",
        action="store_true",
        help="instead, serve the network as the X API v2 recent search on 127.0.0.1",
    )
    feed.add_argument("--port", type=int, default=8700, help="port of --serve-x-api (default 8700)")
    feed.set_defaults(func=cmd_mockfeed)

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
    backfill.add_argument(
        "--lake",
        help="--in-process: lake root, a folder or s3://bucket/prefix (default data/lake; "
        "a daemon's runs use its code location's settings)",
    )
    backfill.add_argument("--endpoint-url", help="--in-process: S3-compatible endpoint URL")
    backfill.add_argument(
        "--dagster-home",
        default=os.environ.get("DAGSTER_HOME", "data/dagster_home"),
        help="Dagster instance folder that keeps the runs (default: DAGSTER_HOME, else data/dagster_home)",
    )
    backfill.set_defaults(func=cmd_backfill)

    _add_import_parser(commands)

    api = commands.add_parser("api", help="serve the read-only REST API over the warehouse")
    api.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    api.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    api.add_argument("--warehouse", help="DuckDB file (default data/warehouse.duckdb)")
    api.add_argument("--workers", type=int, default=2, help="server processes (default 2: one per core here)")
    api.set_defaults(func=cmd_api)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
