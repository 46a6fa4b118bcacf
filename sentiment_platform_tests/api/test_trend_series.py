"""The trend series path gives exactly the JSON the trend statement gives, for any aligned range."""

from datetime import timedelta

import orjson
import polars as pl
import pytest

from sentiment_platform.api import queries
from sentiment_platform.api.errors import EARLIEST, LATEST
from sentiment_platform.api.parameters import WINDOWS
from sentiment_platform.api.trend_series import on_boundary, series_by_topic
from sentiment_platform.api.warehouse_reads import encode as _encode
from sentiment_platform_tests.conftest import HOUR, HOURS

pytestmark = pytest.mark.materialize


def test_windows_align_to_midnight_utc():
    assert on_boundary(HOUR, "1h") and on_boundary(HOUR, "15m") and not on_boundary(HOUR, "1d")
    assert not on_boundary(HOUR + timedelta(minutes=20), "15m")
    assert on_boundary(HOUR.replace(hour=0), "1d")


@pytest.mark.parametrize("sql, lang", [(queries.TRENDS, None), (queries.LANGUAGE_TRENDS, "en")])
@pytest.mark.parametrize("window", ["15m", "1h", "1d"])
def test_slices_of_the_whole_series_equal_the_statement(built, sql, lang, window):
    base = {"window": WINDOWS[window], **({"lang": lang} if lang else {})}
    with built["warehouse"].read() as connection:
        everything = base | {"start": EARLIEST, "end": LATEST, "topic": None, "limit": 1 << 62, "offset": 0}
        by_topic = series_by_topic(pl.from_arrow(connection.sql(sql, params=everything).to_arrow_table()))
        day = HOUR.replace(hour=0)
        ranges = [(HOURS[0], HOUR + timedelta(hours=1)), (HOURS[1], HOURS[2]), (day, day + timedelta(days=1))]
        for topic in (None, "tech", "no-such-topic"):
            for start, end in ranges:
                if not (on_boundary(start, window) and on_boundary(end, window)):
                    continue
                for limit, offset in ((1000, 0), (3, 2), (5, 500)):
                    parameters = base | {"start": start, "end": end, "topic": topic, "limit": limit, "offset": offset}
                    cursor = connection.execute(sql, parameters)
                    columns = [c[0] for c in cursor.description]
                    expected = [dict(zip(columns, row)) for row in cursor.fetchall()]
                    total = expected[0].pop("total_rows") if expected else None
                    for row in expected[1:]:
                        row.pop("total_rows")
                    series = by_topic.get(topic)
                    if series is None:
                        assert expected == []
                        continue
                    rows, count, all_rows = series.page(start, end, limit, offset)
                    assert orjson.loads(orjson.dumps(rows)) == orjson.loads(_encode(expected)), (topic, start, limit)
                    assert count == len(expected) and (total is None or all_rows == total)
