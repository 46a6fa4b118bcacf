"""The project's trained parts as files of named arrays and a JSON record (compressed ``.npz``):
loading one runs no code, unlike a pickle, so the files can ship in the package."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import ClassVar, Self

import numpy as np

_RECORD = "record"


def save_arrays(path: str | Path, arrays: Mapping[str, np.ndarray], record: dict) -> Path:
    """Write ``arrays`` and ``record`` to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as handle:
        encoded = np.frombuffer(json.dumps(record).encode(), dtype=np.uint8)
        np.savez_compressed(handle, **arrays, **{_RECORD: encoded})
    tmp.replace(path)
    return path


def load_arrays(path: str | Path, missing: str) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and the record of a file written by :func:`save_arrays`; ``missing`` says what
    to run when there is none."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no file at {path}; {missing}")
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files if name != _RECORD}
        return arrays, json.loads(stored[_RECORD].tobytes().decode())


class ArrayFile:
    """Saving and loading for a dataclass of arrays and an ``info`` record (its training record):
    every field but ``info`` is an array, stored as float32. ``ASSET`` names the asset that trains
    it, for the message when there is no file."""

    ASSET: ClassVar[str]
    info: dict

    def save(self, path: str | Path) -> Path:
        """Write the arrays and the training record atomically."""
        names = [f.name for f in fields(self) if f.name != "info"]
        return save_arrays(path, {name: getattr(self, name).astype(np.float32) for name in names}, self.info)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        arrays, info = load_arrays(path, f"materialize `{cls.ASSET}`")
        return cls(**arrays, info=info)


def files_digest(fingerprint: str, paths: Sequence[Path]) -> str:
    """A key for what a model of ``fingerprint`` derives from the files at ``paths`` (their names,
    sizes and times): the same files give the same key, a changed file a new one."""
    key = hashlib.sha256(fingerprint.encode())
    for path in paths:
        stat = Path(path).stat()
        key.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return key.hexdigest()[:20]
