"""Scores already computed, keyed by model fingerprint and the hash of the normalised text.

Duplicate texts (copy-paste campaigns, re-posted quotes, re-runs of a partition) are scored once.
The cache persists in the lake as Parquet parts under ``models/score_cache/<fingerprint>/``: each
run writes only the entries it added, in a part named after their content, so re-running never
duplicates a part; readers keep one row per key, so parts written by concurrent runs are harmless.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import polars as pl

CACHE_SCHEMA = {
    "text_key": pl.Int64,
    "p_negative": pl.Float32,
    "p_neutral": pl.Float32,
    "p_positive": pl.Float32,
    "truncated": pl.Boolean,
}
COMPACT_AFTER_PARTS = 64


def text_key(text: str) -> int:
    """Stable 64-bit key of a (normalised) text."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def cache_prefix(fingerprint: str) -> str:
    return f"models/score_cache/{fingerprint}/"


class ScoreCache:
    """In-memory view of one model's cached scores, with the entries added since it was loaded."""

    def __init__(self, fingerprint: str, entries: pl.DataFrame | None = None, parts: Sequence[str] = ()) -> None:
        self.fingerprint = fingerprint
        self._parts = list(parts)  # the lake parts ``entries`` were read from
        self._entries = entries if entries is not None else pl.DataFrame(schema=CACHE_SCHEMA)
        self._added: list[pl.DataFrame] = []

    def __len__(self) -> int:
        return self._entries.height + sum(frame.height for frame in self._added)

    def lookup(self, keys: Sequence[int]) -> pl.DataFrame:
        """The cached rows among ``keys`` (one per key)."""
        wanted = pl.DataFrame({"text_key": list(keys)}, schema={"text_key": pl.Int64})
        found = [frame.join(wanted, on="text_key", how="semi") for frame in [self._entries, *self._added]]
        return pl.concat(found).unique("text_key", keep="first")

    def add(self, keys: Sequence[int], probabilities: np.ndarray, truncated: np.ndarray) -> None:
        """Remember newly computed scores."""
        if not len(keys):
            return
        self._added.append(
            pl.DataFrame(
                {
                    "text_key": list(keys),
                    "p_negative": probabilities[:, 0],
                    "p_neutral": probabilities[:, 1],
                    "p_positive": probabilities[:, 2],
                    "truncated": truncated,
                },
                schema=CACHE_SCHEMA,
            )
        )

    def added(self) -> pl.DataFrame:
        """Entries added since loading, one row per key."""
        if not self._added:
            return pl.DataFrame(schema=CACHE_SCHEMA)
        return pl.concat(self._added).unique("text_key", keep="first").sort("text_key")

    @classmethod
    def load(cls, storage, fingerprint: str) -> ScoreCache:
        """The cache persisted in the lake for ``fingerprint`` (empty if there is none)."""
        parts = [obj.key for obj in storage.iter_objects(cache_prefix(fingerprint)) if obj.key.endswith(".parquet")]
        frames = [storage.read_parquet(key).cast(CACHE_SCHEMA) for key in parts]
        entries = pl.concat(frames).unique("text_key", keep="first") if frames else None
        return cls(fingerprint, entries, parts)

    def save(self, storage) -> str | None:
        """Persist the added entries as one content-named part; compacts many small parts into one.
        Returns the key written, or None when nothing was new."""
        added = self.added()
        if added.height == 0:
            return None
        digest = hashlib.sha256(added["text_key"].to_numpy().tobytes()).hexdigest()[:16]
        key = f"{cache_prefix(self.fingerprint)}part-{digest}.parquet"
        storage.write_parquet(key, added)
        if len(self._parts) + 1 > COMPACT_AFTER_PARTS:
            # Write the merged part before deleting the old ones: a crash leaves duplicates, never a loss.
            merged = pl.concat([self._entries, added]).unique("text_key", keep="first").sort("text_key")
            digest = hashlib.sha256(merged["text_key"].to_numpy().tobytes()).hexdigest()[:16]
            merged_key = f"{cache_prefix(self.fingerprint)}compact-{digest}.parquet"
            storage.write_parquet(merged_key, merged)
            for old in [*self._parts, key]:
                if old != merged_key:
                    storage.delete(old)
            key = merged_key
        return key
