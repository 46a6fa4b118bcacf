from pathlib import Path

import pytest


def test_write_read_exists_delete(any_lake):
    any_lake.write_bytes("landing/posts/a.jsonl", b"one\n")
    assert any_lake.exists("landing/posts/a.jsonl")
    assert any_lake.read_bytes("landing/posts/a.jsonl") == b"one\n"
    any_lake.write_bytes("landing/posts/a.jsonl", b"two\n")  # overwrite in place
    assert any_lake.read_bytes("landing/posts/a.jsonl") == b"two\n"
    any_lake.delete("landing/posts/a.jsonl")
    assert not any_lake.exists("landing/posts/a.jsonl")
    with pytest.raises(FileNotFoundError):
        any_lake.read_bytes("landing/posts/a.jsonl")


def test_listing_is_sorted_scoped_and_reports_size(any_lake):
    for key in ["landing/posts/2026/11/20/13/b.jsonl", "landing/posts/2026/11/20/13/a.jsonl",
                "landing/posts/2026/11/20/14/c.jsonl", "landing/users/x.jsonl"]:
        any_lake.write_bytes(key, b"12345")
    objects = list(any_lake.iter_objects("landing/posts/2026/11/20/13/"))
    assert [item.key for item in objects] == ["landing/posts/2026/11/20/13/a.jsonl", "landing/posts/2026/11/20/13/b.jsonl"]
    assert all(item.size == 5 and item.last_modified.tzinfo is not None for item in objects)
    assert any_lake.list_keys("landing/posts/") == [
        "landing/posts/2026/11/20/13/a.jsonl", "landing/posts/2026/11/20/13/b.jsonl",
        "landing/posts/2026/11/20/14/c.jsonl"]
    assert [o.key for o in any_lake.iter_objects("landing/", start_after="landing/posts/2026/11/20/14/c.jsonl")] == [
        "landing/users/x.jsonl"]
    assert any_lake.list_keys("nothing/here/") == []


def test_replace_prefix_removes_what_a_previous_run_left(any_lake):
    any_lake.replace_prefix("quarantine/posts/dt=x/", {"a.jsonl": b"1", "b.jsonl": b"2"})
    any_lake.replace_prefix("quarantine/posts/dt=x/", {"b.jsonl": b"3"})
    assert any_lake.list_keys("quarantine/posts/dt=x/") == ["quarantine/posts/dt=x/b.jsonl"]
    assert any_lake.read_bytes("quarantine/posts/dt=x/b.jsonl") == b"3"
    any_lake.replace_prefix("quarantine/posts/dt=x/", {})
    assert any_lake.list_keys("quarantine/posts/dt=x/") == []


def test_local_writes_leave_no_temporary_files(lake):
    lake.write_bytes("cleansed/posts/part-0.parquet", b"x" * 1000)
    lake.replace_prefix("quarantine/p/", {"r.jsonl": b"y"})
    names = [p.name for p in Path(lake.root).rglob("*")]
    assert not [name for name in names if name.startswith(".")]


def test_s3_listing_pages_past_1000_keys(s3_lake):
    for index in range(1003):
        s3_lake.client.put_object(Bucket=s3_lake.root[5:].split("/")[0], Key=f"prefix/landing/many/{index:05d}", Body=b"")
    keys = s3_lake.list_keys("landing/many/")
    assert len(keys) == 1003 and keys[0] == "landing/many/00000" and keys[-1] == "landing/many/01002"


def test_s3_uri_and_objects_live_in_the_bucket(s3_lake):
    s3_lake.write_bytes("cleansed/x.parquet", b"data")
    bucket = s3_lake.root[5:].split("/")[0]
    assert s3_lake.uri("cleansed/x.parquet") == f"s3://{bucket}/prefix/cleansed/x.parquet"
    body = s3_lake.client.get_object(Bucket=bucket, Key="prefix/cleansed/x.parquet")["Body"].read()
    assert body == b"data"


def test_parquet_rows_come_from_the_footer(any_lake):
    import polars as pl

    # Long enough text that the footer is not within the first ranged read's reach of the start.
    frame = pl.DataFrame({"n": range(70_000), "text": [f"post number {i} " * 3 for i in range(70_000)]})
    any_lake.write_parquet("analytics/x/part-0.parquet", frame)
    assert any_lake.parquet_rows("analytics/x/part-0.parquet") == 70_000
