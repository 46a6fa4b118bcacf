"""The code location: every asset, check and resource of the platform."""

from __future__ import annotations

from dagster import Definitions, load_assets_from_modules

from sentiment_platform.assets import cleansing, ingestion
from sentiment_platform.settings import build_resources

ASSET_MODULES = [ingestion, cleansing]


def build_definitions() -> Definitions:
    """Assemble the Definitions; resources are read from the environment when this is called."""
    return Definitions(
        assets=load_assets_from_modules(ASSET_MODULES),
        resources=build_resources(),
    )


defs = build_definitions()
