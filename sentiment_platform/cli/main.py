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
from datetime import timedelta
from pathlib import Path

from sentiment_platform.cli.arguments import build_parser

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

    storage = resources["storage"].store()
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
    """The command that opens this instance and lake in the Dagster UI, runnable as printed from
    anywhere: ``dg dev`` of the project (its root, the venv's ``dg`` by its path), the settings the
    options changed as variables."""
    from sentiment_platform import settings

    variables = {"DAGSTER_HOME": str(dagster_home.resolve())}
    for name in (settings.LAKE_ROOT, settings.S3_ENDPOINT_URL, settings.SOURCE_KIND):
        if env.get(name) and env.get(name) != os.environ.get(name):
            variables[name] = env[name]
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in variables.items())
    project = Path(__file__).resolve().parents[2]
    if (project / "pyproject.toml").is_file():  # a checkout: the dg project
        dg = shlex.quote(str(Path(sys.executable).with_name("dg")))
        return f"cd {shlex.quote(str(project))} && {assignments} {dg} dev"
    dagster = shlex.quote(str(Path(sys.executable).with_name("dagster")))  # an installed package
    return f"{assignments} {dagster} dev -m sentiment_platform.definitions"


def _mock_config(args: argparse.Namespace):
    from sentiment_platform.sources.mock_network import MockFeedConfig

    return MockFeedConfig() if args.seed is None else MockFeedConfig(seed=args.seed)


def cmd_mockfeed(args: argparse.Namespace) -> int:
    from sentiment_platform import settings
    from sentiment_platform.cli.progress import console
    from sentiment_platform.sources.mock_network import run_firehose

    if args.serve == "bluesky":
        return _serve_jetstream(args)
    if args.serve == "x-api":
        from sentiment_platform.sources.mock_network.x_api_server import MockXApiServer

        server = MockXApiServer(_mock_config(args), port=args.port, bearer_token=os.environ.get("X_BEARER_TOKEN"))
        console.print(f"mock X API v2 at {server.url}/2/tweets/search/recent (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        return 0
    storage = settings.Settings(_environment(args), as_env_vars=False).storage().store()
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
        DAEMON_START_SECONDS,
        follow_backfill,
        partition_range,
        resume_backfill,
        submit_backfill,
        wait_for_daemon,
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
    if not wait_for_daemon(instance, 0 if args.detach else DAEMON_START_SECONDS):
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
    storage = settings.Settings(env, as_env_vars=False).storage().store()  # only the lake: no models loaded
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


#: What each command runs, by its name on the command line.
def _serve_jetstream(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from sentiment_platform.cli.progress import console
    from sentiment_platform.lib.partition_hours import last_complete_hours
    from sentiment_platform.sources.mock_network.jetstream_server import MockJetstream, mock_hour_events

    hours = last_complete_hours(args.hours, datetime.now(UTC))
    events = [event for hour in hours for event in mock_hour_events(hour, _mock_config(args))]
    with MockJetstream(events, port=args.port) as server:
        console.print(f"mock Jetstream at {server.url} ({len(events)} posts; Ctrl-C stops)", highlight=False)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


def cmd_stream(args: argparse.Namespace) -> int:
    from sentiment_platform import settings
    from sentiment_platform.cli.progress import console
    from sentiment_platform.sources.live.jetstream import JETSTREAM_URL, JetstreamListener
    from sentiment_platform.sources.live.topic_rules import TopicRuleError, TopicRules, default_topic_rules

    env = _environment(args)
    try:
        rules = TopicRules.parse(args.topics or env.get(settings.TOPIC_RULES) or default_topic_rules())
    except TopicRuleError as error:
        raise SystemExit(_usage_error(str(error))) from None
    storage = settings.Settings(env, as_env_vars=False).storage().store()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    from sentiment_platform.sources.http_client import HttpClient

    media = HttpClient()
    listener = JetstreamListener(
        storage, rules, url=args.url or JETSTREAM_URL, batch_seconds=args.batch_seconds, media_client=media
    )
    console.print(f"listening to {listener.url} into {storage.uri('landing/posts/')} (Ctrl-C stops)", highlight=False)
    try:
        report = listener.run(stop, max_batches=args.max_batches)
    finally:
        media.close()
    skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(report.skipped.items())) or "none"
    console.print(
        f"{report.events} events, {report.landed} posts landed in {report.batches} batches, "
        f"{report.reconnects} reconnects; skipped: {skipped}",
        highlight=False,
    )
    return 0


COMMANDS = {
    "demo": cmd_demo,
    "mockfeed": cmd_mockfeed,
    "stream": cmd_stream,
    "backfill": cmd_backfill,
    "import": cmd_import,
    "check-landing": cmd_check_landing,
    "api": cmd_api,
}


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
