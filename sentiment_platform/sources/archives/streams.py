"""Opening an archive file as a stream of its bytes, decompressed by what the file starts with."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

#: The compressions read as streams, by the magic bytes a file of each starts with.
_MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}


def compression_of(path: Path) -> str | None:
    """``gzip``, ``zstd`` or None (plain), from the file's first bytes (never from its name)."""
    with open(path, "rb") as file:
        head = file.read(4)
    return next((name for magic, name in _MAGIC.items() if head.startswith(magic)), None)


class _NativeRaw(io.RawIOBase):
    """A pyarrow input stream as a Python raw stream, so it can be buffered and read by line."""

    def __init__(self, stream: pa.NativeFile) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def arrow_stream(path: Path) -> pa.NativeFile:
    """The file's decompressed bytes as a pyarrow stream (for the CSV reader)."""
    return pa.input_stream(str(path), compression=compression_of(path))


def binary_stream(path: Path, buffer_size: int = 1 << 20) -> io.BufferedReader:
    """The file's decompressed bytes as a buffered binary stream."""
    return io.BufferedReader(_NativeRaw(arrow_stream(path)), buffer_size=buffer_size)


#: The longest line read whole; a longer one is skipped to its end and handed on as ``None``
#: (the caller quarantines it as ``oversize_line``), so one bad line cannot exhaust memory.
MAX_LINE_BYTES = 8 << 20


def line_batches(path: Path, lines_per_batch: int = 50_000) -> Iterator[tuple[int, list[bytes | None]]]:
    """The file's lines in batches: ``(number of the batch's first line, lines)``, each line without
    its ``\n`` or ``\r\n``, ``None`` for one over :data:`MAX_LINE_BYTES`. Memory holds one batch,
    whatever the file's size."""
    batch: list[bytes | None] = []
    first = number = 1
    with binary_stream(path) as stream:
        while line := stream.readline(MAX_LINE_BYTES + 1):
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                batch.append(None)
            else:
                batch.append(line.rstrip(b"\r\n"))
            if len(batch) >= lines_per_batch:
                yield first, batch
                batch, first = [], number + 1
            number += 1
    if batch:
        yield first, batch
