"""The text and image scorer resources: which model scores posts and images, and how.

Each describes its model as a :class:`ModelLoad` of the lib (loaded once per process; a Spark task
takes the description and loads the model in its worker, with no resource there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Self

from dagster import ConfigurableResource
from pydantic import Field

from sentiment_platform.lib.model_artifacts import MODEL_CACHE_DIR, current_model_files
from sentiment_platform.lib.scoring.images.image_head import DEFAULT_IMAGE_HEAD
from sentiment_platform.lib.scoring.images.image_models import (
    DEFAULT_PROMPTS,
    IMAGE_BACKENDS,
    ImageModel,
    load_image_model,
)
from sentiment_platform.lib.scoring.images.image_text import ImageTextReader
from sentiment_platform.lib.scoring.model_loading import ModelLoad
from sentiment_platform.lib.scoring.post_fusion import DEFAULT_POST_FUSION
from sentiment_platform.lib.scoring.text.classical import DEFAULT_CLASSICAL, DEFAULT_ENGLISH_CLASSICAL
from sentiment_platform.lib.scoring.text.encoder_model import DEFAULT_MULTILINGUAL_WEIGHTS, DEFAULT_WEIGHTS
from sentiment_platform.lib.scoring.text.text_models import (
    TEXT_BACKENDS,
    TextModel,
    load_text_model,
)
from sentiment_platform.lib.scoring.text.use_head import DEFAULT_USE_HEAD

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore

#: The model assets whose artifacts each scorer loads (by the asset that trains them).
TEXT_MODEL_ASSETS = (
    "sentiment_model",
    "multilingual_sentiment_model",
    "classical_sentiment_model",
    "english_classical_sentiment_model",
    "use_sentiment_model",
)
IMAGE_MODEL_ASSETS = ("image_sentiment_model", "post_fusion_model")

_TRAINED_FIELD = dict(
    default_factory=dict,
    description="Local copies of the lake's current trained models, by model asset (set from the lake "
    "when a run loads the scorer); a model without one loads the file shipped in the package.",
)


class TextScorer(ConfigurableResource):
    """Scores post texts. ``multilingual`` (the offline default): English to the MiniLM model averaged
    with the English classical model, every other language to the multilingual E5 model averaged
    with the classical and USE models,
    unsupported languages marked; ``minilm``, ``e5``, ``classical`` (TF-IDF + logistic regression)
    or ``use`` (a logistic regression on Universal Sentence Encoder embeddings) alone;
    ``transformers`` (any Hugging Face model); ``vader``."""

    backend: str = Field(default="multilingual", description=", ".join(TEXT_BACKENDS) + ".")
    model: str | None = Field(
        default=None,
        description="transformers: a Hugging Face model id or local folder. minilm / e5: the trained weights "
        "file (default: the one shipped in the package). classical / use: the fitted model's file.",
    )
    multilingual_model: str | None = Field(
        default=None, description="multilingual: the E5 weights file (default: the one shipped in the package)."
    )
    # Weights chosen on UMSAB val; E5 keeps the rest (0.3).
    classical_weight: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="multilingual: weight of the classical model's probabilities beside E5's on non-English "
        "texts (chosen on UMSAB val); 0 leaves it out.",
    )
    use_weight: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="multilingual: weight of the USE model's probabilities beside E5's on non-English texts "
        "(chosen on UMSAB val); 0 leaves it out.",
    )
    # Chosen on TweetEval val; MiniLM keeps the rest.
    english_classical_weight: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="multilingual: weight of the English classical model's probabilities beside MiniLM's on "
        "English texts (chosen on TweetEval val); 0 leaves it out.",
    )
    runtime: str = Field(default="onnx-int8", description="minilm / e5: onnx-int8 (fast) or torch (float32).")
    batch_size: int = Field(default=32, description="Texts per forward pass (length-bucketed).")
    max_length: int = Field(default=128, description="Tokens per text; longer texts are truncated and flagged.")
    threads: int = Field(default=2, description="Intra-op threads for torch / ONNX Runtime; 0 = library default.")
    cache_dir: str = Field(
        default=MODEL_CACHE_DIR,
        description="Where derived model files (ONNX exports, local copies of the lake's models) are kept.",
    )
    trained: dict[str, str] = Field(**_TRAINED_FIELD)

    def with_lake_models(self, storage: LakeStore) -> Self:
        """This scorer loading the current trained text models of the lake (where it holds them)."""
        return self.model_copy(update={"trained": current_model_files(storage, TEXT_MODEL_ASSETS, self.cache_dir)})

    def weights_path(self) -> Path:
        """The English model's trained part: the configured file, else `sentiment_model`'s, else the shipped one."""
        if self.backend == "minilm" and self.model:
            return Path(self.model)
        return Path(self.trained.get("sentiment_model", DEFAULT_WEIGHTS))

    def multilingual_weights_path(self) -> Path:
        """The multilingual model's trained part: the configured file, else `multilingual_sentiment_model`'s,
        else the shipped one."""
        if self.backend == "e5" and self.model:
            return Path(self.model)
        if self.multilingual_model:
            return Path(self.multilingual_model)
        return Path(self.trained.get("multilingual_sentiment_model", DEFAULT_MULTILINGUAL_WEIGHTS))

    def classical_path(self) -> Path:
        """The classical model: the configured file, else `classical_sentiment_model`'s, else the shipped one."""
        if self.backend == "classical" and self.model:
            return Path(self.model)
        return Path(self.trained.get("classical_sentiment_model", DEFAULT_CLASSICAL))

    def english_classical_path(self) -> Path:
        """The English classical model: `english_classical_sentiment_model`'s, else the shipped one."""
        return Path(self.trained.get("english_classical_sentiment_model", DEFAULT_ENGLISH_CLASSICAL))

    def use_path(self) -> Path:
        """The USE model's head: the configured file, else `use_sentiment_model`'s, else the shipped one."""
        if self.backend == "use" and self.model:
            return Path(self.model)
        return Path(self.trained.get("use_sentiment_model", DEFAULT_USE_HEAD))

    def load(self) -> TextModel:
        """The configured model, loaded once per process (until a file it reads changes)."""
        return self.model_load()()

    def model_load(self, threads: int | None = None) -> ModelLoad:
        """What loads the configured model (with ``threads`` intra-op threads, if given)."""
        if threads is not None:
            return self.model_copy(update={"threads": threads}).model_load()
        encoder = {
            "runtime": self.runtime,
            "batch_size": self.batch_size,
            "max_length": self.max_length,
            "threads": self.threads,
            "cache_dir": self.cache_dir,
        }
        files: list[Path] = []
        if self.backend == "multilingual":
            files = [
                self.weights_path(),
                self.multilingual_weights_path(),
                self.english_classical_path(),
                self.classical_path(),
                self.use_path(),
            ]
            options = {
                "english_weights": files[0],
                "multilingual_weights": files[1],
                "english_classical_path": files[2],
                "english_classical_weight": self.english_classical_weight,
                "classical_path": files[3],
                "classical_weight": self.classical_weight,
                "use_path": files[4],
                "use_weight": self.use_weight,
                **encoder,
            }
        elif self.backend in ("minilm", "e5"):
            files = [self.weights_path() if self.backend == "minilm" else self.multilingual_weights_path()]
            options = {"weights_path": files[0], **encoder}
        elif self.backend == "classical":
            files = [self.classical_path()]
            options = {"path": files[0]}
        elif self.backend == "use":
            files = [self.use_path()]
            options = {"path": files[0], "threads": self.threads}
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
        return ModelLoad(load_text_model, {"backend": self.backend, **options}, tuple(files))


