"""The read-only REST API over the warehouse."""

from sentiment_platform.api.app import create_app

__all__ = ["create_app"]
