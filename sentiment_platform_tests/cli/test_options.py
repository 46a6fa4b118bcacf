"""The command line's options: help on every flag, a version, usage errors without tracebacks,
and the instance folder given on the command line winning over DAGSTER_HOME."""

import argparse

import pytest

from sentiment_platform.cli.main import build_parser, main


def test_every_option_of_every_command_says_what_it_does():
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in commands.choices.items():
        for action in command._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, f"{name} {action.option_strings}"


def test_version_and_usage_errors(capsys):
    with pytest.raises(SystemExit) as version:
        main(["--version"])
    assert version.value.code == 0 and capsys.readouterr().out.startswith("sentiment-platform ")
    with pytest.raises(SystemExit) as usage:
        main(["demo", "--hours", "many"])
    error = capsys.readouterr().err
    assert usage.value.code == 2 and "invalid int value" in error and "Traceback" not in error


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["backfill"], "needs --start and --end"),
        (["backfill", "--start", "2026-11-21-00:00", "--end", "2026-11-20-00:00"], "--end is before --start"),
        (["backfill", "--start", "2026-11-20-00:00", "--end", "2026-11-20-01:00", "--assets", "nope"], "nope"),
        (["backfill", "--resume", "nosuchid"], "no backfill nosuchid"),
    ],
)
def test_backfill_usage_errors_are_one_line_and_exit_2(arguments, message, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # restored afterwards: the command sets it
    with pytest.raises(SystemExit) as usage:
        main([*arguments, "--dagster-home", str(tmp_path / "home"), "--lake", str(tmp_path / "lake")])
    error = capsys.readouterr().err.strip()
    assert usage.value.code == 2 and message in error and len(error.splitlines()) == 1


def test_the_dagster_home_given_wins_over_the_environment(tmp_path, monkeypatch):
    from sentiment_platform.cli.demo import instance_for

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "inherited"))
    instance = instance_for(tmp_path / "given")
    assert instance.root_directory == str((tmp_path / "given").resolve())
    assert "run_retries" in (tmp_path / "given" / "dagster.yaml").read_text()


def test_the_import_prints_a_backfill_of_whole_days_up_to_the_latest_partition():
    from datetime import UTC, datetime

    from sentiment_platform.cli.archive_import import backfill_range, processing_command
    from sentiment_platform.sources.archives.archive_landing import ImportReport

    report = ImportReport()
    report.note_hours([datetime(2015, 2, 16, 15, tzinfo=UTC), datetime(2015, 2, 22, 3, tzinfo=UTC)])
    assert backfill_range(report) == ("2015-02-16-00:00", "2015-02-22-23:00")
    report.note_hours([datetime(2090, 1, 1, tzinfo=UTC)])  # a row dated far ahead waits for its partition
    latest = datetime(2026, 11, 20, 13, tzinfo=UTC)
    assert backfill_range(report, latest) == ("2015-02-16-00:00", "2026-11-20-13:00")
    command = processing_command(report, {"SENTIMENT_PARTITIONS_START": "2015-02-01"}, "s3://bucket/lake")
    assert command.startswith(
        "SENTIMENT_SOURCE=landing SENTIMENT_PARTITIONS_START=2015-02-01 SENTIMENT_LAKE_ROOT=s3://bucket/lake "
    )
    assert "sentiment-platform backfill --start 2015-02-16-00:00" in command
    assert "SENTIMENT_PARTITIONS_START" not in processing_command(report, {}, None)


def test_import_usage_errors_name_the_option(tmp_path, capsys):
    archive = tmp_path / "a.csv"
    archive.write_text("text,when\nhello,2026-03-01T10:00:00Z\n")
    lake = ["--lake", str(tmp_path / "lake")]
    cases = [
        (["import", str(tmp_path / "missing.csv"), "--format", "csv"], "missing.csv: not a file"),
        (["import", str(archive), "--format", "parquet"], "--format 'parquet': expected one of csv, jsonl, x-v2"),
        (["import", str(archive), "--format", "reddit", "--map", "text=text"], "--map is for the csv and jsonl"),
        (["import", str(archive), "--format", "csv", "--map", "text=body,created_at=when"], "no column 'body'"),
        (
            ["import", str(archive), "--format", "csv", "--map", "text=text,created_at=when", "--timezone", "PST8"],
            "IANA",
        ),
    ]
    for argv, message in cases:
        with pytest.raises(SystemExit) as stopped:
            main(argv + lake)
        assert stopped.value.code == 2 and message in capsys.readouterr().err, argv
    assert not (tmp_path / "lake").exists()
    assert main(["import", str(archive), "--format", "csv", "--map", "text=text,created_at=when", *lake]) == 0
