"""The data lake as a resource: the configuration of a :class:`LakeStore` variant, which assets
receive (``storage: ResourceParam[LakeStore]``)."""

from __future__ import annotations

from abc import abstractmethod
from functools import lru_cache, partial
from typing import Any

from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field

from sentiment_platform.lib.lake_store import LakeStore, LocalLakeStore, S3LakeStore


@lru_cache(maxsize=8)
def s3_client(endpoint_url: str | None, region_name: str | None, profile_name: str | None, max_attempts: int) -> Any:
    """A client from dagster-aws's ``S3Resource`` (retries with backoff). Credentials, and whatever
    the fields leave unset, come from boto3's default chain: the ``AWS_*`` environment (including
    ``AWS_PROFILE``, ``AWS_REGION`` and ``AWS_ENDPOINT_URL_S3``), the profile, an instance role;
    never from configuration."""
    from dagster_aws.s3 import S3Resource

    resource = S3Resource(
        endpoint_url=endpoint_url or None,
        region_name=region_name or None,
        profile_name=profile_name or None,
        max_attempts=max_attempts,
    )
    return resource.get_client()


class LakeStorage(ConfigurableResource):
    """Where the lake lives: assets get the :class:`LakeStore` it opens, :class:`LocalLakeStorage`
    (a folder) or :class:`S3LakeStorage` (``s3://bucket/prefix``)."""

    root: str = Field(description="Where the lake lives.")

    @abstractmethod
    def store(self) -> LakeStore:
        """The lake this configuration opens."""

    def create_resource(self, context: InitResourceContext) -> LakeStore:
        # Dagster's documented way to configure one object and hand assets another.
        return self.store()


class LocalLakeStorage(LakeStorage):
    """The lake in a local folder."""

    root: str = Field(default="data/lake", description="Local folder of the lake.")

    def store(self) -> LocalLakeStore:
        return LocalLakeStore(self.root)


class S3LakeStorage(LakeStorage):
    """The lake in an S3 bucket (or any S3-compatible store), through dagster-aws's ``S3Resource``.
    Credentials come from boto3's chain."""

    root: str = Field(description="s3://bucket/prefix of the lake.")
    endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint (MinIO, a local server); None for AWS."
    )
    region_name: str | None = Field(default=None, description="AWS region of the bucket.")
    profile_name: str | None = Field(default=None, description="AWS profile (default: AWS_PROFILE, else default).")
    max_attempts: int = Field(default=5, description="Attempts per S3 call (retries back off exponentially).")

    def store(self) -> S3LakeStore:
        return S3LakeStore(
            self.root, partial(s3_client, self.endpoint_url, self.region_name, self.profile_name, self.max_attempts)
        )
