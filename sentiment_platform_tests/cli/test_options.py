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
