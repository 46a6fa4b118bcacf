"""``sentiment-platform import``: archives into the landing zone, and the backfill that processes them."""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sentiment_platform.partitions import (
    DEFAULT_PARTITIONS_START,
    PARTITIONS_START,
    PARTITIONS_START_SETTING,
    hour_partition_key,
    hourly_partitions,
    partition_hour,
)
from sentiment_platform.sources.archives.archive_landing import IMPORT_QUARANTINE, ImportReport, import_archives
from sentiment_platform.sources.archives.field_mapping import ImportOptions, TimeReading, parse_mapping
from sentiment_platform.sources.archives.formats import FORMATS, ArchiveError


def options_from(args: argparse.Namespace) -> ImportOptions:
    """The import's options from the command line; raises ``ValueError`` with the option's name."""
    if args.format not in FORMATS:
        raise ValueError(f"--format {args.format!r}: expected one of {', '.join(FORMATS)}")
    archive_format = FORMATS[args.format]
    mapping = parse_mapping(args.map)
    if mapping and not archive_format.mapped:
        raise ValueError(f"--map is for the csv and jsonl formats; {args.format} knows its fields")
    return ImportOptions(
        mapping=mapping,
        time=TimeReading(args.time_format, args.timezone),
        topic=args.topic.strip().lower() if args.topic else None,
        source=args.source,
    )


def backfill_range(report: ImportReport, latest: datetime | None = None) -> tuple[str, str]:
    """The whole days the landed rows fall on, as the first and last hourly partition keys, up to
    the ``latest`` partition (default: the hour in progress; rows dated later wait for theirs)."""
    if latest is None:
        latest = partition_hour(hourly_partitions.get_last_partition_key())
    first = report.first_hour.replace(hour=0)
    last = min(report.last_hour.replace(hour=0) + timedelta(hours=23), latest)
    return hour_partition_key(first), hour_partition_key(last)


def processing_command(report: ImportReport, env: dict[str, str], lake: str | None) -> str:
    """The backfill command that processes what was landed, runnable as printed: the settings it
    (and the daemon's code location) needs as variables before it."""
    from sentiment_platform import settings

    start, end = backfill_range(report)
    variables = {settings.SOURCE_KIND: "landing"}
    if env.get(PARTITIONS_START_SETTING, DEFAULT_PARTITIONS_START) != DEFAULT_PARTITIONS_START:
        variables[PARTITIONS_START_SETTING] = env[PARTITIONS_START_SETTING]
    if lake:
        variables[settings.LAKE_ROOT] = lake
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in variables.items())
    command = Path(sys.executable).with_name("sentiment-platform")  # the venv's, by its path
    return f"{assignments} {shlex.quote(str(command))} backfill --start {start} --end {end}"


def print_report(report: ImportReport, storage, files: int) -> None:
    """What an import landed per day and refused, and where the refused rows are."""
    from sentiment_platform.cli.progress import console

    console.print(
        f"read {report.rows_in} posts from {files} file(s): {report.landed} landed in "
        f"{storage.uri('landing/posts/')}, {report.refused_rows} refused "
        f"({report.objects_written} objects written, {report.objects_unchanged} already there)",
        highlight=False,
    )
    for day, count in sorted(report.landed_per_day.items()):
        console.print(f"  {day:%Y-%m-%d}: {count}", highlight=False)
    if report.refused:
        reasons = ", ".join(f"{reason} {count}" for reason, count in report.refused.most_common())
        console.print(f"refused: {reasons}; each with its line in {storage.uri(IMPORT_QUARANTINE)}", highlight=False)
    if report.refused.get("before_partitions_start"):
        console.print(
            f"{report.refused['before_partitions_start']} rows are before the first partition "
            f"({PARTITIONS_START:%Y-%m-%d}): set {PARTITIONS_START_SETTING} to an earlier ISO date "
            "(here and for the daemon) and import again",
            highlight=False,
        )


def cmd_import(args: argparse.Namespace, storage, env: dict[str, str]) -> int:
    """Land the archives; print what landed per day, what was refused, and the command that goes on."""
    from sentiment_platform.cli.progress import console, progress_bar

    paths = [Path(path) for path in args.paths]
    for path in paths:
        if not path.is_file():
            raise ValueError(f"{path}: not a file")
    options = options_from(args)
    with progress_bar("importing") as update:
        try:
            report = import_archives(
                storage,
                paths,
                FORMATS[args.format],
                options,
                PARTITIONS_START,
                on_batch=lambda r: update(r.rows_in, None, f"{r.landed} landed, {r.refused_rows} refused"),
            )
        except ArchiveError as error:
            raise ValueError(str(error)) from None
    print_report(report, storage, len(paths))
    if not report.landed:
        return 1
    command = processing_command(report, env, getattr(args, "lake", None))
    console.print("Process it with (the daemon of `dg dev` needs the same variables):", highlight=False)
    console.print(f"  {command}", highlight=False, soft_wrap=True, markup=False)
    if args.backfill:
        from sentiment_platform.cli.arguments import build_parser
        from sentiment_platform.cli.main import cmd_backfill

        start, end = backfill_range(report)
        # The backfill command's own arguments, so its defaults stay its own.
        argv = ["backfill", "--start", start, "--end", end, "--dagster-home", args.dagster_home]
        for option in ("lake", "endpoint_url"):
            if getattr(args, option, None):
                argv += [f"--{option.replace('_', '-')}", getattr(args, option)]
        return cmd_backfill(build_parser().parse_args(argv))
    return 0
