"""CSV and JSON-lines archives with a column mapping: times in any zone, compression, refused rows
quarantined with their line and reason, and re-imports that change nothing."""

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from sentiment_platform.lib.cleansing.cleaning import clean_posts
from sentiment_platform.lib.lake_store import LocalLakeStore
from sentiment_platform.sources.archives.archive_landing import IMPORT_QUARANTINE, import_archives
from sentiment_platform.sources.archives.field_mapping import (
    PLACEHOLDER_AUTHOR,
    ImportOptions,
    TimeReading,
    parse_mapping,
)
from sentiment_platform.sources.archives.formats import FORMATS, ArchiveError

START = datetime(2015, 2, 1, tzinfo=UTC)
CSV = (
    "\ufefftweet_id,airline,text,tweet_created,user\n"
    '1,Delta,"Thanks &amp; great crew, ""best"" flight",2/16/2015 8:05,joe\n'
    '2,United,"Lost my bag\nagain!!",2/16/2015 23:30,ann\n'
    "3,United,,2/16/2015 9:05,ann\n"
    "4,United,bad time,soon,ann\n"
    "5,Delta,before the start,1/16/2015 9:05,bo\n"
    "6,Delta,too,many,fields,here\n"
    "7,Virgin,spring forward gap,3/8/2015 2:30,cy\n"
    "8,Virgin,autumn repeated hour,11/1/2015 1:30,cy\n"
)
CSV_MAP = "id=tweet_id,topic=airline,text=text,created_at=tweet_created,handle=user"


def landed_posts(storage) -> pl.DataFrame:
    return clean_posts([(key, storage.read_bytes(key)) for key in storage.list_keys("landing/posts/")]).cleaned


def refused(storage) -> list[tuple[int | None, str]]:
    rows = [
        json.loads(line)
        for key in storage.list_keys(IMPORT_QUARANTINE)
        for line in storage.read_bytes(key).splitlines()
    ]
    return sorted((row["line_no"], row["reason"]) for row in rows)


def csv_import(tmp_path, content: bytes, name="archive.csv", timezone="America/Los_Angeles"):
    path = tmp_path / name
    path.write_bytes(content)
    storage = LocalLakeStore(str(tmp_path / "lake"))
    options = ImportOptions(parse_mapping(CSV_MAP), TimeReading("%m/%d/%Y %H:%M", timezone))
    return storage, import_archives(storage, [path], FORMATS["csv"], options, START)


def test_a_csv_lands_each_row_at_its_true_utc_hour_and_quarantines_the_rest(tmp_path):
    storage, report = csv_import(tmp_path, CSV.encode())
    posts = {row["post_id"]: row for row in landed_posts(storage).to_dicts()}
    assert set(posts) == {"1", "2", "8"}
    # 8:05 in Los Angeles in February is 16:05 UTC; 23:30 is 07:30 the next day.
    assert posts["1"]["created_at"] == datetime(2015, 2, 16, 16, 5, tzinfo=UTC)
    assert posts["2"]["created_at"] == datetime(2015, 2, 17, 7, 30, tzinfo=UTC)
    assert storage.list_keys("landing/posts/2015/02/17/07/")
    # The repeated hour of the autumn change is read as its first occurrence (PDT, UTC-7).
    assert posts["8"]["created_at"] == datetime(2015, 11, 1, 8, 30, tzinfo=UTC)
    assert posts["1"]["text"] == 'Thanks & great crew, "best" flight' and posts["1"]["topic"] == "delta"
    assert posts["2"]["text"] == "Lost my bag again!!"
    assert posts["1"]["author_id"] == "joe"  # the handle stands in for the author's id
    assert refused(storage) == [
        # Rows, the header being 1 (the second row's text spans two lines of the file).
        (4, "missing_field:text"),
        (5, "invalid_timestamp:created_at"),
        (6, "before_partitions_start:SENTIMENT_PARTITIONS_START=2015-02-01"),
        (7, "malformed_csv_row"),
        (8, "invalid_timestamp:created_at"),  # 2:30 does not exist on 8 March in Los Angeles
    ]
    assert report.landed == 3 and report.refused_rows == 5 and report.rows_in == 8
    assert dict(report.landed_per_day) == {
        datetime(2015, 2, 16).date(): 1,
        datetime(2015, 2, 17).date(): 1,
        datetime(2015, 11, 1).date(): 1,
    }


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    storage, first = csv_import(tmp_path, CSV.encode())
    before = {key: storage.read_bytes(key) for key in storage.list_keys("")}
    _, second = csv_import(tmp_path, CSV.encode())
    assert {key: storage.read_bytes(key) for key in storage.list_keys("")} == before
    assert second.objects_written == 0 and second.objects_unchanged == first.objects_written > 0


