"""The API as uvicorn serves it: an app factory reading the deployment's environment, so that
each of several worker processes builds its own app (and its own warehouse connection)."""

from __future__ import annotations

import os

from fastapi import FastAPI

#: Encoded answers each worker keeps per warehouse snapshot (0 turns the cache off).
CACHE_ENTRIES = "SENTIMENT_API_CACHE_ENTRIES"


def app_from_environment() -> FastAPI:
    """The API over the warehouse the ``SENTIMENT_*`` environment names."""
    from sentiment_platform import settings
    from sentiment_platform.api.app import create_app

    resources = settings.build_resources(dict(os.environ), as_env_vars=False)
    entries = os.environ.get(CACHE_ENTRIES)
    options = {"cache_entries": int(entries)} if entries else {}
    return create_app(resources["warehouse"], storage=resources["storage"], **options)
