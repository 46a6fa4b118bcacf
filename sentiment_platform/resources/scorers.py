"""The text and image scorer resources: which model scores posts and images, and how.

Loading a model takes seconds, so each resource loads its model once per process and keeps it
(keyed by its settings), however many partitions a run scores.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from pydantic import Field

from sentiment_platform.lib.scoring.image_models import (
    DEFAULT_PROMPTS,
    ImageModel,
    load_image_model,
)
from sentiment_platform.lib.scoring.minilm import DEFAULT_WEIGHTS
from sentiment_platform.lib.scoring.text_models import (
    TextModel,
    file_digest,
    load_text_model,
)

_LOADED: dict[tuple, Any] = {}
_LOCK = threading.Lock()


def _cached(key: tuple, load) -> Any:
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = load()
        return _LOADED[key]


class TextScorer(ConfigurableResource):
    """Scores post texts with ``minilm`` (the offline default), ``transformers`` or ``vader``."""

    backend: str = Field(default="minilm", description="minilm, transformers or vader.")
    model: str | None = Field(
        default=None,
        description="transformers: a Hugging Face model id or local folder. minilm: the trained weights "
        "file (default: the one shipped in the package).",
    )
    runtime: str = Field(default="onnx-int8", description="minilm only: onnx-int8 (fast) or torch (float32).")
    batch_size: int = Field(default=32, description="Texts per forward pass (length-bucketed).")
    max_length: int = Field(default=128, description="Tokens per text; longer texts are truncated and flagged.")
    threads: int = Field(default=2, description="Intra-op threads for torch / ONNX Runtime; 0 = library default.")
    cache_dir: str = Field(default="data/models", description="Where derived model files (ONNX export) are kept.")

    def weights_path(self) -> Path:
        """Where the minilm backend loads its trained part from (and `sentiment_model` writes it)."""
        return Path(self.model) if self.backend == "minilm" and self.model else DEFAULT_WEIGHTS

    def load(self) -> TextModel:
        """The configured model, loaded once per process."""
        digest = ""
        if self.backend == "minilm":
            # The weights' digest is part of the key: retraining in this process loads the new ones.
            weights = self.weights_path()
            options = {
                "weights_path": weights,
                "runtime": self.runtime,
                "batch_size": self.batch_size,
                "max_length": self.max_length,
                "threads": self.threads,
                "cache_dir": self.cache_dir,
            }
            digest = file_digest(weights) if weights.exists() else "missing"
        elif self.backend == "transformers":
            if not self.model:
                raise ValueError("the transformers backend needs `model` (a Hugging Face id or a local folder)")
            options = {
                "model": self.model,
                "batch_size": self.batch_size,
                "max_length": self.max_length,
                "threads": self.threads,
            }
        else:
            options = {}
        key = ("text", self.backend, digest, json.dumps(options, sort_keys=True, default=str))
        return _cached(key, lambda: load_text_model(self.backend, **options))


class ImageScorer(ConfigurableResource):
    """Scores images with ``affect`` (the embedded colour-affect default) or ``clip`` (zero-shot)."""

    backend: str = Field(default="affect", description="affect or clip.")
    model: str = Field(default="openai/clip-vit-base-patch32", description="clip only: model id or local folder.")
    prompts_json: str | None = Field(
        default=None, description='clip only: {"negative": [...], "neutral": [...], "positive": [...]} prompts.'
    )
    threads: int = Field(default=2, description="Intra-op threads for torch; 0 = library default.")

    def load(self) -> ImageModel:
        """The configured model, loaded once per process."""
        options: dict[str, Any] = {}
        if self.backend == "clip":
            prompts = json.loads(self.prompts_json) if self.prompts_json else DEFAULT_PROMPTS
            options = {"model": self.model, "prompts": prompts, "threads": self.threads}
        key = ("image", self.backend, json.dumps(options, sort_keys=True, default=list))
        return _cached(key, lambda: load_image_model(self.backend, **options))
