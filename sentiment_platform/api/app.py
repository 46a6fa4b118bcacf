"""FastAPI application: sentiment trends, hashtags, alerts, posts and users, read-only over the
warehouse, with its docs and the live dashboard served from the package (no CDN). Each resource's
routes are an ``APIRouter`` of their own; they read through the app's
:class:`~sentiment_platform.api.warehouse_reads.WarehouseReads`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from sentiment_platform.api import image_routes, page_routes, post_routes, topic_routes, trend_routes, user_routes
from sentiment_platform.api.errors import Utf8Query, install_error_handlers
from sentiment_platform.api.snapshot_cache import CachedAnswers, SnapshotCache
from sentiment_platform.api.warehouse_reads import Clock, WarehouseReads
from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.resources.warehouse import Warehouse

#: The routers, in the order the docs list them.
ROUTERS = (page_routes, topic_routes, trend_routes, post_routes, image_routes, user_routes)


def create_app(
    warehouse: Warehouse,
    storage: LakeStore | None = None,
    clock: Clock = lambda: datetime.now(UTC),
    cache_entries: int | None = None,
    cache_bytes: int | None = None,
) -> FastAPI:
    """The API over ``warehouse``, through one shared read-only connection (see ``SharedReader``);
    encoded answers and whole trend series are kept per warehouse snapshot (see ``SnapshotCache``
    and ``TrendSeries``); the posts' images come from ``storage`` (none served without it);
    ``clock`` is what "the last 24 hours" is counted from; the answer cache keeps at most
    ``cache_entries`` answers and ``cache_bytes`` bytes (``SnapshotCache``'s defaults if None)."""
    limits = {"max_entries": cache_entries, "max_bytes": cache_bytes}
    cache = SnapshotCache(**{name: value for name, value in limits.items() if value is not None})
    reads = WarehouseReads(warehouse, cache, storage, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        reads.close()

    app = FastAPI(
        title="sentiment_platform API",
        version="1.1",
        description="Read-only access to the sentiment trend tables, alerts, posts and user profiles. "
        "Every error has the `ErrorBody` shape. The live dashboard is at `/dashboard`.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.state.reads = reads
    app.state.answer_cache = cache
    app.add_middleware(CachedAnswers, cache=cache, version=warehouse.snapshot_version)
    app.add_middleware(Utf8Query)  # added last, so it runs first: before the cache is looked at
    app.mount("/static", StaticFiles(directory=page_routes.STATIC), name="static")
    for module in ROUTERS:
        app.include_router(module.router)
    return app