class ImageScorer(ConfigurableResource):
    """Scores images with ``vision`` (the offline default: EfficientNet-Lite0 features and a head
    trained on tweet images), ``affect`` (a colour rule, the fallback) or ``clip`` (zero-shot)."""

    backend: str = Field(default="vision", description=", ".join(IMAGE_BACKENDS) + ".")
    model: str = Field(default="openai/clip-vit-base-patch32", description="clip only: model id or local folder.")
    head: str | None = Field(
        default=None,
        description="vision: the trained head file (default: `image_sentiment_model`'s once it has run, "
        "else the one shipped in the package).",
    )
    prompts_json: str | None = Field(
        default=None, description='clip only: {"negative": [...], "neutral": [...], "positive": [...]} prompts.'
    )
    threads: int = Field(default=2, description="Intra-op threads for ONNX Runtime / torch; 0 = library default.")
    cache_dir: str = Field(default=MODEL_CACHE_DIR, description="Where the backbone's ONNX export is kept.")
    read_text: bool = Field(default=True, description="Read the text written in images (OCR) and score it.")
    trained: dict[str, str] = Field(**_TRAINED_FIELD)

    def with_lake_models(self, storage: LakeStore) -> Self:
        """This scorer loading the current trained image models of the lake (where it holds them)."""
        return self.model_copy(update={"trained": current_model_files(storage, IMAGE_MODEL_ASSETS, self.cache_dir)})

    def head_path(self) -> Path:
        """The head the vision backend loads: the configured file, else `image_sentiment_model`'s, else
        the shipped one."""
        if self.head:
            return Path(self.head)
        return Path(self.trained.get("image_sentiment_model", DEFAULT_IMAGE_HEAD))

    def fusion_path(self) -> Path:
        """The fusion posts are scored with: `post_fusion_model`'s, else the shipped one."""
        return Path(self.trained.get("post_fusion_model", DEFAULT_POST_FUSION))

    def load(self) -> ImageModel:
        """The configured model, loaded once per process (until its head file changes)."""
        return self.model_load()()

    def model_load(self, threads: int | None = None) -> ModelLoad:
        """What loads the configured model (with ``threads`` intra-op threads, if given)."""
        threads = self.threads if threads is None else threads
        if self.backend == "vision":
            head = self.head_path()
            options = {"head_path": head, "cache_dir": self.cache_dir, "threads": threads}
            return ModelLoad(load_image_model, {"backend": "vision", **options}, (head,))
        if self.backend == "clip":
            prompts = json.loads(self.prompts_json) if self.prompts_json else DEFAULT_PROMPTS
            return ModelLoad(
                load_image_model, {"backend": "clip", "model": self.model, "prompts": prompts, "threads": threads}
            )
        return ModelLoad(load_image_model, {"backend": self.backend})

    def load_text_reader(self) -> ImageTextReader | None:
        """The reader of text in images (once per process), or None when ``read_text`` is off."""
        reader = self.text_reader_load()
        return reader() if reader else None

    def text_reader_load(self, threads: int | None = None) -> ModelLoad | None:
        """What loads the reader of text in images, or None when ``read_text`` is off."""
        if not self.read_text:
            return None
        return ModelLoad(ImageTextReader, {"threads": self.threads if threads is None else threads})
