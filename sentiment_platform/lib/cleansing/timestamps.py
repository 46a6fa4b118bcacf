"""Timestamps as landing records write them (ISO 8601 with ``Z`` or an offset), read as UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%#z"
# The fixed-width date and time that start a timestamp, and a date to read the rest after.
_DATE_TIME_FORMAT, _DATE_TIME_CHARS = "%Y-%m-%dT%H:%M:%S", 19
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Timestamps outside [EARLIEST, LATEST) are invalid: the sane range of social-media data.
EARLIEST_TIMESTAMP, LATEST_TIMESTAMP = _EPOCH, datetime(2100, 1, 1, tzinfo=UTC)


def parse_timestamp(column: str) -> pl.Expr:
    """ISO-8601 timestamps (``Z`` or an offset, optional fraction) as UTC datetimes; null if invalid."""
    return pl.col(column).map_batches(parse_timestamps, return_dtype=pl.Datetime("us", "UTC"), is_elementwise=True)


def parse_timestamps(text: pl.Series) -> pl.Series:
    """``text`` read with ``_TIMESTAMP_FORMAT`` as UTC datetimes, null where it does not fit.

    The full format goes through a slow general parser. Polars parses the fixed-width date and
    time at the start several times faster; the rest (fraction and offset) has few distinct values
    in a batch, each read once after the epoch. A row where either part does not parse is read
    whole with the full format, so every result is the full format's.
    """
    head = _to_datetime(text.str.slice(0, _DATE_TIME_CHARS), _DATE_TIME_FORMAT)
    rest = text.str.slice(_DATE_TIME_CHARS)
    rests = rest.unique()
    after_epoch = _to_datetime(_EPOCH.strftime(_DATE_TIME_FORMAT) + rests, _TIMESTAMP_FORMAT) - _EPOCH
    parsed = head + rest.replace_strict(rests, after_epoch, default=None)
    retry = parsed.is_null() & text.is_not_null()
    if retry.any():
        parsed = parsed.scatter(retry.arg_true(), _to_datetime(text.filter(retry), _TIMESTAMP_FORMAT))
    # A year such as +20000 parses, but no post was written then and Python cannot hold it.
    return parsed.set(
        ~parsed.is_between(EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, closed="left").fill_null(True), None
    ).alias(text.name)


def _to_datetime(text: pl.Series, pattern: str) -> pl.Series:
    return text.str.to_datetime(pattern, time_zone="UTC", time_unit="us", strict=False)
