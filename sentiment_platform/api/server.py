"""The API as uvicorn serves it: an app factory reading the deployment's environment, so that
each of several worker processes builds its own app (and its own warehouse connection)."""

from __future__ import annotations

import os

from fastapi import FastAPI

#: Encoded answers each worker keeps per warehouse snapshot (0 turns the cache off).
CACHE_ENTRIES = "SENTIMENT_API_CACHE_ENTRIES"
#: Bytes of keys and encoded answers each worker's cache may hold (default 64 MiB).
CACHE_BYTES = "SENTIMENT_API_CACHE_BYTES"


def app_from_environment() -> FastAPI:
    """The API over the warehouse the ``SENTIMENT_*`` environment names."""
    from sentiment_platform import settings
    from sentiment_platform.api.app import create_app

    resources = settings.build_resources(dict(os.environ), as_env_vars=False)
    options = {
        option: int(os.environ[variable])
        for option, variable in (("cache_entries", CACHE_ENTRIES), ("cache_bytes", CACHE_BYTES))
        if os.environ.get(variable)
    }
    return create_app(resources["warehouse"], storage=resources["storage"].store(), **options)
