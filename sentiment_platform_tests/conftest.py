"""Shared fixtures: a temporary local lake, and a real S3-compatible server on 127.0.0.1."""

from __future__ import annotations

import socket
import uuid
from datetime import datetime, timezone
from typing import Iterator

import pytest

from sentiment_platform.resources.storage import LakeStorage

HOUR = datetime(2026, 11, 20, 13, tzinfo=timezone.utc)
PARTITION = "2026-11-20-13:00"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lake(tmp_path) -> LakeStorage:
    return LakeStorage(root=str(tmp_path / "lake"))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server over HTTP on 127.0.0.1, for the whole test session."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_lake(s3_endpoint, monkeypatch) -> LakeStorage:
    """A lake rooted in a fresh bucket of the local S3 server."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    storage = LakeStorage(root=f"s3://lake-{uuid.uuid4().hex[:12]}/prefix", endpoint_url=s3_endpoint,
                          region_name="us-east-1")
    storage.client.create_bucket(Bucket=storage.root[5:].split("/")[0])
    return storage


@pytest.fixture(params=["local", "s3"])
def any_lake(request) -> LakeStorage:
    """The same tests over the local lake and the S3 lake."""
    return request.getfixturevalue("lake" if request.param == "local" else "s3_lake")
