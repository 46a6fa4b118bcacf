"""The plain lake store: both variants, hostile keys, atomic writes."""

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
    for key in [
        "landing/posts/2026/11/20/13/b.jsonl",
        "landing/posts/2026/11/20/13/a.jsonl",
        "landing/posts/2026/11/20/14/c.jsonl",
        "landing/users/x.jsonl",
    ]:
        any_lake.write_bytes(key, b"12345")
    objects = list(any_lake.iter_objects("landing/posts/2026/11/20/13/"))
    assert [item.key for item in objects] == [
        "landing/posts/2026/11/20/13/a.jsonl",
        "landing/posts/2026/11/20/13/b.jsonl",
    ]
    assert all(item.size == 5 and item.last_modified.tzinfo is not None for item in objects)
    assert any_lake.list_keys("landing/posts/") == [
        "landing/posts/2026/11/20/13/a.jsonl",
        "landing/posts/2026/11/20/13/b.jsonl",
        "landing/posts/2026/11/20/14/c.jsonl",
    ]
    assert [o.key for o in any_lake.iter_objects("landing/", start_after="landing/posts/2026/11/20/14/c.jsonl")] == [
        "landing/users/x.jsonl"
    ]
    assert any_lake.list_keys("nothing/here/") == []
    assert len(any_lake.list_keys("")) == 4  # the whole lake


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
        s3_lake.client.put_object(
            Bucket=s3_lake.root[5:].split("/")[0], Key=f"prefix/landing/many/{index:05d}", Body=b""
        )
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


HOSTILE_KEYS = [
    "../outside.txt",
    "landing/../../outside.txt",
    "/etc/passwd",
    "landing/images/a\0.jpg",
    "landing//images/a.jpg",
    "landing/./a.jpg",
    "landing/" + "x" * 300 + ".jpg",
    "a/" * 600 + "b",
    "",
    "landing/images\\..\\..\\x",
]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_keys_that_leave_the_lake_are_refused_on_both_lakes(any_lake, key):
    from sentiment_platform.lib.lake_layout import InvalidLakeKey

    for operation in (any_lake.read_bytes, any_lake.exists, any_lake.delete, lambda k: any_lake.write_bytes(k, b"x")):
        with pytest.raises(InvalidLakeKey):
            operation(key)


def test_symlinks_and_folders_out_of_the_lake_are_never_opened(lake, tmp_path):
    from sentiment_platform.lib.lake_layout import InvalidLakeKey

    secret = tmp_path / "host-secret.txt"
    secret.write_bytes(b"secret")
    images = Path(lake.root) / "landing" / "images"
    images.mkdir(parents=True)
    (images / "link.jpg").symlink_to(secret)
    (images / "escape").symlink_to(tmp_path)
    (images / "folder.jpg").mkdir()
    for key in ("landing/images/link.jpg", "landing/images/escape/host-secret.txt", "landing/images/folder.jpg"):
        with pytest.raises(InvalidLakeKey):
            lake.read_bytes(key)
    with pytest.raises(InvalidLakeKey):
        lake.write_bytes("landing/images/escape/planted.txt", b"x")
    assert not (tmp_path / "planted.txt").exists()
    assert lake.list_keys("landing/") == []  # listings never yield links or folders


def test_a_killed_write_leaves_nothing_behind_after_the_next_write_of_the_key(lake):
    import os
    import signal
    import subprocess
    import sys
    import time

    # A writer killed while its temporary file and staging folder exist (it sleeps inside the write).
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from sentiment_platform.lib.lake_store import LocalLakeStore\n"
        "lake = LocalLakeStore(sys.argv[1])\n"
        "original = Path.write_bytes\n"
        "def slow(self, data):\n"
        "    original(self, data); print('writing', flush=True); time.sleep(60)\n"
        "Path.write_bytes = slow\n"
        "import os\n"
        "real_fdopen = os.fdopen\n"
        "class Slow:\n"
        "    def __init__(self, handle): self.handle = handle\n"
        "    def __enter__(self): return self\n"
        "    def __exit__(self, *a): self.handle.close()\n"
        "    def write(self, data): self.handle.write(data); print('writing', flush=True); time.sleep(60)\n"
        "    def flush(self): self.handle.flush()\n"
        "os.fdopen = lambda fd, mode: Slow(real_fdopen(fd, mode))\n"
        "if sys.argv[3] == 'prefix': lake.replace_prefix(sys.argv[2], {'a.jsonl': b'1'})\n"
        "else: lake.write_bytes(sys.argv[2], b'1')\n"
    )
    folder = Path(lake.root) / "quarantine" / "posts"
    for kind, key in (("object", "quarantine/posts/part-0.parquet"), ("prefix", "quarantine/posts/hour=13/")):
        writer = subprocess.Popen([sys.executable, "-c", script, lake.root, key, kind], stdout=subprocess.PIPE)
        assert writer.stdout.readline().strip() == b"writing"
        # While the writer lives, its temporary file or folder is left alone by other writes.
        leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
        assert leftovers
        (lake.replace_prefix(key, {"b.jsonl": b"2"}) if kind == "prefix" else lake.write_bytes(key, b"2"))
        assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == leftovers
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        time.sleep(0.1)
        (lake.replace_prefix(key, {"b.jsonl": b"3"}) if kind == "prefix" else lake.write_bytes(key, b"3"))
        assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    assert lake.read_bytes("quarantine/posts/part-0.parquet") == b"3"
    assert lake.read_bytes("quarantine/posts/hour=13/b.jsonl") == b"3"


def test_listings_report_a_version_that_changes_with_the_content(any_lake):
    any_lake.write_bytes("landing/posts/2026/11/20/13/a.jsonl", b"one\n")
    first = next(any_lake.iter_objects("landing/posts/"))
    any_lake.write_bytes("landing/posts/2026/11/20/13/a.jsonl", b"two\n")  # same size
    second = next(any_lake.iter_objects("landing/posts/"))
    assert first.version and second.version and first.version != second.version
