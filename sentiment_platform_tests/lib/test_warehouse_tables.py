from datetime import date

import duckdb
import polars as pl
import pytest

from sentiment_platform.lib.warehouse_schema import WarehouseTable
from sentiment_platform.lib.warehouse_tables import PartitionRangeError, replace_range


def test_a_new_column_is_added_to_an_existing_table_and_older_rows_keep_theirs(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    old = pl.DataFrame({"day": [date(2026, 1, 1)], "posts": [3]})
    replace_range(connection, WarehouseTable("daily", "day", ("day", "posts")), old, date(2026, 1, 1), date(2026, 1, 2))
    daily = WarehouseTable("daily", "day", ("day", "posts", "unsupported", "langs"))
    new = pl.DataFrame({"day": [date(2026, 1, 2)], "posts": [5], "unsupported": [1], "langs": [["en", "fr"]]})
    for _ in range(2):  # idempotent
        replace_range(connection, daily, new, date(2026, 1, 2), date(2026, 1, 3))
    rows = connection.sql("SELECT * FROM daily ORDER BY day").pl()
    assert rows.columns == ["day", "posts", "unsupported", "langs"]
    assert rows["posts"].to_list() == [3, 5] and rows["unsupported"].to_list() == [None, 1]
    assert rows["langs"].to_list() == [None, ["en", "fr"]]
    with pytest.raises(PartitionRangeError):
        replace_range(connection, daily, new, date(2026, 1, 1), date(2026, 1, 2))


def test_rows_without_the_declared_columns_are_refused_before_anything_is_written(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    daily = WarehouseTable("daily", "day", ("day", "posts"))
    renamed = pl.DataFrame({"day": [date(2026, 1, 1)], "post_count": [3]})
    with pytest.raises(ValueError, match=r"missing \['posts'\], extra \['post_count'\]"):
        replace_range(connection, daily, renamed, date(2026, 1, 1), date(2026, 1, 2))
    assert connection.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0] == 0