def test_gzip_and_zstd_files_read_as_streams_alike(tmp_path):
    for folder in ("plain", "gz", "zst"):
        (tmp_path / folder).mkdir()
    plain_storage, plain = csv_import(tmp_path / "plain", CSV.encode())
    gz_storage, gz = csv_import(tmp_path / "gz", gzip.compress(CSV.encode()), name="archive.csv.gz")
    zst_file = tmp_path / "zst" / "source.zst"
    with pa.output_stream(str(zst_file), compression="zstd") as stream:
        stream.write(CSV.encode())
    zst_storage, zst = csv_import(tmp_path / "zst", zst_file.read_bytes(), name="archive.bin")
    expected = landed_posts(plain_storage).drop("source_file")
    for storage, report in ((gz_storage, gz), (zst_storage, zst)):
        assert report.landed == plain.landed
        assert landed_posts(storage).drop("source_file").equals(expected)


def test_invalid_utf8_in_a_csv_quarantines_that_row_only(tmp_path):
    content = CSV.encode().replace(b"bad time", b"bad \xff time")
    storage, report = csv_import(tmp_path, content)
    assert (5, "invalid_utf8") in refused(storage) and report.landed == 3


def test_a_mapping_that_names_no_column_stops_before_anything_lands(tmp_path):
    path = tmp_path / "archive.csv"
    path.write_text(CSV)
    storage = LocalLakeStore(str(tmp_path / "lake"))
    options = ImportOptions(parse_mapping("text=body,created_at=tweet_created"))
    with pytest.raises(ArchiveError, match="no column 'body'; its columns are tweet_id, airline"):
        import_archives(storage, [path], FORMATS["csv"], options, START)
    with pytest.raises(ArchiveError, match="--map must name the columns of created_at"):
        import_archives(storage, [path], FORMATS["csv"], ImportOptions(parse_mapping("text=text")), START)
    assert storage.list_keys("") == []
    with pytest.raises(ValueError, match="unknown field 'title'"):
        parse_mapping("title=text")
    with pytest.raises(ValueError, match="not FIELD=COLUMN"):
        parse_mapping("text")
    with pytest.raises(ValueError, match="not an IANA time zone"):
        TimeReading(timezone="Mars/Olympus")


