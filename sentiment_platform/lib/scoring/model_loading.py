"""Models loaded once per process, from a plain description of what to load.

Loading a model takes seconds, so a process keeps each one it loaded (keyed by what it was loaded
from) however many partitions it scores. A :class:`ModelLoad` is picklable: a Spark task gets the
driver's and loads the same model in its own worker.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sentiment_platform.lib.scoring.text.text_models import file_digest

_LOADED: dict[tuple, Any] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelLoad:
    """``loader(**options)``, once per process until a file in ``files`` changes (their digests
    are part of the key, so retraining in this process loads the new ones)."""

    loader: Callable[..., Any]
    options: Mapping[str, Any] = field(default_factory=dict)
    files: tuple[Path, ...] = ()

    def __call__(self) -> Any:
        digests = tuple(file_digest(path) if path.exists() else "missing" for path in self.files)
        name = f"{self.loader.__module__}.{self.loader.__qualname__}"
        key = (name, digests, json.dumps(dict(self.options), sort_keys=True, default=str))
        with _LOCK:
            if key not in _LOADED:
                _LOADED[key] = self.loader(**self.options)
            return _LOADED[key]