def test_jsonl_with_dotted_keys_derived_ids_and_the_placeholder_author(tmp_path):
    lines = [
        {"body": "Great service today", "meta": {"when": "2015-02-16T08:05:00-08:00", "likes": "4"}},
        {"body": "No author and no id", "meta": {"when": "2015-02-16 09:00:00"}},
        {"body": "Counts must be numbers", "meta": {"when": 1424102400, "likes": "many"}},
        "not an object",
        {"meta": {"when": "2015-02-16T08:05:00Z"}},
    ]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n{broken\n\n")
    storage = LocalLakeStore(str(tmp_path / "lake"))
    options = ImportOptions(
        parse_mapping("text=body,created_at=meta.when,like_count=meta.likes"), TimeReading(timezone="Europe/Paris")
    )
    report = import_archives(storage, [path], FORMATS["jsonl"], options, START)
    posts = landed_posts(storage).sort("created_at")
    assert posts["created_at"].to_list() == [
        datetime(2015, 2, 16, 8, 0, tzinfo=UTC),  # 09:00 in Paris
        datetime(2015, 2, 16, 16, 5, tzinfo=UTC),
    ]
    assert posts["author_id"].to_list() == [PLACEHOLDER_AUTHOR] * 2
    assert posts.filter(pl.col("text") == "Great service today")["like_count"].item() == 4
    assert all(post_id.startswith("h") and len(post_id) == 25 for post_id in posts["post_id"])
    assert refused(storage) == [
        (3, "invalid_value:like_count"),
        (4, "not_an_object"),
        (5, "missing_field:text"),
        (6, "invalid_json"),
    ]
    # The derived ids come from the content: a second import finds the same ones.
    again = import_archives(storage, [path], FORMATS["jsonl"], options, START)
    assert again.objects_written == 0 and report.landed == 2


def test_every_landed_record_satisfies_the_landing_schema(tmp_path):
    import jsonschema

    from sentiment_platform.lib.cleansing.landing_contract import landing_schema

    storage, _ = csv_import(tmp_path, CSV.encode())
    for dataset in ("posts", "users"):
        keys = storage.list_keys(f"landing/{dataset}/")
        assert keys
        for key in keys:
            for line in storage.read_bytes(key).splitlines():
                jsonschema.validate(json.loads(line), landing_schema(dataset))


def test_time_readings():
    reading = TimeReading()
    values = pl.Series(["2015-02-16T08:05:00Z", "2015-02-16T08:05:00.5+01:00", "2015-02-16 08:05", "1424073900", "x"])
    assert reading.parse(values).to_list() == [
        datetime(2015, 2, 16, 8, 5, tzinfo=UTC),
        datetime(2015, 2, 16, 7, 5, 0, 500000, tzinfo=UTC),
        datetime(2015, 2, 16, 8, 5, tzinfo=UTC),
        datetime(2015, 2, 16, 8, 5, tzinfo=UTC),
        None,
    ]
    with_offset = TimeReading("%a %b %d %H:%M:%S %z %Y")  # the classic X v1.1 format
    assert with_offset.parse(pl.Series(["Mon Feb 16 08:05:00 -0800 2015"])).to_list() == [
        datetime(2015, 2, 16, 16, 5, tzinfo=UTC)
    ]


def test_a_huge_line_is_skipped_not_read_whole(tmp_path, monkeypatch):
    from sentiment_platform.sources.archives import streams

    monkeypatch.setattr(streams, "MAX_LINE_BYTES", 1024)
    path = tmp_path / "posts.jsonl"
    good = json.dumps({"body": "fine", "when": "2015-02-16T08:05:00Z"})
    path.write_text(good + "\n" + '{"body": "' + "x" * 5000 + '"}\n' + good.replace("fine", "also fine") + "\n")
    storage = LocalLakeStore(str(tmp_path / "lake"))
    options = ImportOptions(parse_mapping("text=body,created_at=when"))
    report = import_archives(storage, [Path(path)], FORMATS["jsonl"], options, START)
    assert report.landed == 2 and refused(storage) == [(2, "oversize_line")]


def test_row_numbers_stay_right_across_blocks_and_malformed_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(FORMATS["csv"], "block_size", 512)
    monkeypatch.setattr(FORMATS["csv"], "rows_per_batch", 40)
    lines, expected = ["id,text,created_at"], {}
    for number in range(2, 302):  # row numbers, the header being 1
        if number % 37 == 0:
            lines.append(f"{number},a,malformed,row")
            expected[number] = "malformed_csv_row"
        elif number % 11 == 0:
            lines.append(f"{number},,2015-02-16T08:00:00Z")
            expected[number] = "missing_field:text"
        else:
            lines.append(f"{number},row {number},2015-02-16T08:00:00Z")
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n")
    storage = LocalLakeStore(str(tmp_path / "lake"))
    options = ImportOptions(parse_mapping("id=id,text=text,created_at=created_at"))
    report = import_archives(storage, [path], FORMATS["csv"], options, START)
    assert dict(refused(storage)) == expected
    rows = [
        json.loads(line) for key in storage.list_keys("landing/posts/") for line in storage.read_bytes(key).splitlines()
    ]
    assert report.landed == len(rows) == 300 - len(expected)


@pytest.mark.integration
def test_an_import_into_an_s3_lake_lands_the_same_objects_and_repeats_as_a_no_op(tmp_path, s3_lake):
    path = tmp_path / "archive.csv"
    path.write_text(CSV)
    options = ImportOptions(parse_mapping(CSV_MAP), TimeReading("%m/%d/%Y %H:%M", "America/Los_Angeles"))
    first = import_archives(s3_lake, [path], FORMATS["csv"], options, START)
    (tmp_path / "local").mkdir()
    local, _ = csv_import(tmp_path / "local", CSV.encode())
    assert sorted(s3_lake.list_keys("")) == sorted(local.list_keys(""))
    assert landed_posts(s3_lake).drop("source_file").equals(landed_posts(local).drop("source_file"))
    again = import_archives(s3_lake, [path], FORMATS["csv"], options, START)
    assert again.objects_written == 0 and again.objects_unchanged == first.objects_written


def test_a_csv_broken_past_repair_stops_with_a_clear_error_after_landing_what_came_before(tmp_path, monkeypatch):
    monkeypatch.setattr(FORMATS["csv"], "block_size", 256)
    monkeypatch.setattr(FORMATS["csv"], "rows_per_batch", 5)
    rows = "".join(f"{n},row {n},2015-02-16T08:00:00Z\n" for n in range(40))
    path = tmp_path / "broken.csv"
    path.write_text("id,text,created_at\n" + rows + '41,"an unterminated quote,2015-02-16T08:00:00Z\n' + "x" * 300)
    storage = LocalLakeStore(str(tmp_path / "lake"))
    options = ImportOptions(parse_mapping("id=id,text=text,created_at=created_at"))
    with pytest.raises(ArchiveError, match="not readable as CSV past this point"):
        import_archives(storage, [path], FORMATS["csv"], options, START)
    assert len(landed_posts(storage)) > 0  # the rows before the break landed; a fixed file re-imports them as a no-op


def test_a_compressed_file_cut_short_stops_with_a_clear_error(tmp_path):
    rows = b"".join(b"%d,row %d,2015-02-16T08:00:00Z\n" % (n, n) for n in range(50_000))
    whole = gzip.compress(b"id,text,created_at\n" + rows)
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    storage = LocalLakeStore(str(tmp_path / "lake"))
    for name, mapping in (("csv", "id=id,text=text,created_at=created_at"), ("jsonl", "text=text,created_at=t")):
        with pytest.raises(ArchiveError, match="cut.csv.gz: "):
            import_archives(storage, [path], FORMATS[name], ImportOptions(parse_mapping(mapping)), START)
